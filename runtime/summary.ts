/** The summary: per-row figures at exit, and the table `summary` prints. */
import { threadId } from "node:worker_threads";
import { rows } from "./location";
import { closePeak, sampleBytes, samples, totals } from "./lifetimes";
import { EXACT_OBJECTS, state } from "./record";

/** One row of the summary: a (location, kind) and its figures. See README, "What the numbers mean". */
export interface SiteStats {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly kind: string;
  /** The stable key (`file#scope/kind#n`). */
  readonly key: string;
  allocs: number;
  reallocs: number;
  /** Bytes allocated here: allocs' sizes, and for a realloc row the growth. */
  bytes: number;
  /** Largest single allocation or reallocation. */
  max: number;
  /** Objects made here and collected (or freed by hand); an estimate when `sampled`. */
  deallocs: number;
  /** Bytes still held by objects made here; an estimate when `sampled`. */
  live: number;
  /** This row's live bytes at the run's peak; an estimate when `sampled`. */
  atPeak: number;
  /** Sizes are a model (arrays: 8 bytes an element). */
  estimated: boolean;
  /** Lifetimes here were estimated from samples. */
  sampled: boolean;
  /** Events reported at a caller's line (`@track_caller`): the site inside the marked function. */
  readonly inner?: { readonly file: string; readonly line: number; readonly col: number; readonly key: string };
}

/** The run's totals. */
export interface Totals {
  allocs: number;
  reallocs: number;
  bytes: number;
  deallocs: number;
  live: number;
  /** The high-water mark of live bytes, when (ms since start) and after how many allocations. */
  peak: number;
  peakMs: number;
  peakAllocs: number;
  /** Whether deallocs, live and peak are estimates (some objects were sampled, not all followed). */
  sampled: boolean;
  samples: number;
}

const round = (n: number) => Math.round(n);

/** Snapshot of the per-site counters, largest `bytes` first. */
export function sites(): SiteStats[] {
  closePeak();
  return rows
    .filter((r) => r.allocs > 0 || r.reallocs > 0 || r.deallocs > 0)
    .map((r) => ({
      file: r.file,
      line: r.line,
      col: r.col,
      kind: r.kind,
      key: r.key,
      allocs: r.allocs,
      reallocs: r.reallocs,
      bytes: r.bytes,
      max: r.max,
      // An estimate can pass what is possible (more deallocs than allocs): shown within bounds.
      deallocs: Math.min(round(r.deallocs), r.allocs),
      live: Math.max(0, round(r.live)),
      atPeak: Math.max(0, round(r.atPeak)),
      estimated: r.estimated,
      sampled: r.sampled,
      ...(r.inner !== undefined ? { inner: { file: r.inner.file, line: r.inner.line, col: r.inner.col, key: r.inner.key } } : {}),
    }))
    .sort((a, b) => b.bytes - a.bytes || a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col || a.kind.localeCompare(b.kind));
}

export function totalsOf(list: SiteStats[] = sites()): Totals {
  const t: Totals = { allocs: 0, reallocs: 0, bytes: 0, deallocs: 0, live: 0, peak: round(totals.peak), peakMs: totals.peakMs, peakAllocs: totals.peakAllocs, sampled: totals.sampledAny, samples };
  for (const r of list) {
    t.allocs += r.allocs;
    t.reallocs += r.reallocs;
    t.bytes += r.bytes;
    t.deallocs += r.deallocs;
    t.live += r.live;
  }
  return t;
}

export function human(n: number): string {
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

/** What a worker thread sends the main thread at its exit. */
export interface ThreadFigures {
  thread: number;
  sites: SiteStats[];
  totals: Totals;
}

/** Rows of several threads at the same place and kind, added up. */
function merge(lists: SiteStats[][]): SiteStats[] {
  const byPlace = new Map<string, SiteStats>();
  for (const list of lists) {
    for (const r of list) {
      const k = `${r.file}:${r.line}:${r.col}:${r.kind}`;
      const m = byPlace.get(k);
      if (m === undefined) byPlace.set(k, { ...r });
      else {
        for (const f of ["allocs", "reallocs", "bytes", "deallocs", "live", "atPeak"] as const) m[f] += r[f];
        m.max = Math.max(m.max, r.max);
        m.estimated ||= r.estimated;
        m.sampled ||= r.sampled;
      }
    }
  }
  return [...byPlace.values()].sort((a, b) => b.bytes - a.bytes || a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
}

/**
 * The summary table that `summary` prints at exit; with the figures of worker threads, one table
 * of every thread's sites, then a row per thread and the total.
 */
export function summaryText(workers: ThreadFigures[] = []): string {
  const own = sites();
  const list = workers.length === 0 ? own : merge([own, ...workers.map((w) => w.sites)]);
  const t = totalsOf(list);
  if (workers.length > 0) {
    // The peak of a run of several threads: each thread's own high-water mark, added (an upper bound).
    t.peak += workers.reduce((n, w) => n + w.totals.peak, 0);
    t.sampled ||= workers.some((w) => w.totals.sampled);
  }
  const est = t.sampled ? "~" : "";
  const head = ["site", "kind", "allocs", "reallocs", "bytes", "deallocs", "live", "at peak", "max"];
  const table = list.map((r) => {
    const e = r.sampled ? "~" : "";
    return [
      `${r.file}:${r.line}:${r.col}`,
      r.kind,
      String(r.allocs),
      String(r.reallocs),
      (r.estimated ? "~" : "") + String(r.bytes),
      e + String(r.deallocs),
      e + String(r.live),
      e + String(r.atPeak),
      String(r.max),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ").trimEnd() + "\n";
  const thread = threadId === 0 ? (workers.length > 0 ? ` (all ${workers.length + 1} threads)` : "") : ` (thread ${threadId})`;
  let out =
    `traced-allocator summary${thread}: ${t.allocs} allocs, ${t.reallocs} reallocs, ${est}${t.deallocs} deallocs; ` +
    `${human(t.bytes)} allocated, ${est}${human(t.live)} live at exit, peak ${est}${human(t.peak)} at ${t.peakMs.toFixed(1)} ms (sites: ${list.length})\n`;
  out += line(head);
  for (const row of table) out += line(row);
  if (workers.length > 0) {
    const mine = totalsOf(own);
    const threadRows = [{ thread: threadId, totals: mine }, ...workers.map((w) => ({ thread: w.thread, totals: w.totals }))];
    const th = ["thread", "allocs", "reallocs", "bytes", "deallocs", "live", "peak"];
    const cells = (name: string, x: Totals) => {
      const e = x.sampled ? "~" : "";
      return [name, String(x.allocs), String(x.reallocs), String(x.bytes), e + String(x.deallocs), e + String(x.live), e + String(x.peak)];
    };
    const tt = [...threadRows.map((r) => cells(r.thread === 0 ? "0 (main)" : String(r.thread), r.totals)), cells("total", t)];
    const w = th.map((h, i) => Math.max(h.length, ...tt.map((row) => row[i].length)));
    const tl = (c: string[]) => c.map((x, i) => (i === 0 ? x.padEnd(w[i]) : x.padStart(w[i]))).join("  ").trimEnd() + "\n";
    out += `threads: ${threadRows.length}\n` + tl(th);
    for (const row of tt) out += tl(row);
  }
  if (list.some((r) => r.estimated)) out += "~ in bytes: estimated size (arrays: 8 bytes an element)\n";
  if (t.sampled) {
    out +=
      `~ in deallocs, live, at peak: estimated from ${t.samples} samples (the first ${EXACT_OBJECTS} objects followed exactly, ` +
      `then one every ${human(sampleBytes)} allocated on average); TRACED_ALLOC=${state.summary ? "summary," : ""}lifetimes follows every object\n`;
  }
  return out;
}
