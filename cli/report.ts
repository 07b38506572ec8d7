/**
 * `traced-alloc report <trace>`: the questions users ask of a trace, in one screen — the totals,
 * the top sites, the peak (when, how high, who held it), what was live at exit (leaks), the
 * short-lived temporaries, and per-thread totals. `--json` gives the same as one object (shape in
 * `ReportJson`). The figures are the runtime's summary's for the same run; `~` marks estimates.
 */
import type { Command, Io } from "./command";
import type { Peak, SiteFigures, Trace, Totals } from "./model";
import { parse } from "./args";
import { at, columns, est, human, ms, percent, plural, table } from "./format";
import { TEMPORARY_WINDOW, readTrace } from "./trace";
import * as path from "node:path";

export const BY = ["site", "key", "file", "kind"] as const;
export type By = (typeof BY)[number];
export const SORT = ["bytes", "allocs", "peak", "live"] as const;
export type Sort = (typeof SORT)[number];

/** Rows of the trace added up by site, key, file or kind. */
export interface Group {
  /** What the rows have in common, as shown: `src/a.ts:3:7 new Uint8Array`, a key, a file, a kind. */
  readonly id: string;
  /** The place (by site, key: the largest row's), kind, key; absent where rows differ in it (by file, kind). */
  readonly file?: string;
  readonly line?: number;
  readonly col?: number;
  readonly kind?: string;
  readonly key?: string;
  readonly inner?: SiteFigures["inner"];
  /** Threads the rows came from. */
  readonly threads: number[];
  /** Rows added up (one per thread and site record). */
  rows: number;
  /** Distinct places (file:line:col) among them. */
  places: number;
  allocs: number;
  reallocs: number;
  bytes: number;
  max: number;
  deallocs: number;
  live: number;
  atPeak: number;
  temporaries: number;
  estimated: boolean;
  sampled: boolean;
}

/** The grouping id of a row. By site: place and kind, and the inner site of a `@track_caller` row (as the summary has one row each). */
function idOf(r: SiteFigures, by: By): string {
  switch (by) {
    case "site":
      return `${at(r)} ${r.kind}${r.inner !== undefined ? ` via ${at(r.inner)}` : ""}`;
    case "key":
      return r.key;
    case "file":
      return r.file;
    case "kind":
      return r.kind;
  }
}

/** The rows of `sites` (largest bytes first, as in a Trace) added up by `by`. */
export function group(sites: readonly SiteFigures[], by: By): Group[] {
  const groups = new Map<string, Group & { threads: number[] }>();
  const places = new Map<string, Set<string>>();
  for (const r of sites) {
    const id = idOf(r, by);
    const g = groups.get(id);
    let ps = places.get(id);
    if (ps === undefined) places.set(id, (ps = new Set()));
    ps.add(at(r));
    if (g === undefined) {
      const place = by === "site" || by === "key" ? { file: r.file, line: r.line, col: r.col, kind: r.kind, key: r.key, ...(r.inner !== undefined ? { inner: r.inner } : {}) } : by === "file" ? { file: r.file } : { kind: r.kind };
      groups.set(id, {
        id,
        ...place,
        threads: [r.thread],
        rows: 1,
        places: 1,
        allocs: r.allocs,
        reallocs: r.reallocs,
        bytes: r.bytes,
        max: r.max,
        deallocs: r.deallocs,
        live: r.live,
        atPeak: r.atPeak,
        temporaries: r.temporaries,
        estimated: r.estimated,
        sampled: r.sampled,
      });
      continue;
    }
    g.rows++;
    if (!g.threads.includes(r.thread)) g.threads.push(r.thread);
    for (const f of ["allocs", "reallocs", "bytes", "deallocs", "live", "atPeak", "temporaries"] as const) g[f] += r[f];
    g.max = Math.max(g.max, r.max);
    g.estimated ||= r.estimated;
    g.sampled ||= r.sampled;
  }
  for (const g of groups.values()) {
    g.threads.sort((a, b) => a - b);
    g.places = places.get(g.id)!.size;
  }
  return [...groups.values()];
}

const FIELD: Record<Sort, "bytes" | "allocs" | "atPeak" | "live"> = { bytes: "bytes", allocs: "allocs", peak: "atPeak", live: "live" };

/** Largest `sort` figure first; ties by bytes, then allocations, then id. */
export function sorted(groups: Group[], sort: Sort): Group[] {
  const f = FIELD[sort];
  return [...groups].sort((a, b) => b[f] - a[f] || b.bytes - a.bytes || b.allocs - a.allocs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** A thread's totals and peak, as the summary's table of threads. */
export interface ThreadTotals extends Totals {
  readonly thread: number;
  /** Its high-water mark of live bytes (null when nothing it made was followed). */
  readonly peak: number | null;
  /** When, ms since that thread started. */
  readonly peakT: number | null;
}

/** The shape of `report --json`. */
export interface ReportJson {
  readonly trace: { path: string; version: 0 | 1; lines: number; events: number; truncated: boolean; threads: number };
  readonly by: By;
  readonly sort: Sort;
  /** Rows listed at most (0: all). */
  readonly top: number;
  /** The whole run (all threads): the end records' totals, or recomputed. */
  readonly totals: Totals;
  /** The main thread's peak: bytes, t (ms), allocs (allocations before it), estimated, sites (who held it, largest first). */
  readonly peak: Peak | null;
  /** With several threads: each thread's peak added up, an upper bound of the run's (as the summary's header). */
  readonly peakAllThreads: number | null;
  /** Every group (before --top). */
  readonly count: number;
  readonly sites: Group[];
  /** Groups with live bytes at exit, largest first. */
  readonly leaks: Group[];
  readonly temporaries: {
    /** An object is temporary when it is freed before this many more allocations in its thread. */
    readonly window: number;
    /** Lifetimes were sampled somewhere (only objects followed exactly are counted). */
    readonly sampled: boolean;
    readonly total: number;
    readonly sites: Group[];
  };
  readonly threads: ThreadTotals[];
  readonly warnings: string[];
}

/** Each thread's totals: its end record, or (a killed program) the sums of its rows; and its peak (the record, or recomputed). */
export function threadTotals(trace: Trace): ThreadTotals[] {
  return trace.threads.map((p) => {
    let t = p.end;
    if (t === undefined) {
      const rows = trace.sites.filter((r) => r.thread === p.thread);
      t = { allocs: 0, reallocs: 0, bytes: 0, deallocs: 0, live: 0, estimated: rows.some((r) => r.sampled) };
      for (const r of rows) for (const f of ["allocs", "reallocs", "bytes", "deallocs", "live"] as const) t[f] += r[f];
    }
    return { thread: p.thread, ...t, peak: p.peak?.bytes ?? null, peakT: p.peak?.t ?? null };
  });
}

export function reportJson(trace: Trace, by: By, sort: Sort, top: number): ReportJson {
  const all = sorted(group(trace.sites, by), sort);
  const limit = <T>(list: T[]) => (top > 0 ? list.slice(0, top) : list);
  const threads = threadTotals(trace);
  const temps = group(trace.sites, by).filter((g) => g.temporaries > 0);
  temps.sort((a, b) => b.temporaries - a.temporaries || b.bytes - a.bytes);
  return {
    trace: { path: trace.path, version: trace.version, lines: trace.lines, events: trace.events, truncated: trace.truncated, threads: trace.threads.length },
    by,
    sort,
    top,
    totals: trace.totals,
    peak: trace.peak ?? null,
    peakAllThreads: threads.length > 1 ? threads.reduce((n, t) => n + (t.peak ?? 0), 0) : null,
    count: all.length,
    sites: limit(all),
    leaks: limit(sorted(all.filter((g) => g.live > 0), "live")),
    temporaries: {
      window: TEMPORARY_WINDOW,
      sampled: trace.threads.some((p) => p.sampling),
      total: temps.reduce((n, g) => n + g.temporaries, 0),
      sites: limit(temps),
    },
    threads,
    warnings: trace.warnings,
  };
}

// ---------------------------------------------------------------------------------------------
// Text

/** A path as the user would type it: relative to `cwd` when under it. */
export function shown(file: string, cwd: string): string {
  const r = path.relative(cwd, file);
  return r === "" || r.startsWith("..") || path.isAbsolute(r) ? file : r;
}

/** How a group is named in a table: its place (and the inner site of a `@track_caller` row), or its key, file, kind. */
function nameCells(g: Group, by: By): string[] {
  switch (by) {
    case "site":
      return [`${at(g as Required<Group>)}${g.inner !== undefined ? ` via ${at(g.inner)}` : ""}`, g.kind!];
    case "key":
      return [g.key!, `${at(g as Required<Group>)}${g.places > 1 ? ` (and ${plural(g.places - 1, "other place")})` : ""}`];
    case "file":
      return [g.file!];
    case "kind":
      return [g.kind!];
  }
}
const NAME_HEAD: Record<By, string[]> = { site: ["site", "kind"], key: ["key", "at"], file: ["file"], kind: ["kind"] };

/** The header line: the summary's, with estimates marked. */
export function totalsLine(trace: Trace, j: ReportJson): string {
  const t = trace.totals;
  const e = est(t.estimated);
  let line = `${t.allocs} allocs, ${t.reallocs} reallocs, ${e}${t.deallocs} deallocs; ${human(t.bytes)} allocated, ${e}${human(t.live)} live at exit`;
  const p = trace.peak;
  if (j.peakAllThreads !== null) {
    // As the summary of several threads: each thread's peak, added (an upper bound of the run's).
    line += `, peak ≤ ${e}${human(j.peakAllThreads)} (${trace.threads.length} threads' peaks added`;
    line += p !== undefined ? `; the main thread's: ${est(p.estimated)}${human(p.bytes)} at ${ms(p.t)})` : ")";
  } else if (p !== undefined) line += `, peak ${est(p.estimated)}${human(p.bytes)} at ${ms(p.t)}`;
  else line += ", no peak (nothing followed was live)";
  // As the summary: rows by place and kind, whatever --by says.
  return `${line} (sites: ${j.by === "site" ? j.count : group(trace.sites, "site").length})\n`;
}

export function reportText(trace: Trace, j: ReportJson, cwd: string): string {
  const { by, sort } = j;
  const shownPath = shown(trace.path, cwd);
  const main = trace.threads.find((p) => p.thread === 0) ?? trace.threads[0];
  const about = [
    `format ${trace.version === 1 ? "1" : "0 (the earlier NDJSON)"}`,
    plural(trace.threads.length, "thread"),
    plural(trace.events, "event"),
    ...(main?.pid !== undefined ? [`pid ${main.pid}`] : []),
    ...(main?.node !== undefined ? [`node ${main.node}`] : []),
    ...(trace.truncated ? ["cut short"] : []),
  ];
  let out = `traced-alloc report: ${shownPath} (${about.join(", ")})\n`;
  out += totalsLine(trace, j);

  // Top sites.
  const sortName = { bytes: "bytes", allocs: "allocations", peak: "bytes at peak", live: "live bytes" }[sort];
  out += `\ntop ${j.sites.length} of ${plural(j.count, by === "site" ? "site" : by)} by ${sortName}${by === "site" ? "" : ` (--by ${by})`}:\n`;
  if (j.sites.length > 0) {
    const head = [...NAME_HEAD[by], "allocs", "reallocs", "bytes", "deallocs", "live", "at peak", "max"];
    const rows = j.sites.map((g) => {
      const e = est(g.sampled);
      return [...nameCells(g, by), String(g.allocs), String(g.reallocs), est(g.estimated) + human(g.bytes), e + String(g.deallocs), e + human(g.live), e + human(g.atPeak), human(g.max)];
    });
    out += table(head, rows, NAME_HEAD[by].length, "  ");
  }

  // The peak.
  const p = trace.peak;
  out += "\n";
  if (p === undefined) out += "peak: none (no object followed to its death was live)\n";
  else {
    const e = est(p.estimated);
    out += `peak${j.peakAllThreads !== null ? " (main thread)" : ""}: ${e}${human(p.bytes)} at ${ms(p.t)}, after ${plural(p.allocs, "allocation")}; held by:\n`;
    const shown = p.sites.slice(0, 5);
    out += columns(shown.map((s) => [e + human(s.bytes), percent(s.bytes, p.bytes), at(s), s.kind]), "rrll", "  ");
    if (p.sites.length > shown.length) out += `  … and ${p.sites.length - shown.length} more sites\n`;
  }

  // Live at exit.
  const t = trace.totals;
  out += "\n";
  if (j.leaks.length === 0) out += `live at exit: nothing${t.estimated ? " (~)" : ""}\n`;
  else {
    const n = group(trace.sites, by).filter((g) => g.live > 0).length;
    out += `live at exit (leaks): ${est(t.estimated)}${human(t.live)} in ${plural(n, by === "site" ? "site" : by)}, largest first:\n`;
    out += columns(
      j.leaks.slice(0, 5).map((g) => [est(g.sampled) + human(g.live), ...nameCells(g, by), `${g.allocs} allocs`, `${est(g.sampled)}${g.deallocs} freed`]),
      "r" + "l".repeat(NAME_HEAD[by].length) + "rr",
      "  ",
    );
    if (n > 5) out += `  … and ${n - 5} more (--sort live, --json)\n`;
  }

  // Temporaries.
  const tm = j.temporaries;
  const rule = `freed within ${TEMPORARY_WINDOW} allocations of their thread${tm.sampled ? "; lifetimes were sampled: only objects followed exactly count" : ""}`;
  out += "\n";
  if (tm.total === 0) out += `temporaries (${rule}): none seen\n`;
  else {
    out += `temporaries (${rule}): ${tm.total}, most first:\n`;
    out += columns(
      tm.sites.slice(0, 5).map((g) => [String(g.temporaries), ...nameCells(g, by), `${percent(g.temporaries, g.allocs)} of ${g.allocs} allocs`]),
      "r" + "l".repeat(NAME_HEAD[by].length) + "r",
      "  ",
    );
    if (tm.sites.length > 5) out += `  … and ${tm.sites.length - 5} more (--json)\n`;
  }

  // Threads.
  if (j.threads.length > 1) {
    out += `\nthreads: ${j.threads.length}\n`;
    const cells = (name: string, x: Totals, peak: number | null) => {
      const e = est(x.estimated);
      return [name, String(x.allocs), String(x.reallocs), human(x.bytes), e + String(x.deallocs), e + human(x.live), peak === null ? "-" : e + human(peak)];
    };
    const rows = j.threads.map((x) => cells(x.thread === 0 ? "0 (main)" : String(x.thread), x, x.peak));
    rows.push(cells("total", t, j.peakAllThreads));
    out += table(["thread", "allocs", "reallocs", "bytes", "deallocs", "live", "peak"], rows, 1, "  ");
  }

  if (trace.sites.some((r) => r.estimated) || t.estimated) out += "\n";
  if (trace.sites.some((r) => r.estimated)) out += "~ in bytes: estimated size (arrays: 8 bytes an element)\n";
  if (t.estimated) {
    const lt = main?.lifetimes;
    const exact = typeof lt?.exact === "number" ? `the first ${lt.exact} objects of each thread followed exactly, then samples` : "sampled";
    out += `~ in deallocs, live, at peak: estimated (${exact}); TRACED_ALLOC=…,lifetimes follows every object\n`;
  }
  return out;
}

export const HELP = `Usage: traced-alloc report <trace> [--by site|key|file|kind] [--sort bytes|allocs|peak|live] [--top N] [--json]

What a trace (TRACED_ALLOC=ndjson=<path>) says, in one screen: the totals, the top sites, the
peak (when, how high, which sites held it), what was live at exit (leaks), short-lived
temporaries, and per-thread totals. The figures are those of the runtime's summary for the same
run; ~ marks estimates (lifetimes sampled beyond the first objects, arrays' sizes).

Options:
  --by site|key|file|kind   one row per place and kind, as the summary (default); per stable
                            key (merged across threads and places); per file; per kind
  --sort bytes|allocs|peak|live
                            largest first by bytes allocated (default), allocations, bytes held
                            at the peak, bytes live at exit
  --top N                   rows per table (default 20; 0: all)
  --json                    one JSON object: trace, totals, peak, sites, leaks, temporaries,
                            threads, warnings
  -h, --help                this text

A temporary is an object freed (collected) before ${TEMPORARY_WINDOW} more allocations happened in its
thread, among objects followed exactly; objects freed only after the thread's last allocation
(the collection at exit) are not counted. A dealloc is written when the object's finalizer runs,
after the collection: fewer temporaries are found than there are, never more.

Exit status: 0, or 2 for bad usage or a trace that cannot be read.
`;

export const command: Command = {
  name: "report",
  summary: "top sites, the peak, leaks, temporaries and threads of a trace",
  help: HELP,
  async run(args: string[], io: Io): Promise<number> {
    const a = parse("report", args, {
      by: { type: "string", choices: BY, default: "site" },
      sort: { type: "string", choices: SORT, default: "bytes" },
      top: { type: "string", integer: true, default: "20" },
      json: { type: "boolean", default: false },
    }, ["trace"]);
    if (a.help) {
      io.out(HELP);
      return 0;
    }
    const json = a.options.json === true;
    const trace = await readTrace(path.resolve(io.cwd, a.positionals[0]), { name: a.positionals[0], onWarning: (m) => io.err(`traced-alloc: warning: ${m}\n`) });
    const j = reportJson(trace, a.options.by as By, a.options.sort as Sort, a.options.top as number);
    io.out(json ? JSON.stringify(j, null, 2) + "\n" : reportText(trace, j, io.cwd));
    return 0;
  },
};
