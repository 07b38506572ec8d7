/**
 * traced-allocator/runtime: what transformed code calls, and the public API.
 *
 * Transformed code keeps every allocating expression where it was and hands its result to `alloc`
 * together with a hoisted site (file, line, col, kind): the location is a literal written by the
 * compiler, so nothing here ever walks the stack on the hot path. With tracing off, each entry point
 * costs one boolean check.
 *
 * This module never imports TypeScript.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { types as utilTypes } from "node:util";
import { isMainThread, threadId } from "node:worker_threads";
import { findSourceMap } from "node:module";
import { fileURLToPath } from "node:url";
import { GLOBAL_HOOK, Rule } from "./names";

export { Rule };

// ---------------------------------------------------------------------------------------------
// Locations and layouts

/** A place in the user's source: `file` relative to the project root, 1-based `line` and `col` (UTF-16 units). */
export class Location {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly col: number,
  ) {}

  /**
   * The location this function was called from.
   *
   * - In a `@track_caller` function compiled with the plugin: the location of the call to that
   *   function (through chains of `@track_caller` functions, the outermost unmarked caller).
   * - In any other function compiled with the plugin: the location of this `Location.caller()` call.
   * - Where no location was passed (a marked function called from code built without the plugin,
   *   as a callback, or through `bind`), and in code not compiled with the plugin: the nearest
   *   JavaScript frame from a V8 stack trace, its file relative to the working directory
   *   (the generated `.js` position, not source-mapped).
   *
   * @traced_allocator_caller
   */
  static caller(): Location {
    return stackLocation(Location.caller) ?? UNKNOWN;
  }

  toString(): string {
    return `${this.file}:${this.line}:${this.col}`;
  }
}

/** Size and alignment of an allocation, in bytes. `estimated` when the size is a model (arrays). */
export class Layout {
  constructor(
    readonly size: number,
    readonly align: number,
    readonly estimated: boolean = false,
  ) {}

  toString(): string {
    return `Layout { size: ${this.size}, align: ${this.align} }`;
  }
}

/** Per (location, kind) counters, for the summary. */
export interface SiteStats {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly kind: string;
  allocs: number;
  reallocs: number;
  deallocs: number;
  /** Bytes allocated, counting each alloc's size and each realloc's growth. */
  bytes: number;
  /** Bytes still live at the time of the report. */
  live: number;
  /** Largest single allocation or reallocation. */
  max: number;
  estimated: boolean;
  /**
   * Deallocs and live bytes are not followed for this row: arrays (already estimates, and their
   * length changes are not seen) in summary-only mode. Use `log` or `ndjson` for their deallocs.
   */
  unfollowed: boolean;
}

/** A hoisted allocation or call site: a Location with what was called there. Made once per module load. */
export class Site extends Location {
  /** The summary's counters for events reported at this very site (filled lazily). */
  stats: Row | undefined = undefined;
  /** Events reported at this location for other sites' kinds (inside `@track_caller` functions). */
  derived: Map<string, Row> | undefined = undefined;
  json: string | undefined = undefined;

  constructor(
    file: string,
    line: number,
    col: number,
    readonly kind: string,
    readonly rule: Rule,
    /** The stable key after `file#` (`Encoder.encode/new Uint8Array#2`), made by the transformer; "" for sites it did not make. */
    readonly scope: string = "",
    /** Realloc sites: the callee's source text, for the TypeError V8 would throw. */
    readonly callee?: string,
  ) {
    super(file, line, col);
  }

  /** The stable site key of SPEC.md: `file#scope/kind#n`. */
  get key(): string {
    return this.scope === "" ? `${this.file}:${this.line}:${this.col}/${this.kind}` : `${this.file}#${this.scope}`;
  }
}

/** Used where a site is not known yet (a module cycle calling code before its site table ran). */
const UNKNOWN = new Site("<unknown>", 0, 0, "unknown", Rule.Call);

// ---------------------------------------------------------------------------------------------
// The project root: every location in a run is relative to it, whether it came from a hoisted
// site (the transformer wrote it relative to the root) or from a stack trace (made relative here).

let rootDir = process.cwd();
let rootKnown = false;

/**
 * A traced module's path, relative to the project root, for its site table. `here` is the emitted
 * file (`__filename` or `import.meta.url`) and `up` the root relative to the emitted file's folder:
 * the first traced module that loads tells the runtime where the root is, so that stack-trace
 * locations use the same base as the sites. Transformed code only.
 */
export function file(rel: string, here?: string, up?: string): string {
  if (!rootKnown && typeof here === "string" && typeof up === "string") {
    try {
      const f = here.startsWith("file:") ? fileURLToPath(here) : here;
      const dir = path.resolve(path.dirname(f), up);
      // A dependency's root is not the run's: its sites stay relative to its own package.
      if (!/[\\/]node_modules[\\/]/.test(dir + path.sep)) {
        rootDir = dir;
        rootKnown = true;
      }
    } catch {
      // not a file (a bundle, a data: URL): stack locations stay relative to the working directory
    }
  }
  return rel;
}

// ---------------------------------------------------------------------------------------------
// Configuration

/** What to record. `TRACED_ALLOC=log,summary,ndjson=trace.ndjson` is the same as `{log: true, summary: true, ndjson: "trace.ndjson"}`. */
export interface TracerConfig {
  /** One line per event on stderr. */
  log?: boolean;
  /** A table of sites at exit on stderr. */
  summary?: boolean;
  /** One JSON object per event, one per line, to this file (`false` or `undefined`: none). */
  ndjson?: string | false;
}

let on = false;
let logOn = false;
let summaryOn = false;
let ndjsonPath: string | undefined;
let ndjsonFd = -1;

let logBuf = "";
let ndBuf = "";
const FLUSH_AT = 1 << 16;

const ACCEPTED = "accepted: log, summary, ndjson=<path>, off";

/**
 * Parses a `TRACED_ALLOC` value: comma-separated words, whitespace around them ignored.
 * Unknown words are ignored and reported in `errors`, never thrown.
 */
export function parseSwitch(value: string | undefined): { config: TracerConfig; errors: string[] } {
  const config: TracerConfig = {};
  const errors: string[] = [];
  for (const raw of (value ?? "").split(",")) {
    const word = raw.trim();
    if (word === "" || word === "off") continue;
    if (word === "log") config.log = true;
    else if (word === "summary") config.summary = true;
    else {
      const m = /^ndjson\s*(?:=\s*(.*))?$/.exec(word);
      if (m === null) errors.push(`unknown word '${word}' ignored (${ACCEPTED})`);
      else if (!m[1]) errors.push(`'${word}' needs a file: ndjson=<path>`);
      else config.ndjson = m[1];
    }
  }
  return { config, errors };
}

/**
 * Sets what is recorded from now on, replacing the `TRACED_ALLOC` setting.
 * Pass `{}` (or `"off"`) to stop recording. Output already buffered is flushed first.
 */
export function configure(config: TracerConfig | string): void {
  if (typeof config === "string") {
    const parsed = parseSwitch(config);
    if (parsed.errors.length > 0) warn(`configure: ${parsed.errors.join("; ")}`);
    config = parsed.config;
  }
  flush();
  // `%p` in the path is the process id: child processes that inherit TRACED_ALLOC get files of their own.
  const file = config.ndjson ? config.ndjson.replace(/%p/g, String(process.pid)) : undefined;
  if (ndjsonFd >= 0 && file !== ndjsonPath) {
    closeQuietly(ndjsonFd);
    ndjsonFd = -1;
    ndjsonPath = undefined;
  }
  logOn = config.log === true;
  summaryOn = config.summary === true;
  if (file && ndjsonFd < 0) {
    try {
      ndjsonFd = fs.openSync(file, NDJSON_FLAGS);
      ndjsonPath = file;
    } catch (e) {
      warn(`cannot open ndjson file '${file}': ${(e as Error).message}; ndjson output is off`);
    }
  }
  on = logOn || summaryOn || ndjsonFd >= 0;
  if (on) installExitHooks();
}

/** The current configuration. */
export function currentConfig(): TracerConfig {
  return { log: logOn, summary: summaryOn, ndjson: ndjsonPath ?? false };
}

/** Whether anything is being recorded. */
export function enabled(): boolean {
  return on;
}

// Appending, so that worker threads tracing to the same file add whole lines to it; only the main
// thread starts the file afresh.
const NDJSON_FLAGS =
  fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_APPEND | (isMainThread ? fs.constants.O_TRUNC : 0);

const warned = new Set<string>();
function warn(message: string): void {
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

// ---------------------------------------------------------------------------------------------
// Sinks

/** Writes out everything buffered. Called automatically at exit; safe to call any time. */
export function flush(): void {
  if (logBuf !== "") {
    const text = logBuf;
    logBuf = "";
    if (!writeAll(2, text)) {
      logOn = false;
      on = logOn || summaryOn || ndjsonFd >= 0;
      warn("cannot write the log to stderr; log output is off");
    }
  }
  if (ndBuf !== "") {
    const text = ndBuf;
    ndBuf = "";
    if (ndjsonFd >= 0 && !writeAll(ndjsonFd, text)) {
      warn(`cannot write to ndjson file '${ndjsonPath}'; ndjson output is off`);
      closeQuietly(ndjsonFd);
      ndjsonFd = -1;
      ndjsonPath = undefined;
      on = logOn || summaryOn;
    }
  }
}

/** Writes all of `text`; false when the sink fails (closed pipe, disk full, stalled for 5 s). */
function writeAll(fd: number, text: string): boolean {
  const data = Buffer.from(text, "utf8");
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
let hooksInstalled = false;
function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", finish);
  if (!isMainThread) return; // signals are the main thread's
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    const onSignal = () => {
      if (process.listenerCount(sig) > 1) {
        // The program handles this signal itself and keeps control: it may go on running (and
        // allocating), so only write out what is buffered; the summary comes at its real exit.
        flush();
        return;
      }
      // Only ours: behave as if we had not been there (default action: die of the signal).
      finish();
      process.removeListener(sig, onSignal);
      process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

/** Set once the exit report is written: later events (other `exit` listeners) are written at once. */
let finished = false;
function finish(): void {
  if (finished) return;
  finished = true;
  if (summaryOn) logBuf += summaryText();
  flush();
  // The ndjson file stays open (the process is ending): `exit` listeners that run after this one
  // may still record events, and closing would let the descriptor be reused for another file.
}

// ---------------------------------------------------------------------------------------------
// Recording

interface Held {
  id: number;
  size: number;
  align: number;
  estimated: boolean;
  loc: Location;
  site: Site;
}

// Worker threads number their allocations apart from the main thread's, so ids stay unique in a shared file.
let nextId = threadId * 2 ** 32;
const live = new WeakMap<object, Held>();
const registry = new FinalizationRegistry<Held>((h) => {
  if (on) event("dealloc", h, h.loc, h.site, 0);
});

/**
 * Records an allocation. Only objects whose layout can change later or that can be freed by hand
 * (ArrayBuffer, SharedArrayBuffer, WebAssembly.Memory, `Allocator.alloc` objects) are kept in the
 * identity map and registered with an unregister token: both cost as much again as the
 * registration itself, and typed arrays, Buffers and arrays never need them.
 */
function track(site: Site, loc: Location, value: object, size: number, align: number, estimated: boolean, identity: boolean): Held {
  const h: Held = { id: ++nextId, size, align, estimated, loc, site };
  if (identity) {
    live.set(value, h);
    registry.register(value, h, value);
  } else {
    registry.register(value, h);
  }
  event("alloc", h, loc, site, 0);
  return h;
}

const WASM_MEMORY = (globalThis as unknown as { WebAssembly: { Memory: new (...a: never[]) => object } }).WebAssembly.Memory;
const TRANSFERABLE = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === "function";

function record(site: Site | undefined, value: unknown, caller: Location | undefined): void {
  if (value === null || typeof value !== "object") return; // short-circuited optional chain, or not ours
  const v = value as any;
  const s = site ?? UNKNOWN;
  const loc = caller ?? s;
  let size: number;
  let align = 1;
  let estimated = false;
  let identity = false;
  switch (s.rule) {
    case Rule.Typed:
      size = v.byteLength;
      align = v.BYTES_PER_ELEMENT;
      break;
    case Rule.Buffer:
      size = v.byteLength;
      break;
    case Rule.Array:
      size = v.length * 8;
      align = 8;
      estimated = true;
      break;
    case Rule.Bytes:
      size = v.byteLength;
      // Only a buffer whose layout can change needs its identity kept: resizable, growable, or any
      // ArrayBuffer where this Node has transfer().
      identity = TRANSFERABLE || v.resizable === true || v.growable === true;
      break;
    case Rule.Wasm:
      size = v.buffer.byteLength;
      align = 65536;
      identity = true;
      break;
    case Rule.Slice:
      // `slice` on a Buffer is Buffer.prototype.slice: a view over the same memory, not a copy.
      if (Buffer.isBuffer(v)) return;
      size = v.byteLength;
      align = v.BYTES_PER_ELEMENT;
      break;
    case Rule.Result:
      // A Node API's result (a Buffer, or a string when an encoding was given) or structuredClone's.
      if (Array.isArray(v)) {
        size = v.length * 8;
        align = 8;
        estimated = true;
      } else if (utilTypes.isAnyArrayBuffer(v)) {
        size = v.byteLength;
        identity = true;
      } else if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
        size = v.byteLength;
        align = (v as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
      } else return; // another object: its size is not known
      break;
    default:
      // No site (a module cycle ran code before its site table): measure what it looks like.
      if (Array.isArray(v)) {
        size = v.length * 8;
        align = 8;
        estimated = true;
      } else {
        size = typeof v.byteLength === "number" ? v.byteLength : 0;
        align = typeof v.BYTES_PER_ELEMENT === "number" ? v.BYTES_PER_ELEMENT : 1;
        identity = utilTypes.isAnyArrayBuffer(v);
      }
  }
  if (!identity && !logOn && ndjsonFd < 0) {
    // Summary only, and nothing can change this object's layout: count it, and let the row's own
    // registry hear of its collection with its size as the held value (no per-object record).
    const row = statsOf(loc, s);
    row.allocs++;
    row.bytes += size;
    if (size > row.max) row.max = size;
    if (estimated) {
      // An array's size is a model of its creation only (its later growth is not seen): following
      // it to its collection would cost more than all the rest of the summary (a finalization cell
      // each) for a figure that means little. Counted, not followed.
      row.estimated = true;
      row.unfollowed = true;
      return;
    }
    row.live += size;
    (row.gc ??= rowRegistry(row)).register(v, size);
    return;
  }
  track(s, loc, v, size, align, estimated, identity);
}

/** Deallocs of a summary row's objects, when only the summary is on. */
function rowRegistry(row: Row): FinalizationRegistry<number> {
  return new FinalizationRegistry<number>((size) => {
    if (!on) return;
    row.deallocs++;
    row.live -= size;
  });
}

/**
 * `expr` was `new ArrayBuffer(n)`, `Buffer.alloc(n)`, …: records its result and returns it.
 * `caller` is set inside `@track_caller` functions. Transformed code only.
 */
export function alloc<T>(site: Site, value: T, caller?: Location): T {
  if (on) record(site, value, caller);
  return value;
}

/** A typed array built from an argument that may be a buffer, in which case it is a view and not recorded. */
export function allocFrom<T>(site: Site, value: T, first: unknown, caller?: Location): T {
  if (on && !utilTypes.isAnyArrayBuffer(first)) record(site, value, caller);
  return value;
}

/**
 * `receiver[method](arg)` for a layout-changing method (`resize`, `grow`, `transfer`, …), recorded as a realloc.
 * Transformed code only.
 */
export function realloc(site: Site, receiver: any, method: string, arg: unknown, caller?: Location): unknown {
  const fn = receiver[method]; // throws just as `receiver.method(…)` would for a null receiver
  // V8 names the callee by its source text; the transformer wrote it into the site.
  if (typeof fn !== "function") throw new TypeError(`${site.callee ?? `(intermediate value).${method}`} is not a function`);
  const rule = site.rule;
  // Not a buffer after all (a cast, an object with a method of that name): just the call.
  if (!on || !(rule === Rule.Wasm ? receiver instanceof WASM_MEMORY : utilTypes.isAnyArrayBuffer(receiver))) {
    return fn.call(receiver, arg);
  }
  const before = rule === Rule.Wasm ? receiver.buffer.byteLength : receiver.byteLength;
  const result = fn.call(receiver, arg);
  // transfer() returns the new buffer and detaches the old one: the allocation moves to the result.
  const moved = result !== null && typeof result === "object" && result !== receiver && utilTypes.isAnyArrayBuffer(result);
  const now = moved ? result : receiver;
  const after = rule === Rule.Wasm ? now.buffer.byteLength : now.byteLength;
  let h = live.get(receiver);
  if (h === undefined) {
    // Made before tracing began, or by code not compiled with the plugin: it gets an id now.
    h = { id: ++nextId, size: before, align: rule === Rule.Wasm ? 65536 : 1, estimated: false, loc: caller ?? site, site };
  } else if (moved) {
    live.delete(receiver);
    registry.unregister(receiver);
  }
  if (moved || !live.has(now)) {
    live.set(now, h);
    registry.register(now, h, now);
  }
  event("realloc", h, caller ?? site, site, after);
  return result;
}

function statsOf(loc: Location, site: Site): Row {
  if (loc === site) return (site.stats ??= newStats(site, site.kind));
  // A location from a stack trace is a new object each time: one row per place, not per event.
  const l = loc instanceof Site ? loc : stackSite(loc);
  const derived = (l.derived ??= new Map());
  let s = derived.get(site.kind);
  if (s === undefined) derived.set(site.kind, (s = newStats(loc, site.kind)));
  return s;
}

const stackSites = new Map<string, Site>();
function stackSite(loc: Location): Site {
  const key = `${loc.file}:${loc.line}:${loc.col}`;
  let s = stackSites.get(key);
  if (s === undefined) stackSites.set(key, (s = new Site(loc.file, loc.line, loc.col, "", Rule.Call)));
  return s;
}

const allStats: Row[] = [];
/** A summary row, with the registry that counts its collected objects (summary-only mode). */
type Row = SiteStats & { gc: FinalizationRegistry<number> | undefined };

function newStats(loc: Location, kind: string): Row {
  const s: Row = {
    file: loc.file,
    line: loc.line,
    col: loc.col,
    kind,
    allocs: 0,
    reallocs: 0,
    deallocs: 0,
    bytes: 0,
    live: 0,
    max: 0,
    estimated: false,
    unfollowed: false,
    gc: undefined,
  };
  allStats.push(s);
  return s;
}

function jsonOf(loc: Location, site: Site): string {
  if (loc === site && site.json !== undefined) return site.json;
  const j = `,"file":${JSON.stringify(loc.file)},"line":${loc.line},"col":${loc.col},"kind":${JSON.stringify(site.kind)}`;
  if (loc === site) site.json = j;
  return j;
}

function event(kind: "alloc" | "realloc" | "dealloc", h: Held, loc: Location, site: Site, newSize: number): void {
  if (summaryOn) {
    // Counted where the allocation was made: a realloc or dealloc moves bytes of the alloc site's row.
    const s = statsOf(kind === "alloc" ? loc : h.loc, h.site);
    if (kind === "alloc") {
      s.allocs++;
      s.bytes += h.size;
      s.live += h.size;
      if (h.size > s.max) s.max = h.size;
      if (h.estimated) s.estimated = true;
    } else if (kind === "realloc") {
      s.reallocs++;
      if (newSize > h.size) s.bytes += newSize - h.size;
      s.live += newSize - h.size;
      if (newSize > s.max) s.max = newSize;
    } else {
      s.deallocs++;
      s.live -= h.size;
    }
  }
  if (logOn) {
    logBuf +=
      kind === "realloc"
        ? `realloc Layout { size: ${h.size}, align: ${h.align} } to ${newSize} at ${loc.file}:${loc.line}:${loc.col}\n`
        : `${kind} Layout { size: ${h.size}, align: ${h.align} } at ${loc.file}:${loc.line}:${loc.col}\n`;
  }
  if (ndjsonFd >= 0) {
    ndBuf += `{"event":"${kind}","size":${h.size},"align":${h.align}${kind === "realloc" ? `,"newSize":${newSize}` : ""}${jsonOf(loc, site)},"id":${h.id}${h.estimated ? ',"estimated":true' : ""}}\n`;
  }
  if (kind === "realloc") h.size = newSize;
  if (logBuf.length > FLUSH_AT || ndBuf.length > FLUSH_AT || finished) flush();
}

// ---------------------------------------------------------------------------------------------
// Sites and @track_caller

/** Makes one hoisted site. Called once per site when a transformed module loads. */
export function site(file: string, line: number, col: number, kind: string, rule: Rule, key?: string, callee?: string): Site {
  return new Site(file, line, col, kind, rule, key, callee);
}

const interned = new Map<string, Site>();
/**
 * The same as `site`, but one Site per place: rewritten code whose module scope is gone (a
 * function's text evaluated in a worker, `new Function`, `eval`, or a module cycle that runs code
 * before its site table) names its site by literals, through the global hook.
 */
export function intern(file: string, line: number, col: number, kind: string, rule: Rule, key?: string, callee?: string): Site {
  const k = `${file}:${line}:${col}:${kind}:${key ?? ""}`;
  let s = interned.get(k);
  if (s === undefined) interned.set(k, (s = new Site(file, line, col, kind, rule, key, callee)));
  return s;
}

/** The location passed from a call of a `@track_caller` function to its prologue. */
let slot: Location | undefined;
const EMPTY: readonly never[] = Object.freeze([]);

/** Sets the caller slot after the call's last argument was evaluated; returns that argument. */
export function at<T>(location: Location, lastArg: T): T {
  slot = location;
  return lastArg;
}

/** Sets the caller slot for a call without arguments (or ending in a spread): spread the result into the call. */
export function none(location: Location): readonly never[] {
  slot = location;
  return EMPTY;
}

/**
 * Prologue of a `@track_caller` function: the location its caller passed. Clears the slot.
 * When none was passed (a callback, `bind`, a caller built without the plugin) and tracing is on,
 * the caller's frame of a V8 stack trace instead (source-mapped where source maps are enabled):
 * one stack capture, paid only on that path. Undefined when tracing is off or no frame is found.
 */
export function take(): Location | undefined {
  const s = slot;
  slot = undefined;
  return s !== undefined || !on ? s : stackLocation(take);
}

/** `Location.caller()` inside a `@track_caller` function: the passed location, else the nearest calling frame. */
export function caller(passed: Location | undefined): Location {
  return passed ?? stackLocation(caller) ?? UNKNOWN;
}

/** The first JavaScript frame above the function that called `below`, from a V8 structured stack trace. */
function stackLocation(below: Function, skip = 1): Location | undefined {
  const savedPrepare = Error.prepareStackTrace;
  const savedLimit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = 12;
    Error.prepareStackTrace = (_e, frames) => frames;
    const holder: { stack?: NodeJS.CallSite[] } = {};
    Error.captureStackTrace(holder, below);
    const frames = holder.stack ?? [];
    // frames[0] is the function that called `below`. For `Location.caller()` the answer is that
    // function's caller (skip 1); for an `Allocator` method, it is frames[0] itself (skip 0).
    for (let i = skip; i < frames.length; i++) {
      const f = frames[i];
      let file = f.getFileName();
      if (!file || f.isNative() || file.startsWith("node:")) continue;
      let line = f.getLineNumber() ?? 0;
      let col = f.getColumnNumber() ?? 0;
      // With --enable-source-maps, report the original source position.
      const entry = findSourceMap?.(file)?.findEntry(line - 1, col - 1) as
        | { originalSource?: string; originalLine?: number; originalColumn?: number }
        | undefined;
      if (entry?.originalSource !== undefined && entry.originalLine !== undefined && entry.originalColumn !== undefined) {
        file = entry.originalSource;
        line = entry.originalLine + 1;
        col = entry.originalColumn + 1;
      }
      if (file.startsWith("file://")) file = fileURLToPath(file);
      const rel = path.relative(rootDir, file).split(path.sep).join("/");
      return new Location(rel, line, col);
    }
  } catch {
    // fall through
  } finally {
    Error.prepareStackTrace = savedPrepare;
    Error.stackTraceLimit = savedLimit;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// User allocators

/**
 * For allocators written in TypeScript (pools, arenas, vectors over a buffer): report their own
 * allocations. Each method is `@track_caller`: compiled with the plugin, the event names the line
 * that called it, or that line's caller when called from a `@track_caller` method.
 */
export class Allocator {
  /**
   * Records `obj` as an allocation of `layout`; `kind` names what was called (default `Allocator.alloc`).
   * @track_caller
   */
  static alloc(obj: object, layout: Layout, kind?: string): void {
    const passed = take();
    if (!on) return;
    // One Site per (location, kind), used as the location too: one summary row each, cached JSON.
    const s = userSite(passed ?? stackLocation(Allocator.alloc, 0) ?? UNKNOWN, kind ?? "Allocator.alloc");
    track(s, s, obj, layout.size, layout.align, layout.estimated, true);
  }

  /**
   * Records that `obj` now has `newSize` bytes.
   * @track_caller
   */
  static realloc(obj: object, newSize: number, kind?: string): void {
    const passed = take();
    if (!on) return;
    const loc = passed ?? stackLocation(Allocator.realloc, 0) ?? UNKNOWN;
    let h = live.get(obj);
    if (h === undefined) {
      const s = userSite(loc, kind ?? "Allocator.alloc");
      h = track(s, s, obj, 0, 1, false, true);
    }
    const s = userSite(loc, kind ?? "Allocator.realloc");
    event("realloc", h, s, s, newSize);
  }

  /**
   * Records that `obj` was freed here (no dealloc will be reported when it is collected).
   * @track_caller
   */
  static dealloc(obj: object, kind?: string): void {
    const passed = take();
    if (!on) return;
    const h = live.get(obj);
    if (h === undefined) return;
    live.delete(obj);
    registry.unregister(obj);
    const s = userSite(passed ?? stackLocation(Allocator.dealloc, 0) ?? UNKNOWN, kind ?? "Allocator.dealloc");
    event("dealloc", h, s, s, 0);
  }
}

const userSites = new Map<string, Site>();
function userSite(loc: Location, kind: string): Site {
  const key = `${loc.file}:${loc.line}:${loc.col}:${kind}`;
  let s = userSites.get(key);
  if (s === undefined) userSites.set(key, (s = new Site(loc.file, loc.line, loc.col, kind, Rule.Bytes, `${kind}@${loc.line}:${loc.col}`)));
  return s;
}

// ---------------------------------------------------------------------------------------------
// Summary

/** Snapshot of the per-site counters, largest `bytes` first. */
export function sites(): SiteStats[] {
  return allStats
    .map(({ gc: _gc, ...s }) => s)
    .sort((a, b) => b.bytes - a.bytes || a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
}

function human(n: number): string {
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

/** The summary table that `summary` prints at exit. */
export function summaryText(): string {
  const rows = sites();
  let allocs = 0, reallocs = 0, deallocs = 0, bytes = 0, liveBytes = 0;
  for (const r of rows) {
    allocs += r.allocs;
    reallocs += r.reallocs;
    deallocs += r.deallocs;
    bytes += r.bytes;
    liveBytes += r.live;
  }
  const head = ["site", "kind", "allocs", "reallocs", "deallocs", "bytes", "live", "max"];
  const table = rows.map((r) => [
    `${r.file}:${r.line}:${r.col}`,
    r.kind,
    String(r.allocs),
    String(r.reallocs),
    r.unfollowed ? "-" : String(r.deallocs),
    (r.estimated ? "~" : "") + String(r.bytes),
    r.unfollowed ? "-" : String(r.live),
    String(r.max),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ").trimEnd() + "\n";
  let out =
    `traced-allocator summary: ${allocs} allocs, ${reallocs} reallocs, ${deallocs} deallocs; ` +
    `${human(bytes)} allocated, ${human(liveBytes)} live at exit (sites: ${rows.length})\n`;
  out += line(head);
  for (const row of table) out += line(row);
  if (rows.some((r) => r.estimated)) out += "~ estimated (arrays: 8 bytes an element)\n";
  if (rows.some((r) => r.unfollowed)) out += "- not followed in summary mode (arrays); TRACED_ALLOC=log or ndjson reports their deallocs\n";
  return out;
}

// ---------------------------------------------------------------------------------------------
// The global hook: what rewritten code calls where its module's names are gone (names.ts,
// GLOBAL_HOOK). Not enumerable, so that leak checks (mocha --check-leaks) do not see it; the first
// copy of the runtime loaded in a realm keeps it.
if (!Object.prototype.hasOwnProperty.call(globalThis, GLOBAL_HOOK)) {
  Object.defineProperty(globalThis, GLOBAL_HOOK, {
    value: Object.freeze({ intern, alloc, allocFrom, realloc, at, none, take, caller }),
    enumerable: false,
    configurable: true,
    writable: false,
  });
}

// ---------------------------------------------------------------------------------------------
// Start from the environment.
{
  const { config, errors } = parseSwitch(process.env.TRACED_ALLOC);
  if (errors.length > 0) warn(`TRACED_ALLOC: ${errors.join("; ")}`);
  if (config.log || config.summary || config.ndjson) configure(config);
}
