/**
 * `traced-alloc build [-p tsconfig.json] [--watch] [tsc options] [files]`: tsc's build with
 * traced-allocator's transformer, through TypeScript's API (no ts-patch, nothing patched). The
 * compile itself is build/compile.ts; which TypeScript, build/typescript.ts; the transformer's
 * options and emits, build/plugin.ts.
 */
import * as path from "node:path";
import { type Command, type Io, UsageError } from "./command";
import { saveCodeCache } from "./build/code-cache";
import { compile } from "./build/compile";
import { chooseTypeScript } from "./build/typescript";

const help = `traced-alloc build [-p tsconfig.json] [--watch] [tsc options] [files]

Builds the project as tsc does, with traced-allocator's transformer in the emit, through
TypeScript's API: no ts-patch, nothing patched. The tsconfig is found as tsc finds it (-p FILE or
FOLDER, else tsconfig.json in the current folder or the nearest one above). Its plugins entry
{"transform": "traced-allocator/transformer", ...} is optional: when there, it gives the
transformer's options (root, runtime). Other ts-patch transformers in "plugins" are not run
(a line on stderr says so); tspc runs them.

Every tsc option works as it does with tsc (--outDir, --noEmit, --incremental, --pretty, --watch,
--listFiles, ...), except --build (project references: build each project with -p, the
referenced ones first). Incremental builds (.tsbuildinfo) do not know about the transformer: after
changing its options or version, build once without the .tsbuildinfo.

TypeScript: the project's own typescript (5.x or 6.x). Where that is TypeScript 7 (the native
compiler, with no compiler API) or missing, the TypeScript 6 that traced-allocator depends on, and
a line on stderr says so.

Output: tsc's, on stdout: diagnostics as tsc prints them (colors and source context on a terminal
or with --pretty; NO_COLOR and FORCE_COLOR as tsc reads them), the transformer's own as
error TS990001.

Exit status: tsc's: 0 no errors; 1 errors, nothing emitted (or a bad tsc option); 2 errors, the
output emitted all the same. 2 also when there is no tsconfig to build (a message on stderr).

Options of its own:
  -h, --help  this text (tsc's own: 'npx tsc --help')

Examples:
  traced-alloc build                       # ./tsconfig.json
  traced-alloc build -p tsconfig.build.json --outDir dist-traced
  traced-alloc build --watch
`;

/** The folder whose `typescript` the build uses: that of -p, else the current one. */
function projectDirOf(args: string[], cwd: string): string {
  const i = args.findIndex((a) => /^(-p|--project)$/i.test(a));
  const p = i >= 0 ? args[i + 1] : undefined;
  if (p === undefined) return cwd;
  const abs = path.resolve(cwd, p);
  return /\.json$/i.test(abs) ? path.dirname(abs) : abs;
}

export const command: Command = {
  name: "build",
  summary: "a traced build through TypeScript's API (no ts-patch)",
  help,
  async run(args: string[], io: Io): Promise<number> {
    if (args.some((a) => a === "-h" || a === "--help" || a === "-?")) {
      io.out(help);
      return 0;
    }
    if (args.length > 0 && /^--?(b|build)$/i.test(args[0])) {
      throw new UsageError(
        `build: --build (tsc's project references mode) is not supported: build each project with 'traced-alloc build -p <its tsconfig>', the referenced ones first`,
      );
    }
    // As TypeScript's own bin/tsc does: Node's compile cache (Node 22.1 and later) for what loads next.
    (require("node:module") as { enableCompileCache?: () => unknown }).enableCompileCache?.();
    const chosen = chooseTypeScript(projectDirOf(args, io.cwd));
    if (chosen.from === "bundled") {
      io.err(`traced-alloc build: ${chosen.why}: building with traced-allocator's own TypeScript ${chosen.ts.version} (${chosen.name}).\n`);
    }
    const status = await compile(chosen.ts, args, { write: io.out, note: io.err, cwd: io.cwd, env: io.env });
    saveCodeCache(); // Node 20: the TypeScript it compiled, for the next build (see build/code-cache.ts)
    return status;
  },
};
