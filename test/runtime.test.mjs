// Runtime suite: what a user of `TRACED_ALLOC` and of the configuration API relies on, checked on
// real child processes (SPEC "Run-time switch", "Text log", "NDJSON events").
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { compile, run, repoRoot, cleanup } from "./harness.mjs";

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
for (let i = 0; i < 3; i++) keep.push(new Uint8Array(10));
for (let i = 0; i < 2; i++) keep.push(new Float64Array(4));
const ab = new ArrayBuffer(8, { maxByteLength: 100 });
ab.resize(40);
ab.resize(20);
keep.push(new Array(5));
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

function readTrace(file) {
  const text = fs.readFileSync(file, "utf8");
  if (text !== "") expect(text.endsWith("\n"), "the last ndjson line is complete").to.equal(true);
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

const logLines = (stderr) => stderr.split("\n").filter((l) => /^(alloc|realloc|dealloc) /.test(l));
const warnings = (stderr) => stderr.split("\n").filter((l) => l.startsWith("traced-allocator: "));

/** The summary table printed on stderr: {header, rows: [{site, kind, allocs, ...}]}. */
function parseSummary(stderr) {
  const lines = stderr.split("\n");
  const at = lines.findIndex((l) => l.startsWith("traced-allocator summary: "));
  expect(at, "a summary on stderr").to.be.at.least(0);
  const head = lines[at + 1].trim().split(/\s+/);
  expect(head).to.deep.equal(["site", "kind", "allocs", "reallocs", "deallocs", "bytes", "live", "max"]);
  const rows = [];
  for (const l of lines.slice(at + 2)) {
    const cells = l.trim().split(/\s{2,}/);
    if (cells.length !== head.length) break;
    rows.push(Object.fromEntries(head.map((h, i) => [h, cells[i]])));
  }
  return { header: lines[at], rows };
}

/**
 * Checks a burst trace: every round is an alloc and a realloc of the same id, alloc ids are 1, 2, 3, …
 * with none missing (nothing lost in the middle); returns the number of rounds recorded.
 */
function checkBurst(events, { extraAllocs = 0 } = {}) {
  const allocs = events.filter((e) => e.event === "alloc");
  const rounds = allocs.filter((e) => e.kind === "new ArrayBuffer").length;
  const reallocs = events.filter((e) => e.event === "realloc");
  expect(allocs.length, "allocs").to.equal(rounds + extraAllocs);
  expect(reallocs.length, "one realloc per round").to.equal(rounds);
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
      expect(s.header).to.match(/^traced-allocator summary: 3 allocs, 3 reallocs, 0 deallocs; /);
      expect(s.rows).to.deep.equal([
        { site: burstAlloc, kind: "new ArrayBuffer", allocs: "3", reallocs: "3", deallocs: "0", bytes: "48", live: "48", max: "16" },
      ]);
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
      expect(parseSummary(r.stderr).header).to.match(/^traced-allocator summary: 3 allocs, 3 reallocs/);
      expect(warnings(r.stderr)).to.deep.equal([]);
      expect(readTrace(out)).to.have.length(6);
    });

    it("an unknown word: one warning line naming it and the accepted words; the valid words still apply", async () => {
      const r = await exec(prog("burst"), { env: { TRACED_ALLOC: "log,bogus,summary" } });
      expect(r.status).to.equal(0);
      expect(r.stdout).to.equal("done\n");
      const w = warnings(r.stderr);
      expect(w).to.have.length(1);
      expect(w[0]).to.include("'bogus'").and.include("log").and.include("summary").and.include("ndjson=<path>").and.include("off");
      expect(r.stderr.split("\n")[0]).to.equal(w[0]); // said once, before anything else
      expect(logLines(r.stderr)).to.deep.equal([...burstLog, ...burstLog, ...burstLog]);
      expect(parseSummary(r.stderr).rows).to.have.length(1);
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

    it("text log: alloc, realloc … to N, and a dealloc when the object is collected", async () => {
      const r = await exec(prog("gc"), { env: { TRACED_ALLOC: "log" }, nodeArgs: ["--expose-gc"] });
      expect(r.status).to.equal(0);
      expect(r.stdout).to.equal("2 3\n");
      expect(r.stderr).to.equal(
        [
          `alloc Layout { size: 16, align: 8 } at ${at("new Float64Array")}`,
          `alloc Layout { size: 24, align: 8 } at ${at("new Array(3)")}`,
          `alloc Layout { size: 8, align: 1 } at ${at("new ArrayBuffer")}`,
          `realloc Layout { size: 8, align: 1 } to 16 at ${at("resize(16)")}`,
          `dealloc Layout { size: 16, align: 1 } at ${at("new ArrayBuffer")}`,
          "",
        ].join("\n"),
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
      const events = readTrace(out);
      expect(events).to.deep.equal([
        { event: "alloc", size: 16, align: 8, ...loc("new Float64Array"), kind: "new Float64Array", id: 1 },
        { event: "alloc", size: 24, align: 8, ...loc("new Array(3)"), kind: "new Array", id: 2, estimated: true },
        { event: "alloc", size: 8, align: 1, ...loc("new ArrayBuffer"), kind: "new ArrayBuffer", id: 3 },
        { event: "realloc", size: 8, align: 1, newSize: 16, ...loc("resize(16)"), kind: "ArrayBuffer.prototype.resize", id: 3 },
        { event: "dealloc", size: 16, align: 1, ...loc("new ArrayBuffer"), kind: "new ArrayBuffer", id: 3 },
      ]);
      // The key order users see in the file.
      expect(Object.keys(events[3])).to.deep.equal(["event", "size", "align", "newSize", "file", "line", "col", "kind", "id"]);
    });

    it("summary: one row per site with counts, bytes (growth counted), live bytes and the largest size", async () => {
      const r = await exec(prog("summary"), { env: { TRACED_ALLOC: "summary" } });
      expect(r.stdout).to.equal("6 20\n");
      const s = parseSummary(r.stderr);
      expect(s.header).to.equal("traced-allocator summary: 7 allocs, 2 reallocs, 0 deallocs; 174 B allocated, 114 B live at exit (sites: 4)");
      const site = (needle) => `src/summary.ts:${pos(SUMMARY, needle)}`;
      expect(s.rows).to.deep.equal([
        { site: site("new Float64Array"), kind: "new Float64Array", allocs: "2", reallocs: "0", deallocs: "0", bytes: "64", live: "64", max: "32" },
        { site: site("new ArrayBuffer"), kind: "new ArrayBuffer", allocs: "1", reallocs: "2", deallocs: "0", bytes: "40", live: "20", max: "40" },
        // arrays are counted but not followed to their collection in summary-only mode
        { site: site("new Array(5)"), kind: "new Array", allocs: "1", reallocs: "0", deallocs: "-", bytes: "~40", live: "-", max: "40" },
        { site: site("new Uint8Array"), kind: "new Uint8Array", allocs: "3", reallocs: "0", deallocs: "0", bytes: "30", live: "30", max: "10" },
      ]);
      expect(r.stderr).to.include("~ estimated");
      expect(r.stderr).to.include("- not followed in summary mode (arrays)");
    });

    it("summary: a collected object counts as a dealloc and is no longer live", async () => {
      const r = await exec(prog("gc"), { env: { TRACED_ALLOC: "summary" }, nodeArgs: ["--expose-gc"] });
      const row = parseSummary(r.stderr).rows.find((x) => x.kind === "new ArrayBuffer");
      expect(row).to.include({ allocs: "1", reallocs: "1", deallocs: "1", bytes: "16", live: "0", max: "16" });
    });

    it("an exit listener of the program's own, after the runtime's: its events are still written", async () => {
      const out = traceFile();
      const r = await exec(prog("late"), { env: { TRACED_ALLOC: `log,ndjson=${out}` } });
      expect(r).to.deep.include({ status: 0, stdout: "exit listener 2\n" });
      const at = `src/late.ts:${pos(LATE, "new Uint8Array(9)")}`;
      expect(logLines(r.stderr).at(-1)).to.equal(`alloc Layout { size: 9, align: 1 } at ${at}`);
      expect(readTrace(out).map((e) => e.size)).to.deep.equal([1, 9]);
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
      expect(logLines(r.stderr)).to.deep.equal([...round, ...round, ...round, `dealloc Layout { size: 24, align: 8 } at ${at("dealloc(")}`]);
      expect(parseSummary(r.stderr).rows).to.deep.equal([
        { site: at("alloc(o"), kind: "Allocator.alloc", allocs: "3", reallocs: "3", deallocs: "1", bytes: "72", live: "48", max: "24" },
      ]);
    });

    it("summary: events located from the stack (a @track_caller function as a callback) share one row per place", async () => {
      const r = await exec(prog("callback"), { env: { TRACED_ALLOC: "log,summary" } });
      expect(r).to.deep.include({ status: 0, stdout: "4\n" });
      const places = logLines(r.stderr).map((l) => l.replace(/^.* at /, ""));
      expect(places).to.have.length(5);
      expect(places[3], "the array map() made").to.equal(`src/callback.ts:${pos(CALLBACK, "map(mk)")}`);
      expect(places[4]).to.equal(`src/callback.ts:${pos(CALLBACK, "mk(4)")}`);
      expect(new Set(places.slice(0, 3)).size, "the three callback calls come from one place").to.equal(1);
      const rows = parseSummary(r.stderr).rows;
      expect(rows.map((x) => [x.site, x.allocs, x.bytes])).to.deep.equal([
        [places[3], "1", "~24"],
        [places[0], "3", "6"],
        [places[4], "1", "4"],
      ]);
    });

    it("worker threads tracing to the same file: all events kept, ids unique", async () => {
      const out = traceFile();
      const r = await exec(prog("worker"), { env: { TRACED_ALLOC: `ndjson=${out}` } });
      expect(r).to.deep.include({ status: 0, stdout: "done\n", stderr: "" });
      const events = readTrace(out);
      const bySize = (n) => events.filter((e) => e.size === n).length;
      expect([bySize(1), bySize(2), bySize(3)]).to.deep.equal([1000, 1000, 1000]);
      expect(new Set(events.map((e) => e.id)).size).to.equal(3000);
    });
  });

  describe("complete output on every exit", () => {
    /** Runs burst with log, summary and ndjson at once; checks the three agree and are complete. */
    async function traced(mode, opts = {}) {
      const out = traceFile();
      const r = await exec(prog("burst"), { args: [mode, String(ROUNDS)], env: { TRACED_ALLOC: `log,summary,ndjson=${out}` }, ...opts });
      const events = readTrace(out);
      const lines = logLines(r.stderr);
      expect(lines.length, "one log line per ndjson event").to.equal(events.length);
      expect(warnings(r.stderr)).to.deep.equal([]);
      const s = parseSummary(r.stderr);
      const allocs = events.filter((e) => e.event === "alloc").length;
      const reallocs = events.filter((e) => e.event === "realloc").length;
      expect(s.header).to.match(new RegExp(`^traced-allocator summary: ${allocs} allocs, ${reallocs} reallocs, 0 deallocs;`));
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

    for (const sig of ["SIGINT", "SIGTERM"]) {
      it(`${sig} to a busy program: it still dies of the signal`, async () => {
        const r = await traced("busy", { onStdout: killWhenReady(sig) });
        expect(r).to.deep.include({ status: null, signal: sig, stdout: "ready\n" });
        expect(checkBurst(r.events)).to.be.at.least(ROUNDS);
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
    const OFF = '{"log":false,"summary":false,"ndjson":false}';

    it("configure({log: true}), configure(\"summary\"), configure({ndjson}), currentConfig() and flush()", async () => {
      const out = traceFile();
      const r = await exec(prog("config"), { args: ["api", out] });
      expect(r.status).to.equal(0);
      expect(r.stdout).to.equal(
        [
          `start ${OFF} false`,
          'log {"log":true,"summary":false,"ndjson":false} true',
          'summary {"log":false,"summary":true,"ndjson":false} true',
          `ndjson ${JSON.stringify({ log: false, summary: true, ndjson: out })} true`,
          "lines before flush 0",
          "lines after flush 1",
          "",
        ].join("\n"),
      );
      const [logged, marker, ...rest] = r.stderr.split("\n");
      expect(logged).to.equal(`alloc Layout { size: 2, align: 1 } at ${cfg("new Uint8Array(2)")}`);
      expect(marker).to.equal("-- after flush --"); // flush() wrote the line before the program's own output
      expect(logLines(rest.join("\n"))).to.deep.equal([]);
      const s = parseSummary(r.stderr);
      expect(s.header).to.match(/^traced-allocator summary: 2 allocs, /);
      expect(s.rows.map((x) => x.site)).to.deep.equal([cfg("new Uint8Array(4)"), cfg("new Uint8Array(3)")]);
      expect(readTrace(out).map((e) => e.size)).to.deep.equal([4]);
    });

    it("configure({}) stops recording, also what TRACED_ALLOC started", async () => {
      const out = traceFile();
      const r = await exec(prog("config"), { args: ["stop", out], env: { TRACED_ALLOC: "log" } });
      expect(r.status).to.equal(0);
      expect(r.stdout).to.equal(`start {"log":true,"summary":false,"ndjson":false} true\nstopped ${OFF} false\n`);
      expect(r.stderr).to.equal(`alloc Layout { size: 5, align: 1 } at ${cfg("new Uint8Array(5)")}\n`);
      expect(readTrace(out).map((e) => e.size)).to.deep.equal([5]);
    });

    it("configure(\"log, bogus\"): one warning, the valid words apply", async () => {
      const r = await exec(prog("config"), { args: ["bad", "unused"] });
      expect(r.stdout).to.equal('bad {"log":true,"summary":false,"ndjson":false} true\n');
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
        'open {"log":false,"summary":false,"ndjson":"/dev/full"} true\nfailed {"log":false,"summary":false,"ndjson":false} false\nstill running\n',
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
      const events = fs.readFileSync(path.join(outDir, "src", `trace-${pid}.ndjson`), "utf8").trim().split("\n").map((l) => JSON.parse(l));
      expect(events.map((e) => `${e.event} ${e.size} ${e.line}`)).to.deep.equal(["alloc 3 2"]);
    }
  });
});
