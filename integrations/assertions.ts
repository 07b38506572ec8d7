/**
 * The three assertions shared by traced-allocator/chai, /expect and /mocha: what they measure,
 * when they pass, and their messages. A message names the sites, `file:line:col kind`, largest
 * first, with limit against measured; when nothing was traced at all it says why that may be.
 */
import { count, measure, type Counts, type Measurement, type SiteCounts, type SiteMeasurement } from "./test";
import { formatExcess, formatLimits, formatSize, parseSize, exceeded, TEST_METRICS, type Limits, type Metric } from "../cli/budget";
import { table } from "../cli/format";

/** Limits as a test writes them: counts, and sizes as numbers of bytes or strings (`"4 KiB"`). */
export interface AllocationLimits {
  allocs?: number;
  reallocs?: number;
  bytes?: number | string;
  live?: number | string;
}

/** An assertion's outcome: `pass`, and the message for a failure of the plain form and of the negated one. */
export interface Verdict {
  pass: boolean;
  /** Why `expect(fn).to.x` failed (shown when `pass` is false). */
  message: string;
  /** Why `expect(fn).not.to.x` failed (shown when `pass` is true). */
  negatedMessage: string;
  measured: Counts | Measurement;
}

export const NOTHING_TRACED =
  "0 allocations were traced — is the code under test built with traced-allocator/transformer? (only code compiled with the plugin is seen)";

/** Sites listed in a message; the rest are summed up in one line. */
const MAX_SITES = 10;

/** Checks and converts an assertion's limits (sizes to bytes); throws a TypeError naming the mistake. */
export function limitsOf(value: unknown, assertion: string): Limits {
  const allowed = TEST_METRICS;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new TypeError(`${assertion}: expected limits such as { allocs: 3, bytes: "4 KiB" }, got ${value === null ? "null" : Array.isArray(value) ? "a list" : typeof value}`);
  }
  const limits: Limits = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (!(allowed as string[]).includes(k)) throw new TypeError(`${assertion}: unknown limit '${k}' (limits: ${allowed.join(", ")})`);
    if (v === undefined) continue;
    if (k === "allocs" || k === "reallocs") {
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw new TypeError(`${assertion}: ${k} must be a whole number ≥ 0, got ${JSON.stringify(v)}`);
      limits[k] = v;
    } else {
      const s = parseSize(v);
      if (s.bytes === undefined) throw new TypeError(`${assertion}: ${k}: ${s.why}; write a number of bytes or a string such as "4 KiB"`);
      limits[k as Metric] = s.bytes;
    }
  }
  if (Object.keys(limits).length === 0) throw new TypeError(`${assertion}: give at least one limit (${allowed.join(", ")})`);
  return limits;
}

/** `allocateAtMost(limits)`: every figure at most its limit. Follows objects only when `live` is limited. */
export async function atMost(fn: () => unknown, limits: Limits): Promise<Verdict> {
  const m = limits.live !== undefined ? await measure(fn) : await count(fn);
  return judgeAtMost(m, limits);
}

/** The verdict of `limits` on figures already measured (the mocha plugin measures first). */
export function judgeAtMost(m: Counts | Measurement, limits: Limits): Verdict {
  const over = exceeded(limits, figuresOf(m));
  const pass = over.length === 0;
  const wanted = formatLimits(limits);
  // A leak's sites are listed by what they keep; any other excess by what they allocated.
  const by = over.every((e) => e.metric === "live") ? "live" : "bytes";
  const message = pass ? "" : `expected fn to allocate at most { ${wanted} }, but ${formatExcess(over)} (${totalsText(m)})\n` + sitesText(m, by);
  const negatedMessage = pass ? `expected fn to allocate more than { ${wanted} }, but it allocated ${totalsText(m)}\n` + sitesText(m, "bytes") : "";
  return { pass, message, negatedMessage, measured: m };
}

/** `allocate()`: at least one allocation or realloc was traced. */
export async function allocates(fn: () => unknown): Promise<Verdict> {
  const m = await count(fn);
  const pass = m.allocs > 0 || m.reallocs > 0;
  return {
    pass,
    message: pass ? "" : `expected fn to allocate, but ${NOTHING_TRACED}`,
    negatedMessage: pass ? `expected fn not to allocate, but it allocated ${totalsText(m)}\n` + sitesText(m, "bytes") : "",
    measured: m,
  };
}

/** `leak()`: some of what fn allocated is still reachable after it settled and a full collection. */
export async function leaks(fn: () => unknown): Promise<Verdict> {
  const m = await measure(fn);
  const pass = m.live > 0;
  const none = m.allocs === 0 && m.reallocs === 0;
  return {
    pass,
    message: pass
      ? ""
      : none
        ? `expected fn to leak, but ${NOTHING_TRACED}`
        : `expected fn to leak, but nothing of what it allocated (${totalsText(m)}) is live after a full garbage collection`,
    negatedMessage: pass ? `expected fn not to leak, but ${formatSize(m.live)} of what it allocated ${m.live === 1 ? "is" : "are"} live after a full garbage collection\n` + sitesText(m, "live") : "",
    measured: m,
  };
}

/** The figures a limit is checked against. */
export function figuresOf(m: Counts | Measurement): Partial<Record<Metric, number>> {
  const f: Partial<Record<Metric, number>> = { allocs: m.allocs, reallocs: m.reallocs, bytes: m.bytes };
  if ("live" in m) f.live = m.live;
  return f;
}

/** `3 allocs, 1 realloc, 6 KiB` (and live when measured). */
export function totalsText(m: Counts | Measurement): string {
  const parts = [plural(m.allocs, "alloc")];
  if (m.reallocs > 0) parts.push(plural(m.reallocs, "realloc"));
  parts.push(formatSize(m.bytes));
  if ("live" in m) parts.push(`${formatSize(m.live)} live`);
  return parts.join(", ");
}

/**
 * The sites of a measurement as an indented table, largest first (by `bytes`, or by `live` for a
 * leak), at most MAX_SITES of them, then how many more. Says so when nothing was traced.
 */
export function sitesText(m: Counts | Measurement, by: "bytes" | "live"): string {
  if (m.sites.length === 0) return `  ${NOTHING_TRACED}\n`;
  const withLive = "live" in m;
  let list: SiteCounts[] = m.sites;
  if (by === "live" && withLive) list = (m as Measurement).sites.filter((s) => s.live > 0).sort((a, b) => b.live - a.live);
  const shown = list.slice(0, MAX_SITES);
  const head = ["site", "kind", "allocs", "reallocs", "bytes", ...(withLive ? ["live"] : [])];
  const rows = shown.map((s) => [
    `${s.file}:${s.line}:${s.col}`,
    s.kind,
    String(s.allocs),
    String(s.reallocs),
    (s.estimated ? "~" : "") + String(s.bytes),
    ...(withLive ? [String((s as SiteMeasurement).live)] : []),
  ]);
  let out = `sites, largest ${by} first:\n` + table(head, rows, 2, "  ");
  if (list.length > shown.length) out += `  … and ${plural(list.length - shown.length, "more site")}\n`;
  if (shown.some((s) => s.estimated)) out += "  ~ estimated size (arrays: 8 bytes an element)\n";
  return out;
}

function plural(n: number, one: string): string {
  return `${n} ${n === 1 ? one : `${one}s`}`;
}
