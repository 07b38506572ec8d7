// The bin and the trace reader (cli/trace.ts), as a user meets them: `traced-alloc --help`, bad
// usage, files that are not traces, malformed lines (named by line number), a trace cut short
// (read up to its last whole line, with a warning), a killed program (figures recomputed from the
// events), the earlier NDJSON, site numbers per thread, the timeline, a closed pipe.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { cleanup, repoRoot } from "./harness.mjs";
import { build, reportJson, runBin, runIntoClosedPipe, tmpDir, traced, writeTrace } from "./support/cli.mjs";

const require = createRequire(import.meta.url);
const { readTrace, TIMELINE_POINTS } = require("../dist/cli/trace.js");

const PROGRAM = `import "./dump";
const gc: () => void = (globalThis as any).gc;
const keep: object[] = [];
(globalThis as any).keep = keep;
async function main(): Promise<void> {
  for (let r = 0; r < 6; r++) {
    for (let i = 0; i < 1500; i++) {
      const a = new Uint8Array(32 + (i % 5) * 50);
      if (i % 100 === 0) keep.push(a);
    }
    const b = new ArrayBuffer(8, { maxByteLength: 1024 });
    b.resize(512);
    if (r % 2 === 0) keep.push(b);
    gc();
    await new Promise((res) => setTimeout(res, 2));
  }
  console.log("done");
}
main();
`;

/** Never yields: prints "ready" once past the exact bound, then allocates until killed. */
const ENDLESS = `export {};
const keep: Uint8Array[] = [];
(globalThis as any).keep = keep;
for (let i = 1; ; i++) {
  const a = new Uint8Array(16);
  if (i % 1000 === 0) keep.push(a);
  if (i === 20000) console.log("ready");
  if (i > 50_000_000) break;
}
`;

let out;
let dir;
let exact; // a run of PROGRAM: small, exact (under lifetimes)
let sampled; // the same with the bound: 9000 objects, past the first 8192 followed exactly
before(function () {
  this.timeout(120_000);
  out = build({ "src/program.ts": PROGRAM, "src/endless.ts": ENDLESS });
  dir = tmpDir("traces");
  exact = traced(out, "program", { extra: "lifetimes" });
  sampled = traced(out, "program");
  expect(exact.status, exact.stderr).to.equal(0);
  expect(sampled.status, sampled.stderr).to.equal(0);
});
after(cleanup);

const lines = (file) => fs.readFileSync(file, "utf8").split("\n").slice(0, -1);
const noStack = (stderr) => expect(stderr).to.not.match(/\n\s+at /);

describe("traced-alloc: the command line", function () {
  this.timeout(60_000);

  it("--help lists the commands; each one's --help works; --version is the package's", () => {
    const h = runBin(["--help"]);
    expect(h.status).to.equal(0);
    expect(h.stdout).to.match(/^Usage: traced-alloc <command> \[args\]/);
    const listed = [...h.stdout.split("Commands:\n")[1].split("\n\n")[0].matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]);
    expect(listed).to.include.members(["report", "diff"]);
    for (const name of listed) {
      const r = runBin([name, "--help"]);
      expect(r.status, `${name} --help: ${r.stderr}`).to.equal(0);
      expect(r.stdout.split("\n")[0], name).to.match(new RegExp(`traced-alloc ${name}\\b`));
    }
    const v = runBin(["--version"]);
    expect(v.stdout).to.equal(`traced-alloc ${JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")).version}\n`);
    expect(runBin(["help", "report"]).stdout).to.match(/^Usage: traced-alloc report/);
  });

  it("bad usage: exit 2 and one message (an unknown command lists the commands); no arguments prints the help on stderr", () => {
    const u = runBin(["repot", "x.ndjson"]);
    expect(u.status).to.equal(2);
    expect(u.stderr).to.match(/^traced-alloc: unknown command 'repot': the commands are report, diff\b.*\(see 'traced-alloc --help'\)\n$/);
    const o = runBin(["--colour"]);
    expect(o.status).to.equal(2);
    expect(o.stderr).to.match(/unknown option --colour: a command comes first/);
    const none = runBin([]);
    expect(none.status).to.equal(2);
    expect(none.stdout).to.equal("");
    expect(none.stderr).to.match(/^Usage: traced-alloc <command>/);
  });

  it("the bin starts with #!/usr/bin/env node and is executable", () => {
    const bin = path.join(repoRoot, "dist/cli/main.js");
    expect(fs.readFileSync(bin, "utf8").split("\n")[0]).to.equal("#!/usr/bin/env node");
    expect(JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")).bin).to.deep.equal({ "traced-alloc": "./dist/cli/main.js" });
  });

  it("a closed pipe on stdout (| head) ends quietly with status 0", async () => {
    // The earlier NDJSON, 3000 sites: a report of all of them is far more than a pipe holds.
    const file = writeTrace(
      path.join(dir, "many.ndjson"),
      Array.from({ length: 3000 }, (_, i) => ({ event: "alloc", size: 8, align: 1, file: "src/many.ts", line: i + 1, col: 3, kind: "new Uint8Array", id: i + 1 })),
    );
    const r = await runIntoClosedPipe(["report", file, "--top", "0"]);
    expect(r.stderr.split("\n").filter((l) => l !== "" && !l.startsWith("traced-alloc: warning: "))).to.deep.equal([]);
    expect([r.status, r.signal]).to.deep.equal([0, null]);
  });
});

describe("traced-alloc: what is not a trace, and malformed traces", function () {
  this.timeout(60_000);

  const expectUsage = (args, message) => {
    const r = runBin(args);
    expect(r.status, r.stderr).to.equal(2);
    expect(r.stdout).to.equal("");
    expect(r.stderr).to.match(message);
    noStack(r.stderr);
    return r;
  };

  it("a missing file, a folder, an empty file, a JSON file of something else: exit 2, the problem and how to make a trace", () => {
    expectUsage(["report", path.join(dir, "nope.ndjson")], /^traced-alloc: no trace at .*nope\.ndjson: no such file \(make one with TRACED_ALLOC=ndjson=<path>/);
    expectUsage(["report", dir], /is a folder, not a trace file/);
    fs.writeFileSync(path.join(dir, "empty.ndjson"), "");
    expectUsage(["report", path.join(dir, "empty.ndjson")], /empty\.ndjson is empty: no trace was written to it/);
    expectUsage(["report", path.join(repoRoot, "package.json")], /package\.json is not a traced-allocator trace: its first line is not a trace header or an event \(it begins "\{"\)/);
    fs.writeFileSync(path.join(dir, "other.json"), '{"name":"x","version":"1.0.0"}\n');
    expectUsage(["report", path.join(dir, "other.json")], /other\.json is not a traced-allocator trace/);
    fs.writeFileSync(path.join(dir, "blank.ndjson"), "\n\n");
    expectUsage(["report", path.join(dir, "blank.ndjson")], /holds no records, only blank lines/);
  });

  it("a malformed line in the middle: file:line: what is wrong, exit 2", () => {
    const all = lines(exact.trace);
    const at = 6;
    for (const [bad, message] of [
      ['{"event":"alloc","size":16,"al', "not a JSON record"],
      ["garbage", "not a JSON record"],
      ["[1,2]", "not a JSON object (an array)"],
      ['{"event":"alloc","size":"16","align":1,"site":1,"id":99,"t":1.5,"thread":0}', 'the event\'s "size" has the wrong type ("16")'],
      ['{"event":"free","size":16,"site":1,"id":99,"thread":0}', 'unknown event "free"'],
      ['{"event":"alloc","size":16,"align":1,"site":77,"id":99,"t":1.5,"thread":0}', "the event names site 77 of thread 0, but no site record 77 of that thread came before it"],
      ['{"event":"realloc","size":16,"align":1,"site":1,"id":99,"t":1.5,"thread":0}', 'a realloc event needs "newSize"'],
      ['{"trace":"traced-allocator","version":2,"thread":0}', "trace format version 2"],
    ]) {
      const file = writeTrace(path.join(dir, "bad.ndjson"), [...all.slice(0, at - 1), bad, ...all.slice(at)]);
      expectUsage(["report", file], new RegExp(`^traced-alloc: ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:${at}: ${message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    }
  });

  it("an event before any site record of format 1: named by its line", () => {
    const all = lines(exact.trace);
    const firstSite = all.findIndex((l) => l.startsWith('{"site":'));
    const firstEvent = all.findIndex((l) => l.startsWith('{"event":'));
    const file = writeTrace(path.join(dir, "nosite.ndjson"), [all[0], all[firstEvent]]);
    expect(firstSite).to.be.below(firstEvent);
    expectUsage(["report", file], /nosite\.ndjson:2: the event names site 1 of thread 0, but no site record 1/);
  });
});

describe("traced-alloc: traces cut short and programs killed", function () {
  this.timeout(60_000);

  it("a last line cut off: the lines before it are read, with a warning; exit 0", () => {
    const text = fs.readFileSync(sampled.trace, "utf8");
    const all = text.split("\n").slice(0, -1);
    const keep = Math.floor(all.length * 0.6);
    const cut = all[keep].slice(0, Math.floor(all[keep].length / 2));
    const file = path.join(dir, "cut.ndjson");
    fs.writeFileSync(file, all.slice(0, keep).join("\n") + "\n" + cut);
    const r = reportJson(file);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stderr).to.include(`traced-alloc: warning: ${file}:${keep + 1}: the last line is cut off (the program died while writing it): read the ${keep} lines before it\n`);
    expect(r.stderr).to.match(/the main thread has no end record .*: its totals, live bytes and peak are recomputed from the events/);
    expect(r.json.trace.truncated).to.equal(true);
    expect(r.json.trace.lines).to.equal(keep);
    const allocLines = all.slice(0, keep).filter((l) => l.startsWith('{"event":"alloc"'));
    expect(r.json.totals.allocs).to.equal(allocLines.length);
    expect(r.json.totals.bytes).to.equal(allocLines.reduce((n, l) => n + JSON.parse(l).size, 0) + all.slice(0, keep).filter((l) => l.startsWith('{"event":"realloc"')).reduce((n, l) => n + Math.max(0, JSON.parse(l).newSize - JSON.parse(l).size), 0));
    // The text says so too.
    expect(runBin(["report", file]).stdout.split("\n")[0]).to.match(/, cut short\)$/);
  });

  it("without its end and peak records, the totals, the peak and every row are recomputed to the same figures", () => {
    for (const run of [exact, sampled]) {
      const all = lines(run.trace);
      const file = writeTrace(path.join(dir, "noend.ndjson"), all.filter((l) => !l.startsWith('{"end":') && !l.startsWith('{"peak":')));
      const whole = reportJson(run.trace, ["--top", "0"]).json;
      const r = reportJson(file, ["--top", "0"]);
      expect(r.status).to.equal(0);
      expect(r.json.warnings.some((w) => /no end record/.test(w))).to.equal(true);
      for (const f of ["totals", "sites", "leaks", "temporaries"]) expect(r.json[f], f).to.deep.equal(whole[f]);
      const noTime = (threads) => threads.map(({ peakT, ...rest }) => rest);
      expect(noTime(r.json.threads)).to.deep.equal(noTime(whole.threads));
      // The peak: the same bytes, after the same allocation, held by the same sites; its time is
      // that of the event (the runtime's record reads its clock a little earlier).
      const { t: t1, ...p1 } = r.json.peak;
      const { t: t0, ...p0 } = whole.peak;
      expect(p1).to.deep.equal(p0);
      expect(t1).to.be.closeTo(t0, 5);
    }
  });

  it("a program killed (SIGKILL) in the middle of a synchronous loop: read up to the last whole line, figures from the events", async () => {
    const trace = path.join(dir, "killed.ndjson");
    const res = await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(out, "src/endless.js")], { env: { ...process.env, TRACED_ALLOC: `ndjson=${trace}` } });
      let stdout = "";
      child.stdout.on("data", (d) => {
        stdout += d;
        if (stdout.includes("ready")) child.kill("SIGKILL");
      });
      child.on("error", reject);
      child.on("close", (status, signal) => resolve({ status, signal }));
    });
    expect(res.signal).to.equal("SIGKILL");
    const r = reportJson(trace);
    expect(r.status, r.stderr).to.equal(0);
    const text = fs.readFileSync(trace, "utf8");
    const whole = text.slice(0, text.lastIndexOf("\n") + 1).split("\n").filter((l) => l.startsWith('{"event":"alloc"')).length;
    expect(r.json.totals.allocs).to.equal(whole);
    expect(whole).to.be.above(8192); // past the exact bound (the last unwritten 16 KiB of a synchronous burst are lost)
    expect(r.json.totals.estimated).to.equal(true);
    expect(r.json.peak.bytes).to.be.above(0);
    expect(r.stderr).to.match(/no end record \(the program was killed, or the trace cut short\)/);
    expect(r.json.trace.truncated).to.equal(!text.endsWith("\n"));
  });
});

describe("readTrace: formats, threads, the timeline", function () {
  this.timeout(60_000);

  it("the earlier NDJSON (no header, no site records, no key): rows by place and kind, key file:line:col/kind", async () => {
    const loc = (line, col, kind) => ({ file: "src/a.ts", line, col, kind });
    const file = writeTrace(path.join(dir, "v0.ndjson"), [
      { event: "alloc", size: 16, align: 1, ...loc(3, 5, "new Uint8Array"), id: 1 },
      { event: "alloc", size: 16, align: 1, ...loc(3, 5, "new Uint8Array"), id: 2 },
      { event: "alloc", size: 16, align: 1, ...loc(3, 5, "new Uint8Array"), id: 3 },
      { event: "alloc", size: 8, align: 1, ...loc(8, 1, "new ArrayBuffer"), id: 4 },
      { event: "realloc", size: 8, align: 1, newSize: 32, ...loc(9, 2, "ArrayBuffer.prototype.resize"), id: 4 },
      { event: "dealloc", size: 16, align: 1, ...loc(3, 5, "new Uint8Array"), id: 1 },
      { event: "alloc", size: 80, align: 8, ...loc(12, 9, "new Array"), id: 5, estimated: true },
    ]);
    const warnings = [];
    const t = await readTrace(file, { onWarning: (w) => warnings.push(w) });
    expect(t.version).to.equal(0);
    expect(t.events).to.equal(7);
    const rows = t.sites.map((s) => [s.key, s.allocs, s.reallocs, s.bytes, s.max, s.deallocs, s.live, s.estimated]);
    expect(rows).to.deep.equal([
      ["src/a.ts:12:9/new Array", 1, 0, 80, 80, 0, 80, true],
      ["src/a.ts:3:5/new Uint8Array", 3, 0, 48, 16, 1, 32, false],
      ["src/a.ts:9:2/ArrayBuffer.prototype.resize", 0, 1, 24, 32, 0, 0, false],
      ["src/a.ts:8:1/new ArrayBuffer", 1, 0, 8, 8, 0, 32, false],
    ]);
    expect(t.totals).to.deep.equal({ allocs: 5, reallocs: 1, bytes: 160, deallocs: 1, live: 144, estimated: false });
    // Live: 48 + 8, the resize to 32 (80), the dealloc (64), the array (144): the highest.
    expect(t.peak.bytes).to.equal(144);
    expect(warnings).to.deep.equal(t.warnings);
    expect(warnings.some((w) => /no times/.test(w))).to.equal(true);
  });

  it("site numbers are per thread: the same number in two threads' parts names two places", async () => {
    const head = (thread) => ({ trace: "traced-allocator", version: 1, pid: 1, thread, node: "v20", argv: [], start: "2026-01-01T00:00:00.000Z", root: "/x", lifetimes: { exact: 8192, sampleBytes: 16384 } });
    const site = (thread, file) => ({ site: 1, file, line: 2, col: 3, kind: "new Uint8Array", key: `${file}#/new Uint8Array#1`, thread });
    const ev = (thread, id, size, t) => ({ event: "alloc", size, align: 1, file: "?", line: 0, col: 0, kind: "new Uint8Array", site: 1, id, t, thread });
    const file = writeTrace(path.join(dir, "threads.ndjson"), [head(0), site(0, "src/main.ts"), ev(0, 1, 10, 1.1), head(1), site(1, "src/work.ts"), ev(1, 2 ** 32 + 1, 7, 1.1), ev(0, 2, 10, 1.2), ev(1, 2 ** 32 + 2, 7, 1.2)]);
    const t = await readTrace(file);
    expect(t.sites.map((s) => [s.thread, s.file, s.allocs, s.bytes])).to.deep.equal([
      [0, "src/main.ts", 2, 20],
      [1, "src/work.ts", 2, 14],
    ]);
    expect(t.threads.map((p) => p.thread)).to.deep.equal([0, 1]);
    // One timeline for both (same start): at 1.1 ms 10 + 7 bytes live, at 1.2 ms 20 + 14.
    expect(t.timeline).to.deep.equal([
      { t: 1.1, live: 17 },
      { t: 1.2, live: 34 },
    ]);
  });

  it("allocs pair with their deallocs and reallocs by id, whatever the ids' spacing and order (the reader's table of live objects)", async () => {
    const head = { trace: "traced-allocator", version: 1, pid: 1, thread: 0, start: "2026-01-01T00:00:00.000Z", root: "/x", lifetimes: { exact: "all" } };
    const recs = [head, { site: 1, file: "src/a.ts", line: 1, col: 1, kind: "new ArrayBuffer", key: "a", thread: 0 }, { site: 2, file: "src/a.ts", line: 2, col: 1, kind: "ArrayBuffer.prototype.resize", key: "b", thread: 0 }];
    // Ids that all fall on the same slots of a small table (multiples of 2^20), and a few huge ones.
    const ids = [...Array.from({ length: 3000 }, (_, i) => (i + 1) * 2 ** 20), ...Array.from({ length: 50 }, (_, i) => 2 ** 52 - i)];
    let t = 0;
    for (const id of ids) recs.push({ event: "alloc", size: 10, align: 1, site: 1, id, t: (t += 0.01), thread: 0 });
    for (const id of ids.slice(0, 100)) recs.push({ event: "realloc", size: 10, align: 1, newSize: 30, site: 2, id, t: (t += 0.01), thread: 0 });
    const freed = ids.filter((_, i) => i % 3 === 0).reverse();
    for (const id of freed) recs.push({ event: "dealloc", size: 10, align: 1, site: 1, id, t: (t += 0.01), thread: 0 });
    const trace = await readTrace(writeTrace(path.join(dir, "ids.ndjson"), recs));
    const alloc = trace.sites.find((s) => s.kind === "new ArrayBuffer");
    const resizedFreed = ids.slice(0, 100).filter((_, i) => i % 3 === 0).length;
    expect(alloc.deallocs).to.equal(freed.length);
    expect(alloc.live).to.equal((ids.length - freed.length) * 10 + (100 - resizedFreed) * 20);
    expect(trace.peak.bytes).to.equal(ids.length * 10 + 100 * 20);
    expect(trace.warnings.join("\n")).to.not.match(/not followed/); // every dealloc found its alloc
  });

  it("after the sampling record: an alloc with a weight is followed (1: exactly, more: a sample), one without is counted but never live", async () => {
    const head = { trace: "traced-allocator", version: 1, pid: 1, thread: 0, start: "2026-01-01T00:00:00.000Z", root: "/x", lifetimes: { exact: 2, sampleBytes: 16384 } };
    const site = (n, line) => ({ site: n, file: "src/a.ts", line, col: 1, kind: "Pool.get", key: `k${n}`, thread: 0 });
    const alloc = (n, id, size, weight) => ({ event: "alloc", size, align: 1, site: n, id, ...(weight ? { weight } : {}), t: id, thread: 0 });
    const trace = await readTrace(
      writeTrace(path.join(dir, "sampling.ndjson"), [
        head, site(1, 1), site(2, 2), site(3, 3), site(4, 4),
        alloc(1, 1, 10), alloc(1, 2, 10), // before the record: exact
        { sampling: true, t: 2.5, thread: 0 },
        alloc(2, 3, 10), // not followed
        alloc(3, 4, 10, 1), // followed exactly (an Allocator's object)
        alloc(4, 5, 10, 4.5), // a sample: 4.5 objects, 45 bytes
        { event: "dealloc", size: 10, align: 1, site: 3, id: 4, t: 6, thread: 0 },
        { event: "dealloc", size: 10, align: 1, site: 2, id: 3, t: 7, thread: 0 },
        alloc(1, 6, 10, 1), // the thread allocates again: the temporary above counts
      ]),
    );
    const rows = Object.fromEntries(trace.sites.map((s) => [s.line, [s.allocs, s.deallocs, s.live, s.sampled, s.temporaries]]));
    expect(rows).to.deep.equal({ 1: [3, 0, 30, false, 0], 2: [1, 0, 0, false, 0], 3: [1, 1, 0, false, 1], 4: [1, 0, 45, true, 0] });
    expect(trace.warnings.join("\n")).to.match(/1 deallocs of objects whose alloc was not followed/);
    expect(trace.threads[0].sampling).to.equal(true);
  });

  it("records of unknown types and unknown fields are skipped (a newer runtime may add them), with a warning", async () => {
    const all = lines(exact.trace);
    const file = writeTrace(path.join(dir, "newer.ndjson"), [
      all[0],
      '{"gc":{"kind":"minor"},"t":1,"thread":0}',
      ...all.slice(1).map((l) => (l.startsWith('{"event":') ? l.replace(/}$/, ',"stack":[1,2]}') : l)),
    ]);
    const t = await readTrace(file);
    const t0 = await readTrace(exact.trace);
    expect(t.sites).to.deep.equal(t0.sites);
    expect(t.warnings).to.deep.equal(["1 records of types this traced-alloc does not know were skipped (a newer runtime?)"]);
  });

  it("two processes writing one file (a second header of the main thread): a warning naming %p", async () => {
    const all = lines(exact.trace);
    const other = JSON.parse(all[0]);
    other.pid += 1;
    const file = writeTrace(path.join(dir, "two.ndjson"), [...all, JSON.stringify(other)]);
    const t = await readTrace(file);
    expect(t.warnings.join("\n")).to.match(/two processes wrote this file; give each its own with %p/);
  });

  it("the timeline: at most TIMELINE_POINTS points, in time order, the peak kept exactly as a point", async () => {
    for (const run of [exact, sampled]) {
      const t = await readTrace(run.trace);
      expect(t.timeline.length).to.be.within(2, TIMELINE_POINTS);
      const ts = t.timeline.map((p) => p.t);
      expect(ts).to.deep.equal([...ts].sort((a, b) => a - b));
      expect(t.timeline).to.deep.include({ t: t.peak.t, live: t.peak.bytes });
      expect(Math.max(...t.timeline.map((p) => p.live))).to.equal(t.peak.bytes);
    }
    // A long run (an event every ms for 10 s): buckets merge, the peak stays.
    const head = { trace: "traced-allocator", version: 1, pid: 1, thread: 0, start: "2026-01-01T00:00:00.000Z", root: "/x", lifetimes: { exact: "all" } };
    const recs = [head, { site: 1, file: "src/a.ts", line: 1, col: 1, kind: "new Uint8Array", key: "k", thread: 0 }];
    for (let i = 0; i < 10000; i++) {
      recs.push({ event: "alloc", size: 10 + (i === 6543 ? 5000 : 0), align: 1, site: 1, id: i + 1, t: i, thread: 0 });
      if (i > 0) recs.push({ event: "dealloc", size: 10 + (i === 6544 ? 5000 : 0), align: 1, site: 1, id: i, t: i + 0.5, thread: 0 });
    }
    const t = await readTrace(writeTrace(path.join(dir, "long.ndjson"), recs));
    expect(t.timeline.length).to.be.within(1000, TIMELINE_POINTS);
    expect(t.peak).to.include({ bytes: 5020, t: 6543, allocs: 6544 });
    expect(t.timeline).to.deep.include({ t: 6543, live: 5020 });
  });
});
