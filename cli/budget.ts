/**
 * The budget file, `traced-alloc.budget.json` (SPEC.md, "Budget file"): read, validated, and the
 * rules' matching, for `traced-alloc check` and the mocha plugin (traced-allocator/mocha). Pure:
 * no dependency on the runtime; node:fs only to read the file.
 *
 * ```json
 * { "total": { "allocs": 100000, "bytes": "64 MiB", "peak": "8 MiB", "live": "0 B" },
 *   "rules": [ { "file": "src/codec/**", "fn": "Encoder.encode", "kind": "new Uint8Array",
 *                "allocs": 2, "bytes": "4 KiB", "live": 0 } ],
 *   "tests": { "encodes a frame": { "allocs": 3 } } }
 * ```
 *
 * - Limits: `allocs` and `reallocs` are counts (whole numbers); `bytes`, `peak` and `live` are sizes:
 *   a number of bytes or a string `"<n> <unit>"`, units B, KiB, MiB, GiB (powers of 1024; a
 *   fraction is rounded down to whole bytes). A figure passes when it is at most its limit.
 * - `total`: limits on the whole run. `rules`: each applies to every site it matches, separately
 *   (a site's figures against the rule's limits); a rule without `file`, `fn` or `kind` matches
 *   every site. `tests`: test title (or full title, which wins) → limits; `"*"` applies to every
 *   test without an entry of its own. Tests have no `peak`.
 * - Every mistake is a `BudgetError` (a `UsageError`: exit status 2) naming the file, the JSON path
 *   and the fix.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError } from "./command";

export const BUDGET_FILE = "traced-alloc.budget.json";
/** The environment variable naming the budget file (relative to the working directory) where none is given: see `findBudget`. */
export const BUDGET_ENV = "TRACED_ALLOC_BUDGET";

export type Metric = "allocs" | "reallocs" | "bytes" | "peak" | "live";
/** Counted metrics (whole numbers) and sized ones (bytes). */
export const COUNTS: readonly Metric[] = ["allocs", "reallocs"];
export const SIZES: readonly Metric[] = ["bytes", "peak", "live"];
export const METRICS: readonly Metric[] = ["allocs", "reallocs", "bytes", "peak", "live"];
/** What a test can be held to (a measuring window has no peak). */
export const TEST_METRICS: readonly Metric[] = ["allocs", "reallocs", "bytes", "live"];

/** Limits, sizes in bytes. An absent metric is not checked. */
export type Limits = Partial<Record<Metric, number>>;

export interface Rule extends Limits {
  /** Glob on the site's file (relative to the project root): `**` crosses folders, `*` and `?` do not, `{a,b}` alternatives. */
  readonly file?: string;
  /** The function path of the site's stable key (`Encoder.encode`): it, or a function inside it; `*` one name, `**` any. */
  readonly fn?: string;
  /** What was called (`new Uint8Array`); `*` matches any characters. */
  readonly kind?: string;
  /** Where it is written, for messages: `rules[2]`. */
  readonly where: string;
}

export interface Budget {
  /** The file it was read from (as given), for messages. */
  readonly file: string;
  readonly total?: Limits;
  readonly rules: readonly Rule[];
  /** Test title or full title → limits. */
  readonly tests: ReadonlyMap<string, Limits>;
}

/** A mistake in a budget file: the message names the file, the JSON path and the fix. */
export class BudgetError extends UsageError {
  override name = "BudgetError";
}

// ---------------------------------------------------------------------------------------------
// Sizes

const UNIT: Record<string, number> = { b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };
const SIZE_HINT = 'a number of bytes or a string such as "512 B", "4 KiB", "64 MiB", "1 GiB"';

/**
 * A size: a number of bytes, or `"<n> <unit>"` with unit B, KiB, MiB or GiB (any case, space
 * optional), rounded down to whole bytes. Undefined when it is not one; `why` then says what is wrong.
 */
export function parseSize(value: unknown): { bytes?: number; why?: string } {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) return { why: `${value} is not a size ≥ 0` };
    return { bytes: Math.floor(value) };
  }
  if (typeof value !== "string") return { why: `${describe(value)} is not a size` };
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]+)?\s*$/i.exec(value);
  if (m === null) return { why: `${JSON.stringify(value)} is not a size` };
  const unit = (m[2] ?? "b").toLowerCase();
  const factor = UNIT[unit];
  if (factor === undefined) {
    const si = /^([kmg])b$/.exec(unit);
    if (si) return { why: `${JSON.stringify(value)}: ${m[2]} is ambiguous; write ${si[1].toUpperCase()}iB (powers of 1024)` };
    return { why: `${JSON.stringify(value)}: unknown unit ${m[2]} (B, KiB, MiB, GiB)` };
  }
  return { bytes: Math.floor(Number(m[1]) * factor) };
}

/** Bytes for messages: `512 B`, `4 KiB`, `6.5 KiB (6656 B)`: exact where a unit divides it, else with the bytes. */
export function formatSize(n: number): string {
  if (n < 1024) return `${n} B`;
  for (const [unit, f] of [["GiB", 1024 ** 3], ["MiB", 1024 ** 2], ["KiB", 1024]] as const) {
    if (n >= f) return n % f === 0 ? `${n / f} ${unit}` : `${(n / f).toFixed(1)} ${unit} (${n} B)`;
  }
  return `${n} B`;
}

/** A metric's value for messages: a count as is, a size with `formatSize`. */
export function formatMetric(metric: Metric, n: number): string {
  return SIZES.includes(metric) ? formatSize(n) : String(n);
}

// ---------------------------------------------------------------------------------------------
// Reading and validating

/** Reads and validates a budget file. Throws a BudgetError for a missing file, bad JSON or a bad value. */
export function readBudget(file: string, cwd = process.cwd()): Budget {
  let text: string;
  try {
    text = fs.readFileSync(path.resolve(cwd, file), "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BudgetError(
      code === "ENOENT" ? `${file}: no such budget file; write one (see README, "Budget file") or name another` : `${file}: cannot be read: ${(e as Error).message}`,
    );
  }
  return parseBudget(text, file);
}

/**
 * The budget file to use where none is named (the mocha plugin; `check` without --budget):
 * `$TRACED_ALLOC_BUDGET` if set (then it must exist: `readBudget` says so), else
 * `traced-alloc.budget.json` in `cwd` if there is one, else undefined.
 */
export function findBudget(cwd: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const named = env[BUDGET_ENV];
  if (named !== undefined && named !== "") return path.resolve(cwd, named);
  const here = path.join(cwd, BUDGET_FILE);
  return fs.existsSync(here) ? here : undefined;
}

/** Validates the text of a budget file; `file` names it in messages. */
export function parseBudget(text: string, file: string): Budget {
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (e) {
    const msg = (e as Error).message;
    const pos = /at position (\d+)/.exec(msg);
    const where = pos ? `:${lineCol(text, Number(pos[1]))}` : "";
    throw new BudgetError(`${file}${where}: not valid JSON (${msg.replace(/ in JSON at position \d+.*$/, "")}); a budget file is one JSON object`);
  }
  const fail = (where: string, problem: string): never => {
    throw new BudgetError(`${file}: ${where}: ${problem}`);
  };
  if (!isObject(json)) fail("(top level)", `${describe(json)}: a budget file is a JSON object with "total", "rules" and/or "tests"`);
  const top = json as Record<string, unknown>;
  unknownKeys(top, ["total", "rules", "tests", "$schema"], "(top level)", fail);

  const total = top.total === undefined ? undefined : limitsOf(top.total, "total", METRICS, fail, true);

  const rules: Rule[] = [];
  if (top.rules !== undefined) {
    if (!Array.isArray(top.rules)) fail("rules", `${describe(top.rules)}: "rules" is a list: [{ "file": "src/**", "bytes": "4 KiB" }, …]`);
    (top.rules as unknown[]).forEach((r, i) => rules.push(ruleOf(r, `rules[${i}]`, fail)));
  }

  const tests = new Map<string, Limits>();
  if (top.tests !== undefined) {
    if (!isObject(top.tests)) fail("tests", `${describe(top.tests)}: "tests" maps a test's title to its limits: { "encodes a frame": { "allocs": 3 } }`);
    for (const [title, limits] of Object.entries(top.tests as Record<string, unknown>)) {
      const where = `tests[${JSON.stringify(title)}]`;
      if (title.trim() === "") fail(where, "a test title cannot be empty");
      if (isObject(limits) && (limits as Record<string, unknown>).peak !== undefined) {
        fail(`${where}.peak`, "a test has no peak (it is measured by itself, not as a run); limit its bytes or live instead");
      }
      tests.set(title, limitsOf(limits, where, TEST_METRICS, fail, true));
    }
  }
  return { file, total, rules, tests };
}

type Fail = (where: string, problem: string) => never;

const MATCHERS = ["file", "fn", "kind"] as const;

function ruleOf(value: unknown, where: string, fail: Fail): Rule {
  if (!isObject(value)) fail(where, `${describe(value)}: a rule is an object: { "file": "src/**", "kind": "new Uint8Array", "bytes": "4 KiB" }`);
  const r = value as Record<string, unknown>;
  unknownKeys(r, [...MATCHERS, ...METRICS], where, fail);
  const rule: { -readonly [K in keyof Rule]: Rule[K] } = { where };
  for (const m of MATCHERS) {
    const v = r[m];
    if (v === undefined) continue;
    if (typeof v !== "string" || v === "") fail(`${where}.${m}`, `${describe(v)}: "${m}" is a non-empty string (leave it out to match every site)`);
    try {
      matcherOf(m, v as string);
    } catch (e) {
      fail(`${where}.${m}`, (e as Error).message);
    }
    rule[m] = v as string;
  }
  Object.assign(rule, limitsOf(r, where, METRICS, fail, false));
  if (!METRICS.some((m) => rule[m] !== undefined)) fail(where, `a rule with no limit checks nothing; add one of ${METRICS.join(", ")}`);
  return rule;
}

/** The limits in `value` (an object); `alone`: it holds nothing else (else matchers were checked by the caller). */
function limitsOf(value: unknown, where: string, allowed: readonly Metric[], fail: Fail, alone: boolean): Limits {
  if (!isObject(value)) fail(where, `${describe(value)}: limits are an object: { "allocs": 10, "bytes": "4 KiB" }`);
  const o = value as Record<string, unknown>;
  if (alone) unknownKeys(o, allowed, where, fail);
  const limits: Limits = {};
  for (const m of allowed) {
    const v = o[m];
    if (v === undefined) continue;
    if (COUNTS.includes(m)) {
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0) fail(`${where}.${m}`, `${describe(v)}: ${m} is a count, a whole number ≥ 0`);
      limits[m] = v as number;
    } else {
      const s = parseSize(v);
      if (s.bytes === undefined) fail(`${where}.${m}`, `${s.why}; write ${SIZE_HINT}`);
      limits[m] = s.bytes;
    }
  }
  return limits;
}

function unknownKeys(o: Record<string, unknown>, allowed: readonly string[], where: string, fail: Fail): void {
  for (const k of Object.keys(o)) {
    if (allowed.includes(k)) continue;
    const near = allowed.find((a) => a.toLowerCase() === k.toLowerCase() || editDistance(a, k) <= 2);
    fail(`${where === "(top level)" ? "" : `${where}.`}${k}`, `unknown key${near ? ` (did you mean "${near}"?)` : ""}; allowed here: ${allowed.join(", ")}`);
  }
}

function isObject(v: unknown): boolean {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  if (Array.isArray(v)) return "a list";
  if (v === null) return "null";
  if (typeof v === "object") return "an object";
  return JSON.stringify(v);
}

function lineCol(text: string, pos: number): string {
  const before = text.slice(0, pos).split("\n");
  return `${before.length}:${before[before.length - 1].length + 1}`;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length];
}

// ---------------------------------------------------------------------------------------------
// Matching

/** What a rule is matched against: a site's place, what was called, and its stable key. */
export interface SiteRef {
  readonly file: string;
  readonly kind: string;
  readonly key: string;
}

const compiled = new Map<string, RegExp>();

/** The regular expression of a rule's `file`, `fn` or `kind` pattern (cached). Throws on a malformed pattern. */
export function matcherOf(what: "file" | "fn" | "kind", pattern: string): RegExp {
  const k = `${what}\0${pattern}`;
  let re = compiled.get(k);
  if (re === undefined) {
    const body = what === "file" ? globBody(pattern, "/") : what === "fn" ? globBody(pattern, ".") : globBody(pattern, "");
    // fn: the function itself or any function inside it.
    re = new RegExp(what === "fn" ? `^(?:${body})(?:\\..*)?$` : `^(?:${body})$`, "s");
    compiled.set(k, re);
  }
  return re;
}

/**
 * A glob's regular expression source: `**` any characters, `*` and `?` any but `sep` (one and
 * one), `{a,b}` alternatives, `[…]` a character class; a `**` followed by `sep` may match nothing.
 */
function globBody(glob: string, sep: string): string {
  const notSep = sep === "" ? "." : `[^${escape(sep)}]`;
  let out = "";
  let depth = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") {
      if (glob[i + 1] === "*") {
        i++;
        if (sep !== "" && glob[i + 1] === sep) {
          i++;
          out += `(?:.*${escape(sep)})?`;
        } else out += ".*";
      } else out += `${notSep}*`;
    } else if (c === "?") out += notSep;
    else if (c === "{") {
      depth++;
      out += "(?:";
    } else if (c === "}" && depth > 0) {
      depth--;
      out += ")";
    } else if (c === "," && depth > 0) out += "|";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 2);
      if (end < 0) throw new Error(`${JSON.stringify(glob)}: "[" without "]" (write \\[ for the character)`);
      const inner = glob.slice(i + 1, end);
      out += `[${inner.startsWith("!") ? "^" + inner.slice(1) : inner}]`;
      i = end;
    } else if (c === "\\" && i + 1 < glob.length) out += escape(glob[++i]);
    else out += escape(c);
  }
  if (depth > 0) throw new Error(`${JSON.stringify(glob)}: "{" without "}"`);
  return out;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/**
 * The function path in a site's stable key, `file#scope/kind#n` (`Encoder.encode`; "" at the top
 * of a file); for a `@track_caller` caller's row (`callerKey>innerKey`), the caller's. Undefined
 * for a site without a scope (one made from a stack trace, an `Allocator` call).
 */
export function scopeOf(site: SiteRef): string | undefined {
  const own = site.key.split(">")[0];
  if (!own.startsWith(`${site.file}#`)) return undefined;
  const rest = own.slice(site.file.length + 1);
  const m = /^(.*)\/[^/]*#\d+$/s.exec(rest);
  return m === null ? undefined : m[1];
}

/** Whether `rule` applies to `site`. */
export function ruleMatches(rule: Rule, site: SiteRef): boolean {
  if (rule.file !== undefined && !matcherOf("file", rule.file).test(site.file)) return false;
  if (rule.kind !== undefined && !matcherOf("kind", rule.kind).test(site.kind)) return false;
  if (rule.fn !== undefined) {
    const scope = scopeOf(site);
    if (scope === undefined || !matcherOf("fn", rule.fn).test(scope)) return false;
  }
  return true;
}

/** The limits of a test: its full title's entry, else its title's, else `"*"`'s; with the key that matched. */
export function testLimits(budget: Budget, title: string, fullTitle: string): { key: string; limits: Limits } | undefined {
  for (const key of [fullTitle, title, "*"]) {
    const limits = budget.tests.get(key);
    if (limits !== undefined) return { key, limits };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Checking

/** One limit passed: which, the limit and what was measured. */
export interface Excess {
  readonly metric: Metric;
  readonly limit: number;
  readonly measured: number;
}

/** The limits that `measured` passes (a metric not measured is not checked), in the order of METRICS. */
export function exceeded(limits: Limits, measured: Partial<Record<Metric, number>>): Excess[] {
  const out: Excess[] = [];
  for (const metric of METRICS) {
    const limit = limits[metric];
    const value = measured[metric];
    if (limit !== undefined && value !== undefined && value > limit) out.push({ metric, limit, measured: value });
  }
  return out;
}

/** `allocs 3 > 2, bytes 6 KiB > 4 KiB`: what passed which limit. */
export function formatExcess(list: readonly Excess[]): string {
  return list.map((e) => `${e.metric} ${formatMetric(e.metric, e.measured)} > ${formatMetric(e.metric, e.limit)}`).join(", ");
}

/** `allocs ≤ 3, bytes ≤ 4 KiB`: a set of limits for messages. */
export function formatLimits(limits: Limits): string {
  return METRICS.filter((m) => limits[m] !== undefined)
    .map((m) => `${m} ≤ ${formatMetric(m, limits[m]!)}`)
    .join(", ");
}
