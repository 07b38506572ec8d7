// `traced-alloc check`: budgets (total and rules by file glob, fn, kind) and baselines on real
// traced runs, through the real bin; a baseline from one build held against a build of the same
// program with lines added above every site; sampled lifetimes refused for peak/live limits;
// GitHub annotations (escaping, the cap) and the step summary on hand-written traces; the README's
// CI recipe (fixtures/ci-recipe: its workflow's steps and ci.sh) run on a copy of the sample project.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { cleanup, fixturesDir, repoRoot } from "./harness.mjs";
import { build, loopTrace, runBin, tmpDir, traced, writeTrace } from "./support/cli.mjs";

const BASE = `import "./dump";
const keep: object[] = [];
(globalThis as any).keep = keep;
export function encode(n: number): Uint8Array {
  return new Uint8Array(n);
}
export function header(): ArrayBuffer {
  return new ArrayBuffer(8);
}
for (let i = 0; i < 100; i++) keep.push(encode(16));
for (let i = 0; i < 10; i++) keep.push(header());
keep.push(Buffer.alloc(64));
`;

/** BASE with lines added above every site (and inside the functions); `n` the size encode() is called with. */
const moved = (n) => `import "./dump";
// A comment added above everything.
const keep: object[] = [];

(globalThis as any).keep = keep;
export function encode(n: number): Uint8Array {
  // a comment inside
  return new Uint8Array(n);
}

export function header(): ArrayBuffer {

  return new ArrayBuffer(8);
}
for (let i = 0; i < 100; i++) keep.push(encode(${n}));
for (let i = 0; i < 10; i++) keep.push(header());

keep.push(Buffer.alloc(64));
`;
const MOVED = moved(16);
const GROWN = moved(20); // encode's bytes +25%, its allocs the same

/** 1-based line of the first line of `src` containing `needle`. */
const lineOf = (src, needle) => src.split("\n").findIndex((l) => l.includes(needle)) + 1;
const lastLine = (out) => out.trimEnd().split("\n").at(-1);

let base;
let head;
let grown;
let dir;
before(function () {
  this.timeout(120_000);
  base = traced(build({ "src/app.ts": BASE }), "app");
  head = traced(build({ "src/app.ts": MOVED }), "app");
  grown = traced(build({ "src/app.ts": GROWN }), "app");
  for (const r of [base, head, grown]) expect(r.status, r.stderr).to.equal(0);
  dir = tmpDir("check");
});
after(cleanup);

const budget = (name, json) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof json === "string" ? json : JSON.stringify(json));
  return file;
};

describe("traced-alloc check: budget", function () {
  this.timeout(60_000);

  it("passes when every limit holds: exit 0, the count of limits on the last line", () => {
    const t = base.threads[0].totals;
    // total: 3 limits; the rule matches 3 sites × 1 limit.
    const b = budget("ok.json", { total: { allocs: t.allocs, bytes: t.bytes, peak: t.peak }, rules: [{ file: "src/**", allocs: 100 }] });
    const r = runBin(["check", base.trace, "--budget", b]);
    expect(r.status, r.stderr + r.stdout).to.equal(0);
    expect(lastLine(r.stdout)).to.equal("traced-alloc check: ok: 6 limits held");
  });

  it("fails on a total and on rules by file glob, fn and kind: exit 1, the sites at file:line:col kind, largest excess first", () => {
    const t = base.threads[0].totals;
    const b = budget("fail.json", {
      total: { allocs: t.allocs - 1 }, // 111 > 110: +0.9%
      rules: [
        { fn: "encode", bytes: "1 KiB" }, // 1600 B > 1024 B: +56%
        { kind: "Buffer.*", allocs: 0 }, // 1 > 0: +100%
        { file: "src/*.ts", kind: "new ArrayBuffer", allocs: 10 }, // holds
        { file: "lib/**", allocs: 0 }, // matches nothing: a warning
      ],
    });
    const r = runBin(["check", base.trace, "--budget", b]);
    expect(r.status, r.stderr).to.equal(1);
    const rows = r.stdout.split("\n").filter((l) => /^ {2}(src|total)/.test(l));
    expect(rows).to.have.length(3);
    expect(rows[0]).to.match(new RegExp(`^ {2}src/app\\.ts:${lineOf(BASE, "Buffer.alloc")}:\\d+ +Buffer\\.alloc +allocs 1 > 0 +budget rules\\[1\\]$`));
    expect(rows[1]).to.match(new RegExp(`^ {2}src/app\\.ts:${lineOf(BASE, "new Uint8Array")}:\\d+ +new Uint8Array +bytes 1\\.6 KiB \\(1600 B\\) > 1 KiB +budget rules\\[0\\]$`));
    expect(rows[2]).to.match(new RegExp(`^ {2}total +allocs ${t.allocs} > ${t.allocs - 1} +budget total$`));
    // 1 total + rules[0] 1 site + rules[1] 1 site + rules[2] 1 site.
    expect(lastLine(r.stdout)).to.equal("traced-alloc check: failed: 3 of 4 limits exceeded");
    expect(r.stderr).to.include("rules[3] matches no site of the trace");
  });

  it("finds traced-alloc.budget.json in the working folder; its tests section is ignored", () => {
    const cwd = path.join(dir, "cwd");
    fs.mkdirSync(cwd, { recursive: true });
    fs.writeFileSync(path.join(cwd, "traced-alloc.budget.json"), JSON.stringify({ rules: [{ kind: "new ArrayBuffer", bytes: 79 }], tests: { "a test": { allocs: 0 } } }));
    const r = runBin(["check", base.trace], { cwd });
    expect(r.status).to.equal(1);
    expect(r.stdout).to.match(/^traced-alloc check: .* against budget traced-alloc\.budget\.json\n/);
    expect(r.stdout).to.match(/new ArrayBuffer +bytes 80 B > 79 B +budget rules\[0\]\n/);
  });

  it("nothing to check against, or a bad budget file: exit 2 with the fix", () => {
    const none = runBin(["check", base.trace], { cwd: dir });
    expect(none.status).to.equal(2);
    expect(none.stderr).to.match(/^traced-alloc: check: nothing to check .* against: pass --budget <file> \(or write traced-alloc\.budget\.json here\) and\/or --baseline <trace>/);
    const bad = runBin(["check", base.trace, "--budget", budget("bad.json", { rules: [{ kind: "new Uint8Array", bytes: "4 KB" }] })], { cwd: dir });
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.equal('traced-alloc: bad.json: rules[0].bytes: "4 KB": KB is ambiguous; write KiB (powers of 1024); write a number of bytes or a string such as "512 B", "4 KiB", "64 MiB", "1 GiB"\n');
  });

  it("a peak or live limit on a trace whose lifetimes were sampled: exit 2, saying how to record exact ones; other limits still checked", function () {
    this.timeout(120_000);
    const sampledTrace = loopTrace(20_000); // more than 8,192 objects: lifetimes sampled
    for (const limits of [{ total: { peak: "1 MiB" } }, { rules: [{ kind: "new Uint8Array", live: 0 }] }]) {
      const r = runBin(["check", sampledTrace, "--budget", budget("sampled.json", limits)], { cwd: dir });
      expect(r.status, r.stdout).to.equal(2);
      expect(r.stderr).to.match(/its lifetimes were sampled .* so its peak and live bytes are estimates, and sampled\.json limits (total\.peak|rules\[0\]\.live): record a trace with exact lifetimes, TRACED_ALLOC=ndjson=.*,lifetimes, or remove those limits/);
    }
    const counts = runBin(["check", sampledTrace, "--budget", budget("counts.json", { total: { allocs: 20_000 } })], { cwd: dir });
    expect(counts.status, counts.stderr).to.equal(0);
    const exact = loopTrace(20_000, { extra: "lifetimes" });
    const r = runBin(["check", exact, "--budget", budget("peak.json", { total: { peak: "1 MiB" }, rules: [{ kind: "new Uint8Array", live: "320 B" }] })], { cwd: dir });
    expect(r.status, r.stderr).to.equal(0); // 20 kept × 16 B live
  });
});

describe("traced-alloc check: baseline", function () {
  this.timeout(60_000);

  it("a build with lines added above every site passes against the other's baseline (sites matched by stable key)", () => {
    const r = runBin(["check", head.trace, "--baseline", base.trace, "--max-increase", "0%"]);
    expect(r.status, r.stdout + r.stderr).to.equal(0);
    // 3 sites and the total, allocs and bytes each.
    expect(lastLine(r.stdout)).to.equal("traced-alloc check: ok: 8 limits held; 0 new, 0 gone");
  });

  it("a site that allocates more than P% above fails, named at its new line: base → head (+P%)", () => {
    const r = runBin(["check", grown.trace, "--baseline", base.trace, "--max-increase", "10%"]);
    expect(r.status, r.stderr).to.equal(1);
    const line = lineOf(GROWN, "new Uint8Array");
    expect(line).to.not.equal(lineOf(BASE, "new Uint8Array"));
    expect(r.stdout, r.stdout).to.match(new RegExp(`\n {2}src/app\\.ts:${line}:\\d+ +new Uint8Array +bytes 1\\.6 KiB \\(1600 B\\) → 2\\.0 KiB \\(2000 B\\) \\(\\+25\\.0%\\) +baseline \\+10%\n`));
    // The run's total grew too (+400 B): 2 limits exceeded of 8 (3 sites and the total, allocs and bytes each).
    expect(r.stdout).to.match(/\n {2}total +bytes .* \(\+\d+\.\d%\) +baseline \+10%\n/);
    expect(lastLine(r.stdout)).to.equal("traced-alloc check: failed: 2 of 8 limits exceeded; 0 new, 0 gone");
  });

  it("--max-increase: a percentage with or without %; above the growth it passes; --json", () => {
    const j = JSON.parse(runBin(["check", grown.trace, "--baseline", base.trace, "--max-increase", "30", "--json"]).stdout);
    expect(j).to.include({ passed: true, checks: 8 });
    expect(j.baseline).to.deep.equal({ path: base.trace, maxIncrease: 30, failOnNew: false });
    const f = JSON.parse(runBin(["check", grown.trace, "--baseline", base.trace, "--json"]).stdout);
    expect(f.baseline.maxIncrease).to.equal(10); // the default
    expect(f.failures.map((x) => [x.source, x.site?.key, x.excess])).to.deep.equal([
      ["baseline", "src/app.ts#encode/new Uint8Array#1", [{ metric: "bytes", limit: 1760, measured: 2000 }]],
      ["baseline", undefined, [{ metric: "bytes", limit: Math.floor(base.threads[0].totals.bytes * 1.1), measured: grown.threads[0].totals.bytes }]],
    ]);
  });

  it("new and gone sites are listed, and fail only with --fail-on-new", () => {
    // The base build against itself with Buffer.alloc gone and a new site: hand-written traces.
    const a = handTrace("a.ndjson", [site("src/x.ts", 3, 5, "new Uint8Array", "f", 4, 16), site("src/x.ts", 9, 5, "Buffer.alloc", "g", 1, 64)]);
    const b = handTrace("b.ndjson", [site("src/x.ts", 3, 5, "new Uint8Array", "f", 4, 16), site("src/y.ts", 2, 1, "new ArrayBuffer", "h", 1, 8)]);
    const r = runBin(["check", b, "--baseline", a], { cwd: dir });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/\nnew sites \(not in the baseline; not failures without --fail-on-new\):\n +site +kind +allocs +bytes\n +src\/y\.ts:2:1 +new ArrayBuffer +1 +8 B\n/);
    expect(r.stdout).to.match(/\ngone sites \(in the baseline only; at their place there\):\n +site +kind +allocs +bytes\n +src\/x\.ts:9:5 +Buffer\.alloc +1 +64 B\n/);
    const strict = runBin(["check", b, "--baseline", a, "--fail-on-new"], { cwd: dir });
    expect(strict.status).to.equal(1);
    expect(strict.stdout).to.match(/\n {2}src\/y\.ts:2:1 +new ArrayBuffer +new site: 1 alloc \(not in the baseline; --fail-on-new\) +baseline \(new site\)\n/);
  });

  it("--update-baseline writes the trace to the baseline path and says so; a missing baseline says how to make one", () => {
    const file = path.join(dir, "baselines", "app.ndjson");
    const missing = runBin(["check", base.trace, "--baseline", file], { cwd: dir });
    expect(missing.status).to.equal(2);
    expect(missing.stderr).to.include(`no baseline at ${file}: make one with 'traced-alloc check ${base.trace} --baseline ${file} --update-baseline' (and commit it)`);
    const r = runBin(["check", base.trace, "--baseline", file, "--update-baseline"], { cwd: dir });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.equal(`traced-alloc check: wrote the baseline ${file} from ${base.trace} (3 sites, 111 allocs); commit it\n`);
    expect(fs.readFileSync(file, "utf8")).to.equal(fs.readFileSync(base.trace, "utf8"));
    expect(runBin(["check", head.trace, "--baseline", file], { cwd: dir }).status).to.equal(0);
  });

  it("bad usage: exit 2 with a message", () => {
    const cases = [
      [["check"], /^traced-alloc: check: missing <trace>/],
      [["check", base.trace, "--bogus"], /^traced-alloc: check: unknown option --bogus/],
      [["check", base.trace, "--baseline", base.trace, "--max-increase", "ten"], /--max-increase ten: expected a percentage ≥ 0 such as 10% or 10/],
      [["check", base.trace, "--baseline", base.trace, "--max-increase=-5%"], /--max-increase -5%: expected a percentage/],
      [["check", base.trace, "--max-increase", "10%"], /--max-increase needs --baseline <trace>/],
      [["check", base.trace, "--update-baseline"], /--update-baseline needs --baseline <trace>/],
      [["check", "nope.ndjson", "--baseline", base.trace], /no trace at nope\.ndjson: no such file/],
    ];
    for (const [args, message] of cases) {
      const r = runBin(args, { cwd: dir });
      expect(r.status, args.join(" ")).to.equal(2);
      expect(r.stderr, args.join(" ")).to.match(message);
    }
    const h = runBin(["check", "--help"]);
    expect(h.status).to.equal(0);
    expect(h.stdout).to.match(/^Usage: traced-alloc check <trace>/);
  });
});

// ---------------------------------------------------------------------------------------------
// Hand-written traces: sites with n allocations of `size` bytes each, all live at exit.

function site(file, line, col, kind, fn, allocs, size) {
  return { file, line, col, kind, key: `${file}#${fn}/${kind}#1`, allocs, size };
}

function handTrace(name, sites, { root = path.join(dir, "project") } = {}) {
  const records = [{ trace: "traced-allocator", version: 1, pid: 1, thread: 0, node: process.version, argv: ["node", "main.js"], start: "2026-01-01T00:00:00.000Z", root, lifetimes: { exact: 8192, sampleBytes: 16384 } }];
  let id = 0;
  let t = 0;
  let allocs = 0;
  let bytes = 0;
  sites.forEach((s, i) => {
    records.push({ site: i + 1, file: s.file, line: s.line, col: s.col, kind: s.kind, key: s.key, thread: 0 });
    for (let k = 0; k < s.allocs; k++) {
      records.push({ event: "alloc", size: s.size, align: 1, file: s.file, line: s.line, col: s.col, kind: s.kind, site: i + 1, id: ++id, t: (t += 0.5), thread: 0 });
      allocs++;
      bytes += s.size;
    }
  });
  records.push({ end: { allocs, reallocs: 0, bytes, deallocs: 0, live: bytes, estimated: false }, thread: 0 });
  const held = sites.map((s) => ({ key: s.key, file: s.file, line: s.line, col: s.col, kind: s.kind, bytes: s.allocs * s.size })).sort((x, y) => y.bytes - x.bytes);
  records.push({ peak: { bytes, t, allocs, estimated: false, sites: held }, thread: 0 });
  return writeTrace(path.join(dir, name), records);
}

describe("traced-alloc check: GITHUB_ACTIONS=true", function () {
  this.timeout(60_000);

  it("one ::error a site at its line (path from the repository root, properties and message escaped), the run's total without a file; the step summary's table", () => {
    const odd = "src/a,b:c%d.ts";
    const trace = handTrace("gh.ndjson", [site(odd, 7, 3, "new Uint8Array", "Enc.run", 3, 100), site("src/ok.ts", 2, 9, "Buffer.alloc", "", 1, 10)], { root: path.join(dir, "repo", "packages", "app") });
    const b = budget("gh.json", { total: { bytes: 300 }, rules: [{ file: "src/a*", bytes: 200 }, { kind: "Buffer.alloc", allocs: 1 }] });
    const summary = path.join(dir, "summary.md");
    fs.writeFileSync(summary, "earlier step\n");
    const r = runBin(["check", trace, "--budget", b], { cwd: dir, env: { GITHUB_ACTIONS: "true", GITHUB_WORKSPACE: path.join(dir, "repo"), GITHUB_STEP_SUMMARY: summary } });
    expect(r.status, r.stderr).to.equal(1);
    expect(r.stdout.split("\n").filter((l) => l.startsWith("::"))).to.deep.equal([
      "::error file=packages/app/src/a%2Cb%3Ac%25d.ts,line=7,col=3,title=traced-alloc%3A new Uint8Array allocates too much::src/a,b:c%25d.ts#Enc.run/new Uint8Array#1: bytes 300 B > 200 B (budget rules[0])",
      "::error title=traced-alloc%3A the run allocates too much::total: bytes 310 B > 300 B (budget total)",
    ]);
    expect(fs.readFileSync(summary, "utf8")).to.equal(
      "earlier step\n" +
        "### traced-alloc check: failed\n\n" +
        "gh.ndjson against budget `gh.json`: 2 of 3 limits exceeded.\n\n" +
        "| site | kind | measured | limit |\n| --- | --- | --- | --- |\n" +
        "| packages/app/src/a,b:c%d.ts:7:3 | new Uint8Array | bytes 300 B > 200 B | budget rules[0] |\n" +
        "| total |  | bytes 310 B > 300 B | budget total |\n\n",
    );
    // Without GITHUB_ACTIONS: no workflow commands, nothing appended.
    const plain = runBin(["check", trace, "--budget", b], { cwd: dir, env: { GITHUB_ACTIONS: "", GITHUB_STEP_SUMMARY: summary } });
    expect(plain.status).to.equal(1);
    expect(plain.stdout).to.not.match(/^::/m);
    expect(fs.readFileSync(summary, "utf8").match(/###/g)).to.have.length(1);
  });

  it("at most 10 annotations: 9 sites, then '… and N more'; a pass writes no annotation and an ok summary", () => {
    const sites = Array.from({ length: 12 }, (_, i) => site(`src/f${i}.ts`, i + 1, 1, "new Uint8Array", "", 1, 100 + i));
    const trace = handTrace("many.ndjson", sites);
    const r = runBin(["check", trace, "--budget", budget("many.json", { rules: [{ bytes: 99 }] })], { cwd: dir, env: { GITHUB_ACTIONS: "true", GITHUB_WORKSPACE: path.join(dir, "project"), GITHUB_STEP_SUMMARY: "" } });
    expect(r.status).to.equal(1);
    const lines = r.stdout.split("\n").filter((l) => l.startsWith("::"));
    expect(lines).to.have.length(10);
    // Largest excess first: f11 (111 B) down to f3.
    expect(lines.slice(0, 9).map((l) => /file=([^,]*)/.exec(l)[1])).to.deep.equal(Array.from({ length: 9 }, (_, i) => `src/f${11 - i}.ts`));
    expect(lines[9]).to.equal("::error::traced-alloc check: and 3 more (see the log or the step summary)");
    const summary = path.join(dir, "ok.md");
    const ok = runBin(["check", trace, "--budget", budget("fine.json", { rules: [{ bytes: 200 }] })], { cwd: dir, env: { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: summary } });
    expect(ok.status).to.equal(0);
    expect(ok.stdout).to.not.match(/^::/m);
    expect(fs.readFileSync(summary, "utf8")).to.equal("### traced-alloc check: ok\n\nmany.ndjson against budget `fine.json`: 12 limits held.\n\n");
  });
});

// ---------------------------------------------------------------------------------------------
// The README's CI recipe on a copy of fixtures/ci-recipe, set up as `npm ci` would (its
// node_modules: this package, TypeScript and ts-patch's tspc, @types/node).

const recipe = path.join(fixturesDir, "ci-recipe");

/** The `run:` steps of the workflow after `npm ci`, with their `env:` (a small reader of this one file's shape). */
function workflowSteps() {
  const steps = [];
  let cur;
  let inEnv = false;
  for (const line of fs.readFileSync(path.join(recipe, ".github/workflows/allocations.yml"), "utf8").split("\n")) {
    if (/^ {6}- /.test(line)) {
      cur = { run: undefined, env: {} };
      steps.push(cur);
      inEnv = false;
    }
    const run = /^ {6}(?:- | {2})run: (.*)$/.exec(line);
    if (run) cur.run = run[1];
    if (/^ {8}env:$/.test(line)) inEnv = true;
    else if (inEnv && /^ {10}(\w+): (.*)$/.test(line)) {
      const [, k, v] = /^ {10}(\w+): (.*)$/.exec(line);
      cur.env[k] = v;
    } else if (!/^ {10}/.test(line)) inEnv = false;
  }
  const runs = steps.filter((s) => s.run !== undefined);
  expect(runs[0].run).to.equal("npm ci");
  return runs.slice(1);
}

describe("the CI recipe (fixtures/ci-recipe)", function () {
  this.timeout(120_000);
  let project;
  const sh = (command, env = {}) => {
    const r = spawnSync("sh", ["-c", command], { cwd: project, encoding: "utf8", timeout: 120_000, env: { ...process.env, TRACED_ALLOC: "", GITHUB_ACTIONS: "", ...env } });
    if (r.error) throw r.error;
    return r;
  };
  /** The workflow's steps in order, as GitHub runs them (each step's env added); stops at the first failure. */
  const workflow = (env) => {
    let last;
    for (const s of workflowSteps()) {
      last = sh(s.run, { ...env, ...s.env });
      if (last.status !== 0) return last;
    }
    return last;
  };

  before(() => {
    project = fs.mkdtempSync(path.join(os.tmpdir(), "traced-alloc-ci-"));
    fs.cpSync(recipe, project, { recursive: true });
    const bin = path.join(project, "node_modules", ".bin");
    fs.mkdirSync(bin, { recursive: true });
    fs.symlinkSync(repoRoot, path.join(project, "node_modules", "traced-allocator"), "dir");
    fs.symlinkSync(path.join(repoRoot, "node_modules", "@types"), path.join(project, "node_modules", "@types"), "dir");
    fs.symlinkSync(path.join(repoRoot, "node_modules", ".bin", "tspc"), path.join(bin, "tspc"));
    fs.writeFileSync(path.join(bin, "traced-alloc"), `#!/bin/sh\nexec node ${JSON.stringify(path.join(repoRoot, "dist/cli/main.js"))} "$@"\n`, { mode: 0o755 });
  });
  after(() => fs.rmSync(project, { recursive: true, force: true }));

  it("a baseline made once; lines added above every site pass; a line that allocates more fails with an annotation at that line", () => {
    // Once, by the user: the traced build and run, then the baseline (committed).
    const first = workflow({});
    expect(first.status, first.stdout + first.stderr).to.equal(2);
    expect(first.stderr).to.include("no baseline at allocations.baseline.ndjson: make one with 'traced-alloc check trace.ndjson --baseline allocations.baseline.ndjson --update-baseline'");
    const made = sh("npx traced-alloc check trace.ndjson --baseline allocations.baseline.ndjson --update-baseline");
    expect(made.status, made.stderr).to.equal(0);

    // A pull request that adds lines above every site: the plain commands pass.
    const codec = path.join(project, "src", "codec.ts");
    const src = fs.readFileSync(codec, "utf8");
    fs.writeFileSync(codec, "// Frames: a 4-byte length, then the UTF-8 body.\n\n" + src.replace("  const frame", "  // the frame: header and body\n  const frame"));
    const pass = sh("./ci.sh", { GITHUB_ACTIONS: "true", GITHUB_WORKSPACE: project });
    expect(pass.status, pass.stdout + pass.stderr).to.equal(0);
    expect(lastLine(pass.stdout)).to.match(/^traced-alloc check: ok: \d+ limits held; 0 new, 0 gone$/);
    expect(pass.stdout).to.not.match(/^::/m);

    // A pull request that makes one line allocate more (a 64-byte header instead of 4): the workflow's steps fail at it.
    const grownSrc = fs.readFileSync(codec, "utf8").replace("new Uint8Array(4 + body.length)", "new Uint8Array(64 + body.length)");
    fs.writeFileSync(codec, grownSrc);
    const summary = path.join(project, "summary.md");
    const fail = workflow({ GITHUB_ACTIONS: "true", GITHUB_WORKSPACE: project, GITHUB_STEP_SUMMARY: summary });
    expect(fail.status, fail.stdout + fail.stderr).to.equal(1);
    const line = lineOf(grownSrc, "new Uint8Array(64");
    const notes = fail.stdout.split("\n").filter((l) => l.startsWith("::error"));
    expect(notes[0], notes[0]).to.match(new RegExp(`^::error file=src/codec\\.ts,line=${line},col=\\d+,title=traced-alloc%3A new Uint8Array allocates too much::src/codec\\.ts#encode/new Uint8Array#1: bytes .* \\(\\+\\d+\\.\\d%25\\) \\(baseline \\+10%25\\)$`));
    expect(fs.readFileSync(summary, "utf8")).to.match(new RegExp(`\\| src/codec\\.ts:${line}:\\d+ \\| new Uint8Array \\| bytes `));
  });
});
