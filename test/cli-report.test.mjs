// `traced-alloc report`: run as a user would (node dist/cli/main.js) on traces of real runs. The
// figures must be the runtime's own for the same run: its `sites()` and `totalsOf()` (dumped at
// exit by src/dump.ts) and the summary table it prints on stderr; in exact mode, sampled mode,
// under `lifetimes`, with a worker thread, a `@track_caller` helper and reallocs.
import { expect } from "chai";
import { cleanup } from "./harness.mjs";
import { build, parseSummary, reportJson, runBin, traced } from "./support/cli.mjs";

const HELPER = `/** @track_caller */
export function scratchpad(n: number): Uint8Array {
  return new Uint8Array(n);
}
`;

const COMMON = `export function make(n: number): Uint8Array {
  return new Uint8Array(n);
}
`;

/** Small: every object followed exactly. Garbage collected between phases; a realloc grows and shrinks; some objects kept. */
const EXACT = `import "./dump";
import { scratchpad } from "./helper";
const gc: () => void = (globalThis as any).gc;
const keep: object[] = [];
(globalThis as any).keep = keep;
async function settle(): Promise<void> {
  for (let i = 0; i < 2; i++) { gc(); await new Promise((r) => setTimeout(r, 5)); }
}
async function main(): Promise<void> {
  for (let r = 0; r < 4; r++) {
    for (let i = 0; i < 50; i++) new Uint8Array(100);
    await settle();
  }
  const buf = new ArrayBuffer(16, { maxByteLength: 4096 });
  buf.resize(1024);
  buf.resize(64);
  keep.push(buf);
  keep.push(Buffer.alloc(300));
  keep.push(scratchpad(77));
  keep.push(scratchpad(5));
  let arr: number[] | null = new Array(10);
  await settle();
  arr = null;
  await settle();
  console.log("done");
}
main();
`;

/** Past the exact bound (8192 objects): later lifetimes are sampled; some objects kept, some collected between turns. */
const SAMPLED = `import "./dump";
const gc: () => void = (globalThis as any).gc;
const keep: object[] = [];
(globalThis as any).keep = keep;
async function main(): Promise<void> {
  for (let r = 0; r < 10; r++) {
    for (let i = 0; i < 2000; i++) {
      const a = new Uint8Array(64 + (i % 7) * 100);
      if (i % 50 === 0) keep.push(a);
    }
    const f = new Float64Array(1000);
    if (r % 2 === 1) keep.push(f);
    await new Promise((res) => setTimeout(res, 1));
    if (r === 5) gc();
  }
  keep.length = 30;
  gc();
  await new Promise((res) => setTimeout(res, 5));
  console.log("done");
}
main();
`;

/** A main thread and a worker, both calling the same function (one stable key, two threads). */
const WORKER = `import "./dump";
import { Worker, isMainThread } from "node:worker_threads";
import { make } from "./common";
const keep: object[] = [];
(globalThis as any).keep = keep;
for (let i = 0; i < 100; i++) keep.push(make(isMainThread ? 1 : 2));
for (let i = 0; i < 30; i++) new Uint16Array(isMainThread ? 5 : 7);
if (isMainThread) {
  const w = new Worker(__filename);
  w.on("exit", () => {
    keep.push(new Uint8Array(3));
    console.log("done");
  });
}
`;

/**
 * Temporaries: 25 rounds of 50 short-lived objects (each round collected before the next), 10
 * objects that live through all of them (1250 allocations: more than the window), then 5 objects
 * made after the last collection and freed only at exit (not temporaries: the program ended).
 */
const TEMPS = `import "./dump";
const gc: () => void = (globalThis as any).gc;
async function settle(): Promise<void> {
  for (let i = 0; i < 2; i++) { gc(); await new Promise((r) => setTimeout(r, 5)); }
}
// In a function of its own, so that no register of the suspended main() holds the last one.
function round(): void {
  for (let i = 0; i < 50; i++) new Uint8Array(8);
}
async function main(): Promise<void> {
  const long: Uint8Array[] = [];
  for (let i = 0; i < 10; i++) long.push(new Uint8Array(32));
  for (let r = 0; r < 25; r++) {
    round();
    await settle();
  }
  long.length = 0;
  await settle();
  for (let i = 0; i < 5; i++) new Uint8Array(2);
  console.log("done");
}
main();
`;

/** Past the exact bound, an Allocator's objects are still followed exactly (the trace marks them "weight":1). */
const USER = `import "./dump";
import { Allocator, Layout } from "traced-allocator/runtime";
const keep: object[] = [];
(globalThis as any).keep = keep;
for (let i = 0; i < 9000; i++) new Uint8Array(16);
const a = {}, b = {};
Allocator.alloc(a, new Layout(100, 8));
Allocator.alloc(b, new Layout(50, 8));
Allocator.dealloc(a);
keep.push(b);
console.log("done");
`;

const SOURCES = { "src/user.ts": USER, "src/helper.ts": HELPER, "src/common.ts": COMMON, "src/exact.ts": EXACT, "src/sampled.ts": SAMPLED, "src/worker.ts": WORKER, "src/temps.ts": TEMPS };

let out;
before(function () {
  this.timeout(120_000);
  out = build(SOURCES);
});
after(cleanup);

const place = (r) => `${r.file}:${r.line}:${r.col} ${r.kind}${r.inner ? ` via ${r.inner.file}:${r.inner.line}:${r.inner.col}` : ""}`;
const FIGURES = ["allocs", "reallocs", "bytes", "max", "deallocs", "live", "atPeak", "estimated", "sampled"];
const figuresOf = (r) => Object.fromEntries(FIGURES.map((f) => [f, r[f]]));

/** The runtime's rows of every thread, added up by place and kind (and inner site), as `--by site` groups them. */
function runtimeRows(threads) {
  const m = new Map();
  for (const t of threads) {
    for (const r of t.sites) {
      const id = place(r);
      const g = m.get(id);
      if (g === undefined) m.set(id, { id, key: r.key, ...figuresOf(r) });
      else {
        for (const f of ["allocs", "reallocs", "bytes", "deallocs", "live", "atPeak"]) g[f] += r[f];
        g.max = Math.max(g.max, r.max);
        g.estimated ||= r.estimated;
        g.sampled ||= r.sampled;
      }
    }
  }
  return [...m.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
}

const reportRows = (json) => json.sites.map((g) => ({ id: g.id, key: g.key, ...figuresOf(g) })).sort((a, b) => (a.id < b.id ? -1 : 1));

/** `~123` → {value: 123, est: true}. */
const cell = (c) => ({ value: c.replace(/^~/, ""), est: c.startsWith("~") });

/**
 * The report's figures equal the runtime's: every row (all figures), the totals, the peak; and
 * the summary table printed on stderr, cell by cell, `~` where it has `~`.
 */
function expectSameAsRuntime(run) {
  expect(run.status, run.stderr).to.equal(0);
  const r = reportJson(run.trace, ["--top", "0"]);
  expect(r.status, r.stderr).to.equal(0);
  const j = r.json;
  expect(reportRows(j)).to.deep.equal(runtimeRows(run.threads));
  // Totals: each thread's as the runtime's totalsOf(); the run's, their sum.
  expect(j.threads.map((t) => t.thread)).to.deep.equal(run.threads.map((t) => t.thread));
  for (const [i, t] of run.threads.entries()) {
    const mine = j.threads[i];
    for (const f of ["allocs", "reallocs", "bytes", "deallocs", "live"]) expect(mine[f], `thread ${t.thread} ${f}`).to.equal(t.totals[f]);
    expect(mine.estimated, `thread ${t.thread} estimated`).to.equal(t.totals.sampled);
    expect(mine.peak, `thread ${t.thread} peak`).to.equal(t.totals.peak);
  }
  const sum = (f) => run.threads.reduce((n, t) => n + t.totals[f], 0);
  for (const f of ["allocs", "reallocs", "bytes", "deallocs", "live"]) expect(j.totals[f], f).to.equal(sum(f));
  const main = run.threads[0].totals;
  expect(j.peak.bytes).to.equal(main.peak);
  expect(j.peak.allocs).to.equal(main.peakAllocs);
  expect(j.peak.t).to.be.closeTo(main.peakMs, 0.001);
  expect(j.peak.estimated).to.equal(main.sampled);
  // The summary printed on stderr: its rows are the report's groups by site.
  const summary = parseSummary(run.stderr);
  const byPlace = new Map(j.sites.map((g) => [`${g.file}:${g.line}:${g.col} ${g.kind}`, g]));
  expect(summary.rows.length).to.equal(j.sites.length);
  for (const row of summary.rows) {
    const g = byPlace.get(`${row.site} ${row.kind}`);
    expect(g, `${row.site} ${row.kind} in the report`).to.not.equal(undefined);
    const b = cell(row.bytes);
    expect([Number(row.allocs), Number(row.reallocs), Number(b.value), b.est, Number(row.max)]).to.deep.equal([g.allocs, g.reallocs, g.bytes, g.estimated, g.max]);
    for (const [col, f] of [["deallocs", "deallocs"], ["live", "live"], ["at peak", "atPeak"]]) {
      const c = cell(row[col]);
      expect([Number(c.value), c.est], `${row.site} ${col}`).to.deep.equal([g[f], g.sampled]);
    }
  }
  return j;
}

describe("traced-alloc report: the figures are the runtime's for the same run", function () {
  this.timeout(120_000);

  it("exact mode (a small program): rows, totals and peak; a @track_caller row names its inner site; reallocs", () => {
    const run = traced(out, "exact");
    const j = expectSameAsRuntime(run);
    expect(j.totals.estimated).to.equal(false);
    const viaHelper = j.sites.filter((g) => g.inner !== undefined);
    expect(viaHelper.map((g) => [g.kind, g.inner.file, g.inner.line, g.inner.col])).to.deep.equal([
      ["new Uint8Array", "src/helper.ts", 3, 10],
      ["new Uint8Array", "src/helper.ts", 3, 10],
    ]);
    expect(j.sites.filter((g) => g.kind === "ArrayBuffer.prototype.resize").map((g) => g.reallocs)).to.deep.equal([1, 1]);
    // The text shows the inner site beside the caller's line.
    const text = runBin(["report", run.trace]).stdout;
    for (const g of viaHelper) expect(text).to.include(`${g.file}:${g.line}:${g.col} via src/helper.ts:3:10`);
  });

  it("exact mode: the text's header line is the summary's header (same counts and sizes)", () => {
    const run = traced(out, "exact");
    const text = runBin(["report", run.trace]);
    expect(text.status).to.equal(0);
    const summaryHead = parseSummary(run.stderr).header.replace(/^traced-allocator summary: /, "").replace(/ at [\d.]+ ms/, " at T ms");
    const lines = text.stdout.split("\n");
    expect(lines[0]).to.match(/^traced-alloc report: .*trace-exact-\d+\.ndjson \(format 1, 1 thread, \d+ events/);
    expect(lines[1].replace(/ at [\d.]+ ms/, " at T ms")).to.equal(summaryHead);
    // The same header whatever the rows are grouped by.
    expect(runBin(["report", run.trace, "--by", "kind"]).stdout.split("\n")[1]).to.equal(lines[1]);
  });

  it("sampled mode (past 8192 objects): rows and totals equal, estimates marked ~ as the summary marks them", () => {
    const run = traced(out, "sampled");
    const j = expectSameAsRuntime(run);
    expect(j.totals.estimated).to.equal(true);
    expect(j.sites.some((g) => g.sampled)).to.equal(true);
    const text = runBin(["report", run.trace]).stdout;
    expect(text.split("\n")[1]).to.match(/ ~\d+ deallocs; .* ~[\d.]+ \S+ live at exit, peak ~/);
    expect(text).to.match(/temporaries \([^)]*lifetimes were sampled/);
  });

  it("lifetimes: past 8192 objects, still exact (no ~), equal to the runtime's", () => {
    const run = traced(out, "sampled", { extra: "lifetimes" });
    const j = expectSameAsRuntime(run);
    expect(j.totals.estimated).to.equal(false);
    expect(j.sites.every((g) => !g.sampled)).to.equal(true);
    expect(j.totals.allocs).to.be.above(8192);
  });

  it("an Allocator's objects after the sampling record: followed exactly, their frees and live bytes counted as the runtime counts them", () => {
    const run = traced(out, "user");
    const j = expectSameAsRuntime(run);
    const user = j.sites.filter((g) => g.kind === "Allocator.alloc" || g.kind === "Allocator.dealloc");
    const sum = (k, f) => user.filter((g) => g.kind === k).reduce((n, g) => n + g[f], 0);
    expect([sum("Allocator.alloc", "allocs"), sum("Allocator.alloc", "live"), sum("Allocator.alloc", "deallocs")]).to.deep.equal([2, 50, 1]);
    expect(run.stderr + runBin(["report", run.trace]).stderr).not.to.match(/not counted/);
  });

  it("a worker thread: each thread's totals, and the rows of both added up as the summary's table", () => {
    const run = traced(out, "worker");
    expect(run.threads.length, "a dump from each thread").to.equal(2);
    const j = expectSameAsRuntime(run);
    const s = parseSummary(run.stderr);
    expect(s.threads.map((t) => t.thread)).to.deep.equal(["0 (main)", String(run.threads[1].thread), "total"]);
    expect(j.threads.map((t) => t.allocs)).to.deep.equal(s.threads.slice(0, 2).map((t) => Number(t.allocs)));
    // One key, two threads: --by key adds them up.
    const k = reportJson(run.trace, ["--by", "key"]).json;
    const make = k.sites.find((g) => g.key === "src/common.ts#make/new Uint8Array#1");
    expect(make.threads).to.deep.equal([0, run.threads[1].thread]);
    expect([make.allocs, make.bytes]).to.deep.equal([200, 100 * 1 + 100 * 2]);
    const text = runBin(["report", run.trace]).stdout;
    // The header's peak is the summary's: each thread's peak, added.
    const peakOf = (line) => /, peak (?:≤ )?(~?[\d.]+ \S+)/.exec(line)[1];
    expect(peakOf(text.split("\n")[1])).to.equal(peakOf(s.header));
    expect(text).to.match(/\nthreads: 2\n/);
    expect(text).to.match(/\n +total +\d+ /);
  });
});

describe("traced-alloc report: temporaries, leaks, the peak", function () {
  this.timeout(120_000);

  it("objects collected within the window are temporaries; objects that outlive 1000 allocations, or are freed only at exit, are not", () => {
    const run = traced(out, "temps");
    const j = expectSameAsRuntime(run);
    const short = j.sites.find((g) => g.kind === "new Uint8Array" && g.max === 8);
    const long = j.sites.find((g) => g.kind === "new Uint8Array" && g.max === 32);
    expect([short.allocs, short.deallocs, short.temporaries]).to.deep.equal([1250, 1250, 1250]);
    expect([long.allocs, long.deallocs, long.temporaries]).to.deep.equal([10, 10, 0]);
    const last = j.sites.find((g) => g.kind === "new Uint8Array" && g.max === 2);
    expect([last.allocs, last.deallocs, last.temporaries]).to.deep.equal([5, 5, 0]);
    expect(j.temporaries).to.include({ window: 1000, sampled: false, total: 1250 });
    expect(j.temporaries.sites.map((g) => g.id)).to.deep.equal([short.id]);
    const text = runBin(["report", run.trace]).stdout;
    expect(text).to.match(/temporaries \(freed within 1000 allocations of their thread\): 1250, most first:\n +1250 +src\/temps\.ts:\d+:\d+ +new Uint8Array +100\.0% of 1250 allocs\n/);
  });

  it("leaks: sites with live bytes at exit, largest first, in JSON and text", () => {
    const run = traced(out, "exact");
    const j = reportJson(run.trace).json;
    const live = run.threads[0].sites.filter((r) => r.live > 0).sort((a, b) => b.live - a.live);
    expect(j.leaks.map((g) => [g.id, g.live])).to.deep.equal(live.map((r) => [place(r), r.live]));
    const text = runBin(["report", run.trace]).stdout;
    expect(text).to.include(`live at exit (leaks): ${j.totals.live} B in ${live.length} sites, largest first:\n`);
  });

  it("the peak: when, how high, which sites held it (the runtime's peak record)", () => {
    const run = traced(out, "exact");
    const j = reportJson(run.trace).json;
    const held = run.threads[0].sites.filter((r) => r.atPeak > 0);
    expect(j.peak.sites.map((s) => [s.file, s.line, s.col, s.kind, s.bytes])).to.deep.equal(held.map((r) => [r.file, r.line, r.col, r.kind, r.atPeak]));
    const text = runBin(["report", run.trace]).stdout;
    expect(text).to.match(new RegExp(`\\npeak: [\\d.]+ \\S+ at ${j.peak.t.toFixed(1).replace(".", "\\.")} ms, after ${j.peak.allocs} allocations; held by:\\n`));
  });
});

describe("traced-alloc report: --by, --sort, --top, --json", function () {
  this.timeout(120_000);
  let trace;
  let all;
  before(() => {
    trace = traced(out, "exact").trace;
    all = reportJson(trace, ["--top", "0"]).json;
  });

  for (const by of ["file", "kind", "key"]) {
    it(`--by ${by}: one row per ${by}, adding up to the totals`, () => {
      const j = reportJson(trace, ["--by", by, "--top", "0"]).json;
      const ids = j.sites.map((g) => g.id);
      expect(new Set(ids).size).to.equal(ids.length);
      const expected = new Set(all.sites.map((g) => g[by]));
      expect(new Set(ids)).to.deep.equal(expected);
      for (const f of ["allocs", "reallocs", "bytes", "live"]) expect(j.sites.reduce((n, g) => n + g[f], 0), f).to.equal(j.totals[f]);
    });
  }

  for (const [sort, field] of [["bytes", "bytes"], ["allocs", "allocs"], ["peak", "atPeak"], ["live", "live"]]) {
    it(`--sort ${sort}: largest ${field} first`, () => {
      const j = reportJson(trace, ["--sort", sort, "--top", "0"]).json;
      const values = j.sites.map((g) => g[field]);
      expect(values).to.deep.equal([...values].sort((a, b) => b - a));
      expect(j.sites[0][field]).to.equal(Math.max(...all.sites.map((g) => g[field])));
    });
  }

  it("--top N: at most N rows per table, the count of all of them kept; the text says 'top N of M'", () => {
    const j = reportJson(trace, ["--top", "2"]).json;
    expect(j.sites.length).to.equal(2);
    expect(j.count).to.equal(all.sites.length);
    expect(j.sites.map((g) => g.id)).to.deep.equal(all.sites.slice(0, 2).map((g) => g.id));
    const text = runBin(["report", trace, "--top", "2"]).stdout;
    expect(text).to.include(`\ntop 2 of ${all.sites.length} sites by bytes:\n`);
    const table = text.split("\n\n")[1].split("\n").filter(Boolean);
    expect(table.length).to.equal(1 + 1 + 2); // title, header, 2 rows
  });

  it("--json: the documented shape", () => {
    expect(Object.keys(all)).to.deep.equal(["trace", "by", "sort", "top", "totals", "peak", "peakAllThreads", "count", "sites", "leaks", "temporaries", "threads", "warnings"]);
    expect(Object.keys(all.totals)).to.deep.equal(["allocs", "reallocs", "bytes", "deallocs", "live", "estimated"]);
    expect(all.trace).to.include({ version: 1, truncated: false, threads: 1 });
    expect(all.sites[0]).to.include.keys("id", "file", "line", "col", "kind", "key", "threads", "allocs", "reallocs", "bytes", "max", "deallocs", "live", "atPeak", "temporaries", "estimated", "sampled");
  });

  it("--help, and bad usage: exit 2 with a message naming the fix", () => {
    const h = runBin(["report", "--help"]);
    expect(h.status).to.equal(0);
    expect(h.stdout).to.match(/^Usage: traced-alloc report <trace>/);
    for (const [args, message] of [
      [[], /report: missing <trace>/],
      [[trace, "--by", "line"], /--by line: expected one of site, key, file, kind/],
      [[trace, "--sort", "size"], /--sort size: expected one of bytes, allocs, peak, live/],
      [[trace, "--top", "x"], /--top x: expected a whole number/],
      [[trace, "--top"], /--top needs a value/],
      [[trace, "--colour"], /unknown option --colour/],
      [[trace, trace], /unexpected argument/],
    ]) {
      const r = runBin(["report", ...args]);
      expect(r.status, args.join(" ")).to.equal(2);
      expect(r.stderr).to.match(message).and.to.match(/see 'traced-alloc report --help'/);
      expect(r.stderr).to.not.match(/\n\s+at /); // no stack
      expect(r.stdout).to.equal("");
    }
  });
});
