/**
 * The end of a run: the report at exit (normal end, `process.exit()`, an uncaught exception).
 * Signals are left alone: a SIGINT or SIGTERM kills a traced program exactly as an untraced one,
 * during synchronous work too; what was written until then is a readable trace.
 */
import * as v8 from "node:v8";
import * as vm from "node:vm";
import { state } from "./record";
import { exitCollectionEnds, exitCollectionStarts, following } from "./lifetimes";
import { sites, summaryText, totalsOf, type ThreadFigures } from "./summary";
import { finishingNow, flush, record, text, warn } from "./sinks";
import { tracedCodeRan } from "./location";
import { BroadcastChannel, isMainThread, threadId } from "node:worker_threads";

let installed = false;
export function installExitHooks(): void {
  if (installed) return;
  installed = true;
  process.on("exit", finish);
  process.on("beforeExit", collectBeforeExit);
  if (isMainThread) listenToWorkers();
}

/**
 * One summary for all threads: a worker sends its figures to the main thread at its exit, and the
 * main thread's summary has them (sites of every thread, a row per thread and the total). A
 * worker still running when the main thread exits is not in it.
 */
const CHANNEL = `traced-allocator:summary:${process.pid}`;
function listenToWorkers(): void {
  try {
    const ch = new BroadcastChannel(CHANNEL);
    ch.onmessage = (m) => threads.push((m as { data: ThreadFigures }).data);
    (ch as unknown as { unref(): void }).unref();
  } catch {
    // no channel: each worker's figures stay in its part of the trace
  }
}
const threads: ThreadFigures[] = [];

function sendToMain(figures: ThreadFigures): boolean {
  try {
    const ch = new BroadcastChannel(CHANNEL);
    ch.postMessage(figures);
    ch.close();
    return true;
  } catch {
    return false;
  }
}

let collected = false;
/**
 * Before "live at exit" is reported, a full garbage collection and the finalizers it leads to, so
 * that live means reachable. Done when the event loop has emptied (a normal end), and only when no
 * other `beforeExit` listener would run again because of the turn this takes.
 */
function collectBeforeExit(): void {
  if (collected || !state.on) return;
  collected = true;
  if (!following() || process.listenerCount("beforeExit") > 1) return;
  exitCollectionStarts();
  fullGC();
  // Finalization callbacks run from tasks of the event loop: two turns let them all run. (A second
  // collection would only find what those callbacks let go; ours let go of nothing.)
  setImmediate(() => setTimeout(() => undefined, 0));
}

let gcFn: (() => void) | undefined;
export function fullGC(): void {
  try {
    if (gcFn === undefined) {
      const own = (globalThis as { gc?: () => void }).gc;
      if (typeof own === "function") gcFn = own;
      else {
        v8.setFlagsFromString("--expose-gc");
        gcFn = vm.runInNewContext("gc") as () => void;
      }
    }
    gcFn();
  } catch {
    // no collection: live at exit may include garbage not yet collected
  }
}

/** Set once the exit report is written: later events (other `exit` listeners) are written at once. */
let finished = false;
function finish(): void {
  if (finished) return;
  finished = true;
  exitCollectionEnds();
  finishingNow();
  // The runtime loaded (the program imports it, or a test helper does), but no module built with the
  // transformer ran: its allocations are not traced, and would otherwise go missing without a word.
  if (isMainThread && threads.length === 0 && !tracedCodeRan()) {
    warn(
      "TRACED_ALLOC is set, but no module built with traced-allocator's transformer ran in the main thread, so none of its allocation sites is traced " +
        "(only what the Allocator API records). Build with 'npx traced-alloc build', tspc with the plugins entry, a loader hook or the bundler plugin (README: Troubleshooting).",
    );
  }
  if (state.summary) {
    if (isMainThread) text(summaryText(threads));
    else if (!sendToMain({ thread: threadId, sites: sites(), totals: totalsOf() })) text(summaryText());
  }
  if (state.ndjson) {
    // The figures the summary prints, for readers of the trace: the end's totals and the peak
    // with each site's share of it (by stable key).
    const list = sites();
    const t = totalsOf(list);
    const est = t.sampled;
    record({ end: { allocs: t.allocs, reallocs: t.reallocs, bytes: t.bytes, deallocs: t.deallocs, live: t.live, estimated: est }, thread: threadId });
    const held = list.filter((r) => r.atPeak > 0).map((r) => ({ key: r.key, file: r.file, line: r.line, col: r.col, kind: r.kind, bytes: r.atPeak }));
    record({ peak: { bytes: t.peak, t: Math.round(t.peakMs * 1000) / 1000, allocs: t.peakAllocs, estimated: est, sites: held }, thread: threadId });
  }
  flush();
  // The ndjson file stays open (the process is ending): `exit` listeners that run after this one
  // may still record events, and closing would let the descriptor be reused for another file.
}
