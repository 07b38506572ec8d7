// Fixture suite: each folder under fixtures/ is a mini project. Compiled with the plugin and run
// with TRACED_ALLOC=log, its trace must equal `expected.log`; compiled without the plugin, it must
// print the same stdout and exit the same way; its .d.ts must not change; where `expected/` holds
// emitted JS, it must match (TypeScript 6 only: helpers differ between lines).
// UPDATE_GOLDEN=1 rewrites the golden files: look at the diff before committing it.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { compile, run, runNdjson, logLines, fixturesDir, tsMajor, cleanup } from "./harness.mjs";

const update = process.env.UPDATE_GOLDEN === "1";
const fixtures = fs
  .readdirSync(fixturesDir)
  .filter((d) => fs.existsSync(path.join(fixturesDir, d, "tsconfig.json")) && !fs.existsSync(path.join(fixturesDir, d, ".not-a-fixture")));

function entryOf(dir) {
  const meta = path.join(dir, "fixture.json");
  return fs.existsSync(meta) ? JSON.parse(fs.readFileSync(meta, "utf8")) : {};
}

function golden(file, actual) {
  if (update || !fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, actual);
    if (!update) throw new Error(`golden file ${path.relative(fixturesDir, file)} did not exist: written now, check it`);
  }
  expect(actual).to.equal(fs.readFileSync(file, "utf8"), `golden ${path.relative(fixturesDir, file)}`);
}

after(cleanup);

describe(`fixtures (TypeScript ${tsMajor})`, function () {
  this.timeout(120_000);
  for (const name of fixtures) {
    describe(name, () => {
      const dir = path.join(fixturesDir, name);
      const meta = entryOf(dir);
      const main = meta.main ?? "src/main.js";
      // "cwd": "project" runs from the fixture's folder (stack-trace fallbacks are relative to it).
      const opts = (env) => ({ nodeArgs: meta.nodeArgs ?? [], cwd: meta.cwd === "project" ? dir : undefined, env });
      let traced, plain;
      before(() => {
        traced = compile(dir);
        plain = compile(dir, { plugin: false });
      });

      it("compiles without diagnostics, with and without the plugin", () => {
        expect(traced.diagnostics).to.deep.equal([]);
        expect(plain.diagnostics).to.deep.equal([]);
      });

      it("emits the same .d.ts as plain tsc", () => {
        const dts = (files) => Object.fromEntries(Object.entries(files).filter(([k]) => k.endsWith(".d.ts")));
        expect(dts(traced.files)).to.deep.equal(dts(plain.files));
      });

      // fixtures/positions prints what it observes of the plugin on purpose ("sameOutput": false).
      if (meta.sameOutput !== false) it("prints the same output and exits the same way with and without the plugin (tracing on)", function () {
        const a = run(path.join(plain.outDir, main), opts({}));
        const b = run(path.join(traced.outDir, main), opts({ TRACED_ALLOC: "summary" }));
        expect(b.stdout).to.equal(a.stdout);
        expect(b.status).to.equal(a.status);
        expect(a.stdout).to.not.equal("");
      });

      if (fs.existsSync(path.join(dir, "expected.log")) || update) {
        it("logs the expected trace (expected.log)", () => {
          const r = run(path.join(traced.outDir, main), opts({ TRACED_ALLOC: "log" }));
          golden(path.join(dir, "expected.log"), logLines(r.stderr).join("\n") + "\n");
        });

        it("writes one ndjson event per log line, at the same places", () => {
          const r = run(path.join(traced.outDir, main), opts({ TRACED_ALLOC: "log" }));
          const n = runNdjson(path.join(traced.outDir, main), opts({}));
          const lines = logLines(r.stderr);
          expect(n.events.length).to.equal(lines.length);
          n.events.forEach((e, i) => {
            expect(lines[i]).to.match(new RegExp(`^${e.event} .* at ${e.file.replace(/[.]/g, "\\.")}:${e.line}:${e.col}$`));
          });
        });
      }

      const expectedDir = path.join(dir, "expected");
      if (tsMajor === 6 && fs.existsSync(expectedDir)) {
        it("emits the expected JavaScript (expected/)", () => {
          for (const file of fs.readdirSync(expectedDir)) {
            const key = Object.keys(traced.files).find((k) => path.basename(k) === file);
            expect(key, `no emitted file ${file}`).to.be.a("string");
            golden(path.join(expectedDir, file), traced.files[key]);
          }
        });
      }
    });
  }
});
