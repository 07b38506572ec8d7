/**
 * The built-ins we rewrite, as one table. A row is found by the declaration the type checker
 * resolves a call to: `<container> new` for a construct signature, `<container> call` for a call
 * signature, `<container>.<member>` for a method. Containers are the lib's own interface names
 * (`Uint8ArrayConstructor`, `ArrayBuffer`) or, for WebAssembly, the namespace-qualified name.
 * Adding a built-in is adding a row.
 */
import { Rule } from "../runtime/names";

export type Form =
  /** `new X(...)` / `X.from(...)`: keep the expression, hand its result to `alloc`. */
  | "alloc"
  /** Like alloc, but a first argument that is an ArrayBuffer makes a view, not an allocation. */
  | "allocOrView"
  /** `recv.m(arg)`: a layout change of `recv`, performed by the runtime's `realloc`. */
  | "realloc";

export interface RowSpec {
  form: Form;
  /** What the events call it: `new Uint8Array`, `Buffer.alloc`, `ArrayBuffer.prototype.resize`. */
  kind: string;
  rule: Rule;
}

const TYPED_ARRAYS = [
  "Int8Array",
  "Uint8Array",
  "Uint8ClampedArray",
  "Int16Array",
  "Uint16Array",
  "Int32Array",
  "Uint32Array",
  "Float16Array",
  "Float32Array",
  "Float64Array",
  "BigInt64Array",
  "BigUint64Array",
];

const rows: Record<string, RowSpec> = {
  "ArrayBufferConstructor new": { form: "alloc", kind: "new ArrayBuffer", rule: Rule.Bytes },
  "SharedArrayBufferConstructor new": { form: "alloc", kind: "new SharedArrayBuffer", rule: Rule.Bytes },
  "ArrayConstructor new": { form: "alloc", kind: "new Array", rule: Rule.Array },
  "ArrayConstructor call": { form: "alloc", kind: "Array", rule: Rule.Array },
  "ArrayConstructor.from": { form: "alloc", kind: "Array.from", rule: Rule.Array },
  "ArrayConstructor.of": { form: "alloc", kind: "Array.of", rule: Rule.Array },
  "BufferConstructor.alloc": { form: "alloc", kind: "Buffer.alloc", rule: Rule.Buffer },
  "BufferConstructor.allocUnsafe": { form: "alloc", kind: "Buffer.allocUnsafe", rule: Rule.Buffer },
  "BufferConstructor.allocUnsafeSlow": { form: "alloc", kind: "Buffer.allocUnsafeSlow", rule: Rule.Buffer },
  "BufferConstructor.from": { form: "allocOrView", kind: "Buffer.from", rule: Rule.Buffer },
  "BufferConstructor.concat": { form: "alloc", kind: "Buffer.concat", rule: Rule.Buffer },
  "WebAssembly.Memory new": { form: "alloc", kind: "new WebAssembly.Memory", rule: Rule.Wasm },
  "ArrayBuffer.resize": { form: "realloc", kind: "ArrayBuffer.prototype.resize", rule: Rule.Bytes },
  "ArrayBuffer.transfer": { form: "realloc", kind: "ArrayBuffer.prototype.transfer", rule: Rule.Bytes },
  "ArrayBuffer.transferToFixedLength": {
    form: "realloc",
    kind: "ArrayBuffer.prototype.transferToFixedLength",
    rule: Rule.Bytes,
  },
  "SharedArrayBuffer.grow": { form: "realloc", kind: "SharedArrayBuffer.prototype.grow", rule: Rule.Bytes },
  "WebAssembly.Memory.grow": { form: "realloc", kind: "WebAssembly.Memory.prototype.grow", rule: Rule.Wasm },
};
for (const name of TYPED_ARRAYS) {
  rows[`${name}Constructor new`] = { form: "allocOrView", kind: `new ${name}`, rule: Rule.Typed };
  rows[`${name}Constructor.from`] = { form: "alloc", kind: `${name}.from`, rule: Rule.Typed };
  rows[`${name}Constructor.of`] = { form: "alloc", kind: `${name}.of`, rule: Rule.Typed };
}

// Copies: methods that return a new typed array, buffer or array (never a view). `subarray` and
// `Buffer.prototype.slice` are views and have no row; a typed array's `slice` called on a Buffer is
// checked at run time (Rule.Slice).
const TYPED_COPIES = ["map", "filter", "toReversed", "toSorted", "with"];
const ARRAY_COPIES = ["slice", "map", "filter", "concat", "flat", "flatMap", "toSorted", "toReversed", "toSpliced", "with"];
for (const name of TYPED_ARRAYS) {
  rows[`${name}.slice`] = { form: "alloc", kind: `${name}.prototype.slice`, rule: Rule.Slice };
  for (const m of TYPED_COPIES) rows[`${name}.${m}`] = { form: "alloc", kind: `${name}.prototype.${m}`, rule: Rule.Typed };
}
for (const m of ARRAY_COPIES) {
  rows[`Array.${m}`] = { form: "alloc", kind: `Array.prototype.${m}`, rule: Rule.Array };
  rows[`ReadonlyArray.${m}`] = { form: "alloc", kind: `Array.prototype.${m}`, rule: Rule.Array };
}
rows["Array.splice"] = { form: "alloc", kind: "Array.prototype.splice", rule: Rule.Array }; // the removed elements, a new array
rows["ArrayBuffer.slice"] = { form: "alloc", kind: "ArrayBuffer.prototype.slice", rule: Rule.Bytes };
rows["SharedArrayBuffer.slice"] = { form: "alloc", kind: "SharedArrayBuffer.prototype.slice", rule: Rule.Bytes };
rows["BufferConstructor.copyBytesFrom"] = { form: "alloc", kind: "Buffer.copyBytesFrom", rule: Rule.Buffer };
// TextEncoder: lib.dom's interface, and @types/node's class in "util" (the global's type there).
rows["TextEncoder.encode"] = { form: "alloc", kind: "TextEncoder.prototype.encode", rule: Rule.Typed };
rows["util.TextEncoder.encode"] = { form: "alloc", kind: "TextEncoder.prototype.encode", rule: Rule.Typed };
// What returns anything (a Buffer, or a string when an encoding was given): measured by what comes back.
const RESULTS: Record<string, string> = {
  structuredClone: "structuredClone",
  "fs.readFileSync": "fs.readFileSync",
  "crypto.randomBytes": "crypto.randomBytes",
  "crypto.pbkdf2Sync": "crypto.pbkdf2Sync",
  "crypto.scryptSync": "crypto.scryptSync",
  "crypto.hkdfSync": "crypto.hkdfSync",
  "crypto.publicEncrypt": "crypto.publicEncrypt",
  "crypto.privateDecrypt": "crypto.privateDecrypt",
  "crypto.privateEncrypt": "crypto.privateEncrypt",
  "crypto.publicDecrypt": "crypto.publicDecrypt",
  "crypto.Hash.digest": "Hash.prototype.digest",
  "crypto.Hmac.digest": "Hmac.prototype.digest",
  "crypto.Cipher.update": "Cipher.prototype.update",
  "crypto.Cipher.final": "Cipher.prototype.final",
  "crypto.Decipher.update": "Decipher.prototype.update",
  "crypto.Decipher.final": "Decipher.prototype.final",
  "crypto.Sign.sign": "Sign.prototype.sign",
  "buffer.transcode": "buffer.transcode",
  "v8.serialize": "v8.serialize",
  "child_process.execSync": "child_process.execSync",
  "child_process.execFileSync": "child_process.execFileSync",
};
for (const z of ["deflate", "inflate", "deflateRaw", "inflateRaw", "gzip", "gunzip", "unzip", "brotliCompress", "brotliDecompress"]) {
  RESULTS[`zlib.${z}Sync`] = `zlib.${z}Sync`;
}
for (const [key, kind] of Object.entries(RESULTS)) rows[key] = { form: "alloc", kind, rule: Rule.Result };

export const RULES: Readonly<Record<string, RowSpec>> = rows;

/**
 * Rows by the shape of a call on a global name, for calls the type checker cannot resolve to the
 * lib (a cast to `any`, an ambient `declare const Buffer: {...}` of the library's own): `new X`,
 * `X`, `X.m`, `new WebAssembly.Memory`, `structuredClone`, and `fs.readFileSync` for a module
 * namespace. The kind of a row is exactly that shape, except for methods of instances, which have
 * no shape here (`x.slice()` on an `any` cannot be told from any other `slice`).
 */
export const BY_SHAPE: ReadonlyMap<string, RowSpec> = new Map(
  Object.values(rows)
    .filter((r) => r.form !== "realloc" && !r.kind.includes(".prototype."))
    .map((r) => [r.kind, r]),
);

/** Rows of instance methods by kind (`TextEncoder.prototype.encode`), for a receiver known to be made by `new G(...)` of a global. */
export const BY_INSTANCE_SHAPE: ReadonlyMap<string, RowSpec> = new Map(
  Object.values(rows)
    .filter((r) => r.kind.includes(".prototype."))
    .map((r) => [r.kind, r]),
);

/** Buffer-like types whose first-argument position makes a typed array or `Buffer.from` a view. */
export const BUFFER_TYPE_NAMES = new Set(["ArrayBuffer", "SharedArrayBuffer", "ArrayBufferLike"]);
