// @msgpack/msgpack workload: encode and decode a seeded corpus of objects (every msgpack width of
// integer, floats, strings ASCII and not, binaries small and large enough to grow the encoder's
// buffer, nested arrays and maps), through the functions and through reused Encoder/Decoder
// instances, with options, an extension codec, timestamps, bigints, decodeMulti and the async
// stream decoders.
import { buildDir, scale, load, prng, sha, out, sameBytes } from "./common.mjs";
import { isDeepStrictEqual } from "node:util";

const mp = load("src/index.js");
const rnd = prng(0x5eed_0001);

function value(depth) {
  const r = rnd();
  if (depth > 0 && r < 0.12) {
    const a = [];
    for (let i = rnd.int(0, 6); i > 0; i--) a.push(value(depth - 1));
    return a;
  }
  if (depth > 0 && r < 0.22) {
    const o = {};
    for (let i = rnd.int(0, 6); i > 0; i--) o[rnd.str(8, false) || "k"] = value(depth - 1);
    return o;
  }
  switch (rnd.int(0, 10)) {
    case 0: return rnd.int(0, 127);
    case 1: return -rnd.int(1, 32);
    case 2: return rnd.int(0, 65535);
    case 3: return rnd.int(-2147483648, 2147483647);
    case 4: return rnd.int(0, 2 ** 32 - 1) * 1024;
    case 5: return (rnd() - 0.5) * 1e6;
    case 6: return rnd.str(rnd() < 0.1 ? 400 : 30);
    case 7: return rnd.bytes(rnd() < 0.08 ? rnd.int(2048, 20000) : rnd.int(0, 300));
    case 8: return rnd() < 0.5;
    case 9: return null;
    default: return rnd.str(6, false);
  }
}

const count = 250 * scale;
const corpus = [];
for (let k = 0; k < count; k++) {
  corpus.push({ id: k, name: rnd.str(24), tags: [rnd.str(8), rnd.str(8)], payload: rnd.bytes(rnd.int(0, 600)), body: value(4) });
}

// 1. the functions
let total = 0;
const all = [];
let roundTrips = 0;
for (const obj of corpus) {
  const enc = mp.encode(obj);
  all.push(enc);
  total += enc.length;
  if (isDeepStrictEqual(mp.decode(enc), obj)) roundTrips++;
}
out("encode", { objects: count, bytes: total, sha: sha(Buffer.concat(all)), roundTrips });

// 2. reused instances with options
const encoder = new mp.Encoder({ sortKeys: true, forceFloat32: true, ignoreUndefined: true, initialBufferSize: 64 });
const decoder = new mp.Decoder({ maxStrLength: 1 << 20 });
const sorted = [];
for (const obj of corpus.slice(0, 120 * scale)) {
  const enc = encoder.encode({ ...obj, undef: undefined, f: 1.5, z: 0 });
  sorted.push(enc);
  decoder.decode(enc);
}
out("sorted float32", sha(Buffer.concat(sorted)));
const enc2 = new mp.Encoder({ initialBufferSize: 16 });
const grown = enc2.encode({ big: new Uint8Array(70000).fill(7), list: Array.from({ length: 3000 }, (_, i) => i * 3) });
out("grown", { length: grown.length, sha: sha(grown) });

// 3. extension codec: a Set and a Map as extension types, plus timestamps and bigints
const codec = new mp.ExtensionCodec();
codec.register({
  type: 1,
  encode: (v, ctx) => (v instanceof Set ? mp.encode([...v], { extensionCodec: codec }) : null),
  decode: (data) => new Set(mp.decode(data, { extensionCodec: codec })),
});
codec.register({
  type: 2,
  encode: (v) => (v instanceof Map ? mp.encode([...v], { extensionCodec: codec }) : null),
  decode: (data) => new Map(mp.decode(data, { extensionCodec: codec })),
});
const withExt = [];
for (let i = 0; i < 60 * scale; i++) {
  const v = {
    set: new Set([i, i + 1, rnd.str(5)]),
    map: new Map([["a", i], ["b", rnd.bytes(i % 40)]]),
    when: new Date(Date.UTC(2020, 0, 1) + i * 86_400_123),
    before: new Date(-1e12 - i * 1001),
    far: new Date(Date.UTC(2500, 1, 1) + i),
  };
  const enc = mp.encode(v, { extensionCodec: codec });
  withExt.push(enc);
  const dec = mp.decode(enc, { extensionCodec: codec });
  if (!(dec.set instanceof Set) || dec.set.size !== 3 || dec.map.get("a") !== i || dec.when.getTime() !== v.when.getTime()) {
    out("ext mismatch", i);
  }
}
out("ext", sha(Buffer.concat(withExt)));
const big = mp.encode([2n ** 63n - 1n, -(2n ** 63n), 12345678901234567890n], { useBigInt64: true });
out("bigint", { hex: Buffer.from(big).toString("hex"), back: String(mp.decode(big, { useBigInt64: true })) });
const ext = mp.decode(mp.encode(new mp.ExtData(42, new Uint8Array([1, 2, 3, 4, 5]))));
out("extdata", { type: ext.type, data: [...ext.data] });
out("timestamp", [...mp.encodeTimestampExtension(new Date(Date.UTC(2001, 8, 9, 1, 46, 40, 5)))]);

// 4. decodeMulti over a concatenation, and the async stream decoders over chunks
const joined = Buffer.concat(all.slice(0, 100 * scale));
let ids = 0;
for (const v of mp.decodeMulti(joined)) ids += v.id;
out("decodeMulti", ids);

async function* chunks(bytes, size) {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}
let streamed = 0;
for await (const v of mp.decodeMultiStream(chunks(joined, 997))) streamed += v.id + 1;
out("decodeMultiStream", streamed);
const arr = mp.encode(corpus.slice(0, 40).map((o) => o.id));
let sum = 0;
for await (const v of mp.decodeArrayStream(chunks(arr, 7))) sum += v;
out("decodeArrayStream", sum);
const one = await mp.decodeAsync(chunks(all[3], 5));
out("decodeAsync", isDeepStrictEqual(one, corpus[3]));
out("done", sameBytes(mp.encode(mp.decode(all[0])), all[0]));
