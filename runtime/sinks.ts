/**
 * Where events go: the text log on stderr and the ndjson trace file, buffered and written whole
 * lines at a time. A failing sink (disk full, closed pipe) never breaks the program: one warning,
 * and that output is off.
 */
import * as fs from "node:fs";
import { performance } from "node:perf_hooks";
import { isMainThread, threadId } from "node:worker_threads";
import { EXACT_OBJECTS, SAMPLE_BYTES, refreshFast, sampler, state } from "./record";
import { root } from "./location";
import type { Row } from "./location";

let logBuf = "";
/**
 * The trace's bytes: each line is encoded straight into this buffer (no string of the whole chunk
 * is ever built), written out past FLUSH_AT.
 */
const ND_SIZE = 1 << 16;
const nd = Buffer.allocUnsafe(ND_SIZE);
let ndPos = 0;
const utf8Write = (Buffer.prototype as unknown as { utf8Write: (this: Buffer, s: string, offset: number) => number }).utf8Write;

/** One line (or more) of the trace, after the thread's header. */
function ndPut(line: string): void {
  if (!headerWritten) {
    headerWritten = true;
    ndPut(header());
  }
  if (ndPos + line.length * 3 > ND_SIZE) {
    writeTrace();
    if (line.length * 3 > ND_SIZE) {
      writeTraceBytes(Buffer.from(line, "utf8"));
      return;
    }
  }
  ndPos += utf8Write.call(nd, line, ndPos);
}
/** Buffers are written out past this size, and at the next turn of the event loop. */
const FLUSH_AT = 1 << 14;

let ndjsonFd = -1;
let ndjsonPath: string | undefined;
let headerWritten = false;
const THREAD = `,"thread":${threadId}`;
/** The `t` of events: milliseconds since the runtime loaded. */
const t0 = performance.now();
const startTime = new Date();

const warned = new Set<string>();
/** One line on stderr, once per message. */
export function warn(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  try {
    fs.writeSync(2, `traced-allocator: ${message}\n`);
  } catch {
    // stderr itself is gone: nothing left to tell.
  }
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // already closed
  }
}

// Appending, so that worker threads tracing to the same file add whole lines to it; only the main
// thread starts the file afresh.
const NDJSON_FLAGS =
  fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_APPEND | (isMainThread ? fs.constants.O_TRUNC : 0);

/** Opens (or keeps) the trace file; closes it for `undefined`. False, with a warning, when it cannot be opened. */
export function openTrace(file: string | undefined): void {
  if (ndjsonFd >= 0 && file !== ndjsonPath) {
    flush();
    closeQuietly(ndjsonFd);
    ndjsonFd = -1;
    ndjsonPath = undefined;
  }
  if (file && ndjsonFd < 0) {
    try {
      ndjsonFd = fs.openSync(file, NDJSON_FLAGS);
      ndjsonPath = file;
      headerWritten = false;
    } catch (e) {
      warn(`cannot open ndjson file '${file}': ${(e as Error).message}; ndjson output is off`);
    }
  }
  state.ndjson = ndjsonFd >= 0;
}

export function tracePath(): string | undefined {
  return ndjsonPath;
}

/** Milliseconds since the start, three decimals, formatted without a float-to-string conversion. */
export function now(): string {
  const us = Math.floor((performance.now() - t0) * 1000);
  const ms = Math.floor(us / 1000);
  const frac = us - ms * 1000;
  return `${ms}.${frac < 10 ? "00" : frac < 100 ? "0" : ""}${frac}`;
}

export function nowMs(): number {
  return performance.now() - t0;
}

/** The trace's first line (one per thread: a worker appends its own). */
function header(): string {
  return (
    JSON.stringify({
      trace: "traced-allocator",
      version: 1,
      pid: process.pid,
      thread: threadId,
      node: process.version,
      argv: process.argv,
      start: startTime.toISOString(),
      root: root(),
      lifetimes: state.lifetimes ? { exact: "all" } : { exact: EXACT_OBJECTS, sampleBytes: SAMPLE_BYTES },
    }) + "\n"
  );
}

let siteCount = 0;
/**
 * The location fields of a row's events as UTF-8 bytes, `,"file":…,"site":n,"id":`, made once per
 * row; the first time, the row's site record (its number in this thread, its stable key) goes into
 * the trace before the event.
 */
function rowBytes(r: Row): Uint8Array {
  if (r.json !== undefined) return r.json;
  const n = ++siteCount;
  const loc = `"file":${JSON.stringify(r.file)},"line":${r.line},"col":${r.col},"kind":${JSON.stringify(r.kind)}`;
  const i = r.inner;
  const inner = i === undefined ? "" : `,"inner":{"file":${JSON.stringify(i.file)},"line":${i.line},"col":${i.col},"key":${JSON.stringify(i.key)}}`;
  ndPut(`{"site":${n},${loc},"key":${JSON.stringify(r.key)}${inner}${THREAD}}\n`);
  return (r.json = Buffer.from(`,${loc},"site":${n},"id":`, "utf8"));
}

// An event line is assembled from constant byte strings and digits, written straight into `nd`:
// no string is made per event (that, and encoding it, was most of the trace's cost).
const bytes = (s: string) => Buffer.from(s, "latin1");
const EV = { alloc: bytes('{"event":"alloc","size":'), realloc: bytes('{"event":"realloc","size":'), dealloc: bytes('{"event":"dealloc","size":') };
const ALIGN = bytes(',"align":');
const NEWSIZE = bytes(',"newSize":');
const ESTIMATED = bytes(',"estimated":true');
const WEIGHT_ONE = bytes(',"weight":1');
const T = bytes(',"t":');
const END = bytes(`${THREAD}}\n`);
/** Room an event line may need beyond its row's bytes (numbers, constants). */
const EVENT_ROOM = 200;

function putBytes(b: Uint8Array): void {
  nd.set(b, ndPos);
  ndPos += b.length;
}

/** A non-negative integer's decimal digits. */
function putInt(n: number): void {
  if (n < 10) {
    nd[ndPos++] = 48 + n;
    return;
  }
  let end = ndPos + (n < 100 ? 2 : n < 1000 ? 3 : n < 1e4 ? 4 : n < 1e5 ? 5 : n < 1e6 ? 6 : n < 1e7 ? 7 : n < 1e8 ? 8 : n < 1e9 ? 9 : String(n).length);
  ndPos = end;
  do {
    const q = Math.floor(n / 10);
    nd[--end] = 48 + (n - q * 10);
    n = q;
  } while (n > 0);
}

/** `t`: milliseconds since the start with three decimals. */
function putTime(): void {
  const us = Math.floor((performance.now() - t0) * 1000);
  const ms = Math.floor(us / 1000);
  const frac = us - ms * 1000;
  putInt(ms);
  nd[ndPos++] = 46; // .
  nd[ndPos++] = 48 + Math.floor(frac / 100);
  nd[ndPos++] = 48 + (Math.floor(frac / 10) % 10);
  nd[ndPos++] = 48 + (frac % 10);
}

function eventLine(kind: "alloc" | "realloc" | "dealloc", size: number, align: number, r: Row, id: number, newSize: number, weight: number, estimated: boolean): void {
  const loc = rowBytes(r); // may write the site record first
  if (!headerWritten) ndPut("");
  if (ndPos + loc.length + EVENT_ROOM > ND_SIZE) writeTrace();
  putBytes(EV[kind]);
  putInt(size);
  putBytes(ALIGN);
  putInt(align);
  if (kind === "realloc") {
    putBytes(NEWSIZE);
    putInt(newSize);
  }
  putBytes(loc);
  putInt(id);
  if (weight > 1) ndPos += utf8Write.call(nd, `,"weight":${weight}`, ndPos);
  // After the sampling record, an object still followed exactly (an Allocator's, under lifetimes) says so.
  else if (weight === 1 && kind === "alloc" && sampler.exactLeft < 0) putBytes(WEIGHT_ONE);
  if (estimated) putBytes(ESTIMATED);
  putBytes(T);
  putTime();
  putBytes(END);
}

/** From this event on, objects are no longer all followed: alloc events carry a `weight` when sampled, none when not followed. */
export function samplingStarts(): void {
  if (ndjsonFd >= 0) ndPut(`{"sampling":true,"t":${now()}${THREAD}}\n`);
}


/**
 * One event. `r` is the row it is reported at (its location); `weight` is 1 for an object followed
 * exactly, more for a sample (it stands for that many objects), 0 when its death is not followed.
 * In the trace, only a sample's weight is written: until a `sampling` record every alloc is
 * followed exactly, after it an alloc without a weight is not followed.
 */
export function emit(kind: "alloc" | "realloc" | "dealloc", size: number, align: number, r: Row, id: number, newSize: number, weight: number, estimated: boolean): void {
  if (state.log) {
    const at = `${r.file}:${r.line}:${r.col}`;
    logBuf +=
      kind === "realloc"
        ? `realloc Layout { size: ${size}, align: ${align} } to ${newSize} at ${at}\n`
        : kind === "dealloc" && weight !== 1
          ? `dealloc Layout { size: ${size}, align: ${align} } at ${at} (sampled: stands for ${weight.toFixed(1)})\n`
          : `${kind} Layout { size: ${size}, align: ${align} } at ${at}\n`;
  }
  if (ndjsonFd >= 0) eventLine(kind, size, align, r, id, newSize, weight, estimated);
  if (logBuf.length > FLUSH_AT || ndPos > FLUSH_AT || finishing) flush();
  else if (!scheduled) schedule();
}

/** Other records of the trace (the summary's figures at exit, …): one JSON line. */
export function record(obj: object): void {
  if (ndjsonFd < 0) return;
  ndPut(JSON.stringify(obj) + "\n");
}

/** Text for stderr, after the log lines already buffered. */
export function text(s: string): void {
  logBuf += s;
}

let finishing = false;
/** From now on (the exit report), every event is written at once. */
export function finishingNow(): void {
  finishing = true;
}

let scheduled = false;
/** Writes what is buffered when the event loop next turns, so that a program killed later loses nothing before it. */
function schedule(): void {
  scheduled = true;
  const im = setImmediate(() => {
    scheduled = false;
    flush();
  });
  im.unref?.();
}

/** Writes out everything buffered. Called automatically at exit; safe to call any time. */
export function flush(): void {
  if (logBuf !== "") {
    const text = logBuf;
    logBuf = "";
    if (!writeAll(2, Buffer.from(text, "utf8"))) {
      state.log = false;
      warn("cannot write the log to stderr; log output is off");
    }
  }
  writeTrace();
  state.on = state.log || state.summary || state.ndjson || state.window;
  refreshFast();
}

function writeTrace(): void {
  if (ndPos === 0) return;
  const len = ndPos;
  ndPos = 0;
  writeTraceBytes(nd.subarray(0, len));
}

function writeTraceBytes(data: Buffer): void {
  if (ndjsonFd >= 0 && !writeAll(ndjsonFd, data)) {
    warn(`cannot write to ndjson file '${ndjsonPath}'; ndjson output is off`);
    closeQuietly(ndjsonFd);
    ndjsonFd = -1;
    ndjsonPath = undefined;
    state.ndjson = false;
    state.on = state.log || state.summary || state.window;
  }
}

/** Writes all of `text`; false when the sink fails (closed pipe, disk full, stalled for 5 s). */
function writeAll(fd: number, data: Buffer): boolean {
  let off = 0;
  let stalledSince = 0;
  while (off < data.length) {
    try {
      off += fs.writeSync(fd, data, off, data.length - off);
      stalledSince = 0;
    } catch (e) {
      // A full pipe that Node made non-blocking (stderr once `process.stderr` was used): wait for
      // the reader rather than lose data, sleeping instead of spinning, but not forever.
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") return false;
      const now = Date.now();
      if (stalledSince === 0) stalledSince = now;
      else if (now - stalledSince > 5000) return false;
      Atomics.wait(sleeper, 0, 0, 1);
    }
  }
  return true;
}
/** For sleeping a millisecond at a time while a pipe is full. */
const sleeper = new Int32Array(new SharedArrayBuffer(4));
