// traced-allocator/mocha, the root hook plugin: a real mocha process (`mocha --require
// traced-allocator/mocha`) on fixtures/assertions/spec beside the codec compiled with the plugin
// and the fixture's traced-alloc.budget.json. Checks the exit status, each failure's message (the
// sites, file:line:col kind, largest first, limit against measured), the per-test table, that a
// second run prints the same, and how the budget file is found or refused.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { cleanup, compile, fixturesDir, repoRoot } from "./harness.mjs";

const FIXTURE = path.join(fixturesDir, "assertions");
const SOURCE = fs.readFileSync(path.join(FIXTURE, "src/codec.ts"), "utf8");
const MOCHA = path.join(repoRoot, "node_modules/mocha/bin/mocha.js");

/** `src/codec.ts:line:col` of `needle` (unique) in the fixture's source. */
function at(needle) {
  const i = SOURCE.indexOf(needle);
  if (i < 0 || SOURCE.indexOf(needle, i + 1) >= 0) throw new Error(`'${needle}' is not once in codec.ts`);
  const before = SOURCE.slice(0, i).split("\n");
  return `src/codec.ts:${before.length}:${before[before.length - 1].length + 1}`;
}

/** The block of mocha's report for failure `n` (`  n) codec …` up to the next one). */
function failureBlock(stdout, n) {
  const start = stdout.indexOf(`  ${n}) codec`);
  const end = stdout.indexOf(`  ${n + 1}) codec`, start + 1);
  expect(start, `failure ${n} in:\n${stdout}`).to.be.above(-1);
  return stdout.slice(start, end < 0 ? undefined : end);
}

/** The `site kind` pairs of a sites table in a message, in order. */
function sitesOf(block) {
  return block
    .split("\n")
    .filter((l) => /^\s+src\/codec\.ts:\d+:\d+\s/.test(l))
    .map((l) => l.trim().split(/\s{2,}/).slice(0, 2).join(" "));
}

// Root level: runs once, after every file's tests (the harness's scratch folder is shared).
after(cleanup);

describe("traced-allocator/mocha (root hook plugin)", function () {
  this.timeout(60_000);
  let dir;

  before(() => {
    const c = compile(FIXTURE);
    expect(c.diagnostics).to.deep.equal([]);
    dir = c.outDir;
    fs.cpSync(path.join(FIXTURE, "spec"), path.join(dir, "spec"), { recursive: true });
    fs.copyFileSync(path.join(FIXTURE, "traced-alloc.budget.json"), path.join(dir, "traced-alloc.budget.json"));
    fs.symlinkSync(path.join(repoRoot, "node_modules/chai"), path.join(dir, "node_modules/chai"), "dir");
  });

  function mocha(args = [], env = {}) {
    const r = spawnSync(process.execPath, [MOCHA, "--no-config", "--require", "traced-allocator/mocha", ...args, "spec/codec.spec.mjs"], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, TRACED_ALLOC: "", TRACED_ALLOC_BUDGET: "", TRACED_ALLOC_TABLE: "", ...env },
      timeout: 60_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  describe("with the budget file in the working directory", () => {
    let first;
    before(() => {
      first = mocha();
    });

    it("fails exactly the tests over their budget and the one that fails on its own; the exit status counts them", () => {
      expect(first.status, first.stdout + first.stderr).to.equal(4);
      expect(first.stdout).to.match(/\b6 passing\b/);
      expect(first.stdout).to.match(/\b1 pending\b/);
      expect(first.stdout).to.match(/\b4 failing\b/);
      const failed = [...first.stdout.matchAll(/^\s+\d\) (.+)$/gm)].map((m) => m[1]).slice(0, 4);
      expect(failed).to.deep.equal(["encodes a big frame", "calls back", "keeps a frame", "throws"]);
    });

    it("an over-budget failure names limit against measured and the sites, file:line:col kind, largest first", () => {
      const big = failureBlock(first.stdout, 1);
      expect(big).to.include(
        'AllocationBudgetError: over its allocation budget: allocs 6 > 3, bytes 8.0 KiB (8240 B) > 1 KiB (traced-alloc.budget.json, tests["codec encodes a big frame"]: allocs ≤ 3, bytes ≤ 1 KiB); it allocated 6 allocs, 8.0 KiB (8240 B)',
      );
      expect(big).to.include("sites, largest bytes first:");
      expect(sitesOf(big)).to.deep.equal([`${at("concat([header, body])")} Buffer.concat`, `${at("alloc(n)")} Buffer.alloc`, `${at("new Uint8Array(4)")} new Uint8Array`]);
      expect(big).to.not.match(/^\s+at /m); // the message, not the plugin's stack
    });

    it("a done-callback test: what its callback's timer allocated counts", () => {
      const cb = failureBlock(first.stdout, 2);
      expect(cb).to.include("over its allocation budget: allocs 1 > 0");
      expect(sitesOf(cb)).to.deep.equal([`${at("new Uint8Array(n)), 1)")} new Uint8Array`]);
    });

    it("a limit on live: measured after a full collection, the live sites listed", () => {
      const live = failureBlock(first.stdout, 3);
      expect(live).to.include("over its allocation budget: live 32 B > 0 B");
      expect(live).to.include("sites, largest live first:");
      expect(sitesOf(live)).to.deep.equal([`${at("new Uint16Array(n / 2)")} new Uint16Array`]);
    });

    it("a test that fails on its own is reported with its own error", () => {
      const own = failureBlock(first.stdout, 4);
      expect(own).to.include("RangeError: codec failed");
      expect(own).to.not.include("AllocationBudgetError");
    });

    it("prints the per-test table on stderr: each test with limits, what it allocated, ok or OVER; and the entries that matched no test", () => {
      const lines = first.stderr.split("\n").filter(Boolean);
      expect(lines[0]).to.equal("traced-allocator: allocations per test (budget: traced-alloc.budget.json)");
      const rows = lines.slice(2, -1).map((l) => l.trim().split(/\s{2,}/));
      expect(lines[1].trim().split(/\s{2,}/)).to.deep.equal(["test", "allocs", "reallocs", "bytes", "live", "limits", "result"]);
      expect(rows).to.deep.equal([
        ["codec encodes a frame", "3", "0", "40 B", "-", "allocs ≤ 3, bytes ≤ 40 B", "ok"],
        ["codec encodes a big frame", "6", "0", "8.0 KiB (8240 B)", "-", "allocs ≤ 3, bytes ≤ 1 KiB", "OVER: allocs 6 > 3, bytes 8.0 KiB (8240 B) > 1 KiB"],
        ["codec encodes later", "2", "0", "80 B", "-", "bytes ≤ 80 B", "ok"],
        ["codec calls back", "1", "0", "8 B", "-", "allocs ≤ 0", "OVER: allocs 1 > 0"],
        ["codec calls back within budget", "1", "0", "8 B", "-", "allocs ≤ 1, bytes ≤ 8 B", "ok"],
        ["codec keeps a frame", "1", "0", "32 B", "32 B", "live ≤ 0 B", "OVER: live 32 B > 0 B"],
        // retried: the attempt that passed, measured once
        ["codec passes on a retry", "3", "0", "10 B", "-", "allocs ≤ 3", "ok"],
      ]);
      expect(lines.at(-1)).to.equal('  budget entries that matched no test that ran: "not a test of this suite"');
    });

    it("prints the same figures on a second run", () => {
      const second = mocha();
      expect(second.status).to.equal(4);
      expect(second.stderr).to.equal(first.stderr);
    });
  });

  it("TRACED_ALLOC_TABLE=1 prints the table when every test passed, with the tests that have no limit", () => {
    const r = mocha(["--grep", "encodes a frame|adds without"], { TRACED_ALLOC_TABLE: "1" });
    expect(r.status, r.stdout + r.stderr).to.equal(0);
    const rows = r.stderr.split("\n").filter((l) => l.startsWith("  codec")).map((l) => l.trim().split(/\s{2,}/));
    expect(rows).to.deep.equal([
      ["codec encodes a frame", "3", "0", "40 B", "-", "allocs ≤ 3, bytes ≤ 40 B", "ok"],
      ["codec adds without allocating", "0", "0", "0 B", "-", "-"],
    ]);
  });

  it("TRACED_ALLOC_BUDGET names another budget file", () => {
    fs.writeFileSync(path.join(dir, "strict.json"), JSON.stringify({ tests: { "*": { allocs: 0 } } }));
    const r = mocha(["--grep", "encodes a frame"], { TRACED_ALLOC_BUDGET: "strict.json" });
    expect(r.status).to.equal(1);
    expect(r.stdout).to.include('over its allocation budget: allocs 3 > 0 (strict.json, tests["*"]: allocs ≤ 0)');
  });

  it("without a budget file, every test is measured and none fails for it; no table", () => {
    fs.renameSync(path.join(dir, "traced-alloc.budget.json"), path.join(dir, "budget.off"));
    try {
      const r = mocha(["--grep", "big frame|calls back|keeps"]);
      expect(r.status, r.stdout + r.stderr).to.equal(0);
      expect(r.stdout).to.match(/\b4 passing\b/);
      expect(r.stderr).to.equal("");
    } finally {
      fs.renameSync(path.join(dir, "budget.off"), path.join(dir, "traced-alloc.budget.json"));
    }
  });

  it("a bad budget file stops the run with a message naming the file, the JSON path and the fix, without a stack trace", () => {
    fs.writeFileSync(path.join(dir, "bad.json"), JSON.stringify({ tests: { "encodes a frame": { alocs: 3 } } }));
    const r = mocha([], { TRACED_ALLOC_BUDGET: "bad.json" });
    expect(r.status).to.not.equal(0);
    const out = r.stdout + r.stderr;
    expect(out).to.include('traced-allocator/mocha: bad.json: tests["encodes a frame"].alocs: unknown key (did you mean "allocs"?); allowed here: allocs, reallocs, bytes, live');
    expect(out).to.not.match(/^\s+at .*integrations/m);
    expect(r.stdout).to.match(/\b0 passing\b/); // no test ran
  });
});
