/**
 * Which TypeScript `traced-alloc build` compiles with: the project's own `typescript` when it has
 * the JavaScript compiler API (5.x, 6.x), else traced-allocator's own TypeScript 6: TypeScript 7 is
 * the native compiler, and its npm package's `require` gives only `{ version }`.
 */
import * as path from "node:path";
import { UsageError } from "../command";
import { ownTypeScript } from "../../transformer/loaders";
import { requireWithCodeCache } from "./code-cache";

type TS = typeof import("typescript");

export interface ChosenTypeScript {
  readonly ts: TS;
  /** `project`: the project's own; `bundled`: traced-allocator's own TypeScript 6. */
  readonly from: "project" | "bundled";
  /** Why the project's own was not used (for a line on stderr), when it was not. */
  readonly why?: string;
  /** The package name of the bundled one. */
  readonly name?: string;
}

/**
 * What the build calls, beyond the public API: tsc's own reporting and exit status
 * (`emitFilesAndReportErrorsAndGetExitStatus`, `createDiagnosticReporter`, `getErrorSummaryText`,
 * `convertToOptionsWithAbsolutePaths`, `executeCommandLine`) are internal functions that
 * typescript.js exports all the same (5.0 and later).
 */
const NEEDED = [
  "createProgram",
  "parseCommandLine",
  "getParsedCommandLineOfConfigFile",
  "findConfigFile",
  "createCompilerHost",
  "createIncrementalProgram",
  "createIncrementalCompilerHost",
  "createWatchCompilerHost",
  "createWatchProgram",
  "createWatchStatusReporter",
  "createEmitAndSemanticDiagnosticsBuilderProgram",
  "getConfigFileParsingDiagnostics",
  "emitFilesAndReportErrorsAndGetExitStatus",
  "createDiagnosticReporter",
  "getErrorSummaryText",
  "convertToOptionsWithAbsolutePaths",
  "getNormalizedAbsolutePath",
  "normalizePath",
  "combinePaths",
  "toPath",
  "executeCommandLine",
  "isIncrementalCompilation",
] as const;

/** The functions of NEEDED that `ts` lacks. */
export function missingApi(ts: unknown): string[] {
  const t = ts as Record<string, unknown> | undefined;
  return NEEDED.filter((n) => typeof t?.[n] !== "function");
}

/** The TypeScript for a project in `projectDir`. */
export function chooseTypeScript(projectDir: string): ChosenTypeScript {
  let why: string;
  let where: string | undefined;
  try {
    where = require.resolve("typescript", { paths: [projectDir] });
  } catch {
    where = undefined;
  }
  if (where === undefined) {
    why = `the project has no typescript package`;
  } else {
    let own: unknown;
    let loadError: string | undefined;
    try {
      own = requireWithCodeCache(where);
    } catch (e) {
      loadError = (e as Error).message.split("\n")[0];
    }
    const version = String((own as { version?: unknown } | undefined)?.version ?? readVersion(where) ?? "unknown");
    const major = Number(version.split(".")[0]);
    if (loadError !== undefined) why = `the project's typescript ${version} does not load (${loadError})`;
    else if (major >= 7) why = `the project's typescript is ${version}, which has no compiler API (TypeScript 7 is the native compiler)`;
    else if (!(major >= 5)) why = `the project's typescript ${version} is older than 5.0`;
    else {
      const missing = missingApi(own);
      if (missing.length === 0) return { ts: own as TS, from: "project" };
      why = `the project's typescript ${version} lacks ${missing.join(", ")}`;
    }
  }
  const bundled = ownTypeScript(requireWithCodeCache);
  if (bundled === undefined) {
    throw new UsageError(
      `build: ${why}, and traced-allocator's own TypeScript 6 (its dependency typescript@6) is not installed: ` +
        `reinstall traced-allocator (npm install --save-dev traced-allocator).`,
    );
  }
  return { ts: bundled.ts, from: "bundled", why, name: bundled.name };
}

/** The version in the package.json of the package that holds `file`, or undefined. */
function readVersion(file: string): string | undefined {
  for (let dir = path.dirname(file); path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    try {
      const pkg = require(path.join(dir, "package.json")) as { name?: string; version?: string };
      if (pkg.name === "typescript") return pkg.version;
    } catch {
      // not here: one folder up
    }
  }
  return undefined;
}
