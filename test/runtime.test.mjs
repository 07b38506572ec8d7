// Runtime suite: what a user of `TRACED_ALLOC` and of the configuration API relies on, checked on
// real child processes (SPEC "Run-time switch", "Text log", "NDJSON events").
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { compile, run, scratch, repoRoot, cleanup } from "./harness.mjs";

const require = createRequire(import.meta.url);

// ---------------------------------------------------------------------------------------------
// The traced programs: one project, several entry points.

const BURST = `// Two events a round (an alloc, then a realloc), everything kept alive; ends as argv[2] says.
export {};
const mode = process.argv[2] ?? "normal";
const rounds = Number(process.argv[3] ?? "3");
const keep: object[] = [];
(globalThis as any).keep = keep;
function work(count: number): void {
  for (let i = 0; i < count; i++) {
    const b = new ArrayBuffer(8, { maxByteLength: 64 });
    b.resize(16);
    keep.push(b);
  }
}
if (process.env.TOUCH_STDERR) console.error("start"); // makes a piped stderr non-blocking
work(rounds);
if (mode === "exit3") {
  console.log("exiting with 3");
  process.exit(3);
} else if (mode === "throw") {
  console.log("throwing");
  throw new Error("boom from the program");
} else if (mode === "busy") {
  setInterval(() => work(100), 1);
  console.log("ready");
} else if (mode === "own-handler") {
  process.on("SIGINT", () => {
    console.log("own handler");
    keep.push(new Uint8Array(3));
    setTimeout(() => {
      console.log("bye");
      process.exit(7);
    }, 50);
  });
  setInterval(() => work(100), 1);
  console.log("ready");
} else {
  console.log("done");
}
`;

const GC = `export {};
const gc: () => void = (globalThis as any).gc;
const kept = new Float64Array(2);
const list = new Array(3);
let dropped: ArrayBuffer | null = new ArrayBuffer(8, { maxByteLength: 32 });
dropped.resize(16);
dropped = null;
async function main(): Promise<void> {
  for (let i = 0; i < 20; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setImmediate(r));
  }
  console.log(kept.length, list.length);
}
main();
`;

const SUMMARY = `export {};
const keep: object[] = [];
(globalThis as any).keep = keep; // reachable at exit: still live after the exit collection
for (let i = 0; i < 3; i++) keep.push(new Uint8Array(10));
for (let i = 0; i < 2; i++) keep.push(new Float64Array(4));
const ab = new ArrayBuffer(8, { maxByteLength: 100 });
keep.push(ab);
ab.resize(40);
keep.push(new Array(5));
ab.resize(20);
console.log(keep.length, ab.byteLength);
`;

const CONFIG = `import * as fs from "node:fs";
import { configure, currentConfig, enabled, flush } from "traced-allocator/runtime";
const mode = process.argv[2];
const out = process.argv[3];
const keep: object[] = [];
(globalThis as any).keep = keep;
const show = (label: string) => console.log(label, JSON.stringify(currentConfig()), enabled());
const lines = () => fs.readFileSync(out, "utf8").split("\\n").length - 1; // no array copy: it would be traced itself
if (mode === "api") {
  show("start");
  keep.push(new Uint8Array(1));
  configure({ log: true });
  show("log");
  keep.push(new Uint8Array(2));
  flush();
  process.stderr.write("-- after flush --\\n");
  configure("summary");
  show("summary");
  keep.push(new Uint8Array(3));
  configure({ summary: true, ndjson: out });
  show("ndjson");
  keep.push(new Uint8Array(4));
  console.log("lines before flush", lines());
  flush();
  console.log("lines after flush", lines());
} else if (mode === "stop") {
  show("start");
  configure({ log: true, ndjson: out });
  keep.push(new Uint8Array(5));
  configure({});
  show("stopped");
  keep.push(new Uint8Array(6));
} else if (mode === "bad") {
  configure("log, bogus");
  show("bad");
  keep.push(new Uint8Array(7));
} else if (mode === "full") {
  configure({ ndjson: out });
  show("open");
  for (let i = 0; i < 10; i++) keep.push(new Uint8Array(8));
  flush();
  show("failed");
  console.log("still running");
}
`;

/** A listener of the program's own on "exit", registered after the runtime's: its events still count. */
const LATE = `export {};
const keep: object[] = [new Uint8Array(1)];
process.on("exit", () => {
  keep.push(new Uint8Array(9));
  console.log("exit listener", keep.length);
});
`;

/** A @track_caller function called where no location is passed (as a callback): stack locations. */
const CALLBACK = `export {};
/** @track_caller */
function mk(n: number): Uint8Array {
  return new Uint8Array(n);
}
const keep = [1, 2, 3].map(mk);
keep.push(mk(4));
console.log(keep.length);
`;

/** Plain JavaScript (not compiled with the plugin) using the Allocator API: locations come from the stack. */
const PLAIN = `const { Allocator, Layout } = require("traced-allocator/runtime");
const keep = [];
for (let i = 0; i < 3; i++) {
  const o = {};
  keep.push(o);
  Allocator.alloc(o, new Layout(8, 8));
  Allocator.realloc(o, 24);
}
Allocator.dealloc(keep[0]);
console.log("done");
`;

const WORKER = `import { Worker, isMainThread } from "node:worker_threads";
const keep: object[] = [];
(globalThis as any).keep = keep;
for (let i = 0; i < 1000; i++) keep.push(new Uint8Array(isMainThread ? 1 : 2));
if (isMainThread) {
  const w = new Worker(__filename);
  w.on("exit", () => {
    for (let i = 0; i < 1000; i++) keep.push(new Uint8Array(3));
    console.log("done");
  });
}
`;

const SOURCES = { "src/burst.ts": BURST, "src/gc.ts": GC, "src/summary.ts": SUMMARY, "src/config.ts": CONFIG, "src/worker.ts": WORKER, "src/late.ts": LATE, "src/callback.ts": CALLBACK };

/** `line:col` (1-based) of the `nth` occurrence of `needle` in `src`. */
function pos(src, needle, nth = 0) {
  let i = -1;
  for (let k = 0; k <= nth; k++) {
    i = src.indexOf(needle, i + 1);
    if (i < 0) throw new Error(`${needle} not in source`);
  }
  const before = src.slice(0, i);
  return `${before.split("\n").length}:${i - before.lastIndexOf("\n")}`;
}

// ---------------------------------------------------------------------------------------------
// Running them

let outDir;
const prog = (name) => path.join(outDir, "src", `${name}.js`);

/**
 * Runs node on `file` without the harness's limits (large outputs, signals). `env` values that are
 * `undefined` are removed; TRACED_ALLOC is unset unless given. `onStdout(child, stdoutSoFar)` sees
 * the output as it comes; `setup(child)` runs right after the spawn; `command` ([program, ...args])
 * replaces `node … file …` (the working directory is still the file's folder).
 */
function exec(file, { env = {}, args = [], nodeArgs = [], cwd, onStdout, setup, command } = {}) {
  return new Promise((resolve, reject) => {
    const e = { ...process.env };
    delete e.TRACED_ALLOC;
    for (const [k, v] of Object.entries(env)) {
      if (v === undefined) delete e[k];
      else e[k] = v;
    }
    const cmd = command ?? [process.execPath, ...nodeArgs, file, ...args];
    const child = spawn(cmd[0], cmd.slice(1), { cwd: cwd ?? path.dirname(file), env: e });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (d) => {
      stdout += d;
      onStdout?.(child, stdout);
    });
    if (child.stderr) {
      child.stderr.setEncoding("utf8");
      child.stderr.on("data", (d) => (stderr += d));
      child.stderr.on("error", () => {});
    }
    const timer = setTimeout(() => child.kill("SIGKILL"), 40_000);
    child.on("error", reject);
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
    setup?.(child);
  });
}

/** Kills the child with `sig` once it printed "ready". */
const killWhenReady = (sig) => {
  let sent = false;
  return (child, out) => {
    if (!sent && out.includes("ready\n")) {
      sent = true;
      child.kill(sig);
    }
  };
};

let traceCount = 0;
const traceFile = () => path.join(outDir, `trace-${++traceCount}.ndjson`);

/**
 * The records of a trace (format 1), checked: the first is a header; a site record comes before the
 * first event that points to it, in its thread, with the event's place and kind; the `end` and
 * `peak` records written at exit have the README's fields (end first). Returns
 * {records, headers, sites (by "thread:n"), events, ends, peaks, keyOf(event)}.
 */
function parseRecords(records) {
  if (records.length > 0) expect(records[0], "the first line is a header").to.include({ trace: "traced-allocator", version: 1 });
  const headers = [];
  const sites = new Map();
  const events = [];
  const ends = [];
  const peaks = [];
  for (const r of records) {
    if (r.end !== undefined) {
      expect(Object.keys(r), "an end record").to.deep.equal(["end", "thread"]);
      expect(Object.keys(r.end), "an end record's totals").to.deep.equal(["allocs", "reallocs", "bytes", "deallocs", "live", "estimated"]);
      ends.push(r);
      continue;
    }
    if (r.peak !== undefined) {
      expect(Object.keys(r), "a peak record").to.deep.equal(["peak", "thread"]);
      expect(Object.keys(r.peak), "a peak record's fields").to.deep.equal(["bytes", "t", "allocs", "estimated", "sites"]);
      for (const s of r.peak.sites) expect(Object.keys(s), "a site's share of the peak").to.deep.equal(["key", "file", "line", "col", "kind", "bytes"]);
      expect(ends.map((e) => e.thread), "the peak record follows its thread's end record").to.include(r.thread);
      peaks.push(r);
      continue;
    }
    if (r.trace !== undefined) headers.push(r);
    else if (r.event !== undefined) {
      const site = sites.get(`${r.thread}:${r.site}`);
      if (site === undefined || site.file !== r.file || site.line !== r.line || site.col !== r.col || site.kind !== r.kind) {
        expect.fail(`event ${JSON.stringify(r)}: its site record ${JSON.stringify(site)} does not match`);
      }
      events.push(r);
    } else if (r.site !== undefined) sites.set(`${r.thread}:${r.site}`, r);
    else expect(Object.keys(r), "the only other record: sampling").to.deep.equal(["sampling", "t", "thread"]);
  }
  return { records, headers, sites, events, ends, peaks, keyOf: (e) => sites.get(`${e.thread}:${e.site}`).key };
}

function readRecords(file) {
  const text = fs.readFileSync(file, "utf8");
  if (text !== "") expect(text.endsWith("\n"), "the last ndjson line is complete").to.equal(true);
  return parseRecords(
    text
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l)),
  );
}

/** The events of a trace file (header records skipped). */
function readTrace(file) {
  return readRecords(file).events;
}

/**
 * The events of the trace of a killed program: every whole line parses (a last line cut short, with
 * no newline, is dropped), the first is the header. Returns {events, cut: whether a line was cut}.
 */
function readKilledTrace(file) {
  const text = fs.readFileSync(file, "utf8");
  const lines = text.split("\n");
  const cut = lines.pop() !== ""; // the part after the last newline
  const records = lines.map((l, i) => {
    try {
      return JSON.parse(l);
    } catch (e) {
      throw new Error(`line ${i + 1} of a killed run's trace does not parse: ${l.slice(0, 100)}`);
    }
  });
  expect(records.length, "a header at least").to.be.at.least(1);
  return { ...parseRecords(records), cut, shortest: Math.min(...lines.filter((l) => l.startsWith('{"event"')).map((l) => l.length + 1)) };
}

/** Log lines of a killed program's stderr: a last line cut short (no newline) is dropped. */
const killedLogLines = (stderr) => logLines(stderr.slice(0, stderr.lastIndexOf("\n") + 1));

/** Buffers are written when they pass this many bytes (runtime/sinks.ts): what a kill can lose of a synchronous burst. */
const FLUSH_AT = 1 << 14;

const logLines = (stderr) => stderr.split("\n").filter((l) => /^(alloc|realloc|dealloc) /.test(l));
const warnings = (stderr) => stderr.split("\n").filter((l) => l.startsWith("traced-allocator: "));

/** Sizes as the summary prints them. */
function human(n) {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

const COLUMNS = ["site", "kind", "allocs", "reallocs", "bytes", "deallocs", "live", "at peak", "max"];

/**
 * The summary table printed on stderr: {header, peakMs, rows: [{site, kind, allocs, ...}]}. In
 * `header` the time of the peak (`at 12.3 ms`) is replaced by `at T ms`; `peakMs` is that time.
 */
function parseSummary(stderr, thread = "") {
  const lines = stderr.split("\n");
  const title = `traced-allocator summary${thread}: `;
  const at = lines.findIndex((l) => l.startsWith(title));
  expect(at, "a summary on stderr").to.be.at.least(0);
  const head = lines[at + 1].trim().split(/\s{2,}/);
  expect(head).to.deep.equal(COLUMNS);
  const rows = [];
  for (const l of lines.slice(at + 2)) {
    const cells = l.trim().split(/\s{2,}/);
    if (cells.length !== head.length) break;
    rows.push(Object.fromEntries(head.map((h, i) => [h, cells[i]])));
  }
  const m = / at (\d+\.\d) ms \(sites: \d+\)$/.exec(lines[at]);
  expect(m, `the peak's time in ${lines[at]}`).to.not.equal(null);
  return { header: lines[at].replace(/ at \d+\.\d ms \(sites:/, " at T ms (sites:"), peakMs: Number(m[1]), rows };
}

/** A summary row, cells in the order of COLUMNS. */
const row = (site, kind, ...cells) => Object.fromEntries(COLUMNS.map((h, i) => [h, i < 2 ? [site, kind][i] : String(cells[i - 2])]));

/**
 * Checks a burst trace: every round is an alloc and a realloc of the same id, alloc ids are 1, 2, 3, …
 * with none missing (nothing lost in the middle); returns the number of rounds recorded. `cut`: the
 * trace of a killed program, which may end between a round's alloc and its realloc.
 */
function checkBurst(events, { extraAllocs = 0, cut = false } = {}) {
  const allocs = events.filter((e) => e.event === "alloc");
  const rounds = allocs.filter((e) => e.kind === "new ArrayBuffer").length;
  const reallocs = events.filter((e) => e.event === "realloc");
  expect(allocs.length, "allocs").to.equal(rounds + extraAllocs);
  if (cut && reallocs.length === rounds - 1) expect(events.at(-1), "only the last round may be cut").to.include({ event: "alloc", kind: "new ArrayBuffer" });
  else expect(reallocs.length, "one realloc per round").to.equal(rounds);
  expect(events.length, "no other events").to.equal(allocs.length + reallocs.length);
  const ids = new Set(allocs.map((e) => e.id));
  expect(ids.size, "alloc ids are unique").to.equal(allocs.length);
  let max = 0;
  for (const id of ids) if (id > max) max = id;
  expect(max, "alloc ids 1, 2, 3, … with none missing").to.equal(allocs.length);
  // Plain loops: a chai assertion per event is slow at 100k events.
  const unpaired = reallocs.filter((r) => !ids.has(r.id));
  expect(unpaired, "every realloc id pairs with an alloc").to.deep.equal([]);
  const odd = reallocs.filter((r) => r.size !== 8 || r.newSize !== 16 || r.align !== 1 || r.kind !== "ArrayBuffer.prototype.resize");
  expect(odd).to.deep.equal([]);
  return rounds;
}

const ROUNDS = 50_000; // 100k events a run: many flushes of the buffers

after(cleanup);

// ---------------------------------------------------------------------------------------------

describe("runtime", function () {
  this.timeout(60_000);
  before(() => {
    const c = compile({ files: SOURCES });
    expect(c.diagnostics).to.deep.equal([]);
    outDir = c.outDir;
    fs.writeFileSync(path.join(outDir, "plain.js"), PLAIN);
  });
  const burstAlloc = `src/burst.ts:${pos(BURST, "new ArrayBuffer")}`;
  const burstRealloc = `src/burst.ts:${pos(BURST, "resize(16)")}`;
  const burstLog = [
    `alloc Layout { size: 8, align: 1 } at ${burstAlloc}`,
    `realloc Layout { size: 8, align: 1 } to 16 at ${burstRealloc}`,
  ];

  describe("TRACED_ALLOC", () => {
    for (const [label, value] of [
      ["unset", undefined],
      ["empty", ""],
      ["off", "off"],
      ["off with whitespace and empty words", " off , ,"],
      ["lifetimes alone (how to follow objects, not what to record)", "lifetimes"],
    ]) {
      it(`${label}: records nothing, writes nothing, creates no file`, async () => {
        const cwd = path.dirname(prog("burst"));
        const files = fs.readdirSync(cwd).sort();
        const r = await exec(prog("burst"), { env: { TRACED_ALLOC: value } });
        expect(r).to.deep.equal({ status: 0, signal: null, stdout: "done\n", stderr: "" });
        expect(fs.readdirSync(cwd).sort()).to.deep.equal(files);
      });
    }

    it("log: the events on stderr and nothing else", async () => {
      const r = await exec(prog("burst"), { env: { TRACED_ALLOC: "log" } });
      expect(r.status).to.equal(0);
      expect(r.stdout).to.equal("done\n");
      expect(r.stderr).to.equal([...burstLog, ...burstLog, ...burstLog].join("\n") + "\n");
    });

    it("summary: only the table at exit", async () => {
      const r = await exec(prog("burst"), { env: { TRACED_ALLOC: "summary" } });
      expect(r.stdout).to.equal("done\n");
      expect(logLines(r.stderr)).to.deep.equal([]);
      expect(warnings(r.stderr)).to.deep.equal([]);
      const s = parseSummary(r.stderr);
      // Everything is kept (globalThis.keep): live at exit after the exit collection, and the peak.
      expect(s.header).to.equal("traced-allocator summary: 3 allocs, 3 reallocs, 0 deallocs; 48 B allocated, 48 B live at exit, peak 48 B at T ms (sites: 2)");
      // The growth is bytes allocated at the resize's row; the buffers' live bytes (grown) stay at their allocation's row.
      expect(s.rows).to.deep.equal([
        row(burstAlloc, "new ArrayBuffer", 3, 0, 24, 0, 48, 48, 8),
        row(burstRealloc, "ArrayBuffer.prototype.resize", 0, 3, 24, 0, 0, 0, 16),
      ]);
      expect(r.stderr.split("\n").slice(4), "no notes: nothing estimated, nothing sampled").to.deep.equal([""]);
    });

    it("ndjson=<path>: the events in the file (a relative path is from the working directory), nothing on stderr", async () => {
      const name = `rel-${++traceCount}.ndjson`;
      const r = await exec(prog("burst"), { env: { TRACED_ALLOC: `ndjson=${name}` } });
      expect(r).to.deep.include({ status: 0, stdout: "done\n", stderr: "" });
      const events = readTrace(path.join(path.dirname(prog("burst")), name));
      expect(events).to.have.length(6);
      expect(checkBurst(events)).to.equal(3);
    });

    it("log,summary,ndjson=<path> together, with whitespace around words and '='", async () => {
      const out = traceFile();
      const r = await exec(prog("burst"), { env: { TRACED_ALLOC: ` log , summary ,\tndjson = ${out} ` } });
      expect(r.status).to.equal(0);
      expect(logLines(r.stderr)).to.deep.equal([...burstLog, ...burstLog, ...burstLog]);
      expect(parseSummary(r.stderr).header).to.match(/^traced-allocator summary: 3 allocs, 3 reallocs, 0 deallocs; 48 B allocated, 48 B live at exit, peak 48 B /);
      expect(warnings(r.stderr)).to.deep.equal([]);
      const { events, headers } = readRecords(out);
      expect(headers).to.have.length(1);
      expect(checkBurst(events)).to.equal(3);
    });

    it("an unknown word: one warning line naming it and the accepted words; the valid words still apply", async () => {
      const r = await exec(prog("burst"), { env: { TRACED_ALLOC: "log,bogus,summary" } });
      expect(r.status).to.equal(0);
      expect(r.stdout).to.equal("done\n");
      const w = warnings(r.stderr);
      expect(w).to.have.length(1);
      expect(w[0]).to.include("'bogus'").and.include("log").and.include("summary").and.include("ndjson=<path>").and.include("lifetimes").and.include("off");
      expect(r.stderr.split("\n")[0]).to.equal(w[0]); // said once, before anything else
      expect(logLines(r.stderr)).to.deep.equal([...burstLog, ...burstLog, ...burstLog]);
      expect(parseSummary(r.stderr).rows).to.have.length(2);
    });

    it("only unknown words: exactly one line on stderr, nothing recorded", async () => {
      const r = await exec(prog("burst"), { env: { TRACED_ALLOC: "verbose, LOG" } });
      expect(r.status).to.equal(0);
      expect(r.stdout).to.equal("done\n");
      expect(r.stderr.split("\n")).to.have.length(2); // one line and its newline
      expect(r.stderr).to.match(/^traced-allocator: .*'verbose'.*'LOG'/);
    });

    it("ndjson without a path: one warning line", async () => {
      const r = await exec(prog("burst"), { env: { TRACED_ALLOC: "ndjson=" } });
      expect(r).to.deep.include({ status: 0, stdout: "done\n" });
      expect(r.stderr).to.match(/^traced-allocator: .*ndjson=<path>.*\n$/);
      expect(r.stderr.split("\n")).to.have.length(2);
    });
  });

  describe("event formats", () => {
    const file = "src/gc.ts";
    const at = (needle) => `${file}:${pos(GC, needle)}`;

    it("text log: alloc, realloc … to N, a dealloc when the object is collected, and at exit those no longer reachable", async () => {
      const r = await exec(prog("gc"), { env: { TRACED_ALLOC: "log" }, nodeArgs: ["--expose-gc"] });
      expect(r.status).to.equal(0);
      expect(r.stdout).to.equal("2 3\n");
      expect(r.stderr.endsWith("\n")).to.equal(true);
      const lines = r.stderr.split("\n").slice(0, -1);
      expect(lines.slice(0, 5)).to.deep.equal([
        `alloc Layout { size: 16, align: 8 } at ${at("new Float64Array")}`,
        `alloc Layout { size: 24, align: 8 } at ${at("new Array(3)")}`,
        `alloc Layout { size: 8, align: 1 } at ${at("new ArrayBuffer")}`,
        `realloc Layout { size: 8, align: 1 } to 16 at ${at("resize(16)")}`,
        `dealloc Layout { size: 16, align: 1 } at ${at("new ArrayBuffer")}`,
      ]);
      // `kept` and `list` are module-level, unreachable once main() returned: the full collection
      // before the exit report takes them (arrays are followed like everything else). The order
      // in which the collector reports them is not a contract.
      expect(lines.slice(5).sort()).to.deep.equal(
        [`dealloc Layout { size: 16, align: 8 } at ${at("new Float64Array")}`, `dealloc Layout { size: 24, align: 8 } at ${at("new Array(3)")}`].sort(),
      );
    });

    it("ndjson: the fields of each event, ids pairing realloc and dealloc with their alloc, estimated arrays", async () => {
      const out = traceFile();
      const r = await exec(prog("gc"), { env: { TRACED_ALLOC: `ndjson=${out}` }, nodeArgs: ["--expose-gc"] });
      expect(r).to.deep.include({ status: 0, stderr: "" });
      const loc = (needle) => {
        const [line, col] = pos(GC, needle).split(":").map(Number);
        return { file, line, col };
      };
      const { records, headers, events, ends, peaks } = readRecords(out);
      expect(headers).to.have.length(1);
      expect(Object.keys(headers[0])).to.deep.equal(["trace", "version", "pid", "thread", "node", "argv", "start", "root", "lifetimes"]);
      expect(headers[0]).to.deep.include({ trace: "traced-allocator", version: 1, thread: 0, node: process.version, argv: [process.execPath, prog("gc")] });
      // A site record before the first event at each place, with the stable key the transformer
      // made (top-level sites: an empty scope); every object is followed exactly here: no weight.
      const site = (n, needle, kind) => ({ site: n, ...loc(needle), kind, key: `${file}#/${kind}#1`, thread: 0 });
      const expected = [
        site(1, "new Float64Array", "new Float64Array"),
        { event: "alloc", size: 16, align: 8, ...loc("new Float64Array"), kind: "new Float64Array", site: 1, id: 1, thread: 0 },
        site(2, "new Array(3)", "new Array"),
        { event: "alloc", size: 24, align: 8, ...loc("new Array(3)"), kind: "new Array", site: 2, id: 2, estimated: true, thread: 0 },
        site(3, "new ArrayBuffer", "new ArrayBuffer"),
        { event: "alloc", size: 8, align: 1, ...loc("new ArrayBuffer"), kind: "new ArrayBuffer", site: 3, id: 3, thread: 0 },
        site(4, "resize(16)", "ArrayBuffer.prototype.resize"),
        { event: "realloc", size: 8, align: 1, newSize: 16, ...loc("resize(16)"), kind: "ArrayBuffer.prototype.resize", site: 4, id: 3, thread: 0 },
        { event: "dealloc", size: 16, align: 1, ...loc("new ArrayBuffer"), kind: "new ArrayBuffer", site: 3, id: 3, thread: 0 },
        // At exit (module-level objects no longer reachable), in allocation order.
        { event: "dealloc", size: 16, align: 8, ...loc("new Float64Array"), kind: "new Float64Array", site: 1, id: 1, thread: 0 },
        { event: "dealloc", size: 24, align: 8, ...loc("new Array(3)"), kind: "new Array", site: 2, id: 2, estimated: true, thread: 0 },
      ];
      for (const e of events) expect(e.t, "t").to.be.a("number").and.at.least(0);
      // At exit, last: the summary's totals and the peak (56 B, after the resize: the third allocation)
      // with each site's share of it, by stable key.
      expect(records.slice(-2)).to.deep.equal([...ends, ...peaks]);
      expect(ends).to.deep.equal([{ end: { allocs: 3, reallocs: 1, bytes: 56, deallocs: 3, live: 0, estimated: false }, thread: 0 }]);
      expect(peaks).to.have.length(1);
      expect(peaks[0].peak.t).to.be.a("number").and.at.least(0);
      const share = (needle, kind, bytes) => ({ key: `${file}#/${kind}#1`, ...loc(needle), kind, bytes });
      expect({ ...peaks[0].peak, t: 0 }).to.deep.equal({
        bytes: 56,
        t: 0,
        allocs: 3,
        estimated: false,
        sites: [share("new Array(3)", "new Array", 24), share("new Float64Array", "new Float64Array", 16), share("new ArrayBuffer", "new ArrayBuffer", 16)],
      });
      const bare = records.slice(1, -2).map(({ t, ...rest }) => rest);
      expect(bare.slice(0, 9)).to.deep.equal(expected.slice(0, 9));
      expect(bare.slice(9)).to.deep.equal(expected.slice(9));
      for (let i = 1; i < events.length; i++) expect(events[i].t, "t never decreases").to.be.at.least(events[i - 1].t);
      // The key order users see in the file.
      const order = (e) => Object.keys(e).join(",");
      expect(order(records[1])).to.equal("site,file,line,col,kind,key,thread");
      expect(order(events[0])).to.equal("event,size,align,file,line,col,kind,site,id,t,thread");
      expect(order(events[1])).to.equal("event,size,align,file,line,col,kind,site,id,estimated,t,thread");
      expect(order(events[3])).to.equal("event,size,align,newSize,file,line,col,kind,site,id,t,thread");
      expect(order(events[4])).to.equal("event,size,align,file,line,col,kind,site,id,t,thread");
      // t: milliseconds with three decimals, as written in each event line (the peak record's t is
      // a plain number, checked above).
      const eventLines = fs.readFileSync(out, "utf8").split("\n").filter((l) => l.startsWith('{"event"'));
      expect(eventLines).to.have.length(events.length);
      for (const l of eventLines) expect(l.match(/"t":[^,}]*/g)).to.have.length(1).and.to.satisfy(([t]) => /^"t":\d+\.\d{3}$/.test(t));
    });

    it("summary: one row per site and kind with counts, bytes (growth at the resize's row), live bytes, the peak's share and the largest size", async () => {
      const r = await exec(prog("summary"), { env: { TRACED_ALLOC: "summary" } });
      expect(r.stdout).to.equal("7 20\n");
      const s = parseSummary(r.stderr);
      // Live bytes: 10, 20, 30, 62, 94, 102, 134 (resize to 40), 174 (the array: the peak), 154 (resize to 20).
      expect(s.header).to.equal("traced-allocator summary: 7 allocs, 2 reallocs, 0 deallocs; 174 B allocated, 154 B live at exit, peak 174 B at T ms (sites: 6)");
      const site = (needle) => `src/summary.ts:${pos(SUMMARY, needle)}`;
      expect(s.rows).to.deep.equal([
        row(site("new Float64Array"), "new Float64Array", 2, 0, 64, 0, 64, 64, 32),
        // arrays are followed to their collection like everything else; their size is an estimate
        row(site("new Array(5)"), "new Array", 1, 0, "~40", 0, 40, 40, 40),
        // the growth (8 to 40) is allocated at the resize; the buffer's bytes stay live at its allocation
        row(site("resize(40)"), "ArrayBuffer.prototype.resize", 0, 1, 32, 0, 0, 0, 40),
        row(site("new Uint8Array"), "new Uint8Array", 3, 0, 30, 0, 30, 30, 10),
        row(site("new ArrayBuffer"), "new ArrayBuffer", 1, 0, 8, 0, 20, 40, 8),
        row(site("resize(20)"), "ArrayBuffer.prototype.resize", 0, 1, 0, 0, 0, 0, 20),
      ]);
      const notes = r.stderr.split("\n").slice(2 + s.rows.length);
      expect(notes).to.deep.equal(["~ in bytes: estimated size (arrays: 8 bytes an element)", ""]);
    });

    it("summary: a collected object counts as a dealloc and is no longer live; module-level objects unreachable at exit are collected", async () => {
      const r = await exec(prog("gc"), { env: { TRACED_ALLOC: "summary" }, nodeArgs: ["--expose-gc"] });
      expect(r).to.deep.include({ status: 0, stdout: "2 3\n" });
      const s = parseSummary(r.stderr);
      // Live bytes: 16, 40, 48, 56 (the resize: the peak), 40 (the buffer collected), 0 at exit.
      expect(s.header).to.equal("traced-allocator summary: 3 allocs, 1 reallocs, 3 deallocs; 56 B allocated, 0 B live at exit, peak 56 B at T ms (sites: 4)");
      const at = (needle) => `src/gc.ts:${pos(GC, needle)}`;
      expect(s.rows).to.deep.equal([
        row(at("new Array(3)"), "new Array", 1, 0, "~24", 1, 0, 24, 24),
        row(at("new Float64Array"), "new Float64Array", 1, 0, 16, 1, 0, 16, 16),
        row(at("new ArrayBuffer"), "new ArrayBuffer", 1, 0, 8, 1, 0, 16, 8),
        row(at("resize(16)"), "ArrayBuffer.prototype.resize", 0, 1, 8, 0, 0, 0, 16),
      ]);
    });

    it("an exit listener of the program's own, after the runtime's: its events are still written", async () => {
      const out = traceFile();
      const r = await exec(prog("late"), { env: { TRACED_ALLOC: `log,ndjson=${out}` } });
      expect(r).to.deep.include({ status: 0, stdout: "exit listener 2\n" });
      const at = `src/late.ts:${pos(LATE, "new Uint8Array(9)")}`;
      expect(logLines(r.stderr).at(-1)).to.equal(`alloc Layout { size: 9, align: 1 } at ${at}`);
      // `keep` is held by the listener: nothing is collected at exit.
      expect(readTrace(out).map((e) => `${e.event} ${e.size}`)).to.deep.equal(["alloc 1", "alloc 9"]);
    });

    it("Allocator called from plain JavaScript: events at the calling line, one summary row", async () => {
      const plain = path.join(outDir, "plain.js");
      const r = await exec(plain, { env: { TRACED_ALLOC: "log,summary" } });
      expect(r).to.deep.include({ status: 0, stdout: "done\n" });
      const at = (needle) => `plain.js:${pos(PLAIN, needle)}`;
      const round = [
        `alloc Layout { size: 8, align: 8 } at ${at("alloc(o")}`,
        `realloc Layout { size: 8, align: 8 } to 24 at ${at("realloc(o")}`,
      ];
      // keep[0] freed by hand (at the dealloc's line), the other two collected at exit (`keep` is
      // module-level, unreachable once the module ran): reported at their allocation.
      expect(logLines(r.stderr)).to.deep.equal([
        ...round,
        ...round,
        ...round,
        `dealloc Layout { size: 24, align: 8 } at ${at("dealloc(")}`,
        `dealloc Layout { size: 24, align: 8 } at ${at("alloc(o")}`,
        `dealloc Layout { size: 24, align: 8 } at ${at("alloc(o")}`,
      ]);
      const s = parseSummary(r.stderr);
      expect(s.header).to.equal("traced-allocator summary: 3 allocs, 3 reallocs, 3 deallocs; 72 B allocated, 0 B live at exit, peak 72 B at T ms (sites: 2)");
      // A free counts at the allocation's row (Allocator.dealloc's own row has nothing to show).
      expect(s.rows).to.deep.equal([
        row(at("realloc(o"), "Allocator.realloc", 0, 3, 48, 0, 0, 0, 24),
        row(at("alloc(o"), "Allocator.alloc", 3, 0, 24, 3, 0, 72, 8),
      ]);
    });

    it("summary: events located from the stack (a @track_caller function as a callback) share one row per place", async () => {
      const r = await exec(prog("callback"), { env: { TRACED_ALLOC: "log,summary" } });
      expect(r).to.deep.include({ status: 0, stdout: "4\n" });
      const lines = logLines(r.stderr);
      expect(lines).to.have.length(10);
      const places = lines.slice(0, 5).map((l) => l.replace(/^.* at /, ""));
      // keep is module-level: all five are collected at exit, each at the place of its allocation.
      const deallocs = lines.slice(5).map((l) => l.replace(/^dealloc Layout \{ size: (\d+), .* at (.*)$/, "$1 $2")).sort();
      expect(deallocs).to.deep.equal(["1", "2", "3", "4", "24"].map((n, i) => `${n} ${places[[0, 1, 2, 4, 3][i]]}`).sort());
      expect(places[3], "the array map() made").to.equal(`src/callback.ts:${pos(CALLBACK, "map(mk)")}`);
      expect(places[4]).to.equal(`src/callback.ts:${pos(CALLBACK, "mk(4)")}`);
      expect(new Set(places.slice(0, 3)).size, "the three callback calls come from one place").to.equal(1);
      const rows = parseSummary(r.stderr).rows;
      expect(rows).to.deep.equal([
        row(places[3], "Array.prototype.map", 1, 0, "~24", 1, 0, 24, 24),
        row(places[0], "new Uint8Array", 3, 0, 6, 3, 0, 6, 3),
        row(places[4], "new Uint8Array", 1, 0, 4, 1, 0, 4, 4),
      ]);
    });

    it("worker threads tracing to the same file: all events kept, ids unique, a header per thread, every event with its thread", async () => {
      const out = traceFile();
      const r = await exec(prog("worker"), { env: { TRACED_ALLOC: `ndjson=${out}` } });
      expect(r).to.deep.include({ status: 0, stdout: "done\n", stderr: "" });
      const { events, headers } = readRecords(out);
      const bySize = (n) => events.filter((e) => e.size === n).length;
      expect([bySize(1), bySize(2), bySize(3)]).to.deep.equal([1000, 1000, 1000]);
      expect(events).to.have.length(3000); // everything is kept (globalThis.keep of each thread)
      expect(new Set(events.map((e) => e.id)).size).to.equal(3000);
      expect(headers.map((h) => h.thread)).to.deep.equal([0, 1]);
      const threadOf = (n) => [...new Set(events.filter((e) => e.size === n).map((e) => e.thread))];
      expect([threadOf(1), threadOf(2), threadOf(3)]).to.deep.equal([[0], [1], [0]]);
    });
  });

  describe("complete output on every exit", () => {
    /** Runs burst with log, summary and ndjson at once; checks the three agree and are complete. */
    async function traced(mode, opts = {}) {
      const out = traceFile();
      const r = await exec(prog("burst"), { args: [mode, String(ROUNDS)], env: { TRACED_ALLOC: `log,summary,ndjson=${out}` }, ...opts });
      if (opts.killed) {
        // What was written until the signal: whole lines, no summary (no code runs at a kill).
        const { events, shortest } = readKilledTrace(out);
        const lines = killedLogLines(r.stderr);
        expect(r.stderr, "no summary").to.not.include("traced-allocator summary");
        expect(warnings(r.stderr)).to.deep.equal([]);
        const rounds = checkBurst(events, { cut: true });
        // All the synchronous burst before "ready" was written, but for at most its last chunk.
        expect(rounds, "rounds in the trace").to.be.at.least(ROUNDS - Math.ceil(FLUSH_AT / shortest));
        const logRounds = lines.filter((l) => l.startsWith("alloc")).length;
        expect(logRounds, "rounds in the log").to.be.at.least(ROUNDS - Math.ceil(FLUSH_AT / burstLog[0].length));
        for (let i = 0; i < lines.length; i++) if (lines[i] !== burstLog[i % 2]) expect(lines[i], `log line ${i + 1}`).to.equal(burstLog[i % 2]);
        return { ...r, events, lines };
      }
      const events = readTrace(out);
      const lines = logLines(r.stderr);
      expect(lines.length, "one log line per ndjson event").to.equal(events.length);
      expect(warnings(r.stderr)).to.deep.equal([]);
      const s = parseSummary(r.stderr);
      const allocs = events.filter((e) => e.event === "alloc").length;
      const reallocs = events.filter((e) => e.event === "realloc").length;
      let bytes = 0;
      for (const e of events) bytes += e.event === "alloc" ? e.size : Math.max(0, e.newSize - e.size);
      // Counts and bytes exact; beyond the first objects lifetimes are sampled (~); everything is kept.
      expect(s.header).to.match(
        new RegExp(`^traced-allocator summary: ${allocs} allocs, ${reallocs} reallocs, ~0 deallocs; ${human(bytes)} allocated, ~[\\d.]+ KiB live at exit, peak ~`),
      );
      expect(s.rows.map((x) => [x.kind, x.allocs, x.reallocs, x.bytes])).to.deep.include.members([
        ["new ArrayBuffer", String(reallocs), "0", String(8 * reallocs)],
        ["ArrayBuffer.prototype.resize", "0", String(reallocs), String(8 * reallocs)],
      ]);
      return { ...r, events, lines };
    }

    it("normal end", async () => {
      const r = await traced("normal");
      expect(r).to.deep.include({ status: 0, signal: null, stdout: "done\n" });
      expect(r.events).to.have.length(2 * ROUNDS);
      expect(checkBurst(r.events)).to.equal(ROUNDS);
    });

    it("process.exit(3): the exit code is kept", async () => {
      const r = await traced("exit3");
      expect(r).to.deep.include({ status: 3, signal: null, stdout: "exiting with 3\n" });
      expect(r.events).to.have.length(2 * ROUNDS);
      expect(checkBurst(r.events)).to.equal(ROUNDS);
    });

    it("an uncaught exception: exit code 1, the error still printed", async () => {
      const r = await traced("throw");
      expect(r).to.deep.include({ status: 1, signal: null, stdout: "throwing\n" });
      expect(r.stderr).to.include("Error: boom from the program");
      expect(r.events).to.have.length(2 * ROUNDS);
      expect(checkBurst(r.events)).to.equal(ROUNDS);
    });

    // No signal handlers of the runtime's own: a signal kills a traced program as an untraced one,
    // and no summary can be printed then; the log and the trace are readable up to their last whole line.
    for (const sig of ["SIGINT", "SIGTERM"]) {
      it(`${sig} to a busy program: it dies of the signal; log and trace written up to the signal, no summary`, async () => {
        const r = await traced("busy", { onStdout: killWhenReady(sig), killed: true });
        expect(r).to.deep.include({ status: null, signal: sig, stdout: "ready\n" });
      });
    }

    it("a program with its own SIGINT handler keeps control, and what it does after is recorded", async () => {
      const r = await traced("own-handler", { onStdout: killWhenReady("SIGINT") });
      expect(r).to.deep.include({ status: 7, signal: null, stdout: "ready\nown handler\nbye\n" });
      const late = r.events.filter((e) => e.kind === "new Uint8Array");
      expect(late).to.have.length(1);
      expect(late[0]).to.include({ event: "alloc", size: 3, file: "src/burst.ts", line: Number(pos(BURST, "new Uint8Array").split(":")[0]) });
      expect(checkBurst(r.events, { extraAllocs: 1 })).to.be.at.least(ROUNDS);
      // The summary is printed once, at the real exit, after everything the handler did.
      expect(r.stderr.split("traced-allocator summary:")).to.have.length(2);
      expect(parseSummary(r.stderr).rows.find((x) => x.kind === "new Uint8Array")).to.include({ allocs: "1" });
    });
  });

  describe("a failing sink never breaks the program", () => {
    const ok = { status: 0, signal: null, stdout: "done\n" };

    (fs.existsSync("/dev/full") ? it : it.skip)("ndjson=/dev/full (disk full): one warning, same output and exit code", async () => {
      for (const [mode, expected] of [
        ["normal", ok],
        ["exit3", { status: 3, signal: null, stdout: "exiting with 3\n" }],
      ]) {
        const r = await exec(prog("burst"), { args: [mode, String(ROUNDS)], env: { TRACED_ALLOC: "ndjson=/dev/full" } });
        expect(r).to.deep.include(expected);
        expect(r.stderr).to.match(/^traced-allocator: .*\/dev\/full.*\n$/);
        expect(r.stderr.split("\n")).to.have.length(2);
      }
    });

    it("ndjson in a folder that does not exist: one warning, same output, no file or folder made", async () => {
      const missing = path.join(outDir, "no-such-folder");
      const r = await exec(prog("burst"), { args: ["normal", "1000"], env: { TRACED_ALLOC: `ndjson=${path.join(missing, "t.ndjson")}` } });
      expect(r).to.deep.include(ok);
      expect(r.stderr).to.match(/^traced-allocator: .*no-such-folder.*\n$/);
      expect(r.stderr.split("\n")).to.have.length(2);
      expect(fs.existsSync(missing)).to.equal(false);
    });

    it("log with stderr closed (2>&-): completes with its exit code", async () => {
      for (const [mode, status] of [
        ["normal", 0],
        ["exit3", 3],
      ]) {
        const r = await exec(prog("burst"), {
          command: ["/bin/sh", "-c", 'exec "$0" "$@" 2>&-', process.execPath, prog("burst"), mode, String(ROUNDS)],
          env: { TRACED_ALLOC: "log,summary" },
        });
        expect(r.status).to.equal(status);
        expect(r.signal).to.equal(null);
        expect(r.stdout).to.equal(mode === "normal" ? "done\n" : "exiting with 3\n");
      }
    });

    it("log to a pipe whose reader went away (EPIPE): completes with its exit code", async () => {
      for (const [mode, status] of [
        ["normal", 0],
        ["exit3", 3],
      ]) {
        const r = await exec(prog("burst"), {
          args: [mode, String(ROUNDS)],
          env: { TRACED_ALLOC: "log,summary" },
          setup: (child) => child.stderr.destroy(),
        });
        expect(r.status).to.equal(status);
        expect(r.signal).to.equal(null);
        expect(r.stdout).to.equal(mode === "normal" ? "done\n" : "exiting with 3\n");
      }
    });

    it("log to a slow reader (a full non-blocking pipe): waits for it, nothing lost", async () => {
      const r = await exec(prog("burst"), {
        args: ["normal", String(ROUNDS)],
        env: { TRACED_ALLOC: "log", TOUCH_STDERR: "1" },
        setup: (child) => {
          child.stderr.pause();
          setTimeout(() => child.stderr.resume(), 700);
        },
      });
      expect(r).to.deep.include(ok);
      expect(warnings(r.stderr)).to.deep.equal([]);
      const lines = logLines(r.stderr);
      expect(lines).to.have.length(2 * ROUNDS);
      expect(lines.at(-1)).to.equal(burstLog[1]);
    });
  });

  describe("configuration from code", () => {
    const cfg = (needle, nth = 0) => `src/config.ts:${pos(CONFIG, needle, nth)}`;
    const OFF = '{"log":false,"summary":false,"ndjson":false,"lifetimes":false}';

    it("configure({log: true}), configure(\"summary\"), configure({ndjson}), currentConfig() and flush()", async () => {
      const out = traceFile();
      const r = await exec(prog("config"), { args: ["api", out] });
      expect(r.status).to.equal(0);
      expect(r.stdout).to.equal(
        [
          `start ${OFF} false`,
          'log {"log":true,"summary":false,"ndjson":false,"lifetimes":false} true',
          'summary {"log":false,"summary":true,"ndjson":false,"lifetimes":false} true',
          `ndjson ${JSON.stringify({ log: false, summary: true, ndjson: out, lifetimes: false })} true`,
          "lines before flush 0",
          "lines after flush 3", // the header, the site record and the event
          "",
        ].join("\n"),
      );
      const [logged, marker, ...rest] = r.stderr.split("\n");
      expect(logged).to.equal(`alloc Layout { size: 2, align: 1 } at ${cfg("new Uint8Array(2)")}`);
      expect(marker).to.equal("-- after flush --"); // flush() wrote the line before the program's own output
      expect(logLines(rest.join("\n"))).to.deep.equal([]);
      const s = parseSummary(r.stderr);
      // The rows count every allocation recorded while anything was on (the one logged before
      // summary was switched on too); `keep` is global, so everything is live at exit.
      expect(s.header).to.equal("traced-allocator summary: 3 allocs, 0 reallocs, 0 deallocs; 9 B allocated, 9 B live at exit, peak 9 B at T ms (sites: 3)");
      expect(s.rows).to.deep.equal([
        row(cfg("new Uint8Array(4)"), "new Uint8Array", 1, 0, 4, 0, 4, 4, 4),
        row(cfg("new Uint8Array(3)"), "new Uint8Array", 1, 0, 3, 0, 3, 3, 3),
        row(cfg("new Uint8Array(2)"), "new Uint8Array", 1, 0, 2, 0, 2, 2, 2),
      ]);
      expect(readTrace(out).map((e) => e.size)).to.deep.equal([4]);
    });

    it("configure({}) stops recording, also what TRACED_ALLOC started", async () => {
      const out = traceFile();
      const r = await exec(prog("config"), { args: ["stop", out], env: { TRACED_ALLOC: "log" } });
      expect(r.status).to.equal(0);
      expect(r.stdout).to.equal(`start {"log":true,"summary":false,"ndjson":false,"lifetimes":false} true\nstopped ${OFF} false\n`);
      expect(r.stderr).to.equal(`alloc Layout { size: 5, align: 1 } at ${cfg("new Uint8Array(5)")}\n`);
      expect(readTrace(out).map((e) => e.size)).to.deep.equal([5]);
    });

    it("configure(\"log, bogus\"): one warning, the valid words apply", async () => {
      const r = await exec(prog("config"), { args: ["bad", "unused"] });
      expect(r.stdout).to.equal('bad {"log":true,"summary":false,"ndjson":false,"lifetimes":false} true\n');
      const w = warnings(r.stderr);
      expect(w).to.have.length(1);
      expect(w[0]).to.include("'bogus'");
      expect(logLines(r.stderr)).to.deep.equal([`alloc Layout { size: 7, align: 1 } at ${cfg("new Uint8Array(7)")}`]);
    });
  });

  describe("configuration after a failure", () => {
    (fs.existsSync("/dev/full") ? it : it.skip)("currentConfig() shows the ndjson output off once its file failed; one warning", async () => {
      const r = await exec(prog("config"), { args: ["full", "/dev/full"] });
      expect(r.status).to.equal(0);
      expect(r.stdout).to.equal(
        'open {"log":false,"summary":false,"ndjson":"/dev/full","lifetimes":false} true\nfailed {"log":false,"summary":false,"ndjson":false,"lifetimes":false} false\nstill running\n',
      );
      expect(r.stderr).to.match(/^traced-allocator: .*\/dev\/full.*\n$/);
      expect(r.stderr.split("\n")).to.have.length(2);
    });
  });

  describe("the runtime's names", () => {
    it("every name in RT (names.ts, used by the transformer) is an exported function of the runtime", () => {
      const { RT } = require(path.join(repoRoot, "dist/runtime/names.js"));
      const runtime = require(path.join(repoRoot, "dist/runtime/index.js"));
      expect(Object.keys(RT)).to.not.be.empty;
      for (const [key, name] of Object.entries(RT)) {
        expect(name, `RT.${key}`).to.equal(key);
        expect(runtime[name], `runtime export ${name}`).to.be.a("function");
      }
    });
  });
});

describe("ndjson=<path> with %p", function () {
  this.timeout(60_000);
  it("names a file per process: a child that inherits TRACED_ALLOC does not overwrite its parent's", async () => {
    const src = [
      'import { spawnSync } from "node:child_process";',
      "const mine = new Uint8Array(3);",
      'if (process.argv[2] !== "child") spawnSync(process.execPath, [__filename, "child"], { stdio: "inherit" });',
      "console.log(process.pid, mine.length);",
    ].join("\n");
    const { outDir } = compile({ files: { "src/main.ts": src } });
    const r = run(path.join(outDir, "src/main.js"), { env: { TRACED_ALLOC: "ndjson=trace-%p.ndjson" } });
    expect(r.status, r.stderr).to.equal(0);
    const pids = r.stdout.trim().split("\n").map((l) => l.split(" ")[0]);
    expect(pids).to.have.length(2);
    for (const pid of pids) {
      const [header, ...rest] = fs.readFileSync(path.join(outDir, "src", `trace-${pid}.ndjson`), "utf8").trim().split("\n").map((l) => JSON.parse(l));
      expect(header).to.include({ trace: "traced-allocator", version: 1, pid: Number(pid) });
      const events = rest.filter((e) => e.event !== undefined);
      // `mine` is unreachable once the module ran: collected at exit.
      expect(events.map((e) => `${e.event} ${e.size} ${e.line}`)).to.deep.equal(["alloc 3 2", "dealloc 3 2"]);
    }
  });
});

describe("the runtime in a bundle", function () {
  // The package root's default export is the ts-patch transformer ("transform": "traced-allocator"),
  // loaded only when called: a bundle of the runtime must not take in the transformer or TypeScript.
  it("a bundle of the runtime (esbuild) holds neither the transformer nor TypeScript", () => {
    const esbuild = require("esbuild");
    const out = esbuild.buildSync({
      stdin: { contents: 'import { Location, enabled } from "traced-allocator"; console.log(typeof Location, enabled());', resolveDir: repoRoot },
      bundle: true,
      platform: "node",
      write: false,
      logLevel: "silent",
    });
    expect(out.errors).to.deep.equal([]);
    const text = out.outputFiles[0].text;
    expect(text).to.include("traced-allocator"); // the runtime is in it
    expect(text).to.not.include("transformSourceFile");
    expect(text).to.not.include("createProgram");
    expect(text.length).to.be.lessThan(200_000);
  });

  it("the package root's default export is traced-allocator/transformer's, loaded when called", () => {
    const root = require("traced-allocator");
    expect(root).to.equal(require("traced-allocator/runtime"));
    expect(typeof root.default).to.equal("function");
    const ts = require("typescript");
    const program = ts.createProgram([], { noEmit: true });
    const factory = root.default(program, {}, { ts });
    expect(typeof factory).to.equal("function");
  });
});

describe("a program whose modules were not built with the transformer", function () {
  const WARNING = "traced-allocator: TRACED_ALLOC is set, but no module built with traced-allocator's transformer ran in the main thread";
  // What a build that skipped the plugin gives: code that imports the runtime (for the Allocator
  // API), compiled by plain tsc, with allocations the transformer would have traced.
  const PLAIN = `const { Allocator, Layout } = require("traced-allocator/runtime");
const bytes = new Uint8Array(64);
const pool = {};
Allocator.alloc(pool, new Layout(24, 8), "Pool.alloc");
console.log(bytes.length);
`;
  it("warns at exit, once, naming the fix; the program's output and exit status are its own", () => {
    const dir = scratch("untraced");
    fs.writeFileSync(path.join(dir, "main.js"), PLAIN + "process.exitCode = 3;\n");
    const r = run(path.join(dir, "main.js"), { env: { TRACED_ALLOC: "summary" } });
    expect(r.stdout).to.equal("64\n");
    expect(r.status).to.equal(3);
    expect(r.stderr.split(WARNING).length - 1).to.equal(1);
    expect(r.stderr).to.include("npx traced-alloc build");
    // what the Allocator API recorded is still there
    expect(r.stderr).to.match(/traced-allocator summary: 1 allocs/);
  });

  it("does not warn for a program built with the transformer, nor with TRACED_ALLOC unset", () => {
    const built = compile({ files: { "main.ts": "export const bytes = new Uint8Array(64);\nconsole.log(bytes.length);\n" } });
    const traced = run(path.join(built.outDir, "main.js"), { env: { TRACED_ALLOC: "summary" } });
    expect(traced.status, traced.stderr).to.equal(0);
    expect(traced.stderr).to.include("traced-allocator summary: 1 allocs");
    expect(traced.stderr).to.not.include(WARNING);
    const dir = scratch("untraced");
    fs.writeFileSync(path.join(dir, "main.js"), PLAIN);
    expect(run(path.join(dir, "main.js")).stderr).to.equal("");
  });
});
