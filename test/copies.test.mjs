// The copying built-ins and the Buffer-returning Node APIs (issue 7, point 3), on fixtures/copies.
// The fixture suite holds its sizes, aligns and positions (expected.log) and that it prints the same
// without the plugin; here: each row's kind, which rows are estimated (arrays: `~` in the summary),
// and what is deliberately not recorded (views, strings, arrays that copy no buffer or array,
// plain objects cloned, callback APIs).
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { compile, run, runNdjson, fixturesDir } from "./harness.mjs";

const dir = path.join(fixturesDir, "copies");
const src = fs.readFileSync(path.join(dir, "src/main.ts"), "utf8").split("\n");
/** The line (1-based) of the only source line that contains `text`. */
function lineOf(text) {
  const hits = src.flatMap((l, i) => (l.includes(text) ? [i + 1] : []));
  if (hits.length !== 1) throw new Error(`${hits.length} lines contain ${text}`);
  return hits[0];
}

// [a piece of the source line, kind, estimated]
const EXPECTED = [
  ["const u8 = Uint8Array.of", "Uint8Array.of"],
  ["const i16 = Int16Array.of", "Int16Array.of"],
  ["const f64 = Float64Array.of", "Float64Array.of"],
  ["u8.slice(2)", "Uint8Array.prototype.slice"],
  ["i16.map(", "Int16Array.prototype.map"],
  ["f64.filter(", "Float64Array.prototype.filter"],
  ["u8.toReversed()", "Uint8Array.prototype.toReversed"],
  ["i16.toSorted()", "Int16Array.prototype.toSorted"],
  ["f64.with(", "Float64Array.prototype.with"],
  ["arr.slice(1)", "Array.prototype.slice", true],
  ["nums.map(", "Array.prototype.map", true],
  ["nums.filter(", "Array.prototype.filter", true],
  ["nums.concat(", "Array.prototype.concat", true],
  ["arr.flat()", "Array.prototype.flat", true],
  ["nums.flatMap(", "Array.prototype.flatMap", true],
  ["nums.toSorted()", "Array.prototype.toSorted", true],
  ["nums.toReversed()", "Array.prototype.toReversed", true],
  ["nums.toSpliced(", "Array.prototype.toSpliced", true],
  ["nums.with(", "Array.prototype.with", true],
  ["spliced.splice(", "Array.prototype.splice", true],
  ["ro.slice(", "Array.prototype.slice", true], // a ReadonlyArray
  ["new ArrayBuffer(16)", "new ArrayBuffer"],
  ["ab2 = ab.slice(", "ArrayBuffer.prototype.slice"],
  ["new SharedArrayBuffer(8)", "new SharedArrayBuffer"],
  ["sab2 = sab.slice(", "SharedArrayBuffer.prototype.slice"],
  ["encode(", "TextEncoder.prototype.encode"],
  ["structuredClone(ab)", "structuredClone"], // an ArrayBuffer: exact
  ["structuredClone([1, 2, 3])", "structuredClone", true], // an array: estimated
  ["new Uint16Array([1, 2, 3])", "new Uint16Array"],
  ["Buffer.copyBytesFrom(", "Buffer.copyBytesFrom"],
  ["const read = fs.readFileSync(file)", "fs.readFileSync"],
  ["randomBytes(", "crypto.randomBytes"],
  ["pbkdf2Sync(", "crypto.pbkdf2Sync"],
  ["scryptSync(", "crypto.scryptSync"],
  ["hkdfSync(", "crypto.hkdfSync"],
  ['createHash("sha256").update("abc").digest()', "Hash.prototype.digest"],
  ['createHmac("sha1"', "Hmac.prototype.digest"],
  ["const key = Buffer.alloc", "Buffer.alloc"],
  ["const iv = Buffer.alloc", "Buffer.alloc"],
  ["const plainText = Buffer.alloc", "Buffer.alloc"],
  ["c1 = cipher.update(", "Cipher.prototype.update"],
  ["c2 = cipher.final()", "Cipher.prototype.final"],
  ["Buffer.concat([c1, c2])", "Buffer.concat"],
  ["decipher.update(", "Decipher.prototype.update"],
  ["decipher.final()", "Decipher.prototype.final"],
  ['Buffer.from("secret")', "Buffer.from"],
  ["publicEncrypt(", "crypto.publicEncrypt"],
  ["privateDecrypt(", "crypto.privateDecrypt"],
  ['Buffer.from("signed")', "Buffer.from"],
  ["privateEncrypt(", "crypto.privateEncrypt"],
  ["publicDecrypt(", "crypto.publicDecrypt"],
  ["sign(privateKey)", "Sign.prototype.sign"],
  ['Buffer.from("zlib input', "Buffer.from"],
  ["gzipSync(", "zlib.gzipSync"],
  ["gunzipSync(", "zlib.gunzipSync"],
  ["zlib.deflateSync(", "zlib.deflateSync"],
  ["zlib.inflateSync(", "zlib.inflateSync"],
  ["deflateRawSync(", "zlib.deflateRawSync"],
  ["inflateRawSync(", "zlib.inflateRawSync"],
  ["zlib.unzipSync(", "zlib.unzipSync"],
  ['Buffer.from("hé")', "Buffer.from"],
  ["transcode(", "buffer.transcode"],
  ["v8.serialize(", "v8.serialize"],
  ["child_process.execSync(", "child_process.execSync"],
  ["const exf = ", "child_process.execFileSync"],
  ['Buffer.from("abcdefgh")', "Buffer.from"], // the only event of the "not recorded" part
];

describe("copying built-ins and Buffer-returning Node APIs (fixtures/copies)", function () {
  this.timeout(120_000);
  let traced, allocs;
  before(() => {
    traced = compile(dir);
    expect(traced.diagnostics).to.deep.equal([]);
    const r = runNdjson(path.join(traced.outDir, "src/main.js"));
    expect(r.status, r.stderr).to.equal(0);
    allocs = r.events.filter((e) => e.event === "alloc");
  });

  it("each row once, at its line, with its kind; arrays (and structuredClone of an array) estimated", () => {
    const got = allocs.map((e) => `${e.line} ${e.kind}${e.estimated ? " ~" : ""}`);
    const want = EXPECTED.map(([text, kind, est]) => `${lineOf(text)} ${kind}${est ? " ~" : ""}`);
    expect(got).to.deep.equal(want);
    for (const e of allocs) expect(e.file).to.equal("src/main.ts");
  });

  it("typed copies are exact, align BYTES_PER_ELEMENT; array copies 8 bytes an element, align 8", () => {
    const at = (text) => allocs.find((e) => e.line === lineOf(text));
    expect(at("u8.slice(2)")).to.include({ size: 6, align: 1 });
    expect(at("i16.map(")).to.include({ size: 8, align: 2 });
    expect(at("f64.filter(")).to.include({ size: 8, align: 8 });
    expect(at("nums.concat(")).to.include({ size: 48, align: 8, estimated: true });
    expect(at("arr.flat()")).to.include({ size: 40, align: 8 });
    expect(at("structuredClone(ab)")).to.include({ size: 16, align: 1 });
    expect(at("hkdfSync(")).to.include({ size: 24, align: 1 }); // an ArrayBuffer
    expect(at("gzipSync(")).to.include({ size: 10 + 5 + 38 + 8, align: 1 }); // gzip header, one stored block, trailer
    for (const e of allocs) if (!e.estimated) expect(e).to.not.have.property("estimated");
  });

  it("the summary marks the estimated rows with ~ and no other", () => {
    const r = run(path.join(traced.outDir, "src/main.js"), { env: { TRACED_ALLOC: "summary" } });
    const rows = r.stderr.split("\n").filter((l) => l.startsWith("src/main.ts:"));
    expect(rows).to.have.length(allocs.length);
    for (const [text, kind, est] of EXPECTED) {
      const line = lineOf(text);
      const row = rows.find((l) => l.startsWith(`src/main.ts:${line}:`) && l.includes(` ${kind} `));
      expect(row, `${line} ${kind}`).to.be.a("string");
      expect(/\s~\d/.test(row), row).to.equal(!!est);
    }
  });

  it("views, strings, key/split arrays, plain objects cloned and callback APIs are not recorded", () => {
    const notRecorded = [
      "u8.subarray(",
      "buf.slice(",
      "(buf as Uint8Array).slice(",
      "new DataView(",
      'readFileSync(file, "utf8")',
      'update("x").digest("hex")',
      'encoding: "utf8"',
      "Object.keys(",
      '"a,b,c".split(',
      '"abc".match(',
      "structuredClone({ a: 1 })",
      "fs.readFile(",
    ].map(lineOf);
    expect(allocs.filter((e) => notRecorded.includes(e.line))).to.deep.equal([]);
  });
});
