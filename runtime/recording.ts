/**
 * Recording, once tracing is on (loaded then, not before): an allocation costs its measurement and
 * a few counter bumps on its row; following it to its death (lifetimes.ts) is decided apart.
 */
import { types as utilTypes } from "node:util";
import { threadId } from "node:worker_threads";
import { Rule } from "./names";
import { sampler, state } from "./record";
import { UNKNOWN, rowAt, type Location, type Site, type Row } from "./location";
import { follow, heldOf, move, resized } from "./lifetimes";
import * as LT from "./lifetimes";
import * as SK from "./sinks";
import { emit } from "./sinks";

// The hot path reads these on every allocation: bound once here, so that each read is one load
// (an imported binding compiles to a property read of the other module's exports each time).
const on = state;
const samp = sampler;
const TYPED = Rule.Typed;

// Plain assignments, not `export { x } from` (accessors: a module object with many of them is a dictionary).
export import heldOf = LT.heldOf;
export import emit = SK.emit;

type Windows = typeof import("./window");
let W: Windows | undefined;
/** The measuring windows (window.ts): loaded by the first window, told of events only while one is open (`state.window`). */
const windows = (): Windows => (W ??= require("./window") as Windows);

/** Freed by hand (`Allocator.dealloc`): no dealloc will come from the collector. Returns the record. */
export function freed(value: object): LT.Held | undefined {
  if (on.window) windows().freed(value);
  return LT.freed(value);
}

// Worker threads number their allocations apart from the main thread's, so ids stay unique in a shared file.
let nextId = threadId * 2 ** 32;

const TRANSFERABLE = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === "function";
const WASM_MEMORY = (globalThis as unknown as { WebAssembly: { Memory: new (...a: never[]) => object } }).WebAssembly.Memory;

export function record(site: Site | undefined, value: unknown, caller: Location | undefined): void {
  if (value === null || typeof value !== "object") return; // short-circuited optional chain, or not ours
  const s = site ?? UNKNOWN;
  if (s.rule === TYPED) {
    // The most frequent kind, kept small enough to be inlined into the call site.
    const t = value as Uint8Array;
    allocated(t, t.byteLength, t.BYTES_PER_ELEMENT, false, false, caller === undefined ? (s.row ?? rowAt(s, s)) : rowAt(caller, s), false);
    return;
  }
  recordOther(s, value, caller);
}

function recordOther(s: Site, value: object, caller: Location | undefined): void {
  const v = value as any;
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
      // Only a buffer whose layout can change needs to be found again: resizable, growable, or any
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
    default:
      // A Node API's result (a Buffer, or a string when an encoding was given), structuredClone's,
      // or no site at all: measured by what it is.
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
  }
  allocated(v, size, align, estimated, identity, caller === undefined ? (s.row ?? rowAt(s, s)) : rowAt(caller, s), false);
}

/**
 * The ids of buffers whose layout can change but whose death is not followed (beyond the exact
 * bound, not sampled): kept only while a trace is written, so that their reallocs in it still pair
 * with their alloc (the summary needs no id).
 */
const unfollowedIds = new WeakMap<object, number>();

/** Counts an allocation at its row, follows it if so decided, and writes its event. */
export function allocated(v: object, size: number, align: number, estimated: boolean, identity: boolean, row: Row, always: boolean): void {
  row.allocs++;
  row.bytes += size;
  if (size > row.max) row.max = size;
  if (estimated) row.estimated = true;
  samp.allocs++;
  if (on.window) windows().allocated(v, size, estimated, identity, row);
  // Most objects of a large run: past the exact bound and not the next sample. Nothing more to do
  // for the summary (lifetimes.ts, follow(), makes the same decision for the other objects).
  if (samp.exactLeft < 0 && !always && !on.lifetimes) {
    if ((samp.until -= size) > 0) {
      if (on.log || on.ndjson) {
        const id = ++nextId;
        if (identity && on.ndjson) unfollowedIds.set(v, id);
        emit("alloc", size, align, row, id, 0, 0, estimated);
      }
      return;
    }
    samp.until += size; // the next sample: follow() counts it down itself
  }
  const id = ++nextId;
  const h = follow(v, id, size, align, estimated, row, identity, always);
  if (h === undefined && identity && state.ndjson) unfollowedIds.set(v, id);
  if (state.log || state.ndjson) emit("alloc", size, align, row, id, 0, h === undefined ? 0 : h.weight, estimated);
}

/** A realloc of a buffer by a rewritten call: `fn` is its method, already checked. */
export function reallocCall(site: Site, receiver: any, fn: Function, arg: unknown, caller: Location | undefined): unknown {
  const rule = site.rule;
  // Not a buffer after all (a cast, an object with a method of that name), nor an object the
  // runtime follows (an Allocator's): just the call.
  const known = rule === Rule.Wasm ? receiver instanceof WASM_MEMORY : utilTypes.isAnyArrayBuffer(receiver);
  if (!known && heldOf(receiver) === undefined) return fn.call(receiver, arg);
  const before = rule === Rule.Wasm ? receiver.buffer.byteLength : receiver.byteLength;
  const result = fn.call(receiver, arg);
  // transfer() returns the new buffer and detaches the old one: the allocation moves to the result.
  const moved = result !== null && typeof result === "object" && result !== receiver && utilTypes.isAnyArrayBuffer(result);
  const now = moved ? result : receiver;
  const after = rule === Rule.Wasm ? now.buffer.byteLength : now.byteLength;
  reallocated(receiver, moved ? now : undefined, before, after, rule === Rule.Wasm ? 65536 : 1, rowAt(caller ?? site, site));
  return result;
}

/**
 * A layout change of `obj`, counted at the row of the call that made it (its growth is bytes
 * allocated there); a followed object's live bytes change at its allocation's row.
 */
export function reallocated(obj: object, movedTo: object | undefined, before: number, after: number, align: number, row: Row): void {
  row.reallocs++;
  if (after > before) row.bytes += after - before;
  if (after > row.max) row.max = after;
  if (on.window) windows().reallocated(obj, movedTo, before, after, row);
  const h = heldOf(obj);
  let id: number;
  if (h !== undefined) {
    if (movedTo !== undefined) move(obj, movedTo, h);
    resized(h, after);
    id = h.id;
  } else {
    // Not followed: its alloc's id if a trace is written, else (made before tracing started) a new one.
    id = unfollowedIds.get(obj) ?? ++nextId;
    if (movedTo !== undefined && state.ndjson) {
      unfollowedIds.delete(obj);
      unfollowedIds.set(movedTo, id);
    }
  }
  if (state.log || state.ndjson) emit("realloc", before, h?.align ?? align, row, id, after, h === undefined ? 0 : h.weight, false);
}
