// Micro loops over each built-in the transformer rewrites. Compiled twice by the harness (plain
// `tsc`, and `tspc` with the plugin) into bench/.work/micro; bench/micro-child.mjs runs them.
//
// Each case runs `n` operations and returns a checksum. Every result is kept in a small ring for a
// while (so it escapes, as a real allocation does) and contributes to the checksum (so no engine
// can drop the operation in one build and not in the other).

const RING = 16;
const ring: unknown[] = new Array<unknown>(RING).fill(null);

const src8: number[] = [1, 2, 3, 4, 5, 6, 7, 8];
const text = "hello, traced allocator";
// A value whose static type may be an ArrayBuffer (a function result, so that TypeScript cannot narrow
// it from an initializer): the transformer must emit the runtime view check (allocFrom).
function arrayOrBuffer(): ArrayLike<number> | ArrayBuffer {
  return src8;
}
const maybeBuffer = arrayOrBuffer();

/** @track_caller */
function makeBytes(n: number): Uint8Array {
  return new Uint8Array(n);
}

export const cases: Record<string, (n: number) => number> = {
  "new Uint8Array(64)"(n) {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const a = new Uint8Array(64);
      ring[i & (RING - 1)] = a;
      s += a.length;
    }
    return s;
  },
  "new Float64Array(16)"(n) {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const a = new Float64Array(16);
      ring[i & (RING - 1)] = a;
      s += a.length;
    }
    return s;
  },
  "new ArrayBuffer(256)"(n) {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const a = new ArrayBuffer(256);
      ring[i & (RING - 1)] = a;
      s += a.byteLength;
    }
    return s;
  },
  "Buffer.alloc(64)"(n) {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const a = Buffer.alloc(64);
      ring[i & (RING - 1)] = a;
      s += a.length;
    }
    return s;
  },
  "Buffer.allocUnsafe(64)"(n) {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const a = Buffer.allocUnsafe(64);
      ring[i & (RING - 1)] = a;
      s += a.length;
    }
    return s;
  },
  "Buffer.from(string)"(n) {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const a = Buffer.from(text);
      ring[i & (RING - 1)] = a;
      s += a.length;
    }
    return s;
  },
  "new Array(16)"(n) {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const a = new Array<number>(16);
      ring[i & (RING - 1)] = a;
      s += a.length;
    }
    return s;
  },
  "Array.from(array8)"(n) {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const a = Array.from(src8);
      ring[i & (RING - 1)] = a;
      s += a.length;
    }
    return s;
  },
  "Uint8Array.from(array8)"(n) {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const a = Uint8Array.from(src8);
      ring[i & (RING - 1)] = a;
      s += a.length;
    }
    return s;
  },
  "Uint8Array.of(1,2,3,4)"(n) {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const a = Uint8Array.of(1, 2, 3, 4);
      ring[i & (RING - 1)] = a;
      s += a.length;
    }
    return s;
  },
  "new Uint8Array(maybe buffer)"(n) {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const a = new Uint8Array(maybeBuffer);
      ring[i & (RING - 1)] = a;
      s += a.length;
    }
    return s;
  },
  "ArrayBuffer.resize"(n) {
    const rab = new ArrayBuffer(64, { maxByteLength: 4096 });
    let s = 0;
    for (let i = 0; i < n; i++) {
      rab.resize(64 + (i & 63) * 32);
      s += rab.byteLength;
    }
    ring[0] = rab;
    return s;
  },
  "new SharedArrayBuffer(64)"(n) {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const a = new SharedArrayBuffer(64);
      ring[i & (RING - 1)] = a;
      s += a.byteLength;
    }
    return s;
  },
  "@track_caller fn → new Uint8Array(64)"(n) {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const a = makeBytes(64);
      ring[i & (RING - 1)] = a;
      s += a.length;
    }
    return s;
  },
};
