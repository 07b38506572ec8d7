/**
 * What a trace says, once read: the shared model of every `traced-alloc` command (report, diff,
 * export, html, check). Made by trace.ts (`readTrace`), streaming; every command is a function of
 * a `Trace`. Plain data, JSON-serialisable. See README, "Trace format 1" and "What the numbers mean".
 */
import type { SiteStats } from "../runtime/summary";

/** A place in the user's source, relative to the trace's `root`; 1-based line and col (UTF-16 units). */
export interface Place {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/**
 * One row of the runtime's summary, per thread: the runtime's own `SiteStats` (a type only: the
 * CLI never loads the runtime), so that a trace's figures and the summary's are one shape.
 * `allocs`, `reallocs`, `bytes`, `max` exact; `deallocs`, `live` and `atPeak` exact unless
 * `sampled` (then estimates from weighted samples).
 */
export interface SiteFigures extends SiteStats {
  /** Thread the events came from (0 = main). */
  readonly thread: number;
  /**
   * Objects made here and collected before `TEMPORARY_WINDOW` more allocations happened in their
   * thread (exact lifetimes only; 0 where unknown). See trace.ts for the definition.
   */
  temporaries: number;
}

/** One thread's part of a trace: its header record and its end-of-run records, when present. */
export interface ThreadPart {
  readonly thread: number;
  readonly pid?: number;
  readonly node?: string;
  readonly argv?: readonly string[];
  /** ISO time the thread's runtime started. */
  readonly start?: string;
  readonly root?: string;
  /** The header's `lifetimes`: `{exact: N, sampleBytes: B}`, or `{exact: "all"}`. */
  readonly lifetimes?: { readonly exact: number | "all"; readonly sampleBytes?: number };
  /** The `end` record: the summary's totals, written at exit (absent when the program was killed). */
  end?: Totals;
  /** The `peak` record written at exit. */
  peak?: Peak;
  /** Whether a `sampling` record was seen: lifetimes beyond it are sampled. */
  sampling: boolean;
}

export interface Totals {
  allocs: number;
  reallocs: number;
  bytes: number;
  deallocs: number;
  live: number;
  /** deallocs, live (and peak) are estimates. */
  estimated: boolean;
}

/** The high-water mark of live bytes. */
export interface Peak {
  readonly bytes: number;
  /** When: ms since start, and allocations so far. */
  readonly t: number;
  readonly allocs: number;
  readonly estimated: boolean;
  /** Each site's bytes held at that moment, largest first. */
  readonly sites: readonly (Place & { readonly key: string; readonly kind: string; readonly bytes: number })[];
}

/** Live bytes over time (all threads of the trace), downsampled to a bounded number of points. */
export interface LivePoint {
  /** ms since start. */
  readonly t: number;
  readonly live: number;
}

export interface Trace {
  /** The file read. */
  readonly path: string;
  /** 1 for trace format 1; 0 for the earlier NDJSON (no header, no site records). */
  readonly version: 0 | 1;
  readonly threads: ThreadPart[];
  /** Every row, all threads, largest `bytes` first. */
  readonly sites: SiteFigures[];
  /** Sum over threads. */
  readonly totals: Totals;
  /** The main thread's peak record (or the one recomputed from events); undefined when nothing was live. */
  readonly peak: Peak | undefined;
  readonly timeline: readonly LivePoint[];
  /** Lines read, and events among them. */
  readonly lines: number;
  readonly events: number;
  /** The last line was cut off (the program died while writing): everything before it was read. */
  readonly truncated: boolean;
  /** Whatever the reader noticed and the user should know (a cut-off line, …), one sentence each. */
  readonly warnings: string[];
}
