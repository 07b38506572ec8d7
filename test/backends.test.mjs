// One engine, two back ends: every fixture of fixtures/ (as test/fixtures.test.mjs enumerates them)
// is built twice, by the ts-patch back end (TypeScript nodes, in the program's emit) and by the
// text back end (edits of the TypeScript text applied with magic-string, as the bundler plugin does;
// the edited text then compiled by the same compiler options without our transformer, its source
// map composed with the edits' map). Both builds must print the same output, exit the same way and
// write the same trace: every event with its size, place (file:line:col), kind and site key, and the
// same site table.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { createRequire } from "node:module";
import remapping from "@jridgewell/remapping";
import { normalized, fixtureNames, fixtureMeta } from "./support/traces.mjs";
import { ts, compile, scratch, run, runNdjson, logLines, fixturesDir, repoRoot, cleanup } from "./harness.mjs";

const require = createRequire(import.meta.url);
const { fileContext, rewriteText } = require(path.join(repoRoot, "dist/transformer/edits.js"));
const { parseOptions } = require(path.join(repoRoot, "dist/transformer/options.js"));

const fixtures = fixtureNames(fixturesDir);

/**
 * The text back end's build of a fixture: each source file's text rewritten by `rewriteText`, then
 * the program of the edited texts emitted as plain tsc would, into a scratch folder. Returns
 * {outDir, edited: {file: code}, syntaxErrors}.
 */
function compileByText(dir) {
  const configPath = path.join(dir, "tsconfig.json");
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  const outDir = scratch(`${path.basename(dir)}-text`);
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, dir, { outDir }, configPath);
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
  const entry = (parsed.options.plugins ?? []).find((p) => /traced-allocator/.test(p.transform ?? "")) ?? {};
  const { options, errors } = parseOptions(entry, dir);
  if (errors.length) throw new Error(errors.join("\n"));
  const fc = fileContext(ts, program, options);

  const edited = new Map();
  for (const name of parsed.fileNames) {
    const sf = program.getSourceFile(name);
    const r = sf && rewriteText(fc, sf, path.basename(name));
    if (r) edited.set(sf.fileName, r);
  }

  const host = ts.createCompilerHost(parsed.options);
  const original = host.getSourceFile;
  host.getSourceFile = (name, lang, onError, fresh) =>
    edited.has(name) ? ts.createSourceFile(name, edited.get(name).code, lang, true) : original.call(host, name, lang, onError, fresh);
  const textProgram = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options, host });
  const syntaxErrors = textProgram.getSyntacticDiagnostics().map((d) => `${d.file?.fileName}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
  const emit = textProgram.emit(undefined, (fileName, text) => {
    let out = text;
    if (fileName.endsWith(".js.map")) {
      // JS -> edited TS (tsc's map), edited TS -> original TS (the edits' map): JS -> original TS.
      const jsMap = JSON.parse(text);
      const source = path.resolve(path.dirname(fileName), jsMap.sourceRoot ?? "", jsMap.sources[0]);
      const edits = edited.get(source.split(path.sep).join("/"));
      if (edits) {
        const composed = remapping(jsMap, (file, ctx) => (ctx.depth === 1 && file === jsMap.sources[0] ? edits.map : null));
        out = JSON.stringify({ ...composed, sources: jsMap.sources, sourcesContent: undefined, file: jsMap.file });
      }
    }
    fs.mkdirSync(path.dirname(fileName), { recursive: true });
    fs.writeFileSync(fileName, out);
  });
  const pkg = path.join(dir, "package.json");
  if (fs.existsSync(pkg)) fs.copyFileSync(pkg, path.join(outDir, "package.json"));
  const emitErrors = emit.diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  return { outDir, edited, syntaxErrors: [...syntaxErrors, ...emitErrors] };
}

after(cleanup);

describe(`two back ends: ts-patch nodes and text edits (TypeScript ${ts.version})`, function () {
  this.timeout(120_000);
  for (const name of fixtures) {
    describe(name, () => {
      const dir = path.join(fixturesDir, name);
      const meta = fixtureMeta(dir);
      const main = meta.main ?? "src/main.js";
      const opts = (env) => ({ nodeArgs: meta.nodeArgs ?? [], cwd: meta.cwd === "project" ? dir : undefined, env });
      let nodes, text, a, b;
      before(() => {
        nodes = compile(dir);
        text = compileByText(dir);
        a = runNdjson(path.join(nodes.outDir, main), opts({}));
        b = runNdjson(path.join(text.outDir, main), opts({}));
      });

      it("the edited TypeScript parses and compiles", () => {
        expect(nodes.diagnostics).to.deep.equal([]);
        expect(text.syntaxErrors).to.deep.equal([]);
      });

      it("keeps every line of the original on its line", () => {
        for (const [file, { code }] of text.edited) {
          expect(code.split("\n").length, file).to.equal(fs.readFileSync(file, "utf8").split("\n").length);
        }
      });

      it("prints the same output and exits the same way", () => {
        expect(b.status, b.stderr).to.equal(a.status);
        expect(b.stdout).to.equal(a.stdout);
        expect(b.stderr).to.equal(a.stderr);
      });

      it("writes the same trace: events (size, file:line:col, kind, key) and site table", () => {
        const x = normalized(a.records);
        const y = normalized(b.records);
        expect(y.table).to.deep.equal(x.table);
        expect(y.events).to.deep.equal(x.events);
        if (fs.existsSync(path.join(dir, "expected.log"))) {
          // The fixture's golden log, through the text back end's build.
          const r = run(path.join(text.outDir, main), opts({ TRACED_ALLOC: "log" }));
          expect(logLines(r.stderr).join("\n") + "\n").to.equal(fs.readFileSync(path.join(dir, "expected.log"), "utf8"));
        }
      });
    });
  }
});
