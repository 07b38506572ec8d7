/**
 * Live bytes over time as an inline SVG: the trace's `timeline` (all threads, downsampled) as a line
 * over a filled area, the peak record marked with a dot and a label. x is ms since the start, y bytes.
 */
import type { LivePoint, Peak } from "../model";
import { esc } from "./escape";
import { est, human, ms } from "../format";

const W = 900; // viewBox width and height, in SVG units (the SVG scales to the page's width)
const H = 220;
const LEFT = 70; // room for the y labels
const RIGHT = 20;
const TOP = 24; // room for the peak's label
const BOTTOM = 28; // room for the x labels

export function timelineSvg(points: readonly LivePoint[], peak: Peak | undefined): string {
  if (points.length === 0) return `<p class="empty">No live bytes over time in this trace.</p>`;
  const tMax = Math.max(points[points.length - 1].t, peak?.t ?? 0) || 1;
  const yMax = Math.max(...points.map((p) => p.live), peak?.bytes ?? 0) || 1;
  const x = (t: number) => LEFT + (t / tMax) * (W - LEFT - RIGHT);
  const y = (v: number) => TOP + (1 - v / yMax) * (H - TOP - BOTTOM);
  const f = (n: number) => n.toFixed(1);
  const line = points.map((p) => `${f(x(p.t))},${f(y(p.live))}`).join(" ");
  const area = `${f(x(points[0].t))},${f(y(0))} ${line} ${f(x(points[points.length - 1].t))},${f(y(0))}`;
  const parts: string[] = [];
  for (const v of [0, yMax / 2, yMax]) {
    parts.push(`<line class="grid" x1="${LEFT}" x2="${W - RIGHT}" y1="${f(y(v))}" y2="${f(y(v))}"/>`);
    parts.push(`<text class="axis" x="${LEFT - 6}" y="${f(y(v) + 4)}" text-anchor="end">${esc(human(v))}</text>`);
  }
  for (const [t, anchor] of [[0, "start"], [tMax / 2, "middle"], [tMax, "end"]] as const) {
    parts.push(`<text class="axis" x="${f(x(t))}" y="${H - 8}" text-anchor="${anchor}">${esc(ms(t))}</text>`);
  }
  parts.push(`<polygon class="area" points="${area}"/>`, `<polyline class="live" points="${line}"/>`);
  if (peak) {
    const px = x(peak.t);
    const py = y(peak.bytes);
    const label = `peak ${est(peak.estimated)}${human(peak.bytes)} at ${ms(peak.t)}`;
    const anchor = px > W - 200 ? "end" : px < LEFT + 100 ? "start" : "middle";
    parts.push(
      `<line class="peak" x1="${f(px)}" x2="${f(px)}" y1="${f(py)}" y2="${f(y(0))}"/>`,
      `<circle class="peak" cx="${f(px)}" cy="${f(py)}" r="4"/>`,
      `<text class="peak" x="${f(px)}" y="${f(Math.max(py - 8, 12))}" text-anchor="${anchor}">${esc(label)}</text>`,
    );
  }
  const desc = `Live bytes over ${ms(tMax)}${peak ? `, peak ${est(peak.estimated)}${human(peak.bytes)} at ${ms(peak.t)}` : ""}`;
  return `<svg id="timeline" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(desc)}">${parts.join("")}</svg>`;
}
