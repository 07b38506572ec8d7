// Preloaded (node --enable-source-maps --require) into a PLAIN build: every built-in that the
// transformer's table rewrites, or is about to (the table in transformer/rules.ts is growing), is
// replaced by a wrapper that records which built-in was called and the position V8 reports for
// its caller's frame (source-mapped by --enable-source-maps), then does the real thing.
//
// At exit, one line per call is written to the file named by V8_PROBE_OUT:
//   <kind>\t<file>:<line>:<col>
// <kind> is this probe's canonical name of the built-in (see canonicalKind in
// test/corpus/kinds.mjs, which maps the transformer's `kind` strings onto these):
//   new Uint8Array, Uint8Array.from, Array, new Array, Buffer.alloc, ArrayBuffer.prototype.resize,
//   TypedArray.prototype.slice (any typed array or Buffer receiver), Array.prototype.map,
//   TextEncoder.prototype.encode, structuredClone, fs.readFileSync, crypto.randomBytes,
//   zlib.gzipSync, Hash.prototype.digest, Hmac.prototype.digest, ...
//   <kind>\t<file>:<line>:<col>\tview
// when the call made a view, not an allocation: a typed array constructor or Buffer.from whose
// first argument is an ArrayBuffer or SharedArrayBuffer.
// A frame that is not a JavaScript source position (a built-in calling its receiver, as
// Array.from does with a subclass) is written as `?<raw stack line>`.
// The file starts with one line `#probed\t<kind>` for each built-in the probe wrapped, so a
// checker can tell "V8 saw no call here" from "this probe does not look at that built-in".
//
// V8_PROBE_ONLY (optional): a folder; calls whose caller's JavaScript file is not inside it are
// not recorded (saves formatting a source-mapped stack for every call the driver makes).
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const crypto = require("node:crypto");
const zlib = require("node:zlib");
const nodeModule = require("node:module");
const { isAnyArrayBuffer } = require("node:util").types;

const OUT = process.env.V8_PROBE_OUT;
const ONLY = process.env.V8_PROBE_ONLY ? path.resolve(process.env.V8_PROBE_ONLY) + path.sep : undefined;
const hits = [];
const probed = new Set();
let busy = false; // the probe's own work (stack formatting, source maps) is not recorded

function structured(err, frames) {
  return frames;
}

/** The JavaScript file of the frame `depth` frames above record()'s caller, without source maps. */
function rawCallerFile(depth) {
  const saved = Error.prepareStackTrace;
  const savedLimit = Error.stackTraceLimit;
  Error.prepareStackTrace = structured;
  Error.stackTraceLimit = depth + 2;
  const holder = {};
  Error.captureStackTrace(holder);
  const frames = holder.stack;
  Error.prepareStackTrace = saved;
  Error.stackTraceLimit = savedLimit;
  const f = Array.isArray(frames) ? frames[depth + 1] : undefined;
  return f ? f.getFileName() : undefined;
}

/**
 * Records `kind` at the caller's frame. `depth` counts the frames between record() and the user's
 * frame: 1 for a wrapper or a Proxy trap that calls record() directly.
 */
function record(kind, depth = 1, view = false) {
  if (busy) return;
  busy = true;
  try {
    if (ONLY) {
      const file = rawCallerFile(depth + 1);
      if (!file || !(file.startsWith(ONLY) || file.startsWith("file://" + ONLY))) return;
    }
    const savedLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = depth + 3;
    // [message, at record, at <wrapper or trap>, at <user frame>]
    const stack = new Error().stack;
    Error.stackTraceLimit = savedLimit;
    const line = stack.split("\n")[depth + 2] ?? "";
    const m = /\(?([^()\s]+):(\d+):(\d+)\)?$/.exec(line);
    hits.push(`${kind}\t${m ? `${m[1].replace(/^file:\/\//, "")}:${m[2]}:${m[3]}` : `?${line.trim()}`}${view ? "\tview" : ""}`);
  } finally {
    busy = false;
  }
}

/**
 * Replaces each named method of `target` by a recording wrapper; `kindOf` is the container's name
 * (the kind is `${kindOf}.${name}`) or a function `(name) => kind`. `isView(args)`: whether that
 * call makes a view.
 */
function patch(target, names, kindOf, isView) {
  for (const name of names) {
    const desc = Object.getOwnPropertyDescriptor(target, name);
    const orig = desc ? desc.value : target[name];
    if (typeof orig !== "function") continue;
    const kind = typeof kindOf === "string" ? `${kindOf}.${name}` : kindOf(name);
    probed.add(kind);
    const wrapper = {
      // a method (no [[Construct]]), named and sized like the original
      [name](...args) {
        record(kind, 1, isView ? isView(name, args) : false);
        return Reflect.apply(orig, this, args);
      },
    }[name];
    Object.defineProperty(wrapper, "length", { value: orig.length });
    Object.defineProperty(target, name, { value: wrapper, writable: true, enumerable: desc ? desc.enumerable : false, configurable: true });
  }
}

// ------------------------------------------------------------------ constructors and their statics

const TYPED = ["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array",
  "Float16Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array"].filter((n) => typeof globalThis[n] === "function");

// Prototype methods first (on the original prototypes, which the Proxies below share).
const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype);
patch(TypedArrayPrototype, ["slice", "map", "filter", "toReversed", "toSorted", "with"], (name) => `TypedArray.prototype.${name}`);
patch(Array.prototype, ["slice", "map", "filter", "concat", "flat", "flatMap", "toSorted", "toReversed", "toSpliced", "with", "splice"], "Array.prototype");
patch(ArrayBuffer.prototype, ["resize", "transfer", "transferToFixedLength", "slice"], "ArrayBuffer.prototype");
if (typeof SharedArrayBuffer === "function") patch(SharedArrayBuffer.prototype, ["grow", "slice"], "SharedArrayBuffer.prototype");
patch(WebAssembly.Memory.prototype, ["grow"], "WebAssembly.Memory.prototype");
if (typeof TextEncoder === "function") patch(TextEncoder.prototype, ["encode"], "TextEncoder.prototype");
patch(Buffer, ["alloc", "allocUnsafe", "allocUnsafeSlow", "from", "concat", "copyBytesFrom"], "Buffer", (name, args) => name === "from" && isAnyArrayBuffer(args[0]));

function wrapConstructor(holder, name, label, viewable = false) {
  const Orig = holder[name];
  if (typeof Orig !== "function") return;
  probed.add(`new ${label}`).add(label);
  const proxy = new Proxy(Orig, {
    construct(target, args, newTarget) {
      record(`new ${label}`, 1, viewable && isAnyArrayBuffer(args[0]));
      return Reflect.construct(target, args, newTarget === proxy ? target : newTarget);
    },
    apply(target, thisArg, args) {
      record(label);
      return Reflect.apply(target, thisArg, args);
    },
  });
  holder[name] = proxy;
}
for (const name of ["ArrayBuffer", "SharedArrayBuffer", "Array", ...TYPED]) {
  const Orig = globalThis[name];
  if (typeof Orig !== "function") continue;
  if (name === "Array" || TYPED.includes(name)) patch(Orig, ["from", "of"], name);
  wrapConstructor(globalThis, name, name, TYPED.includes(name));
}
wrapConstructor(WebAssembly, "Memory", "WebAssembly.Memory");

// ------------------------------------------------------------------ functions and Node.js modules

if (typeof globalThis.structuredClone === "function") patch(globalThis, ["structuredClone"], () => "structuredClone");
patch(fs, ["readFileSync"], "fs");
patch(zlib, Object.keys(zlib).filter((k) => /Sync$/.test(k)), "zlib");
patch(crypto, ["randomBytes", "pbkdf2Sync", "scryptSync", "hkdfSync", "publicEncrypt", "privateDecrypt", "privateEncrypt", "publicDecrypt"], "crypto");
patch(Object.getPrototypeOf(crypto.createHash("sha256")), ["digest"], "Hash.prototype");
patch(Object.getPrototypeOf(crypto.createHmac("sha256", "k")), ["digest"], "Hmac.prototype");
// Cipheriv and Decipheriv have prototypes of their own that hold the same functions as Cipher's
// and Decipher's: one kind for both.
const key = Buffer.alloc(16);
const cipherProtos = new Set([crypto.Cipher?.prototype, Object.getPrototypeOf(crypto.createCipheriv("aes-128-cbc", key, key))]);
const decipherProtos = new Set([crypto.Decipher?.prototype, Object.getPrototypeOf(crypto.createDecipheriv("aes-128-cbc", key, key))]);
for (const proto of cipherProtos) if (proto) patch(proto, ["update", "final"], "Cipher.prototype");
for (const proto of decipherProtos) if (proto) patch(proto, ["update", "final"], "Decipher.prototype");
patch(Object.getPrototypeOf(crypto.createSign("sha256")), ["sign"], "Sign.prototype");
patch(require("node:buffer"), ["transcode"], "buffer");
patch(require("node:v8"), ["serialize"], "v8");
patch(require("node:child_process"), ["execSync", "execFileSync"], "child_process");
// ES modules that import a built-in module by name see the patched functions too.
nodeModule.syncBuiltinESMExports();

const writeFileSync = fs.writeFileSync; // the original, captured before any patching of fs could matter
process.on("exit", () => {
  busy = true;
  const lines = [...[...probed].map((k) => `#probed\t${k}`), ...hits];
  if (OUT) writeFileSync(OUT, lines.join("\n") + "\n");
});
