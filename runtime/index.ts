/**
 * traced-allocator/runtime: what transformed code calls, and the public API.
 *
 * Transformed code keeps every allocating expression where it was and hands its result to `alloc`
 * together with a hoisted site (file, line, col, kind): the location is a literal written by the
 * compiler, so nothing here ever walks the stack on the hot path. With tracing off, each entry point
 * costs one boolean check.
 *
 * The rooms: location.ts (locations, sites, rows, the project root), record.ts (the hot path:
 * switches, allocation entry points, the `@track_caller` slot), allocator.ts (user allocators);
 * loaded when tracing starts: recording.ts (measuring and counting), lifetimes.ts (following
 * objects to their death, sampling, the peak), sinks.ts (log and trace file), summary.ts, exit.ts,
 * stack.ts (stack-trace locations); loaded by the first measuring window of traced-allocator/test:
 * window.ts. This file: configuration and what the package exports.
 *
 * This module never imports TypeScript.
 */
import * as N from "./names";
import { GLOBAL_HOOK } from "./names";
import * as L from "./location";
import * as A from "./allocator";
import * as R from "./record";
import { state } from "./record";
import type { SiteStats, Totals } from "./summary";

// What only tracing needs is loaded when tracing starts (or when asked for): with tracing off, a
// traced program loads names, location, record and allocator, nothing else.
type Sinks = typeof import("./sinks");
let S: Sinks | undefined;
const sinks = (): Sinks => (S ??= require("./sinks") as Sinks);
const summary = () => require("./summary") as typeof import("./summary");

// Re-exported as aliases, which compile to plain assignments: `export { X } from` compiles to
// accessors, and a module object with more than a dozen of them turns into a dictionary, which
// makes every `__ta.alloc` of transformed code a hash lookup (~100 instructions with tracing off).
export import Rule = N.Rule;
export import Location = L.Location;
export import Layout = L.Layout;
export import Site = L.Site;
export import Allocator = A.Allocator;

// What transformed code calls, as plain properties of this module (`export { x } from` would
// compile to a getter, run at every call).
export const site = L.site;
export const intern = L.intern;
export const file = L.file;
export const alloc = R.alloc;
export const allocFrom = R.allocFrom;
export const realloc = R.realloc;
export const at = R.at;
export const none = R.none;
export const take = R.take;
export const caller = R.caller;
export type { SiteStats, Totals } from "./summary";

/** Snapshot of the per-site counters, largest `bytes` first. */
export function sites(): SiteStats[] {
  return summary().sites();
}

/** The run's totals (of `sites()`, or of the list given). */
export function totalsOf(list?: SiteStats[]): Totals {
  return summary().totalsOf(list);
}

/** The summary table that `summary` prints at exit. */
export function summaryText(): string {
  return summary().summaryText();
}

/** Writes out everything buffered. Called automatically at exit; safe to call any time. */
export function flush(): void {
  if (S !== undefined) S.flush();
}

/** A full garbage collection, without the program needing --expose-gc. Finalizers run later, when the event loop turns. */
export function fullGC(): void {
  (require("./exit") as typeof import("./exit")).fullGC();
}

/** What to record. `TRACED_ALLOC=log,summary,ndjson=trace.ndjson` is the same as `{log: true, summary: true, ndjson: "trace.ndjson"}`. */
export interface TracerConfig {
  /** One line per event on stderr. */
  log?: boolean;
  /** A table of sites at exit on stderr. */
  summary?: boolean;
  /** One JSON object per event, one per line, to this file (`false` or `undefined`: none). */
  ndjson?: string | false;
  /** Follow every object to its death exactly (no bound, no sampling). */
  lifetimes?: boolean;
}

const ACCEPTED = "accepted: log, summary, ndjson=<path>, lifetimes, off";

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
    else if (word === "lifetimes") config.lifetimes = true;
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
    if (parsed.errors.length > 0) sinks().warn(`configure: ${parsed.errors.join("; ")}`);
    config = parsed.config;
  }
  if (S === undefined && !(config.log || config.summary || config.ndjson)) {
    state.log = state.summary = false; // nothing was ever on
    state.on = state.window; // an open measuring window (window.ts) keeps recording on
    return;
  }
  const out = sinks();
  out.flush();
  // `%p` in the path is the process id: child processes that inherit TRACED_ALLOC get files of their own.
  out.openTrace(config.ndjson ? config.ndjson.replace(/%p/g, String(process.pid)) : undefined);
  state.log = config.log === true;
  state.summary = config.summary === true;
  state.lifetimes = config.lifetimes === true;
  state.on = state.log || state.summary || state.ndjson || state.window;
  R.refreshFast();
  if (state.log || state.summary || state.ndjson) (require("./exit") as typeof import("./exit")).installExitHooks();
}

/** The current configuration. */
export function currentConfig(): TracerConfig {
  return { log: state.log, summary: state.summary, ndjson: S?.tracePath() ?? false, lifetimes: state.lifetimes };
}

/** Whether anything is being recorded. */
export function enabled(): boolean {
  return state.on;
}

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

// Start from the environment.
{
  const { config, errors } = parseSwitch(process.env.TRACED_ALLOC);
  if (errors.length > 0) sinks().warn(`TRACED_ALLOC: ${errors.join("; ")}`);
  if (config.log || config.summary || config.ndjson) configure(config);
}

/**
 * The package root as a ts-patch plugin (`"transform": "traced-allocator"` in a tsconfig): its
 * default export is the transformer of traced-allocator/transformer, loaded only when ts-patch
 * calls it. It is loaded through Node's createRequire, which bundlers do not follow, so a bundle of
 * the runtime never takes in the transformer or TypeScript (checked with esbuild by
 * test/runtime.test.mjs).
 *
 * Defined last, and not by assignment: Vitest runs a CommonJS module it inlines with an `exports`
 * proxy that makes an assigned `exports.default` the module itself, so every later export would be
 * set on the function (a TypeError for `caller`).
 */
function tsPatchTransformer(...args: unknown[]): unknown {
  const { createRequire } = (process as unknown as { getBuiltinModule(id: "node:module"): typeof import("node:module") }).getBuiltinModule("node:module");
  const load = createRequire(__filename);
  return (load("../transformer/index.js") as { default: (...a: unknown[]) => unknown }).default(...args);
}
Object.defineProperty(exports, "default", { value: tsPatchTransformer, enumerable: true, writable: true, configurable: true });
