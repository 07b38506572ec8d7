// The fixed, deterministic corpus for the msgpack workload: the same seed gives the same objects,
// byte for byte, in every process. Objects with strings (ASCII and not), integers of every msgpack
// width, floats, booleans, nulls, binary Uint8Arrays (most small, a few large enough to make the
// encoder grow its buffer), nested arrays and nested maps.
import { mulberry32 } from "./lib.mjs";

export const DEFAULT_SEED = 0x7ace_a11c;

export function makeCorpus({ seed = DEFAULT_SEED, count = 400 } = {}) {
  const rnd = mulberry32(seed);
  const int = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = (xs) => xs[int(0, xs.length - 1)];
  const ALPHA = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-";
  const WIDE = ["é", "ß", "漢", "字", "🙂", "ж", "λ", "ø"];
  const str = (max) => {
    const len = int(0, max);
    let s = "";
    for (let i = 0; i < len; i++) s += rnd() < 0.05 ? pick(WIDE) : ALPHA[int(0, ALPHA.length - 1)];
    return s;
  };
  const bytes = () => {
    // Mostly small payloads, one in ten up to 16 KiB (beyond the encoder's initial 2 KiB buffer).
    const len = rnd() < 0.1 ? int(2048, 16384) : int(0, 512);
    const b = new Uint8Array(len);
    for (let i = 0; i < len; i++) b[i] = (rnd() * 256) | 0;
    return b;
  };
  const number = () => {
    switch (int(0, 6)) {
      case 0: return int(0, 127); // positive fixint
      case 1: return -int(1, 32); // negative fixint
      case 2: return int(0, 65535); // uint16
      case 3: return int(-2147483648, 2147483647); // int32
      case 4: return int(0, 2 ** 32 - 1) * 1024; // uint64
      case 5: return (rnd() - 0.5) * 1e6; // float64
      default: return rnd(); // float64 in [0, 1)
    }
  };
  const nested = (depth) => {
    const len = int(0, 8);
    const a = [];
    for (let i = 0; i < len; i++) {
      const r = rnd();
      if (depth > 0 && r < 0.25) a.push(nested(depth - 1));
      else if (r < 0.6) a.push(number());
      else if (r < 0.85) a.push(str(12));
      else a.push(r < 0.95 ? rnd() < 0.5 : null);
    }
    return a;
  };
  const corpus = [];
  for (let k = 0; k < count; k++) {
    const tags = [];
    for (let i = int(0, 6); i > 0; i--) tags.push(str(10));
    corpus.push({
      id: k,
      name: str(24),
      description: str(rnd() < 0.2 ? 300 : 40),
      score: rnd() * 100,
      count: number(),
      active: rnd() < 0.5,
      parent: rnd() < 0.3 ? null : int(0, count),
      tags,
      payload: bytes(),
      matrix: nested(3),
      meta: { created: int(1_600_000_000, 1_800_000_000), ratio: rnd(), note: rnd() < 0.5 ? null : str(16), points: nested(1) },
    });
  }
  return corpus;
}

/** Deep structural equality for what msgpack round-trips (numbers, strings, booleans, null, arrays, maps, Uint8Array). */
export function deepEqual(a, b) {
  if (a === b) return true;
  if (typeof a === "number" && typeof b === "number") return Number.isNaN(a) && Number.isNaN(b);
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!(Array.isArray(a) && Array.isArray(b)) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  if (a && b && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}
