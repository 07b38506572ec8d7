/**
 * traced-allocator/ts-jest: the transformer as ts-jest's `astTransformers` expect one, a module
 * with `name`, `version` and `factory(tsCompiler, options)` (ts-jest 29):
 *
 *   transform: { "^.+\\.tsx?$": ["ts-jest", { astTransformers: { before: ["traced-allocator/ts-jest"] } }] }
 *
 * or `{ path: "traced-allocator/ts-jest", options: { root, runtime } }` for the plugin options.
 * ts-jest calls `factory` with its compiler: the TypeScript it loaded (`configSet.compilerModule`)
 * and, when it type checks, a language service whose program changes as files are compiled (so the
 * transformer asks it for the current program at each file). With `isolatedModules` ts-jest
 * compiles each file on its own, without types: then `factory` throws one error saying what to set.
 */
import type * as ts from "typescript";
import tracedAllocator from "./index";
import { plainError } from "./loaders";

/** What ts-jest passes as `tsCompiler` (its TsCompiler), as far as the transformer reads it. */
export interface TsJestCompiler {
  configSet: { compilerModule: typeof import("typescript"); isolatedModules?: boolean };
  /** Set when ts-jest type checks: the program at the time the compiler was made. */
  program?: ts.Program;
  /** Private to ts-jest: the language service whose current program holds the file being compiled. */
  _languageService?: { getProgram(): ts.Program | undefined };
}

/** ts-jest logs a warning for a transformer without a name or version, and keys its cache on both. */
export const name = "traced-allocator";
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const version: string = (require("../../package.json") as { version: string }).version;

/** The message for ts-jest's isolatedModules (no program, no types). */
export const isolatedModulesMessage =
  "traced-allocator/ts-jest: ts-jest compiles each file on its own here (isolatedModules is true, in ts-jest's " +
  "options or in the tsconfig ts-jest reads), so the transformer has no type checker to find allocation sites. " +
  "Give ts-jest isolatedModules: false for the traced run, e.g. " +
  'transform: { "^.+\\\\.tsx?$": ["ts-jest", { tsconfig: { isolatedModules: false }, astTransformers: { before: ["traced-allocator/ts-jest"] } }] }.';

export function factory(tsCompiler: TsJestCompiler, options?: Record<string, unknown>): ts.TransformerFactory<ts.SourceFile> {
  if (tsCompiler.configSet.isolatedModules) throw plainError(isolatedModulesMessage);
  const service = tsCompiler._languageService;
  const program = typeof service?.getProgram === "function" ? () => service.getProgram() : tsCompiler.program;
  return tracedAllocator(program, options ?? {}, { ts: tsCompiler.configSet.compilerModule });
}
