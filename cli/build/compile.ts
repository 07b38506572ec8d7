/**
 * tsc's command line, run as tsc runs it (TypeScript's executeCommandLineWorker, followed step by
 * step), with traced-allocator's transformer in every emit: the same tsconfig lookup, the same
 * diagnostics printed the same way, the same exit status. Where tsc would emit nothing (--init,
 * --showConfig, --version, --listFilesOnly, a command line or project that does not parse), tsc's
 * own executeCommandLine does the work.
 */
import type * as ts from "typescript";
import { UsageError } from "../command";
import { pluginsOf } from "../../transformer/options";
import { traceEmits } from "./plugin";

type TS = typeof import("typescript");

/** Internal functions of typescript.js that the build calls (present in 5.x and 6.x; checked by typescript.ts). */
interface Internals {
  emitFilesAndReportErrorsAndGetExitStatus(
    program: ts.Program | ts.BuilderProgram,
    reportDiagnostic: ts.DiagnosticReporter,
    write?: (s: string) => void,
    reportSummary?: (errorCount: number, filesInError: (string | undefined)[]) => void,
  ): number;
  createDiagnosticReporter(system: ts.System, pretty?: boolean): ts.DiagnosticReporter;
  getErrorSummaryText(errorCount: number, filesInError: (string | undefined)[], newLine: string, host: ts.System): string;
  convertToOptionsWithAbsolutePaths(options: ts.CompilerOptions, toAbsolutePath: (path: string) => string): ts.CompilerOptions;
  getNormalizedAbsolutePath(fileName: string, currentDirectory: string): string;
  normalizePath(path: string): string;
  combinePaths(path: string, ...paths: string[]): string;
  executeCommandLine(system: ts.System, cb: (program: unknown) => void, args: readonly string[]): void;
  /** Optional: only a cache. */
  changeCompilerHostLikeToUseCache?(host: ts.CompilerHost, toPath: (fileName: string) => ts.Path): void;
  toPath(fileName: string, basePath: string, getCanonicalFileName: (f: string) => string): ts.Path;
  createWatchStatusReporter(system: ts.System, pretty?: boolean): ts.WatchStatusReporter;
  isIncrementalCompilation(options: ts.CompilerOptions): boolean;
}

/** ts.System as typescript.js has it (getEnvironmentVariable is internal). */
type System = ts.System & { getEnvironmentVariable(name: string): string };

/** Where a build writes and how it ends. */
export interface BuildIo {
  /** tsc's own output (diagnostics, --listFiles, summaries): stdout. */
  write(text: string): void;
  /** Our notes (which TypeScript, what is not run): stderr. */
  note(text: string): void;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

/** tsc's `shouldBePretty`: --pretty, else colors on a terminal unless NO_COLOR (FORCE_COLOR forces them). */
function pretty(system: System, options: ts.CompilerOptions): boolean {
  if (options.pretty !== undefined) return !!options.pretty;
  if (system.getEnvironmentVariable("NO_COLOR")) return false;
  if (system.getEnvironmentVariable("FORCE_COLOR")) return true;
  return !!system.writeOutputIsTTY?.();
}

/** tsc's options that traced-alloc build accepts but cannot act on (tsc's statistics are internal to tsc). */
const NOT_REPORTED = ["diagnostics", "extendedDiagnostics", "generateTrace", "generateCpuProfile"] as const;

/**
 * Runs tsc's command line `args` with traced-allocator's transformer. Resolves to tsc's exit status;
 * with --watch, never (the watcher runs until the process is stopped).
 */
export function compile(tsi: TS, args: string[], io: BuildIo): Promise<number> {
  const t = tsi as unknown as TS & Internals;
  let exitCode: number | undefined;
  const system: System = {
    ...(tsi.sys as System),
    write: (s) => io.write(s),
    getCurrentDirectory: () => io.cwd,
    getEnvironmentVariable: (name: string) => io.env[name] ?? "",
    exit: (code) => {
      exitCode = code ?? 0;
    },
  };
  /** tsc itself, for everything that emits nothing. */
  const asTsc = (): Promise<number> => {
    t.executeCommandLine(system, () => {}, args);
    return Promise.resolve(exitCode ?? 0);
  };

  const commandLine = tsi.parseCommandLine(args, (p) => system.readFile(p));
  const o = commandLine.options;
  if (commandLine.errors.length > 0 || o.init || o.version || o.help || o.all || o.showConfig || o.listFilesOnly) return asTsc();

  // The tsconfig, found as tsc finds it; any problem with it is tsc's to report.
  let configFileName: string | undefined;
  if (o.project !== undefined) {
    if (commandLine.fileNames.length > 0) return asTsc();
    const p = t.normalizePath(o.project);
    configFileName = !p || system.directoryExists(p) ? t.combinePaths(p, "tsconfig.json") : p;
    if (!system.fileExists(configFileName)) return asTsc();
  } else if (!o.ignoreConfig || commandLine.fileNames.length === 0) {
    configFileName = tsi.findConfigFile(t.normalizePath(io.cwd), (f) => system.fileExists(f));
    if (commandLine.fileNames.length > 0) {
      if (configFileName) return asTsc();
    } else if (!configFileName) {
      throw new UsageError(`build: no tsconfig.json in ${io.cwd} or any folder above it: pass -p <tsconfig.json>, or the files to build (see 'traced-alloc build --help')`);
    }
  }
  for (const name of NOT_REPORTED) {
    if (o[name] !== undefined) io.note(`traced-alloc build: --${name} is accepted but not reported (tsc's statistics and traces are internal to tsc).\n`);
  }

  const cliOptions = t.convertToOptionsWithAbsolutePaths(o, (f) => t.getNormalizedAbsolutePath(f, io.cwd));
  let reportDiagnostic = t.createDiagnosticReporter(system);
  let config: ts.ParsedCommandLine;
  if (configFileName !== undefined) {
    const parsed = tsi.getParsedCommandLineOfConfigFile(
      configFileName,
      cliOptions,
      {
        ...system,
        onUnRecoverableConfigFileDiagnostic: (d) => {
          reportDiagnostic(d);
          exitCode = 1; // tsc: DiagnosticsPresent_OutputsSkipped
        },
      },
      new Map(),
      commandLine.watchOptions,
    );
    if (parsed === undefined) return Promise.resolve(exitCode ?? 1);
    config = parsed;
  } else {
    config = { ...commandLine, options: cliOptions };
  }
  const options = config.options;
  for (const transform of pluginsOf(options).others) {
    io.note(`traced-alloc build: the plugin "${transform}" in the tsconfig is not run (traced-alloc build runs traced-allocator's transformer only; tspc runs every ts-patch plugin).\n`);
  }
  if (pretty(system, options)) reportDiagnostic = t.createDiagnosticReporter(system, true);
  const summary = pretty(system, options)
    ? (count: number, files: (string | undefined)[]) => system.write(t.getErrorSummaryText(count, files, system.newLine, system))
    : undefined;
  const write = (s: string) => system.write(s + system.newLine);
  // tsc parses JSDoc only where type errors need it (the transformer reads @track_caller from the comment text).
  const jsDocParsingMode = tsi.JSDocParsingMode?.ParseForTypeErrors;

  if (options.watch) {
    const reportStatus = t.createWatchStatusReporter(system, pretty(system, options));
    const createProgram = tsi.createEmitAndSemanticDiagnosticsBuilderProgram;
    const host =
      configFileName !== undefined
        ? tsi.createWatchCompilerHost(configFileName, cliOptions, system, createProgram, reportDiagnostic, reportStatus, commandLine.watchOptions)
        : tsi.createWatchCompilerHost(config.fileNames, options, system, createProgram, reportDiagnostic, reportStatus, config.projectReferences, commandLine.watchOptions);
    if (jsDocParsingMode !== undefined) host.jsDocParsingMode = jsDocParsingMode;
    const emitAndReport = host.afterProgramCreate;
    host.afterProgramCreate = (builder) => {
      traceEmits(tsi, builder, () => builder.getProgram());
      emitAndReport?.(builder);
    };
    tsi.createWatchProgram(host as ts.WatchCompilerHostOfConfigFile<ts.EmitAndSemanticDiagnosticsBuilderProgram>);
    return new Promise<number>(() => {});
  }

  const programOptions = {
    rootNames: config.fileNames,
    options,
    projectReferences: config.projectReferences,
    configFileParsingDiagnostics: tsi.getConfigFileParsingDiagnostics(config),
  };
  let status: number;
  if (t.isIncrementalCompilation(options)) {
    const host = tsi.createIncrementalCompilerHost(options, system);
    if (jsDocParsingMode !== undefined) host.jsDocParsingMode = jsDocParsingMode;
    const builder = tsi.createIncrementalProgram({ ...programOptions, host });
    traceEmits(tsi, builder, () => builder.getProgram());
    status = t.emitFilesAndReportErrorsAndGetExitStatus(builder, reportDiagnostic, write, summary);
  } else {
    const host = tsi.createCompilerHost(options);
    if (jsDocParsingMode !== undefined) host.jsDocParsingMode = jsDocParsingMode;
    host.getCurrentDirectory = () => io.cwd;
    // tsc's cache of file reads and existence checks while the program is made (when present).
    const canonical = host.getCanonicalFileName.bind(host);
    t.changeCompilerHostLikeToUseCache?.(host, (f) => t.toPath(f, io.cwd, canonical));
    const program = tsi.createProgram({ ...programOptions, host });
    traceEmits(tsi, program, () => program);
    status = t.emitFilesAndReportErrorsAndGetExitStatus(program, reportDiagnostic, write, summary);
  }
  return Promise.resolve(status);
}
