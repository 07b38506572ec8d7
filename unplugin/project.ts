/**
 * The TypeScript program behind the bundler plugin: one `ts.LanguageService` per tsconfig, built
 * at the first file and reused for every file after it. A file the bundler hands over with the text
 * the program already has costs nothing to look up; a changed text (watch mode, or a plugin before
 * us) makes a new program version, in which TypeScript reparses that file only and makes a new
 * type checker (which then checks lazily, as much as the rewrite asks).
 *
 * The program is the project's as its tsconfig says, except `moduleDetection: force`: in a bundle
 * every file is a module, also one without import or export.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { createRequire } from "node:module";
import type * as ts from "typescript";
import type { FileContext } from "../transformer/visit";
import type { Options } from "../transformer/options";
import { fileContext } from "../transformer/edits";

type TS = typeof import("typescript");

/**
 * A TypeScript with the JavaScript API (5.x or 6.x): the project's own when it is one, else
 * this package's own typescript@6 (a dependency, for projects on TypeScript 7, whose native
 * compiler has no JavaScript API).
 */
export function loadTypeScript(projectDir: string): TS {
  const candidates: [string, () => unknown][] = [
    [`typescript (from ${projectDir})`, () => createRequire(path.join(projectDir, "package.json"))("typescript")],
    // This package's own dependency typescript@6 (npm nests it here when the project's is another major).
    ["typescript (traced-allocator's own)", () => require("typescript")],
    ["@typescript/typescript6", () => require("@typescript/typescript6")],
  ];
  const found: string[] = [];
  for (const [name, load] of candidates) {
    let mod: Partial<TS> | undefined;
    try {
      mod = load() as Partial<TS>;
    } catch {
      continue;
    }
    if (mod && typeof mod.createLanguageService === "function" && /^[56]\./.test(mod.version ?? "")) return mod as TS;
    found.push(`${name} ${mod?.version ?? "(no JavaScript API)"}`);
  }
  throw new Error(
    `traced-allocator/unplugin: no TypeScript 5 or 6 to read the program with (found: ${found.join(", ") || "none"}). ` +
      `Reinstall traced-allocator, which brings TypeScript 6 along (npm install --save-dev traced-allocator).`,
  );
}

const normalize = (file: string) => path.resolve(file).split(path.sep).join("/");

export class Project {
  readonly dir: string;
  private readonly service: ts.LanguageService;
  private readonly roots: Set<string>;
  /** Texts given by the bundler that differ from the disk, and a version per changed file. */
  private readonly texts = new Map<string, string>();
  private readonly versions = new Map<string, number>();
  private version = 0;
  private context: { program: ts.Program; fc: FileContext } | undefined;

  constructor(
    private readonly ts: TS,
    readonly configPath: string,
    private readonly options: Options,
    readonly parsed: ts.ParsedCommandLine,
  ) {
    this.dir = path.dirname(configPath);
    const settings: ts.CompilerOptions = { ...parsed.options, moduleDetection: ts.ModuleDetectionKind.Force };
    this.roots = new Set(parsed.fileNames.map(normalize));
    const sys = ts.sys;
    const host: ts.LanguageServiceHost = {
      getProjectVersion: () => String(this.version),
      getCompilationSettings: () => settings,
      getScriptFileNames: () => [...this.roots],
      getScriptVersion: (f) => String(this.versions.get(f) ?? 0),
      getScriptSnapshot: (f) => {
        const text = this.texts.get(f) ?? sys.readFile(f);
        return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
      },
      getCurrentDirectory: () => this.dir,
      getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
      fileExists: sys.fileExists,
      readFile: sys.readFile,
      readDirectory: sys.readDirectory,
      directoryExists: sys.directoryExists,
      getDirectories: sys.getDirectories,
      realpath: sys.realpath,
      useCaseSensitiveFileNames: () => sys.useCaseSensitiveFileNames,
    };
    this.service = ts.createLanguageService(host, ts.createDocumentRegistry());
  }

  /** Whether the tsconfig lists the file (or its program reached it already). */
  has(id: string): boolean {
    const file = normalize(id);
    return this.roots.has(file) || !!this.context?.program.getSourceFile(file);
  }

  /** The file as the bundler has it, in the current program (a new version when the text is new). */
  sourceFile(id: string, code: string): { sf: ts.SourceFile; fc: FileContext } {
    const file = normalize(id);
    let program = this.program();
    let sf = program.getSourceFile(file);
    if (!sf || sf.text !== code) {
      this.texts.set(file, code);
      this.versions.set(file, (this.versions.get(file) ?? 0) + 1);
      if (!sf) this.roots.add(file); // not in the tsconfig: typed with its options
      this.version++;
      program = this.program();
      sf = program.getSourceFile(file);
      if (!sf) throw new Error(`traced-allocator/unplugin: TypeScript did not read ${id} into the program of ${this.configPath}`);
    }
    return { sf, fc: this.context!.fc };
  }

  /** The bundler says a file changed on disk (watch mode): read it again. */
  changed(id: string): void {
    const file = normalize(id);
    this.texts.delete(file);
    this.versions.set(file, (this.versions.get(file) ?? 0) + 1);
    this.version++;
  }

  private program(): ts.Program {
    const program = this.service.getProgram();
    if (!program) throw new Error(`traced-allocator/unplugin: TypeScript made no program of ${this.configPath}`);
    if (this.context?.program !== program) this.context = { program, fc: fileContext(this.ts, program, this.options, { bundle: true }) };
    return program;
  }

  dispose(): void {
    this.service.dispose();
  }
}

/** Reads a tsconfig (with `extends`); a message naming the problem when it cannot be read. */
export function readConfig(ts: TS, configPath: string): ts.ParsedCommandLine {
  if (!fs.existsSync(configPath)) throw new Error(`traced-allocator/unplugin: ${configPath} does not exist. Set the plugin's 'tsconfig' option to the project's tsconfig.json.`);
  let fatal: ts.Diagnostic | undefined;
  const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      fatal = d;
    },
  });
  const errors = [...(fatal ? [fatal] : []), ...(parsed?.errors ?? [])].filter(
    (d) => d.category === ts.DiagnosticCategory.Error && d.code !== 18003, // 18003: no inputs (a solution tsconfig with references only)
  );
  if (!parsed || errors.length > 0) {
    const text = ts.formatDiagnostics(errors, {
      getCanonicalFileName: (f) => f,
      getCurrentDirectory: () => path.dirname(configPath),
      getNewLine: () => "\n",
    });
    throw new Error(`traced-allocator/unplugin: cannot read ${configPath}:\n${text}`);
  }
  return parsed;
}
