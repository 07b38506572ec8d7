/**
 * traced-allocator's transformer in a `traced-alloc build`: its options from the tsconfig's
 * `plugins` entry (when there is one), and every emit of a program (or a builder program, in
 * incremental and watch builds) made with it, as ts-patch would: the entry is the transformer's
 * `config`, `extras` has `ts` and `addDiagnostic`, and the diagnostics it adds come out with the
 * emit's own (so tsc's reporting and exit status count them).
 */
import type * as ts from "typescript";
import tracedAllocator from "../../transformer";
import { pluginsOf } from "../../transformer/options";

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
