/**
 * What the loader entries (traced-allocator/ts-jest, traced-allocator/ts-node), the transformer
 * called by hand (ts-loader) and `traced-alloc build` share: which TypeScript to use, and errors for
 * hosts that print a thrown error's stack.
 */
import { createRequire } from "node:module";
import * as path from "node:path";

type TS = typeof import("typescript");

/** A TypeScript with the JavaScript compiler API: 5.x or 6.x (7 is the native compiler: its package gives only `{ version }`). */
export function hasCompilerApi(mod: unknown): mod is TS {
  const t = mod as Partial<TS> | undefined;
  const major = Number(String(t?.version ?? "").split(".")[0]);
  return major >= 5 && major < 7 && typeof t?.createProgram === "function";
}

/** `typescript` as the project in `dir` has it, if it has the compiler API. */
export function projectTypeScript(dir: string): { ts: TS; file: string } | undefined {
  try {
    const req = createRequire(path.join(dir, "package.json"));
    const file = req.resolve("typescript");
    const ts: unknown = req(file);
    return hasCompilerApi(ts) ? { ts, file } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * traced-allocator's own TypeScript 6: its dependency `typescript` (installed beside the package
 * when the project's is another major), else `@typescript/typescript6` where that is installed.
 */
export function ownTypeScript(load: (file: string) => unknown = require): { ts: TS; name: string; file: string } | undefined {
  for (const name of ["typescript", "@typescript/typescript6"]) {
    try {
      const file = require.resolve(name);
      const ts: unknown = load(file);
      if (hasCompilerApi(ts)) return { ts, name, file };
    } catch {
      // not installed, or no API: the next
    }
  }
  return undefined;
}

/**
 * The TypeScript for a host that does not say which it uses (ts-loader's getCustomTransformers): the
 * project's (the current folder's, where the host loads it from), else our own; else whatever
 * `typescript` is, so that the transformer says why it cannot run in it.
 */
export function hostTypeScript(): TS {
  return projectTypeScript(process.cwd())?.ts ?? ownTypeScript()?.ts ?? (require("typescript") as TS);
}

/** An Error that prints as its message alone (Jest, webpack and Node show a thrown error's stack). */
export function plainError(message: string): Error {
  const e = new Error(message);
  e.stack = `Error: ${message}`;
  return e;
}
