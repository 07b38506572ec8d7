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
import { ts, scratch, fixturesDir, repoRoot, cleanup } from "./harness.mjs";
import { normalized, fixtureNames } from "./support/traces.mjs";
import { runBundle, entryOf, esmFixture, sameAsTsPatch } from "./support/bundles.mjs";

const require = createRequire(import.meta.url);
const dist = (entry) => require(path.join(repoRoot, "dist/unplugin", entry));
const esbuild = require("esbuild");

after(cleanup);

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
