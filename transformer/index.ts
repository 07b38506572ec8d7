/**
 * traced-allocator/transformer: the ts-patch source transformer.
 *
 * tsconfig.json: {"compilerOptions": {"plugins": [{"transform": "traced-allocator/transformer"}]}}
 *
 * It takes the TypeScript instance from ts-patch (`extras.ts`), so the same build works with
 * TypeScript 5.x (ts-patch 3) and 6.x (ts-patch 4). It knows the runtime only by the names in
 * runtime/names.ts.
 */
import type * as ts from "typescript";
import * as path from "node:path";
import { parseOptions } from "./options";
import { Marks } from "./marks";
import { transformSourceFile } from "./visit";
import { Resolver } from "./resolve";

export interface TransformerExtras {
  ts?: typeof import("typescript");
  addDiagnostic?: (diag: ts.Diagnostic) => number;
}

export { parseOptions } from "./options";

/** The message for a TypeScript this transformer cannot run in. */
export function unsupportedTypeScript(version: string): string | undefined {
  const major = Number(version.split(".")[0]);
  if (major >= 5 && major < 7) return undefined;
  if (major >= 7) {
    return (
      `traced-allocator: TypeScript ${version} has no transformer API (TypeScript 7 is the native compiler). ` +
      `Build with TypeScript 6: npm install --save-dev typescript@6 ts-patch@4, and run tspc (keep tsgo for type checking if you like).`
    );
  }
  return `traced-allocator: TypeScript ${version} is too old. Install TypeScript 6 (npm install --save-dev typescript@6 ts-patch@4) or 5.x with ts-patch@3.3.`;
}

const DIAGNOSTIC_CODE = 990001;

export default function tracedAllocator(
  program: ts.Program,
  config: Record<string, unknown> = {},
  extras: TransformerExtras = {},
): ts.TransformerFactory<ts.SourceFile> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tsi: typeof import("typescript") = extras.ts ?? require("typescript");
  const identity: ts.TransformerFactory<ts.SourceFile> = () => (sf) => sf;
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
    else throw new Error(messageText);
  };

  const bad = unsupportedTypeScript(tsi.version);
  if (bad) {
    report(bad);
    return identity;
  }
  const options = program.getCompilerOptions();
  const projectDir = options.configFilePath
    ? path.dirname(options.configFilePath as string)
    : program.getCurrentDirectory();
  const parsed = parseOptions(config, projectDir);
  if (parsed.errors.length > 0) {
    for (const e of parsed.errors) report(e);
    return identity;
  }
  const checker = program.getTypeChecker();
  const fc = {
    ts: tsi,
    program,
    checker,
    marks: new Marks(tsi, checker),
    resolver: new Resolver(tsi, program, checker),
    root: parsed.options.root,
    runtime: parsed.options.runtime,
  };
  return (context) => (sf) => transformSourceFile(fc, context, sf);
}
