/**
 * traced-allocator/transformer: the source transformer, as ts-patch, `traced-alloc build` and the
 * loaders (ts-loader, ts-jest, ts-node) call it.
 *
 * tsconfig.json: {"compilerOptions": {"plugins": [{"transform": "traced-allocator/transformer"}]}}
 *
 * It takes the TypeScript instance from the host (`extras.ts`), so the same build works with
 * TypeScript 5.x (ts-patch 3) and 6.x (ts-patch 4). It knows the runtime only by the names in
 * runtime/names.ts. It needs the program's type checker: a host that compiles each file on its own
 * (transpileOnly, isolatedModules, `ts.transpileModule`) gets one message saying what to change.
 */
import type * as ts from "typescript";
import * as path from "node:path";
import { parseOptions } from "./options";
import { Marks } from "./marks";
import { transformSourceFile, type FileContext } from "./visit";
import { Resolver } from "./resolve";
import { hostTypeScript, plainError } from "./loaders";

export interface TransformerExtras {
  ts?: typeof import("typescript");
  addDiagnostic?: (diag: ts.Diagnostic) => number;
}

/**
 * The program to take types from: the program itself (ts-patch, `traced-alloc build`, ts-node), or
 * a function that returns the host's current one (ts-loader's `getProgram`, whose program changes
 * as webpack loads files).
 */
export type ProgramSource = ts.Program | (() => ts.Program | undefined) | undefined;

export { parseOptions } from "./options";

/** The message for a TypeScript this transformer cannot run in. */
export function unsupportedTypeScript(version: string): string | undefined {
  const major = Number(version.split(".")[0]);
  if (major >= 5 && major < 7) return undefined;
  if (major >= 7) {
    return (
      `traced-allocator: TypeScript ${version} has no transformer API (TypeScript 7 is the native compiler). ` +
      `Build with 'npx traced-alloc build' (it brings TypeScript 6 along), or install TypeScript 6 beside it: ` +
      `npm install --save-dev typescript@6 ts-patch@4, and run tspc (keep tsgo for type checking if you like).`
    );
  }
  return `traced-allocator: TypeScript ${version} is too old. Install TypeScript 6 (npm install --save-dev typescript@6 ts-patch@4) or 5.x with ts-patch@3.3.`;
}

/** Every diagnostic of ours has this code: `error TS990001: traced-allocator: …`. */
export const DIAGNOSTIC_CODE = 990001;

/** For a file compiled without a type checker (`file` as the host named it). */
export function noCheckerMessage(file: string): string {
  return (
    `traced-allocator: ${file} is compiled on its own, without a type checker (ts-loader's 'transpileOnly', ` +
    `ts-jest with 'isolatedModules', ts-node's 'transpileOnly', or ts.transpileModule), and the transformer ` +
    `needs the program's types to find allocation sites. Turn that option off for the traced build, ` +
    `or build with 'npx traced-alloc build' or the bundler plugin traced-allocator/unplugin.`
  );
}

/** For a file that is not in the program the transformer was given. */
export function staleProgramMessage(file: string): string {
  return (
    `traced-allocator: ${file} is not in the program the transformer was given (a program made before ` +
    `the file was loaded or changed), so it has no types for it. Give the transformer the host's current ` +
    `program: with ts-loader, getCustomTransformers: (program, getProgram) => ({ before: [tracedAllocator(getProgram)] }).`
  );
}

/** Whether `program` is one that `ts.transpileModule` (or a copy of it) made for one file. */
function isTranspileProgram(program: ts.Program): boolean {
  const o = program.getCompilerOptions();
  return o.noResolve === true && o.noLib === true;
}

function isProgram(p: unknown): p is ts.Program {
  return typeof p === "object" && p !== null && typeof (p as ts.Program).getTypeChecker === "function";
}

export default function tracedAllocator(
  program: ProgramSource,
  config: Record<string, unknown> = {},
  extras: TransformerExtras = {},
): ts.TransformerFactory<ts.SourceFile> {
  const tsi: typeof import("typescript") = extras.ts ?? hostTypeScript();
  const identity: ts.TransformerFactory<ts.SourceFile> = () => (sf) => sf;
  /** A diagnostic where the host takes them (ts-patch, traced-alloc build), else a thrown Error. */
  const report = (messageText: string) => {
    const diag: ts.Diagnostic = {
      category: tsi.DiagnosticCategory.Error,
      code: DIAGNOSTIC_CODE,
      file: undefined,
      start: undefined,
      length: undefined,
      messageText,
    };
    if (extras.addDiagnostic) extras.addDiagnostic(diag);
    else throw plainError(messageText);
  };

  const bad = unsupportedTypeScript(tsi.version);
  if (bad) {
    report(bad);
    return identity;
  }
  const current = typeof program === "function" ? program : () => program;
  if (typeof program !== "function" && !isProgram(program)) {
    report(noCheckerMessage("the code"));
    return identity;
  }

  /** The options, checked (and any error reported) once per project folder. */
  let checked: { projectDir: string; parsed: ReturnType<typeof parseOptions> } | undefined;
  /** The context of the last program seen: marks and types are per program. */
  let last: { program: ts.Program; fc: FileContext | undefined } | undefined;
  const contextOf = (p: ts.Program): FileContext | undefined => {
    if (last?.program === p) return last.fc;
    const options = p.getCompilerOptions();
    const projectDir = options.configFilePath ? path.dirname(options.configFilePath as string) : p.getCurrentDirectory();
    if (checked?.projectDir !== projectDir) {
      checked = { projectDir, parsed: parseOptions(config, projectDir) };
      for (const e of checked.parsed.errors) report(e);
    }
    const parsed = checked.parsed;
    if (parsed.errors.length > 0) {
      last = { program: p, fc: undefined };
      return undefined;
    }
    const checker = p.getTypeChecker();
    const fc: FileContext = {
      ts: tsi,
      program: p,
      checker,
      marks: new Marks(tsi, checker, p),
      resolver: new Resolver(tsi, p, checker),
      root: parsed.options.root,
      runtime: parsed.options.runtime,
    };
    last = { program: p, fc };
    return fc;
  };

  // ts-patch and traced-alloc build give the program itself: its options are checked now, so that
  // a bad option is reported even when no file is emitted.
  if (isProgram(program) && !isTranspileProgram(program) && contextOf(program) === undefined) return identity;

  /** One message for files the transformer cannot type, then such files are left as they are. */
  let told = false;
  const cannot = (message: string) => {
    if (told) return;
    told = true;
    report(message);
  };
  return (context) => (sf) => {
    if (sf.isDeclarationFile) return sf;
    const p = current();
    const original = tsi.getOriginalNode(sf) as ts.SourceFile;
    if (!isProgram(p) || isTranspileProgram(p) || p.getRootFileNames().length === 0) {
      cannot(noCheckerMessage(sf.fileName));
      return sf;
    }
    if (p.getSourceFile(original.fileName) !== original) {
      cannot(staleProgramMessage(sf.fileName));
      return sf;
    }
    const fc = contextOf(p);
    return fc === undefined ? sf : transformSourceFile(fc, context, sf);
  };
}
