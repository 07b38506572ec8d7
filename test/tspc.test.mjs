// The fixtures built the way users build: by a real `tspc` (ts-patch's compiler), which loads the
// plugin from the tsconfig `plugins` entry, not by the in-process harness. Each fixture with an
// expected.log is copied into a scratch project outside the repo (node_modules/traced-allocator ->
// this repo, node_modules/@types -> the repo's), built with `--outDir`, run with TRACED_ALLOC=log,
// and its trace compared with expected.log.
//
// TA_TSPC selects another tspc binary (e.g. TypeScript 5.9 + ts-patch 3.3: npm run test:ts5);
// default: this repo's node_modules/.bin/tspc.
//
// Why copy: a user's project sits outside this repo and finds the plugin in its node_modules.
// (ts-patch resolves `transform` with require.resolve(name, {paths: [projectDir]}) from its own
// folder, so Node's package self-reference never applies; in the repo only the prepare-time link
// node_modules/traced-allocator -> .. makes in-place builds work.) Option diagnostics through tspc
// are in transformer.test.mjs.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { spawnAsync } from "./support/spawn.mjs";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const fixturesDir = path.join(repoRoot, "fixtures");
const tspc = process.env.TA_TSPC ? path.resolve(process.env.TA_TSPC) : path.join(repoRoot, "node_modules/.bin/tspc");

const fixtures = fs
  .readdirSync(fixturesDir)
  .filter(
    (d) =>
      fs.existsSync(path.join(fixturesDir, d, "tsconfig.json")) &&
      fs.existsSync(path.join(fixturesDir, d, "expected.log")) &&
      !fs.existsSync(path.join(fixturesDir, d, ".not-a-fixture")),
  );

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 120_000, ...opts, env: { ...process.env, ...(opts.env ?? {}) } });
  if (r.error) throw r.error;
  return r;
}

const tsVersion = (() => {
  const r = sh(tspc, ["--version"]);
  const m = /Version (\S+)/.exec(r.stdout);
  if (!m) throw new Error(`${tspc} --version printed ${JSON.stringify(r.stdout + r.stderr)}`);
  return m[1];
})();

const logLines = (stderr) => stderr.split("\n").filter((l) => /^(alloc|realloc|dealloc) /.test(l));

let root;
/** An empty project folder outside the repo that resolves `traced-allocator` and `@types/*`. */
function project(name) {
  root ??= fs.mkdtempSync(path.join(os.tmpdir(), "traced-alloc-tspc-"));
  const dir = path.join(root, name);
  fs.mkdirSync(path.join(dir, "node_modules"), { recursive: true });
  fs.symlinkSync(repoRoot, path.join(dir, "node_modules", "traced-allocator"), "dir");
  fs.symlinkSync(path.join(repoRoot, "node_modules", "@types"), path.join(dir, "node_modules", "@types"), "dir");
  return dir;
}

/** Runs tspc -p <dir> with extra arguments, without blocking; tsc prints its diagnostics on stdout. */
function build(dir, args = []) {
  return spawnAsync(tspc, ["-p", dir, ...args], { cwd: dir });
}

/** Runs `fn` over `items`, at most `n` at a time (builds are CPU-bound: one per core). */
async function pool(items, n, fn) {
  const queue = [...items];
  const worker = async () => {
    while (queue.length > 0) await fn(queue.shift());
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, worker));
}
const cores = os.availableParallelism?.() ?? os.cpus().length;

after(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

describe(`tspc (${path.relative(repoRoot, tspc) || tspc}, TypeScript ${tsVersion})`, function () {
  this.timeout(180_000);

  /** name -> {dir, outDir, built}: every fixture copied into a scratch project and built by tspc. */
  const builds = new Map();
  before(async () => {
    await pool(fixtures, cores, async (name) => {
      const src = path.join(fixturesDir, name);
      const dir = project(name);
      const skip = new Set(["node_modules", "dist", "expected", "expected.log"]);
      for (const entry of fs.readdirSync(src)) {
        if (!skip.has(entry)) fs.cpSync(path.join(src, entry), path.join(dir, entry), { recursive: true });
      }
      const outDir = path.join(dir, "out");
      builds.set(name, { dir, outDir, built: await build(dir, ["--outDir", outDir]) });
    });
  });

  for (const name of fixtures) {
    describe(name, () => {
      const src = path.join(fixturesDir, name);
      const metaFile = path.join(src, "fixture.json");
      const meta = fs.existsSync(metaFile) ? JSON.parse(fs.readFileSync(metaFile, "utf8")) : {};
      const main = meta.main ?? "src/main.js";
      let dir, outDir, built;
      before(() => ({ dir, outDir, built } = builds.get(name)));

      it("builds without diagnostics", () => {
        expect(built.stdout + built.stderr).to.equal("");
        expect(built.status).to.equal(0);
      });

      it("logs the expected trace (expected.log)", () => {
        const file = path.join(outDir, main);
        const r = sh(process.execPath, [...(meta.nodeArgs ?? []), file], {
          // as in fixtures.test.mjs: "cwd": "project" runs from the project folder, else from the script's
          cwd: meta.cwd === "project" ? dir : path.dirname(file),
          env: { TRACED_ALLOC: "log" },
          timeout: 60_000,
        });
        expect(r.signal, r.stderr).to.equal(null);
        const expected = fs.readFileSync(path.join(src, "expected.log"), "utf8");
        expect(logLines(r.stderr).join("\n") + "\n").to.equal(expected, `trace of ${name} built by tspc`);
      });
    });
  }

  // ts-patch gives tsc full JSDoc parsing (TypeScript >= 5.3 skips most JSDoc in .ts files) when a
  // plugin's package.json says "tsp": {"tscOptions": {"parseAllJsDoc": true}}. We do not ask for it:
  // it costs every build 0.1-0.4 s, and marks.ts reads `@track_caller` from the comment text. A probe
  // transformer, run before ours, reads the JSDoc tags of a `/** @track_caller */` function: with our
  // plugin in the list, parsing must be what it is without (the control), and the call still rewritten.
  it("finds @track_caller without making tsc parse all JSDoc", async function () {
    const probeTags = async (withPlugin) => {
      const dir = project(withPlugin ? "jsdoc-with-plugin" : "jsdoc-control");
      const probe = path.join(dir, "node_modules", "ta-jsdoc-probe");
      fs.mkdirSync(probe);
      fs.writeFileSync(path.join(probe, "package.json"), JSON.stringify({ name: "ta-jsdoc-probe", version: "0.0.0", main: "index.js" }));
      fs.writeFileSync(
        path.join(probe, "index.js"),
        `const fs = require("node:fs");
module.exports = (program, config, extras) => {
  const ts = extras.ts;
  return () => (sf) => {
    if (sf.isDeclarationFile) return sf;
    const fn = sf.statements.find(ts.isFunctionDeclaration);
    fs.writeFileSync(config.out, JSON.stringify(fn ? ts.getJSDocTags(fn).map((t) => t.tagName.text) : null));
    return sf;
  };
};
`,
      );
      fs.mkdirSync(path.join(dir, "src"));
      fs.writeFileSync(
        path.join(dir, "src/main.ts"),
        "/** @track_caller */\nexport function make(n: number): Uint8Array {\n  return new Uint8Array(n);\n}\nconsole.log(make(4).length);\n",
      );
      const out = path.join(dir, "probe.json");
      const plugins = [{ transform: "ta-jsdoc-probe", out }];
      if (withPlugin) plugins.push({ transform: "traced-allocator/transformer" });
      fs.writeFileSync(
        path.join(dir, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: { target: "ES2022", module: "commonjs", types: [], strict: true, skipLibCheck: true, rootDir: ".", outDir: "out", plugins },
          include: ["src"],
        }),
      );
      const r = await build(dir);
      expect(r.status, r.stdout + r.stderr).to.equal(0);
      return JSON.parse(fs.readFileSync(out, "utf8"));
    };
    const [withPlugin, control] = await Promise.all([probeTags(true), probeTags(false)]);
    expect(withPlugin).to.deep.equal(control);
    const js = fs.readFileSync(path.join(root, "jsdoc-with-plugin", "out", "src", "main.js"), "utf8");
    expect(js).to.match(/make\(\(_\w+ = 4, \(typeof __ta_s_\d+ === "object" \? __ta_\d*\.at\(__ta_s_\d+, _\w+\)/);
  });
});
