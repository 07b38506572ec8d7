/**
 * traced-allocator/ts-node: ts-node with the transformer, for `node -r traced-allocator/ts-node
 * src/main.ts`. It calls ts-node's own
 * `register()` (the project's ts-node, found from the current folder) with one option added,
 * `transformers: (program) => ({ before: [transformer] })`; every other option is ts-node's as
 * usual (its tsconfig "ts-node" section, TS_NODE_* variables). The transformer's options are the
 * tsconfig's plugins entry for traced-allocator/transformer, when there is one.
 *
 * Where the project's typescript has no compiler API (TypeScript 7) or is missing, ts-node is
 * given traced-allocator's own TypeScript 6 as its `compiler`.
 *
 * Not with the `ts-node` command itself: that registers ts-node before `-r` modules load, so this
 * would register it a second time; use `node -r traced-allocator/ts-node`.
 */
import type * as ts from "typescript";
import { createRequire } from "node:module";
import * as path from "node:path";
import tracedAllocator from "./index";
import { pluginsOf } from "./options";
import { ownTypeScript, plainError, projectTypeScript } from "./loaders";

/** What this module uses of ts-node's `register()` and the service it returns. */
interface TsNode {
  register(options: {
    transformers: (program: ts.Program) => ts.CustomTransformers;
    compiler?: string;
  }): { ts: typeof import("typescript") };
}

export const transpileOnlyMessage =
  "traced-allocator/ts-node: ts-node runs with transpileOnly (its option, TS_NODE_TRANSPILE_ONLY, or the " +
  'tsconfig\'s "ts-node": { "transpileOnly": true }), which compiles each file on its own, without the type ' +
  "checker the transformer needs to find allocation sites. Turn transpileOnly off for the traced run " +
  "(TS_NODE_TRANSPILE_ONLY=false), or build with 'npx traced-alloc build' and run the output.";

function loadTsNode(dir: string): TsNode {
  try {
    return createRequire(path.join(dir, "package.json"))("ts-node") as TsNode;
  } catch {
    throw plainError(`traced-allocator/ts-node: ts-node cannot be found from ${dir}: install it in the project (npm install --save-dev ts-node).`);
  }
}

/** Registers ts-node with the transformer; returns ts-node's service. */
export function register(dir: string = process.cwd()): { ts: typeof import("typescript") } {
  const tsNode = loadTsNode(dir);
  let compiler: string | undefined;
  if (projectTypeScript(dir) === undefined) compiler = ownTypeScript()?.file;
  let service: { ts: typeof import("typescript") } | undefined;
  const transformers = (program: ts.Program): ts.CustomTransformers => {
    const { entry } = pluginsOf(program.getCompilerOptions());
    // ts-node may call this while register() runs (its incremental mode), before `service` is set.
    const tsi = service?.ts ?? (compiler !== undefined ? (require(compiler) as typeof import("typescript")) : undefined);
    return { before: [tracedAllocator(program, entry ?? {}, tsi !== undefined ? { ts: tsi } : {})] };
  };
  try {
    service = tsNode.register({ transformers, ...(compiler !== undefined ? { compiler } : {}) });
  } catch (e) {
    if (/unavailable in "--transpile-only"/.test((e as Error).message)) throw plainError(transpileOnlyMessage);
    throw e;
  }
  return service;
}

// As a preload (`node -r`): a setup that cannot trace stops the program with the message alone.
try {
  register();
} catch (e) {
  if (!(e instanceof Error && e.message.startsWith("traced-allocator/ts-node:"))) throw e;
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
}
