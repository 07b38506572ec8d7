// Preloaded (node --require) into the PLAIN build of fixtures/positions: every built-in the
// transformer rewrites is replaced by a wrapper that records the position V8 reports for its
// caller's frame (source-mapped by --enable-source-maps), then does the real thing.
// At exit the positions are written, one per line, to the file named by V8_PROBE_OUT.
const fs = require("node:fs");
const hits = [];
function callerFrame(depth) {
  // [Error, at callerFrame, at record, at <wrapper or trap>, at <user frame>]
  const line = new Error().stack.split("\n")[depth];
  const m = /\(?([^()\s]+):(\d+):(\d+)\)?$/.exec(line);
  return m ? `${m[1]}:${m[2]}:${m[3]}` : `?${line}`;
}
const record = (depth) => hits.push(callerFrame(depth));
/** Replaces each named function of `target` (statics or prototype methods) by a recording wrapper. */
function patch(target, names) {
  for (const name of names) {
    const orig = target[name];
    if (typeof orig !== "function") continue;
    target[name] = function (...args) {
      record(4);
      return orig.apply(this, args);
    };
  }
}
const typed = ["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array",
  "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array"];
for (const name of ["ArrayBuffer", "SharedArrayBuffer", "Array", ...typed]) {
  const Orig = globalThis[name];
  if (typed.includes(name) || name === "Array") patch(Orig, ["from", "of"]);
  globalThis[name] = new Proxy(Orig, {
    construct(target, args, newTarget) {
      record(4);
      return Reflect.construct(target, args, newTarget === globalThis[name] ? target : newTarget);
    },
    apply(target, thisArg, args) {
      record(4);
      return Reflect.apply(target, thisArg, args);
    },
  });
}
patch(Buffer, ["alloc", "allocUnsafe", "allocUnsafeSlow", "from", "concat"]);
patch(ArrayBuffer.prototype, ["resize", "transfer", "transferToFixedLength"]);
patch(SharedArrayBuffer.prototype, ["grow"]);
patch(WebAssembly.Memory.prototype, ["grow"]);
process.on("exit", () => fs.writeFileSync(process.env.V8_PROBE_OUT, hits.join("\n") + "\n"));
