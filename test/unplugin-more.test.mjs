// traced-allocator/rspack and traced-allocator/bun with the real tools (@rspack/core and the `bun`
// binary, both dev dependencies). As in test/unplugin.test.mjs, a bundle of a fixture runs on Node
// with TRACED_ALLOC=ndjson and its output and trace must equal the ts-patch build's. Rspack runs
// our plugin before its builtin:swc-loader strips the types (enforce: "pre"); Bun.build runs in a
// script that the bun binary runs (test/support/bun-build.mjs). Bun's runtime plugin (Bun.plugin
// in a --preload script) is run too: a program run by bun itself, traced.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { createRequire } from "node:module";
import { spawnSync } from "node:child_process";
import { scratch, fixturesDir, repoRoot, cleanup } from "./harness.mjs";
import { normalized, fixtureMeta } from "./support/traces.mjs";
import { entryOf, referenceRun, sameAsTsPatch } from "./support/bundles.mjs";

const require = createRequire(import.meta.url);
const dist = (entry) => path.join(repoRoot, "dist/unplugin", entry);
/**
 * The bun binary of the `bun` dev dependency. Its postinstall links the platform package's binary
 * (@oven/bun-linux-x64, or the -baseline build on a CPU without AVX2) over a placeholder; where
 * install scripts did not run, the platform package's own binary.
 */
const bun = [
  path.join(repoRoot, "node_modules/.bin/bun"),
  ...[`bun-${process.platform}-${process.arch === "x64" ? "x64" : "aarch64"}`].flatMap((p) => [p, `${p}-baseline`]).map((p) => path.join(repoRoot, "node_modules/@oven", p, "bin/bun")),
].find((file) => fs.existsSync(file) && spawnSync(file, ["--version"], { encoding: "utf8" }).status === 0) ?? path.join(repoRoot, "node_modules/.bin/bun");

/** Build times, printed at the end (the README quotes them). */
const times = [];
after(() => {
  if (times.length > 0) console.log(`      build times: ${times.map(([what, ms]) => `${what} ${ms} ms`).join(", ")}`);
});
after(cleanup);

// ----------------------------------------------------------------------------------------- Rspack

async function buildWithRspack(dir) {
  const { rspack } = require("@rspack/core");
  const outDir = scratch(`rspack-${path.basename(dir)}`);
  const started = performance.now();
  const compiler = rspack({
    mode: "none",
    context: dir,
    target: "node",
    entry: entryOf(dir),
    // Source-map paths Node can read (the default is webpack:// URLs): stack-trace locations name the files.
    output: { path: outDir, filename: "main.cjs", devtoolModuleFilenameTemplate: "[absolute-resource-path]" },
    devtool: "source-map",
    // `./lib.js` in a NodeNext project is ./lib.ts.
    resolve: { extensions: [".ts", ".js"], extensionAlias: { ".js": [".ts", ".js"] } },
    externals: [({ request }, callback) => (/^traced-allocator/.test(request) ? callback(null, `commonjs ${request}`) : callback())],
    module: {
      rules: [{ test: /\.ts$/, loader: "builtin:swc-loader", options: { jsc: { parser: { syntax: "typescript" }, target: "es2022" } }, type: "javascript/auto" }],
    },
    plugins: [require(dist("rspack.js"))({ tsconfig: path.join(dir, "tsconfig.json") })],
  });
  const stats = await new Promise((resolve, reject) => compiler.run((err, s) => (err ? reject(err) : resolve(s))));
  await new Promise((resolve) => compiler.close(resolve));
  if (stats.hasErrors()) throw new Error(stats.toString("errors-only"));
  times.push([`rspack ${path.basename(dir)}`, Math.round(performance.now() - started)]);
  return path.join(outDir, "main.cjs");
}

describe("Rspack (traced-allocator/rspack, before builtin:swc-loader)", function () {
  this.timeout(180_000);
  for (const name of ["track-caller", "semantics", "esm"]) sameAsTsPatch("rspack", name, (dir) => buildWithRspack(dir));

  it("rewrites the TypeScript source, before swc strips the types: the rule is a pre-loader", async () => {
    const { rspack } = require("@rspack/core");
    const compiler = rspack({ mode: "none", entry: "./x.ts", plugins: [require(dist("rspack.js"))()] });
    const ours = compiler.options.module.rules.filter((r) => r.enforce === "pre");
    expect(ours, "one pre rule").to.have.length(1);
  });
});

// -------------------------------------------------------------------------------------------- Bun

/** Runs the bun binary; a failure to start says why. */
function runBun(args, { cwd = repoRoot, env = {} } = {}) {
  const r = spawnSync(bun, args, { cwd, env: { ...process.env, NO_COLOR: "1", ...env }, encoding: "utf8", timeout: 150_000 });
  if (r.error) throw r.error;
  return r;
}

/** Nothing marked external: the plugin keeps the runtime a package that the bundle loads (one tracer per process). */
async function buildWithBun(dir, { format = "esm", external = [] } = {}) {
  const outdir = scratch(`bun-${path.basename(dir)}`);
  const naming = format === "esm" ? "main.mjs" : "main.cjs";
  const args = { plugin: dist("bun.js"), entry: entryOf(dir), root: dir, outdir, naming, format, tsconfig: path.join(dir, "tsconfig.json"), external };
  const started = performance.now();
  const r = runBun([path.join(repoRoot, "test/support/bun-build.mjs"), JSON.stringify(args)]);
  expect(r.status, r.stdout + r.stderr).to.equal(0);
  const result = JSON.parse(r.stdout.trim().split("\n").at(-1));
  expect(result.success, result.logs.join("\n")).to.equal(true);
  times.push([`bun ${path.basename(dir)} (${format}; Bun.build ${result.ms} ms of)`, Math.round(performance.now() - started)]);
  const file = path.join(outdir, naming);
  expect(result.outputs).to.include(file);
  return file;
}

// Bun (1.4.5) reads no source map from a plugin's onLoad result (oven-sh/bun#6173): its own map and
// its stack traces point into the rewritten text. That has every line on its line, but on a
// rewritten line the columns are the rewritten text's. Locations injected by the rewrite are
// literals and come out right; a location that comes from a stack trace (a @track_caller function
// called without one: fixtures/track-caller's `[26].map(makeBytes)` on line 34) has the column of
// the rewritten line. These helpers say exactly that, and the tests hold the rest equal.

/** Where the token at `place` (file:line:col of the fixture's text) is in the plugin's rewrite of that file. */
function rewrittenPlace(dir, place) {
  const [file, line, col] = place.split(":");
  const abs = path.join(dir, file);
  const text = fs.readFileSync(abs, "utf8");
  const { unpluginFactory } = require(dist("index.js"));
  const out = unpluginFactory({ tsconfig: path.join(dir, "tsconfig.json") }, { framework: "bun", versions: {} }).transform.handler(text, abs);
  const before = text.split("\n")[line - 1];
  const after = out.code.split("\n")[line - 1];
  const token = before.slice(col - 1, col - 1 + 14);
  const at = after.indexOf(token);
  expect(at, `${token} on the rewritten line ${line}`).to.be.at.least(0);
  expect(after.indexOf(token, at + 1), `${token} once on the rewritten line ${line}`).to.equal(-1);
  expect(at + 1, "the line is rewritten before that column").to.not.equal(Number(col));
  return `${file}:${line}:${at + 1}`;
}

/** Sites and events whose location came from the stack frame `from` (key `from>inner`), mapped by `f`. */
function fromFrame(ref, from, f) {
  const site = (x) => (x.key?.startsWith(`${from}>`) ? f(x, x.key.slice(from.length + 1)) : x);
  return { ...ref, trace: { table: ref.trace.table.map(site), events: ref.trace.events.map(site) } };
}

/** The reference run as it reads when the stack frame `from` reads `to` (`Location.caller()` prints it on stderr). */
function frameReads(ref, from, to) {
  const moved = fromFrame(ref, from, (x, inner) => ({ ...x, place: x.place === from ? to : x.place, key: `${to}>${inner}` }));
  const where = (out) => out.replaceAll(`"where":"${from}"`, `"where":"${to}"`);
  return { ...moved, stdout: where(ref.stdout), stderr: where(ref.stderr) };
}

describe("Bun.build (traced-allocator/bun), the bundle run on Node", function () {
  this.timeout(180_000);
  before(function () {
    const r = runBun(["--version"]);
    expect(r.status, `${bun} --version: ${r.stderr}`).to.equal(0);
  });
  // ESM output where the reference's semantics allow: Bun's CommonJS output has no "use strict", so
  // the modules' code runs sloppy (`f.call(undefined)` gets globalThis as `this`), with or without
  // the plugin. fixtures/semantics as CommonJS (as esbuild's test does): in an ES module, V8 keeps
  // one of its module-level buffers alive to the end, so its dealloc is not seen (as with Vite).
  for (const name of ["esm", "builtins"]) sameAsTsPatch("bun", name, (dir) => buildWithBun(dir));
  sameAsTsPatch("bun, CommonJS output", "semantics", (dir) => buildWithBun(dir, { format: "cjs" }));

  it("leaves the runtime out of the bundle: it imports traced-allocator/runtime", async () => {
    const text = fs.readFileSync(await buildWithBun(path.join(fixturesDir, "builtins")), "utf8");
    expect(text).to.match(/from "traced-allocator\/runtime"/);
    expect(text).to.not.include("prepareStackTrace");
  });
  const trackCaller = path.join(fixturesDir, "track-caller");
  sameAsTsPatch("bun (a stack frame on a rewritten line: the rewritten text's column)", "track-caller", (dir) => buildWithBun(dir), (ref) =>
    frameReads(ref, "src/main.ts:34:53", rewrittenPlace(trackCaller, "src/main.ts:34:53")),
  );
});

describe("Bun's runtime (Bun.plugin(traced-allocator/bun) in a --preload script)", function () {
  this.timeout(180_000);

  /** Runs a fixture's entry with bun, the plugin preloaded, from the fixture's folder. */
  function runWithBun(dir) {
    const work = scratch(`bun-run-${path.basename(dir)}`);
    const preload = path.join(work, "preload.cjs");
    fs.writeFileSync(preload, `Bun.plugin(require(${JSON.stringify(dist("bun.js"))})({ tsconfig: ${JSON.stringify(path.join(dir, "tsconfig.json"))} }));\n`);
    const out = path.join(work, "trace.ndjson");
    const r = runBun(["--preload", preload, entryOf(dir)], { cwd: dir, env: { TRACED_ALLOC: `ndjson=${out}` } });
    const records = fs.existsSync(out) ? fs.readFileSync(out, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l)) : [];
    return { ...r, records, trace: normalized(records) };
  }

  /** A site table as a set: Bun's has each own site once, where the run first used it. */
  const siteSet = (table) => [...new Set(table.map((s) => JSON.stringify(s)))].sort();

  const trackCaller = path.join(fixturesDir, "track-caller");
  const cases = {
    builtins: (ref) => ref,
    "track-caller": (ref) => {
      // [26].map(makeBytes): the caller's frame, at the rewritten text's column (Bun reads no plugin
      // source map); bound(), a bound makeBytes, at 36:10 as on Node. (JavaScriptCore drops the frame
      // of a function that returns a call's result as it is; the runtime's take() keeps its own.)
      return frameReads(ref, "src/main.ts:34:53", rewrittenPlace(trackCaller, "src/main.ts:34:53"));
    },
  };

  for (const [name, expected] of Object.entries(cases)) {
    describe(`bun: ${name}`, () => {
      const dir = path.join(fixturesDir, name);
      let ours, ref;
      before(() => {
        ref = expected(referenceRun(name));
        ours = runWithBun(dir);
      });

      it("runs and prints what Node prints", () => {
        expect(ours.status, ours.stderr).to.equal(0);
        expect(ours.stdout).to.equal(ref.stdout);
        expect(ours.stderr).to.equal(ref.stderr);
      });

      it("records the allocations at their file:line:col, with the same kinds and sites", () => {
        // In order, but the deallocs: JavaScriptCore collects in its own order (the same set is freed).
        const inOrder = (t) => t.events.filter((e) => e.event !== "dealloc");
        const freed = (t) => t.events.filter((e) => e.event === "dealloc").sort((a, b) => a.id - b.id);
        expect(inOrder(ours.trace).length, "allocations recorded").to.be.greaterThan(5);
        expect(inOrder(ours.trace)).to.deep.equal(inOrder(ref.trace));
        expect(freed(ours.trace)).to.deep.equal(freed(ref.trace));
        expect(siteSet(ours.trace.table)).to.deep.equal(siteSet(ref.trace.table));
      });
    });
  }
});
