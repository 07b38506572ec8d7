#!/usr/bin/env node
// Diagnosis for `overhead_summary` (not part of `npm run bench`): how much of TRACED_ALLOC=summary's
// cost on the msgpack workload would a runtime change remove? Patches copies of the compiled
// runtime under test (bench/.work/pkg/dist/runtime/index.js, made by `npm run bench`), never the
// sources, and runs the msgpack plugin build against each copy, interleaved with the plain build.
// Variants whose target code is not in the runtime under test are skipped.
//
//   current  the runtime as it is
// For the runtime as of 99bba0c (each allocation: a WeakMap entry and a registry cell with a token):
//   A        FinalizationRegistry.register(value, held) without an unregister token
//   B        no WeakMap (`live`) entry for allocations that can never be resized in place: typed
//            arrays, arrays, Buffers, fixed-length ArrayBuffers
//   AB, AB_noreg_arrays (and no cell for plain Arrays), AB_noreg (no cell for any fixed-size object)
// For the runtime as of bd73366 (identity entry only for buffers; summary-only: a registry per row):
//   C        no identity entry (WeakMap + token) for fixed-length ArrayBuffers either: only
//            resizable or growable ones can change layout
//   CD       C, and no finalization cell for plain Arrays (sizes are estimates anyway): arrays get
//            no dealloc count
//   C_floor  C, and no finalization cell at all in summary-only mode (what counting alone costs)
//
// Usage: node bench/diagnose-summary.mjs [rounds=3]      (run `npm run bench -- --only=msgpack --quick` first)
import * as fs from "node:fs";
import * as path from "node:path";
import { WORK, BENCH_DIR, envWith, median, runJsonChild, log } from "./lib.mjs";

const rounds = Number(process.argv[2] ?? 3);
const runtimeFile = path.join(WORK, "pkg/dist/runtime/index.js");
const tracedBuild = path.join(WORK, "msgpack/traced");
if (!fs.existsSync(runtimeFile) || !fs.existsSync(tracedBuild)) {
  log("run `npm run bench -- --only=msgpack --quick` first: it builds bench/.work/pkg and bench/.work/msgpack");
  process.exit(2);
}
const src = fs.readFileSync(runtimeFile, "utf8");
const must = (s, a, b) => {
  if (!s.includes(a)) throw new Error(`patch target not found: ${a.split("\n")[0]}…`);
  return s.replace(a, b);
};
// --- variants for the runtime as of 99bba0c (every allocation: WeakMap entry + registry cell with token)
const A = (s) => must(s, "registry.register(value, h, value);", "registry.register(value, h);");
const B = (s) => {
  s = must(s, "function track(site, loc, value, size, align, estimated) {", "function track(site, loc, value, size, align, estimated, fixed) {");
  s = must(s, "    live.set(value, h);\n    registry.register(value, h", "    if (!fixed) live.set(value, h);\n    registry.register(value, h");
  s = must(
    s,
    "track(site, caller ?? site, value, size, align, site.rule === names_1.Rule.Array);",
    "track(site, caller ?? site, value, size, align, site.rule === names_1.Rule.Array, site.rule === names_1.Rule.Array || site.rule === names_1.Rule.Typed || (site.rule === names_1.Rule.Bytes && !value.resizable && !value.growable));",
  );
  return s;
};
// --- variants for the runtime as of bd73366 (identity only for buffers; summary-only: one registry per row)
const BYTES_IDENTITY = "        case names_1.Rule.Bytes:\n            size = v.byteLength;\n            identity = true;";
const ROW_REGISTER = "        (row.gc ??= rowRegistry(row)).register(v, size);";
// C: fixed-length ArrayBuffers cannot change layout (no resize; transfer() is Node >= 21 and the
//    runtime's realloc already handles a receiver it does not know): no identity entry for them.
const C = (s) => must(s, BYTES_IDENTITY, "        case names_1.Rule.Bytes:\n            size = v.byteLength;\n            identity = v.resizable === true || v.growable === true;");
// D: no finalization cell for plain Arrays (whose sizes are estimates anyway): no deallocs for arrays.
const D = (s) => must(s, ROW_REGISTER, "        if (!estimated) (row.gc ??= rowRegistry(row)).register(v, size);");
// floor: no finalization cell at all in summary-only mode: counting alone.
const FLOOR = (s) => must(s, ROW_REGISTER, "");
const variants = {
  current: (s) => s,
  A,
  B,
  AB: (s) => B(A(s)),
  AB_noreg_arrays: (s) => must(B(A(s)), "    registry.register(value, h);", "    if (!estimated) registry.register(value, h);"),
  AB_noreg: (s) => must(B(A(s)), "    registry.register(value, h);", "    if (!fixed) registry.register(value, h);"),
  C,
  CD: (s) => D(C(s)),
  C_floor: (s) => FLOOR(C(s)),
};

const dirs = {};
for (const [name, patch] of Object.entries(variants)) {
  let patched;
  try {
    patched = patch(src);
  } catch (e) {
    log(`${name}: skipped (${e.message}): the runtime under test no longer has the code this variant changes`);
    delete variants[name];
    continue;
  }
  const dir = path.join(WORK, "diagnose", name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(path.join(WORK, "pkg"), path.join(dir, "pkg"), { recursive: true });
  fs.writeFileSync(path.join(dir, "pkg/dist/runtime/index.js"), patched);
  fs.cpSync(tracedBuild, path.join(dir, "msgpack"), { recursive: true });
  fs.mkdirSync(path.join(dir, "node_modules"), { recursive: true });
  fs.symlinkSync(path.join(dir, "pkg"), path.join(dir, "node_modules/traced-allocator"), "dir");
  dirs[name] = path.join(dir, "msgpack");
}

const res = { plain: [] };
for (const n of Object.keys(variants)) res[n] = [];
for (let r = 0; r < rounds; r++) {
  for (const name of ["plain", ...Object.keys(variants)]) {
    const dir = name === "plain" ? path.join(WORK, "msgpack/plain") : dirs[name];
    const env = envWith(name === "plain" ? {} : { TRACED_ALLOC: "summary" });
    const { result } = await runJsonChild([path.join(BENCH_DIR, "msgpack-child.mjs"), dir, "80", "250"], { env });
    if (name !== "plain" && !result.runtime_path.startsWith(path.join(WORK, "diagnose", name) + path.sep)) {
      throw new Error(`${name} loaded the runtime from ${result.runtime_path}`);
    }
    res[name].push(result);
  }
  log(`round ${r + 1}/${rounds} done`);
}
const base = median(res.plain.map((x) => x.cpu_ms_per_pass));
console.log("| runtime variant (TRACED_ALLOC=summary) | CPU ms/pass | ratio to plain | peak RSS MiB |\n|---|---|---|---|");
for (const [k, v] of Object.entries(res)) {
  const m = median(v.map((x) => x.cpu_ms_per_pass));
  console.log(`| ${k} | ${m.toFixed(2)} | ${(m / base).toFixed(3)}× | ${median(v.map((x) => x.max_rss_mb)).toFixed(0)} |`);
}
