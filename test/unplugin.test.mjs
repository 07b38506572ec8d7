// traced-allocator/unplugin with the real bundlers. Each builds a fixture with the plugin, the
// bundle runs with TRACED_ALLOC=ndjson, and its trace must equal the trace of the ts-patch build of
// the same fixture: every event with its size, file:line:col, kind and site key, and the site table;
// and the program prints the same output. esbuild builds every fixture; Vite (an SSR build for
// Node), Rollup (with a type-stripping plugin after ours) and webpack (ts-loader, transpileOnly)
// build a few; Vitest runs fixtures/unplugin-vitest. Bundles are run from the fixture's folder: in a bundle, locations that come from
// stack traces are relative to the working directory (the emitted file's place is not known).
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { createRequire } from "node:module";
import { spawnSync } from "node:child_process";
import { ts, compile, scratch, runNdjson, fixturesDir, repoRoot, cleanup } from "./harness.mjs";
import { normalized, fixtureNames, fixtureMeta } from "./support/traces.mjs";

const require = createRequire(import.meta.url);
const dist = (entry) => require(path.join(repoRoot, "dist/unplugin", entry));
const esbuild = require("esbuild");

after(cleanup);

/** Runs a bundle from the fixture's folder; returns the run and its normalized trace. */
function runBundle(file, dir, meta) {
  const r = runNdjson(file, { nodeArgs: meta.nodeArgs ?? [], cwd: dir });
  return { ...r, trace: normalized(r.records) };
}

/** The fixture's entry: the TypeScript file of its `main` (fixture.json; default src/main.js). */
const entryOf = (dir) => path.join(dir, (fixtureMeta(dir).main ?? "src/main.js").replace(/\.([cm]?)js$/, ".$1ts"));

const esmFixture = (dir) => fs.existsSync(path.join(dir, "package.json")) && JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).type === "module";

/** The ts-patch build of a fixture, run from its folder: what every bundle must match. */
const reference = new Map();
function referenceRun(name) {
  if (!reference.has(name)) {
    const dir = path.join(fixturesDir, name);
    const meta = fixtureMeta(dir);
    const built = compile(dir);
    expect(built.diagnostics).to.deep.equal([]);
    reference.set(name, runBundle(path.join(built.outDir, meta.main ?? "src/main.js"), dir, meta));
  }
  return reference.get(name);
}

/** `what` builds fixture `name` into a file; the bundle's run must equal the ts-patch build's. */
function sameAsTsPatch(label, name, what) {
  describe(`${label}: ${name}`, () => {
    const dir = path.join(fixturesDir, name);
    const meta = fixtureMeta(dir);
    let ours, ref;
    before(async () => {
      ref = referenceRun(name);
      expect(ref.events.length + ref.stdout.length, "the reference run does something").to.be.greaterThan(0);
      ours = runBundle(await what(dir), dir, meta);
    });

    it("prints the same output and exits the same way as the ts-patch build", () => {
      expect(ours.status, ours.stderr).to.equal(ref.status);
      expect(ours.stderr).to.equal(ref.stderr);
      if (meta.sameOutput !== false) {
        expect(ours.stdout).to.equal(ref.stdout);
        return;
      }
      // fixtures/positions prints, per call, the location injected by the rewrite and the caller's
      // stack frame as the bundle's source map gives it back. The injected ones must be the same;
      // the frames are the bundler's map (esbuild maps a call V8 places at its `(` to the callee's start).
      const injected = (out) => out.split("\n").filter((l) => l.startsWith("{")).map((l) => [JSON.parse(l).label, JSON.parse(l).injected]);
      expect(injected(ours.stdout)).to.deep.equal(injected(ref.stdout));
      expect(injected(ref.stdout).length).to.be.greaterThan(10);
    });

    it("writes the same trace: events (size, file:line:col, kind, key) and site table", () => {
      expect(ours.trace.table).to.deep.equal(ref.trace.table);
      expect(ours.trace.events).to.deep.equal(ref.trace.events);
    });
  });
}

// ------------------------------------------------------------------------------------------ esbuild

async function buildWithEsbuild(dir, { format = esmFixture(dir) ? "esm" : "cjs", plugin = true, external = ["traced-allocator"] } = {}) {
  const outfile = path.join(scratch(`esbuild-${path.basename(dir)}`), format === "esm" ? "main.mjs" : "main.cjs");
  await esbuild.build({
    entryPoints: [entryOf(dir)],
    absWorkingDir: dir,
    bundle: true,
    platform: "node",
    format,
    sourcemap: true,
    outfile,
    external,
    logLevel: "silent",
    plugins: plugin ? [dist("esbuild.js")({ tsconfig: path.join(dir, "tsconfig.json") })] : [],
  });
  return outfile;
}

describe("esbuild (traced-allocator/esbuild)", function () {
  this.timeout(120_000);
  for (const name of fixtureNames(fixturesDir)) sameAsTsPatch("esbuild", name, (dir) => buildWithEsbuild(dir));
  // ESM output, nothing marked external: the plugin keeps the runtime a package the bundle imports.
  sameAsTsPatch("esbuild, ESM output", "track-caller", (dir) => buildWithEsbuild(dir, { format: "esm", external: [] }));

  it("rewrites nothing without the plugin (the bundle runs untraced)", async () => {
    const dir = path.join(fixturesDir, "builtins");
    const r = runBundle(await buildWithEsbuild(dir, { plugin: false }), dir, {});
    expect(r.status).to.equal(0);
    expect(r.events).to.deep.equal([]);
  });

  it("reports a missing tsconfig and an unknown option by name", async () => {
    const dir = path.join(fixturesDir, "builtins");
    const attempt = (options) =>
      esbuild.build({ entryPoints: [entryOf(dir)], bundle: true, write: false, platform: "node", logLevel: "silent", plugins: [dist("esbuild.js")(options)] });
    const missing = path.join(dir, "no-such-tsconfig.json");
    await attempt({ tsconfig: missing }).then(
      () => expect.fail("built"),
      (e) => expect(e.message).to.include(`${missing} does not exist`),
    );
    expect(() => dist("esbuild.js")({ tsconfg: "tsconfig.json" })).to.throw(/unknown option 'tsconfg'. Known options: 'tsconfig'/);
  });

  it("rewrites TypeScript files only: not declarations, node_modules, JavaScript or a part of another file", () => {
    const { INCLUDE, EXCLUDE } = dist("index.js");
    const rewritten = (id) => INCLUDE.test(id) && !EXCLUDE.test(id);
    expect(["/p/a.ts", "/p/a.tsx", "/p/a.mts", "/p/a.cts", "/p/a.ts?v=3"].filter(rewritten)).to.have.length(5);
    expect(["/p/a.d.ts", "/p/node_modules/x/a.ts", "/p/a.js", "/p/App.vue?vue&type=script&lang.ts", "\0virtual:a.ts"].filter(rewritten)).to.deep.equal([]);
  });

  it("rebuilds with the file's new text (esbuild's incremental rebuild: a new program version)", async () => {
    const project = scratch("esbuild-rebuild");
    fs.mkdirSync(path.join(project, "src"));
    fs.copyFileSync(path.join(fixturesDir, "builtins/tsconfig.json"), path.join(project, "tsconfig.json"));
    const main = path.join(project, "src/main.ts");
    fs.writeFileSync(main, "console.log(new Uint8Array(2).length);\n");
    const outfile = path.join(project, "out/main.cjs");
    const ctx = await esbuild.context({
      entryPoints: [main], bundle: true, platform: "node", outfile, logLevel: "silent",
      plugins: [dist("esbuild.js")({ tsconfig: path.join(project, "tsconfig.json") })],
    });
    try {
      await ctx.rebuild();
      const first = runBundle(outfile, project, {});
      const line2 = "console.log(new Uint8Array(2).length, Buffer.alloc(5).length);";
      fs.writeFileSync(main, `// one line more\n${line2}\n`);
      await ctx.rebuild();
      const second = runBundle(outfile, project, {});
      const allocs = (r) => r.trace.events.filter((e) => e.event === "alloc").map((e) => `${e.size} ${e.place} ${e.kind}`);
      expect(allocs(first)).to.deep.equal(["2 src/main.ts:1:13 new Uint8Array"]);
      expect(allocs(second)).to.deep.equal(["2 src/main.ts:2:13 new Uint8Array", `5 src/main.ts:2:${line2.indexOf("alloc(") + 1} Buffer.alloc`]);
    } finally {
      await ctx.dispose();
    }
  });

  it("maps the bundle back to the TypeScript lines (the source map is composed)", async () => {
    const dir = path.join(fixturesDir, "positions");
    const file = await buildWithEsbuild(dir);
    const map = JSON.parse(fs.readFileSync(`${file}.map`, "utf8"));
    const i = map.sources.findIndex((s) => s.endsWith("positions/src/main.ts"));
    expect(i, map.sources.join(", ")).to.be.at.least(0);
    // Relative to the bundle, as esbuild writes them (our map names the file by its absolute path).
    expect(map.sources.filter((s) => path.isAbsolute(s))).to.deep.equal([]);
    // The original text, not the edited one.
    expect(map.sourcesContent[i]).to.equal(fs.readFileSync(path.join(dir, "src/main.ts"), "utf8"));
  });
});

// ------------------------------------------------------------------------------------------- Vite

async function buildWithVite(dir) {
  const { build } = await import("vite");
  const outDir = scratch(`vite-${path.basename(dir)}`);
  await build({
    root: dir,
    configFile: false,
    logLevel: "silent",
    plugins: [dist("vite.js")({ tsconfig: path.join(dir, "tsconfig.json") })],
    build: { ssr: entryOf(dir), outDir, sourcemap: true, emptyOutDir: false, rollupOptions: { output: { entryFileNames: "main.mjs" } } },
  });
  return path.join(outDir, "main.mjs");
}

describe("Vite (traced-allocator/vite), an SSR build for Node", function () {
  this.timeout(120_000);
  for (const name of ["track-caller", "esm", "builtins"]) sameAsTsPatch("vite", name, (dir) => buildWithVite(dir));
});

// ----------------------------------------------------------------------------------------- Rollup

/** Types stripped after our plugin (Rollup reads JavaScript only), and `./x` resolved to `./x.ts`. */
function stripTypes() {
  return {
    name: "strip-types",
    resolveId(source, importer) {
      if (!importer || !source.startsWith(".")) return null;
      const file = path.resolve(path.dirname(importer), source);
      return [".ts", "/index.ts"].map((e) => file + e).find((f) => fs.existsSync(f)) ?? null;
    },
    transform(code, id) {
      if (!id.endsWith(".ts")) return null;
      const out = ts.transpileModule(code, { fileName: id, compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, sourceMap: true } });
      return { code: out.outputText.replace(/\n\/\/# sourceMappingURL=.*$/, ""), map: JSON.parse(out.sourceMapText) };
    },
  };
}

async function buildWithRollup(dir) {
  const { rollup } = await import("rollup");
  const file = path.join(scratch(`rollup-${path.basename(dir)}`), "main.cjs");
  const bundle = await rollup({
    input: entryOf(dir),
    plugins: [dist("rollup.js")({ tsconfig: path.join(dir, "tsconfig.json") }), stripTypes()],
    external: (id) => id.startsWith("traced-allocator") || id.startsWith("node:"),
    onwarn: () => {},
  });
  await bundle.write({ file, format: "cjs", sourcemap: true });
  await bundle.close();
  return file;
}

describe("Rollup (traced-allocator/rollup)", function () {
  this.timeout(120_000);
  for (const name of ["track-caller", "semantics"]) sameAsTsPatch("rollup", name, (dir) => buildWithRollup(dir));
});

// ---------------------------------------------------------------------------------------- webpack

async function buildWithWebpack(dir) {
  const webpack = require("webpack");
  const outDir = scratch(`webpack-${path.basename(dir)}`);
  const compiler = webpack({
    mode: "none",
    context: dir,
    target: "node",
    entry: entryOf(dir),
    // Source-map paths Node can read (webpack's default is webpack:// URLs): stack-trace locations name the files.
    output: { path: outDir, filename: "main.cjs", devtoolModuleFilenameTemplate: "[absolute-resource-path]" },
    devtool: "source-map",
    resolve: { extensions: [".ts", ".js"] },
    externals: [({ request }, callback) => (/^traced-allocator/.test(request) ? callback(null, `commonjs ${request}`) : callback())],
    module: { rules: [{ test: /\.ts$/, loader: "ts-loader", options: { transpileOnly: true, compilerOptions: { sourceMap: true } } }] },
    plugins: [dist("webpack.js")({ tsconfig: path.join(dir, "tsconfig.json") })],
  });
  const stats = await new Promise((resolve, reject) => compiler.run((err, s) => (err ? reject(err) : resolve(s))));
  await new Promise((resolve) => compiler.close(resolve));
  if (stats.hasErrors()) throw new Error(stats.toString("errors-only"));
  return path.join(outDir, "main.cjs");
}

describe("webpack (traced-allocator/webpack, before ts-loader)", function () {
  this.timeout(120_000);
  for (const name of ["track-caller"]) sameAsTsPatch("webpack", name, (dir) => buildWithWebpack(dir));
});

// ----------------------------------------------------------------------------------------- Vitest

describe("Vitest with traced-allocator/vite (fixtures/unplugin-vitest)", function () {
  this.timeout(120_000);
  const dir = path.join(fixturesDir, "unplugin-vitest");
  /** `file:line:col` of `token` on the line of `file` that contains `line`. */
  const placeOf = (file, line, token) => {
    const lines = fs.readFileSync(path.join(dir, file), "utf8").split("\n");
    const i = lines.findIndex((l) => l.includes(line));
    return `${file}:${i + 1}:${lines[i].indexOf(token, lines[i].indexOf(line)) + 1}`;
  };
  let r, trace;
  before(() => {
    const out = path.join(scratch("vitest"), "trace.ndjson");
    const res = spawnSync(process.execPath, [path.join(path.dirname(require.resolve("vitest/package.json")), "vitest.mjs"), "run"], {
      cwd: dir,
      env: { ...process.env, TRACED_ALLOC: `ndjson=${out}`, NO_COLOR: "1", CI: "1" },
      encoding: "utf8",
      timeout: 100_000,
    });
    r = res;
    trace = fs.existsSync(out) ? normalized(fs.readFileSync(out, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l))) : undefined;
  });

  it("runs the tests", () => {
    expect(r.status, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.match(/2 passed/);
  });

  it("records the tested code's allocations at their lines, a @track_caller helper's at the test's line", () => {
    expect(trace, "a trace file").to.not.equal(undefined);
    const allocs = trace.events.filter((e) => e.event === "alloc").map((e) => `${e.size} ${e.place} ${e.kind}`);
    expect(allocs).to.deep.equal([
      `9 ${placeOf("src/codec.ts", "Buffer.alloc(", "alloc")} Buffer.alloc`,
      `16 ${placeOf("test/codec.test.ts", "scratch(16)", "scratch")} new Uint8Array`,
    ]);
  });
});
