/** How the page writes figures: as the runtime's summary does (B, KiB, MiB; `~` before an estimate). */

/** Bytes, as the summary writes them: `512 B`, `1.5 KiB`. Estimates (fractional) are rounded. */
export function bytes(n: number): string {
  const v0 = Math.round(n);
  if (Math.abs(v0) < 1024) return `${v0} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = v0;
  let u = -1;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

/** A count with thousands separators: `1,234,567`. Estimates (fractional) are rounded. */
export function count(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** Milliseconds since the start: `135.6 ms`, `2.41 s`. */
export function ms(t: number): string {
  return t < 1000 ? `${t.toFixed(1)} ms` : `${(t / 1000).toFixed(2)} s`;
}

/** `~` when the figure is an estimate, else nothing. */
export function est(estimated: boolean): string {
  return estimated ? "~" : "";
}
