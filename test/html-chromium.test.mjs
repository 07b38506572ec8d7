// traced-alloc html in a real browser (issue 9, point 4): Debian's chromium, headless, driven by
// puppeteer-core (which never downloads a browser). The page of a real traced run, opened from disk:
// the top site in the table, sorting and filtering, the flame graph drawn, no console or page error,
// no request but the file itself; a file name with markup in it stays text.
// TA_SCREENSHOT=1 writes docs/html-report.png (the README's screenshot).
// Without chromium: skipped, or a failure when CI=true (CI must install it).
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { createRequire } from "node:module";
import { spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";
import puppeteer from "puppeteer-core";
import { compile, runNdjson, repoRoot } from "./harness.mjs";

const require = createRequire(import.meta.url);
const BIN = path.join(repoRoot, "dist/cli/main.js");

/** TA_CHROMIUM, else chromium (or chromium-browser) on PATH. */
function findChromium() {
  if (process.env.TA_CHROMIUM) return process.env.TA_CHROMIUM;
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    for (const name of ["chromium", "chromium-browser"]) {
      const file = path.join(dir, name);
      try {
        fs.accessSync(file, fs.constants.X_OK);
        return file;
      } catch {}
    }
  }
  return undefined;
}

// A small program with a cache it lets go twice (live bytes rise and fall), a @track_caller pool,
// a growing buffer, an array, and what it keeps at exit.
const demo = {
  "src/codec.ts": `// A toy frame codec: every encode makes a header and a body buffer.
export class Encoder {
  encode(text: string): Uint8Array {
    const header = new Uint8Array(8);
    const body = Buffer.from(text, "utf8");
    const frame = new Uint8Array(header.length + body.length);
    frame.set(header);
    frame.set(body, header.length);
    return frame;
  }
}
`,
  "src/pool.ts": `// Fixed-size chunks; take() is @track_caller: its allocations are reported at the caller's line.
export class Pool {
  constructor(private readonly size: number) {}
  /** @track_caller */
  take(): Uint8Array {
    return new Uint8Array(this.size);
  }
}
`,
  "src/main.ts": `import { Encoder } from "./codec";
import { Pool } from "./pool";

const encoder = new Encoder();
const pool = new Pool(4096);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const kept: unknown[] = [];

async function main(): Promise<void> {
  const log = new ArrayBuffer(1024, { maxByteLength: 1 << 20 });
  let cache: Uint8Array[] = [];
  for (let round = 0; round < 14; round++) {
    for (let i = 0; i < 120; i++) {
      const frame = encoder.encode(\`message \${round}.\${i} \`.repeat(40 + 20 * (i % 9)));
      if (i % 4 === 0) cache.push(frame);
      cache.push(pool.take());
    }
    if (log.byteLength < log.maxByteLength) log.resize(log.byteLength * 2);
    if (round % 4 === 3) {
      cache = []; // the cache is let go: live bytes fall at the next collection
      (globalThis as { gc?: () => void }).gc?.();
    }
    await sleep(5);
  }
  const index = new Array(cache.length).fill(0);
  kept.push(pool.take(), new Float64Array(index.length));
}

main();
`,
};

/** Compiles and runs `files` traced; writes the trace and its page (through the bin); returns both paths and the Trace. */
async function reportOf(files, nodeArgs = []) {
  const built = compile({ files });
  expect(built.diagnostics).to.deep.equal([]);
  const run = runNdjson(path.join(built.outDir, "src/main.js"), { nodeArgs });
  expect(run.status, run.stderr).to.equal(0);
  const tracePath = path.join(built.outDir, "run.ndjson");
  fs.writeFileSync(tracePath, run.text);
  const htmlPath = path.join(built.outDir, "report.html");
  const r = spawnSync(process.execPath, [BIN, "html", tracePath, "-o", htmlPath], { encoding: "utf8" });
  expect(r.status, r.stderr).to.equal(0);
  const { readTrace } = require(path.join(repoRoot, "dist/cli/trace.js"));
  return { tracePath, htmlPath, trace: await readTrace(tracePath) };
}

const chromium = findChromium();

describe("traced-alloc html in Chromium", function () {
  this.timeout(60_000);
  let browser;

  before(async function () {
    if (!chromium) {
      if (process.env.CI === "true") throw new Error("no chromium on PATH: CI must install Debian's chromium package (apt-get install -y chromium)");
      console.log("      skipped: no chromium on PATH (Debian: apt-get install chromium; with CI=true this fails)");
      this.skip();
    }
    browser = await puppeteer.launch({
      executablePath: chromium,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    });
  });
  after(async () => browser?.close());

  /** Opens a page from disk; collects console errors, page errors, and every request. */
  async function open(htmlPath, viewport = { width: 1280, height: 900 }) {
    const page = await browser.newPage();
    await page.setViewport({ ...viewport, deviceScaleFactor: 1 });
    const problems = [];
    const requests = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warn") problems.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("request", (r) => requests.push(r.url()));
    const url = pathToFileURL(htmlPath).href;
    await page.goto(url, { waitUntil: "load" });
    // The flame graph is drawn: frames with their labels (set after d3's transition).
    await page
      .waitForFunction(
        () => {
          const labels = [...document.querySelectorAll("#flamegraph svg g.frame .d3-flame-graph-label")];
          return labels.length > 0 && labels.every((l) => l.style.display === "none" || l.textContent !== "");
        },
        { timeout: 10_000 },
      )
      .catch((e) => {
        throw new Error(`no flame graph drawn in 10 s (${e.message}); the page said: ${problems.join("; ") || "nothing"}`);
      });
    return { page, problems, requests, url };
  }

  /** The visible rows of the site table: the site cell's text (place, then `via …`). One evaluate, no element handles ($$eval makes one a row: slow). */
  const visibleSites = (page) =>
    page.evaluate(() =>
      [...document.querySelectorAll("#sites tbody tr")].filter((r) => !r.hidden).map((r) => r.cells[0].innerText.replace(/\s+/g, " ").trim()),
    );
  const label = (s) => `${s.file}:${s.line}:${s.col}${s.inner ? ` via ${s.inner.file}:${s.inner.line}:${s.inner.col}` : ""}`;

  it("a real run's page: the top site first in the table, sorting, filtering, the flame graph, no error, nothing loaded", async () => {
    const { htmlPath, trace } = await reportOf(demo, ["--expose-gc"]);
    const { page, problems, requests, url } = await open(htmlPath);

    // The table as drawn, in the trace's order (largest bytes first); the top site is the first row.
    expect(await visibleSites(page)).to.deep.equal(trace.sites.map(label));
    const top = trace.sites[0];
    expect(await page.$eval("#sites tbody tr td", (td) => td.querySelector(".place").textContent)).to.equal(`${top.file}:${top.line}:${top.col}`);
    expect(await page.$eval('[data-figure="sites"] .value', (e) => e.textContent)).to.equal(String(trace.sites.length));

    // Sort: a click on "allocs" puts the most allocations first, a second click the fewest.
    const byAllocs = [...trace.sites].map((s, i) => ({ s, i })).sort((a, b) => b.s.allocs - a.s.allocs || a.i - b.i);
    await page.click("#sites thead th:nth-child(3) button");
    expect(await page.$eval("#sites thead th:nth-child(3)", (th) => th.getAttribute("aria-sort"))).to.equal("descending");
    expect(await visibleSites(page)).to.deep.equal(byAllocs.map((x) => label(x.s)));
    await page.click("#sites thead th:nth-child(3) button");
    const ascending = await page.evaluate(() => [...document.querySelectorAll("#sites tbody tr")].map((r) => Number(r.cells[2].dataset.v)));
    expect(ascending).to.deep.equal([...trace.sites.map((s) => s.allocs)].sort((a, b) => a - b));

    // Filter: only the rows that name codec.ts; the count says so; the flame graph highlights them.
    await page.type("#filter", "codec.ts");
    const codec = trace.sites.filter((s) => s.file.includes("codec.ts"));
    expect(codec.length).to.be.within(1, trace.sites.length - 1);
    const shown = await visibleSites(page);
    expect([...shown].sort()).to.deep.equal(codec.map(label).sort());
    expect(await page.$eval("#shown", (e) => e.textContent)).to.equal(`${codec.length} of ${trace.sites.length} sites`);
    expect(await page.$eval("#flame-details", (e) => e.textContent)).to.match(/^matching: /);
    await page.$eval("#filter", (e) => {
      e.value = "";
      e.dispatchEvent(new Event("input"));
    });
    expect(await visibleSites(page)).to.have.length(trace.sites.length);

    // The flame graph: an SVG of frames; the root holds every byte; a @track_caller row is the
    // caller's line with the inner site right above it.
    const frames = await page.$$eval("#flamegraph svg g.frame", (gs) =>
      gs.map((g) => {
        const [, x, y] = g.getAttribute("transform").match(/translate\(([-\d.e]+),([-\d.e]+)\)/).map(Number);
        return { name: g.getAttribute("name"), x, y, width: Number(g.querySelector("rect").getAttribute("width")) };
      }),
    );
    const root = frames.find((f) => f.name === "all");
    expect(root.width).to.be.above(300);
    const tc = trace.sites.find((s) => s.inner && s.bytes > trace.totals.bytes / 10);
    expect(tc, "the demo's pool.take() row").to.not.equal(undefined);
    const caller = frames.find((f) => f.name === `${tc.file}:${tc.line}:${tc.col}`);
    const inner = frames.find((f) => f.name === `${tc.inner.file}:${tc.inner.line}:${tc.inner.col} ${tc.kind}` && Math.abs(f.x - caller.x) < 0.5);
    expect(caller.y - inner.y).to.equal(18); // one cell higher
    expect(inner.width / root.width).to.be.closeTo(tc.bytes / trace.totals.bytes, 0.01);

    expect(problems).to.deep.equal([]);
    expect(requests).to.deep.equal([url]);

    if (process.env.TA_SCREENSHOT === "1") {
      const file = path.join(repoRoot, "docs/html-report.png");
      fs.mkdirSync(path.dirname(file), { recursive: true });
      await page.reload({ waitUntil: "load" }); // unsorted, unfiltered
      await page.waitForFunction(() => document.querySelector("#flamegraph .d3-flame-graph-label")?.textContent !== "");
      await new Promise((r) => setTimeout(r, 600)); // d3's transitions end
      await page.screenshot({ path: file, fullPage: true });
      console.log(`      wrote ${path.relative(repoRoot, file)} (${(fs.statSync(file).size / 1024).toFixed(0)} KiB)`);
    }
    await page.close();
  });

  it("a table of 3,000 sites: 1,000 rows at a time; sorting and filtering reach the others", async () => {
    const { htmlOf } = require(path.join(repoRoot, "dist/cli/html.js"));
    const sites = Array.from({ length: 3000 }, (_, i) => ({
      thread: 0, file: `src/m${i}.ts`, line: 1, col: 1, kind: "new Uint8Array", key: `src/m${i}.ts#f/new Uint8Array#1`,
      // bytes fall with i (the trace's order); allocs rise with i: sorting by allocs brings the last rows first.
      allocs: i + 1, reallocs: 0, bytes: 10 * (3000 - i), max: 0, deallocs: 0, live: 0, atPeak: 0, estimated: false, sampled: false, temporaries: 0,
    }));
    const trace = {
      path: "many.ndjson", version: 1, threads: [{ thread: 0, sampling: false }], sites,
      totals: { allocs: sites.reduce((n, s) => n + s.allocs, 0), reallocs: 0, bytes: sites.reduce((n, s) => n + s.bytes, 0), deallocs: 0, live: 0, estimated: false },
      peak: undefined, timeline: [], lines: 1, events: 1, truncated: false, warnings: [],
    };
    const file = path.join(compile({ files: { "x.ts": "" } }).outDir, "many.html");
    fs.writeFileSync(file, htmlOf(trace));
    const { page, problems } = await open(file);
    const first = async () => (await visibleSites(page))[0];
    expect(await visibleSites(page)).to.have.length(1000);
    expect(await first()).to.equal("src/m0.ts:1:1");
    let t = Date.now();
    await page.click("#sites thead th:nth-child(3) button");
    const sortMs = Date.now() - t;
    expect(await visibleSites(page)).to.have.length(1000);
    expect(await first()).to.equal("src/m2999.ts:1:1");
    t = Date.now();
    await page.type("#filter", "m1234.");
    const filterMs = Date.now() - t;
    expect(await visibleSites(page)).to.deep.equal(["src/m1234.ts:1:1"]);
    expect(await page.$eval("#shown", (e) => e.textContent)).to.equal("1 of 3,000 sites");
    console.log(`      3,000 rows: sort ${sortMs} ms, filter (6 keystrokes) ${filterMs} ms`);
    expect(problems).to.deep.equal([]);
    await page.close();
  });

  it("a file name with markup in it is text: no element made from it, no error", async () => {
    const evil = "</script><b>x.ts";
    const { htmlPath, trace } = await reportOf({
      [`src/${evil}`]: "export function make(): Uint8Array {\n  return new Uint8Array(64);\n}\n",
      "src/main.ts": `import { make } from "./${evil.replace(/\.ts$/, "")}";\nexport const kept = [make(), new Uint8Array(8)];\n`,
    });
    expect(trace.sites.map((s) => s.file)).to.include(`src/${evil}`);
    const { page, problems } = await open(htmlPath);
    expect(await page.$$eval("b", (bs) => bs.length)).to.equal(0);
    expect(await visibleSites(page)).to.include(`src/${evil}:2:10`);
    expect(await page.$$eval("#flamegraph svg g.frame", (gs) => gs.map((g) => g.getAttribute("name")))).to.include(`src/${evil}:2:10 new Uint8Array`);
    expect(await page.title()).to.equal("traced-alloc: run.ndjson");
    expect(problems).to.deep.equal([]);
    await page.close();
  });
});
