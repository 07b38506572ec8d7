/**
 * traced-allocator/test: what a function allocates, measured exactly, for assertions in tests.
 *
 * `measure(fn)` runs `fn` (sync or async) in a measuring window (runtime/window.ts) and returns
 * what it allocated at sites compiled with the plugin: counts and bytes exact, every object
 * followed (no sampling, no bound, whatever `TRACED_ALLOC` says), and `live` after a full garbage
 * collection. Only code built with traced-allocator/transformer is seen.
 */
import * as W from "../runtime/window";
import { fullGC } from "../runtime/exit";
import type { SiteStats } from "../runtime/summary";

/**
 * One site's share of a window: a place, what was called there (`kind`), its stable key (for a
 * `@track_caller` caller's line, `callerKey>innerKey`), and its counts; the same fields as a row
 * of the summary (runtime `SiteStats`, README "What the numbers mean").
 */
export type SiteCounts = Pick<SiteStats, "file" | "line" | "col" | "kind" | "key" | "allocs" | "bytes" | "reallocs" | "estimated">;

export interface SiteMeasurement extends SiteCounts {
  /** Bytes of the objects allocated here by `fn` that are still reachable after a full collection. */
  live: number;
}

/** What `count(fn)` returns: `measure` without `live`. Sites largest `bytes` first. */
export interface Counts {
  allocs: number;
  bytes: number;
  reallocs: number;
  sites: SiteCounts[];
}

/** What `measure(fn)` returns. Sites largest `bytes` first. */
export interface Measurement extends Counts {
  /** Bytes allocated by `fn` still reachable once it has settled, after a full collection (its return value excluded). */
  live: number;
  sites: SiteMeasurement[];
}

/**
 * Runs `fn` (sync or async: a returned promise is awaited) and returns what it allocated, with
 * `live`: the bytes of those objects still reachable after `fn` settled, one turn of the event
 * loop and a full garbage collection (no `--expose-gc` needed). Always a promise, since that turn
 * is needed even for a synchronous `fn`. `fn`'s return value is dropped before the collection.
 * Rejects with `fn`'s error if it throws or rejects.
 */
export async function measure(fn: () => unknown): Promise<Measurement> {
  const w = W.open(true);
  await settle(w, fn);
  return (await finish(w)) as Measurement;
}

/**
 * The same as `measure` without `live`: no object is followed and nothing is collected, so it is
 * cheaper (what the assertions use when no limit on `live` is asked for).
 */
export async function count(fn: () => unknown): Promise<Counts> {
  const w = W.open(false);
  await settle(w, fn);
  return finish(w);
}

/** Runs `fn` in `w` until it settles, then closes `w`. Holds no reference to `fn`'s result afterwards. */
async function settle(w: W.Window, fn: () => unknown): Promise<void> {
  if (typeof fn !== "function") {
    W.close(w);
    throw new TypeError(`expected a function to measure, got ${fn === null ? "null" : typeof fn}`);
  }
  try {
    let result: unknown = W.within(w, fn);
    if (isThenable(result)) await result;
    result = undefined;
  } finally {
    W.close(w);
  }
}

/**
 * For the plugins, which run a test's function themselves (a done-callback, a synchronous throw
 * passed on as it is): `open(follow)` a window, run code in it with `within`, and when it is
 * done, `finish(w)`: closes it and returns its figures (with `live` when it follows objects).
 */
export const windows = { open: W.open, within: W.within, close: W.close };

export async function finish(w: W.Window): Promise<Counts | Measurement> {
  W.close(w);
  if (w.follow) {
    // A WeakRef keeps its target until the job that made it ends: let it end, then collect.
    await new Promise<void>((resolve) => setImmediate(resolve));
    fullGC();
    W.liveAfterCollection(w);
  }
  return figures(w, w.follow);
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === "object" || typeof v === "function") && typeof (v as { then?: unknown }).then === "function";
}

function figures(w: W.Window, withLive: boolean): Counts | Measurement {
  const sites: (SiteCounts | SiteMeasurement)[] = [];
  let allocs = 0;
  let bytes = 0;
  let reallocs = 0;
  let live = 0;
  for (const t of w.tallies.values()) {
    const r = t.row;
    const s: SiteCounts = { file: r.file, line: r.line, col: r.col, kind: r.kind, key: r.key, allocs: t.allocs, bytes: t.bytes, reallocs: t.reallocs, estimated: t.estimated };
    if (withLive) (s as SiteMeasurement).live = t.live;
    sites.push(s);
    allocs += t.allocs;
    bytes += t.bytes;
    reallocs += t.reallocs;
    live += t.live;
  }
  sites.sort(bySize);
  return withLive ? { allocs, bytes, reallocs, live, sites: sites as SiteMeasurement[] } : { allocs, bytes, reallocs, sites };
}

/** Largest bytes first, then by place and kind: the order of the runtime's summary, stable across runs. */
function bySize(a: SiteCounts, b: SiteCounts): number {
  return (
    b.bytes - a.bytes ||
    b.allocs - a.allocs ||
    b.reallocs - a.reallocs ||
    (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
    a.line - b.line ||
    a.col - b.col ||
    (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0) ||
    (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
  );
}
