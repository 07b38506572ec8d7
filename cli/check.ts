/**
 * `traced-alloc check <trace>`: exit 1 when the trace passes a limit of the budget file, or grows
 * past a baseline trace; 0 when every limit holds; 2 for bad usage or bad input.
 *
 * - Sites are the trace's rows added up by stable key, across threads (report.ts `group(…, "key")`),
 *   shown at the place of their largest row. So a site that only moved (lines added above it)
 *   is the same site, in a budget rule and against a baseline.
 * - Budget (budget.ts): `total` against the run's totals (peak: the threads' peaks added up, as
 *   the summary's header); each rule against every site it matches (a site's `peak` is its bytes
 *   held at the peak, `atPeak`; its `live` what it left live at exit). `tests` is for the mocha plugin.
 * - Baseline: a site (or the run's total) fails when its allocs or bytes are more than P% above the
 *   baseline's (allocs and bytes are exact in every trace). New sites are listed, and fail only
 *   with --fail-on-new; gone sites are listed.
 * - A limit on `peak` or `live` needs exact lifetimes: on a trace whose lifetimes were sampled,
 *   exit 2 with how to record one, rather than pass or fail on an estimate.
 * - With GITHUB_ACTIONS=true: `::error` annotations (github.ts) and a table in $GITHUB_STEP_SUMMARY.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError, type Command, type Io } from "./command";
import type { Place, Trace } from "./model";
import { parse } from "./args";
import { BUDGET_FILE, exceeded, findBudget, formatMetric, readBudget, ruleMatches, type Budget, type Excess, type Limits, type Metric } from "./budget";
import { at, plural, table } from "./format";
import { errorCommands, markdownTable, repoPath, type Annotation } from "./github";
import { group, shown, threadTotals, type Group } from "./report";
import { readTrace } from "./trace";

/** --max-increase when not given: 10% (figures are exact, but real runs vary a little: retries, timers, input). */
export const DEFAULT_MAX_INCREASE = 10;

/** A site as check shows it. */
export interface CheckSite extends Place {
  readonly kind: string;
  readonly key: string;
}

/** One limit passed, at a site or by the whole run (`site` absent). */
export interface Finding {
  /** `total` or `rules[i]` of the budget, `baseline` (grew more than allowed), `new` (a site not in the baseline, under --fail-on-new). */
  readonly source: string;
  readonly site?: CheckSite;
  /** What passed which limit (for the baseline: the allowed figure, base × (1 + P%), rounded down). */
  readonly excess: Excess[];
  /** For the baseline: the baseline's figures. */
  readonly base?: Partial<Record<Metric, number>>;
  /**
   * How far over: the largest (measured − limit) ÷ limit (limit 0 counts as 1; for the baseline,
   * the growth over the base figure); findings are sorted by it. A new site under --fail-on-new:
   * Infinity (null in --json).
   */
  readonly over: number;
}

export interface SiteFigures extends CheckSite {
  readonly allocs: number;
  readonly bytes: number;
}

/** The shape of `check --json`. */
export interface CheckJson {
  readonly trace: string;
  readonly budget: string | null;
  readonly baseline: { readonly path: string; readonly maxIncrease: number; readonly failOnNew: boolean } | null;
  readonly passed: boolean;
  /** Limits checked: a total limit, a rule's limit at one site, a baseline figure (allocs, bytes) of a site or the total. */
  readonly checks: number;
  /** Largest excess first. */
  readonly failures: Finding[];
  /** Sites in the trace but not the baseline, and in the baseline only (at the baseline's place); largest bytes first. */
  readonly new: SiteFigures[];
  readonly gone: SiteFigures[];
  readonly warnings: string[];
}

const siteOf = (g: Group): CheckSite => ({ file: g.file!, line: g.line!, col: g.col!, kind: g.kind!, key: g.key! });
const figuresOf = (g: Group): SiteFigures => ({ ...siteOf(g), allocs: g.allocs, bytes: g.bytes });
/** A site's figures as a budget names them. */
const measuredOf = (g: Group): Record<Metric, number> => ({ allocs: g.allocs, reallocs: g.reallocs, bytes: g.bytes, peak: g.atPeak, live: g.live });

function overOf(excess: readonly Excess[]): number {
  return Math.max(...excess.map((e) => (e.measured - e.limit) / Math.max(e.limit, 1)));
}

/** Whether the trace's lifetimes were sampled somewhere (deallocs, live and peak are then estimates). */
export function sampled(trace: Trace): boolean {
  return trace.totals.estimated || trace.threads.some((p) => p.sampling) || trace.sites.some((s) => s.sampled);
}

/** Where the budget limits peak or live: `total.peak`, `rules[1].live`. */
function lifetimeLimits(budget: Budget): string[] {
  const out: string[] = [];
  for (const m of ["peak", "live"] as const) if (budget.total?.[m] !== undefined) out.push(`total.${m}`);
  for (const r of budget.rules) for (const m of ["peak", "live"] as const) if (r[m] !== undefined) out.push(`${r.where}.${m}`);
  return out;
}

/** The budget's total and rules against `trace`; `warn` for a rule that matches no site. */
export function checkBudget(trace: Trace, sites: readonly Group[], budget: Budget, warn: (m: string) => void): { checks: number; failures: Finding[] } {
  let checks = 0;
  const failures: Finding[] = [];
  const count = (l: Limits) => Object.values(l).filter((v) => v !== undefined).length;
  if (budget.total !== undefined) {
    const threads = threadTotals(trace);
    const peaks = threads.map((t) => t.peak ?? 0);
    const t = trace.totals;
    const measured = { allocs: t.allocs, reallocs: t.reallocs, bytes: t.bytes, live: t.live, peak: peaks.reduce((a, b) => a + b, 0) };
    checks += count(budget.total);
    const excess = exceeded(budget.total, measured);
    if (excess.length > 0) failures.push({ source: "total", excess, over: overOf(excess) });
  }
  for (const rule of budget.rules) {
    const { where, file: _f, fn: _fn, kind: _k, ...limits } = rule;
    let matched = 0;
    for (const g of sites) {
      if (!ruleMatches(rule, { file: g.file!, kind: g.kind!, key: g.key! })) continue;
      matched++;
      checks += count(limits);
      const excess = exceeded(limits, measuredOf(g));
      if (excess.length > 0) failures.push({ source: where, site: siteOf(g), excess, over: overOf(excess) });
    }
    if (matched === 0) warn(`${budget.file}: ${where} matches no site of the trace (check its file, fn and kind)`);
  }
  return { checks, failures };
}

/** The allowed figure: `base` plus P%, rounded down (a count or bytes). */
const allowed = (base: number, pct: number) => Math.floor(base * (1 + pct / 100) + 1e-9);

/** Head against the baseline: every site matched by key, and the totals. */
export function checkBaseline(base: Trace, head: Trace, sites: readonly Group[], pct: number, failOnNew: boolean) {
  const b = new Map(group(base.sites, "key").map((g) => [g.key!, g]));
  const h = new Set(sites.map((g) => g.key!));
  let checks = 0;
  const failures: Finding[] = [];
  const grown = (source: string, site: CheckSite | undefined, bf: { allocs: number; bytes: number }, hf: { allocs: number; bytes: number }) => {
    checks += 2;
    const excess = exceeded({ allocs: allowed(bf.allocs, pct), bytes: allowed(bf.bytes, pct) }, hf);
    if (excess.length > 0) {
      const over = Math.max(...excess.map((e) => (e.measured - (e.metric === "allocs" ? bf.allocs : bf.bytes)) / Math.max(e.metric === "allocs" ? bf.allocs : bf.bytes, 1)));
      failures.push({ source, ...(site !== undefined ? { site } : {}), excess, base: { allocs: bf.allocs, bytes: bf.bytes }, over });
    }
  };
  grown("baseline", undefined, base.totals, head.totals);
  const added: SiteFigures[] = [];
  for (const g of sites) {
    const bg = b.get(g.key!);
    if (bg !== undefined) grown("baseline", siteOf(g), bg, g);
    else {
      added.push(figuresOf(g));
      if (failOnNew) {
        checks++;
        failures.push({ source: "new", site: siteOf(g), excess: [{ metric: "allocs", limit: 0, measured: g.allocs }], base: { allocs: 0, bytes: 0 }, over: Number.POSITIVE_INFINITY });
      }
    }
  }
  const gone = [...b.values()].filter((g) => !h.has(g.key!)).map(figuresOf);
  const bySize = (x: SiteFigures, y: SiteFigures) => y.bytes - x.bytes || y.allocs - x.allocs;
  return { checks, failures, new: added.sort(bySize), gone: gone.sort(bySize) };
}

/** `bytes 6 KiB > 4 KiB`, or for the baseline `bytes 1.6 KiB → 4.7 KiB (+200.0%)`. */
function problem(f: Finding): string {
  if (f.source === "new") return `new site: ${plural(f.excess[0].measured, "alloc")} (not in the baseline; --fail-on-new)`;
  if (f.base === undefined) return f.excess.map((e) => `${e.metric} ${formatMetric(e.metric, e.measured)} > ${formatMetric(e.metric, e.limit)}`).join(", ");
  return f.excess
    .map((e) => {
      const b = f.base![e.metric]!;
      const pct = b === 0 ? "new" : `+${(((e.measured - b) / b) * 100).toFixed(1)}%`;
      return `${e.metric} ${formatMetric(e.metric, b)} → ${formatMetric(e.metric, e.measured)} (${pct})`;
    })
    .join(", ");
}

/** What limit it was: `budget total`, `budget rules[0]`, `baseline +10%`. */
function limitName(f: Finding, pct: number): string {
  if (f.source === "baseline") return `baseline +${pct}%`;
  if (f.source === "new") return "baseline (new site)";
  return `budget ${f.source}`;
}

/** `10%`, `10`, `2.5%` → 10, 10, 2.5. */
export function parsePercent(v: string): number {
  const m = /^\s*\+?(\d+(?:\.\d+)?|\.\d+)\s*%?\s*$/.exec(v);
  if (m === null) throw new UsageError(`check: --max-increase ${v}: expected a percentage ≥ 0 such as 10% or 10 (see 'traced-alloc check --help')`);
  return Number(m[1]);
}

export const HELP = `Usage: traced-alloc check <trace> [--budget file] [--baseline trace [--max-increase P%]
                           [--fail-on-new] [--update-baseline]] [--json]

Exit 1 when the trace passes a limit: the budget file's (total and per-site rules), or a
baseline's (a site whose allocations or bytes grew more than P%). Sites are the trace's rows
added up by stable key (across threads), so a site that only moved (lines added above it) is
the same site in a rule and against the baseline; they are shown at their place in <trace>.

Options:
  --budget file       the budget file (default: ${BUDGET_FILE} in the working folder, or
                      $TRACED_ALLOC_BUDGET, when there is one): "total" limits the whole run's
                      allocs, reallocs, bytes, peak, live; each of "rules" limits every site it
                      matches (file glob, fn, kind; a site's peak is its bytes held at the peak,
                      its live what it left live at exit); "tests" is for traced-allocator/mocha
  --baseline trace    a trace of the same program to compare with, matched by stable key
  --max-increase P    a site (or the total) fails when its allocs or bytes are more than P%
                      above the baseline's (default ${DEFAULT_MAX_INCREASE}%; 0: any increase); "10%" or "10"
  --fail-on-new       a site not in the baseline fails (default: it is listed, not a failure)
  --update-baseline   write <trace> to the --baseline path (checks nothing; exit 0)
  --json              one JSON object: trace, budget, baseline, passed, checks, failures, new, gone
  -h, --help          this text

A limit on peak or live needs exact lifetimes: on a trace whose lifetimes were sampled (more
than 8,192 objects in a thread), check stops with exit 2; record one with
TRACED_ALLOC=ndjson=<path>,lifetimes.

With GITHUB_ACTIONS=true: one ::error annotation per offending site, at its line (the path made
relative to $GITHUB_WORKSPACE), at most 10 (the last says how many more), and a markdown table
appended to $GITHUB_STEP_SUMMARY.

Exit status: 0 every limit held, 1 a limit was passed, 2 bad usage or bad input (a bad budget
file, a trace that cannot be read, nothing to check against).
`;

export const command: Command = {
  name: "check",
  summary: "exit 1 when a trace passes a budget or grows past a baseline",
  help: HELP,
  async run(args: string[], io: Io): Promise<number> {
    const a = parse(
      "check",
      args,
      {
        budget: { type: "string" },
        baseline: { type: "string" },
        "max-increase": { type: "string" },
        "fail-on-new": { type: "boolean", default: false },
        "update-baseline": { type: "boolean", default: false },
        json: { type: "boolean", default: false },
      },
      ["trace"],
    );
    if (a.help) {
      io.out(HELP);
      return 0;
    }
    const o = a.options;
    const baselinePath = o.baseline as string | undefined;
    for (const flag of ["max-increase", "fail-on-new", "update-baseline"]) {
      if (baselinePath === undefined && o[flag] !== undefined && o[flag] !== false) {
        throw new UsageError(`check: --${flag} needs --baseline <trace> (see 'traced-alloc check --help')`);
      }
    }
    const pct = o["max-increase"] === undefined ? DEFAULT_MAX_INCREASE : parsePercent(o["max-increase"] as string);
    const tracePath = a.positionals[0];
    const warnings: string[] = [];
    const warn = (m: string) => {
      warnings.push(m);
      io.err(`traced-alloc: warning: ${m}\n`);
    };
    const read = (p: string, which: string) => readTrace(path.resolve(io.cwd, p), { name: p, onWarning: (m) => warn(`${which}: ${m}`) });

    if (o["update-baseline"] === true) return updateBaseline(await read(tracePath, "trace"), tracePath, baselinePath!, io);

    const budgetFile = (o.budget as string | undefined) ?? findBudget(io.cwd, io.env);
    if (budgetFile === undefined && baselinePath === undefined) {
      throw new UsageError(`check: nothing to check ${tracePath} against: pass --budget <file> (or write ${BUDGET_FILE} here) and/or --baseline <trace> (see 'traced-alloc check --help')`);
    }
    // Named in messages as the user would write it (findBudget's path is absolute).
    const budget = budgetFile === undefined ? undefined : readBudget(path.isAbsolute(budgetFile) ? shown(budgetFile, io.cwd) : budgetFile, io.cwd);
    const trace = await read(tracePath, "trace");
    if (budget !== undefined) {
      const needs = lifetimeLimits(budget);
      if (needs.length > 0 && sampled(trace)) {
        throw new UsageError(
          `check: ${tracePath}: its lifetimes were sampled (more than 8,192 objects followed in a thread), so its peak and live bytes are estimates, ` +
            `and ${budget.file} limits ${needs.join(", ")}: record a trace with exact lifetimes, TRACED_ALLOC=ndjson=${tracePath},lifetimes, or remove those limits`,
        );
      }
    }
    if (baselinePath !== undefined && !fs.existsSync(path.resolve(io.cwd, baselinePath))) {
      throw new UsageError(`check: no baseline at ${baselinePath}: make one with 'traced-alloc check ${tracePath} --baseline ${baselinePath} --update-baseline' (and commit it)`);
    }
    const base = baselinePath === undefined ? undefined : await read(baselinePath, "baseline");

    const sites = group(trace.sites, "key");
    let checks = 0;
    const failures: Finding[] = [];
    if (budget !== undefined) {
      if (budget.total === undefined && budget.rules.length === 0) warn(`${budget.file} has no "total" or "rules" (its "tests" are for traced-allocator/mocha): nothing to check in it`);
      const r = checkBudget(trace, sites, budget, warn);
      checks += r.checks;
      failures.push(...r.failures);
    }
    const bl = base === undefined ? undefined : checkBaseline(base, trace, sites, pct, o["fail-on-new"] === true);
    if (bl !== undefined) {
      checks += bl.checks;
      failures.push(...bl.failures);
    }
    // Largest excess first; the run's totals before sites at equal excess; then by the site's place.
    failures.sort((x, y) => y.over - x.over || (x.site === undefined ? -1 : 0) - (y.site === undefined ? -1 : 0) || (x.site && y.site ? at(x.site).localeCompare(at(y.site)) : 0));

    // Paths as given, or relative to the working folder when that is shorter to read.
    const named = (p: string) => shown(path.resolve(io.cwd, p), io.cwd);
    const j: CheckJson = {
      trace: named(tracePath),
      budget: budget?.file ?? null,
      baseline: baselinePath === undefined ? null : { path: named(baselinePath), maxIncrease: pct, failOnNew: o["fail-on-new"] === true },
      passed: failures.length === 0,
      checks,
      failures,
      new: bl?.new ?? [],
      gone: bl?.gone ?? [],
      warnings,
    };
    if (o.json === true) io.out(JSON.stringify(j, null, 2) + "\n");
    else io.out(checkText(j));
    if (io.env.GITHUB_ACTIONS === "true") github(j, trace, io);
    return j.passed ? 0 : 1;
  },
};

function updateBaseline(trace: Trace, tracePath: string, baselinePath: string, io: Io): number {
  const from = path.resolve(io.cwd, tracePath);
  const to = path.resolve(io.cwd, baselinePath);
  if (from !== to) {
    try {
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.copyFileSync(from, to);
    } catch (e) {
      throw new UsageError(`check: cannot write the baseline ${baselinePath}: ${(e as Error).message}`);
    }
  }
  const n = group(trace.sites, "key").length;
  io.out(`traced-alloc check: wrote the baseline ${baselinePath} from ${tracePath} (${plural(n, "site")}, ${plural(trace.totals.allocs, "alloc")}); commit it\n`);
  return 0;
}

/** Limits exceeded (a finding can pass several: allocs and bytes). */
function exceededCount(j: CheckJson): number {
  return j.failures.reduce((n, f) => n + f.excess.length, 0);
}

function placeOf(f: Finding): string {
  return f.site === undefined ? "total" : at(f.site);
}

export function checkText(j: CheckJson): string {
  const against = [...(j.budget !== null ? [`budget ${j.budget}`] : []), ...(j.baseline !== null ? [`baseline ${j.baseline.path} (at most +${j.baseline.maxIncrease}%)`] : [])];
  let out = `traced-alloc check: ${j.trace} against ${against.join(" and ")}\n`;
  const pct = j.baseline?.maxIncrease ?? 0;
  if (j.failures.length > 0) {
    out += `\nlimits exceeded, largest excess first:\n`;
    out += table(["site", "kind", "measured", "limit"], j.failures.map((f) => [placeOf(f), f.site?.kind ?? "", problem(f), limitName(f, pct)]), "llll", "  ");
  }
  const list = (title: string, sites: SiteFigures[]) => {
    if (sites.length === 0) return;
    out += `\n${title}:\n`;
    out += table(["site", "kind", "allocs", "bytes"], sites.map((s) => [at(s), s.kind, String(s.allocs), formatMetric("bytes", s.bytes)]), "llrr", "  ");
  };
  if (j.baseline !== null) {
    list(`new sites (not in the baseline${j.baseline.failOnNew ? "" : "; not failures without --fail-on-new"})`, j.new);
    list(`gone sites (in the baseline only; at their place there)`, j.gone);
  }
  const failed = exceededCount(j);
  out += `\ntraced-alloc check: ${failed === 0 ? `ok: ${plural(j.checks, "limit")} held` : `failed: ${failed} of ${plural(j.checks, "limit")} exceeded`}`;
  if (j.baseline !== null) out += `; ${j.new.length} new, ${j.gone.length} gone`;
  return out + "\n";
}

/** The annotations (stdout, where GitHub reads workflow commands) and the step summary. */
function github(j: CheckJson, trace: Trace, io: Io): void {
  const workspace = io.env.GITHUB_WORKSPACE || io.cwd;
  const root = trace.threads.find((p) => p.root !== undefined)?.root;
  const pct = j.baseline?.maxIncrease ?? 0;
  // One annotation per offending site (its findings joined), in the order of the findings.
  const bySite = new Map<string, Finding[]>();
  for (const f of j.failures) {
    const k = f.site?.key ?? "";
    bySite.set(k, [...(bySite.get(k) ?? []), f]);
  }
  const notes: Annotation[] = [...bySite.values()].map((fs) => {
    const s = fs[0].site;
    const msg = fs.map((f) => `${problem(f)} (${limitName(f, pct)})`).join("; ");
    if (s === undefined) return { title: "traced-alloc: the run allocates too much", message: `total: ${msg}` };
    return { place: { file: repoPath(s.file, root, workspace), line: s.line, col: s.col }, title: `traced-alloc: ${s.kind} allocates too much`, message: `${s.key}: ${msg}` };
  });
  const lines = errorCommands(notes, (n) => `traced-alloc check: and ${n} more (see the log or the step summary)`);
  if (lines.length > 0) io.out(lines.join("\n") + "\n");

  const file = io.env.GITHUB_STEP_SUMMARY;
  if (file === undefined || file === "") return;
  let md = `### traced-alloc check: ${j.passed ? "ok" : "failed"}\n\n`;
  md += `${j.trace} against ${[j.budget !== null ? `budget \`${j.budget}\`` : "", j.baseline !== null ? `baseline \`${j.baseline.path}\` (at most +${pct}%)` : ""].filter(Boolean).join(" and ")}: `;
  md += j.passed ? `${plural(j.checks, "limit")} held.\n\n` : `${exceededCount(j)} of ${plural(j.checks, "limit")} exceeded.\n\n`;
  if (j.failures.length > 0) {
    md += markdownTable(
      ["site", "kind", "measured", "limit"],
      j.failures.map((f) => [f.site === undefined ? "total" : `${repoPath(f.site.file, root, workspace)}:${f.site.line}:${f.site.col}`, f.site?.kind ?? "", problem(f), limitName(f, pct)]),
    );
    md += "\n";
  }
  if (j.baseline !== null && j.new.length + j.gone.length > 0) md += `Sites new since the baseline: ${j.new.length}; gone: ${j.gone.length}.\n\n`;
  try {
    fs.appendFileSync(file, md);
  } catch (e) {
    io.err(`traced-alloc: warning: cannot append to $GITHUB_STEP_SUMMARY (${file}): ${(e as Error).message}\n`);
  }
}
