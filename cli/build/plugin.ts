/**
 * traced-allocator's transformer in a `traced-alloc build`: its options from the tsconfig's
 * `plugins` entry (when there is one), and every emit of a program (or a builder program, in
 * incremental and watch builds) made with it, as ts-patch would: the entry is the transformer's
 * `config`, `extras` has `ts` and `addDiagnostic`, and the diagnostics it adds come out with the
 * emit's own (so tsc's reporting and exit status count them).
 */
import type * as ts from "typescript";
import * as path from "node:path";
import tracedAllocator from "../../transformer";

/** A tsconfig `plugins` entry, as ts-patch reads it. */
export interface PluginEntry {
  transform?: string;
  after?: boolean;
  afterDeclarations?: boolean;
  [key: string]: unknown;
}

/** This package's transformer module and its main (the package root, `"transform": "traced-allocator"`). */
const OURS = new Set([require.resolve("../../transformer"), require.resolve("../../runtime")]);

/** Whether an entry's `transform` names traced-allocator's transformer (resolved from `dir`, the tsconfig's folder). */
export function isOurs(transform: string, dir: string): boolean {
  if (/^traced-allocator(\/transformer)?$/.test(transform)) return true;
  try {
    return OURS.has(require.resolve(transform, { paths: [dir] }));
  } catch {
    return false;
  }
}

/** Our entry among the plugins (undefined: none, the defaults apply) and the ts-patch transformers that are not run. */
export function pluginsOf(options: ts.CompilerOptions): { entry: PluginEntry | undefined; ignored: string[] } {
  const plugins = (options.plugins ?? []) as unknown as PluginEntry[];
  const dir = typeof options.configFilePath === "string" ? path.dirname(options.configFilePath) : process.cwd();
  let entry: PluginEntry | undefined;
  const ignored: string[] = [];
  for (const p of plugins) {
    // An entry without `transform` is a language service plugin ({"name": …}): not for builds.
    if (typeof p?.transform !== "string") continue;
    if (entry === undefined && isOurs(p.transform, dir)) entry = p;
    else ignored.push(p.transform);
  }
  return { entry, ignored };
}

interface Emitter {
  emit(
    targetSourceFile?: ts.SourceFile,
    writeFile?: ts.WriteFileCallback,
    cancellationToken?: ts.CancellationToken,
    emitOnlyDtsFiles?: boolean,
    customTransformers?: ts.CustomTransformers,
  ): ts.EmitResult;
}

/**
 * Makes every `target.emit` run traced-allocator's transformer over the program `getProgram()`
 * returns, with the options of its tsconfig entry. `target` is a Program or a BuilderProgram.
 */
export function traceEmits(tsi: typeof import("typescript"), target: Emitter, getProgram: () => ts.Program): void {
  const emit = target.emit.bind(target);
  target.emit = (sf, writeFile, cancel, dtsOnly, custom) => {
    if (dtsOnly) return emit(sf, writeFile, cancel, dtsOnly, custom);
    const program = getProgram();
    const { entry } = pluginsOf(program.getCompilerOptions());
    const added: ts.Diagnostic[] = [];
    const factory = tracedAllocator(program, entry ?? {}, { ts: tsi, addDiagnostic: (d) => added.push(d) });
    const ours: ts.CustomTransformers = {
      before: [...(custom?.before ?? []), ...(entry?.after || entry?.afterDeclarations ? [] : [factory])],
      after: [...(custom?.after ?? []), ...(entry?.after ? [factory] : [])],
      afterDeclarations: [
        ...(custom?.afterDeclarations ?? []),
        ...(entry?.afterDeclarations ? [factory as unknown as ts.TransformerFactory<ts.SourceFile | ts.Bundle>] : []),
      ],
    };
    const result = emit(sf, writeFile, cancel, dtsOnly, ours);
    return added.length === 0 ? result : { ...result, diagnostics: [...result.diagnostics, ...added] };
  };
}
