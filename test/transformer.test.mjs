// The transformer as a build step: clear diagnostics for bad configuration, output that is plain
// tsc's where there is nothing to trace, source maps and comments intact, paths never absolute.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { compile, run, runNdjson, fixturesDir, repoRoot, scratch, writeProject, ts, tsMajor } from "./harness.mjs";

const require = createRequire(import.meta.url);
const transformer = require(path.join(repoRoot, "dist/transformer/index.js"));
const tspc = process.env.TA_TSPC ?? path.join(repoRoot, "node_modules/.bin/tspc");

const simple = {
  "src/main.ts": [
    "const a = new Uint8Array(8); // one site",
    "/* kept */ const b = Buffer.alloc(4);",
    "console.log(a.length + b.length);",
    "export {};",
    "",
  ].join("\n"),
};

describe(`transformer (TypeScript ${tsMajor})`, function () {
  this.timeout(60_000);

  describe("plugin options", () => {
    const diagnosticsFor = (pluginConfig) => compile({ files: simple }, { pluginConfig }).diagnostics;

    it("an unknown option is a diagnostic naming it, the known ones, and the fix", () => {
      const d = diagnosticsFor({ rooot: "." });
      expect(d).to.have.length(1);
      expect(d[0]).to.include("unknown plugin option 'rooot'").and.include("'root'").and.include("Remove 'rooot'");
    });

    it("a wrong type is a diagnostic naming the option and what it must be", () => {
      const d = diagnosticsFor({ root: 5 });
      expect(d).to.have.length(1);
      expect(d[0]).to.include("'root' must be a non-empty string").and.include("5");
    });

    it("a root that does not exist is a diagnostic with the folder it looked for", () => {
      const d = diagnosticsFor({ root: "no/such/folder" });
      expect(d).to.have.length(1);
      expect(d[0]).to.include("plugin option 'root' is 'no/such/folder'").and.include("is not a folder");
    });

    it("ts-patch's own keys are not reported", () => {
      expect(diagnosticsFor({ after: false, afterDeclarations: false, import: "default", type: "program" })).to.deep.equal([]);
    });

    it("through tspc, a bad option is a TypeScript error: non-zero exit, the message, no stack trace", () => {
      const dir = writeProject({ files: simple });
      const config = JSON.parse(fs.readFileSync(path.join(dir, "tsconfig.json"), "utf8"));
      config.compilerOptions.plugins = [{ transform: "traced-allocator/transformer", bogus: true }];
      config.compilerOptions.outDir = "out";
      fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(config));
      const r = spawnSync(process.execPath, [tspc, "-p", dir], { encoding: "utf8" });
      const text = r.stdout + r.stderr;
      expect(r.status).to.not.equal(0);
      expect(text).to.match(/error TS990001: traced-allocator: unknown plugin option 'bogus'/);
      expect(text).to.not.match(/^\s+at .*\(.*:\d+:\d+\)$/m);
    });
  });

  describe("TypeScript 7", () => {
    it("says which TypeScript to install", () => {
      const msg = transformer.unsupportedTypeScript("7.0.1");
      expect(msg).to.include("TypeScript 7.0.1 has no transformer API").and.include("npm install --save-dev typescript@6 ts-patch@4");
      expect(transformer.unsupportedTypeScript(ts.version)).to.equal(undefined);
    });

    it("reports it as a diagnostic and leaves the code alone when loaded into TypeScript 7", () => {
      const program = ts.createProgram({ rootNames: [], options: {} });
      const got = [];
      const fakeTs = { ...ts, version: "7.0.0", versionMajorMinor: "7.0" };
      const factory = transformer.default(program, {}, { ts: fakeTs, addDiagnostic: (d) => got.push(d) });
      expect(got.map((d) => d.messageText)).to.have.length(1);
      expect(got[0].messageText).to.include("typescript@6");
      const sf = ts.createSourceFile("x.ts", "new Uint8Array(1)", ts.ScriptTarget.ES2022, true);
      expect(factory({})(sf)).to.equal(sf);
    });
  });

  describe("output", () => {
    it("a file without sites is byte-identical to plain tsc, .js, .d.ts and .js.map (CommonJS and ESM)", () => {
      for (const module of ["commonjs", "nodenext"]) {
        const files = {
          "src/a.ts": fs.readFileSync(path.join(fixturesDir, "no-sites/src/main.ts"), "utf8"),
          "src/b.ts": "export const n = new Uint8Array(2);\n",
        };
        const dir = writeProject({ files, compilerOptions: { module }, packageJson: module === "nodenext" ? { type: "module" } : undefined });
        const traced = compile(dir);
        const plain = compile(dir, { plugin: false });
        for (const f of ["src/a.js", "src/a.d.ts", "src/a.js.map"]) expect(traced.files[f], `${module} ${f}`).to.equal(plain.files[f]);
        expect(traced.files["src/b.js"]).to.not.equal(plain.files["src/b.js"]);
      }
    });

    it("CommonJS output requires the runtime directly: no import helper, so importHelpers needs no tslib", () => {
      const { outDir, files, diagnostics } = compile({ files: simple, compilerOptions: { importHelpers: true, esModuleInterop: true } });
      expect(diagnostics).to.deep.equal([]);
      expect(files["src/main.js"]).to.match(/const __ta_\d* = require\("traced-allocator\/runtime"\);/);
      expect(files["src/main.js"]).to.not.include("tslib").and.not.include("__importStar");
      const r = run(path.join(outDir, "src/main.js"), { env: { TRACED_ALLOC: "log" } });
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stderr).to.include("alloc Layout { size: 8, align: 1 } at src/main.ts:1:11");
    });

    it("comments stay, once each", () => {
      const { files } = compile({ files: simple });
      const js = files["src/main.js"];
      expect(js.match(/\/\/ one site/g)).to.have.length(1);
      expect(js.match(/\/\* kept \*\//g)).to.have.length(1);
    });

    it("source maps still point at the original code: an exception in a rewritten expression", () => {
      const { outDir } = compile({
        files: { "src/main.ts": "const ok = new Uint8Array(1);\n\nconst bad = Buffer.alloc(ok.length - 2);\nexport {};\n" },
      });
      const r = run(path.join(outDir, "src/main.js"), { nodeArgs: ["--enable-source-maps"], env: { TRACED_ALLOC: "summary" } });
      expect(r.status).to.equal(1);
      expect(r.stderr).to.include("RangeError");
      expect(r.stderr).to.match(/src[/\\]main\.ts:3:\d+/);
    });

    it("paths are relative to the project, with /, never absolute; `root` moves the base", () => {
      const dir = writeProject({ files: { "src/deep/x.ts": "export const x = new ArrayBuffer(3);\n" } });
      const plainRoot = compile(dir);
      expect(plainRoot.files["src/deep/x.js"]).to.include('"src/deep/x.ts"');
      expect(plainRoot.files["src/deep/x.js"]).to.not.include(dir);
      const rooted = compile(dir, { pluginConfig: { root: "src" } });
      expect(rooted.diagnostics).to.deep.equal([]);
      expect(rooted.files["src/deep/x.js"]).to.include('"deep/x.ts"');
    });

    it("sites are hoisted once per module: a loop adds no objects, only the call", () => {
      const { files } = compile({
        files: { "src/main.ts": "for (let i = 0; i < 3; i++) new Uint8Array(i);\nexport {};\n" },
      });
      const js = files["src/main.js"];
      expect(js.match(/\.site\(/g)).to.have.length(1);
      expect(js).to.match(/for \(let i = 0; i < 3; i\+\+\)\s+\(_a = new Uint8Array\(i\), \(typeof __ta_s_\d+ === "object" \? __ta_\d*\.alloc\(__ta_s_\d+, _a\)/);
    });

    it("a shadowing local `Uint8Array` or `Buffer` is left alone; an alias of the global is traced", () => {
      const src = [
        "function local() {",
        "  class Uint8Array { constructor(public n: number) {} }",
        "  const Buffer = { alloc: (n: number) => n };",
        "  return [new Uint8Array(1).n, Buffer.alloc(2)];",
        "}",
        "const U8 = globalThis.Uint8Array;",
        "const B = Buffer;",
        "console.log(local().join(), new U8(3).length, B.alloc(4).length);",
        "export {};",
      ].join("\n");
      const { outDir } = compile({ files: { "src/main.ts": src } });
      const t = runNdjson(path.join(outDir, "src/main.js"));
      expect(t.status).to.equal(0);
      expect(t.stdout.trim()).to.equal("1,2 3 4");
      // Where allocations are reported: the allocs (their deallocs at exit are at the same places).
      const allocs = t.events.filter((e) => e.event === "alloc");
      expect(allocs.map((e) => `${e.kind}@${e.line}:${e.col}`)).to.deep.equal(["new Uint8Array@8:29", "Buffer.alloc@8:49"]);
    });
  });
});
