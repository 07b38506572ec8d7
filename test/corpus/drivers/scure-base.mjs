// @scure/base workload: every codec (base16/32/36/58/64 in their variants, hex, utf8, ascii,
// base58check, base58xmr, bech32/bech32m) over seeded byte strings of several sizes, encode then
// decode, plus the radix helpers and the fallbacks Node has built-ins for.
import { scale, load, prng, out, sha, sameBytes } from "./common.mjs";
import { createHash } from "node:crypto";

const b = load("src/index.js");
const rnd = prng(0x5eed_0004);
const sizes = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 31, 32, 33, 63, 64, 100, 255, 1000];
for (let i = 1; i < scale; i++) sizes.push(4096 * i);
const inputs = sizes.map((n) => rnd.bytes(n));
inputs.push(new Uint8Array([0, 0, 0, 1, 2]), new Uint8Array([0, 0]));

const codecs = ["base16", "base32", "base32nopad", "base32hex", "base32hexnopad", "base32crockford", "base64", "base64nopad",
  "base64url", "base64urlnopad", "hex", "base36", "base58", "base58flickr", "base58xrp", "base58xmr"];
const T = b.__TESTS;
const coders = Object.fromEntries(codecs.map((n) => [n, b[n]]));
Object.assign(coders, { base64Fallback: T.base64Fallback, base64urlFallback: T.base64urlFallback, hexFallback: T.hexFallback });
const sha256 = (d) => new Uint8Array(createHash("sha256").update(d).digest());
coders.base58check = b.createBase58check(sha256);

for (const [name, c] of Object.entries(coders)) {
  const quadratic = /base(36|58)/.test(name); // radix conversion is quadratic: keep those inputs small
  const encoded = [];
  let ok = 0;
  for (const input of inputs) {
    if (quadratic && input.length > 300) continue;
    const s = c.encode(input);
    encoded.push(s);
    if (sameBytes(c.decode(s), input)) ok++;
  }
  out(name, `${encoded[3]} ${encoded[9]} ${sha(encoded.join("|"))} ok=${ok}/${encoded.length}`);
}

// bech32 and bech32m: words, bytes, limits, unsafe decoding of a corrupted string
for (const name of ["bech32", "bech32m"]) {
  const c = b[name];
  const res = [];
  for (const input of inputs.filter((x) => x.length <= 40)) {
    const words = c.toWords(input);
    const s = c.encode("corpus", words);
    const d = c.decode(s);
    const fromBytes = c.encodeFromBytes("bc", input);
    const back = c.decodeToBytes(fromBytes);
    res.push(s, String(sameBytes(c.fromWords(d.words), input)), fromBytes, String(sameBytes(back.bytes, input)));
    const bad = s.slice(0, -1) + (s.endsWith("q") ? "p" : "q");
    res.push(String(c.decodeUnsafe(bad)));
    res.push(String(c.fromWordsUnsafe(words.concat([31, 31])) === undefined));
  }
  const long = c.encode("x", c.toWords(rnd.bytes(400)), false);
  res.push(long, c.decode(long, 10_000).prefix);
  out(name, sha(res.join("\n")));
}

// text codecs
const text = "ascii and 漢字 and 🙂, é ß ж λ ø " + rnd.str(200);
out("utf8", [sha(b.utf8.decode(text)), b.utf8.encode(b.utf8.decode(text)) === text, sha(T.utf8Fallback.decode(text))]);
out("ascii", sha(b.ascii.decode("plain ascii text 0123456789".repeat(3))));

// the radix helpers
const r2 = T.radix2(5);
const r58 = T.radix58;
out("radix2", r2.encode(inputs[7]).join(","));
out("radix2 back", [...r2.decode(r2.encode(inputs[9]))].join(","));
out("alphabet", [...T.alphabet("0123456789abcdef").encode([1, 2, 15])].join(""));
const cs = T.checksum(4, sha256);
out("checksum", [...cs.encode(inputs[5])].join(","));
out("radix58", typeof r58);
