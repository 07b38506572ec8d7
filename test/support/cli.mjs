// Helpers for the traced-alloc tests (and the reader's benchmark): run the real bin as a user
// would, build and run traced programs that also dump the runtime's own figures, read the
// summary table from stderr, write synthetic traces, and measure the reader's speed.
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { compile, repoRoot, scratch } from "../harness.mjs";

export const bin = path.join(repoRoot, "dist/cli/main.js");

/** Runs `node dist/cli/main.js ...args`; returns {status, stdout, stderr}. */
export function runBin(args, { cwd = repoRoot, env = {}, input } = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, env: { ...process.env, TRACED_ALLOC: "", ...env }, encoding: "utf8", input, timeout: 120_000, maxBuffer: 1 << 28 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `report ... --json` parsed (status 0 asserted by the caller through the returned run). */
export function reportJson(trace, args = [], opts) {
  const r = runBin(["report", trace, "--json", ...args], opts);
  return { ...r, json: r.status === 0 ? JSON.parse(r.stdout) : undefined };
}

/**
 * A module every test program imports first: at exit, after the runtime's own report (its exit
 * listener was installed first, when the runtime loaded), it writes what the runtime's `sites()`
 * and `totalsOf()` say, one file per thread (`$SITES_OUT.<thread>.json`).
 */
export const DUMP = `import { sites, totalsOf } from "traced-allocator/runtime";
import { writeFileSync } from "node:fs";
import { threadId } from "node:worker_threads";
const out = process.env.SITES_OUT;
if (out) {
  process.on("exit", () => {
    const s = sites();
    writeFileSync(out + "." + threadId + ".json", JSON.stringify({ thread: threadId, sites: s, totals: totalsOf(s) }));
  });
}
`;

/** Compiles `files` (name → TypeScript) with the plugin, plus src/dump.ts; returns the output folder. */
export function build(files) {
  const r = compile({ files: { "src/dump.ts": DUMP, ...files } });
  const errors = r.diagnostics.filter((d) => !/^Cannot find module 'traced-allocator\/runtime'/.test(d));
  if (errors.length > 0) throw new Error(`compile errors:\n${errors.join("\n")}`);
  return r.outDir;
}

let runs = 0;
/**
 * Runs `src/<name>.js` of a build with TRACED_ALLOC=summary,ndjson=<trace>[,<extra>] (and
 * --expose-gc); returns {trace, status, stdout, stderr, threads: [the runtime's figures per thread]}.
 */
export function traced(outDir, name, { extra = "", args = [], nodeArgs = ["--expose-gc"] } = {}) {
  const n = ++runs;
  const trace = path.join(outDir, `trace-${name}-${n}.ndjson`);
  const dump = path.join(outDir, `sites-${name}-${n}`);
  const r = spawnSync(process.execPath, [...nodeArgs, path.join(outDir, "src", `${name}.js`), ...args], {
    cwd: outDir,
    env: { ...process.env, TRACED_ALLOC: `summary,ndjson=${trace}${extra ? `,${extra}` : ""}`, SITES_OUT: dump },
    encoding: "utf8",
    timeout: 60_000,
  });
  const threads = fs
    .readdirSync(outDir)
    .filter((f) => f.startsWith(path.basename(dump) + "."))
    .map((f) => JSON.parse(fs.readFileSync(path.join(outDir, f), "utf8")))
    .sort((a, b) => a.thread - b.thread);
  return { trace, status: r.status, stdout: r.stdout, stderr: r.stderr, threads };
}

const COLUMNS = ["site", "kind", "allocs", "reallocs", "bytes", "deallocs", "live", "at peak", "max"];
/**
 * The main thread's summary table on stderr: {header, rows: [{site, kind, allocs, ...}] (cells as
 * printed, `~` kept), threads: [{thread, allocs, ...}] when there is a threads table}.
 */
export function parseSummary(stderr) {
  const lines = stderr.split("\n");
  const at = lines.findIndex((l) => /^traced-allocator summary( \(all \d+ threads\))?: /.test(l));
  if (at < 0) throw new Error(`no summary on stderr:\n${stderr}`);
  const rows = [];
  let i = at + 2;
  for (; i < lines.length; i++) {
    const cells = lines[i].trim().split(/\s{2,}/);
    if (cells.length !== COLUMNS.length) break;
    rows.push(Object.fromEntries(COLUMNS.map((h, k) => [h, cells[k]])));
  }
  const threads = [];
  if (lines[i]?.startsWith("threads: ")) {
    const head = lines[i + 1].trim().split(/\s{2,}/);
    for (i += 2; i < lines.length && /^\S/.test(lines[i]) && !lines[i].startsWith("~"); i++) {
      const cells = lines[i].trim().split(/\s{2,}/);
      threads.push(Object.fromEntries(head.map((h, k) => [h, cells[k]])));
    }
  }
  return { header: lines[at], rows, threads };
}

/** Writes records (objects, or raw strings for lines as they are) as a trace file; returns its path. */
export function writeTrace(file, records, { end = "\n" } = {}) {
  const text = records.map((r) => (typeof r === "string" ? r : JSON.stringify(r))).join("\n") + end;
  fs.writeFileSync(file, text);
  return file;
}

/** A scratch folder for files the tests write. */
export function tmpDir(name = "cli") {
  return scratch(name);
}

/** The loop the reader's benchmark traces: `n` × `new Uint8Array(16)`, every 1000th kept. */
const LOOP = `export {};
const keep: Uint8Array[] = [];
(globalThis as any).keep = keep;
const n = Number(process.argv[2]);
for (let i = 0; i < n; i++) {
  const a = new Uint8Array(16);
  if (i % 1000 === 0) keep.push(a);
}
console.log(keep.length);
`;

/**
 * A trace of `n` allocations (`TRACED_ALLOC=ndjson=…` on the loop above, built with the plugin);
 * `extra`: more words (`lifetimes`). Returns its path.
 */
export function loopTrace(n, { extra = "" } = {}) {
  const out = compile({ files: { "src/loop.ts": LOOP } }).outDir;
  const trace = path.join(out, "loop.ndjson");
  const r = spawnSync(process.execPath, [path.join(out, "src/loop.js"), String(n)], {
    env: { ...process.env, TRACED_ALLOC: `ndjson=${trace}${extra ? `,${extra}` : ""}` },
    encoding: "utf8",
    timeout: 600_000,
  });
  if (r.status !== 0) throw new Error(`loop failed: ${r.stderr}`);
  return trace;
}

/**
 * How fast readTrace reads `file`, in a fresh process (so that nothing else of the caller's warms
 * or loads it): {events, cpuMs, wallMs, eventsPerSecond (by CPU time), mbPerSecond, rssMiB}.
 * `rounds`: reads in that process, the best one is returned (the first also compiles the reader).
 */
export function measureReader(file, { rounds = 3 } = {}) {
  const script = `
const { readTrace } = require(${JSON.stringify(path.join(repoRoot, "dist/cli/trace.js"))});
(async () => {
  const size = require("node:fs").statSync(${JSON.stringify(file)}).size;
  let best;
  for (let i = 0; i < ${rounds}; i++) {
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    const t = await readTrace(${JSON.stringify(file)});
    const wallMs = performance.now() - w0;
    const c = process.cpuUsage(c0);
    const cpuMs = (c.user + c.system) / 1000;
    const r = { events: t.events, cpuMs, wallMs, eventsPerSecond: Math.round(t.events / (cpuMs / 1000)), mbPerSecond: Math.round(size / 1e6 / (cpuMs / 1000)), rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20) };
    if (best === undefined || r.cpuMs < best.cpuMs) best = r;
  }
  process.stdout.write(JSON.stringify(best));
})();
`;
  const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 600_000 });
  if (r.status !== 0) throw new Error(`measureReader failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Spawns the bin with stdout piped into a reader that closes after the first chunk (as `| head` does). */
export function runIntoClosedPipe(args, { cwd = repoRoot } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, env: { ...process.env, TRACED_ALLOC: "" } });
    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (d) => (stderr += d));
    child.stdout.once("data", () => child.stdout.destroy());
    child.on("error", reject);
    child.on("close", (status, signal) => resolve({ status, signal, stderr }));
  });
}
