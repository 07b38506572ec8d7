// The budget file module (cli/budget.ts): sizes, validation with messages that name the file, the
// JSON path and the fix, rule matching by file glob / function path / kind, tests' limits, and
// the check of limits against figures. Used by `traced-alloc check` and traced-allocator/mocha.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createRequire } from "node:module";
import { repoRoot } from "./harness.mjs";

const require = createRequire(import.meta.url);
const B = require(path.join(repoRoot, "dist/cli/budget.js"));
const { UsageError } = require(path.join(repoRoot, "dist/cli/command.js"));

const FILE = "traced-alloc.budget.json";
/** The message of the BudgetError that parsing `json` throws. */
function error(json) {
  try {
    B.parseBudget(typeof json === "string" ? json : JSON.stringify(json, null, 2), FILE);
  } catch (e) {
    expect(e).to.be.instanceOf(B.BudgetError);
    expect(e).to.be.instanceOf(UsageError); // exit status 2 in the command line
    return e.message;
  }
  throw new Error("no error");
}

describe("budget file (cli/budget.ts)", () => {
  describe("sizes", () => {
    it("numbers of bytes, or strings with B, KiB, MiB, GiB (any case, space optional)", () => {
      const cases = { 0: 0, 512: 512, "0 B": 0, "512 B": 512, "4 KiB": 4096, "4KiB": 4096, "64 MiB": 64 * 2 ** 20, "1 GiB": 2 ** 30, "1.5 kib": 1536, "100": 100 };
      for (const [text, bytes] of Object.entries(cases)) {
        const value = /^\d+$/.test(text) && text !== "100" ? Number(text) : text;
        expect(B.parseSize(value), text).to.deep.equal({ bytes });
      }
      expect(B.parseSize(0.1 * 1024 ** 2).bytes).to.equal(104857); // rounded down
    });

    it("says what is wrong with anything else", () => {
      expect(B.parseSize("4 KB").why).to.equal('"4 KB": KB is ambiguous; write KiB (powers of 1024)');
      expect(B.parseSize("4 TB").why).to.equal('"4 TB": unknown unit TB (B, KiB, MiB, GiB)');
      expect(B.parseSize("lots").why).to.equal('"lots" is not a size');
      expect(B.parseSize(-1).why).to.equal("-1 is not a size ≥ 0");
      expect(B.parseSize(true).why).to.equal("true is not a size");
    });

    it("formatSize: exact where a unit divides it, else with the bytes", () => {
      expect([0, 1023, 1024, 4096, 6656, 2 ** 20, 3 * 2 ** 30].map(B.formatSize)).to.deep.equal(["0 B", "1023 B", "1 KiB", "4 KiB", "6.5 KiB (6656 B)", "1 MiB", "3 GiB"]);
    });
  });

  describe("parseBudget", () => {
    it("reads SPEC's example", () => {
      const b = B.parseBudget(
        `{ "total": { "allocs": 100000, "bytes": "64 MiB", "peak": "8 MiB", "live": "0 B" },
  "rules": [ { "file": "src/codec/**", "fn": "Encoder.encode", "kind": "new Uint8Array",
               "allocs": 2, "bytes": "4 KiB", "live": 0 } ],
  "tests": { "encodes a frame": { "allocs": 3 } } }`,
        FILE,
      );
      expect(b.total).to.deep.equal({ allocs: 100000, bytes: 64 * 2 ** 20, peak: 8 * 2 ** 20, live: 0 });
      expect(b.rules).to.deep.equal([{ where: "rules[0]", file: "src/codec/**", fn: "Encoder.encode", kind: "new Uint8Array", allocs: 2, bytes: 4096, live: 0 }]);
      expect([...b.tests]).to.deep.equal([["encodes a frame", { allocs: 3 }]]);
      expect(b.file).to.equal(FILE);
    });

    it("every section is optional; $schema is allowed", () => {
      const b = B.parseBudget(`{ "$schema": "x" }`, FILE);
      expect(b.total).to.equal(undefined);
      expect(b.rules).to.deep.equal([]);
      expect(b.tests.size).to.equal(0);
    });

    it("a JSON syntax error names the file, line and column", () => {
      expect(error(`{\n  "total": { "allocs": 1, }\n}`)).to.equal(`${FILE}:2:27: not valid JSON (Expected double-quoted property name); a budget file is one JSON object`);
      expect(error(``)).to.match(new RegExp(`^${FILE}: not valid JSON \\(Unexpected end of JSON input\\)`));
    });

    it("a wrong value names the JSON path and the fix", () => {
      const cases = [
        [[], `${FILE}: (top level): a list: a budget file is a JSON object with "total", "rules" and/or "tests"`],
        [{ totals: {} }, `${FILE}: totals: unknown key (did you mean "total"?); allowed here: total, rules, tests, $schema`],
        [{ total: { bytes: "4 KB" } }, `${FILE}: total.bytes: "4 KB": KB is ambiguous; write KiB (powers of 1024); write a number of bytes or a string such as "512 B", "4 KiB", "64 MiB", "1 GiB"`],
        [{ total: { allocs: 1.5 } }, `${FILE}: total.allocs: 1.5: allocs is a count, a whole number ≥ 0`],
        [{ total: { allocs: "3" } }, `${FILE}: total.allocs: "3": allocs is a count, a whole number ≥ 0`],
        [{ total: { alocs: 3 } }, `${FILE}: total.alocs: unknown key (did you mean "allocs"?); allowed here: allocs, reallocs, bytes, peak, live`],
        [{ rules: {} }, `${FILE}: rules: an object: "rules" is a list: [{ "file": "src/**", "bytes": "4 KiB" }, …]`],
        [{ rules: [{ file: "src/**" }] }, `${FILE}: rules[0]: a rule with no limit checks nothing; add one of allocs, reallocs, bytes, peak, live`],
        [{ rules: [{ bytes: 1 }, { file: "", bytes: 1 }] }, `${FILE}: rules[1].file: "": "file" is a non-empty string (leave it out to match every site)`],
        [{ rules: [{ file: "src/[ab", bytes: 1 }] }, `${FILE}: rules[0].file: "src/[ab": "[" without "]" (write \\[ for the character)`],
        [{ rules: [{ func: "f", bytes: 1 }] }, `${FILE}: rules[0].func: unknown key (did you mean "fn"?); allowed here: file, fn, kind, allocs, reallocs, bytes, peak, live`],
        [{ rules: [{ kind: "new Uint8Array", live: "lots" }] }, `${FILE}: rules[0].live: "lots" is not a size; write a number of bytes or a string such as "512 B", "4 KiB", "64 MiB", "1 GiB"`],
        [{ tests: [] }, `${FILE}: tests: a list: "tests" maps a test's title to its limits: { "encodes a frame": { "allocs": 3 } }`],
        [{ tests: { "encodes a frame": 3 } }, `${FILE}: tests["encodes a frame"]: 3: limits are an object: { "allocs": 10, "bytes": "4 KiB" }`],
        [{ tests: { "encodes a frame": { peak: "1 KiB" } } }, `${FILE}: tests["encodes a frame"].peak: a test has no peak (it is measured by itself, not as a run); limit its bytes or live instead`],
        [{ tests: { x: { byte: 1 } } }, `${FILE}: tests["x"].byte: unknown key (did you mean "bytes"?); allowed here: allocs, reallocs, bytes, live`],
      ];
      for (const [json, message] of cases) expect(error(json), JSON.stringify(json)).to.equal(message);
    });

    it("readBudget: a missing file says so and what to do", () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "traced-alloc-budget-"));
      try {
        expect(() => B.readBudget("nope.json", dir)).to.throw(B.BudgetError, 'nope.json: no such budget file; write one (see README, "Budget file") or name another');
        fs.writeFileSync(path.join(dir, FILE), `{"tests": {"t": {"allocs": 1}}}`);
        expect([...B.readBudget(FILE, dir).tests.keys()]).to.deep.equal(["t"]);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it("findBudget: $TRACED_ALLOC_BUDGET, else traced-alloc.budget.json in the folder, else none", () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "traced-alloc-budget-"));
      try {
        expect(B.findBudget(dir, {})).to.equal(undefined);
        fs.writeFileSync(path.join(dir, FILE), "{}");
        expect(B.findBudget(dir, {})).to.equal(path.join(dir, FILE));
        expect(B.findBudget(dir, { TRACED_ALLOC_BUDGET: "ci/budget.json" })).to.equal(path.join(dir, "ci/budget.json"));
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe("matching", () => {
    const site = (file, kind, key) => ({ file, kind, key });
    const rule = (r) => ({ where: "rules[0]", bytes: 1, ...r });

    it("file: a glob on the path relative to the root; ** crosses folders, * does not", () => {
      const s = site("src/codec/frame.ts", "new Uint8Array", "src/codec/frame.ts#encode/new Uint8Array#1");
      for (const [glob, yes] of [
        ["src/codec/**", true],
        ["src/**/*.ts", true],
        ["**/frame.ts", true],
        ["src/*.ts", false],
        ["src/codec/*.ts", true],
        ["src/codec/{frame,other}.ts", true],
        ["src/codec/fram?.ts", true],
        ["frame.ts", false],
        ["src/[cd]odec/**", true],
      ]) {
        expect(B.ruleMatches(rule({ file: glob }), s), glob).to.equal(yes);
      }
    });

    it("fn: the function path of the stable key, or a function inside it; * is one name", () => {
      const s = site("src/codec.ts", "new Uint8Array", "src/codec.ts#Encoder.encode.flush/new Uint8Array#2");
      expect(B.scopeOf(s)).to.equal("Encoder.encode.flush");
      for (const [fn, yes] of [
        ["Encoder.encode.flush", true],
        ["Encoder.encode", true],
        ["Encoder", true],
        ["Encode", false],
        ["Encoder.enc", false],
        ["*.encode", true],
        ["Decoder", false],
        ["**.flush", true],
      ]) {
        expect(B.ruleMatches(rule({ fn }), s), fn).to.equal(yes);
      }
      // Top level: the scope is "" (no fn matches it); a site made without a scope has none.
      expect(B.scopeOf(site("src/a.ts", "new Uint8Array", "src/a.ts#/new Uint8Array#1"))).to.equal("");
      expect(B.scopeOf(site("src/a.ts", "Pool.get", "src/a.ts:3:4/Pool.get"))).to.equal(undefined);
      expect(B.ruleMatches(rule({ fn: "Pool" }), site("src/a.ts", "Pool.get", "src/a.ts:3:4/Pool.get"))).to.equal(false);
    });

    it("a @track_caller caller's row (callerKey>innerKey) is matched by the caller's function", () => {
      const s = site("src/main.ts", "new Uint8Array", "src/main.ts#run/makeBuffer#1>src/lib.ts#makeBuffer/new Uint8Array#1");
      expect(B.scopeOf(s)).to.equal("run");
      expect(B.ruleMatches(rule({ fn: "run" }), s)).to.equal(true);
      expect(B.ruleMatches(rule({ fn: "makeBuffer" }), s)).to.equal(false);
    });

    it("kind: exact, or with * for any characters; all given matchers must match; none matches everything", () => {
      const s = site("src/a.ts", "new Uint8Array", "src/a.ts#f/new Uint8Array#1");
      expect(B.ruleMatches(rule({ kind: "new Uint8Array" }), s)).to.equal(true);
      expect(B.ruleMatches(rule({ kind: "new Uint8" }), s)).to.equal(false);
      expect(B.ruleMatches(rule({ kind: "new *Array" }), s)).to.equal(true);
      expect(B.ruleMatches(rule({ kind: "new *Array", file: "lib/**" }), s)).to.equal(false);
      expect(B.ruleMatches(rule({}), s)).to.equal(true);
    });

    it("testLimits: the full title's entry, else the title's, else \"*\"", () => {
      const b = B.parseBudget(JSON.stringify({ tests: { "codec encodes": { allocs: 1 }, encodes: { allocs: 2 }, "*": { allocs: 9 } } }), FILE);
      expect(B.testLimits(b, "encodes", "codec encodes")).to.deep.equal({ key: "codec encodes", limits: { allocs: 1 } });
      expect(B.testLimits(b, "encodes", "other encodes")).to.deep.equal({ key: "encodes", limits: { allocs: 2 } });
      expect(B.testLimits(b, "decodes", "codec decodes")).to.deep.equal({ key: "*", limits: { allocs: 9 } });
      expect(B.testLimits(B.parseBudget("{}", FILE), "decodes", "codec decodes")).to.equal(undefined);
    });
  });

  describe("exceeded", () => {
    it("lists each limit passed (a figure equal to its limit passes), in a fixed order; unmeasured figures are not checked", () => {
      const limits = { allocs: 2, bytes: 4096, live: 0, peak: 10 };
      expect(B.exceeded(limits, { allocs: 2, bytes: 4096, live: 0 })).to.deep.equal([]);
      const over = B.exceeded(limits, { live: 8, allocs: 3, bytes: 6656 });
      expect(over).to.deep.equal([
        { metric: "allocs", limit: 2, measured: 3 },
        { metric: "bytes", limit: 4096, measured: 6656 },
        { metric: "live", limit: 0, measured: 8 },
      ]);
      expect(B.formatExcess(over)).to.equal("allocs 3 > 2, bytes 6.5 KiB (6656 B) > 4 KiB, live 8 B > 0 B");
      expect(B.formatLimits(limits)).to.equal("allocs ≤ 2, bytes ≤ 4 KiB, peak ≤ 10 B, live ≤ 0 B");
    });
  });
});
