/**
 * `@track_caller`: a call of a marked function sets a one-slot register after its last argument
 * is evaluated; the function's prologue takes it.
 */
import { state } from "./state";
import { UNKNOWN, stack, type Location } from "./location";

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
  return s !== undefined || !state.on ? s : stack().stackLocation(take);
}

/** `Location.caller()` inside a `@track_caller` function: the passed location, else the nearest calling frame. */
export function caller(passed: Location | undefined): Location {
  return passed ?? stack().stackLocation(caller) ?? UNKNOWN;
}
