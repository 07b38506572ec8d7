// The resizable-buffer program (issue 8): small typed arrays, and every 100th iteration a resizable
// ArrayBuffer of up to 1 MiB, grown once and kept in a ring of 64. One synchronous loop. Compiled
// twice by the harness (plain `tsc`, and `tspc` with the plugin) into bench/.work/alloc.
//
// Usage: node resizable.js [iterations]      (default 1.5e6)
// Prints one JSON line: the iterations, a checksum (so nothing is dead code) and the loop's wall time.

const n = Number(process.argv[2] ?? 1.5e6);
const RING = 64;
const ring: ArrayBuffer[] = [];
let bytes = new Uint8Array(0);
let floats = new Float64Array(0);
let check = 0;

const t0 = process.hrtime.bigint();
for (let i = 0; i < n; i++) {
  bytes = new Uint8Array(32);
  floats = new Float64Array(8);
  bytes[i & 31] = i;
  floats[i & 7] = i;
  if (i % 100 === 0) {
    const rab = new ArrayBuffer(1024, { maxByteLength: 1 << 20 });
    rab.resize(4096);
    ring[(i / 100) % RING] = rab;
    check = (check + rab.byteLength) | 0;
  }
}
const loopMs = Number(process.hrtime.bigint() - t0) / 1e6;

check = (check + bytes.length + floats.length + ring.length + ring.reduce((s, b) => s + b.byteLength, 0)) | 0;
console.log(JSON.stringify({ program: "resizable", iterations: n, check, loop_ms: loopMs }));

export {}; // a module, not a script: its names are its own
