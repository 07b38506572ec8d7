/**
 * The HTML report: one self-contained file made from a `Trace` (no network: scripts, styles and data
 * are inline, and a Content-Security-Policy lets the page load nothing and run only its own scripts).
 * Sections: the totals and the peak, live bytes over time, what was held at the peak, the site table
 * (sortable, filterable), the flame graph of allocated bytes. `~` marks an estimate, as in the summary.
 */
import { createHash } from "node:crypto";
import * as path from "node:path";
import type { SiteFigures, Trace } from "../model";
import { clientScript } from "./client";
import { esc, inlineScript, scriptJson } from "./escape";
import { flameTree } from "./flame";
import { at, est, human, ms, percent } from "../format";
import { css } from "./style";
import { timelineSvg } from "./timeline";
import type { VendorScript } from "./vendor";

/** A count with thousands separators: `1,234,567` (estimates, fractional, rounded). */
const count = (n: number) => Math.round(n).toLocaleString("en-US");

/** How many of the sites held at the peak the page lists. */
const PEAK_ROWS = 10;
/** How many rows of the site table are shown at once (the others: by sorting or filtering). */
export const TABLE_ROWS = 1000;

export function renderPage(trace: Trace, vendor: readonly VendorScript[]): string {
  const scripts = [...vendor.map(vendorScript()), clientScript].map(inlineScript);
  const hashes = scripts.map((s) => `'sha256-${createHash("sha256").update(s).digest("base64")}'`);
  const csp = `default-src 'none'; script-src ${hashes.join(" ")}; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'`;
  const name = path.basename(trace.path);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(`traced-alloc: ${name}`)}</title>
<style>${css}</style>
</head>
<body>
${header(trace)}
${trace.warnings.map((w) => `<p class="warning">${esc(w)}</p>`).join("\n")}
${figures(trace)}
${legend(trace)}
<section id="over-time">
<h2>Live bytes over time</h2>
${timelineSvg(trace.timeline, trace.peak)}
</section>
${peakSection(trace)}
${siteTable(trace)}
<section id="flame">
<h2>Flame graph: bytes allocated</h2>
<p class="note">One frame per site; a call to a <code>@track_caller</code> function is the caller's line with the site inside the function above it. Click a frame to zoom in, click the bottom frame to zoom out; the filter above highlights frames.</p>
<div id="flame-details"></div>
<div id="flamegraph"></div>
<noscript><p class="note">The flame graph and the table's sorting need JavaScript.</p></noscript>
</section>
<footer>Made by <code>traced-alloc html</code> from ${esc(trace.path)}. Flame graph drawn by ${vendor
    .filter((v) => v.name === "d3-flame-graph")
    .map((v) => `${esc(v.name)} ${esc(v.version)}`)
    .join("")} and d3, bundled in this page.</footer>
<script type="application/json" id="ta-flame">${scriptJson(flameTree(trace.sites))}</script>
${scripts.map((s) => `<script>${s}</script>`).join("\n")}
</body>
</html>
`;
}

/**
 * A bundled script with its notice first: name, version, license, and the LICENSE text the first
 * time that text occurs (the d3 modules share one).
 */
function vendorScript(): (v: VendorScript) => string {
  const seen = new Map<string, string>(); // LICENSE text -> the package that carried it first
  return (v) => {
    const first = seen.get(v.licenseText);
    if (first === undefined) seen.set(v.licenseText, v.name);
    const text = v.licenseText === "" ? "" : first === undefined ? `\n\n${v.licenseText}` : ` (the LICENSE text of ${first}, above)`;
    return `/*! ${v.name} ${v.version}, ${v.license}${text.replaceAll("*/", "* /")} */\n${v.source}`;
  };
}

function header(trace: Trace): string {
  const main = trace.threads.find((t) => t.thread === 0) ?? trace.threads[0];
  const facts = [
    main?.argv ? `<code>${esc(main.argv.join(" "))}</code>` : "",
    main?.node ? `node ${esc(main.node)}` : "",
    main?.start ? `started ${esc(main.start)}` : "",
    `${count(trace.threads.length)} thread${trace.threads.length === 1 ? "" : "s"}`,
    `${count(trace.events)} events`,
    trace.version === 0 ? "NDJSON before trace format 1" : "trace format 1",
  ].filter(Boolean);
  return `<header>
<h1>Allocations: ${esc(path.basename(trace.path))}</h1>
<p class="meta">${facts.join(" · ")}</p>
</header>`;
}

function figure(id: string, label: string, value: string, sub = "", cls = ""): string {
  return `<div class="figure${cls ? ` ${cls}` : ""}" data-figure="${id}"><div class="label">${esc(label)}</div><div class="value">${esc(value)}</div>${
    sub ? `<div class="sub">${esc(sub)}</div>` : ""
  }</div>`;
}

function figures(trace: Trace): string {
  const t = trace.totals;
  const e = est(t.estimated);
  const arrays = trace.sites.some((s) => s.estimated) ? "~" : "";
  const p = trace.peak;
  return `<section class="figures" id="totals">
${figure("bytes", "allocated", `${arrays}${human(t.bytes)}`, `${count(t.bytes)} bytes`)}
${figure("allocs", "allocations", count(t.allocs), `${count(t.reallocs)} reallocs`)}
${figure("deallocs", "deallocations", `${e}${count(t.deallocs)}`)}
${figure("live", "live at exit", `${e}${human(t.live)}`)}
${
  p
    ? figure("peak", "peak live", `${est(p.estimated)}${human(p.bytes)}`, `at ${ms(p.t)}, after ${count(p.allocs)} allocs`, "peak")
    : figure("peak", "peak live", "none", "nothing was live", "peak")
}
${figure("sites", "sites", count(trace.sites.length))}
</section>`;
}

function peakSection(trace: Trace): string {
  const p = trace.peak;
  if (!p || p.sites.length === 0) return "";
  const rows = p.sites.slice(0, PEAK_ROWS).map(
    (s) =>
      `<tr><td><span class="place">${esc(at(s))}</span></td><td>${esc(s.kind)}</td><td class="num">${esc(
        `${est(p.estimated)}${human(s.bytes)}`,
      )}</td><td class="num">${esc(percent(s.bytes, p.bytes))}</td></tr>`,
  );
  const more = p.sites.length > PEAK_ROWS ? `<p class="note">and ${count(p.sites.length - PEAK_ROWS)} more sites.</p>` : "";
  return `<section id="at-peak">
<h2>Held at the peak (${esc(`${est(p.estimated)}${human(p.bytes)}`)} at ${esc(ms(p.t))})</h2>
<table><thead><tr><th>site</th><th>kind</th><th class="num">bytes</th><th class="num">share</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody></table>
${more}
</section>`;
}

/** A numeric cell: `data-v` is what sorting compares, the text is what a reader sees. */
function num(value: number, text: string, title?: string): string {
  return `<td class="num" data-v="${value}"${title ? ` title="${esc(title)}"` : ""}>${esc(text)}</td>`;
}

function siteRow(s: SiteFigures, i: number, threads: boolean): string {
  const place = at(s);
  const inner = s.inner ? at(s.inner) : "";
  // Sorting by site: by file, then line, then column (zero-padded so text order is number order).
  const placeOrder = `${s.file}:${String(s.line).padStart(9, "0")}:${String(s.col).padStart(9, "0")}`;
  const filterText = [place, s.kind, s.key, inner && `via ${inner}`, threads ? `thread ${s.thread}` : ""].join(" ").toLowerCase();
  const e = est(s.sampled);
  return `<tr data-i="${i}" data-filter="${esc(filterText)}"${i >= TABLE_ROWS ? " hidden" : ""}><td data-v="${esc(placeOrder)}" title="${esc(s.key)}"><span class="place">${esc(place)}</span>${
    inner ? `<span class="via">via ${esc(inner)}</span>` : ""
  }</td><td data-v="${esc(s.kind)}">${esc(s.kind)}</td>${threads ? num(s.thread, String(s.thread)) : ""}${num(s.allocs, count(s.allocs))}${num(
    s.reallocs,
    count(s.reallocs),
  )}${num(s.bytes, `${est(s.estimated)}${human(s.bytes)}`, `${count(s.bytes)} bytes`)}${num(s.atPeak, `${e}${human(s.atPeak)}`)}${num(
    s.live,
    `${e}${human(s.live)}`,
  )}</tr>`;
}

function siteTable(trace: Trace): string {
  const threads = trace.threads.length > 1;
  const th = (label: string, type: "num" | "text", sort?: "descending") =>
    `<th${type === "num" ? ` class="num"` : ""} data-type="${type}"${sort ? ` aria-sort="${sort}"` : ""}><button type="button">${label}</button></th>`;
  const head = [
    th("site", "text"),
    th("kind", "text"),
    threads ? th("thread", "num") : "",
    th("allocs", "num"),
    th("reallocs", "num"),
    // trace.sites come largest bytes first: the table starts sorted by bytes.
    th("bytes", "num", "descending"),
    th("at peak", "num"),
    th("live", "num"),
  ].join("");
  return `<section id="site-table">
<h2>Sites</h2>
<div class="tools"><input id="filter" type="search" placeholder="filter: file, line, kind, key" aria-label="filter the sites"><span id="shown">${count(
    trace.sites.length,
  )} sites${trace.sites.length > TABLE_ROWS ? `, the first ${count(TABLE_ROWS)} shown (sort or filter for the others)` : ""}</span></div>
<div class="scroll"><table id="sites" data-limit="${TABLE_ROWS}"><thead><tr>${head}</tr></thead>
<tbody>
${trace.sites.map((s, i) => siteRow(s, i, threads)).join("\n")}
</tbody></table></div>
<p class="note">bytes: allocated at the site (at a realloc's own row, the growth); at peak: held there at the peak; live: held at exit. Hover a site for its stable key.</p>
</section>`;
}

function legend(trace: Trace): string {
  const notes: string[] = [];
  if (trace.sites.some((s) => s.estimated)) notes.push("~ in bytes: estimated size (arrays: 8 bytes an element)");
  if (trace.totals.estimated || trace.sites.some((s) => s.sampled))
    notes.push("~ in deallocs, live, at peak: estimated from sampled lifetimes (TRACED_ALLOC=…,lifetimes follows every object)");
  return notes.map((n) => `<p class="note">${esc(n)}</p>`).join("");
}
