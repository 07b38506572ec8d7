// Child process: the "real code" workload. Loads one build of @msgpack/msgpack (compiled from the
// TypeScript sources its npm package ships, by plain tsc or by tspc with the plugin), then encodes
// and decodes the fixed corpus, pass after pass. Prints one JSON line.
//
// Usage: node msgpack-child.mjs <buildDir> <warmPasses> <measuredPasses> [count]
//
// A pass = encode(obj) for each of the corpus's objects, then decode() of each encoded message,
// through the package's public encode/decode functions (each call makes its own Encoder/Decoder,
// as most applications use msgpack). The figure is wall time from the first measured pass's start
// to the last one's end, divided by the number of passes, event-loop turns between passes
// included (where FinalizationRegistry callbacks — the runtime's deallocs — run).
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import * as path from "node:path";
import { deepEqual, makeCorpus } from "./corpus.mjs";
import { turn } from "./lib.mjs";

const [buildDir, warmArg = "15", passesArg = "40", countArg = "400"] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const entry = path.resolve(buildDir, "index.js");
const msgpack = require(entry);
let runtimePath = null; // where the plugin build's `traced-allocator/runtime` resolves to (the parent checks it)
try {
  runtimePath = createRequire(entry).resolve("traced-allocator/runtime");
} catch {
  // the plain build does not need it
}
const corpus = makeCorpus({ count: Number(countArg) });

// Correctness first: both builds must produce the same bytes and round-trip the corpus.
const hash = createHash("sha256");
let bytesPerPass = 0;
for (const obj of corpus) {
  const enc = msgpack.encode(obj);
  hash.update(enc);
  bytesPerPass += enc.length;
  if (!deepEqual(msgpack.decode(enc), obj)) throw new Error(`round trip failed for object ${obj.id}`);
}
const digest = hash.digest("hex").slice(0, 16);

const encoded = new Array(corpus.length);
let check = 0;
function pass() {
  for (let i = 0; i < corpus.length; i++) encoded[i] = msgpack.encode(corpus[i]);
  for (let i = 0; i < encoded.length; i++) {
    const v = msgpack.decode(encoded[i]);
    check = (check + v.id + v.tags.length) | 0;
  }
}

for (let i = 0; i < Number(warmArg); i++) {
  pass();
  await turn();
}
const passes = Number(passesArg);
const perPass = [];
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
for (let i = 0; i < passes; i++) {
  const p0 = process.hrtime.bigint();
  pass();
  perPass.push(Number(process.hrtime.bigint() - p0) / 1e6);
  await turn();
}
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const cpu = process.cpuUsage(cpu0);
perPass.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    cpu_ms_per_pass: (cpu.user + cpu.system) / 1000 / passes,
    ms_per_pass: ms / passes,
    median_pass_ms: perPass[perPass.length >> 1],
    passes,
    objects: corpus.length,
    bytes_per_pass: bytesPerPass,
    digest,
    check,
    traced_alloc: process.env.TRACED_ALLOC ?? null,
    runtime_path: runtimePath,
    max_rss_mb: process.resourceUsage().maxRSS / 1024,
  }),
);
