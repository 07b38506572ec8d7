// Lifetimes, signals, peak and trace format 1 (issue 8), on real child processes: counts and bytes
// exact in every mode; deaths followed exactly for the first objects and sampled (seeded, marked
// `~`) beyond; the same figures in every mode; a signal kills a traced program as an untraced one.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { compile, cleanup } from "./harness.mjs";

/** A synchronous allocating loop that never yields: prints "ready <pid>" once past the exact bound. */
const SYNC = `export {};
const keep: Uint8Array[] = [];
(globalThis as any).keep = keep;
const readyAt = Number(process.argv[2] ?? "20000");
const until = Date.now() + 30_000;
for (let i = 1; ; i++) {
  const a = new Uint8Array(16);
  if (i % 1000 === 0) keep.push(a);
  if (i === readyAt) console.log(\`ready \${process.pid}\`);
  if ((i & 0xffff) === 0 && Date.now() > until) break;
}
console.log("not killed");
process.exitCode = 5;
`;

/** A program with a SIGINT handler of its own, working in chunks between turns of the event loop. */
const OWN = `export {};
const keep: Uint8Array[] = [];
(globalThis as any).keep = keep;
let n = 0;
process.on("SIGINT", () => {
  console.log(\`caught after \${n > 0 ? "some" : "no"} work\`);
  keep.push(new Uint8Array(5));
  setTimeout(() => process.exit(7), 20);
});
function chunk(): void {
  for (let i = 0; i < 1000; i++) {
    const a = new Uint8Array(16);
    if (i === 0) keep.push(a);
    n++;
  }
  setImmediate(chunk);
}
chunk();
console.log("ready");
`;

/** argv[2] allocations of 8 bytes in one loop, every 100th kept. */
const AGREE = `export {};
const keep: Uint8Array[] = [];
(globalThis as any).keep = keep;
const n = Number(process.argv[2]);
for (let i = 0; i < n; i++) {
  const a = new Uint8Array(8);
  if (i % 100 === 0) keep.push(a);
}
console.log(keep.length);
`;

/** 300k typed arrays of 1 KiB in one synchronous loop, every 10th kept. */
const MANY = `export {};
const keep: Uint8Array[] = [];
(globalThis as any).keep = keep;
for (let i = 0; i < 300_000; i++) {
  const a = new Uint8Array(1024);
  if (i % 10 === 0) keep.push(a);
}
console.log(keep.length);
`;

/** Phases across turns of the event loop (collected between them): live 400, 600 (the peak), 200, 500, 0. */
const PEAK = `export {};
const gc: () => void = (globalThis as any).gc;
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
}
async function main(): Promise<void> {
  let a: Uint8Array[] | null = [];
  for (let i = 0; i < 4; i++) a.push(new Uint8Array(100));
  await settle();
  let b: Float64Array | null = new Float64Array(25);
  await settle();
  a = null;
  await settle();
  let c: ArrayBuffer | null = new ArrayBuffer(100, { maxByteLength: 1000 });
  c.resize(300);
  await settle();
  b = null;
  c = null;
  await settle();
  console.log("done");
}
main();
`;

/** Sites in a class method and a function; past the exact bound, so some objects are sampled. */
const FMT = `export class Enc {
  encode(n: number): Uint8Array {
    const head = new Uint8Array(4);
    const body = new Uint8Array(n);
    return body.length > 0 ? body : head;
  }
}
function grown(): ArrayBuffer {
  const b = new ArrayBuffer(8, { maxByteLength: 64 });
  b.resize(32);
  return b;
}
const keep: object[] = [];
(globalThis as any).keep = keep;
const e = new Enc();
for (let i = 0; i < 20000; i++) {
  const x = e.encode(16);
  if (i % 100 === 0) keep.push(x);
}
keep.push(grown());
console.log("done");
`;

const WORKER = `import { Worker, isMainThread } from "node:worker_threads";
const keep: object[] = [];
(globalThis as any).keep = keep;
for (let i = 0; i < 100; i++) keep.push(new Uint8Array(isMainThread ? 1 : 2));
if (isMainThread) {
  const w = new Worker(__filename);
  w.on("exit", () => {
    keep.push(new Uint8Array(3));
    console.log("done");
  });
}
`;

const SOURCES = { "src/sync.ts": SYNC, "src/own.ts": OWN, "src/agree.ts": AGREE, "src/many.ts": MANY, "src/peak.ts": PEAK, "src/fmt.ts": FMT, "src/worker.ts": WORKER };

/** Buffers are written when they pass this many bytes (runtime/sinks.ts). */
const FLUSH_AT = 1 << 14;

let traced; // output folder of the traced build
let plain; // the same sources built without the plugin
let traceCount = 0;
const traceFile = () => path.join(traced, `trace-${++traceCount}.ndjson`);
const prog = (dir, name) => path.join(dir, "src", `${name}.js`);

/** `line:col` (1-based) of the first occurrence of `needle` in `src`. */
function pos(src, needle) {
  const i = src.indexOf(needle);
  if (i < 0) throw new Error(`${needle} not in source`);
  const before = src.slice(0, i);
  return `${before.split("\n").length}:${i - before.lastIndexOf("\n")}`;
}

/**
 * Runs `command` (default node on `file`) without output limits; TRACED_ALLOC only as given.
 * `onStdout(child, soFar)` sees stdout as it comes.
 */
function exec(file, { env = {}, args = [], nodeArgs = [], onStdout, command } = {}) {
  return new Promise((resolve, reject) => {
    const e = { ...process.env };
    delete e.TRACED_ALLOC;
    Object.assign(e, env);
    const cmd = command ?? [process.execPath, ...nodeArgs, file, ...args];
    const child = spawn(cmd[0], cmd.slice(1), { cwd: path.dirname(file), env: e });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (d) => {
      stdout += d;
      onStdout?.(child, stdout);
    });
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

/** Sends `sig` to the process that printed "ready <pid>" (the child itself, or a child of a shell). */
const killWhenReady = (sig) => {
  let sent = false;
  return (child, out) => {
    const m = /ready (\d+)\n/.exec(out);
    if (!sent && m) {
      sent = true;
      process.kill(Number(m[1]), sig);
    }
  };
};

/**
 * The records of a trace file: every whole line parses, the first is a header; a last line cut
 * short (no newline) only when `killed`. Site records resolve each event's key.
 */
function readTrace(file, { killed = false } = {}) {
  const text = fs.readFileSync(file, "utf8");
  const lines = text.split("\n");
  const rest = lines.pop();
  if (!killed) expect(rest, "the last line is complete").to.equal("");
  const records = lines.map((l, i) => {
    try {
      return JSON.parse(l);
    } catch {
      throw new Error(`line ${i + 1} does not parse: ${l.slice(0, 100)}`);
    }
  });
  expect(records[0], "the first line is a header").to.include({ trace: "traced-allocator", version: 1 });
  const sites = new Map();
  const events = [];
  const headers = [];
  const samplings = [];
  const ends = [];
  const peaks = [];
  for (const r of records) {
    if (r.trace !== undefined) headers.push(r);
    else if (r.event !== undefined) {
      const s = sites.get(`${r.thread}:${r.site}`);
      if (s === undefined || s.file !== r.file || s.line !== r.line || s.col !== r.col || s.kind !== r.kind) {
        expect.fail(`event ${JSON.stringify(r)} has no matching site record before it`);
      }
      events.push({ ...r, key: s.key });
    } else if (r.site !== undefined) sites.set(`${r.thread}:${r.site}`, r);
    else if (r.sampling === true) samplings.push(r);
    else if (r.end !== undefined) ends.push(r);
    else if (r.peak !== undefined) peaks.push(r);
    else expect.fail(`unknown record ${JSON.stringify(r)}`);
  }
  const eventLines = lines.filter((l) => l.startsWith('{"event"'));
  return { records, headers, events, samplings, sites, ends, peaks, shortest: Math.min(...eventLines.map((l) => l.length + 1)) };
}

const COLUMNS = ["site", "kind", "allocs", "reallocs", "bytes", "deallocs", "live", "at peak", "max"];
const row = (site, kind, ...cells) => Object.fromEntries(COLUMNS.map((h, i) => [h, i < 2 ? [site, kind][i] : String(cells[i - 2])]));

/** The summary on stderr: {header (the peak's time as T), rows, notes}. `thread`: " (thread N)" for a worker's. */
function parseSummary(stderr, thread = "") {
  const lines = stderr.split("\n");
  const at = lines.findIndex((l) => l.startsWith(`traced-allocator summary${thread}: `));
  expect(at, `a summary${thread} on stderr`).to.be.at.least(0);
  expect(lines[at + 1].trim().split(/\s{2,}/)).to.deep.equal(COLUMNS);
  const rows = [];
  let i = at + 2;
  for (; i < lines.length; i++) {
    const cells = lines[i].trim().split(/\s{2,}/);
    if (cells.length !== COLUMNS.length) break;
    rows.push(Object.fromEntries(COLUMNS.map((h, k) => [h, cells[k]])));
  }
  const notes = [];
  for (; i < lines.length && lines[i].startsWith("~ "); i++) notes.push(lines[i]);
  expect(lines[at]).to.match(/ at \d+\.\d ms \(sites: \d+\)$/);
  return { header: lines[at].replace(/ at \d+\.\d ms \(sites:/, " at T ms (sites:"), rows, notes };
}

/** `~123` → 123; marks whether the figure was an estimate. */
const figure = (cell) => ({ estimated: cell.startsWith("~"), value: Number(cell.replace(/^~/, "")) });

after(cleanup);

describe("lifetimes, signals, peak, trace format 1", function () {
  this.timeout(120_000);
  before(() => {
    const t = compile({ files: SOURCES });
    expect(t.diagnostics).to.deep.equal([]);
    traced = t.outDir;
    plain = compile(t.projectDir, { plugin: false, outName: "plain" }).outDir;
  });

  describe("signals are untouched", () => {
    for (const [sig, code] of [
      ["SIGTERM", 143],
      ["SIGINT", 130],
    ]) {
      it(`${sig} during a synchronous allocating loop: killed at once as untraced (signal ${sig}; ${code} in a shell), no summary`, async () => {
        const untraced = await exec(prog(plain, "sync"), { onStdout: killWhenReady(sig) });
        expect(untraced).to.deep.include({ status: null, signal: sig, stderr: "" });
        expect(untraced.stdout).to.match(/^ready \d+\n$/);
        for (const mode of ["summary", `ndjson=${traceFile()}`, "log"]) {
          const r = await exec(prog(traced, "sync"), { env: { TRACED_ALLOC: mode }, onStdout: killWhenReady(sig) });
          expect({ status: r.status, signal: r.signal }, mode).to.deep.equal({ status: untraced.status, signal: untraced.signal });
          expect(r.stdout, mode).to.match(/^ready \d+\n$/);
          expect(r.stderr, `${mode}: no summary when killed`).to.not.include("traced-allocator summary");
        }
        // The status a shell (a CI step) sees.
        const shell = (file, env) =>
          exec(file, { env, command: ["/bin/sh", "-c", '"$0" "$@"; echo "status $?"', process.execPath, file], onStdout: killWhenReady(sig) });
        const a = await shell(prog(plain, "sync"), {});
        const b = await shell(prog(traced, "sync"), { TRACED_ALLOC: "summary" });
        expect(a.stdout).to.match(new RegExp(`^ready \\d+\\nstatus ${code}\\n$`));
        expect(b.stdout).to.match(new RegExp(`^ready \\d+\\nstatus ${code}\\n$`));
      });
    }

    it("the trace of a program killed in a synchronous loop: a header, then whole lines up to the signal, nothing lost before the last chunk", async () => {
      const readyAt = 20000;
      const out = traceFile();
      const r = await exec(prog(traced, "sync"), { args: [String(readyAt)], env: { TRACED_ALLOC: `ndjson=${out}` }, onStdout: killWhenReady("SIGTERM") });
      expect(r).to.deep.include({ status: null, signal: "SIGTERM", stderr: "" });
      const { headers, events, samplings, shortest } = readTrace(out, { killed: true });
      expect(headers).to.have.length(1);
      expect(headers[0].pid).to.equal(Number(/ready (\d+)/.exec(r.stdout)[1]));
      // Only allocs (no finalizer runs in synchronous code), ids 1, 2, 3, … with none missing.
      const odd = events.filter((e, i) => e.event !== "alloc" || e.id !== i + 1 || e.size !== 16);
      expect(odd.slice(0, 3)).to.deep.equal([]);
      // Everything up to "ready" was written, but for at most the last unwritten chunk.
      expect(events.length).to.be.at.least(readyAt - Math.ceil(FLUSH_AT / shortest));
      expect(samplings, "past the exact bound: the sampling record").to.have.length(1);
    });

    it("a program's own SIGINT handler keeps control: same output and exit code as untraced, the summary printed at that exit", async () => {
      const kill = () => {
        let sent = false;
        return (child, out) => {
          if (!sent && out.includes("ready\n")) {
            sent = true;
            child.kill("SIGINT");
          }
        };
      };
      const untraced = await exec(prog(plain, "own"), { onStdout: kill() });
      const r = await exec(prog(traced, "own"), { env: { TRACED_ALLOC: "summary" }, onStdout: kill() });
      const expected = { status: 7, signal: null, stdout: "ready\ncaught after some work\n" };
      expect(untraced).to.deep.include({ ...expected, stderr: "" });
      expect(r).to.deep.include(expected);
      expect(r.stderr.split("traced-allocator summary:"), "one summary").to.have.length(2);
      const s = parseSummary(r.stderr);
      expect(s.rows.find((x) => x.site === `src/own.ts:${pos(OWN, "new Uint8Array(5)")}`)).to.include({ allocs: "1", bytes: "5", max: "5" });
    });
  });

  describe("the same figures in every mode", () => {
    const site = `src/agree.ts:${pos(AGREE, "new Uint8Array")}`;
    async function inModes(n, extra = "") {
      const results = [];
      for (const mode of ["summary", `ndjson=${traceFile()},summary`, "log,summary"]) {
        const r = await exec(prog(traced, "agree"), { args: [String(n)], env: { TRACED_ALLOC: mode + extra } });
        expect(r, mode).to.deep.include({ status: 0, stdout: `${n / 100}\n` });
        const s = parseSummary(r.stderr);
        results.push({ mode, header: s.header, rows: s.rows, notes: s.notes, stderr: r.stderr });
      }
      return results;
    }

    it("8000 allocations (within the exact bound), mostly garbage: summary, ndjson,summary and log,summary report the same exact figures", async () => {
      const [a, b, c] = await inModes(8000);
      // The exit collection takes the garbage; no finalizer runs during the loop, so the peak is all of it.
      const header = "traced-allocator summary: 8000 allocs, 0 reallocs, 7920 deallocs; 62.5 KiB allocated, 640 B live at exit, peak 62.5 KiB at T ms (sites: 1)";
      const rows = [row(site, "new Uint8Array", 8000, 0, 64000, 7920, 640, 64000, 8)];
      for (const x of [a, b, c]) {
        expect(x.header, x.mode).to.equal(header);
        expect(x.rows, x.mode).to.deep.equal(rows);
        expect(x.notes, x.mode).to.deep.equal([]);
      }
      expect(c.stderr.split("\n").filter((l) => l.startsWith("dealloc ")), "one log line per dealloc").to.have.length(7920);
    });

    it("20000 allocations (beyond it): the same seeded estimates (~) in every mode, the exact figures with lifetimes", async () => {
      const runs = await inModes(20000);
      const [a] = runs;
      expect(a.header).to.match(/^traced-allocator summary: 20000 allocs, 0 reallocs, ~\d+ deallocs; 156\.3 KiB allocated, ~\S+ \S+ live at exit, peak ~/);
      expect(a.rows).to.have.length(1);
      expect(a.rows[0]).to.include({ site, kind: "new Uint8Array", allocs: "20000", reallocs: "0", bytes: "160000", max: "8" });
      for (const k of ["deallocs", "live", "at peak"]) expect(figure(a.rows[0][k]).estimated, k).to.equal(true);
      for (const x of runs.slice(1)) {
        expect(x.header, x.mode).to.equal(a.header);
        expect(x.rows, x.mode).to.deep.equal(a.rows);
        expect(x.notes, x.mode).to.deep.equal(a.notes);
      }
      expect(a.notes).to.have.length(1);
      expect(a.notes[0]).to.match(/^~ in deallocs, live, at peak: estimated from \d+ samples .*lifetimes follows every object$/);
      const exact = await inModes(20000, ",lifetimes");
      for (const x of exact) {
        expect(x.header, x.mode).to.equal("traced-allocator summary: 20000 allocs, 0 reallocs, 19800 deallocs; 156.3 KiB allocated, 1.6 KiB live at exit, peak 156.3 KiB at T ms (sites: 1)");
        expect(x.rows, x.mode).to.deep.equal([row(site, "new Uint8Array", 20000, 0, 160000, 19800, 1600, 160000, 8)]);
      }
    });
  });

  describe("sampling", () => {
    const site = `src/many.ts:${pos(MANY, "new Uint8Array")}`;
    const N = 300_000;
    const SIZE = 1024;
    const KEPT = N / 10;

    it("300k typed arrays in one synchronous loop: allocs and bytes exact, deallocs, live and peak estimated (~) close to the truth, the same in two runs; exact with lifetimes", async () => {
      const runs = [];
      for (let i = 0; i < 2; i++) {
        const r = await exec(prog(traced, "many"), { env: { TRACED_ALLOC: "summary" } });
        expect(r).to.deep.include({ status: 0, stdout: `${KEPT}\n` });
        runs.push(parseSummary(r.stderr));
      }
      const [s] = runs;
      expect(runs[1], "deterministic: seeded sampling").to.deep.equal(runs[0]);
      expect(s.header).to.match(/^traced-allocator summary: 300000 allocs, 0 reallocs, ~\d+ deallocs; 293\.0 MiB allocated, ~[\d.]+ MiB live at exit, peak ~[\d.]+ MiB at T ms \(sites: 1\)$/);
      expect(s.rows).to.have.length(1);
      const r0 = s.rows[0];
      expect(r0).to.include({ site, kind: "new Uint8Array", allocs: String(N), reallocs: "0", bytes: String(N * SIZE), max: String(SIZE) });
      const deallocs = figure(r0.deallocs);
      const live = figure(r0.live);
      const peak = figure(r0["at peak"]);
      expect([deallocs.estimated, live.estimated, peak.estimated]).to.deep.equal([true, true, true]);
      // The truth: 270000 collected, 30000 × 1 KiB live; nothing is collected during the loop, so the
      // peak is all that was allocated. The tolerances are several standard deviations of the estimate.
      expect(deallocs.value).to.be.within(0.95 * (N - KEPT), 1.05 * (N - KEPT));
      expect(live.value).to.be.within(0.85 * KEPT * SIZE, 1.15 * KEPT * SIZE);
      expect(peak.value).to.be.within(0.95 * N * SIZE, 1.05 * N * SIZE);
      expect(s.notes).to.have.length(1);
      expect(s.notes[0]).to.match(/^~ in deallocs, live, at peak: estimated from \d+ samples \(the first \d+ objects followed exactly, then one every [\d.]+ KiB allocated/);

      const r = await exec(prog(traced, "many"), { env: { TRACED_ALLOC: "summary,lifetimes" } });
      expect(r).to.deep.include({ status: 0, stdout: `${KEPT}\n` });
      const e = parseSummary(r.stderr);
      expect(e.header).to.equal("traced-allocator summary: 300000 allocs, 0 reallocs, 270000 deallocs; 293.0 MiB allocated, 29.3 MiB live at exit, peak 293.0 MiB at T ms (sites: 1)");
      expect(e.rows).to.deep.equal([row(site, "new Uint8Array", N, 0, N * SIZE, N - KEPT, KEPT * SIZE, N * SIZE, SIZE)]);
      expect(e.notes).to.deep.equal([]);
    });
  });

  describe("peak", () => {
    it("phases across turns of the event loop: the header's peak is the high-water mark, `at peak` the rows that held it", async () => {
      const r = await exec(prog(traced, "peak"), { env: { TRACED_ALLOC: "summary" }, nodeArgs: ["--expose-gc"] });
      expect(r).to.deep.include({ status: 0, stdout: "done\n" });
      const s = parseSummary(r.stderr);
      // Live bytes: 400 (four Uint8Array(100)), 600 (a Float64Array(25)): the peak; 200 (the four
      // collected), 300 and 500 (a buffer of 100 grown to 300): under the peak; 0.
      expect(s.header).to.equal("traced-allocator summary: 6 allocs, 1 reallocs, 6 deallocs; 900 B allocated, 0 B live at exit, peak 600 B at T ms (sites: 4)");
      const at = (needle) => `src/peak.ts:${pos(PEAK, needle)}`;
      expect(s.rows).to.deep.equal([
        row(at("new Uint8Array"), "new Uint8Array", 4, 0, 400, 4, 0, 400, 100),
        row(at("new Float64Array"), "new Float64Array", 1, 0, 200, 1, 0, 200, 200),
        row(at("resize(300)"), "ArrayBuffer.prototype.resize", 0, 1, 200, 0, 0, 0, 300),
        row(at("new ArrayBuffer"), "new ArrayBuffer", 1, 0, 100, 1, 0, 0, 100),
      ]);
      expect(s.notes).to.deep.equal([]);
    });
  });

  describe("trace format 1", () => {
    const file = "src/fmt.ts";
    const loc = (needle) => {
      const [line, col] = pos(FMT, needle).split(":").map(Number);
      return { file, line, col };
    };

    it("a header with its fields typed; every event with t (never decreasing), thread and a site record with the stable key; weights only for samples, after the sampling record", async () => {
      const out = traceFile();
      const started = Date.now();
      const r = await exec(prog(traced, "fmt"), { env: { TRACED_ALLOC: `log,ndjson=${out}` } });
      expect(r).to.deep.include({ status: 0, stdout: "done\n" });
      const { records, headers, events, samplings, sites, peaks } = readTrace(out);
      expect(headers).to.have.length(1);
      const h = headers[0];
      expect(Object.keys(h)).to.deep.equal(["trace", "version", "pid", "thread", "node", "argv", "start", "root", "lifetimes"]);
      expect(h).to.deep.include({ trace: "traced-allocator", version: 1, thread: 0, node: process.version, argv: [process.execPath, prog(traced, "fmt")] });
      expect(h.pid).to.be.a("number").and.above(0);
      expect(h.start).to.be.a("string").and.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(Date.parse(h.start)).to.be.within(started - 1000, Date.now());
      expect(h.root).to.be.a("string");
      expect(path.isAbsolute(h.root)).to.equal(true);
      expect(fs.existsSync(path.join(h.root, file)), "locations are relative to root").to.equal(true);
      expect(h.lifetimes).to.have.keys(["exact", "sampleBytes"]);
      expect(h.lifetimes.exact).to.be.a("number");
      expect(h.lifetimes.sampleBytes).to.be.a("number");

      // Stable keys: file#scope/kind#n, the scope the class and method or the function.
      expect([...sites.values()].map((s) => [s.line, s.col, s.kind, s.key])).to.deep.equal([
        [loc("new Uint8Array(4)").line, loc("new Uint8Array(4)").col, "new Uint8Array", `${file}#Enc.encode/new Uint8Array#1`],
        [loc("new Uint8Array(n)").line, loc("new Uint8Array(n)").col, "new Uint8Array", `${file}#Enc.encode/new Uint8Array#2`],
        [loc("new ArrayBuffer").line, loc("new ArrayBuffer").col, "new ArrayBuffer", `${file}#grown/new ArrayBuffer#1`],
        [loc("resize(32)").line, loc("resize(32)").col, "ArrayBuffer.prototype.resize", `${file}#grown/ArrayBuffer.prototype.resize#1`],
      ]);
      for (const s of sites.values()) expect(s.key).to.match(/^src\/[\w.]+\.ts#[\w.$]*\/[^#]+#\d+$/);

      let bad = events.filter((e) => typeof e.t !== "number" || e.thread !== 0 || typeof e.key !== "string");
      expect(bad.slice(0, 3)).to.deep.equal([]);
      bad = events.filter((e, i) => i > 0 && e.t < events[i - 1].t);
      expect(bad.slice(0, 3), "t never decreases").to.deep.equal([]);
      // t as written: ms with three decimals in every event and sampling line. The peak record at exit
      // is a JSON object whose t is a plain number (135.62 for 135.620): checked as a number.
      const text = fs.readFileSync(out, "utf8");
      const ts = text
        .split("\n")
        .filter((l) => !l.startsWith('{"peak"'))
        .join("\n")
        .match(/"t":[^,}]*/g);
      expect(ts).to.have.length(events.length + samplings.length);
      expect(ts.filter((t) => !/^"t":\d+\.\d{3}$/.test(t)), "t: ms with three decimals").to.deep.equal([]);
      expect(peaks).to.have.length(1);
      expect(peaks[0].peak.t).to.be.a("number").and.at.least(0).and.at.most(events[events.length - 1].t);
      expect(Math.round(peaks[0].peak.t * 1000) / 1000, "the peak's t: ms to three decimals at most").to.equal(peaks[0].peak.t);

      // 40001 allocs: the first ones followed exactly (no weight), then the sampling record, then
      // samples with their weight (and unsampled allocs with none).
      expect(events.filter((e) => e.event === "alloc")).to.have.length(40001);
      expect(samplings).to.have.length(1);
      const switchAt = records.indexOf(samplings[0]);
      const before = records.slice(0, switchAt).filter((e) => e.event !== undefined);
      expect(before.filter((e) => e.event === "alloc")).to.have.length(h.lifetimes.exact);
      expect(before.filter((e) => e.weight !== undefined)).to.deep.equal([]);
      const weighted = events.filter((e) => e.event === "alloc" && e.weight !== undefined);
      expect(weighted.length).to.be.above(0);
      for (const e of weighted) expect(e.weight).to.equal(1 / -Math.expm1(-e.size / h.lifetimes.sampleBytes));
      // A sample's dealloc carries its alloc's weight; a dealloc without weight pairs with an exact alloc.
      const allocById = new Map(events.filter((e) => e.event === "alloc").map((e) => [e.id, e]));
      const deallocs = events.filter((e) => e.event === "dealloc");
      expect(deallocs.length).to.be.above(0);
      const unpaired = deallocs.filter((d) => allocById.get(d.id)?.weight !== d.weight || allocById.get(d.id)?.key !== d.key);
      expect(unpaired.slice(0, 3)).to.deep.equal([]);
      const realloc = events.filter((e) => e.event === "realloc");
      expect(realloc).to.have.length(1);
      expect(realloc[0]).to.include({ size: 8, newSize: 32, key: `${file}#grown/ArrayBuffer.prototype.resize#1` });
      expect(allocById.get(realloc[0].id), "the realloc pairs with its alloc").to.include({ key: `${file}#grown/new ArrayBuffer#1` });

      // The log's dealloc of a sampled object says what it stands for: the same objects, in order.
      const sampledLog = r.stderr.split("\n").filter((l) => l.startsWith("dealloc ") && l.includes("(sampled"));
      expect(sampledLog.map((l) => / \(sampled: stands for ([\d.]+)\)$/.exec(l)?.[1])).to.deep.equal(
        deallocs.filter((d) => d.weight !== undefined).map((d) => d.weight.toFixed(1)),
      );
      expect(r.stderr.split("\n").filter((l) => l.startsWith("dealloc "))).to.have.length(deallocs.length);
    });

    it("with lifetimes: the header says every object is followed; no sampling record, no weights", async () => {
      const out = traceFile();
      const r = await exec(prog(traced, "fmt"), { env: { TRACED_ALLOC: `ndjson=${out},lifetimes` } });
      expect(r).to.deep.include({ status: 0, stdout: "done\n", stderr: "" });
      const { headers, events, samplings } = readTrace(out);
      expect(headers[0].lifetimes).to.deep.equal({ exact: "all" });
      expect(samplings).to.deep.equal([]);
      expect(events.filter((e) => e.weight !== undefined)).to.deep.equal([]);
      // 40001 objects, 201 kept (globalThis.keep): every other one collected at exit.
      expect(events.filter((e) => e.event === "dealloc")).to.have.length(40001 - 201);
    });
  });

  describe("worker threads", () => {
    it("one file: a header per thread, every event with its thread, ids apart; one summary with a row per thread and the total", async () => {
      const out = traceFile();
      const r = await exec(prog(traced, "worker"), { env: { TRACED_ALLOC: `summary,ndjson=${out}` } });
      expect(r).to.deep.include({ status: 0, stdout: "done\n" });
      const { records, headers, events, ends, peaks } = readTrace(out);
      expect(headers.map((h) => h.thread)).to.deep.equal([0, 1]);
      // Each thread ends its part with its totals and its peak (what its own summary would say).
      expect(ends.map((e) => [e.thread, e.end.allocs, e.end.bytes, e.end.live])).to.have.deep.members([
        [0, 101, 103, 103],
        [1, 100, 200, 200],
      ]);
      expect(peaks.find((p) => p.thread === 1).peak).to.deep.include({ bytes: 200, allocs: 100, estimated: false });
      expect(new Set(headers.map((h) => h.pid)).size).to.equal(1);
      // Each thread's part starts with its header: none of its events or sites before it.
      const workerHeader = records.indexOf(headers[1]);
      expect(records.slice(0, workerHeader).filter((x) => x.thread === 1)).to.deep.equal([]);
      const by = (thread) => events.filter((e) => e.thread === thread);
      expect(by(0).map((e) => e.size).sort()).to.deep.equal([...Array(100).fill(1), 3]);
      expect(by(1).map((e) => e.size)).to.deep.equal(Array(100).fill(2));
      expect(by(0).every((e) => e.id < 2 ** 32) && by(1).every((e) => e.id > 2 ** 32), "ids apart").to.equal(true);
      expect(by(1).map((e) => e.key)).to.deep.equal(Array(100).fill(`src/worker.ts#/new Uint8Array#1`));
      const at = `src/worker.ts:${pos(WORKER, "new Uint8Array(isMainThread")}`;
      // One summary: every thread's sites (added up by place and kind), a row per thread, the total.
      expect(r.stderr).not.to.include("(thread 1)");
      const all = parseSummary(r.stderr, " (all 2 threads)");
      expect(all.header).to.equal("traced-allocator summary (all 2 threads): 201 allocs, 0 reallocs, 0 deallocs; 303 B allocated, 303 B live at exit, peak 303 B at T ms (sites: 2)");
      expect(all.rows).to.deep.equal([
        row(at, "new Uint8Array", 200, 0, 300, 0, 300, 300, 2),
        row(`src/worker.ts:${pos(WORKER, "new Uint8Array(3)")}`, "new Uint8Array", 1, 0, 3, 0, 3, 3, 3),
      ]);
      const lines = r.stderr.split("\n");
      const t = lines.indexOf("threads: 2");
      expect(t, "the threads table").to.be.above(0);
      expect(lines.slice(t + 1, t + 5).map((l) => l.trim().split(/\s{2,}/))).to.deep.equal([
        ["thread", "allocs", "reallocs", "bytes", "deallocs", "live", "peak"],
        ["0 (main)", "101", "0", "103", "0", "103", "103"],
        ["1", "100", "0", "200", "0", "200", "200"],
        ["total", "201", "0", "303", "0", "303", "303"],
      ]);
    });
  });
});
