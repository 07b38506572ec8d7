// `traced-alloc build`: tsc's build with the transformer, through TypeScript's API (no ts-patch).
// Each project is a copy of fixtures/build/app in a scratch folder outside the repo, whose
// node_modules links traced-allocator and typescript to this repo's (so "the project's
// typescript" is this repo's TypeScript 6), built through the real bin and compared with what plain
// tsc prints and returns for the same project. The last part installs typescript@7 and this
// package from `npm pack` into a fresh project (the README's TypeScript 7 path).
import { expect } from "chai";
import { createRequire } from "node:module";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { repoRoot } from "./harness.mjs";
import { spawnAsync } from "./support/spawn.mjs";
import { sh, npx, packRepo, install } from "./support/npm.mjs";

const bin = path.join(repoRoot, "dist/cli/main.js");
const tsc = path.join(repoRoot, "node_modules/typescript/bin/tsc");
const tspc = path.join(repoRoot, "node_modules/ts-patch/bin/tspc.js");
const fixture = path.join(repoRoot, "fixtures/build/app");
const tsVersion = JSON.parse(fs.readFileSync(path.join(repoRoot, "node_modules/typescript/package.json"), "utf8")).version;

let root;
before(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), "traced-alloc-build-"))));
after(() => root && fs.rmSync(root, { recursive: true, force: true }));

let count = 0;
/**
 * A copy of fixtures/build/app; `typescript`: "repo" (a link to this repo's), "none", or a folder
 * to link as node_modules/typescript. `tsconfig` is merged into compilerOptions; `files` added.
 */
function project({ typescript = "repo", compilerOptions = {}, files = {} } = {}) {
  const dir = path.join(root, `app-${++count}`);
  fs.cpSync(fixture, dir, { recursive: true });
  const nm = path.join(dir, "node_modules");
  fs.mkdirSync(nm);
  fs.symlinkSync(repoRoot, path.join(nm, "traced-allocator"), "dir");
  if (typescript === "repo") fs.symlinkSync(path.join(repoRoot, "node_modules/typescript"), path.join(nm, "typescript"), "dir");
  else if (typescript !== "none") fs.symlinkSync(typescript, path.join(nm, "typescript"), "dir");
  const config = JSON.parse(fs.readFileSync(path.join(dir, "tsconfig.json"), "utf8"));
  Object.assign(config.compilerOptions, compilerOptions);
  fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(config, null, 2));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const clean = (env) => ({ ...process.env, TRACED_ALLOC: "", NO_COLOR: "", FORCE_COLOR: "", ...env });
function node(args, cwd, env = {}) {
  const r = spawnSync(process.execPath, args, { cwd, env: clean(env), encoding: "utf8", timeout: 120_000 });
  if (r.error) throw r.error;
  return r;
}
/** The same, without blocking (two builds at once: one per core). */
const nodeAsync = (args, cwd, env = {}) => spawnAsync(process.execPath, args, { cwd, env: clean(env) });
const build = (dir, args = [], env) => node([bin, "build", ...args], dir, env);
const plainTsc = (dir, args = [], env) => node([tsc, ...args], dir, env);

/** "line:col" of the first `needle` in `file` of the fixture (1-based, as V8 and the trace count). */
function at(file, needle) {
  const lines = fs.readFileSync(path.join(fixture, file), "utf8").split("\n");
  const i = lines.findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`${needle} not in ${file}`);
  return `${i + 1}:${lines[i].indexOf(needle) + 1}`;
}

/** The alloc events of running `file` with TRACED_ALLOC=ndjson, as "kind size file:line:col". */
function allocs(file, cwd) {
  const out = path.join(root, `trace-${++count}.ndjson`);
  const r = node([file], cwd, { TRACED_ALLOC: `ndjson=${out}` });
  expect(r.status, r.stderr).to.equal(0);
  return fs
    .readFileSync(out, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .filter((e) => e.event === "alloc")
    .map((e) => `${e.kind} ${e.size} ${e.file}:${e.line}:${e.col}`);
}

/** What the fixture's program must log, wherever it was built. */
const expectedAllocs = () => [
  `new ArrayBuffer 16 src/main.ts:${at("src/main.ts", "new ArrayBuffer(16)")}`,
  // inside the @track_caller makeBuffer: the caller's line
  `new Uint8Array 32 src/main.ts:${at("src/main.ts", "makeBuffer(32)")}`,
  `new Float64Array 32 src/lib/samples.ts:${at("src/lib/samples.ts", "new Float64Array")}`,
];

const TYPE_ERROR = { "src/bad.ts": 'export const n: number = "not a number";\n' };

describe(`traced-alloc build (the project's TypeScript ${tsVersion})`, function () {
  this.timeout(120_000);

  describe("a project without a plugins entry", () => {
    let dir, r;
    before(() => {
      dir = project();
      r = build(dir);
    });

    it("builds as tsc does: nothing printed, exit 0, no note about TypeScript", () => {
      expect(r.stdout).to.equal("");
      expect(r.stderr).to.equal("");
      expect(r.status).to.equal(0);
    });

    it("emits traced code: every alloc at the project's own line", () => {
      expect(allocs("dist/main.js", dir)).to.deep.equal(expectedAllocs());
    });

    it("emits the same files as tsc (source maps, names), only traced", () => {
      const plain = project();
      expect(plainTsc(plain).status).to.equal(0);
      const list = (d) => fs.readdirSync(path.join(d, "dist"), { recursive: true }).sort();
      expect(list(dir)).to.deep.equal(list(plain));
      expect(fs.readFileSync(path.join(plain, "dist/main.js"), "utf8")).to.not.include("traced-allocator/runtime");
      expect(fs.readFileSync(path.join(dir, "dist/main.js"), "utf8")).to.include("traced-allocator/runtime");
    });
  });

  it("emits byte for byte what tspc emits with the plugins entry (.js, .js.map)", async () => {
    const plugins = [{ transform: "traced-allocator/transformer" }];
    const a = project({ compilerOptions: { plugins } });
    const b = project({ compilerOptions: { plugins } });
    const [ours, theirs] = await Promise.all([nodeAsync([bin, "build"], a), nodeAsync([tspc], b)]);
    expect(ours.stdout + theirs.stdout).to.equal("");
    expect([ours.status, theirs.status]).to.deep.equal([0, 0]);
    const files = (d) => fs.readdirSync(path.join(d, "dist"), { recursive: true }).filter((f) => /\.js(\.map)?$/.test(f)).sort();
    expect(files(a)).to.deep.equal(files(b)).and.to.include("main.js");
    for (const f of files(a)) expect(fs.readFileSync(path.join(a, "dist", f), "utf8"), f).to.equal(fs.readFileSync(path.join(b, "dist", f), "utf8"));
  });

  describe("diagnostics and exit status, compared with tsc", () => {
    const same = (what, setup, args = [], env = {}) =>
      it(what, async () => {
        const a = project(setup);
        const b = project(setup);
        const [ours, theirs] = await Promise.all([nodeAsync([bin, "build", ...args], a, env), nodeAsync([tsc, ...args], b, env)]);
        // the folders differ by name only: the same text once each names its own
        expect(ours.stdout.split(a).join("<dir>")).to.equal(theirs.stdout.split(b).join("<dir>"));
        expect(ours.status).to.equal(theirs.status);
      });

    same("a type error: the same lines, exit 2 (errors, output emitted)", { files: TYPE_ERROR });
    same("--pretty: the same colors, source context and summary", { files: TYPE_ERROR }, ["--pretty"]);
    same("FORCE_COLOR: pretty as tsc, without --pretty", { files: TYPE_ERROR }, [], { FORCE_COLOR: "1" });
    same("noEmitOnError: exit 1 (errors, nothing emitted)", { files: TYPE_ERROR, compilerOptions: { noEmitOnError: true } });
    same("an unknown tsc option: tsc's message, exit 1", {}, ["--bogusOption"]);
    same("-p naming a file that does not exist: tsc's message", {}, ["-p", "no-such.json"]);
    same("--listEmittedFiles: the same files", {}, ["--listEmittedFiles"]);
    same("--noEmit: type check only, as tsc", { files: TYPE_ERROR }, ["--noEmit"]);

    it("exit 2 on errors means the output was emitted, and it is traced", () => {
      const dir = project({ files: TYPE_ERROR });
      expect(build(dir).status).to.equal(2);
      expect(allocs("dist/main.js", dir)).to.deep.equal(expectedAllocs());
    });
  });

  describe("the plugins entry", () => {
    it("gives the transformer's options (root: site paths relative to it)", () => {
      const dir = project({ compilerOptions: { plugins: [{ transform: "traced-allocator/transformer", root: "src" }] } });
      const r = build(dir);
      expect(r.stdout + r.stderr).to.equal("");
      expect(allocs("dist/main.js", dir)[0]).to.equal(`new ArrayBuffer 16 main.ts:${at("src/main.ts", "new ArrayBuffer(16)")}`);
    });

    it("a bad option is tsc-style error TS990001 naming the fix (as under tspc), exit 2", () => {
      const dir = project({ compilerOptions: { plugins: [{ transform: "traced-allocator/transformer", rooot: "src" }] } });
      const r = build(dir);
      expect(r.stdout).to.match(/^error TS990001: traced-allocator: unknown plugin option 'rooot'.*Remove 'rooot'/m);
      expect(r.status).to.equal(2);
    });

    it("a runtime that cannot be found is an error at build time, not at start", () => {
      const dir = project({ compilerOptions: { plugins: [{ transform: "traced-allocator/transformer", runtime: "traced-allocator-runtime-typo" }] } });
      const r = build(dir);
      expect(r.stdout).to.match(/error TS990001: traced-allocator: plugin option 'runtime' is 'traced-allocator-runtime-typo', but no such module can be found/);
      expect(r.stdout).to.include("Set 'runtime' to a module name");
      expect(r.status).to.equal(2);
    });

    it("a runtime given as a path is an error saying why (it is imported from every file as written)", () => {
      const dir = project({ compilerOptions: { plugins: [{ transform: "traced-allocator/transformer", runtime: "./src/rt" }] } });
      const r = build(dir);
      expect(r.stdout).to.match(/error TS990001: traced-allocator: plugin option 'runtime' is '.\/src\/rt', a path/);
      expect(r.status).to.equal(2);
    });

    it('the package root ("transform": "traced-allocator") is taken as the transformer', () => {
      const dir = project({ compilerOptions: { plugins: [{ transform: "traced-allocator" }] } });
      const r = build(dir);
      expect(r.stdout + r.stderr).to.equal("");
      expect(allocs("dist/main.js", dir)).to.deep.equal(expectedAllocs());
    });

    it('under tspc as well, the package root ("transform": "traced-allocator") is the transformer (the runtime\'s default export)', () => {
      const dir = project({ compilerOptions: { plugins: [{ transform: "traced-allocator" }] } });
      const r = node([tspc], dir);
      expect(r.stdout + r.stderr).to.equal("");
      expect(r.status).to.equal(0);
      expect(allocs("dist/main.js", dir)).to.deep.equal(expectedAllocs());
    });

    it("another ts-patch transformer is not run, and stderr says so", () => {
      const dir = project({ compilerOptions: { plugins: [{ transform: "some-other-transformer" }, { transform: "traced-allocator/transformer" }] } });
      const r = build(dir);
      expect(r.stdout).to.equal("");
      expect(r.stderr).to.include('the plugin "some-other-transformer" in the tsconfig is not run');
      expect(r.status).to.equal(0);
      expect(allocs("dist/main.js", dir)).to.deep.equal(expectedAllocs());
    });
  });

  describe("the code cache for TypeScript (Node without a compile cache of its own)", () => {
    const nodeHasCompileCache = typeof createRequire(import.meta.url)("node:module").enableCompileCache === "function";
    it(nodeHasCompileCache ? "is not written: Node's own compile cache is on" : "is written by the first build, used by the next, and a broken one is only a slower build", () => {
      const tmp = fs.mkdtempSync(path.join(root, "tmp-"));
      const cacheDir = path.join(tmp, "traced-allocator-code-cache");
      const dir = project();
      const first = build(dir, [], { TMPDIR: tmp });
      expect(first.stdout + first.stderr).to.equal("");
      expect(first.status).to.equal(0);
      if (nodeHasCompileCache) {
        expect(fs.existsSync(cacheDir)).to.equal(false);
        return;
      }
      const files = fs.readdirSync(cacheDir);
      expect(files).to.have.length(1);
      expect(fs.statSync(path.join(cacheDir, files[0])).size).to.be.greaterThan(1 << 20);
      const written = fs.readFileSync(path.join(cacheDir, files[0]));
      const second = build(dir, [], { TMPDIR: tmp });
      expect(second.stdout + second.stderr).to.equal("");
      // Accepted by V8, so not written again.
      expect(fs.readdirSync(cacheDir)).to.deep.equal(files);
      expect(fs.readFileSync(path.join(cacheDir, files[0])).equals(written)).to.equal(true);
      expect(allocs("dist/main.js", dir)).to.deep.equal(expectedAllocs());
      // Garbage in the cache: V8 rejects it, the build is as before, and the cache is written anew.
      fs.writeFileSync(path.join(cacheDir, files[0]), "not a code cache");
      const third = build(dir, [], { TMPDIR: tmp });
      expect(third.stdout + third.stderr).to.equal("");
      expect(third.status).to.equal(0);
      expect(allocs("dist/main.js", dir)).to.deep.equal(expectedAllocs());
      expect(fs.statSync(path.join(cacheDir, files[0])).size).to.be.greaterThan(1 << 20);
      // NODE_DISABLE_COMPILE_CACHE turns it off, as it does Node's.
      fs.rmSync(cacheDir, { recursive: true });
      expect(build(dir, [], { TMPDIR: tmp, NODE_DISABLE_COMPILE_CACHE: "1" }).status).to.equal(0);
      expect(fs.existsSync(cacheDir)).to.equal(false);
    });
  });

  describe("incremental builds", () => {
    it("--incremental writes .tsbuildinfo, emits traced code, and a second build emits nothing", () => {
      const dir = project({ compilerOptions: { incremental: true, tsBuildInfoFile: "dist/.tsbuildinfo" } });
      const first = build(dir, ["--listEmittedFiles"]);
      expect(first.status, first.stdout).to.equal(0);
      expect(first.stdout).to.include("TSFILE: ");
      expect(fs.existsSync(path.join(dir, "dist/.tsbuildinfo"))).to.equal(true);
      expect(allocs("dist/main.js", dir)).to.deep.equal(expectedAllocs());
      const second = build(dir, ["--listEmittedFiles"]);
      expect(second.status).to.equal(0);
      expect(second.stdout).to.equal("");
    });
  });

  describe("--watch", () => {
    it("builds traced code, and again after an edit (the edited line reported)", async () => {
      const dir = project();
      const child = spawn(process.execPath, [bin, "build", "--watch", "--preserveWatchOutput"], { cwd: dir, env: clean({}) });
      let out = "";
      child.stdout.setEncoding("utf8").on("data", (d) => (out += d));
      child.stderr.setEncoding("utf8").on("data", (d) => (out += d));
      const waitFor = async (n) => {
        const t0 = Date.now();
        while ((out.match(/Found 0 errors\. Watching for file changes\./g) ?? []).length < n) {
          if (Date.now() - t0 > 60_000) throw new Error(`no build ${n} within 60 s:\n${out}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      try {
        await waitFor(1);
        expect(allocs("dist/main.js", dir)).to.deep.equal(expectedAllocs());
        const file = path.join(dir, "src/main.ts");
        fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("const body", "const extra = new Int32Array(2);\nconst body"));
        await waitFor(2);
        const lines = fs.readFileSync(file, "utf8").split("\n");
        const line = lines.findIndex((l) => l.includes("new Int32Array")) + 1;
        expect(allocs("dist/main.js", dir)).to.include(`new Int32Array 8 src/main.ts:${line}:15`);
      } finally {
        child.kill();
      }
    });
  });

  describe("which TypeScript", () => {
    it("a project whose typescript is 7 (no compiler API) builds with the bundled TypeScript 6, and says so", () => {
      // typescript@7's package as `require` sees it: { version, versionMajorMinor } and nothing else
      const fake = path.join(root, "typescript7");
      fs.mkdirSync(fake, { recursive: true });
      fs.writeFileSync(path.join(fake, "package.json"), JSON.stringify({ name: "typescript", version: "7.0.2", main: "version.cjs" }));
      fs.writeFileSync(path.join(fake, "version.cjs"), 'module.exports = { version: "7.0.2", versionMajorMinor: "7.0" };\n');
      const dir = project({ typescript: fake });
      const r = build(dir);
      expect(r.stderr).to.match(/the project's typescript is 7\.0\.2, which has no compiler API.*building with traced-allocator's own TypeScript 6\.\d+\.\d+ \((typescript|@typescript\/typescript6)\)/);
      expect(r.stdout).to.equal("");
      expect(r.status).to.equal(0);
      expect(allocs("dist/main.js", dir)).to.deep.equal(expectedAllocs());
    });

    it("a project without typescript builds with the bundled TypeScript 6, and says so", () => {
      const dir = project({ typescript: "none" });
      const r = build(dir);
      expect(r.stderr).to.match(/the project has no typescript package: building with traced-allocator's own TypeScript 6/);
      expect(r.status).to.equal(0);
    });

    it("--version names the TypeScript that builds, as tsc prints it", () => {
      const r = build(project(), ["--version"]);
      expect(r.stdout).to.equal(`Version ${tsVersion}\n`);
      expect(r.status).to.equal(0);
    });
  });

  describe("bad usage", () => {
    it("no tsconfig.json here or above: exit 2, says what to pass", () => {
      const dir = fs.mkdtempSync(path.join(root, "empty-"));
      const r = build(dir);
      expect(r.status).to.equal(2);
      expect(r.stderr).to.match(/no tsconfig\.json in .* or any folder above it: pass -p <tsconfig\.json>/);
      expect(r.stderr).to.not.match(/^\s+at /m);
    });

    it("--build: exit 2, says how to build project references", () => {
      const r = build(project(), ["--build"]);
      expect(r.status).to.equal(2);
      expect(r.stderr).to.include("build each project with 'traced-alloc build -p <its tsconfig>'");
    });

    it("--help: the command's help, exit 0", () => {
      const r = build(project(), ["--help"]);
      expect(r.status).to.equal(0);
      expect(r.stdout).to.match(/^traced-alloc build \[-p tsconfig\.json\]/);
    });
  });
});

// The README's TypeScript 7 path, as a new user takes it: today's `npm install -D typescript` (7),
// this package from `npm pack`, `npx traced-alloc build`, run with TRACED_ALLOC=ndjson.
describe("a fresh project with typescript@7 and traced-allocator from npm pack", function () {
  this.timeout(300_000);
  let dir, built, ts7;
  before(() => {
    dir = path.join(root, "fresh-ts7");
    fs.cpSync(fixture, dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "ta-fresh-ts7", version: "0.0.0", private: true }, null, 2));
    install(dir, [packRepo(), "typescript@7"]);
    ts7 = JSON.parse(fs.readFileSync(path.join(dir, "node_modules/typescript/package.json"), "utf8")).version;
    built = sh(npx, ["--no", "traced-alloc", "build"], dir);
  });

  it("has TypeScript 7 as its typescript", () => {
    expect(ts7).to.match(/^7\./);
  });

  it("npx traced-alloc build: no diagnostics, exit 0, a note that TypeScript 6 built it", () => {
    expect(built.stdout).to.equal("");
    const stderr = built.stderr.split("\n").filter((l) => l && !/^npm (warn|notice)/i.test(l));
    expect(stderr).to.have.length(1);
    expect(stderr[0]).to.include(`the project's typescript is ${ts7}, which has no compiler API`);
    expect(built.status).to.equal(0);
  });

  it("the program logs every alloc at the project's own lines", () => {
    expect(allocs("dist/main.js", dir)).to.deep.equal(expectedAllocs());
  });

  it("the project's own tsc is still TypeScript 7 (traced-allocator's TypeScript 6 does not take over the tsc bin)", () => {
    expect(sh(npx, ["--no", "--", "tsc", "--version"], dir).stdout).to.equal(`Version ${ts7}\n`);
  });

  it("tsc (TypeScript 7) type checks the same project without errors", () => {
    const r = sh(npx, ["--no", "--", "tsc", "--noEmit"], dir);
    expect(r.stdout).to.equal("");
    expect(r.status).to.equal(0);
  });
});
