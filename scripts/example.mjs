// npm run example: builds fixtures/example with tspc and the plugin, as a user's build step would,
// then runs it with TRACED_ALLOC=log,summary. Every event names a line of fixtures/example/src/main.ts.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const project = path.join(root, "fixtures", "example");
const outDir = path.join(root, ".tmp", "example");

function step(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: "inherit", ...opts });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (!fs.existsSync(path.join(root, "dist", "transformer", "index.js"))) {
  step(process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", root]);
}
fs.rmSync(outDir, { recursive: true, force: true });
console.log(`$ tspc -p fixtures/example --outDir .tmp/example`);
step(process.execPath, [path.join(root, "node_modules", "ts-patch", "bin", "tspc.js"), "-p", project, "--outDir", outDir]);
console.log(`$ TRACED_ALLOC=log,summary node --expose-gc .tmp/example/src/main.js`);
step(process.execPath, ["--expose-gc", path.join(outDir, "src", "main.js")], {
  cwd: root,
  env: { ...process.env, TRACED_ALLOC: "log,summary" },
});
