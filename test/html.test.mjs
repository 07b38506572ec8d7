// traced-alloc html (issue 9, point 4): the page made from a Trace (cli/model.ts), without a browser:
// what it shows, that user data in it is escaped, that it loads nothing, and the command's usage.
// test/html-chromium.test.mjs opens the page in a real browser.
import { expect } from "chai";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { compile, fixturesDir, repoRoot, runNdjson, scratch } from "./harness.mjs";

const require = createRequire(import.meta.url);
const { htmlOf, defaultOutput, command } = require(path.join(repoRoot, "dist/cli/html.js"));
const { flameTree } = require(path.join(repoRoot, "dist/cli/html/flame.js"));
const { flameGraphScripts } = require(path.join(repoRoot, "dist/cli/html/vendor.js"));
const { UsageError } = require(path.join(repoRoot, "dist/cli/command.js"));

// --- hand-made traces ---------------------------------------------------------------------------
const site = (o) => ({
  thread: 0, reallocs: 0, max: 0, deallocs: 0, live: 0, atPeak: 0,
  estimated: false, sampled: false, temporaries: 0, ...o,
});
const codec = site({
  file: "src/codec.ts", line: 12, col: 15, kind: "new Uint8Array", key: "src/codec.ts#Encoder.encode/new Uint8Array#1",
  allocs: 1000, bytes: 4_096_000, max: 4096, deallocs: 990, live: 40_960, atPeak: 204_800,
});
const viaVec = (line, n, bytes) =>
  site({
    file: "src/main.ts", line, col: 13, kind: "new ArrayBuffer",
    key: `src/main.ts#main/new Vec#${n}>src/vec.ts#Vec.constructor/new ArrayBuffer#1`,
    inner: { file: "src/vec.ts", line: 12, col: 16, key: "src/vec.ts#Vec.constructor/new ArrayBuffer#1" },
    allocs: 2, bytes, atPeak: bytes / 2,
  });
const resize = site({
  file: "src/main.ts", line: 7, col: 34, kind: "ArrayBuffer.prototype.resize", key: "src/main.ts#main/push#1",
  allocs: 0, reallocs: 3, bytes: 28,
});
const thread = (n) => ({ thread: n, pid: 42, node: "v20.20.2", argv: ["/usr/bin/node", "dist/main.js"], start: "2026-12-01T07:20:19.043Z", root: "/app", sampling: false });

function traceOf(sites, over = {}) {
  const sum = (f) => sites.reduce((n, s) => n + s[f], 0);
  return {
    path: "/tmp/run.ndjson", version: 1, threads: [thread(0)], sites,
    totals: { allocs: sum("allocs"), reallocs: sum("reallocs"), bytes: sum("bytes"), deallocs: sum("deallocs"), live: sum("live"), estimated: false },
    peak: { bytes: 307_200, t: 120.5, allocs: 500, estimated: false, sites: [{ ...codec, bytes: 204_800 }] },
    timeline: [{ t: 0, live: 0 }, { t: 120.5, live: 307_200 }, { t: 250, live: 40_960 }],
    lines: 2000, events: 1990, truncated: false, warnings: [], ...over,
  };
}

// --- reading the page back (by the HTML parser's own rules for what we emit) -----------------------
/** Each <script>: its attributes and its text, ended (as the HTML parser ends it) by the first `</script`. */
function scriptsOf(html) {
  const out = [];
  const re = /<script([^>]*)>/gi;
  let m;
  while ((m = re.exec(html))) {
    const end = html.toLowerCase().indexOf("</script", re.lastIndex);
    out.push({ attrs: m[1], text: html.slice(re.lastIndex, end) });
    re.lastIndex = end;
  }
  return out;
}
/** The page outside its scripts and the style sheet: what the parser reads as markup. */
const markupOf = (html) => html.replace(/<script[^>]*>[\s\S]*?<\/script>/gi, "").replace(/<style>[\s\S]*?<\/style>/, "");
const unescape = (s) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&");
/** The site table's rows: each cell's text (tags dropped, entities decoded). */
function siteRows(html) {
  const body = html.slice(html.indexOf('<table id="sites"'));
  const tbody = body.slice(body.indexOf("<tbody>"), body.indexOf("</tbody>"));
  return [...tbody.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((r) =>
    [...r[1].matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => unescape(c[1].replace(/<span class="via">/g, " ").replace(/<[^>]+>/g, ""))),
  );
}
const figureOf = (html, id) => {
  const m = html.match(new RegExp(`data-figure="${id}"><div class="label">[^<]*</div><div class="value">([^<]*)</div>`));
  return m && unescape(m[1]);
};

describe("traced-alloc html: the page", function () {
  this.timeout(30_000);
  const vendorCount = flameGraphScripts().length;

  it("shows the totals and the peak, each site's row in the trace's order, and a @track_caller row with its inner site", () => {
    const trace = traceOf([codec, viaVec(6, 1, 2_048_000), resize]);
    const html = htmlOf(trace);
    expect(figureOf(html, "bytes")).to.equal("5.9 MiB"); // 4,096,000 + 2,048,000 + 28 bytes
    expect(figureOf(html, "allocs")).to.equal("1,002");
    expect(figureOf(html, "live")).to.equal("40.0 KiB");
    expect(figureOf(html, "peak")).to.equal("300.0 KiB");
    expect(html).to.include("at 120.5 ms, after 500 allocs");
    const rows = siteRows(html);
    expect(rows.map((r) => r[0])).to.deep.equal(["src/codec.ts:12:15", "src/main.ts:6:13 via src/vec.ts:12:16", "src/main.ts:7:34"]);
    // site, kind, allocs, reallocs, bytes, at peak, live
    expect(rows[0]).to.deep.equal(["src/codec.ts:12:15", "new Uint8Array", "1,000", "0", "3.9 MiB", "200.0 KiB", "40.0 KiB"]);
    expect(rows[2]).to.deep.equal(["src/main.ts:7:34", "ArrayBuffer.prototype.resize", "0", "3", "28 B", "0 B", "0 B"]);
    expect(html, "no estimate, no ~").not.to.match(/>~/);
    // sorting compares data-v: exact figures, not the rounded text
    expect(html).to.include('data-v="4096000"');
  });

  it("marks estimates with ~: sampled lifetimes (deallocs, live, at peak, the peak) and array sizes", () => {
    const sampled = site({ ...codec, sampled: true, live: 40_960.5 });
    const array = site({ file: "src/a.ts", line: 3, col: 9, kind: "new Array", key: "src/a.ts#f/new Array#1", allocs: 2, bytes: 80, estimated: true });
    const trace = traceOf([sampled, array]);
    trace.totals.estimated = true;
    trace.peak = { ...trace.peak, estimated: true };
    const html = htmlOf(trace);
    expect(figureOf(html, "deallocs")).to.equal("~990");
    expect(figureOf(html, "live")).to.equal("~40.0 KiB");
    expect(figureOf(html, "peak")).to.equal("~300.0 KiB");
    expect(figureOf(html, "bytes")).to.equal("~3.9 MiB");
    const [r0, r1] = siteRows(html);
    expect([r0[4], r0[5], r0[6]]).to.deep.equal(["3.9 MiB", "~200.0 KiB", "~40.0 KiB"]);
    expect([r1[4], r1[5], r1[6]]).to.deep.equal(["~80 B", "0 B", "0 B"]);
    expect(html).to.include("~ in bytes: estimated size").and.include("~ in deallocs, live, at peak: estimated");
  });

  it("with several threads, a thread column", () => {
    const one = htmlOf(traceOf([codec]));
    const two = htmlOf(traceOf([codec, site({ ...codec, thread: 1 })], { threads: [thread(0), thread(1)] }));
    expect(siteRows(one)[0]).to.have.length(7);
    expect(siteRows(two).map((r) => r[2])).to.deep.equal(["0", "1"]);
    expect(two).to.include("2 threads");
  });

  it("a table of many sites shows the first 1,000 rows (the page's script shows others on sorting or filtering)", () => {
    const many = Array.from({ length: 1200 }, (_, i) => site({ ...codec, line: i + 1, bytes: 5000 - i }));
    const html = htmlOf(traceOf(many));
    const trs = [...html.matchAll(/<tr data-i="(\d+)"[^>]*?( hidden)?>/g)];
    expect(trs).to.have.length(1200);
    expect(trs.filter((m) => m[2]).map((m) => Number(m[1]))).to.deep.equal(Array.from({ length: 200 }, (_, i) => 1000 + i));
    expect(html).to.include('<span id="shown">1,200 sites, the first 1,000 shown (sort or filter for the others)</span>');
  });

  it("live bytes over time: an SVG line through the timeline, the peak marked; no timeline, a sentence", () => {
    const html = htmlOf(traceOf([codec]));
    const svg = html.match(/<svg id="timeline"[\s\S]*?<\/svg>/)[0];
    expect(svg.match(/<polyline class="live" points="([^"]*)"/)[1].split(" ")).to.have.length(3);
    expect(svg).to.include('<circle class="peak"').and.include("peak 300.0 KiB at 120.5 ms");
    const none = htmlOf(traceOf([codec], { timeline: [], peak: undefined }));
    expect(none).not.to.include('<svg id="timeline"');
    expect(none).to.include("No live bytes over time in this trace.");
    expect(figureOf(none, "peak")).to.equal("none");
  });

  it("the flame graph's data: one frame per site, a @track_caller row is the caller's line then the inner site", () => {
    const sites = [codec, viaVec(6, 1, 2_048_000), viaVec(9, 2, 512_000), site({ ...viaVec(9, 2, 100), kind: "new Uint8Array" }), resize, site({ ...codec, line: 40, bytes: 0 })];
    const tree = flameTree(sites);
    const names = (f) => f.children.map((c) => [c.name, c.value]);
    expect(tree.value).to.equal(4_096_000 + 2_048_000 + 512_000 + 100 + 28);
    expect(names(tree)).to.deep.equal([
      ["src/codec.ts:12:15 new Uint8Array", 4_096_000],
      ["src/main.ts:6:13", 2_048_000],
      ["src/main.ts:9:13", 512_100], // two rows at one caller's line: one caller frame
      ["src/main.ts:7:34 ArrayBuffer.prototype.resize", 28],
    ]); // and no frame for a site with 0 bytes
    expect(names(tree.children[1])).to.deep.equal([["src/vec.ts:12:16 new ArrayBuffer", 2_048_000]]);
    expect(names(tree.children[2])).to.deep.equal([["src/vec.ts:12:16 new ArrayBuffer", 512_000], ["src/vec.ts:12:16 new Uint8Array", 100]]);
    expect(tree.children[0].children).to.deep.equal([]);
    // the page carries exactly this tree
    const html = htmlOf(traceOf(sites));
    const json = scriptsOf(html).find((s) => s.attrs.includes('id="ta-flame"'));
    expect(JSON.parse(json.text)).to.deep.equal(tree);
  });

  it("escapes everything from the trace: file names, kinds, keys, argv, warnings cannot add markup or end a script", () => {
    const evil = "</script><b>x.ts";
    const attack = `"><img src=x onerror=alert(1)><!--`;
    const trace = traceOf(
      [
        site({ ...codec, file: evil, key: `${evil}#f/new Uint8Array#1'"&` }),
        site({ ...viaVec(6, 1, 100), kind: attack, inner: { file: `<script>alert(1)</script>.ts`, line: 1, col: 1, key: attack } }),
      ],
      { path: `/tmp/</title><script>alert(1)</script>.ndjson`, warnings: [`line 9 cut off: <b>${attack}`] },
    );
    trace.threads[0] = { ...trace.threads[0], argv: ["node", "</script><b>", attack], node: "<i>v20</i>" };
    trace.peak = { ...trace.peak, sites: [{ ...trace.peak.sites[0], file: evil, kind: attack }] };
    const html = htmlOf(trace);
    // Scripts: the bundled ones, the page's own and the flame graph's JSON; none cut short, no new one.
    const scripts = scriptsOf(html);
    expect(scripts).to.have.length(vendorCount + 2);
    expect(JSON.parse(scripts.find((s) => s.attrs.includes('id="ta-flame"')).text).children[0].name).to.equal(`${evil}:12:15 new Uint8Array`);
    // Markup: no tag or comment that the page does not make itself.
    const markup = markupOf(html);
    expect(markup).not.to.match(/<b>|<img|<i>|<!--|<script|<\/title><script/i);
    const tags = new Set([...markup.matchAll(/<([a-z0-9]+)/gi)].map((m) => m[1].toLowerCase()));
    expect([...tags].sort()).to.deep.equal(
      ["body", "button", "circle", "code", "div", "footer", "h1", "h2", "head", "header", "html", "input", "line", "meta", "noscript", "p", "polygon", "polyline", "section", "span", "svg", "table", "tbody", "td", "text", "th", "thead", "title", "tr"].sort(),
    );
    // ... and the text reads back as it was.
    const rows = siteRows(html);
    expect(rows[0][0]).to.equal(`${evil}:12:15`);
    expect(rows[1][0]).to.equal(`src/main.ts:6:13 via <script>alert(1)</script>.ts:1:1`);
    expect(rows[1][1]).to.equal(attack);
    expect(unescape(html)).to.include(`line 9 cut off: <b>${attack}`);
  });

  it("loads nothing: no external resource, and a Content-Security-Policy that allows only the page's own scripts (by hash)", () => {
    const html = htmlOf(traceOf([codec]));
    const markup = markupOf(html);
    expect(markup).not.to.match(/\s(src|href|srcset|action)=/i);
    expect(markup).not.to.match(/<(link|img|iframe|object|embed|base)\b/i);
    const csp = unescape(html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]*)">/)[1]);
    expect(csp).to.match(/^default-src 'none'; /);
    const runnable = scriptsOf(html).filter((s) => s.attrs === "");
    expect(runnable).to.have.length(vendorCount + 1);
    for (const s of runnable) expect(csp).to.include(`'sha256-${createHash("sha256").update(s.text).digest("base64")}'`);
    expect(csp.match(/'sha256-/g)).to.have.length(runnable.length);
  });

  it("bundles d3-flame-graph and the d3 modules it needs, each after its dependencies; the page's size", () => {
    const scripts = flameGraphScripts();
    const names = scripts.map((s) => s.name);
    expect(names.at(-1)).to.equal("d3-flame-graph");
    const at = (n) => names.indexOf(n);
    for (const [dep, user] of [["d3-selection", "d3-transition"], ["d3-array", "d3-scale"], ["d3-time", "d3-time-format"], ["d3-hierarchy", "d3-flame-graph"]])
      expect(at(dep), `${dep} before ${user}`).to.be.within(0, at(user) - 1);
    // Each bundled package's notice: its LICENSE text, once per distinct text.
    const html = htmlOf(traceOf([codec]));
    for (const s of scripts) expect(html, s.name).to.include(`/*! ${s.name} ${s.version}, ${s.license}`);
    for (const text of new Set(scripts.map((s) => s.licenseText))) expect(html.split(text).length - 1, text.slice(0, 40)).to.equal(1);
    expect(scripts.find((s) => s.name === "d3-flame-graph").licenseText).to.match(/Apache License\s+Version 2\.0/);
    const size = Buffer.byteLength(html);
    console.log(`      page with one site: ${(size / 1024).toFixed(1)} KiB (${scripts.length} bundled scripts)`);
    expect(size).to.be.below(250 * 1024);
  });
});

describe("traced-alloc html: usage", () => {
  const io = () => {
    const io = { stdout: "", stderr: "", cwd: "/tmp", env: {}, out: (t) => (io.stdout += t), err: (t) => (io.stderr += t) };
    return io;
  };

  it("--help prints the usage and exits 0", async () => {
    const i = io();
    expect(await command.run(["--help"], i)).to.equal(0);
    expect(i.stdout).to.match(/^traced-alloc html <trace> \[-o report\.html\]/).and.include("-o, --output FILE");
  });

  it("bad usage is a UsageError naming the fix", async () => {
    for (const [args, message] of [
      [[], /^html: missing <trace> \(usage: traced-alloc html <trace>/],
      [["a.ndjson", "b.ndjson"], /^html: unexpected argument "b\.ndjson"/],
      [["a.ndjson", "--top", "3"], /^html: unknown option --top/],
      [["a.ndjson", "-o"], /^html: -o, --output needs a value/],
      [["a.ndjson", "-o", ""], /^html: -o needs a file name/],
      [["a.ndjson", "-o", "/tmp/a.ndjson"], /^html: -o \/tmp\/a\.ndjson would overwrite the trace/],
    ]) {
      const err = await command.run(args, io()).then(() => undefined, (e) => e);
      expect(err, String(args)).to.be.instanceOf(UsageError);
      expect(err.message).to.match(message);
    }
  });

  it("writes <trace name>.html beside the trace unless -o says otherwise", () => {
    expect(defaultOutput("runs/trace.ndjson")).to.equal("runs/trace.html");
    expect(defaultOutput("trace")).to.equal("trace.html");
    expect(defaultOutput("a.b/trace.1.ndjson")).to.equal("a.b/trace.1.html");
  });
});

describe("traced-alloc html: through the bin, on real traces", function () {
  this.timeout(60_000);
  const BIN = path.join(repoRoot, "dist/cli/main.js");
  const bin = (args, cwd) => spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", timeout: 30_000 });
  const noStack = (stderr) => expect(stderr).not.to.match(/^\s+at /m);
  let dir, trace;

  before(async () => {
    // fixtures/example: a Vec whose methods are @track_caller, one buffer freed by hand, one collected.
    const built = compile(path.join(fixturesDir, "example"));
    const run = runNdjson(path.join(built.outDir, "src/main.js"), { nodeArgs: ["--expose-gc"] });
    expect(run.status, run.stderr).to.equal(0);
    dir = scratch("html");
    fs.writeFileSync(path.join(dir, "trace.ndjson"), run.text);
    trace = await require(path.join(repoRoot, "dist/cli/trace.js")).readTrace(path.join(dir, "trace.ndjson"));
    expect(trace.sites.some((s) => s.inner), "the fixture has @track_caller rows").to.equal(true);
  });

  it("html <trace> writes <trace>.html beside it: every site of the trace in the table, the totals, the flame graph's data", () => {
    const r = bin(["html", "trace.ndjson"], dir);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^trace\.html: [\d.]+ KiB, \d+ sites, from trace\.ndjson\n$/);
    const html = fs.readFileSync(path.join(dir, "trace.html"), "utf8");
    const label = (s) => `${s.file}:${s.line}:${s.col}${s.inner ? ` via ${s.inner.file}:${s.inner.line}:${s.inner.col}` : ""}`;
    const rows = siteRows(html);
    expect(rows.map((r) => r[0])).to.deep.equal(trace.sites.map(label));
    expect(rows.map((r) => [r[1], r[2], r[3]])).to.deep.equal(trace.sites.map((s) => [s.kind, String(s.allocs), String(s.reallocs)]));
    expect(figureOf(html, "allocs")).to.equal(trace.totals.allocs.toLocaleString("en-US"));
    expect(figureOf(html, "bytes")).to.equal(`${trace.totals.bytes} B`);
    const json = scriptsOf(html).find((s) => s.attrs.includes('id="ta-flame"'));
    expect(JSON.parse(json.text)).to.deep.equal(flameTree(trace.sites));
    expect(html).to.include("<title>traced-alloc: trace.ndjson</title>");
  });

  it("-o names the file; -o - writes the page to standard output", () => {
    const r = bin(["html", "trace.ndjson", "-o", "out/../report.html"], dir);
    expect(r.status, r.stderr).to.equal(0);
    expect(fs.readFileSync(path.join(dir, "report.html"), "utf8")).to.match(/^<!DOCTYPE html>/);
    const s = bin(["html", "trace.ndjson", "-o", "-"], dir);
    expect(s.status, s.stderr).to.equal(0);
    expect(s.stdout).to.match(/^<!DOCTYPE html>[\s\S]*<\/html>\n$/);
  });

  it("a trace cut short: the page of every whole line, and the warning, on stderr and in the page", () => {
    const text = fs.readFileSync(path.join(dir, "trace.ndjson"), "utf8");
    const cut = text.slice(0, text.lastIndexOf('{"event"') + 20);
    fs.writeFileSync(path.join(dir, "cut.ndjson"), cut);
    const r = bin(["html", "cut.ndjson"], dir);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/cut/i);
    expect(fs.readFileSync(path.join(dir, "cut.html"), "utf8")).to.match(/<p class="warning">[^<]*cut/i);
  });

  it("bad input: exit 2, one message naming the problem, no stack trace", () => {
    fs.writeFileSync(path.join(dir, "bad.ndjson"), text0() + '{"event":"alloc","size":\n' + '{"event":"alloc"}\n');
    for (const [args, message] of [
      [["html", "missing.ndjson"], /missing\.ndjson/],
      [["html", "bad.ndjson"], /bad\.ndjson:2: /],
      [["html"], /missing <trace>/],
      [["html", "trace.ndjson", "--bogus"], /unknown option --bogus/],
      [["html", "trace.ndjson", "-o", "no/such/folder/x.html"], /cannot write no\/such\/folder\/x\.html: ENOENT/],
    ]) {
      const r = bin(args, dir);
      expect(r.status, `${args.join(" ")}: ${r.stderr}`).to.equal(2);
      expect(r.stderr, args.join(" ")).to.match(message);
      noStack(r.stderr);
    }
    function text0() {
      return fs.readFileSync(path.join(dir, "trace.ndjson"), "utf8").split("\n")[0] + "\n";
    }
  });

  it("--help: the usage, exit 0", () => {
    const r = bin(["html", "--help"], dir);
    expect(r.status).to.equal(0);
    expect(r.stdout).to.include("traced-alloc html <trace> [-o report.html]");
  });
});
