#!/usr/bin/env node
// traced-allocator benchmarks (`npm run bench`). See bench/PERFORMANCE.md for what each figure means.
//
//   npm run bench                      full run (about 12 minutes on 2 idle cores), markdown on stdout
//   npm run bench -- --json            the same figures as one JSON object on stdout (npm itself prints
//                                      a 2-line banner first: `npm run -s bench -- --json` omits it)
//   npm run bench -- --quick           a smoke run with few rounds (about 3 minutes)
//   npm run bench -- --only=capture,micro,msgpack,alloc,load,build
//   npm run bench -- --only=instructions  the allocation loop and msgpack counted in instructions
//                                      (valgrind; noise-free; about 15 minutes; not in the full run)
//   npm run bench -- --rounds=N        rounds for micro, msgpack, alloc and build (capture: runs)
//   npm run bench -- --use-dist        use the repository's dist/ as built, instead of compiling the
//                                      current transformer/ and runtime/ sources into a frozen copy
//
// Progress goes to stderr. All scratch goes to bench/.work (git-ignored). Every measured variant runs
// in its own child process, one at a time, variants interleaved within each round (ABCD ABCD ...).
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  BENCH_DIR,
  ROOT,
  WORK,
  countLines,
  countOccurrences,
  envWith,
  fileSize,
  log,
  machineInfo,
  median,
  rmrf,
  round,
  roundSummary,
  runJsonChild,
  runNode,
  runProcess,
  summarize,
} from "./lib.mjs";

// ------------------------------------------------------------------------------------ options

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const value = (name) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
if (flag("help") || flag("h")) {
  process.stdout.write(fs.readFileSync(new URL(import.meta.url), "utf8").split("\n").slice(1, 16).map((l) => l.replace(/^\/\/ ?/, "")).join("\n") + "\n");
  process.exit(0);
}
const JSON_OUT = flag("json");
const QUICK = flag("quick");
const ONLY = new Set((value("only") ?? "capture,micro,msgpack,alloc,load,reader,build").split(",").map((s) => s.trim()));
const ROUNDS = value("rounds") ? Number(value("rounds")) : undefined;
const USE_DIST = flag("use-dist");

const CFG = QUICK
  ? { captureRuns: 1, captureMs: 150, microRounds: 1, microMs: 60, msgRounds: 2, msgOffRounds: 0, msgWarm: 30, msgPasses: 60, allocRounds: 1, loadRuns: 10, buildRounds: 1 }
  : { captureRuns: 5, captureMs: 400, microRounds: 4, microMs: 200, msgRounds: 8, msgOffRounds: 16, msgWarm: 80, msgPasses: 160, allocRounds: 5, loadRuns: 40, buildRounds: 6 };
// msgOffRounds: extra rounds of the plain and the unset variants only. `overhead_off` is a small
// difference, so it gets the most samples (msgRounds + msgOffRounds); the others get msgRounds.
if (ROUNDS) Object.assign(CFG, { captureRuns: ROUNDS, microRounds: ROUNDS, msgRounds: ROUNDS, msgOffRounds: ROUNDS, allocRounds: ROUNDS, buildRounds: ROUNDS });

const TSC = path.join(ROOT, "node_modules/typescript/bin/tsc");
const TSPC = path.join(ROOT, "node_modules/ts-patch/bin/tspc.js");
const CPU_PRELOAD = path.join(BENCH_DIR, "cpu-at-exit.cjs");
const PKG = path.join(WORK, "pkg"); // the frozen traced-allocator under test
const NM = path.join(WORK, "node_modules");
const PKG_NOJSDOC = path.join(WORK, "pkg-nojsdoc");
const PATCHED_TS = path.join(WORK, "ts-installed/node_modules/typescript"); // a copy, patched by `ts-patch install`

// A target is on the ratio (measured ÷ baseline) unless `on` says otherwise: "measured" (the measured
// median itself, in `unit`) or "excess" (measured − baseline medians, in `unit`).
const TARGETS = {
  capture_speedup: { op: ">=", value: 300 },
  overhead_off: { op: "<=", value: 1.03 },
  overhead_summary: { op: "<=", value: 1.15 }, // issue 8 (was 1.5)
  overhead_ndjson: { op: "<=", value: 1.6 }, // issue 8 (was report only)
  heap_prof_reference: null,
  alloc_off: null,
  alloc_summary: { op: "<=", value: 1.5 },
  alloc_ndjson: { op: "<=", value: 6 },
  alloc_lifetimes: null,
  alloc_summary_rss: { op: "<=", value: 64, on: "excess", unit: "MiB" },
  // "bounded, not growing with the event count": peak RSS at 5e6 iterations ÷ at 1e6, within 25%
  alloc_ndjson_rss_growth: { op: "<=", value: 1.25 },
  resize_off: null,
  resize_summary: null,
  resize_ndjson: null,
  resize_lifetimes: null,
  // The runtime's own load time: beyond what require() of any package through node_modules costs.
  load_off: { op: "<=", value: 2, on: "excess", unit: "ms" },
  reader_events_per_s: { op: ">=", value: 1e6, on: "measured", unit: "events/s" },
  build_ratio: { op: "<=", value: 1.15 },
  build_ratio_cli: { op: "<=", value: 1.05 },
};

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)}s`;
const step = (msg) => log(`[bench ${elapsed()}] ${msg}`);

// ------------------------------------------------------------------------------------ setup

function write(file, text) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}
const json = (o) => JSON.stringify(o, null, 2) + "\n";

function symlink(target, link) {
  rmrf(link);
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.symlinkSync(target, link, "dir");
}

function gitInfo() {
  const git = (...args) => {
    try {
      return execFileSync("git", args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    } catch {
      return undefined;
    }
  };
  const dirty = git("status", "--porcelain", "--", "transformer", "runtime");
  return { commit: git("rev-parse", "--short", "HEAD"), uncommitted_changes_in_transformer_or_runtime: dirty ? dirty.split("\n") : [] };
}

/** The package under test: current transformer/ and runtime/ compiled into bench/.work/pkg, frozen for the run. */
async function preparePackage() {
  rmrf(PKG);
  fs.mkdirSync(PKG, { recursive: true });
  fs.copyFileSync(path.join(ROOT, "package.json"), path.join(PKG, "package.json"));
  let how;
  if (USE_DIST) {
    fs.cpSync(path.join(ROOT, "dist"), path.join(PKG, "dist"), { recursive: true });
    how = "copied from dist/ (--use-dist)";
  } else {
    const r = await runNode([TSC, "-p", path.join(ROOT, "tsconfig.json"), "--outDir", path.join(PKG, "dist")], { cwd: ROOT });
    if (r.code !== 0) log(`warning: compiling transformer/ and runtime/ reported errors (code ${r.code}); using what was emitted:\n${r.stdout.slice(0, 3000)}`);
    how = r.code === 0 ? "compiled from the current sources" : `compiled from the current sources, with errors (tsc code ${r.code})`;
  }
  for (const f of ["dist/runtime/index.js", "dist/transformer/index.js"]) {
    if (!fs.existsSync(path.join(PKG, f))) throw new Error(`the package under test has no ${f}: cannot benchmark`);
  }
  // Identifies exactly what was measured, whatever the working tree did meanwhile.
  const hash = createHash("sha256");
  for (const sub of ["dist/runtime", "dist/transformer"]) {
    for (const f of fs.readdirSync(path.join(PKG, sub)).filter((n) => n.endsWith(".js")).sort()) hash.update(f).update(fs.readFileSync(path.join(PKG, sub, f)));
  }
  const digest = hash.digest("hex").slice(0, 16);
  // bench/.work is its own package scope: without this, `require("traced-allocator/runtime")` from a
  // build in here would self-resolve through /work/main/package.json to /work/main/dist, not to the
  // frozen copy.
  write(path.join(WORK, "package.json"), json({ name: "traced-allocator-bench-work", private: true }));
  symlink(PKG, path.join(NM, "traced-allocator"));
  symlink(path.join(ROOT, "node_modules/@types"), path.join(NM, "@types"));
  // What-if for the build benchmark: the same package without `"tsp": {"tscOptions": {"parseAllJsDoc": true}}`
  // in its package.json (ts-patch then leaves tsc's default JSDoc parsing mode alone).
  rmrf(PKG_NOJSDOC);
  fs.cpSync(PKG, PKG_NOJSDOC, { recursive: true });
  const pj = JSON.parse(fs.readFileSync(path.join(PKG, "package.json"), "utf8"));
  const hadTsp = pj.tsp !== undefined;
  delete pj.tsp;
  write(path.join(PKG_NOJSDOC, "package.json"), json(pj));
  symlink(PKG_NOJSDOC, path.join(NM, "traced-allocator-nojsdoc"));
  return { how, digest, package_json_tsp: hadTsp ? JSON.parse(fs.readFileSync(path.join(PKG, "package.json"), "utf8")).tsp : null };
}

/** Builds one project with tsc or tspc: resolves { code, ms (wall), cpu_ms, stdout }. */
async function compile(compiler, tsconfig, env = {}) {
  const cpuFile = path.join(WORK, `cpu-${process.pid}.json`);
  rmrf(cpuFile);
  // `traced-alloc`: the frozen package's bin, as `traced-alloc build -p <tsconfig>`
  const script = compiler === "tsc" ? TSC : compiler === "tspc" ? TSPC : compiler === "traced-alloc" ? path.join(PKG, "dist/cli/main.js") : compiler;
  const sub = compiler === "traced-alloc" ? ["build"] : [];
  const r = await runNode(["--require", CPU_PRELOAD, script, ...sub, "-p", tsconfig], {
    cwd: path.dirname(tsconfig),
    env: envWith({ BENCH_CPU_OUT: cpuFile, ...env }),
  });
  let cpu = {};
  try {
    cpu = JSON.parse(fs.readFileSync(cpuFile, "utf8"));
  } catch {
    // no CPU figure: the compiler died before exit
  }
  rmrf(cpuFile);
  return { code: r.code, ms: r.ms, cpu_ms: cpu.cpu_ms, max_rss_kb: cpu.max_rss_kb, stdout: r.stdout + r.stderr };
}

/** Counts the rewritten sites in an output folder: files mentioning the runtime and `.site(` calls. */
function countRewrites(dir) {
  let files = 0;
  let sites = 0;
  let wrappers = 0;
  const kinds = {};
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".js")) {
        const text = fs.readFileSync(p, "utf8");
        if (!text.includes("__ta")) continue;
        files++;
        for (const m of text.matchAll(/__ta(?:_\d+)?\.site\(__ta_file(?:_\d+)?, \d+, \d+, "([^"]+)"/g)) {
          sites++;
          kinds[m[1]] = (kinds[m[1]] ?? 0) + 1;
        }
        wrappers += [...text.matchAll(/__ta(?:_\d+)?\.(alloc|allocFrom|realloc|at|none)\(/g)].length;
      }
    }
  };
  walk(dir);
  return { files_with_runtime: files, sites, runtime_calls: wrappers, kinds };
}

const PLAIN_OPTIONS = (extra) => ({ compilerOptions: { skipLibCheck: true, sourceMap: false, ...extra } });
const PLUGIN = [{ transform: "traced-allocator/transformer" }];

/** Two builds of one project: plain tsc and tspc with the plugin. Checks that the plugin build really was rewritten. */
async function buildTwice(dir, label) {
  for (const [compiler, cfg, out] of [
    ["tsc", "tsconfig.plain.json", "plain"],
    ["tspc", "tsconfig.traced.json", "traced"],
  ]) {
    rmrf(path.join(dir, out));
    const r = await compile(compiler, path.join(dir, cfg));
    if (r.code !== 0) throw new Error(`${label}: ${compiler} -p ${cfg} failed (code ${r.code}):\n${r.stdout.slice(0, 4000)}`);
  }
  const plain = countRewrites(path.join(dir, "plain"));
  const traced = countRewrites(path.join(dir, "traced"));
  if (plain.files_with_runtime !== 0) throw new Error(`${label}: the plain build mentions __ta`);
  if (traced.sites === 0) throw new Error(`${label}: the plugin build has no rewritten site (is the plugin loaded?)`);
  return traced;
}

/** tsconfig.plain.json (src -> plain/) and tsconfig.traced.json (the same, with the plugin, -> traced/). */
function writeConfigs(dir, options) {
  const compilerOptions = { ...PLAIN_OPTIONS().compilerOptions, target: "ES2022", module: "commonjs", strict: true, ...options, rootDir: "src", outDir: "plain" };
  write(path.join(dir, "tsconfig.plain.json"), json({ compilerOptions, include: ["src/**/*.ts"] }));
  write(path.join(dir, "tsconfig.traced.json"), json({ extends: "./tsconfig.plain.json", compilerOptions: { outDir: "traced", plugins: PLUGIN } }));
}

async function prepareMsgpack() {
  const dir = path.join(WORK, "msgpack");
  rmrf(dir);
  const src = path.join(ROOT, "node_modules/@msgpack/msgpack/src");
  fs.cpSync(src, path.join(dir, "src"), { recursive: true });
  const version = JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules/@msgpack/msgpack/package.json"), "utf8")).version;
  // The sources import each other with explicit `.ts` extensions: rewriteRelativeImportExtensions turns
  // them into `.js` in the output, so no source file is edited. CommonJS output, loaded with require().
  writeConfigs(dir, { lib: ["ES2024", "DOM"], types: [], rewriteRelativeImportExtensions: true });
  const rewrites = await buildTwice(dir, "msgpack");
  return { version, dir, rewrites };
}

async function prepareMicro() {
  const dir = path.join(WORK, "micro");
  rmrf(dir);
  fs.mkdirSync(path.join(dir, "src"), { recursive: true });
  fs.copyFileSync(path.join(BENCH_DIR, "micro/micro.ts"), path.join(dir, "src/micro.ts"));
  writeConfigs(dir, { lib: ["ES2024"], types: ["node"] });
  const rewrites = await buildTwice(dir, "micro");
  return { dir, rewrites };
}

function prepareRxjs() {
  const dir = path.join(WORK, "rxjs");
  rmrf(dir);
  fs.cpSync(path.join(ROOT, "node_modules/rxjs/src"), path.join(dir, "src"), { recursive: true });
  // Their own build configs and the UMD global are not sources of this build.
  for (const f of fs.readdirSync(path.join(dir, "src"))) if (/^tsconfig.*\.json$|^Rx\.global\.js$/.test(f)) rmrf(path.join(dir, "src", f));
  const version = JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules/rxjs/package.json"), "utf8")).version;
  // rxjs's own options (strict, noImplicitReturns, removeComments, declarations, source maps, its path
  // aliases), brought to what TypeScript 6 accepts: ES2022 target instead of es5/downlevelIteration
  // (deprecated), no baseUrl (deprecated; paths are relative to the tsconfig).
  const base = {
    compilerOptions: {
      target: "ES2022",
      module: "commonjs",
      lib: ["ES2022", "DOM"],
      types: [],
      strict: true,
      noImplicitReturns: true,
      removeComments: true,
      preserveConstEnums: true,
      stripInternal: true,
      declaration: true,
      sourceMap: true,
      skipLibCheck: true,
      incremental: false,
      noEmit: false,
      paths: { rxjs: ["./src/index"], "rxjs/*": ["./src/*"] },
      rootDir: "src",
      outDir: "out/tsc",
    },
    include: ["src/**/*.ts"],
    exclude: ["src/internal/umd.ts"],
  };
  write(path.join(dir, "tsconfig.tsc.json"), json(base));
  write(path.join(dir, "tsconfig.tspc.json"), json({ extends: "./tsconfig.tsc.json", compilerOptions: { outDir: "out/tspc" } }));
  write(path.join(dir, "tsconfig.traced.json"), json({ extends: "./tsconfig.tsc.json", compilerOptions: { outDir: "out/traced", plugins: PLUGIN } }));
  write(path.join(dir, "tsconfig.build-cli.json"), json({ extends: "./tsconfig.tsc.json", compilerOptions: { outDir: "out/build-cli", plugins: PLUGIN } }));
  write(path.join(dir, "tsconfig.build-cli-nocache.json"), json({ extends: "./tsconfig.tsc.json", compilerOptions: { outDir: "out/build-cli-nocache", plugins: PLUGIN } }));
  write(
    path.join(dir, "tsconfig.traced-nojsdoc.json"),
    json({ extends: "./tsconfig.tsc.json", compilerOptions: { outDir: "out/traced-nojsdoc", plugins: [{ transform: "traced-allocator-nojsdoc/transformer" }] } }),
  );
  write(
    path.join(dir, "tsconfig.installed.json"),
    json({ extends: "./tsconfig.tsc.json", compilerOptions: { outDir: "out/installed", plugins: [{ transform: "traced-allocator-nojsdoc/transformer" }] } }),
  );
  const files = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts") && !p.endsWith(path.join("internal", "umd.ts"))) files.push(p);
    }
  };
  walk(path.join(dir, "src"));
  return { dir, version, files: files.length };
}

/** A private copy of TypeScript, patched in place by `ts-patch install` (the other way to run plugins: plain `tsc`). */
async function preparePatchedTypeScript() {
  rmrf(path.dirname(PATCHED_TS));
  fs.mkdirSync(path.dirname(PATCHED_TS), { recursive: true });
  fs.cpSync(path.join(ROOT, "node_modules/typescript"), PATCHED_TS, { recursive: true });
  const r = await runNode([path.join(ROOT, "node_modules/ts-patch/bin/ts-patch.js"), "install", "-s", "--dir", PATCHED_TS], { env: envWith() });
  if (r.code !== 0) throw new Error(`ts-patch install into ${PATCHED_TS} failed:\n${r.stdout}${r.stderr}`);
  return path.join(PATCHED_TS, "bin/tsc");
}

// ------------------------------------------------------------------------------------ helpers

function verdict(name, { ratio, baseline, measured }) {
  const t = TARGETS[name];
  if (!t) return { target: null, pass: null };
  const x = t.on === "measured" ? measured : t.on === "excess" ? measured - baseline : ratio;
  const target = t.on === "measured" ? `${t.op} ${t.value} ${t.unit}` : t.on === "excess" ? `${t.op} baseline + ${t.value} ${t.unit}` : `${t.op} ${t.value}`;
  return { target, pass: t.op === ">=" ? x >= t.value : x <= t.value };
}

/** baseline/measured series (paired by round) into the figure object. */
function figure(name, baselineLabel, measuredLabel, unit, base, meas, extra = {}, pairs) {
  const b = summarize(base);
  const m = summarize(meas);
  // Per-round ratios: measured ÷ baseline of the same round (pairs given, else index by index).
  const paired = pairs ?? base.map((x, i) => meas[i] / x);
  const ratio = m.median / b.median;
  return {
    [`baseline_${unit}`]: round(b.median),
    [`measured_${unit}`]: round(m.median),
    ratio: round(ratio),
    ...verdict(name, { ratio, baseline: b.median, measured: m.median }),
    baseline: baselineLabel,
    measured: measuredLabel,
    spread: {
      baseline: roundSummary(b),
      measured: roundSummary(m),
      paired_ratio: roundSummary(summarize(paired)),
    },
    ...extra,
  };
}

// ------------------------------------------------------------------------------------ 1. capture

async function benchCapture() {
  step(`capture cost: ${CFG.captureRuns} run(s)`);
  const runs = [];
  for (let i = 0; i < CFG.captureRuns; i++) {
    const { result } = await runJsonChild([path.join(BENCH_DIR, "capture-child.mjs"), String(CFG.captureMs)], { env: envWith() });
    runs.push(result);
    step(`  run ${i + 1}: injected ${result.results.injected.ns_per_op.toFixed(2)} ns, callsites ${result.results.callsites.ns_per_op.toFixed(0)} ns`);
  }
  const methods = {};
  for (const name of Object.keys(runs[0].results)) {
    if (runs[0].results[name].absent) {
      methods[name] = { absent: true, why: runs[0].results[name].why };
      continue;
    }
    const s = summarize(runs.map((r) => r.results[name].ns_per_op));
    methods[name] = { ns_per_op: round(s.median), spread: roundSummary(s) };
  }
  const stackNames = Object.keys(methods).filter((n) => n !== "injected" && !methods[n].absent);
  const cheapest = stackNames.reduce((a, b) => (methods[a].ns_per_op <= methods[b].ns_per_op ? a : b));
  const injected = runs.map((r) => r.results.injected.ns_per_op);
  const stack = runs.map((r) => r.results[cheapest].ns_per_op);
  const f = figure(
    "capture_speedup",
    "injected hoisted site object (ns/op)",
    `cheapest stack capture: ${cheapest} (ns/op)`,
    "ns",
    injected,
    stack,
    { cheapest_method: cheapest, methods, stack_trace_limit: runs[0].stackTraceLimit, stack_depth: runs[0].depth, sinks: runs.map((r) => r.sink) },
  );
  // A speed-up: the ratio is stack ÷ injected, as figure() computes it (measured ÷ baseline).
  return f;
}

// ------------------------------------------------------------------------------------ 2a. micro

async function benchMicro(micro) {
  const variants = [
    ["plain", path.join(micro.dir, "plain"), undefined],
    ["off", path.join(micro.dir, "traced"), undefined],
    ["summary", path.join(micro.dir, "traced"), "summary"],
    ["ndjson", path.join(micro.dir, "traced"), "ndjson"],
  ];
  // One process per (case, variant): with tracing on, what one case leaves behind (weak maps and
  // finalization cells not yet collected) would otherwise slow down the cases after it.
  const { result: names } = await runJsonChild([path.join(BENCH_DIR, "micro-child.mjs"), path.join(micro.dir, "plain"), "--list"], { env: envWith() });
  step(`micro loops: ${CFG.microRounds} round(s) × ${names.length} cases × ${variants.length} variants, one process each, ${CFG.microMs} ms a case`);
  const per = Object.fromEntries(variants.map(([v]) => [v, []]));
  const ndjsonFile = path.join(WORK, "micro.ndjson");
  let ndjsonBytes = 0;
  for (let r = 0; r < CFG.microRounds; r++) {
    const round = Object.fromEntries(variants.map(([v]) => [v, {}]));
    for (const name of names) {
      for (const [v, dir, mode] of variants) {
        const env = envWith(mode === "summary" ? { TRACED_ALLOC: "summary" } : mode === "ndjson" ? { TRACED_ALLOC: `ndjson=${ndjsonFile}` } : {});
        rmrf(ndjsonFile);
        const { result } = await runJsonChild([path.join(BENCH_DIR, "micro-child.mjs"), dir, String(CFG.microMs), name], { env });
        if (v !== "plain" && !result.runtime_path?.startsWith(PKG + path.sep)) {
          throw new Error(`micro: the plugin build loaded the runtime from ${result.runtime_path}, not from ${PKG}`);
        }
        if (mode === "ndjson") {
          ndjsonBytes = Math.max(ndjsonBytes, fileSize(ndjsonFile));
          rmrf(ndjsonFile);
        }
        round[v][name] = result.cases[name];
      }
    }
    for (const [v] of variants) per[v].push(round[v]);
    step(`  round ${r + 1}/${CFG.microRounds} done`);
  }
  const out = {};
  for (const name of Object.keys(per.plain[0])) {
    const series = Object.fromEntries(variants.map(([v]) => [v, per[v].map((c) => c[name].ns_per_op)]));
    const probes = new Set(variants.flatMap(([v]) => per[v].map((c) => c[name].probe)));
    const row = { plain_ns: round(median(series.plain)) };
    for (const [v] of variants.slice(1)) {
      row[`${v}_ns`] = round(median(series[v]));
      row[`${v}_ratio`] = round(median(series[v]) / median(series.plain));
      row[`${v}_paired_ratio_range`] = [
        round(Math.min(...series[v].map((x, i) => x / series.plain[i]))),
        round(Math.max(...series[v].map((x, i) => x / series.plain[i]))),
      ];
    }
    row.same_result_in_all_builds = probes.size === 1;
    out[name] = row;
  }
  const geo = (key) => round(Math.exp(Object.values(out).reduce((a, r) => a + Math.log(r[key]), 0) / Object.keys(out).length));
  return {
    what: "ns per operation of each rewritten built-in in a tight loop; plain build vs plugin build (TRACED_ALLOC unset / summary / ndjson)",
    rounds: CFG.microRounds,
    ms_per_case: CFG.microMs,
    geomean_ratio: { off: geo("off_ratio"), summary: geo("summary_ratio"), ndjson: geo("ndjson_ratio") },
    largest_ndjson_file_bytes: ndjsonBytes,
    rewrites: micro.rewrites,
    cases: out,
  };
}

// ------------------------------------------------------------------------------------ 2b. msgpack

async function benchMsgpack(mp) {
  const plainDir = path.join(mp.dir, "plain");
  const tracedDir = path.join(mp.dir, "traced");
  const ndjsonFile = path.join(WORK, "msgpack.ndjson");
  const heapDir = path.join(WORK, "heapprof");
  const variants = [
    { name: "plain", dir: plainDir, env: {} },
    { name: "off", dir: tracedDir, env: {} },
    { name: "summary", dir: tracedDir, env: { TRACED_ALLOC: "summary" } },
    { name: "ndjson", dir: tracedDir, env: { TRACED_ALLOC: `ndjson=${ndjsonFile}` } },
    { name: "heap_prof", dir: plainDir, env: {}, node: ["--heap-prof", "--heap-prof-dir", heapDir] },
  ];
  const total = CFG.msgRounds + CFG.msgOffRounds;
  step(
    `msgpack: ${CFG.msgRounds} round(s) × ${variants.length} variants` +
      (CFG.msgOffRounds ? `, then ${CFG.msgOffRounds} more of plain and unset` : "") +
      `; ${CFG.msgWarm} warm-up + ${CFG.msgPasses} measured passes each`,
  );
  const res = Object.fromEntries(variants.map((v) => [v.name, []]));
  const digests = new Set();
  const ndjson = { bytes: [], events: [], allocs: [] };
  let summaryHead;
  for (let r = 0; r < total; r++) {
    const line = [];
    for (const v of r < CFG.msgRounds ? variants : variants.slice(0, 2)) {
      rmrf(ndjsonFile);
      rmrf(heapDir);
      const args = [...(v.node ?? []), path.join(BENCH_DIR, "msgpack-child.mjs"), v.dir, String(CFG.msgWarm), String(CFG.msgPasses)];
      const { result, stderr } = await runJsonChild(args, { env: envWith(v.env) });
      result.round = r;
      res[v.name].push(result);
      digests.add(result.digest);
      if (v.dir === tracedDir && !result.runtime_path?.startsWith(PKG + path.sep)) {
        throw new Error(`msgpack: the plugin build loaded the runtime from ${result.runtime_path}, not from ${PKG}`);
      }
      if (v.name === "ndjson") {
        ndjson.bytes.push(fileSize(ndjsonFile));
        ndjson.events.push(countLines(ndjsonFile));
        ndjson.allocs.push(countOccurrences(ndjsonFile, '"event":"alloc"'));
        rmrf(ndjsonFile);
      }
      if (v.name === "summary") summaryHead = stderr.split("\n").find((l) => l.startsWith("traced-allocator summary"));
      line.push(`${v.name} ${result.cpu_ms_per_pass.toFixed(2)}`);
    }
    rmrf(heapDir);
    step(`  round ${r + 1}/${total} (cpu ms/pass): ${line.join(", ")}`);
  }
  if (digests.size !== 1) throw new Error(`msgpack builds encoded the corpus differently: ${[...digests].join(", ")}`);
  const cpu = (n) => res[n].map((x) => x.cpu_ms_per_pass);
  const wall = (n) => res[n].map((x) => x.ms_per_pass);
  const medPass = (n) => res[n].map((x) => x.median_pass_ms);
  const rss = (n) => round(median(res[n].map((x) => x.max_rss_mb)));
  const wallOf = (n) => ({
    baseline_ms: round(median(wall("plain"))),
    measured_ms: round(median(wall(n))),
    ratio: round(median(wall(n)) / median(wall("plain"))),
    median_pass_ratio: round(median(medPass(n)) / median(medPass("plain"))),
  });
  const common = { metric: "CPU ms per pass (user+system, all threads) over the measured passes; medians across rounds" };
  const first = res.plain[0];
  const workload = {
    package: `@msgpack/msgpack ${mp.version}, compiled from its shipped src/ (plain tsc vs tspc + plugin)`,
    objects: first.objects,
    encoded_bytes_per_pass: first.bytes_per_pass,
    pass: "encode() each object, then decode() each message",
    rounds: CFG.msgRounds,
    rounds_plain_and_unset: total,
    warm_passes: CFG.msgWarm,
    measured_passes: CFG.msgPasses,
    corpus_digest: first.digest,
    rewrites: mp.rewrites,
  };
  const plainByRound = new Map(res.plain.map((x) => [x.round, x.cpu_ms_per_pass]));
  const fig = (name, variant, label, extra = {}) =>
    figure(
      name,
      "plain tsc build, TRACED_ALLOC unset (CPU ms/pass)",
      label,
      "ms",
      cpu("plain"),
      cpu(variant),
      {
        ...common,
        rounds: res[variant].length,
        wall: wallOf(variant),
        peak_rss_mb: { baseline: rss("plain"), measured: rss(variant) },
        ...extra,
      },
      res[variant].map((x) => x.cpu_ms_per_pass / plainByRound.get(x.round)),
    );
  const passesWritten = CFG.msgWarm + CFG.msgPasses + 1; // + the correctness pass
  const allocsPerPass = median(ndjson.allocs) / passesWritten;
  return {
    workload,
    overhead_off: fig("overhead_off", "off", "plugin build, TRACED_ALLOC unset (CPU ms/pass)"),
    overhead_summary: fig("overhead_summary", "summary", "plugin build, TRACED_ALLOC=summary (CPU ms/pass)", { summary_first_line: summaryHead }),
    overhead_ndjson: fig("overhead_ndjson", "ndjson", "plugin build, TRACED_ALLOC=ndjson=<file> (CPU ms/pass)", {
      file_bytes_per_pass: round(median(ndjson.bytes) / passesWritten),
      events_per_pass: round(median(ndjson.events) / passesWritten),
      alloc_events_per_pass: round(allocsPerPass),
    }),
    heap_prof_reference: fig("heap_prof_reference", "heap_prof", "plain build under node --heap-prof (CPU ms/pass)"),
  };
}

// ------------------------------------------------------------------------------------ 4. allocation-heavy programs

const GNU_TIME = fs.existsSync("/usr/bin/time") ? "/usr/bin/time" : null;

async function prepareAlloc() {
  const dir = path.join(WORK, "alloc");
  rmrf(dir);
  fs.mkdirSync(path.join(dir, "src"), { recursive: true });
  for (const f of ["alloc-loop.ts", "resizable.ts"]) fs.copyFileSync(path.join(BENCH_DIR, "alloc", f), path.join(dir, "src", f));
  writeConfigs(dir, { lib: ["ES2024"], types: ["node"] });
  const rewrites = await buildTwice(dir, "alloc");
  // The traced programs are run as a user's would be: their `traced-allocator/runtime` must be the frozen copy.
  const probe = `console.log(require("node:module").createRequire(${JSON.stringify(path.join(dir, "traced", "alloc-loop.js"))}).resolve("traced-allocator/runtime"))`;
  const r = await runNode(["-e", probe], { env: envWith() });
  const runtimePath = r.stdout.trim();
  if (!runtimePath.startsWith(PKG + path.sep)) throw new Error(`alloc: the plugin build resolves the runtime to ${runtimePath || r.stderr.slice(0, 500)}, not into ${PKG}`);
  return { dir, rewrites, runtime_path: runtimePath };
}

/**
 * Runs one program as a whole process: `node --require cpu-at-exit.cjs <script> <args>`, under
 * /usr/bin/time when there is one (its %M is the peak RSS; else the preload's maxRSS). Resolves
 * { ok, cpu_ms, ms (wall, spawn to exit), max_rss_mb, out (the program's JSON line), stderr }, or
 * { ok: false, why } when the program failed or ran out of time (reported, not thrown: a traced
 * run that dies is a result).
 */
async function runProgram(script, args, env, timeoutMs) {
  const cpuFile = path.join(WORK, `cpu-${process.pid}.json`);
  const timeFile = path.join(WORK, `time-${process.pid}.txt`);
  rmrf(cpuFile);
  rmrf(timeFile);
  const nodeArgs = ["--require", CPU_PRELOAD, script, ...args];
  const opts = { env: envWith({ ...env, BENCH_CPU_OUT: cpuFile }), timeoutMs, group: true };
  const r = GNU_TIME ? await runProcess(GNU_TIME, ["-o", timeFile, "-f", "%M", process.execPath, ...nodeArgs], opts) : await runProcess(process.execPath, nodeArgs, opts);
  let usage;
  let timeRss;
  try {
    usage = JSON.parse(fs.readFileSync(cpuFile, "utf8"));
    if (GNU_TIME) timeRss = Number(fs.readFileSync(timeFile, "utf8").trim().split("\n").pop());
  } catch {
    // no figures: the process died before its exit listeners
  }
  rmrf(cpuFile);
  rmrf(timeFile);
  const last = r.stdout.trim().split("\n").pop();
  let out;
  try {
    out = JSON.parse(last);
  } catch {
    // no result line
  }
  if (r.code !== 0 || !usage || !out) {
    const why = r.timedOut ? `timed out after ${Math.round(timeoutMs / 1000)} s` : r.code !== 0 || r.signal ? `exited with ${r.signal ?? `code ${r.code}`}` : "printed no result";
    return { ok: false, why, stderr_tail: r.stderr.slice(-1500) };
  }
  const rssKb = Number.isFinite(timeRss) && timeRss > 0 ? timeRss : usage.max_rss_kb;
  return { ok: true, cpu_ms: usage.cpu_ms, ms: r.ms, max_rss_mb: rssKb / 1024, out, stderr: r.stderr };
}

/** The variants of one program: each is a whole process; `iterations` overrides the program's default. */
function programVariants(dir, script, ndjsonFile, extra = []) {
  const plain = path.join(dir, "plain", script);
  const traced = path.join(dir, "traced", script);
  return [
    { name: "plain", file: plain, env: {} },
    { name: "off", file: traced, env: {} },
    { name: "summary", file: traced, env: { TRACED_ALLOC: "summary" } },
    { name: "ndjson", file: traced, env: { TRACED_ALLOC: `ndjson=${ndjsonFile}` } },
    ...extra.map((v) => ({ file: traced, ...v })),
    { name: "lifetimes", file: traced, env: { TRACED_ALLOC: "summary,lifetimes" } },
  ];
}

/** Runs every variant of one program, interleaved round by round; returns the results per variant. */
async function runProgramRounds(label, variants, ndjsonFile) {
  const res = Object.fromEntries(variants.map((v) => [v.name, []]));
  const failures = {};
  for (let r = 0; r < CFG.allocRounds; r++) {
    const line = [];
    for (const v of variants) {
      rmrf(ndjsonFile);
      const x = await runProgram(v.file, v.iterations ? [String(v.iterations)] : [], v.env, QUICK ? 4 * 60_000 : 8 * 60_000);
      if (!x.ok) {
        if (v.name === "plain") throw new Error(`${label}: the plain build failed (${x.why}):\n${x.stderr_tail}`);
        (failures[v.name] ??= []).push(`round ${r + 1}: ${x.why}${x.stderr_tail ? `; stderr: ${x.stderr_tail.trim().split("\n").slice(-3).join(" | ")}` : ""}`);
        line.push(`${v.name} FAILED (${x.why})`);
        rmrf(ndjsonFile);
        continue;
      }
      x.round = r;
      if (v.env.TRACED_ALLOC?.startsWith("ndjson")) {
        x.ndjson_bytes = fileSize(ndjsonFile);
        x.ndjson_events = countLines(ndjsonFile);
        x.ndjson_allocs = countOccurrences(ndjsonFile, '"event":"alloc"');
      }
      if (v.env.TRACED_ALLOC?.startsWith("summary")) x.summary_first_line = x.stderr.split("\n").find((l) => l.startsWith("traced-allocator summary"));
      delete x.stderr;
      rmrf(ndjsonFile);
      res[v.name].push(x);
      line.push(`${v.name} ${(x.cpu_ms / 1000).toFixed(2)}s cpu ${x.max_rss_mb.toFixed(0)} MiB`);
    }
    step(`  ${label} round ${r + 1}/${CFG.allocRounds}: ${line.join(", ")}`);
  }
  const checks = new Set(variants.flatMap((v) => res[v.name].filter((x) => !v.iterations).map((x) => x.out.check)));
  if (checks.size > 1) throw new Error(`${label}: the builds printed different checksums: ${[...checks].join(", ")}`);
  return { res, failures };
}

/** The figures of one program: CPU ratio to plain for each traced variant, wall and loop time and peak RSS beside. */
function programFigures(prefix, what, res, failures) {
  const cpu = (n) => res[n].map((x) => x.cpu_ms);
  const med = (n, k) => round(median(res[n].map((x) => x[k])));
  const plainByRound = new Map(res.plain.map((x) => [x.round, x]));
  const labels = {
    off: "plugin build, TRACED_ALLOC unset",
    summary: "plugin build, TRACED_ALLOC=summary",
    ndjson: "plugin build, TRACED_ALLOC=ndjson=<file>",
    lifetimes: "plugin build, TRACED_ALLOC=summary,lifetimes",
  };
  const figs = {};
  for (const v of Object.keys(labels)) {
    const name = `${prefix}_${v}`;
    if (res[v].length === 0) {
      figs[name] = { failed: true, ...verdict(name, { ratio: NaN, baseline: NaN, measured: NaN }), measured: `${labels[v]}: every run failed`, failures: failures[v] };
      continue;
    }
    const x0 = res[v][0];
    figs[name] = figure(
      name,
      "plain tsc build, TRACED_ALLOC unset (CPU ms, whole process)",
      `${labels[v]} (CPU ms, whole process)`,
      "ms",
      cpu("plain"),
      cpu(v),
      {
        program: what,
        metric: "CPU ms (user+system, all threads) of the whole process, start to exit (the exit report included); medians across rounds",
        rounds: res[v].length,
        wall: {
          baseline_ms: med("plain", "ms"),
          measured_ms: med(v, "ms"),
          ratio: round(median(res[v].map((x) => x.ms)) / median(res.plain.map((x) => x.ms))),
        },
        loop: {
          what: "the program's own timing of its loop (wall), without start-up and exit",
          baseline_ms: round(median(res.plain.map((x) => x.out.loop_ms))),
          measured_ms: round(median(res[v].map((x) => x.out.loop_ms))),
          ratio: round(median(res[v].map((x) => x.out.loop_ms)) / median(res.plain.map((x) => x.out.loop_ms))),
        },
        peak_rss_mb: { baseline: med("plain", "max_rss_mb"), measured: med(v, "max_rss_mb") },
        ...(x0.ndjson_bytes !== undefined ? { ndjson_file_bytes: med(v, "ndjson_bytes"), ndjson_events: med(v, "ndjson_events"), ndjson_alloc_events: med(v, "ndjson_allocs") } : {}),
        ...(x0.summary_first_line ? { summary_first_line: x0.summary_first_line } : {}),
        ...(failures[v] ? { failures: failures[v] } : {}),
      },
      res[v].map((x) => x.cpu_ms / plainByRound.get(x.round).cpu_ms),
    );
  }
  return figs;
}

/** Peak RSS of two variants as a figure (MiB). */
function rssFigure(name, baselineLabel, measuredLabel, base, meas, extra) {
  if (base.length === 0 || meas.length === 0) return { failed: true, ...verdict(name, { ratio: NaN, baseline: NaN, measured: NaN }), measured: `${measuredLabel}: no run finished` };
  const byRound = new Map(base.map((x) => [x.round, x.max_rss_mb]));
  const pairs = meas.filter((x) => byRound.has(x.round)).map((x) => x.max_rss_mb / byRound.get(x.round));
  const rss = (xs) => xs.map((x) => x.max_rss_mb);
  const excess = round(median(rss(meas)) - median(rss(base)));
  const source = GNU_TIME ? "/usr/bin/time %M" : "process.resourceUsage().maxRSS at exit";
  return figure(name, `${baselineLabel} (peak RSS MiB)`, `${measuredLabel} (peak RSS MiB)`, "mib", rss(base), rss(meas), { excess_mib: excess, rss_source: source, ...extra }, pairs);
}

async function benchAlloc(al) {
  const ndjsonFile = path.join(WORK, "alloc.ndjson");
  const loop = programVariants(al.dir, "alloc-loop.js", ndjsonFile, [{ name: "ndjson_1m", env: { TRACED_ALLOC: `ndjson=${ndjsonFile}` }, iterations: 1e6 }]);
  const resize = programVariants(al.dir, "resizable.js", ndjsonFile);
  step(`allocation-heavy programs: ${CFG.allocRounds} round(s) × (${loop.length} + ${resize.length}) variants, one whole process each${GNU_TIME ? ", peak RSS by /usr/bin/time" : ""}`);
  const L = await runProgramRounds("alloc-loop", loop, ndjsonFile);
  const Z = await runProgramRounds("resizable", resize, ndjsonFile);
  const loopWhat = "5e6 × `keep = new Uint8Array(16)` in one synchronous loop";
  const resizeWhat = "1.5e6 iterations of `new Uint8Array(32)` + `new Float64Array(8)`, and every 100th a resizable ArrayBuffer (1 KiB, max 1 MiB) resized to 4 KiB, kept in a ring of 64";
  return {
    workload: { rewrites: al.rewrites, runtime_path: al.runtime_path, rounds: CFG.allocRounds, alloc_loop: loopWhat, resizable: resizeWhat },
    ...programFigures("alloc", loopWhat, L.res, L.failures),
    alloc_summary_rss: rssFigure("alloc_summary_rss", "plain tsc build", "plugin build, TRACED_ALLOC=summary", L.res.plain, L.res.summary, { program: loopWhat }),
    alloc_ndjson_rss_growth: rssFigure("alloc_ndjson_rss_growth", "plugin build, ndjson, 1e6 iterations", "plugin build, ndjson, 5e6 iterations", L.res.ndjson_1m, L.res.ndjson, {
      program: loopWhat,
      what: "peak RSS with TRACED_ALLOC=ndjson=<file> at 5e6 iterations ÷ at 1e6: bounded memory means about 1×",
      ndjson_events: { iterations_1e6: round(median(L.res.ndjson_1m.map((x) => x.ndjson_events))), iterations_5e6: round(median(L.res.ndjson.map((x) => x.ndjson_events))) },
    }),
    ...programFigures("resize", resizeWhat, Z.res, Z.failures),
  };
}

// ------------------------------------------------------------------------------------ 5. load time

// A fresh `node -e` process that requires the modules named in argv[1] (JSON) and prints how long that
// took. Resolved from its working directory, bench/.work, whose node_modules/traced-allocator is the
// frozen copy (as a user's node_modules would hold the package).
const LOAD_CHILD = `const c0 = process.cpuUsage(); const t0 = process.hrtime.bigint();
for (const m of JSON.parse(process.argv[1])) require(m);
const ms = Number(process.hrtime.bigint() - t0) / 1e6; const c = process.cpuUsage(c0);
console.log(JSON.stringify({ ms, cpu_ms: (c.user + c.system) / 1000 }));`;
// The same, once and unmeasured: which Node built-ins the runtime requires when it loads (tracing off),
// which of Node's internal modules get loaded meanwhile, and how many of the runtime's own files.
const BUILTINS_CHILD = `const M = require("node:module"); const seen = new Set(); const load = M._load;
M._load = function (request, ...rest) { if (M.isBuiltin(request)) seen.add(request); return load.call(this, request, ...rest); };
const before = new Set(process.moduleLoadList); const files = Object.keys(require.cache).length;
const resolved = require.resolve("traced-allocator/runtime"); require("traced-allocator/runtime");
console.log(JSON.stringify({ builtins: [...seen], resolved, node_modules_loaded: process.moduleLoadList.filter((m) => !before.has(m)), runtime_files: Object.keys(require.cache).length - files }));`;

/** A package with the same `exports` map as ours and nothing in it: what resolving through node_modules costs by itself. */
function prepareEmptyPackage() {
  const dir = path.join(NM, "bench-empty-package");
  rmrf(dir);
  const pj = JSON.parse(fs.readFileSync(path.join(PKG, "package.json"), "utf8"));
  write(path.join(dir, "package.json"), json({ name: "bench-empty-package", version: "0.0.0", main: pj.main, exports: pj.exports }));
  write(path.join(dir, pj.exports["./runtime"].default), "\"use strict\";\n");
  return "bench-empty-package/runtime";
}

async function benchLoad() {
  const { result: probe } = await runJsonChild(["-e", BUILTINS_CHILD], { env: envWith(), cwd: WORK });
  if (!probe.resolved.startsWith(PKG + path.sep)) throw new Error(`load: traced-allocator/runtime resolves to ${probe.resolved}, not into ${PKG}`);
  const empty = prepareEmptyPackage();
  step(`load time: ${CFG.loadRuns} fresh process(es) each, the runtime with tracing off vs the built-ins it loads (${probe.builtins.join(", ")}) and an empty package`);
  const variants = [
    ["builtins", probe.builtins],
    ["runtime", ["traced-allocator/runtime"]],
    ["empty_package", [empty]],
  ];
  const res = Object.fromEntries(variants.map(([v]) => [v, []]));
  for (let r = 0; r < CFG.loadRuns; r++) {
    for (const [v, mods] of variants) {
      const { result } = await runJsonChild(["-e", LOAD_CHILD, JSON.stringify(mods)], { env: envWith(), cwd: WORK });
      res[v].push(result);
    }
  }
  const cpu = (v) => res[v].map((x) => x.cpu_ms);
  const wall = (v) => round(median(res[v].map((x) => x.ms)));
  step(`  load (CPU ms): runtime ${median(cpu("runtime")).toFixed(2)}, its built-ins alone ${median(cpu("builtins")).toFixed(2)}, an empty package ${median(cpu("empty_package")).toFixed(2)} (medians)`);
  // Baseline: an empty package behind the same `exports` map. In a fresh `node -e` process the first
  // require() through node_modules costs several ms by itself (the loader's first package lookup),
  // whatever the package holds; the target is on what the runtime adds to that.
  return figure("load_off", "require() of an empty package behind the same exports map (CPU ms)", "require(\"traced-allocator/runtime\"), TRACED_ALLOC unset (CPU ms)", "ms", cpu("empty_package"), cpu("runtime"), {
    metric: "CPU ms (user+system) of the require() call(s) in a fresh `node -e` process, resolved through bench/.work/node_modules; medians across processes",
    processes: CFG.loadRuns,
    builtins: probe.builtins,
    runtime_path: probe.resolved,
    runtime_own_ms: round(median(cpu("runtime")) - median(cpu("empty_package"))),
    builtins_cpu_ms: round(median(cpu("builtins"))),
    wall: { baseline_ms: wall("empty_package"), measured_ms: wall("runtime") },
    empty_package: {
      what: "require() of a package holding only an empty file, behind the same package.json `exports` map: resolution through node_modules by itself",
      cpu_ms: round(median(cpu("empty_package"))),
      wall_ms: wall("empty_package"),
    },
    runtime_files: probe.runtime_files,
    node_internal_modules_loaded: probe.node_modules_loaded,
  });
}

// ------------------------------------------------------------------------------------ reader

// `traced-alloc`'s trace reader (cli/trace.ts, the frozen copy): a trace of the allocation loop
// (3M events), read in a fresh process, best of 3 reads, events per second of CPU time.
async function benchReader() {
  const trace = path.join(WORK, "reader.ndjson");
  const n = QUICK ? 3e5 : 3e6;
  step(`reader: a trace of ${n} allocations (the allocation loop, ndjson), read by readTrace in a fresh process`);
  const made = spawnSync(process.execPath, [path.join(WORK, "alloc", "traced", "alloc-loop.js"), String(n)], { cwd: WORK, env: envWith({ TRACED_ALLOC: `ndjson=${trace}` }), encoding: "utf8" });
  if (made.status !== 0) throw new Error(`reader: the loop failed: ${made.stderr.slice(-500)}`);
  const size = fs.statSync(trace).size;
  const script = `const { readTrace } = require(${JSON.stringify(path.join(PKG, "dist/cli/trace.js"))});
(async () => { let best; for (let i = 0; i < 3; i++) { const c0 = process.cpuUsage(); const t = await readTrace(process.argv[1]);
  const c = process.cpuUsage(c0); const ms = (c.user + c.system) / 1000; if (!best || ms < best.cpu_ms) best = { events: t.events, cpu_ms: ms }; }
  console.log(JSON.stringify({ ...best, rss_mib: process.memoryUsage().rss / 2 ** 20 })); })();`;
  const r = spawnSync(process.execPath, ["-e", script, trace], { cwd: WORK, env: envWith(), encoding: "utf8" });
  fs.rmSync(trace, { force: true });
  if (r.status !== 0) throw new Error(`reader: readTrace failed: ${r.stderr.slice(-500)}`);
  const x = JSON.parse(r.stdout);
  const eps = x.events / (x.cpu_ms / 1000);
  step(`  reader: ${x.events} events in ${x.cpu_ms.toFixed(0)} ms CPU: ${(eps / 1e6).toFixed(2)}M events/s, ${(size / 2 ** 20 / (x.cpu_ms / 1000)).toFixed(0)} MiB/s, RSS ${x.rss_mib.toFixed(0)} MiB`);
  return { measured_events_per_s: Math.round(eps), ...verdict("reader_events_per_s", { ratio: NaN, baseline: NaN, measured: eps }), events: x.events, file_mib: round(size / 2 ** 20), cpu_ms: round(x.cpu_ms), rss_mib: round(x.rss_mib), measured: "readTrace of a trace of the allocation loop, events per CPU second, best of 3 reads in one process" };
}

// ------------------------------------------------------------------------------------ instructions

// The same comparisons counted in instructions (valgrind's callgrind, `node --single-threaded`),
// which this machine's noise does not move: each figure is the difference between a long and a
// short run of one variant (start-up and exit cancel), per iteration or per pass. Opt-in
// (`--only=instructions`, about 15 minutes): valgrind runs JIT code some 50 times slower.
async function benchInstructions() {
  const valgrind = spawnSync("valgrind", ["--version"], { encoding: "utf8" });
  if (valgrind.status !== 0) return { skipped: "valgrind is not on PATH (apt-get install valgrind)" };
  const count = (args, env) => {
    const r = spawnSync("valgrind", ["--tool=callgrind", "--callgrind-out-file=/dev/null", process.execPath, "--single-threaded", ...args], { cwd: WORK, env: envWith(env), encoding: "utf8", maxBuffer: 1 << 26 });
    const m = /Collected : (\d+)/.exec(r.stderr);
    if (!m) throw new Error(`instructions: valgrind gave no count for ${args.join(" ")}: ${r.stderr.slice(-500)}`);
    return Number(m[1]);
  };
  const per = (short, long, n, args, env) => (count(args(long), env) - count(args(short), env)) / n;
  const modes = { plain: [false, ""], off: [true, ""], summary: [true, "summary"], ndjson: [true, `ndjson=${path.join(WORK, "instr.ndjson")}`] };
  const out = {};
  const group = (name, unit, short, long, args) => {
    const fig = {};
    for (const [v, [traced, sw]] of Object.entries(modes)) {
      fig[v] = Math.round(per(short, long, long - short, (n) => args(traced, n), { TRACED_ALLOC: sw }));
      step(`  instructions, ${name} ${v}: ${fig[v]} per ${unit}`);
    }
    out[name] = { unit, per_unit: fig, ratio: Object.fromEntries(Object.keys(modes).filter((v) => v !== "plain").map((v) => [v, round(fig[v] / fig.plain)])) };
  };
  step("instructions (valgrind callgrind): the allocation loop and msgpack, long run minus short run");
  group("alloc_loop", "iteration", 1e5, 11e5, (traced, n) => [path.join(WORK, "alloc", traced ? "traced" : "plain", "alloc-loop.js"), String(n)]);
  group("msgpack", "pass", 10, 40, (traced, n) => [path.join(BENCH_DIR, "msgpack-child.mjs"), path.join(WORK, "msgpack", traced ? "traced" : "plain"), "20", String(n)]);
  fs.rmSync(path.join(WORK, "instr.ndjson"), { force: true });
  return out;
}

// ------------------------------------------------------------------------------------ 3. build

async function benchBuild(rx) {
  const patchedTsc = await preparePatchedTypeScript();
  const variants = [
    ["tsc", "tsc", "tsconfig.tsc.json", "out/tsc"],
    ["tspc_no_plugin", "tspc", "tsconfig.tspc.json", "out/tspc"],
    ["tspc_plugin", "tspc", "tsconfig.traced.json", "out/traced"],
    ["traced_alloc_build", "traced-alloc", "tsconfig.build-cli.json", "out/build-cli"],
    // what-ifs, for the diagnosis: the package.json without tsp.tscOptions.parseAllJsDoc; and that, with
    // TypeScript patched in place by `ts-patch install` (plain tsc, no live patching at each start)
    ["tspc_plugin_without_parseAllJsDoc", "tspc", "tsconfig.traced-nojsdoc.json", "out/traced-nojsdoc"],
    ["installed_tsc_plugin_without_parseAllJsDoc", patchedTsc, "tsconfig.installed.json", "out/installed"],
    // and traced-alloc build without its code cache for TypeScript (on Node 20, where Node has no compile cache: cli/build/code-cache.ts)
    ["traced_alloc_build_no_code_cache", "traced-alloc", "tsconfig.build-cli-nocache.json", "out/build-cli-nocache", { NODE_DISABLE_COMPILE_CACHE: "1" }],
  ];
  const warmRounds = QUICK ? 0 : 1; // a first, untimed round: disk cache, ts-patch's patch cache
  step(`build: rxjs ${rx.version} (${rx.files} files), ${CFG.buildRounds} round(s) × ${variants.length} compilers${warmRounds ? ", after one untimed warm-up round" : ""}`);
  const res = Object.fromEntries(variants.map(([v]) => [v, []]));
  const diagnostics = {};
  for (let r = -warmRounds; r < CFG.buildRounds; r++) {
    const line = [];
    for (const [v, compiler, cfg, out, env] of variants) {
      rmrf(path.join(rx.dir, out));
      const c = await compile(compiler, path.join(rx.dir, cfg), env);
      // rxjs 7.8 has one error against TypeScript 6's lib (WebSocketSubject.ts: a SharedArrayBuffer-backed
      // view passed to WebSocket.send); tsc still emits everything. All three builds must agree on it.
      const diag = c.stdout.split("\n").filter((l) => /error TS\d+/.test(l)).map((l) => l.replace(/\s+$/, ""));
      diagnostics[v] = diag;
      if (!fs.existsSync(path.join(rx.dir, out, "index.js"))) throw new Error(`rxjs: ${v} emitted nothing (code ${c.code}):\n${c.stdout.slice(0, 3000)}`);
      if (r >= 0) res[v].push(c);
      line.push(`${v} ${(c.ms / 1000).toFixed(2)}s wall / ${(c.cpu_ms / 1000).toFixed(2)}s cpu`);
    }
    step(`  ${r < 0 ? "warm-up" : `round ${r + 1}/${CFG.buildRounds}`}: ${line.join(", ")}`);
  }
  const same = Object.values(diagnostics).every((d) => JSON.stringify(d) === JSON.stringify(diagnostics.tsc));
  if (!same) log(`warning: the rxjs builds reported different diagnostics:\n${JSON.stringify(diagnostics, null, 1)}`);
  const rewrites = countRewrites(path.join(rx.dir, "out/traced"));
  const plainHasTa = countRewrites(path.join(rx.dir, "out/tsc")).files_with_runtime;
  if (rewrites.sites === 0) throw new Error("rxjs: the plugin build has no __ta site: the plugin did not run");
  for (const other of ["out/traced-nojsdoc", "out/installed", "out/build-cli", "out/build-cli-nocache"]) {
    const r2 = countRewrites(path.join(rx.dir, other));
    if (r2.sites !== rewrites.sites) throw new Error(`rxjs: ${other} has ${r2.sites} sites, out/traced ${rewrites.sites}: the what-if builds must rewrite the same`);
  }
  if (plainHasTa) throw new Error("rxjs: the plain build mentions __ta");
  const emitted = (d) => {
    let n = 0;
    const walk = (p) => {
      for (const e of fs.readdirSync(p, { withFileTypes: true })) e.isDirectory() ? walk(path.join(p, e.name)) : e.name.endsWith(".js") && n++;
    };
    walk(path.join(rx.dir, d));
    return n;
  };
  const wall = (v) => res[v].map((c) => c.ms);
  const cpu = (v) => res[v].map((c) => c.cpu_ms);
  const f = figure("build_ratio", "tsc (CPU ms, whole compiler process)", "tspc + traced-allocator plugin (CPU ms, whole compiler process)", "ms", cpu("tsc"), cpu("tspc_plugin"), {
    project: `rxjs ${rx.version} src/ (${rx.files} .ts files), declarations + source maps, emitted to bench/.work/rxjs/out`,
    metric: "CPU ms (user+system, all threads) of the whole compiler process, start to exit; medians across rounds",
    rounds: CFG.buildRounds,
    tspc_no_plugin_ms: round(median(cpu("tspc_no_plugin"))),
    tspc_no_plugin_ratio: round(median(cpu("tspc_no_plugin")) / median(cpu("tsc"))),
    what_if: {
      without_parseAllJsDoc: {
        what: "tspc + plugin, the package.json without \"tsp\": {\"tscOptions\": {\"parseAllJsDoc\": true}}",
        cpu_ms: round(median(cpu("tspc_plugin_without_parseAllJsDoc"))),
        ratio: round(median(cpu("tspc_plugin_without_parseAllJsDoc")) / median(cpu("tsc"))),
      },
      ts_patch_install_without_parseAllJsDoc: {
        what: "plain tsc of a TypeScript copy patched in place by `ts-patch install` (no live patching at each start), + plugin, package.json without parseAllJsDoc",
        cpu_ms: round(median(cpu("installed_tsc_plugin_without_parseAllJsDoc"))),
        ratio: round(median(cpu("installed_tsc_plugin_without_parseAllJsDoc")) / median(cpu("tsc"))),
      },
    },
    wall: {
      tsc_ms: round(median(wall("tsc"))),
      tspc_no_plugin_ms: round(median(wall("tspc_no_plugin"))),
      tspc_plugin_ms: round(median(wall("tspc_plugin"))),
      ratio: round(median(wall("tspc_plugin")) / median(wall("tsc"))),
      paired_ratio: roundSummary(summarize(wall("tspc_plugin").map((x, i) => x / wall("tsc")[i]))),
    },
    peak_rss_mb: Object.fromEntries(variants.map(([v]) => [v, round(median(res[v].map((c) => c.max_rss_kb / 1024)))])),
    js_files_emitted: { tsc: emitted("out/tsc"), tspc_plugin: emitted("out/traced") },
    rewrites,
    diagnostics_identical: same,
    diagnostics: diagnostics.tsc,
  });
  // traced-alloc build: tsc's build with the transformer through TypeScript's API, no ts-patch
  const fc = figure("build_ratio_cli", "tsc (CPU ms, whole compiler process)", "traced-alloc build (CPU ms, whole process)", "ms", cpu("tsc"), cpu("traced_alloc_build"), {
    project: f.project,
    metric: f.metric,
    rounds: CFG.buildRounds,
    wall: {
      tsc_ms: round(median(wall("tsc"))),
      traced_alloc_build_ms: round(median(wall("traced_alloc_build"))),
      traced_alloc_build_no_code_cache_ms: round(median(wall("traced_alloc_build_no_code_cache"))),
      ratio: round(median(wall("traced_alloc_build")) / median(wall("tsc"))),
      paired_ratio: roundSummary(summarize(wall("traced_alloc_build").map((x, i) => x / wall("tsc")[i]))),
    },
    no_code_cache_cpu_ms: round(median(cpu("traced_alloc_build_no_code_cache"))),
    no_code_cache_ratio: round(median(cpu("traced_alloc_build_no_code_cache")) / median(cpu("tsc"))),
    peak_rss_mb: { tsc: f.peak_rss_mb.tsc, traced_alloc_build: f.peak_rss_mb.traced_alloc_build },
    js_files_emitted: { tsc: emitted("out/tsc"), traced_alloc_build: emitted("out/build-cli") },
  });
  return { build_ratio: f, build_ratio_cli: fc };
}

// ------------------------------------------------------------------------------------ report

const fmtNum = (x, unit) => {
  if (x === undefined || x === null || !Number.isFinite(x)) return "–";
  const s = x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3);
  return unit ? `${s} ${unit}` : s;
};
const fmtRatio = (r) => (r >= 10 ? `${r.toFixed(0)}×` : `${r.toFixed(3)}×`);
const fmtTarget = (t) => (t ? t.replace(">=", "≥").replace("<=", "≤") + (/^\S+ [\d.]+$/.test(t) ? "×" : "") : "report only");
const fmtPass = (p) => (p === null || p === undefined ? "–" : p ? "pass" : "**miss**");

function markdown(R) {
  const rows = [];
  const add = (label, f, unit, shown = unit) => {
    if (!f) return;
    if (f.failed) {
      rows.push(`| ${label} | – | ${f.measured} | – | ${fmtTarget(f.target)} | ${fmtPass(f.pass)} | – |`);
      return;
    }
    const b = f[`baseline_${unit}`];
    const m = f[`measured_${unit}`];
    const pr = f.spread.paired_ratio;
    const bare = (l) => l.replace(/ \((ns|CPU ms|wall ms|peak RSS MiB)[^)]*\)$/, "");
    rows.push(
      `| ${label} | ${bare(f.baseline)}: ${fmtNum(b, shown)} | ${bare(f.measured)}: ${fmtNum(m, shown)} | ${fmtRatio(f.ratio)} | ${fmtTarget(f.target)} | ${fmtPass(f.pass)} | ${fmtRatio(pr.min)}–${fmtRatio(pr.max)} (n=${pr.n}) |`,
    );
  };
  add("`capture_speedup`", R.capture_speedup, "ns");
  add("`overhead_off`", R.overhead_off, "ms");
  add("`overhead_summary`", R.overhead_summary, "ms");
  add("`overhead_ndjson`", R.overhead_ndjson, "ms");
  add("heap-prof (reference)", R.heap_prof_reference, "ms");
  for (const p of ["alloc", "resize"]) for (const v of ["off", "summary", "ndjson", "lifetimes"]) add(`\`${p}_${v}\``, R[`${p}_${v}`], "ms");
  add("`alloc_summary_rss`", R.alloc_summary_rss, "mib", "MiB");
  add("`alloc_ndjson_rss_growth`", R.alloc_ndjson_rss_growth, "mib", "MiB");
  add("`load_off`", R.load_off, "ms");
  add("`build_ratio`", R.build_ratio, "ms");
  add("`build_ratio_cli`", R.build_ratio_cli, "ms");
  if (R.reader_events_per_s) {
    const f = R.reader_events_per_s;
    rows.push(`| \`reader_events_per_s\` | – | ${f.measured}: ${(f.measured_events_per_s / 1e6).toFixed(2)}M events/s (${f.events} events, ${f.file_mib} MiB, RSS ${f.rss_mib} MiB) | – | ${fmtTarget(f.target)} | ${fmtPass(f.pass)} | – |`);
  }
  let md = `### Results (${R.run.mode} run, ${R.run.finished})\n\n`;
  md += `Machine: ${R.machine.cpu_model}, ${R.machine.cores} cores, ${R.machine.total_mem_mb} MiB; Node ${R.machine.node} (V8 ${R.machine.v8}); ${R.machine.platform}\n\n`;
  md += `| Figure | Baseline (median) | Measured (median) | Ratio | Target | Result | Spread (per-round ratio, min–max) |\n|---|---|---|---|---|---|---|\n`;
  md += rows.join("\n") + "\n";
  if (R.capture_speedup) {
    md += `\n#### Location capture, ns per call (median of ${R.capture_speedup.spread.baseline.n} process(es); stack depth ${R.capture_speedup.stack_depth}, Error.stackTraceLimit ${R.capture_speedup.stack_trace_limit})\n\n| Method | ns/op | × injected |\n|---|---|---|\n`;
    const inj = R.capture_speedup.methods.injected.ns_per_op;
    for (const [name, m] of Object.entries(R.capture_speedup.methods)) {
      md += m.absent ? `| ${name} | absent (${m.why}) | – |\n` : `| ${name} | ${fmtNum(m.ns_per_op, "ns")} | ${fmtRatio(m.ns_per_op / inj)} |\n`;
    }
  }
  if (R.overhead_off) {
    const w = R.msgpack_workload;
    md += `\n#### msgpack workload: ${w.objects} objects, ${(w.encoded_bytes_per_pass / 1024).toFixed(0)} KiB encoded per pass; ${w.rewrites.sites} rewritten sites in the plugin build\n\n`;
    md += `| Variant | CPU ms/pass | wall ms/pass | ratio (CPU) | ratio (wall) | peak RSS MiB |\n|---|---|---|---|---|---|\n`;
    md += `| plain | ${fmtNum(R.overhead_off.baseline_ms, "")} | ${fmtNum(R.overhead_off.wall.baseline_ms, "")} | 1× | 1× | ${R.overhead_off.peak_rss_mb.baseline.toFixed(0)} |\n`;
    for (const [label, f] of [
      ["plugin, unset", R.overhead_off],
      ["plugin, summary", R.overhead_summary],
      ["plugin, ndjson", R.overhead_ndjson],
      ["plain, --heap-prof", R.heap_prof_reference],
    ]) {
      md += `| ${label} | ${fmtNum(f.measured_ms, "")} | ${fmtNum(f.wall.measured_ms, "")} | ${fmtRatio(f.ratio)} | ${fmtRatio(f.wall.ratio)} | ${f.peak_rss_mb.measured.toFixed(0)} |\n`;
    }
    md += `\nndjson: ${R.overhead_ndjson.events_per_pass} events (${R.overhead_ndjson.alloc_events_per_pass} allocs), ${(R.overhead_ndjson.file_bytes_per_pass / 1024).toFixed(0)} KiB written per pass.`;
    md += ` Rounds: ${R.overhead_off.rounds} for plain and unset, ${R.overhead_summary.rounds} for the others.\n`;
    const p = R.overhead_off.predicted_from_micro;
    if (p) md += `\n\`overhead_off\` predicted from the micro loops: ${p.wrapper_calls_per_pass} wrapper calls a pass × ${p.ns_per_call} ns = ${fmtRatio(p.ratio)} (a cross-check much less exposed to machine noise).\n`;
  }
  if (R.alloc_workload) md += allocMarkdown(R);
  if (R.instructions && !R.instructions.skipped) {
    md += `\n#### Instructions (valgrind callgrind, \`node --single-threaded\`; long run minus short run)\n\n| program | unit | plain | off | summary | ndjson |\n|---|---|---|---|---|---|\n`;
    for (const [name, g] of Object.entries(R.instructions)) {
      const f = g.per_unit;
      md += `| ${name} | ${g.unit} | ${f.plain} | ${f.off} (${fmtRatio(g.ratio.off)}) | ${f.summary} (${fmtRatio(g.ratio.summary)}) | ${f.ndjson} (${fmtRatio(g.ratio.ndjson)}) |\n`;
    }
  }
  if (R.load_off && !R.load_off.failed) {
    const l = R.load_off;
    md += `\n#### Load time with tracing off: a fresh \`node -e\` process, ${l.processes} process(es) each, medians\n\n| What is required | CPU ms | wall ms |\n|---|---|---|\n`;
    md += `| ${l.builtins.map((b) => `\`${b}\``).join(", ")} (the built-ins the runtime loads) | ${fmtNum(l.builtins_cpu_ms, "")} | – |\n`;
    md += `| an empty package behind the same \`exports\` map (resolution alone) | ${fmtNum(l.empty_package.cpu_ms, "")} | ${fmtNum(l.empty_package.wall_ms, "")} |\n`;
    md += `| \`traced-allocator/runtime\` (${l.runtime_files} files) | ${fmtNum(l.measured_ms, "")} | ${fmtNum(l.wall.measured_ms, "")} |\n`;
    md += `\nThe runtime's own load time (its require, less the empty package's): ${fmtNum(l.runtime_own_ms, "ms")}. Node modules loaded on the way: ${l.node_internal_modules_loaded.map((m) => m.replace(/^NativeModule /, "")).join(", ") || "none"}.\n`;
  }
  if (R.build_ratio) {
    const b = R.build_ratio;
    md += `\n#### Build: ${b.project}\n\n| Compiler | CPU ms | wall ms |\n|---|---|---|\n`;
    md += `| tsc | ${fmtNum(b.baseline_ms, "")} | ${fmtNum(b.wall.tsc_ms, "")} |\n| tspc, no plugin | ${fmtNum(b.tspc_no_plugin_ms, "")} | ${fmtNum(b.wall.tspc_no_plugin_ms, "")} |\n| tspc + plugin | ${fmtNum(b.measured_ms, "")} | ${fmtNum(b.wall.tspc_plugin_ms, "")} |\n`;
    md += `| ratio tspc + plugin ÷ tsc | ${fmtRatio(b.ratio)} | ${fmtRatio(b.wall.ratio)} |\n`;
    const c = R.build_ratio_cli;
    if (c && !c.failed) md += `| traced-alloc build | ${fmtNum(c.measured_ms, "")} (${fmtRatio(c.ratio)}) | ${fmtNum(c.wall.traced_alloc_build_ms, "")} (${fmtRatio(c.wall.ratio)}) |\n`;
    if (c && !c.failed && c.no_code_cache_cpu_ms) md += `| what-if: traced-alloc build without its code cache for TypeScript (\`NODE_DISABLE_COMPILE_CACHE=1\`) | ${fmtNum(c.no_code_cache_cpu_ms, "")} (${fmtRatio(c.no_code_cache_ratio)}) | ${fmtNum(c.wall.traced_alloc_build_no_code_cache_ms, "")} |\n`;
    md += `| what-if: tspc + plugin, package.json without \`tsp.tscOptions.parseAllJsDoc\` | ${fmtNum(b.what_if.without_parseAllJsDoc.cpu_ms, "")} (${fmtRatio(b.what_if.without_parseAllJsDoc.ratio)}) | |\n`;
    md += `| what-if: \`ts-patch install\`ed TypeScript, plain tsc + plugin, without \`parseAllJsDoc\` | ${fmtNum(b.what_if.ts_patch_install_without_parseAllJsDoc.cpu_ms, "")} (${fmtRatio(b.what_if.ts_patch_install_without_parseAllJsDoc.ratio)}) | |\n`;
    md += `\nPlugin build: ${b.rewrites.sites} sites in ${b.rewrites.files_with_runtime} files (${Object.entries(b.rewrites.kinds).map(([k, n]) => `${k} ×${n}`).join(", ")}).\n`;
  }
  if (R.micro) {
    md += `\n#### Micro loops, ns per operation (median of ${R.micro.rounds} round(s)); ratio to the plain build\n\n| Operation | plain | unset | summary | ndjson |\n|---|---|---|---|---|\n`;
    for (const [name, c] of Object.entries(R.micro.cases)) {
      md += `| \`${name}\` | ${fmtNum(c.plain_ns, "")} | ${fmtNum(c.off_ns, "")} (${fmtRatio(c.off_ratio)}) | ${fmtNum(c.summary_ns, "")} (${fmtRatio(c.summary_ratio)}) | ${fmtNum(c.ndjson_ns, "")} (${fmtRatio(c.ndjson_ratio)}) |\n`;
    }
    const g = R.micro.geomean_ratio;
    md += `| geometric mean of ratios | | ${fmtRatio(g.off)} | ${fmtRatio(g.summary)} | ${fmtRatio(g.ndjson)} |\n`;
  }
  return md;
}

/** The tables of the two allocation-heavy programs: every variant's times, ratios and peak RSS. */
function allocMarkdown(R) {
  const w = R.alloc_workload;
  let md = "";
  for (const [p, what, extra] of [
    ["alloc", w.alloc_loop, [["plugin, ndjson, 1e6 iterations", "alloc_ndjson_rss_growth"]]],
    ["resize", w.resizable, []],
  ]) {
    const base = ["off", "summary", "ndjson", "lifetimes"].map((v) => R[`${p}_${v}`]).find((f) => f && !f.failed);
    md += `\n#### ${p === "alloc" ? "Allocation-heavy loop" : "Resizable-buffer program"}: ${what} (whole process; median of ${w.rounds} round(s))\n\n`;
    md += `| Variant | CPU ms | wall ms | loop ms | ratio (CPU) | ratio (wall) | ratio (loop) | peak RSS MiB |\n|---|---|---|---|---|---|---|---|\n`;
    if (base) md += `| plain | ${fmtNum(base.baseline_ms, "")} | ${fmtNum(base.wall.baseline_ms, "")} | ${fmtNum(base.loop.baseline_ms, "")} | 1× | 1× | 1× | ${base.peak_rss_mb.baseline.toFixed(0)} |\n`;
    for (const [label, v] of [
      ["plugin, unset", "off"],
      ["plugin, summary", "summary"],
      ["plugin, ndjson", "ndjson"],
      ["plugin, summary,lifetimes", "lifetimes"],
    ]) {
      const f = R[`${p}_${v}`];
      if (!f) continue;
      if (f.failed) {
        md += `| ${label} | failed: ${(f.failures ?? []).join("; ")} | | | | | | |\n`;
        continue;
      }
      md += `| ${label} | ${fmtNum(f.measured_ms, "")} | ${fmtNum(f.wall.measured_ms, "")} | ${fmtNum(f.loop.measured_ms, "")} | ${fmtRatio(f.ratio)} | ${fmtRatio(f.wall.ratio)} | ${fmtRatio(f.loop.ratio)} | ${f.peak_rss_mb.measured.toFixed(0)} |\n`;
    }
    for (const [label, key] of extra) {
      const g = R[key];
      if (g && !g.failed) md += `| ${label} | | | | | | | ${fmtNum(g.baseline_mib, "")} |\n`;
    }
    const nd = R[`${p}_ndjson`];
    if (nd && !nd.failed) md += `\nndjson: ${nd.ndjson_events} lines (${nd.ndjson_alloc_events} allocs), ${(nd.ndjson_file_bytes / 2 ** 20).toFixed(0)} MiB written.`;
    const g = p === "alloc" ? R.alloc_ndjson_rss_growth : undefined;
    if (g && !g.failed) md += ` At 1e6 iterations: ${g.ndjson_events.iterations_1e6} lines, peak RSS ${fmtNum(g.baseline_mib, "MiB")} (5e6: ${fmtNum(g.measured_mib, "MiB")}, ${fmtRatio(g.ratio)}).`;
    const fails = ["off", "summary", "ndjson", "lifetimes"].flatMap((v) => (R[`${p}_${v}`] && !R[`${p}_${v}`].failed && R[`${p}_${v}`].failures ? [`${v}: ${R[`${p}_${v}`].failures.join("; ")}`] : []));
    if (fails.length) md += `\n\nFailed runs (left out of the medians): ${fails.join("; ")}.`;
    md += "\n";
  }
  md += `\nCPU and wall time are the whole process's (start-up, the loop, the runtime's exit report); "loop" is the program's own timing of its loop. Peak RSS: ${R.alloc_summary_rss?.rss_source ?? "–"}.\n`;
  return md;
}

// ------------------------------------------------------------------------------------ main

/** One run at a time: two runs would rebuild bench/.work under each other (and measure each other's load). */
function takeLock() {
  const lock = path.join(WORK, ".lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: "wx" });
      const release = () => {
        try {
          if (fs.readFileSync(lock, "utf8") === String(process.pid)) fs.unlinkSync(lock);
        } catch {
          // already gone
        }
      };
      process.on("exit", release);
      for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(130));
      return;
    } catch (e) {
      if (e.code !== "EEXIST") throw e;
      const pid = Number(fs.readFileSync(lock, "utf8"));
      let alive = false;
      try {
        process.kill(pid, 0);
        alive = true;
      } catch {
        alive = false;
      }
      if (alive) throw new Error(`another benchmark run (pid ${pid}) is using bench/.work; wait for it to finish`);
      fs.unlinkSync(lock); // left by a run that died
    }
  }
}

async function main() {
  fs.mkdirSync(WORK, { recursive: true });
  takeLock();
  const R = { machine: machineInfo(), run: { mode: QUICK ? "quick" : "full", config: CFG, git: gitInfo() } };
  step(`${R.run.mode} run on ${R.machine.cpu_model}, ${R.machine.cores} cores, Node ${R.machine.node}`);
  step("preparing the package under test");
  const pkgInfo = await preparePackage();
  R.run.package_under_test = pkgInfo.how;
  R.run.package_digest = pkgInfo.digest; // sha256 of the compiled runtime and transformer .js files
  R.run.git_after_compile = gitInfo(); // the sources may have moved while compiling: this is what was compiled
  R.run.package_json_tsp = pkgInfo.package_json_tsp;

  if (ONLY.has("capture")) R.capture_speedup = await benchCapture();
  if (ONLY.has("micro")) {
    step("building the micro loops (tsc and tspc)");
    R.micro = await benchMicro(await prepareMicro());
  }
  if (ONLY.has("msgpack")) {
    step("building @msgpack/msgpack from its TypeScript sources (tsc and tspc)");
    const m = await benchMsgpack(await prepareMsgpack());
    R.msgpack_workload = m.workload;
    R.overhead_off = m.overhead_off;
    R.overhead_summary = m.overhead_summary;
    R.overhead_ndjson = m.overhead_ndjson;
    R.heap_prof_reference = m.heap_prof_reference;
  }
  if (ONLY.has("alloc")) {
    step("building the allocation-heavy programs (tsc and tspc)");
    const { workload, ...figs } = await benchAlloc(await prepareAlloc());
    R.alloc_workload = workload;
    Object.assign(R, figs);
  }
  if (ONLY.has("load")) R.load_off = await benchLoad();
  if (ONLY.has("reader")) {
    if (!ONLY.has("alloc")) await prepareAlloc();
    R.reader_events_per_s = await benchReader();
  }
  if (ONLY.has("instructions")) {
    if (!ONLY.has("msgpack")) await prepareMsgpack();
    if (!ONLY.has("alloc")) await prepareAlloc();
    R.instructions = await benchInstructions();
  }
  if (ONLY.has("build")) Object.assign(R, await benchBuild(prepareRxjs()));
  if (R.micro && R.overhead_off && R.overhead_ndjson) {
    // A noise-free cross-check of overhead_off: wrapper calls per pass (counted from the ndjson trace)
    // × what one wrapper call costs with tracing unset (micro loops, cases with on-heap results).
    const deltas = Object.values(R.micro.cases)
      .filter((c) => c.plain_ns < 100)
      .map((c) => c.off_ns - c.plain_ns);
    const ns = median(deltas);
    const calls = R.overhead_ndjson.alloc_events_per_pass;
    R.overhead_off.predicted_from_micro = {
      what: "1 + wrapper calls per pass (alloc events in the ndjson trace) × ns per wrapper call with tracing unset (median micro-loop delta, on-heap cases) ÷ plain ns per pass",
      wrapper_calls_per_pass: calls,
      ns_per_call: round(ns),
      ratio: round(1 + (calls * ns) / (R.overhead_off.baseline_ms * 1e6)),
    };
  }

  R.run.finished = new Date().toISOString();
  R.run.duration_s = Math.round((Date.now() - started) / 1000);
  const missed = Object.keys(TARGETS).filter((k) => R[k] && R[k].pass === false);
  R.run.missed_targets = missed;
  const md = markdown(R);
  fs.writeFileSync(path.join(WORK, "results.json"), JSON.stringify(R, null, 2) + "\n");
  fs.writeFileSync(path.join(WORK, "results.md"), md);
  step(`done in ${R.run.duration_s}s; results also in bench/.work/results.{json,md}`);
  if (JSON_OUT) process.stdout.write(JSON.stringify(R, null, 2) + "\n");
  else process.stdout.write(md);
}

main().catch((e) => {
  log(`bench failed: ${/^another benchmark run/.test(e.message) ? e.message : (e.stack ?? e)}`);
  process.exit(1);
});
