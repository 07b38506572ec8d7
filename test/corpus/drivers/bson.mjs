// bson workload: serialize and deserialize seeded documents with every BSON type (strings,
// int32/int64/double/Decimal128, binaries of several subtypes and sizes, UUIDs, ObjectIds from
// fixed hex, dates, regexps, code with scope, timestamps, min/max keys, DBRefs, nested arrays and
// documents), with options (promoteValues off, raw, checkKeys, ignoreUndefined), into a caller's
// buffer, as a stream of documents, element by element (onDemand), through Extended JSON, and
// binary vectors. Nothing random or time-based: ObjectIds and UUIDs are made from fixed bytes.
import { scale, load, prng, out, sha, toHex } from "./common.mjs";

const B = load("src/index.js");
const rnd = prng(0x5eed_0003);

const hex = (n) => toHex(rnd.bytes(n));
function doc(i, depth = 2) {
  const d = {
    _id: B.ObjectId.createFromHexString(hex(12)),
    i,
    name: rnd.str(30),
    int32: new B.Int32(rnd.int(-(2 ** 31), 2 ** 31 - 1)),
    long: B.Long.fromString(String(rnd.int(-(2 ** 31), 2 ** 31 - 1) * 4_000_000_007)),
    double: new B.Double((rnd() - 0.5) * 1e9),
    plain: rnd() * 100,
    dec: B.Decimal128.fromString(`${rnd.int(0, 1e9)}.${rnd.int(0, 1e6)}E${rnd.int(-30, 30)}`),
    bin: new B.Binary(rnd.bytes(rnd() < 0.05 ? rnd.int(2000, 12_000) : rnd.int(0, 200))),
    md5: new B.Binary(rnd.bytes(16), B.Binary.SUBTYPE_MD5),
    uuid: new B.UUID(hex(16)),
    when: new Date(Date.UTC(2000, 0, 1) + i * 3_600_000_123),
    re: /ab+c/im,
    bre: new B.BSONRegExp("^x[0-9]+$", "im"),
    code: new B.Code("function f(x) { return x + y; }", { y: i }),
    ts: new B.Timestamp({ t: 1_700_000_000 + i, i: i % 7 }),
    min: new B.MinKey(),
    max: new B.MaxKey(),
    ref: new B.DBRef("things", B.ObjectId.createFromHexString(hex(12)), "db"),
    flag: rnd() < 0.5,
    none: null,
    list: Array.from({ length: rnd.int(0, 12) }, () => (rnd() < 0.5 ? rnd.int(0, 1000) : rnd.str(8))),
  };
  if (depth > 0) d.child = doc(i * 10 + 1, depth - 1);
  if (depth > 0) d.children = [doc(i * 10 + 2, depth - 1), { k: rnd.str(5) }];
  return d;
}

const count = 30 * scale;
const docs = Array.from({ length: count }, (_, i) => doc(i));

// 1. serialize / deserialize, calculateObjectSize agrees with the length
const bytes = [];
let sizesAgree = 0;
let roundTrips = 0;
for (const d of docs) {
  const b = B.serialize(d);
  bytes.push(b);
  if (B.calculateObjectSize(d) === b.length) sizesAgree++;
  const back = B.deserialize(b);
  if (B.serialize(back).length === b.length && back.i === d.i && back._id.toHexString() === d._id.toHexString()) roundTrips++;
}
const all = Buffer.concat(bytes);
out("serialize", { docs: count, bytes: all.length, sha: sha(all), sizesAgree, roundTrips });

// 2. deserialize options
const opts = [
  { promoteValues: false },
  { promoteLongs: false, promoteBuffers: true },
  { useBigInt64: true },
  { bsonRegExp: true },
  { raw: false, fieldsAsRaw: { children: true } },
  { validation: { utf8: false } },
];
for (const o of opts) {
  const h = [];
  for (const b of bytes.slice(0, 10 * scale)) h.push(B.EJSON.stringify(B.deserialize(b, o), { relaxed: false }));
  out(`deserialize ${JSON.stringify(o)}`, sha(h.join("\n")));
}
out("ignoreUndefined", toHex(B.serialize({ a: undefined, b: 1 }, { ignoreUndefined: true })));
out("serializeFunctions", toHex(B.serialize({ f: function g() { return 1; } }, { serializeFunctions: true })));

// 3. into a caller's buffer, then as a stream
const target = new Uint8Array(all.length + 16);
let index = 0;
const streamed = docs.slice(0, 20 * scale);
for (const d of streamed) index = B.serializeWithBufferAndIndex(d, target, { index }) + 1;
const back = [];
const next = B.deserializeStream(target, 0, streamed.length, back, 0, {});
out("stream", { index, next, ids: back.reduce((s, d) => s + d.i, 0) });

// 4. element by element
let elements = 0;
let typeSum = 0;
for (const b of bytes.slice(0, 30 * scale)) {
  for (const e of B.onDemand.parseToElements(b)) {
    elements++;
    typeSum += e[0];
  }
}
out("onDemand", { elements, typeSum });
const bu = B.onDemand.ByteUtils;
const sample = rnd.bytes(300);
out("ByteUtils.concat", sha(bu.concat([sample, bu.fromISO88591("latin ÿ"), bu.allocateUnsafe(0)])));
out("ByteUtils", [bu.toHex(bu.fromHex(toHex(sample))) === toHex(sample), bu.toBase64(sample).slice(0, 24), bu.toUTF8(bu.fromUTF8("héllo 🙂"), 0, 10, false), bu.allocate(5).length, bu.toLocalBufferType(sample).length]);

// 5. Extended JSON, canonical and relaxed, and back
const ejson = [];
for (const d of docs.slice(0, 12 * scale)) {
  const canonical = B.EJSON.stringify(d, { relaxed: false });
  const relaxed = B.EJSON.stringify(d, { relaxed: true });
  const parsed = B.EJSON.parse(canonical, { relaxed: false });
  ejson.push(canonical, relaxed, toHex(B.serialize(parsed)));
}
out("EJSON", sha(ejson.join("\n")));

// 6. binaries: put/write/read, base64 and hex, vectors, Long and Decimal128 arithmetic
const bin = new B.Binary();
for (let k = 0; k < 600 * scale; k++) bin.put(k & 0xff);
bin.write(rnd.bytes(1000), 300);
out("Binary", { length: bin.length(), sha: sha(bin.value()), read: toHex(bin.read(10, 8)), b64: bin.toString("base64").slice(0, 20) });
out("Binary.createFromBase64", toHex(B.Binary.createFromBase64("AAECAwQFBgc=").buffer));
const f32 = new Float32Array(Array.from({ length: 64 }, (_, k) => k / 3));
const i8 = new Int8Array(Array.from({ length: 64 }, (_, k) => (k * 7) % 256 - 128));
const vf = B.Binary.fromFloat32Array(f32);
const vi = B.Binary.fromInt8Array(i8);
const vb = B.Binary.fromPackedBits(new Uint8Array([0xaa, 0x55, 0xff]), 3);
out("vectors", [sha(vf.toFloat32Array()), sha(vi.toInt8Array()), [...vb.toBits()].join(""), toHex(vb.toPackedBits())]);
let acc = B.Long.fromNumber(1);
for (let k = 1; k < 40; k++) acc = acc.multiply(B.Long.fromNumber(k)).add(B.Long.fromNumber(k)).modulo(B.Long.fromString("9223372036854775783"));
out("Long", [acc.toString(), acc.toString(16), B.Long.fromBigInt(2n ** 62n + 5n).div(B.Long.fromNumber(7)).toString()]);
out("Decimal128", ["1.23E+5", "-0.0000001", "NaN", "Infinity", "123456789012345678901234567890123.4"].map((s) => B.Decimal128.fromString(s).toString()));
out("Binary.fromBits", toHex(B.Binary.fromBits([1, 0, 1, 1, 0, 0, 1, 0, 1, 1]).buffer));
out("UUID copy", new B.UUID(new B.UUID("fedcba9876543210fedcba9876543210")).toHexString());
out("utf8 keys", sha(B.EJSON.stringify(B.deserialize(bytes[0], { validation: { utf8: { name: true } } }))));
out("UUID", [new B.UUID("0123456789abcdef0123456789abcdef").toHexString(), B.UUID.isValid("0123456789abcdef0123456789abcdef")]);
