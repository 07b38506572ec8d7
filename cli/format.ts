/**
 * Text shared by the commands: sizes as the runtime's summary writes them (`1.5 KiB`), signed
 * changes, places, and plain-text tables (first columns left-aligned, figures right-aligned, two
 * spaces apart, as the summary's table).
 */
import type { Place } from "./model";

const UNITS = ["KiB", "MiB", "GiB", "TiB"];

/** Bytes as the summary writes them: `512 B`, `1.5 KiB`, `46.3 MiB`. */
export function human(n: number): string {
  const sign = n < 0 ? "-" : "";
  let v = Math.abs(n);
  if (v < 1024) return `${sign}${Math.round(v)} B`;
  let u = -1;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${sign}${v.toFixed(1)} ${UNITS[u]}`;
}

/** A change with its sign: `+3`, `-1.5 KiB`, `0`. */
export function signed(n: number, asBytes = false): string {
  if (n === 0) return asBytes ? "0 B" : "0";
  const s = asBytes ? human(Math.abs(n)) : String(Math.abs(n));
  return (n > 0 ? "+" : "-") + s;
}

/** A change relative to `base`: ` (+8.3%)`, or "" when there is no base to compare with. */
export function relative(delta: number, base: number): string {
  if (delta === 0 || base === 0) return "";
  return ` (${delta > 0 ? "+" : "-"}${((Math.abs(delta) / base) * 100).toFixed(1)}%)`;
}

/** `file:line:col`. */
export function at(p: Place): string {
  return `${p.file}:${p.line}:${p.col}`;
}

/** `~` before a figure that is an estimate. */
export function est(estimated: boolean): string {
  return estimated ? "~" : "";
}

/** Milliseconds since the start, as the summary writes them. */
export function ms(t: number): string {
  return `${t.toFixed(1)} ms`;
}

/** A share as a percentage with one decimal. */
export function percent(part: number, whole: number): string {
  return whole > 0 ? `${((part / whole) * 100).toFixed(1)}%` : "-";
}

/**
 * Lines of aligned cells, two spaces apart, each indented by `indent`, without trailing spaces.
 * `align`: a number N (the first N columns left-aligned, the rest right-aligned, as the summary's
 * table), or one letter a column, `l` or `r` (`"rrll"`).
 */
export function columns(rows: string[][], align: number | string = 2, indent = ""): string {
  const n = Math.max(0, ...rows.map((r) => r.length));
  const widths = Array.from({ length: n }, (_, i) => Math.max(0, ...rows.map((r) => (r[i] ?? "").length)));
  const left = (i: number) => (typeof align === "number" ? i < align : align[i] !== "r");
  const line = (cells: string[]) => indent + cells.map((c, i) => (left(i) ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ").trimEnd() + "\n";
  return rows.map(line).join("");
}

/** A table: `head`, then `rows` (see `columns`). */
export function table(head: string[], rows: string[][], align: number | string = 2, indent = ""): string {
  return columns([head, ...rows], align, indent);
}

/** `1 site`, `3 sites`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
