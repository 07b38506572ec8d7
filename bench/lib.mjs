// Shared helpers for the benchmark harness and its child processes: statistics, a seeded PRNG,
// paths, machine info, and running a child process that answers with one JSON line.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.dirname(BENCH_DIR);
export const WORK = path.join(BENCH_DIR, ".work");

// ------------------------------------------------------------------------------------ statistics

/** Quantile with linear interpolation between closest ranks (the R-7 / numpy default). */
export function quantile(values, q) {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export const median = (v) => quantile(v, 0.5);

/** Median, min, max, quartiles and the raw values of one series. */
export function summarize(values) {
  return {
    median: median(values),
    min: Math.min(...values),
    max: Math.max(...values),
    q1: quantile(values, 0.25),
    q3: quantile(values, 0.75),
    n: values.length,
    values,
  };
}

/** Rounds for JSON and tables: 4 significant digits, integers kept whole. */
export function round(x, digits = 4) {
  if (!Number.isFinite(x)) return x;
  if (Math.abs(x) >= 10 ** digits) return Math.round(x);
  return Number(x.toPrecision(digits));
}

export function roundSummary(s) {
  return {
    median: round(s.median),
    min: round(s.min),
    max: round(s.max),
    q1: round(s.q1),
    q3: round(s.q3),
    n: s.n,
  };
}

// ------------------------------------------------------------------------------------ PRNG

/** mulberry32: a small, fast, seeded 32-bit PRNG. Returns floats in [0, 1). */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ------------------------------------------------------------------------------------ machine

export function machineInfo() {
  const cpus = os.cpus();
  return {
    cpu_model: cpus[0]?.model?.trim() ?? "unknown",
    cores: cpus.length,
    available_parallelism: typeof os.availableParallelism === "function" ? os.availableParallelism() : cpus.length,
    total_mem_mb: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${os.release()} ${process.arch}`,
  };
}

// ------------------------------------------------------------------------------------ children

/**
 * Runs `node <args>` and resolves with { code, stdout, stderr, ms } (ms: wall time, spawn to exit).
 * `env` replaces the environment entirely (so TRACED_ALLOC can be removed, not just emptied).
 */
export function runNode(args, { env = process.env, cwd = ROOT, timeoutMs = 10 * 60_000 } = {}) {
  return runProcess(process.execPath, args, { env, cwd, timeoutMs });
}

/**
 * `group`: the child leads a process group of its own, and a timeout kills the whole group (for a
 * wrapper such as /usr/bin/time, whose own death would leave the measured process running).
 */
export function runProcess(cmd, args, { env = process.env, cwd = ROOT, timeoutMs = 10 * 60_000, group = false } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { env, cwd, stdio: ["ignore", "pipe", "pipe"], detached: group });
    const out = [];
    const err = [];
    child.stdout.on("data", (d) => out.push(d));
    child.stderr.on("data", (d) => err.push(d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (group) process.kill(-child.pid, "SIGKILL");
        else child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      resolve({ code, signal, timedOut, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8"), ms });
    });
  });
}

/** Runs a child that prints its result as the last line of stdout, as JSON. */
export async function runJsonChild(args, opts) {
  const r = await runNode(args, opts);
  const lines = r.stdout.trim().split("\n");
  const last = lines[lines.length - 1];
  if (r.code !== 0 || !last) {
    throw new Error(`child failed (code ${r.code}, signal ${r.signal}): node ${args.join(" ")}\n${r.stderr.slice(-4000)}`);
  }
  try {
    return { result: JSON.parse(last), stderr: r.stderr, ms: r.ms };
  } catch {
    throw new Error(`child printed no JSON: node ${args.join(" ")}\nstdout: ${r.stdout.slice(-2000)}\nstderr: ${r.stderr.slice(-2000)}`);
  }
}

/** An environment without TRACED_ALLOC, plus `extra`. */
export function envWith(extra = {}) {
  const env = { ...process.env };
  delete env.TRACED_ALLOC;
  delete env.NODE_OPTIONS; // a stray --inspect or --max-old-space-size would skew one variant only
  return { ...env, ...extra };
}

/** Lets the event loop turn once (FinalizationRegistry callbacks, timers) — children call this between batches. */
export const turn = () => new Promise((r) => setImmediate(r));

export function log(msg) {
  process.stderr.write(msg + "\n");
}

export function rmrf(p) {
  fs.rmSync(p, { recursive: true, force: true });
}

/** Size of a file in bytes, 0 when absent. */
export function fileSize(p) {
  try {
    return fs.statSync(p).size;
  } catch {
    return 0;
  }
}

/** Occurrences of an ASCII string in a file (not overlapping a 1 MiB chunk boundary is fine for short needles). */
export function countOccurrences(p, needle) {
  let n = 0;
  let fd;
  try {
    fd = fs.openSync(p, "r");
  } catch {
    return 0;
  }
  const buf = Buffer.alloc(1 << 20);
  let carry = "";
  for (;;) {
    const k = fs.readSync(fd, buf, 0, buf.length, null);
    if (k <= 0) break;
    const text = carry + buf.toString("latin1", 0, k);
    let i = text.indexOf(needle);
    while (i >= 0) {
      n++;
      i = text.indexOf(needle, i + needle.length);
    }
    carry = text.slice(Math.max(0, text.length - needle.length + 1));
  }
  fs.closeSync(fd);
  return n;
}

/** Lines in a file, counted without loading it whole. */
export function countLines(p) {
  return countOccurrences(p, "\n");
}
