// Shared by the corpus drivers. A driver is run as
//   node <driver>.mjs <build folder> [scale]
// where <build folder> holds one build (plain or traced) of a library's sources, compiled to
// CommonJS under src/; it must print the same bytes for both builds and every TRACED_ALLOC mode.
// Everything here is deterministic: no clock, no randomness that is not seeded.
import { createRequire } from "node:module";
import { createHash } from "node:crypto";
import * as path from "node:path";

export const buildDir = path.resolve(process.argv[2] ?? ".");
/** 1 in `npm test`; larger (TA_CORPUS_LONG=1) for the long variant. */
export const scale = Math.max(1, Number(process.argv[3] ?? 1) | 0);

const require = createRequire(path.join(buildDir, "package.json"));
/** Loads a module of the build (e.g. "src/index.js"). */
export const load = (rel) => require(path.join(buildDir, rel));

/** A seeded PRNG (mulberry32): the same seed gives the same sequence in every process. */
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  next.pick = (xs) => xs[next.int(0, xs.length - 1)];
  next.bytes = (n) => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = (next() * 256) | 0;
    return b;
  };
  next.str = (max, wide = true) => {
    const ALPHA = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-";
    const WIDE = ["é", "ß", "漢", "字", "🙂", "ж", "λ", "ø"];
    const len = next.int(0, max);
    let s = "";
    for (let i = 0; i < len; i++) s += wide && next() < 0.05 ? next.pick(WIDE) : ALPHA[next.int(0, ALPHA.length - 1)];
    return s;
  };
  return next;
}

// Libraries use Math.random where it does not change results but changes how often they allocate
// (msgpack's CachedKeyDecoder evicts a random entry): seeded, so that every run makes the same calls.
Math.random = prng(0x5eed_ffff);

/** Short SHA-256 of bytes or a string (node:crypto, so it does not depend on the library under test). */
export function sha(data) {
  return createHash("sha256").update(data).digest("hex").slice(0, 16);
}

export const toHex = (u8) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength).toString("hex");

/** Byte equality of two Uint8Arrays (or Buffers). */
export function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Prints one line "label: value" (values JSON-stringified unless strings). */
export function out(label, value) {
  process.stdout.write(`${label}: ${typeof value === "string" ? value : JSON.stringify(value)}\n`);
}
