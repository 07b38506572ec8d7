/**
 * Measuring windows: what `measure(fn)` of traced-allocator/test sees. Loaded by the first window,
 * never before; with no window open, the recording room pays one check per event (`state.window`)
 * and the tracing-off path nothing.
 *
 * - While a window is open, recording is on whatever `TRACED_ALLOC` says (and writes only what
 *   was asked for: the switches of the log, the trace and the summary are untouched).
 * - A window counts every event of the code that runs in its async context (AsyncLocalStorage):
 *   `fn`'s synchronous part and whatever it started (promises, timers, callbacks). So windows
 *   that overlap in time (concurrent tests, `Promise.all` of measures) each count their own
 *   allocations; a window opened inside another counts its events in both (the outer `fn` made
 *   them too). Events of a closed window's context go on to its enclosing windows still open.
 * - Each object allocated in a following window is held by a WeakRef, with its size: after the
 *   window closes and a full collection, the objects still there are its live bytes. Exact (no
 *   bound, no sampling, independent of the runtime's own lifetimes) and deterministic.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { refreshFast, state } from "./record";
import type { Row } from "./location";

/** One site's figures in a window: its row (place, kind, key) and what happened there. */
export class Tally {
  allocs = 0;
  reallocs = 0;
  /** Bytes allocated here in the window: allocations' sizes and, at a realloc's row, the growth. */
  bytes = 0;
  /** Bytes of this site's objects still reachable (set by `liveAfterCollection`). */
  live = 0;
  /** Sizes are a model (arrays: 8 bytes an element). */
  estimated = false;
  constructor(readonly row: Row) {}
}

export class Window {
  open = true;
  readonly tallies = new Map<Row, Tally>();
  /** Following: the window's objects as weak references, their current sizes and tallies, by index. */
  readonly refs: WeakRef<object>[] = [];
  readonly sizes: number[] = [];
  readonly of: Tally[] = [];
  /** Objects whose layout can change or that are freed by hand, to their index. */
  readonly index = new WeakMap<object, number>();

  constructor(
    /** The window open in the context this one was opened in: it sees this one's events too. */
    readonly parent: Window | undefined,
    /** Whether objects are followed (for `live`); counting alone holds no reference. */
    readonly follow: boolean,
  ) {}

  tally(row: Row): Tally {
    let t = this.tallies.get(row);
    if (t === undefined) this.tallies.set(row, (t = new Tally(row)));
    return t;
  }
}

const context = new AsyncLocalStorage<Window>();
/** The open windows (for size changes and frees, which belong to the object, not the context). */
const opened = new Set<Window>();

/** Opens a window, child of the one open in the current async context (if any). Run code in it with `within`. */
export function open(follow: boolean): Window {
  const w = new Window(context.getStore(), follow);
  opened.add(w);
  if (!state.window) {
    state.window = true;
    state.on = true;
    refreshFast();
  }
  return w;
}

/** Calls `fn` in the async context of `w`: its events, and those of what it starts, are counted there. */
export function within<T>(w: Window, fn: () => T): T {
  return context.run(w, fn);
}

/** Stops counting in `w`. The last window closed puts the switches back as `TRACED_ALLOC` (or `configure`) set them. */
export function close(w: Window): void {
  if (!w.open) return;
  w.open = false;
  opened.delete(w);
  if (opened.size === 0 && state.window) {
    state.window = false;
    state.on = state.log || state.summary || state.ndjson;
    refreshFast();
    // No window left to attribute to: AsyncLocalStorage's promise hooks go off until the next one.
    context.disable();
  }
}

/**
 * The live bytes of `w`'s objects: those whose WeakRef still holds after a full collection. Call
 * it after `close`, a turn of the event loop (WeakRefs keep their targets until the job that made
 * them ends) and the collection.
 */
export function liveAfterCollection(w: Window): void {
  for (const t of w.tallies.values()) t.live = 0;
  for (let i = 0; i < w.refs.length; i++) {
    if (w.sizes[i] > 0 && w.refs[i].deref() !== undefined) w.of[i].live += w.sizes[i];
  }
  // The references have done their work: drop them, so that a kept Window holds nothing.
  w.refs.length = w.sizes.length = w.of.length = 0;
}

// ---------------------------------------------------------------------------------------------
// What recording.ts tells the windows, only while one is open.

export function allocated(v: object, size: number, estimated: boolean, identity: boolean, row: Row): void {
  for (let w = context.getStore(); w !== undefined; w = w.parent) {
    if (!w.open) continue;
    const t = w.tally(row);
    t.allocs++;
    t.bytes += size;
    if (estimated) t.estimated = true;
    if (w.follow) {
      if (identity) w.index.set(v, w.refs.length);
      w.refs.push(new WeakRef(v));
      w.sizes.push(size);
      w.of.push(t);
    }
  }
}

export function reallocated(obj: object, movedTo: object | undefined, before: number, after: number, row: Row): void {
  for (let w = context.getStore(); w !== undefined; w = w.parent) {
    if (!w.open) continue;
    const t = w.tally(row);
    t.reallocs++;
    if (after > before) t.bytes += after - before;
  }
  // The object's new size, in every window that follows it (wherever the realloc ran).
  for (const w of opened) {
    const i = w.index.get(obj);
    if (i === undefined) continue;
    w.sizes[i] = after;
    if (movedTo !== undefined) {
      // transfer(): the allocation is the new buffer now.
      w.index.delete(obj);
      w.index.set(movedTo, i);
      w.refs[i] = new WeakRef(movedTo);
    }
  }
}

/** `Allocator.dealloc`: freed by hand, so not live whether or not it is still reachable. */
export function freed(obj: object): void {
  for (const w of opened) {
    const i = w.index.get(obj);
    if (i === undefined) continue;
    w.sizes[i] = 0;
    w.index.delete(obj);
  }
}
