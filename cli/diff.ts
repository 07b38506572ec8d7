/**
 * `traced-alloc diff <base> <head>`: two traces compared site by site. Rows are first added up by
 * stable key (across threads and places), then matched by key, so a site moved by unrelated edits
 * (lines added above it) is the same site: unchanged unless what it allocates changed. A site is
 * `changed` when its allocs, reallocs or bytes (the exact figures) differ; `new` and `gone` are
 * keys only in head or only in base. Largest |Δbytes| first. `--json` gives `DiffJson`.
 */
import * as path from "node:path";
import type { Command, Io } from "./command";
import type { Totals, Trace } from "./model";
import { parse } from "./args";
import { at, est, human, plural, relative, signed, table } from "./format";
import { group, shown, threadTotals, type Group } from "./report";
import { readTrace } from "./trace";

/** One side of a site in the diff. */
export interface Side {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly allocs: number;
  readonly reallocs: number;
  readonly bytes: number;
  readonly live: number;
  readonly atPeak: number;
  /** atPeak ÷ the trace's peak (all threads' peaks added): the site's share of the peak, 0 to 1. */
  readonly share: number;
  /** deallocs, live, atPeak, share are estimates. */
  readonly sampled: boolean;
}

export interface SiteDiff {
  readonly key: string;
  readonly status: "new" | "gone" | "changed";
  /** Where it is now (head), or was (base) for a gone site; and what was called. */
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly kind: string;
  readonly base: Side | null;
  readonly head: Side | null;
  /** head − base (a missing side counts as zero). */
  readonly delta: { allocs: number; reallocs: number; bytes: number; share: number };
}

/** The shape of `diff --json`. */
export interface DiffJson {
  readonly base: { path: string; totals: Totals; peak: number | null; sites: number };
  readonly head: { path: string; totals: Totals; peak: number | null; sites: number };
  /** head − base, for the totals and the peak (null when either has none). */
  readonly change: { allocs: number; reallocs: number; bytes: number; deallocs: number; live: number; peak: number | null; sites: number };
  /** New, gone and changed sites, largest |Δbytes| first (at most --top; 0: all). */
  readonly sites: SiteDiff[];
  readonly counts: { changed: number; new: number; gone: number; unchanged: number; moved: number };
  readonly warnings: string[];
}

/** The trace's peak: its threads' peaks added up (one thread: its peak). */
function peakOf(trace: Trace): number | null {
  const peaks = threadTotals(trace).map((t) => t.peak).filter((p): p is number => p !== null);
  return peaks.length === 0 ? null : peaks.reduce((a, b) => a + b, 0);
}

function side(g: Group, peak: number | null): Side {
  return {
    file: g.file!,
    line: g.line!,
    col: g.col!,
    allocs: g.allocs,
    reallocs: g.reallocs,
    bytes: g.bytes,
    live: g.live,
    atPeak: g.atPeak,
    share: peak ? g.atPeak / peak : 0,
    sampled: g.sampled,
  };
}

export function diffJson(base: Trace, head: Trace, top: number): DiffJson {
  const bp = peakOf(base);
  const hp = peakOf(head);
  const b = new Map(group(base.sites, "key").map((g) => [g.key!, g]));
  const h = new Map(group(head.sites, "key").map((g) => [g.key!, g]));
  const sites: SiteDiff[] = [];
  const counts = { changed: 0, new: 0, gone: 0, unchanged: 0, moved: 0 };
  for (const key of new Set([...b.keys(), ...h.keys()])) {
    const bg = b.get(key);
    const hg = h.get(key);
    const bs = bg === undefined ? null : side(bg, bp);
    const hs = hg === undefined ? null : side(hg, hp);
    const g = (hg ?? bg)!;
    const delta = {
      allocs: (hs?.allocs ?? 0) - (bs?.allocs ?? 0),
      reallocs: (hs?.reallocs ?? 0) - (bs?.reallocs ?? 0),
      bytes: (hs?.bytes ?? 0) - (bs?.bytes ?? 0),
      share: (hs?.share ?? 0) - (bs?.share ?? 0),
    };
    let status: SiteDiff["status"];
    if (bs === null) status = "new";
    else if (hs === null) status = "gone";
    else if (delta.allocs !== 0 || delta.reallocs !== 0 || delta.bytes !== 0) status = "changed";
    else {
      counts.unchanged++;
      if (bs.file !== hs.file || bs.line !== hs.line || bs.col !== hs.col) counts.moved++;
      continue;
    }
    counts[status]++;
    sites.push({ key, status, file: g.file!, line: g.line!, col: g.col!, kind: g.kind!, base: bs, head: hs, delta });
  }
  sites.sort(
    (x, y) =>
      Math.abs(y.delta.bytes) - Math.abs(x.delta.bytes) ||
      Math.abs(y.delta.allocs) - Math.abs(x.delta.allocs) ||
      Math.abs(y.delta.share) - Math.abs(x.delta.share) ||
      (x.key < y.key ? -1 : x.key > y.key ? 1 : 0),
  );
  const d = (f: keyof Totals & ("allocs" | "reallocs" | "bytes" | "deallocs" | "live")) => head.totals[f] - base.totals[f];
  return {
    base: { path: base.path, totals: base.totals, peak: bp, sites: b.size },
    head: { path: head.path, totals: head.totals, peak: hp, sites: h.size },
    change: { allocs: d("allocs"), reallocs: d("reallocs"), bytes: d("bytes"), deallocs: d("deallocs"), live: d("live"), peak: bp === null || hp === null ? null : hp - bp, sites: h.size - b.size },
    sites: top > 0 ? sites.slice(0, top) : sites,
    counts,
    warnings: [...base.warnings.map((w) => `base: ${w}`), ...head.warnings.map((w) => `head: ${w}`)],
  };
}

/** Percentage points, signed: `+12.5 pt`. */
const points = (share: number) => (Math.abs(share) < 0.0005 ? "0 pt" : `${share > 0 ? "+" : "-"}${(Math.abs(share) * 100).toFixed(1)} pt`);

export function diffText(j: DiffJson, cwd: string): string {
  let out = `traced-alloc diff: ${shown(j.base.path, cwd)} → ${shown(j.head.path, cwd)}\n\n`;
  const bt = j.base.totals;
  const ht = j.head.totals;
  const rows: string[][] = [
    ["allocs", String(bt.allocs), String(ht.allocs), signed(j.change.allocs) + relative(j.change.allocs, bt.allocs)],
    ["reallocs", String(bt.reallocs), String(ht.reallocs), signed(j.change.reallocs) + relative(j.change.reallocs, bt.reallocs)],
    ["bytes", human(bt.bytes), human(ht.bytes), signed(j.change.bytes, true) + relative(j.change.bytes, bt.bytes)],
    ["deallocs", est(bt.estimated) + bt.deallocs, est(ht.estimated) + ht.deallocs, signed(j.change.deallocs)],
    ["live at exit", est(bt.estimated) + human(bt.live), est(ht.estimated) + human(ht.live), signed(j.change.live, true) + relative(j.change.live, bt.live)],
    [
      "peak",
      j.base.peak === null ? "-" : est(bt.estimated) + human(j.base.peak),
      j.head.peak === null ? "-" : est(ht.estimated) + human(j.head.peak),
      j.change.peak === null ? "-" : signed(j.change.peak, true) + relative(j.change.peak, j.base.peak ?? 0),
    ],
    ["sites", String(j.base.sites), String(j.head.sites), signed(j.change.sites)],
  ];
  out += table(["", "base", "head", "change"], rows, "lrrl", "  ");
  const c = j.counts;
  out += `\nsites, matched by stable key: ${c.changed} changed, ${c.new} new, ${c.gone} gone, ${c.unchanged} unchanged${c.moved > 0 ? ` (${c.moved} of them moved)` : ""}\n`;
  if (j.sites.length === 0) return out;
  const total = c.changed + c.new + c.gone;
  if (j.sites.length < total) out += `largest |Δbytes| first, ${j.sites.length} of ${total} (--top):\n`;
  const cells = j.sites.map((s) => {
    const moved = s.base !== null && s.head !== null && (s.base.file !== s.head.file || s.base.line !== s.head.line || s.base.col !== s.head.col);
    const place = at(s) + (moved ? ` (was ${s.base!.file === s.head!.file ? `:${s.base!.line}:${s.base!.col}` : at(s.base!)})` : "");
    const two = (f: (x: Side) => string) => `${s.base === null ? "-" : f(s.base)} → ${s.head === null ? "-" : f(s.head)}`;
    const e = est((s.base?.sampled ?? false) || (s.head?.sampled ?? false));
    return [
      s.status,
      place,
      s.kind,
      two((x) => String(x.allocs)),
      signed(s.delta.allocs),
      two((x) => human(x.bytes)),
      signed(s.delta.bytes, true),
      e + points(s.delta.share),
    ];
  });
  out += table(["change", "site", "kind", "allocs", "Δallocs", "bytes", "Δbytes", "Δpeak share"], cells, "lllrrrrr", "  ");
  if ([...j.sites].some((s) => s.base?.sampled || s.head?.sampled)) out += "~ in Δpeak share: estimated (lifetimes sampled)\n";
  return out;
}

export const HELP = `Usage: traced-alloc diff <base trace> <head trace> [--top N] [--json]

Compares two traces site by site. Each trace's rows are added up by stable site key (across
threads), then matched by key, so a site that only moved (lines added above it) is the same
site. Lists the sites that are new (only in head), gone (only in base) or changed (other
allocs, reallocs or bytes), largest |Δbytes| first, with the change in allocations, bytes and
share of the peak (the site's bytes held at the peak ÷ the peak, in percentage points); and
both traces' totals and their change.

Options:
  --top N     sites listed at most (default 20; 0: all)
  --json      one JSON object: base, head, change, sites, counts, warnings
  -h, --help  this text

Exit status: 0 (differences are not failures: see 'traced-alloc check' for limits), 2 for bad
usage or a trace that cannot be read.
`;

export const command: Command = {
  name: "diff",
  summary: "two traces compared site by site (matched by stable key)",
  help: HELP,
  async run(args: string[], io: Io): Promise<number> {
    const a = parse("diff", args, { top: { type: "string", integer: true, default: "20" }, json: { type: "boolean", default: false } }, ["base trace", "head trace"]);
    if (a.help) {
      io.out(HELP);
      return 0;
    }
    const read = (p: string, which: string) => readTrace(path.resolve(io.cwd, p), { name: p, onWarning: (m) => io.err(`traced-alloc: warning: ${which}: ${m}\n`) });
    const base = await read(a.positionals[0], "base");
    const head = await read(a.positionals[1], "head");
    const j = diffJson(base, head, a.options.top as number);
    io.out(a.options.json === true ? JSON.stringify(j, null, 2) + "\n" : diffText(j, io.cwd));
    return 0;
  },
};
