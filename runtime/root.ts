/**
 * The project root: every location in a run is relative to it, whether it came from a hoisted
 * site (the transformer wrote it relative to the root) or from a stack trace (made relative here).
 */
import * as path from "node:path";

let rootDir = process.cwd();
let rootKnown = false;

/** The folder every location of this run is relative to. */
export function root(): string {
  return rootDir;
}

/**
 * A traced module's path, relative to the project root, for its site table. `here` is the emitted
 * file (`__filename` or `import.meta.url`) and `up` the root relative to the emitted file's folder:
 * the first traced module not under node_modules tells the runtime where the root is, so that
 * stack-trace locations use the same base as the sites. Transformed code only.
 */
export function file(rel: string, here?: string, up?: string): string {
  if (!rootKnown && typeof here === "string" && typeof up === "string") {
    try {
      const f = here.startsWith("file:") ? (require("node:url") as typeof import("node:url")).fileURLToPath(here) : here;
      const dir = path.resolve(path.dirname(f), up);
      // A dependency's root is not the run's: its sites stay relative to its own package.
      if (!/[\\/]node_modules[\\/]/.test(dir + path.sep)) {
        rootDir = dir;
        rootKnown = true;
      }
    } catch {
      // not a file (a bundle, a data: URL): stack locations stay relative to the working directory
    }
  }
  return rel;
}

