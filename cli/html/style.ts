/** The page's style sheet: system fonts only (the page loads nothing). */
export const css = `
:root { --fg: #1d1f21; --muted: #5f6368; --line: #dadce0; --accent: #c5221f; --live: #1a73e8; --bg-alt: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1200px; padding: 16px 24px 40px; color: var(--fg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
h1 { font-size: 22px; margin: 8px 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; }
code, .place, .via, td.num, .figure .value { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; }
.meta { color: var(--muted); margin: 0; overflow-wrap: anywhere; }
.warning { background: #fef7e0; border: 1px solid #f9d67a; padding: 6px 10px; border-radius: 4px; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(160px, 1fr)); gap: 10px; margin: 16px 0 4px; }
.figure { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
.figure .label { color: var(--muted); font-size: 12px; }
.figure .value { font-size: 20px; font-weight: 600; }
.figure .sub { color: var(--muted); font-size: 12px; }
.figure.peak .value { color: var(--accent); }
.note { color: var(--muted); font-size: 12px; margin: 4px 0; }
#timeline { width: 100%; height: auto; display: block; }
#timeline .grid { stroke: var(--line); stroke-width: 1; }
#timeline .axis { fill: var(--muted); font-size: 11px; }
#timeline .area { fill: var(--live); fill-opacity: .12; }
#timeline .live { fill: none; stroke: var(--live); stroke-width: 1.5; }
#timeline line.peak { stroke: var(--accent); stroke-dasharray: 3 3; }
#timeline circle.peak { fill: var(--accent); }
#timeline text.peak { fill: var(--accent); font-size: 12px; font-weight: 600; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 3px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; white-space: nowrap; }
tbody tr:nth-child(even) { background: var(--bg-alt); }
th button { all: unset; cursor: pointer; font-weight: 600; }
th button:focus-visible { outline: 2px solid var(--live); }
th[aria-sort="ascending"] button::after { content: " \\25B2"; }
th[aria-sort="descending"] button::after { content: " \\25BC"; }
.via { display: block; color: var(--muted); font-size: 12px; }
.tools { display: flex; gap: 12px; align-items: center; margin-bottom: 6px; }
#filter { width: 320px; max-width: 100%; padding: 4px 8px; font: inherit; }
#shown { color: var(--muted); }
.scroll { max-height: 560px; overflow: auto; border: 1px solid var(--line); border-radius: 4px; }
.scroll thead th { position: sticky; top: 0; background: #fff; box-shadow: 0 1px 0 var(--line); }
#flame-details { color: var(--muted); min-height: 1.5em; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
#flamegraph { overflow-x: auto; }
/* d3-flame-graph asks for Verdana, which most systems lack: the page's monospace instead (an id wins over its class rule) */
#flamegraph .d3-flame-graph-label { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 11px; }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
`;
