// The allocation-heavy loop (issue 8): one synchronous loop of small typed arrays, nothing else.
// Compiled twice by the harness (plain `tsc`, and `tspc` with the plugin) into bench/.work/alloc;
// bench/run.mjs runs each build as a whole process, one variant per process.
//
// Usage: node alloc-loop.js [iterations]      (default 5e6)
// Prints one JSON line: the iterations, a checksum of the last array (so the loop is not dead code)
// and the loop's own wall time (the harness measures the whole process too).

const n = Number(process.argv[2] ?? 5e6);
let keep = new Uint8Array(0);

const t0 = process.hrtime.bigint();
for (let i = 0; i < n; i++) keep = new Uint8Array(16);
const loopMs = Number(process.hrtime.bigint() - t0) / 1e6;

keep[0] = n & 0xff;
console.log(JSON.stringify({ program: "alloc-loop", iterations: n, check: keep.length + keep[0], loop_ms: loopMs }));

export {}; // a module, not a script: its names are its own
