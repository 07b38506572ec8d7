// @noble/hashes workload: every hash family over inputs of several sizes (block boundaries
// included), one-shot and incremental (chunked update, clone, digestInto), XOFs with output
// lengths, keyed/personalized modes, HMAC, HKDF, PBKDF2, scrypt and Argon2 with small costs,
// and the byte utilities. Prints hex digests. (Async variants are left out: their yielding is timed.)
import { scale, load, prng, out, sha } from "./common.mjs";

const sha2 = load("src/sha2.js");
const sha3 = load("src/sha3.js");
const addons = load("src/sha3-addons.js");
const blake1 = load("src/blake1.js");
const blake2 = load("src/blake2.js");
const blake3 = load("src/blake3.js");
const legacy = load("src/legacy.js");
const { hmac } = load("src/hmac.js");
const { hkdf } = load("src/hkdf.js");
const { pbkdf2 } = load("src/pbkdf2.js");
const { scrypt } = load("src/scrypt.js");
const argon2 = load("src/argon2.js");
const u = load("src/utils.js");

const rnd = prng(0x5eed_0002);
const sizes = [0, 1, 3, 31, 32, 55, 56, 63, 64, 65, 111, 112, 127, 128, 129, 135, 136, 137, 200, 1000, 1024, 4097];
for (let i = 0; i < scale - 1; i++) sizes.push(10_000 * (i + 1), 65_537 + i);
const inputs = sizes.map((n) => rnd.bytes(n));

const hashes = {
  sha1: legacy.sha1, md5: legacy.md5, ripemd160: legacy.ripemd160,
  sha224: sha2.sha224, sha256: sha2.sha256, sha384: sha2.sha384, sha512: sha2.sha512,
  sha512_224: sha2.sha512_224, sha512_256: sha2.sha512_256,
  sha3_224: sha3.sha3_224, sha3_256: sha3.sha3_256, sha3_384: sha3.sha3_384, sha3_512: sha3.sha3_512,
  keccak_256: sha3.keccak_256, keccak_512: sha3.keccak_512,
  blake224: blake1.blake224, blake256: blake1.blake256, blake384: blake1.blake384, blake512: blake1.blake512,
  blake2b: blake2.blake2b, blake2s: blake2.blake2s, blake3: blake3.blake3,
  kt128: addons.kt128, turboshake128: addons.turboshake128,
};

for (const [name, h] of Object.entries(hashes)) {
  const all = [];
  for (const input of inputs) {
    const d = h(input);
    // incremental: uneven chunks, a clone part way, digestInto a buffer of its own
    const inc = h.create();
    let i = 0;
    let step = 1;
    while (i < input.length) {
      inc.update(input.subarray(i, i + step));
      i += step;
      step = (step * 3 + 1) % 97 || 1;
    }
    const copy = inc.clone();
    const into = new Uint8Array(h.outputLen);
    copy.digestInto(into);
    const d2 = inc.digest();
    if (u.bytesToHex(d2) !== u.bytesToHex(d) || u.bytesToHex(into) !== u.bytesToHex(d)) out(`${name} incremental mismatch`, input.length);
    all.push(u.bytesToHex(d));
  }
  out(name, `${all[0].slice(0, 16)} ${all[5].slice(0, 16)} ${sha(all.join(""))}`);
}

// XOFs and keyed or personalized modes
const msg = inputs[19];
out("shake128", u.bytesToHex(sha3.shake128(msg, { dkLen: 100 })));
out("shake256", u.bytesToHex(sha3.shake256(msg, { dkLen: 300 })).slice(0, 64));
const xof = sha3.shake256.create({});
xof.update(msg);
out("shake256 xof", [u.bytesToHex(xof.xof(10)), u.bytesToHex(xof.xof(200)).slice(0, 32)]);
out("blake3 xof", u.bytesToHex(blake3.blake3(msg, { dkLen: 200 })).slice(0, 64));
out("blake3 keyed", u.bytesToHex(blake3.blake3(msg, { key: inputs[4] })));
out("blake3 context", u.bytesToHex(blake3.blake3(msg, { context: u.utf8ToBytes("corpus 2026") })));
out("blake2b keyed", u.bytesToHex(blake2.blake2b(msg, { key: inputs[5], salt: inputs[6].subarray(0, 16), personalization: inputs[7].subarray(0, 16), dkLen: 40 })));
out("blake2s keyed", u.bytesToHex(blake2.blake2s(msg, { key: inputs[4], salt: inputs[3].subarray(0, 8), personalization: inputs[7].subarray(0, 8), dkLen: 20 })));
out("cshake256", u.bytesToHex(addons.cshake256(msg, { personalization: u.utf8ToBytes("p"), NISTfn: "f", dkLen: 48 })));
out("kmac256", u.bytesToHex(addons.kmac256(inputs[4], msg, { personalization: u.utf8ToBytes("k") })));
out("tuplehash256", u.bytesToHex(addons.tuplehash256([inputs[1], inputs[2], inputs[3]])));
out("parallelhash128", u.bytesToHex(addons.parallelhash128(inputs[20], { blockLen: 64 })));
out("keccakprg", (() => {
  const prg = addons.keccakprg(254);
  prg.addEntropy(inputs[4]);
  return u.bytesToHex(prg.randomBytes(48));
})());

out("blake256 salt", (() => {
  const h = blake1.blake256.create({ salt: inputs[4].subarray(0, 16) });
  h.update(msg);
  const c = h.clone();
  return [u.bytesToHex(h.digest()), u.bytesToHex(c.digest()), u.bytesToHex(blake1.blake512(msg, { salt: inputs[4] }))];
})());
out("blake3 clone xof", (() => {
  const h = blake3.blake3.create({ key: inputs[4] });
  h.update(msg);
  const c = h.clone();
  return [u.bytesToHex(c.xof(40)), u.bytesToHex(h.xof(8)), u.bytesToHex(blake3.blake3.create({}).update(msg).clone().digest())];
})());
out("kmac clone", (() => {
  const h = addons.kmac128.create(inputs[4], {});
  h.update(msg);
  return u.bytesToHex(h.clone().digest());
})());
out("kt128 leaves", (() => {
  const big = u.concatBytes(...Array.from({ length: 3 }, () => inputs[21]), inputs[20]); // > 8 KiB: leaf hashing
  const h = addons.kt128.create({ personalization: u.utf8ToBytes("kt") });
  h.update(big);
  const c = h.clone();
  return [u.bytesToHex(h.digest()), u.bytesToHex(c.digest()), u.bytesToHex(addons.kt256(big, { dkLen: 20 }))];
})());
out("hkdf extract/expand", (() => {
  const prk = load("src/hkdf.js").extract(sha2.sha512, inputs[9], inputs[5]);
  return [u.bytesToHex(prk).slice(0, 32), u.bytesToHex(load("src/hkdf.js").expand(sha2.sha512, prk, undefined, 130)).slice(0, 32)];
})());

// MAC and KDFs
const key = inputs[4];
out("hmac-sha256", u.bytesToHex(hmac(sha2.sha256, key, msg)));
out("hmac-sha512", u.bytesToHex(hmac(sha2.sha512, inputs[19], inputs[20])));
const mac = hmac.create(sha3.sha3_256, key);
for (const input of inputs.slice(0, 10)) mac.update(input);
out("hmac-sha3 incremental", u.bytesToHex(mac.digest()));
out("hkdf", u.bytesToHex(hkdf(sha2.sha256, inputs[9], inputs[4], u.utf8ToBytes("info"), 100)));
out("pbkdf2", u.bytesToHex(pbkdf2(sha2.sha256, "password", "salt", { c: 32 * scale, dkLen: 80 })));
out("pbkdf2-sha512", u.bytesToHex(pbkdf2(sha2.sha512, inputs[5], inputs[6], { c: 8, dkLen: 64 })));
out("scrypt", u.bytesToHex(scrypt("password", "NaCl", { N: 16 * scale, r: 2, p: 2, dkLen: 64 })));
out("argon2id", u.bytesToHex(argon2.argon2id("password", "somesalt", { t: 2, m: 32 * scale, p: 2, dkLen: 32 })));
out("argon2d", u.bytesToHex(argon2.argon2d("password", "somesalt", { t: 1, m: 16, p: 1, key: "secret", personalization: "app" })));
out("argon2i", u.bytesToHex(argon2.argon2i(inputs[9], inputs[5], { t: 1, m: 16, p: 1 })));

// byte utilities
const joined = u.concatBytes(...inputs.slice(0, 12));
out("concatBytes", { length: joined.length, sha: sha(joined) });
out("hexToBytes", u.bytesToHex(u.hexToBytes(u.bytesToHex(inputs[8]))) === u.bytesToHex(inputs[8]));
out("utf8ToBytes", [...u.utf8ToBytes("héllo 漢字 🙂")]);
out("randomBytes", u.randomBytes(24).length);
