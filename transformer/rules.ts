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

export const RULES: Readonly<Record<string, RowSpec>> = rows;

/** Buffer-like types whose first-argument position makes a typed array or `Buffer.from` a view. */
export const BUFFER_TYPE_NAMES = new Set(["ArrayBuffer", "SharedArrayBuffer", "ArrayBufferLike"]);
