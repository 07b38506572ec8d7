/**
 * The hot path: what transformed code calls at each allocation site. With tracing off, each entry
 * point costs one check, and nothing else of the runtime is loaded; with tracing on, recording.ts.
 */
import { types as utilTypes } from "node:util";
import { state } from "./state";
import type { Location, Site } from "./location";

type Recording = typeof import("./recording");
let R: Recording | undefined;
/** The recording room, loaded the first time something is recorded. */
export const recording = (): Recording => (R ??= require("./recording") as Recording);

/**
 * `expr` was `new ArrayBuffer(n)`, `Buffer.alloc(n)`, …: records its result and returns it.
 * `caller` is set inside `@track_caller` functions. Transformed code only.
 */
export function alloc<T>(site: Site, value: T, caller?: Location): T {
  if (state.on) recording().record(site, value, caller);
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
