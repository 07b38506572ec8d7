/**
 * `readTrace`: a trace file → the `Trace` model (model.ts) every command works on.
 *
 * Streaming: the file is read in chunks (fs.createReadStream) and cut into lines as bytes; what is
 * kept grows with the sites and the objects still live, never with the number of events. Event
 * lines (the bulk of a trace) are read by a small scanner of flat JSON objects straight from the
 * bytes (no string, no object per event); every other record, and any event line the scanner does
 * not take, goes through JSON.parse.
 *
 * The figures are the runtime's own (runtime/lifetimes.ts, runtime/summary.ts), recomputed with the
 * same arithmetic in the same order, per thread:
 * - `allocs`, `reallocs`, `bytes` (allocs' sizes, a realloc's growth at the realloc's row), `max`;
 * - an alloc is followed to its death when it carries a `weight` (a sample: it stands for `weight`
 *   objects and `weight × size` bytes) or came before the thread's `sampling` record (exact, weight
 *   1); after that record an alloc without weight is counted but never live;
 * - a followed object's bytes are live at its allocation's row until its dealloc (paired by id),
 *   wherever the dealloc was reported; a realloc changes them by `(newSize − size) × weight`;
 * - the peak is the high-water mark of the thread's live total; each row's `atPeak` is its live
 *   bytes when the total first falls from that mark; deallocs, live and atPeak are rounded as
 *   summary.ts rounds them.
 * The `end` and `peak` records (written at a normal exit) are preferred for the totals and the
 * peak; without them (a killed program) both are recomputed, and a warning says so.
 *
 * Temporaries (memray's idea, under a garbage collector): an object is *temporary* when its dealloc
 * comes before TEMPORARY_WINDOW further allocations in its thread, and the thread allocates again
 * after it (deallocs after a thread's last allocation — the collection at exit — say only that the
 * program ended, not that the object was short-lived). Only objects followed exactly count (not
 * samples, not unfollowed ones). A collected object's dealloc is written when its finalizer runs,
 * after the collection, at a later turn of the event loop: the allocations counted until then are
 * an upper bound of its lifetime, so this finds fewer temporaries than there are (in one long
 * synchronous loop, none), never more.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { TraceError, UsageError } from "./command";
import type { LivePoint, Peak, Place, SiteFigures, ThreadPart, Totals, Trace } from "./model";

/** An object is temporary when it dies before this many further allocations in its thread. */
export const TEMPORARY_WINDOW = 1000;
/** The timeline has at most this many points. */
export const TIMELINE_POINTS = 2000;

export interface ReadOptions {
  /** Called with each warning as it is found (they are also in `trace.warnings`). */
  onWarning?: (message: string) => void;
  /** How the file is named in messages (default: `file` as given), e.g. the path the user typed. */
  name?: string;
}

const HOW_TO = "make one with TRACED_ALLOC=ndjson=<path> node <program>";

// ---------------------------------------------------------------------------------------------
// What is kept per row, per followed object, per thread.

/** One row of the summary in the making: a site record (or, in the earlier format, a place and kind). */
class Row {
  allocs = 0;
  reallocs = 0;
  bytes = 0;
  max = 0;
  /** Sums of weights and of weighted bytes: fractional where objects were sampled, rounded at the end. */
  deallocs = 0;
  live = 0;
  atPeak = 0;
  estimated = false;
  sampled = false;
  temporaries = 0;
  /** Temporaries whose thread has not allocated since their dealloc: counted at its next allocation. */
  pending = 0;
  constructor(
    readonly thread: number,
    readonly place: Place,
    readonly kind: string,
    readonly key: string,
    readonly inner: (Place & { key: string }) | undefined,
    /** Its index in its thread's rows. */
    readonly n: number,
  ) {}
}

/**
 * The followed objects of a thread, by id: an open-addressing hash table over typed arrays (no
 * object and no Map entry per object: a trace under `lifetimes` can have millions live at once).
 * Per object: its current size, its weight, its allocation's row (an index into the thread's
 * rows), and the thread's allocation count just after it was made (-1 when not followed exactly).
 * Grows and shrinks with the number of objects live, never with the number of events.
 */
class HeldTable {
  count = 0;
  /** Slots used or deleted: past half the capacity, the table is rebuilt. */
  private used = 0;
  private mask = 0;
  /** 0 empty, 1 an object, 2 deleted. */
  private state = new Uint8Array(0);
  private ids = new Float64Array(0);
  size = new Float64Array(0);
  weight = new Float64Array(0);
  index = new Float64Array(0);
  row = new Int32Array(0);

  constructor() {
    this.resize(MIN_HELD);
  }

  /**
   * Where `id` goes: its low bits (a thread's ids count up from threadId × 2^32, so consecutive
   * objects sit in consecutive slots, which keeps the table's memory traffic sequential), mixed
   * with the high bits.
   */
  private slotOf(id: number): number {
    const hi = id > 0xffffffff || id < 0 ? Math.imul(Math.floor(id / 4294967296) | 0, 0x9e3779b1) : 0;
    return ((id >>> 0) ^ hi) & this.mask;
  }

  /** The slot of `id`, or -1. */
  find(id: number): number {
    const st = this.state;
    for (let i = this.slotOf(id); ; i = (i + 1) & this.mask) {
      const s = st[i];
      if (s === 0) return -1;
      if (s === 1 && this.ids[i] === id) return i;
    }
  }

  /** Adds `id` (or replaces it, as a Map would). */
  add(id: number, size: number, weight: number, row: number, index: number): void {
    const old = this.find(id);
    if (old >= 0) {
      this.fill(old, id, size, weight, row, index);
      return;
    }
    if ((this.used + 1) * 2 > this.state.length) this.resize(this.count * 4 > this.state.length ? this.state.length * 2 : this.state.length);
    const st = this.state;
    let i = this.slotOf(id);
    while (st[i] === 1) i = (i + 1) & this.mask;
    if (st[i] === 0) this.used++;
    st[i] = 1;
    this.count++;
    this.fill(i, id, size, weight, row, index);
  }

  private fill(i: number, id: number, size: number, weight: number, row: number, index: number): void {
    this.ids[i] = id;
    this.size[i] = size;
    this.weight[i] = weight;
    this.row[i] = row;
    this.index[i] = index;
  }

  remove(slot: number): void {
    this.state[slot] = 2;
    this.count--;
    if (this.count * 8 < this.state.length && this.state.length > MIN_HELD) this.resize(this.state.length / 2);
  }

  /** Rebuilt with `capacity` slots (a power of two), without the deleted ones. */
  private resize(capacity: number): void {
    const { state, ids, size, weight, row, index } = this;
    this.state = new Uint8Array(capacity);
    this.ids = new Float64Array(capacity);
    this.size = new Float64Array(capacity);
    this.weight = new Float64Array(capacity);
    this.index = new Float64Array(capacity);
    this.row = new Int32Array(capacity);
    this.mask = capacity - 1;
    this.used = this.count = 0;
    for (let i = 0; i < state.length; i++) if (state[i] === 1) this.add(ids[i], size[i], weight[i], row[i], index[i]);
  }
}
const MIN_HELD = 1024;

/** Live bytes over time for one thread, in at most TIMELINE_POINTS buckets of a width that doubles when full. */
class Series {
  /** Bucket width in ms: a power of two times 1/8 ms, so that every thread's buckets nest. */
  width = 1 / 8;
  readonly max = new Float64Array(TIMELINE_POINTS).fill(-1);
  readonly at = new Float64Array(TIMELINE_POINTS);
  readonly last = new Float64Array(TIMELINE_POINTS);
  hi = -1;

  add(t: number, live: number): void {
    let i = Math.floor(t / this.width);
    while (i >= TIMELINE_POINTS) {
      this.halve();
      i = Math.floor(t / this.width);
    }
    if (i < 0) i = 0;
    if (live > this.max[i]) {
      this.max[i] = live;
      this.at[i] = t;
    }
    this.last[i] = live;
    if (i > this.hi) this.hi = i;
  }

  /** Twice as wide buckets: each keeps the larger maximum and the later last value. */
  private halve(): void {
    const n = TIMELINE_POINTS;
    for (let k = 0; k < n / 2; k++) {
      const a = 2 * k;
      const b = a + 1;
      const takeB = this.max[b] > this.max[a];
      const m = takeB ? this.max[b] : this.max[a];
      const at = takeB ? this.at[b] : this.at[a];
      const last = this.max[b] >= 0 ? this.last[b] : this.last[a];
      this.max[k] = m;
      this.at[k] = at;
      this.last[k] = last;
    }
    this.max.fill(-1, n / 2);
    this.hi = this.hi < 0 ? -1 : this.hi >> 1;
    this.width *= 2;
  }
}

/** One thread's part of the trace while it is read. */
class Part {
  header: Record<string, unknown> | undefined;
  /** Site records by number (format 1). */
  readonly sites = new Map<number, Row>();
  /** Rows by place, kind and key, for events without a site record (the earlier format). */
  readonly places = new Map<string, Row>();
  readonly rows: Row[] = [];
  readonly held = new HeldTable();
  /** Allocations so far in this thread (the runtime's `sampler.allocs`). */
  allocs = 0;
  live = 0;
  peak = 0;
  peakT = 0;
  peakAllocs = 0;
  peakOpen = false;
  sampling = false;
  sampledAny = false;
  end: Totals | undefined;
  peakRecord: Peak | undefined;
  /** This thread's start (ms since the epoch, from its header): its times are relative to it. */
  start = NaN;
  readonly series = new Series();
  /** Rows with temporaries not counted yet (see Row.pending). */
  readonly pending: Row[] = [];
  /** Deallocs of objects whose alloc was not followed (or not in the trace). */
  strays = 0;
  constructor(readonly thread: number) {}
}

// ---------------------------------------------------------------------------------------------
// The fields of one event line, read by the scanner (or copied from a parsed object).

const EV_NONE = 0;
const EV_ALLOC = 1;
const EV_REALLOC = 2;
const EV_DEALLOC = 3;

const F = {
  event: EV_NONE,
  eventName: "" as string | undefined,
  size: NaN,
  align: NaN,
  newSize: NaN,
  site: NaN,
  id: NaN,
  t: NaN,
  thread: NaN,
  weight: NaN,
  line: NaN,
  col: NaN,
  estimated: false,
  // string fields: byte ranges in `buf` (scanner) or the strings themselves (parsed object)
  buf: undefined as Buffer | undefined,
  fileS: -1,
  fileE: -1,
  kindS: -1,
  kindE: -1,
  keyS: -1,
  keyE: -1,
  file: undefined as string | undefined,
  kind: undefined as string | undefined,
  key: undefined as string | undefined,
  /** A field had a value of the wrong type: its name. */
  wrong: undefined as string | undefined,
};

function resetFields(): void {
  F.event = EV_NONE;
  F.eventName = undefined;
  F.size = F.align = F.newSize = F.site = F.id = F.t = F.thread = F.weight = F.line = F.col = NaN;
  F.estimated = false;
  F.buf = undefined;
  F.fileS = F.fileE = F.kindS = F.kindE = F.keyS = F.keyE = -1;
  F.file = F.kind = F.key = undefined;
  F.wrong = undefined;
}

const K_UNKNOWN = 0;
const K_EVENT = 1;
const K_SIZE = 2;
const K_ALIGN = 3;
const K_NEWSIZE = 4;
const K_FILE = 5;
const K_LINE = 6;
const K_COL = 7;
const K_KIND = 8;
const K_SITE = 9;
const K_ID = 10;
const K_T = 11;
const K_THREAD = 12;
const K_WEIGHT = 13;
const K_ESTIMATED = 14;
const K_KEY = 15;

/** The code of the key in bytes [s, e): the known keys of event lines, compared byte by byte. */
function keyCode(b: Buffer, s: number, e: number): number {
  const c = b[s];
  switch (e - s) {
    case 1:
      return c === 116 ? K_T : K_UNKNOWN;
    case 2:
      return c === 105 && b[s + 1] === 100 ? K_ID : K_UNKNOWN;
    case 3:
      if (c === 99 && b[s + 1] === 111 && b[s + 2] === 108) return K_COL;
      if (c === 107 && b[s + 1] === 101 && b[s + 2] === 121) return K_KEY;
      return K_UNKNOWN;
    case 4: {
      const c1 = b[s + 1];
      const c2 = b[s + 2];
      const c3 = b[s + 3];
      if (c === 115 && c1 === 105) return c3 !== 101 ? K_UNKNOWN : c2 === 122 ? K_SIZE : c2 === 116 ? K_SITE : K_UNKNOWN; // size, site
      if (c1 !== 105) return K_UNKNOWN;
      if (c === 102 && c2 === 108 && c3 === 101) return K_FILE;
      if (c === 108 && c2 === 110 && c3 === 101) return K_LINE;
      if (c === 107 && c2 === 110 && c3 === 100) return K_KIND;
      return K_UNKNOWN;
    }
    case 5:
      if (c === 101 && b[s + 1] === 118 && b[s + 2] === 101 && b[s + 3] === 110 && b[s + 4] === 116) return K_EVENT;
      if (c === 97 && b[s + 1] === 108 && b[s + 2] === 105 && b[s + 3] === 103 && b[s + 4] === 110) return K_ALIGN;
      return K_UNKNOWN;
    case 6:
      if (c === 116 && b[s + 1] === 104 && b[s + 2] === 114 && b[s + 3] === 101 && b[s + 4] === 97 && b[s + 5] === 100) return K_THREAD;
      if (c === 119 && b[s + 1] === 101 && b[s + 2] === 105 && b[s + 3] === 103 && b[s + 4] === 104 && b[s + 5] === 116) return K_WEIGHT;
      return K_UNKNOWN;
    case 7:
      return same(b, s, e, NEWSIZE_B) ? K_NEWSIZE : K_UNKNOWN;
    case 9:
      return same(b, s, e, ESTIMATED_B) ? K_ESTIMATED : K_UNKNOWN;
  }
  return K_UNKNOWN;
}
const NEWSIZE_B = Buffer.from("newSize");
const ESTIMATED_B = Buffer.from("estimated");

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
const ALLOC_B = Buffer.from("alloc");
const REALLOC_B = Buffer.from("realloc");
const DEALLOC_B = Buffer.from("dealloc");

function same(b: Buffer, s: number, e: number, w: Buffer): boolean {
  if (e - s !== w.length) return false;
  for (let i = 0; i < w.length; i++) if (b[s + i] !== w[i]) return false;
  return true;
}

const isDigit = (c: number) => c >= 48 && c <= 57;
/** Escapes JSON allows after a backslash: " \ / b f n r t (u is handled apart). */
const isEscape = (c: number) => c === 34 || c === 92 || c === 47 || c === 98 || c === 102 || c === 110 || c === 114 || c === 116;
const isHex = (c: number) => isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);

/** Where the scanner stopped (the end of the value it read): a small integer, kept unboxed. */
let pos = 0;

/** The JSON number at `i` (its end in `pos`), or NaN when there is none. */
function scanNumber(b: Buffer, i: number, end: number): number {
  const start = i;
  if (b[i] === 45) i++;
  const ds = i;
  let v = 0;
  if (b[i] === 48) i++;
  else if (i < end && b[i] >= 49 && b[i] <= 57) {
    while (i < end && isDigit(b[i])) v = v * 10 + (b[i++] - 48);
  } else return NaN;
  let exact = i - ds <= 15;
  if (b[i] === 46) {
    i++;
    const fs = i;
    let f = 0;
    while (i < end && isDigit(b[i])) f = f * 10 + (b[i++] - 48);
    const k = i - fs;
    if (k === 0) return NaN;
    // Both integers below 10^15: their quotient is the correctly rounded value, as Number() gives.
    if (exact && k + (fs - 1 - ds) <= 15) v = (v * POW10[k] + f) / POW10[k];
    else exact = false;
  }
  if (b[i] === 101 || b[i] === 69) {
    i++;
    if (b[i] === 43 || b[i] === 45) i++;
    if (!(i < end && isDigit(b[i]))) return NaN;
    while (i < end && isDigit(b[i])) i++;
    exact = false;
  }
  pos = i;
  return exact ? (b[start] === 45 ? -v : v) : Number(b.toString("latin1", start, i));
}

/** A JSON string whose opening quote is at `i - 1`: its end (the closing quote) in `pos`. */
function scanString(b: Buffer, i: number, end: number): boolean {
  for (;;) {
    if (i >= end) return false;
    const c = b[i];
    if (c === 34) break;
    if (c < 32) return false;
    if (c === 92) {
      if (++i >= end) return false;
      const y = b[i];
      if (y === 117) {
        if (i + 4 >= end || !isHex(b[i + 1]) || !isHex(b[i + 2]) || !isHex(b[i + 3]) || !isHex(b[i + 4])) return false;
        i += 4;
      } else if (!isEscape(y)) return false;
    }
    i++;
  }
  pos = i;
  return true;
}

/**
 * Reads an event: a flat JSON object (string, number, true, false, null values; no whitespace, as
 * the runtime writes them) from `i` into F, its end (after the `}`) in `pos`. False when it is
 * anything else, or runs past `end`: the caller then gives the line to JSON.parse, which reads it
 * or says what is wrong.
 */
function scanEvent(b: Buffer, i: number, end: number): boolean {
  resetFields();
  F.buf = b;
  if (b[i] !== 123) return false;
  i++;
  for (;;) {
    if (b[i] !== 34) return false;
    const ks = ++i;
    while (i < end && b[i] !== 34) {
      if (b[i] === 92 || b[i] < 32) return false;
      i++;
    }
    if (i >= end) return false;
    const code = keyCode(b, ks, i);
    i++;
    if (b[i] !== 58) return false;
    i++;
    const c = b[i];
    if (c === 34) {
      const vs = i + 1;
      if (!scanString(b, vs, end)) return false;
      const ve = pos;
      i = ve + 1;
      switch (code) {
        case K_EVENT:
          F.event = same(b, vs, ve, ALLOC_B) ? EV_ALLOC : same(b, vs, ve, REALLOC_B) ? EV_REALLOC : same(b, vs, ve, DEALLOC_B) ? EV_DEALLOC : EV_NONE;
          if (F.event === EV_NONE) return false;
          break;
        case K_FILE:
          F.fileS = vs;
          F.fileE = ve;
          break;
        case K_KIND:
          F.kindS = vs;
          F.kindE = ve;
          break;
        case K_KEY:
          F.keyS = vs;
          F.keyE = ve;
          break;
        case K_UNKNOWN:
          break;
        default:
          return false; // a string where a number belongs
      }
    } else if (c === 45 || isDigit(c)) {
      const num = scanNumber(b, i, end);
      if (num !== num) return false; // NaN: not a number
      i = pos;
      switch (code) {
        case K_SIZE:
          F.size = num;
          break;
        case K_ALIGN:
          F.align = num;
          break;
        case K_NEWSIZE:
          F.newSize = num;
          break;
        case K_SITE:
          F.site = num;
          break;
        case K_ID:
          F.id = num;
          break;
        case K_T:
          F.t = num;
          break;
        case K_THREAD:
          F.thread = num;
          break;
        case K_WEIGHT:
          F.weight = num;
          break;
        case K_LINE:
          F.line = num;
          break;
        case K_COL:
          F.col = num;
          break;
        case K_UNKNOWN:
          break;
        default:
          return false;
      }
    } else if (c === 116 && b[i + 1] === 114 && b[i + 2] === 117 && b[i + 3] === 101) {
      i += 4;
      if (code === K_ESTIMATED) F.estimated = true;
      else if (code !== K_UNKNOWN) return false;
    } else if (c === 102 && b[i + 1] === 97 && b[i + 2] === 108 && b[i + 3] === 115 && b[i + 4] === 101) {
      i += 5;
      if (code !== K_ESTIMATED && code !== K_UNKNOWN) return false;
    } else if (c === 110 && b[i + 1] === 117 && b[i + 2] === 108 && b[i + 3] === 108) {
      i += 4;
      if (code !== K_UNKNOWN) return false;
    } else return false;
    if (b[i] === 44) {
      i++;
      continue;
    }
    if (b[i] !== 125) return false;
    pos = i + 1;
    return F.event !== EV_NONE;
  }
}

/** F from an event parsed by JSON.parse; a field of the wrong type is named in F.wrong. */
function fieldsOf(o: Record<string, unknown>): void {
  resetFields();
  const e = o.event;
  F.eventName = JSON.stringify(e);
  F.event = e === "alloc" ? EV_ALLOC : e === "realloc" ? EV_REALLOC : e === "dealloc" ? EV_DEALLOC : EV_NONE;
  const n = (name: string): number => {
    const v = o[name];
    if (v === undefined) return NaN;
    if (typeof v !== "number") F.wrong ??= name;
    return typeof v === "number" ? v : NaN;
  };
  const s = (name: string): string | undefined => {
    const v = o[name];
    if (v !== undefined && typeof v !== "string") F.wrong ??= name;
    return typeof v === "string" ? v : undefined;
  };
  F.size = n("size");
  F.align = n("align");
  F.newSize = n("newSize");
  F.site = n("site");
  F.id = n("id");
  F.t = n("t");
  F.thread = n("thread");
  F.weight = n("weight");
  F.line = n("line");
  F.col = n("col");
  F.estimated = o.estimated === true;
  F.file = s("file");
  F.kind = s("kind");
  F.key = s("key");
}

/** A string field of F: from the scanner's byte range, or the parsed object's. */
function text(s: number, e: number, parsed: string | undefined): string | undefined {
  if (s < 0) return parsed;
  const b = F.buf!;
  for (let i = s; i < e; i++) if (b[i] === 92) return JSON.parse(b.toString("utf8", s - 1, e + 1)) as string;
  return b.toString("utf8", s, e);
}

// ---------------------------------------------------------------------------------------------
// The reader.

class Reader {
  readonly parts = new Map<number, Part>();
  readonly warnings: string[] = [];
  version: 0 | 1 = 0;
  lines = 0;
  events = 0;
  /** The first record was read (a header or an event): this is a trace. */
  started = false;
  /** The line being read, for messages. */
  lineNo = 0;
  unknownRecords = 0;

  constructor(
    readonly file: string,
    readonly shown: string,
    readonly onWarning: ((message: string) => void) | undefined,
  ) {}

  warn(message: string): void {
    this.warnings.push(message);
    this.onWarning?.(message);
  }

  fail(problem: string): never {
    throw new TraceError(this.shown, this.lineNo, problem);
  }

  part(thread: number): Part {
    let p = this.parts.get(thread);
    if (p === undefined) this.parts.set(thread, (p = new Part(thread)));
    return p;
  }

  /**
   * One line, bytes [s, e) of `b`. `last`: it had no newline after it. Returns false when it is
   * a last line cut short (not a whole record).
   */
  line(b: Buffer, s: number, e: number, last: boolean): boolean {
    this.lineNo++;
    if (e > s && b[e - 1] === 13) e--; // CRLF
    if (e === s) return true;
    this.lines++;
    if (b[s + 2] === 101 && scanEvent(b, s, e) && pos === e) {
      this.event();
      return true;
    }
    let o: unknown;
    try {
      o = JSON.parse(b.toString("utf8", s, e));
    } catch (err) {
      if (last) {
        this.lines--;
        return false;
      }
      if (!this.started) this.notATrace(b.toString("utf8", s, Math.min(e, s + 60)));
      this.fail(`not a JSON record (${(err as Error).message}); a trace is one JSON object per line: is the file damaged? Remake it with the traced program`);
    }
    if (o === null || typeof o !== "object" || Array.isArray(o)) {
      if (!this.started) this.notATrace(b.toString("utf8", s, Math.min(e, s + 60)));
      this.fail(`not a JSON object (${Array.isArray(o) ? "an array" : JSON.stringify(o)?.slice(0, 40)}); a trace is one JSON object per line`);
    }
    this.record(o as Record<string, unknown>, b.toString("utf8", s, Math.min(e, s + 60)));
    return true;
  }

  notATrace(start: string): never {
    throw new UsageError(
      `${this.shown} is not a traced-allocator trace: its first line is not a trace header or an event (it begins ${JSON.stringify(start)}); ${HOW_TO}`,
    );
  }

  record(o: Record<string, unknown>, start: string): void {
    const first = Object.keys(o)[0];
    if (!this.started) {
      if (first === "trace" && o.trace === "traced-allocator") this.version = 1;
      else if (first !== "event") this.notATrace(start);
      this.started = true;
    }
    switch (first) {
      case "trace":
        return this.header(o);
      case "event":
        fieldsOf(o);
        if (F.event === EV_NONE) this.fail(`unknown event ${F.eventName}: an event is "alloc", "realloc" or "dealloc"`);
        if (F.wrong !== undefined) this.fail(`the event's "${F.wrong}" has the wrong type (${JSON.stringify(o[F.wrong])}); see README, "Trace format 1"`);
        return this.event();
      case "site":
        return this.site(o);
      case "sampling":
        this.part(this.threadOf(o)).sampling = true;
        return;
      case "end":
        return this.end(o);
      case "peak":
        return this.peakRecord(o);
      default:
        // Record types added later: not ours to read.
        this.unknownRecords++;
    }
  }

  threadOf(o: Record<string, unknown>): number {
    const t = o.thread ?? 0;
    if (typeof t !== "number" || !Number.isInteger(t) || t < 0) this.fail(`"thread" must be a thread number (0 = main), not ${JSON.stringify(t)}`);
    return t;
  }

  header(o: Record<string, unknown>): void {
    if (o.trace !== "traced-allocator") this.fail(`a header of another kind of trace (${JSON.stringify(o.trace)}); this reads traced-allocator traces`);
    if (o.version !== 1) this.fail(`trace format version ${JSON.stringify(o.version)}: this traced-alloc reads version 1 (and the earlier NDJSON without a header); update traced-allocator`);
    const p = this.part(this.threadOf(o));
    if (p.header !== undefined && p.header.pid !== o.pid) {
      this.warn(`${this.shown}:${this.lineNo}: a second header for thread ${p.thread}, of another process (pid ${o.pid}, before ${p.header.pid}): two processes wrote this file; give each its own with %p in the path (ndjson=trace-%p.ndjson)`);
    }
    p.header = o;
    p.start = typeof o.start === "string" ? Date.parse(o.start) : NaN;
  }

  site(o: Record<string, unknown>): void {
    const n = o.site;
    if (typeof n !== "number" || !Number.isInteger(n)) this.fail(`a site record's "site" must be its number, not ${JSON.stringify(n)}`);
    const place = this.placeOf(o, "site record");
    const kind = o.kind;
    const key = o.key;
    if (typeof kind !== "string") this.fail(`the site record has no "kind" (what was called); see README, "Trace format 1"`);
    if (key !== undefined && typeof key !== "string") this.fail(`the site record's "key" must be a string`);
    const p = this.part(this.threadOf(o));
    let inner: (Place & { key: string }) | undefined;
    const i = o.inner;
    if (i !== undefined) {
      if (i === null || typeof i !== "object") this.fail(`the site record's "inner" must be an object {file, line, col, key}`);
      const ii = i as Record<string, unknown>;
      const ip = this.placeOf(ii, "site record's inner site");
      inner = { ...ip, key: typeof ii.key === "string" ? ii.key : `${ip.file}:${ip.line}:${ip.col}/${kind}` };
    }
    const row = new Row(p.thread, place, kind, (key as string | undefined) ?? `${place.file}:${place.line}:${place.col}/${kind}`, inner, p.rows.length);
    p.sites.set(n, row);
    p.rows.push(row);
  }

  placeOf(o: Record<string, unknown>, what: string): Place {
    const { file, line, col } = o;
    if (typeof file !== "string" || typeof line !== "number" || typeof col !== "number") {
      this.fail(`the ${what} needs "file" (a string), "line" and "col" (numbers); see README, "Trace format 1"`);
    }
    return { file, line, col };
  }

  end(o: Record<string, unknown>): void {
    const e = o.end as Record<string, unknown> | null;
    const fields = ["allocs", "reallocs", "bytes", "deallocs", "live"] as const;
    if (e === null || typeof e !== "object" || fields.some((f) => typeof e[f] !== "number")) {
      this.fail(`an end record needs the numbers ${fields.join(", ")}; see README, "Trace format 1"`);
    }
    const n = (f: (typeof fields)[number]) => e[f] as number;
    this.part(this.threadOf(o)).end = { allocs: n("allocs"), reallocs: n("reallocs"), bytes: n("bytes"), deallocs: n("deallocs"), live: n("live"), estimated: e.estimated === true };
  }

  peakRecord(o: Record<string, unknown>): void {
    const k = o.peak as Record<string, unknown> | null;
    if (k === null || typeof k !== "object" || typeof k.bytes !== "number" || typeof k.t !== "number" || !Array.isArray(k.sites)) {
      this.fail(`a peak record needs "bytes", "t" (numbers) and "sites" (a list); see README, "Trace format 1"`);
    }
    const sites = (k.sites as Record<string, unknown>[]).map((s) => {
      if (s === null || typeof s !== "object" || typeof s.bytes !== "number") this.fail(`each site of a peak record needs "bytes"`);
      const place = this.placeOf(s, "peak record's site");
      return { ...place, key: String(s.key ?? ""), kind: String(s.kind ?? ""), bytes: s.bytes as number };
    });
    sites.sort((a, b) => b.bytes - a.bytes);
    this.part(this.threadOf(o)).peakRecord = { bytes: k.bytes, t: k.t, allocs: typeof k.allocs === "number" ? k.allocs : 0, estimated: k.estimated === true, sites };
  }

  /** The event in F. */
  event(): void {
    if (!this.started) {
      this.started = true; // an event first: the earlier NDJSON
    }
    this.events++;
    const thread = Number.isNaN(F.thread) ? 0 : F.thread;
    if (!Number.isInteger(thread) || thread < 0) this.fail(`"thread" must be a thread number (0 = main), not ${thread}`);
    const p = this.part(thread);
    const size = F.size;
    if (!(size >= 0)) this.fail(`the event has no "size" (a number of bytes ≥ 0); see README, "Trace format 1"`);
    const row = this.rowOf(p);
    const t = F.t;
    const id = F.id;
    if (F.event === EV_ALLOC) {
      row.allocs++;
      row.bytes += size;
      if (size > row.max) row.max = size;
      if (F.estimated) row.estimated = true;
      p.allocs++;
      if (p.pending.length > 0) confirmTemporaries(p);
      let weight = F.weight;
      if (!Number.isNaN(weight)) {
        if (!(weight > 0)) this.fail(`"weight" must be a positive number (the objects a sample stands for), not ${weight}`);
        if (weight > 1) {
          row.sampled = true;
          p.sampledAny = true;
        }
      } else if (!p.sampling) weight = 1;
      else return; // after the sampling record, not followed: counted, never live
      if (Number.isNaN(id)) return; // cannot be paired with its dealloc
      p.held.add(id, size, weight, row.n, weight === 1 ? p.allocs : -1);
      this.grow(p, row, size * weight, t);
    } else if (F.event === EV_REALLOC) {
      const newSize = F.newSize;
      if (!(newSize >= 0)) this.fail(`a realloc event needs "newSize" (the size after, a number ≥ 0); see README, "Trace format 1"`);
      row.reallocs++;
      if (newSize > size) row.bytes += newSize - size;
      if (newSize > row.max) row.max = newSize;
      const h = p.held.find(id);
      if (h < 0) return;
      const delta = (newSize - p.held.size[h]) * p.held.weight[h];
      p.held.size[h] = newSize;
      const at = p.rows[p.held.row[h]];
      if (delta > 0) this.grow(p, at, delta, t);
      else if (delta < 0) this.shrink(p, at, -delta, t);
    } else {
      const held = p.held;
      const h = held.find(id);
      if (h < 0) {
        p.strays++;
        return;
      }
      const at = p.rows[held.row[h]];
      const weight = held.weight[h];
      const bytes = held.size[h] * weight;
      const index = held.index[h];
      held.remove(h);
      at.deallocs += weight;
      this.shrink(p, at, bytes, t);
      if (index >= 0 && p.allocs - index < TEMPORARY_WINDOW) {
        if (at.pending++ === 0) p.pending.push(at);
      }
    }
  }

  /** The row of the event in F: its site record, or (no site number) its place, kind and key. */
  rowOf(p: Part): Row {
    const n = F.site;
    if (!Number.isNaN(n)) {
      const r = p.sites.get(n);
      if (r === undefined) this.fail(`the event names site ${n} of thread ${p.thread}, but no site record ${n} of that thread came before it: the trace is damaged (cut at the front, or pieced together)`);
      return r;
    }
    const file = text(F.fileS, F.fileE, F.file);
    const kind = text(F.kindS, F.kindE, F.kind);
    const key = text(F.keyS, F.keyE, F.key);
    if (file === undefined || !(F.line >= 0) || !(F.col >= 0) || kind === undefined) {
      this.fail(`the event has neither "site" (a site record's number) nor "file", "line", "col" and "kind"; see README, "Trace format 1"`);
    }
    const k = `${file}\0${F.line}\0${F.col}\0${kind}\0${key ?? ""}`;
    let r = p.places.get(k);
    if (r === undefined) {
      const place = { file, line: F.line, col: F.col };
      r = new Row(p.thread, place, kind, key ?? `${file}:${F.line}:${F.col}/${kind}`, undefined, p.rows.length);
      p.places.set(k, r);
      p.rows.push(r);
    }
    return r;
  }

  grow(p: Part, row: Row, bytes: number, t: number): void {
    row.live += bytes;
    p.live += bytes;
    if (p.live > p.peak) {
      p.peak = p.live;
      p.peakAllocs = p.allocs;
      p.peakT = t;
      p.peakOpen = true;
    }
    if (t >= 0) p.series.add(t, p.live);
  }

  shrink(p: Part, row: Row, bytes: number, t: number): void {
    if (p.peakOpen) closePeak(p);
    row.live -= bytes;
    p.live -= bytes;
    if (t >= 0) p.series.add(t, p.live);
  }
}

/** The thread allocated again: the temporaries seen since its last allocation count. */
function confirmTemporaries(p: Part): void {
  for (const r of p.pending) {
    r.temporaries += r.pending;
    r.pending = 0;
  }
  p.pending.length = 0;
}

/** Each row's share of the peak: its live bytes at the moment the total starts to fall from it. */
function closePeak(p: Part): void {
  p.peakOpen = false;
  for (const r of p.rows) r.atPeak = r.live;
}

// ---------------------------------------------------------------------------------------------
// From what was read to the model.

const bySummaryOrder = (a: SiteFigures, b: SiteFigures) =>
  b.bytes - a.bytes || a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col || a.kind.localeCompare(b.kind) || a.thread - b.thread;

/** A row's figures, rounded as the runtime's summary rounds them. */
function figures(r: Row): SiteFigures {
  return {
    thread: r.thread,
    file: r.place.file,
    line: r.place.line,
    col: r.place.col,
    kind: r.kind,
    key: r.key,
    ...(r.inner !== undefined ? { inner: r.inner } : {}),
    allocs: r.allocs,
    reallocs: r.reallocs,
    bytes: r.bytes,
    max: r.max,
    deallocs: Math.min(Math.round(r.deallocs), r.allocs),
    live: Math.max(0, Math.round(r.live)),
    atPeak: Math.max(0, Math.round(r.atPeak)),
    estimated: r.estimated,
    sampled: r.sampled,
    temporaries: r.temporaries,
  };
}

function totalsOf(list: SiteFigures[], estimated: boolean): Totals {
  const t: Totals = { allocs: 0, reallocs: 0, bytes: 0, deallocs: 0, live: 0, estimated };
  for (const r of list) {
    t.allocs += r.allocs;
    t.reallocs += r.reallocs;
    t.bytes += r.bytes;
    t.deallocs += r.deallocs;
    t.live += r.live;
  }
  return t;
}

function finish(rd: Reader, truncated: boolean): Trace {
  const threads: ThreadPart[] = [];
  const sites: SiteFigures[] = [];
  const totals: Totals = { allocs: 0, reallocs: 0, bytes: 0, deallocs: 0, live: 0, estimated: false };
  const peaks = new Map<number, Peak | undefined>();
  const parts = [...rd.parts.values()].sort((a, b) => a.thread - b.thread);
  for (const p of parts) {
    if (p.peakOpen) closePeak(p);
    // The summary's rows: those with anything counted (a row where objects were only freed by hand is not one).
    const rows = p.rows.filter((r) => r.allocs > 0 || r.reallocs > 0 || r.deallocs > 0).map(figures);
    sites.push(...rows);
    const own = totalsOf(rows, p.sampledAny);
    const name = p.thread === 0 ? "the main thread" : `thread ${p.thread}`;
    if (p.end !== undefined) {
      const differs = (["allocs", "reallocs", "bytes", "deallocs", "live"] as const).filter((f) => p.end![f] !== own[f]);
      if (differs.length > 0) {
        rd.warn(
          `${name}: the events add up to other totals than its end record (${differs.map((f) => `${f} ${own[f]} vs ${p.end![f]}`).join(", ")}): ` +
            `events after the end record, or a damaged trace; the sites show the events, the totals the end record`,
        );
      }
    }
    let peak: Peak | undefined = p.peakRecord;
    if (p.end === undefined || p.peakRecord === undefined) {
      if (rd.version === 0) {
        if (p.thread === 0) rd.warn(`the earlier NDJSON (no header) has no end or peak records: totals, live bytes and the peak are computed from the events`);
      } else {
        rd.warn(
          `${name} has no ${p.end === undefined ? "end" : "peak"} record (the program was killed, or the trace cut short): ` +
            `its totals, live bytes and peak are recomputed from the events` +
            (p.sampledAny ? " (estimates, as the runtime's would be)" : ""),
        );
      }
      if (peak === undefined) {
        const held = rows.filter((r) => r.atPeak > 0).map((r) => ({ key: r.key, file: r.file, line: r.line, col: r.col, kind: r.kind, bytes: r.atPeak }));
        held.sort((a, b) => b.bytes - a.bytes);
        peak = p.peak > 0 ? { bytes: Math.round(p.peak), t: p.peakT, allocs: p.peakAllocs, estimated: p.sampledAny, sites: held } : undefined;
      }
    }
    peaks.set(p.thread, peak);
    const t = p.end ?? own;
    for (const f of ["allocs", "reallocs", "bytes", "deallocs", "live"] as const) totals[f] += t[f];
    totals.estimated ||= t.estimated;
    if (p.strays > 0) {
      rd.warn(
        `${name}: ${p.strays} deallocs of objects whose alloc was not followed (not in the trace, or made by an Allocator after the sampling record): not counted`,
      );
    }
    const h = p.header ?? {};
    const lifetimes = h.lifetimes as ThreadPart["lifetimes"] | undefined;
    threads.push({
      thread: p.thread,
      ...(typeof h.pid === "number" ? { pid: h.pid } : {}),
      ...(typeof h.node === "string" ? { node: h.node } : {}),
      ...(Array.isArray(h.argv) ? { argv: h.argv as string[] } : {}),
      ...(typeof h.start === "string" ? { start: h.start } : {}),
      ...(typeof h.root === "string" ? { root: h.root } : {}),
      ...(lifetimes !== undefined ? { lifetimes } : {}),
      ...(p.end !== undefined ? { end: p.end } : {}),
      ...(peak !== undefined ? { peak } : {}),
      sampling: p.sampling,
    });
  }
  if (rd.unknownRecords > 0) rd.warn(`${rd.unknownRecords} records of types this traced-alloc does not know were skipped (a newer runtime?)`);
  if (rd.version === 0 && rd.events > 0 && parts.every((p) => p.series.hi < 0)) rd.warn(`the trace has no times ("t"): no timeline of live bytes`);
  sites.sort(bySummaryOrder);
  const mainPeak = peaks.get(0) ?? [...peaks.values()].filter((k) => k !== undefined).sort((a, b) => b!.bytes - a!.bytes)[0];
  return {
    path: rd.file,
    version: rd.version,
    threads,
    sites,
    totals,
    peak: mainPeak,
    timeline: timeline(parts, peaks.get(0)),
    lines: rd.lines,
    events: rd.events,
    truncated,
    warnings: rd.warnings,
  };
}

/**
 * Live bytes over time, all threads on one time axis (each thread's times shifted by its start):
 * per bucket the highest live total in it. With several threads, a bucket's figure is the sum of
 * each thread's highest in it (or its last value before), an upper bound of their sum at any
 * instant. A single thread's peak is kept exactly as a point.
 */
function timeline(parts: Part[], mainPeak: Peak | undefined): LivePoint[] {
  const used = parts.filter((p) => p.series.hi >= 0);
  if (used.length === 0) return [];
  // Times from the earliest thread's start (ms; a header's start has ms resolution).
  const first = Math.min(...used.map((p) => (Number.isFinite(p.start) ? p.start : Infinity)));
  const offset = (p: Part) => (Number.isFinite(p.start) && Number.isFinite(first) ? p.start - first : 0);
  let width = Math.max(...used.map((p) => p.series.width));
  const end = Math.max(...used.map((p) => offset(p) + (p.series.hi + 1) * p.series.width));
  while (end / width > TIMELINE_POINTS) width *= 2;
  const n = Math.ceil(end / width);
  /** Each thread's buckets at the common width. */
  const grids = used.map((p) => {
    const s = p.series;
    const off = offset(p);
    const max = new Float64Array(n).fill(-1);
    const at = new Float64Array(n);
    const last = new Float64Array(n);
    for (let i = 0; i <= s.hi; i++) {
      if (s.max[i] < 0) continue;
      const k = Math.min(n - 1, Math.floor((off + i * s.width) / width));
      if (s.max[i] > max[k]) {
        max[k] = s.max[i];
        at[k] = off + s.at[i];
      }
      last[k] = s.last[i];
    }
    return { max, at, last };
  });
  const points: LivePoint[] = [];
  const carried = new Float64Array(grids.length);
  for (let k = 0; k < n; k++) {
    let sum = 0;
    let any = false;
    let t = 0;
    let top = -1;
    for (let g = 0; g < grids.length; g++) {
      const grid = grids[g];
      if (grid.max[k] >= 0) {
        any = true;
        sum += grid.max[k];
        if (grid.max[k] > top) {
          top = grid.max[k];
          t = grid.at[k];
        }
        carried[g] = grid.last[k];
      } else sum += carried[g];
    }
    if (any) points.push({ t: Math.round(t * 1000) / 1000, live: Math.max(0, Math.round(sum)) });
  }
  if (mainPeak !== undefined && used.length === 1 && used[0].thread === 0) {
    // The peak as the runtime recorded it, in place of its bucket's point.
    const pt = { t: mainPeak.t, live: mainPeak.bytes };
    const k = points.findIndex((q) => Math.floor(q.t / width) === Math.floor(pt.t / width));
    if (k >= 0) points[k] = pt;
    else {
      points.push(pt);
      points.sort((a, b) => a.t - b.t);
    }
  }
  return points;
}

// ---------------------------------------------------------------------------------------------

const CHUNK = 1 << 20;
/** Zeros after the bytes in the work buffer. */
const PAD = 64;
/** A longer line is not from a trace. */
const MAX_LINE = 64 * CHUNK;

/**
 * Reads the trace at `file` (format 1, or the earlier NDJSON). A last line cut short is left out,
 * with `truncated` and a warning; a malformed line elsewhere is a TraceError naming its line; an
 * empty file, a file that is not a trace, or one that cannot be read is a UsageError.
 */
export async function readTrace(file: string, options: ReadOptions = {}): Promise<Trace> {
  const shown = options.name ?? file;
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === "ENOENT" ? `no trace at ${shown}: no such file (${HOW_TO})` : `cannot read the trace ${shown}: ${(e as Error).message}`,
    );
  }
  if (stat.isDirectory()) throw new UsageError(`${shown} is a folder, not a trace file (${HOW_TO})`);
  const rd = new Reader(path.resolve(file), shown, options.onWarning);
  // The bytes being cut into lines: what was left of the last chunk, then the new chunk, then
  // zeros (which stop every loop of the scanner, so that it never reads past the buffer's end).
  let work = Buffer.alloc(2 * CHUNK + PAD);
  let len = 0;
  let truncated = false;
  const stream = fs.createReadStream(file, { highWaterMark: CHUNK });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (len + chunk.length + PAD > work.length) {
        if (len > MAX_LINE) {
          rd.lineNo++;
          rd.fail(`a line of more than ${MAX_LINE} bytes: this is not a trace made by traced-allocator`);
        }
        const bigger = Buffer.alloc(2 * (len + chunk.length) + PAD);
        work.copy(bigger, 0, 0, len);
        work = bigger;
      }
      chunk.copy(work, len);
      len += chunk.length;
      work.fill(0, len, len + PAD);
      const b = work;
      let s = 0;
      for (;;) {
        // An event line (most lines) is scanned up to its newline, without looking for it first.
        if (b[s + 2] === 101 && scanEvent(b, s, len) && b[pos] === 10) {
          rd.lineNo++;
          rd.lines++;
          rd.event();
          s = pos + 1;
          continue;
        }
        const nl = b.indexOf(10, s);
        if (nl < 0 || nl >= len) break;
        rd.line(b, s, nl, false);
        s = nl + 1;
      }
      // The start of a line not ended yet goes to the front.
      b.copy(b, 0, s, len);
      len -= s;
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot read the trace ${shown}: ${(e as Error).message}`);
  } finally {
    stream.destroy();
  }
  const carry = len > 0 ? Buffer.from(work.subarray(0, len)) : undefined;
  if (carry !== undefined) {
    const whole = rd.line(carry, 0, carry.length, true);
    if (!whole) {
      truncated = true;
      if (!rd.started) {
        const begins = carry.toString("utf8", 0, Math.min(carry.length, 60));
        if (!/^\{"(trace|event)"/.test(begins)) rd.notATrace(begins);
        rd.started = true;
      }
      rd.warn(
        `${shown}:${rd.lineNo}: the last line is cut off (the program died while writing it): read the ${rd.lineNo - 1} lines before it`,
      );
    }
  }
  if (!rd.started) {
    throw new UsageError(
      stat.size === 0 ? `${shown} is empty: no trace was written to it (${HOW_TO})` : `${shown} holds no records, only blank lines (${HOW_TO})`,
    );
  }
  return finish(rd, truncated);
}
