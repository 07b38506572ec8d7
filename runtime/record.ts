/**
 * The hot path, in one place: the switches, what transformed code calls at each allocation site,
 * and the `@track_caller` slot. With tracing off, each entry point costs one check and nothing
 * else of the runtime is loaded (recording.ts and the rest come when tracing starts).
 */
import { types as utilTypes } from "node:util";
import { UNKNOWN, stack, type Location, type Site } from "./location";
import { Rule } from "./names";

/** What is being recorded: read on every event, set by `configure`. One object, so that every room sees the same switches. */
const state = {
  /** Anything at all is recorded. */
  on: false,
  /** `log`: one line per event on stderr. */
  log: false,
  /** `summary`: the table at exit. */
  summary: false,
  /** An ndjson trace file is open. */
  ndjson: false,
  /** `lifetimes`: follow every object to its death (no bound, no sampling). */
  lifetimes: false,
  /**
   * A measuring window is open (`measure(fn)` of traced-allocator/test, window.ts): `on` stays
   * set while it is, whatever `TRACED_ALLOC` says, and the recording room tells the window of
   * each event (one check there; nothing here).
   */
  window: false,
};

/** Objects followed exactly to their death before sampling begins (per thread), unless `lifetimes`. */
export const EXACT_OBJECTS = 8192;
/**
 * Beyond that, one sample on average every this many bytes allocated (byte-weighted, as V8's and
 * Go's heap profilers). Doubled whenever more than MAX_PENDING samples wait for their collection,
 * so that memory stays bounded in synchronous code.
 */
export const SAMPLE_BYTES = 16 * 1024;
export const MAX_PENDING = 65536;

/**
 * Following objects: `exactLeft` objects still followed exactly (-1 once the bound was passed),
 * `until` bytes before the next sample, `allocs` so far; `fast` when nothing but the summary's
 * counters is wanted for an object that is not followed (summary only, the bound passed): then
 * `alloc` counts a typed array itself, without a call (lifetimes.ts decides the rest).
 */
const sampler = { exactLeft: EXACT_OBJECTS, until: 0, allocs: 0, fast: false };

/** After a change of the switches or of the bound. */
export function refreshFast(): void {
  // Whoever set `on` from the output switches (sinks.ts's flush, configure), an open window keeps it.
  if (state.window) state.on = true;
  sampler.fast = state.on && state.summary && !state.log && !state.ndjson && !state.lifetimes && !state.window && sampler.exactLeft < 0;
}

// ---------------------------------------------------------------------------------------------
// Allocation sites

type Recording = typeof import("./recording");
let R: Recording | undefined;
/** The recording room, loaded the first time something is recorded. */
const recording = (): Recording => (R ??= require("./recording") as Recording);
const TYPED = Rule.Typed;
// Exported by name, not as `export const`: inside this module they stay plain bindings (an
// `export const` compiles to `exports.x` at every use, a property load on the hot path).
export { state, sampler, recording };

/**
 * `expr` was `new ArrayBuffer(n)`, `Buffer.alloc(n)`, …: records its result and returns it.
 * `caller` is set inside `@track_caller` functions. Transformed code only.
 */
export function alloc<T>(site: Site, value: T, caller?: Location): T {
  if (state.on) {
    // The most frequent case of a large run, counted here: a typed array at its own site's row,
    // not followed, summary only.
    const r = site.row;
    if (sampler.fast && r !== undefined && caller === undefined && site.rule === TYPED && typeof value === "object" && value !== null) {
      const size = (value as unknown as Uint8Array).byteLength;
      if ((sampler.until -= size) > 0) {
        r.allocs++;
        r.bytes += size;
        if (size > r.max) r.max = size;
        sampler.allocs++;
        return value;
      }
      sampler.until += size; // the next sample: recording.ts counts it
    }
    recording().record(site, value, caller);
  }
  return value;
}

/** A typed array built from an argument that may be a buffer, in which case it is a view and not recorded. */
export function allocFrom<T>(site: Site, value: T, first: unknown, caller?: Location): T {
  if (state.on && !utilTypes.isAnyArrayBuffer(first)) recording().record(site, value, caller);
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
  if (!state.on) return fn.call(receiver, arg);
  return recording().reallocCall(site, receiver, fn, arg, caller);
}

// ---------------------------------------------------------------------------------------------
// `@track_caller`: a call of a marked function sets a one-slot register after its last argument
// is evaluated; the function's prologue takes it.

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
  if (s !== undefined || !state.on) return s;
  // Not `return stack().stackLocation(take)`, nor `const x = …; return x`: JavaScriptCore (Bun)
  // drops the frame of a function that returns a call's result as it is (a tail call), and the
  // stack walk looks for take's frame. Any use of the result after the call keeps it.
  const found = stack().stackLocation(take);
  if (found === undefined) return undefined;
  return found;
}

/** `Location.caller()` inside a `@track_caller` function: the passed location, else the nearest calling frame. */
export function caller(passed: Location | undefined): Location {
  return passed ?? stack().stackLocation(caller) ?? UNKNOWN;
}
