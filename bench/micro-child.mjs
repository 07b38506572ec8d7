// Child process: runs every micro case of one build (bench/.work/micro/<build>/micro.js) and prints
// one JSON line: ns per operation for each case. TRACED_ALLOC is set (or not) by the parent.
//
// Usage: node micro-child.mjs <buildDir> <msPerCase> [case]     (case: an exact name, or a substring)
//        node micro-child.mjs <buildDir> --list                  (prints the case names as JSON)
//
// For each case: a warm-up of about a third of the budget, then batches of a fixed size (about 2 ms)
// until the budget is spent. The time counted runs from the first measured batch's start to the last one's
// end, including the event-loop turns between batches (where FinalizationRegistry callbacks — the
// runtime's deallocs — run), so work the runtime defers is still paid for inside the figure.
import { createRequire } from "node:module";
import * as path from "node:path";
import { turn } from "./lib.mjs";

const [buildDir, msArg = "300", filter] = process.argv.slice(2);
const MS = Number(msArg);
const require = createRequire(import.meta.url);
const entry = path.resolve(buildDir, "micro.js");
const { cases } = require(entry);
let runtimePath = null; // where `traced-allocator/runtime` resolves from the build (the parent checks it)
try {
  runtimePath = createRequire(entry).resolve("traced-allocator/runtime");
} catch {
  // not needed by the plain build
}

async function run(fn, ms) {
  const probe = fn(1000); // the same in every build: the parent compares it
  // Warm-up with small batches (about a third of the budget), timing its second half to size the
  // measured batches at about 2 ms each in this build.
  let check = 0;
  let warmOps = 0;
  let warmNs = 0;
  const warmStart = Date.now();
  const warmUntil = warmStart + ms / 3;
  while (Date.now() < warmUntil) {
    const t0 = process.hrtime.bigint();
    check = (check + fn(256)) | 0;
    if (Date.now() > warmStart + ms / 6) {
      warmNs += Number(process.hrtime.bigint() - t0);
      warmOps += 256;
    }
    await turn();
  }
  const perOp = warmOps > 0 ? warmNs / warmOps : 1000;
  const n = Math.max(256, Math.min(1 << 24, Math.round(2e6 / perOp)));
  let ops = 0;
  let batches = 0;
  const end = Date.now() + ms;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  while (batches < 5 || Date.now() < end) {
    check = (check + fn(n)) | 0;
    ops += n;
    batches++;
    await turn();
  }
  const ns = Number(process.hrtime.bigint() - t0);
  const cpu = process.cpuUsage(cpu0);
  return { ns_per_op: ((cpu.user + cpu.system) * 1000) / ops, wall_ns_per_op: ns / ops, ops, batches, batch: n, probe, check };
}

if (msArg === "--list") {
  console.log(JSON.stringify(Object.keys(cases)));
  process.exit(0);
}
const out = {};
const exact = filter !== undefined && Object.hasOwn(cases, filter);
for (const [name, fn] of Object.entries(cases)) {
  if (filter && (exact ? name !== filter : !name.includes(filter))) continue;
  out[name] = await run(fn, MS);
}
console.log(JSON.stringify({ cases: out, traced_alloc: process.env.TRACED_ALLOC ?? null, runtime_path: runtimePath }));
