// `traced-alloc diff`: two builds of one program, the second with lines added above every site,
// one site allocating more, one site gone and one new. Sites are matched by stable key: the moved
// sites show no change, the changed one tops the list at its new line.
import { expect } from "chai";
import { cleanup } from "./harness.mjs";
import { build, runBin, traced } from "./support/cli.mjs";

const BASE = `import "./dump";
const keep: object[] = [];
(globalThis as any).keep = keep;
export function encode(n: number): Uint8Array {
  return new Uint8Array(n);
}
export function header(): ArrayBuffer {
  return new ArrayBuffer(8);
}
export function scratch(): Float64Array {
  return new Float64Array(4);
}
for (let i = 0; i < 100; i++) keep.push(encode(16));
for (let i = 0; i < 10; i++) keep.push(header());
for (let i = 0; i < 5; i++) keep.push(scratch());
keep.push(Buffer.alloc(64));
`;

// The same program with lines added above every site; encode() is called with 48 bytes instead of
// 16 (the one change), Buffer.alloc is gone, and a new function allocates.
const HEAD = `import "./dump";
// A comment added above everything.
const keep: object[] = [];
(globalThis as any).keep = keep;
const unrelated = 1 + 2;

export function encode(n: number): Uint8Array {
  // a comment inside
  return new Uint8Array(n);
}

export function header(): ArrayBuffer {
  const pad = unrelated;
  return new ArrayBuffer(8 + pad - pad);
}
export function scratch(): Float64Array {

  return new Float64Array(4);
}
export function extra(): Uint16Array {
  return new Uint16Array(10);
}
for (let i = 0; i < 100; i++) keep.push(encode(48));
for (let i = 0; i < 10; i++) keep.push(header());
for (let i = 0; i < 5; i++) keep.push(scratch());
keep.push(extra());
`;

let base;
let head;
before(function () {
  this.timeout(120_000);
  base = traced(build({ "src/app.ts": BASE }), "app");
  head = traced(build({ "src/app.ts": HEAD }), "app");
  expect(base.status, base.stderr).to.equal(0);
  expect(head.status, head.stderr).to.equal(0);
});
after(cleanup);

/** 1-based line of the first line of `src` containing `needle`. */
const lineOf = (src, needle) => src.split("\n").findIndex((l) => l.includes(needle)) + 1;

describe("traced-alloc diff", function () {
  this.timeout(60_000);

  it("--json: the changed site first, at its new line; moved sites unchanged; new and gone sites; totals and their change", () => {
    const r = runBin(["diff", base.trace, head.trace, "--json"]);
    expect(r.status, r.stderr).to.equal(0);
    const j = JSON.parse(r.stdout);
    expect(j.counts).to.deep.equal({ changed: 1, new: 1, gone: 1, unchanged: 2, moved: 2 });
    expect(j.sites.map((s) => [s.status, s.key])).to.deep.equal([
      ["changed", "src/app.ts#encode/new Uint8Array#1"],
      ["gone", "src/app.ts#/Buffer.alloc#1"],
      ["new", "src/app.ts#extra/new Uint16Array#1"],
    ]);
    const [changed, gone, added] = j.sites;
    expect(changed).to.include({ file: "src/app.ts", line: lineOf(HEAD, "new Uint8Array"), kind: "new Uint8Array" });
    expect(changed.base.line).to.equal(lineOf(BASE, "new Uint8Array"));
    expect(changed.delta).to.include({ allocs: 0, reallocs: 0, bytes: 100 * 32 });
    expect([changed.base.bytes, changed.head.bytes]).to.deep.equal([1600, 4800]);
    // Shares of the peak: the site's bytes held at the peak ÷ the peak.
    expect(changed.head.share).to.be.closeTo(changed.head.atPeak / j.head.peak, 1e-12);
    expect(changed.delta.share).to.be.closeTo(changed.head.share - changed.base.share, 1e-12);
    expect(gone).to.include({ line: lineOf(BASE, "Buffer.alloc"), kind: "Buffer.alloc" });
    expect([gone.head, gone.delta.bytes]).to.deep.equal([null, -64]);
    expect([added.base, added.delta.allocs, added.delta.bytes]).to.deep.equal([null, 1, 20]);
    // Totals: both, and the change (the runtime's own totals).
    const bt = base.threads[0].totals;
    const ht = head.threads[0].totals;
    expect(j.base.totals).to.include({ allocs: bt.allocs, bytes: bt.bytes, live: bt.live });
    expect(j.head.totals).to.include({ allocs: ht.allocs, bytes: ht.bytes, live: ht.live });
    expect(j.change).to.include({ allocs: ht.allocs - bt.allocs, bytes: ht.bytes - bt.bytes, peak: ht.peak - bt.peak, sites: 0 });
    expect(j.change.bytes).to.equal(3200 - 64 + 20);
  });

  it("text: the totals table, the counts, one row per new, gone or changed site, largest |Δbytes| first", () => {
    const r = runBin(["diff", base.trace, head.trace]);
    expect(r.status, r.stderr).to.equal(0);
    const t = r.stdout;
    expect(t).to.match(/^traced-alloc diff: .*trace-app-\d+\.ndjson → .*trace-app-\d+\.ndjson\n/);
    const bt = base.threads[0].totals;
    const ht = head.threads[0].totals;
    const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
    expect(t).to.match(new RegExp(`\n +allocs +${bt.allocs} +${ht.allocs} +0\n`));
    const pct = (((ht.bytes - bt.bytes) / bt.bytes) * 100).toFixed(1);
    expect(t).to.match(new RegExp(`\n {2}bytes +${kib(bt.bytes)} +${kib(ht.bytes)} +\\+${kib(ht.bytes - bt.bytes)} \\(\\+${pct}%\\)\n`));
    expect(t).to.include("\nsites, matched by stable key: 1 changed, 1 new, 1 gone, 2 unchanged (2 of them moved)\n");
    const rows = t.split("\n").filter((l) => /^ {2}(changed|new|gone) /.test(l));
    expect(rows.length).to.equal(3);
    const enc = `src/app.ts:${lineOf(HEAD, "new Uint8Array")}:`;
    expect(rows[0]).to.match(new RegExp(`^ {2}changed +${enc}\\d+ \\(was :${lineOf(BASE, "new Uint8Array")}:\\d+\\) +new Uint8Array +100 → 100 +0 +1\\.6 KiB → 4\\.7 KiB +\\+3\\.1 KiB `));
    expect(rows[1]).to.match(/^ {2}gone +src\/app\.ts:\d+:\d+ +Buffer\.alloc +1 → - +-1 +64 B → - +-64 B /);
    expect(rows[2]).to.match(/^ {2}new +src\/app\.ts:\d+:\d+ +new Uint16Array +- → 1 +\+1 +- → 20 B +\+20 B /);
  });

  it("a trace against itself: nothing changed; --top limits the rows", () => {
    const same = JSON.parse(runBin(["diff", base.trace, base.trace, "--json"]).stdout);
    expect(same.counts).to.deep.equal({ changed: 0, new: 0, gone: 0, unchanged: 4, moved: 0 });
    expect(same.sites).to.deep.equal([]);
    expect(runBin(["diff", base.trace, base.trace]).stdout).to.include("0 changed, 0 new, 0 gone, 4 unchanged\n");
    const top = JSON.parse(runBin(["diff", base.trace, head.trace, "--json", "--top", "1"]).stdout);
    expect(top.sites.map((s) => s.status)).to.deep.equal(["changed"]);
    expect(top.counts.changed + top.counts.new + top.counts.gone).to.equal(3);
  });

  it("--help, and bad usage: exit 2 with a message", () => {
    const h = runBin(["diff", "--help"]);
    expect(h.status).to.equal(0);
    expect(h.stdout).to.match(/^Usage: traced-alloc diff <base trace> <head trace>/);
    const one = runBin(["diff", base.trace]);
    expect(one.status).to.equal(2);
    expect(one.stderr).to.match(/^traced-alloc: diff: missing <head trace>/);
    const bad = runBin(["diff", base.trace, "nope.ndjson"]);
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.match(/no trace at nope\.ndjson: no such file/);
  });
});
