// Resolution by what runs (issue 7, point 2): a call is traced when at run time it reaches the
// built-in. Ambient declarations of a global name (`declare const Buffer: {...}` in a module,
// `declare var`, `declare global`) do not shadow it; casts (`as any`, `as unknown as X`, `<any>`)
// do not hide it; a namespace import of a Node module is that module, whatever it is cast to. A real
// local binding (a const, a parameter, a class) shadows, cast or not. Each program prints the same
// with and without the plugin.
import { expect } from "chai";
import * as path from "node:path";
import { compile, run, runNdjson } from "./harness.mjs";

/** `line:col` (1-based) of the `nth` occurrence of `needle` in `src`. */
function where(src, needle, nth = 1) {
  let at = -1;
  for (let i = 0; i < nth; i++) {
    at = src.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`no ${needle} in source`);
  }
  const before = src.slice(0, at).split("\n");
  return `${before.length}:${before[before.length - 1].length + 1}`;
}

// With @types/node: module-local ambient declarations, casts, globalThis, a Node module namespace.
const NODE = `import * as fs from "node:fs";
import * as nodePath from "node:path";
import { Buffer as NodeBuffer } from "node:buffer";
declare const Buffer: { alloc(n: number): Uint8Array };
declare var SharedArrayBuffer: { new (n: number): { byteLength: number } };
const out: unknown[] = [];
out.push(Buffer.alloc(4).length);
out.push(new SharedArrayBuffer(12).byteLength);
out.push((Uint8Array as any).from([1, 2, 3]).length);
out.push((<any>Float64Array).of(1, 2).length);
out.push(new (<any>ArrayBuffer)(10).byteLength);
out.push((Int32Array as unknown as { of(...a: number[]): Int32Array }).of(7).length);
out.push(globalThis.Uint16Array.from([1, 2]).length);
out.push((globalThis as any).Buffer.alloc(9).length);
const data = nodePath.join(__dirname, "data.bin");
fs.writeFileSync(data, "0123456789");
out.push((fs as any).readFileSync(data).length);
out.push((fs as any).readFileSync(data, "utf8"));
out.push(NodeBuffer.alloc(2).length, (NodeBuffer as any).allocUnsafe(3).length);

// Real local bindings shadow the global, with or without a cast: none of these is traced.
function shadowed(): string {
  const Buffer = { alloc: (n: number) => ({ n }) };
  class Uint8Array {
    constructor(public n: number) {}
    static from(a: number[]) { return new Uint8Array(a.length); }
  }
  const viaParam = (Float32Array: new (n: number) => { n: number }) => new Float32Array(6).n;
  function anyParam(Int8Array: any) { return new Int8Array(2).length + (Int8Array as any).of(1).length; }
  return [
    Buffer.alloc(1).n,
    (Buffer as any).alloc(2).n,
    new Uint8Array(3).n,
    (Uint8Array as any).from([1, 2, 3, 4]).n,
    viaParam(class { constructor(public n: number) {} }),
    anyParam(Array),
  ].join(" ");
}
out.push(shadowed());
console.log(out.join(" "));
`;

// A platform-neutral library: no @types/node, its own ambient declarations of the globals it uses,
// through \`declare global\` in a module and \`declare var\` in a script.
const NEUTRAL = {
  "src/env.ts": `export {};
declare global {
  const Buffer: { alloc(n: number): Uint8Array; concat(list: Uint8Array[]): Uint8Array };
}
`,
  "src/globals.ts": `declare var console: { log(...a: unknown[]): void };
declare var structuredClone: <T>(value: T) => T;
declare var TextEncoder: new () => { encode(s: string): Uint8Array };
`,
  "src/main.ts": `const a = Buffer.alloc(5);
const b = Buffer.concat([a, a]);
const c = structuredClone(new ArrayBuffer(6));
const d = new TextEncoder().encode("abc");
const e = structuredClone({ plain: true }); // an object: its size is not known, not recorded
console.log(a.length, b.length, c.byteLength, d.length, e.plain);
export {};
`,
};

// Allocations only: deallocs (garbage collection) and header records are not what is tested here.
const allocs = (events) => events.filter((e) => e.event === "alloc");
const ev = (e) => `${e.event} ${e.kind} ${e.size}/${e.align} ${e.file}:${e.line}:${e.col}`;

describe("resolution by what runs (casts, ambient declarations, local bindings)", function () {
  this.timeout(120_000);

  describe("with @types/node", () => {
    let traced, plainOut, src;
    before(() => {
      src = NODE;
      traced = compile({ files: { "src/main.ts": NODE } });
      const plain = compile({ files: { "src/main.ts": NODE } }, { plugin: false });
      expect(traced.diagnostics).to.deep.equal([]);
      expect(plain.diagnostics).to.deep.equal([]);
      plainOut = run(path.join(plain.outDir, "src/main.js"));
      expect(plainOut.status, plainOut.stderr).to.equal(0);
      expect(plainOut.stdout).to.equal("4 12 3 2 10 1 2 9 10 0123456789 2 3 1 2 3 4 6 3\n");
    });

    it("prints the same as the plain build, tracing off and on", () => {
      for (const mode of ["", "summary", "log"]) {
        const r = run(path.join(traced.outDir, "src/main.js"), { env: { TRACED_ALLOC: mode } });
        expect(r.stdout, mode).to.equal(plainOut.stdout);
        expect(r.status).to.equal(0);
      }
    });

    it("ambient declarations and casts reach the global: traced with the right kind and position; local bindings are not", () => {
      const r = runNdjson(path.join(traced.outDir, "src/main.js"));
      expect(r.stdout).to.equal(plainOut.stdout);
      const at = (needle, nth) => `src/main.ts:${where(src, needle, nth)}`;
      expect(allocs(r.events).map(ev)).to.deep.equal([
        `alloc Buffer.alloc 4/1 ${at("alloc(4)")}`, // declare const Buffer: {...} (module-local, ambient)
        `alloc new SharedArrayBuffer 12/1 ${at("new SharedArrayBuffer(12)")}`, // declare var
        `alloc Uint8Array.from 3/1 ${at("from([1, 2, 3])")}`, // as any
        `alloc Float64Array.of 16/8 ${at("of(1, 2)")}`, // <any>
        `alloc new ArrayBuffer 10/1 ${at("new (<any>ArrayBuffer)")}`, // new (<any>X)
        `alloc Int32Array.of 4/4 ${at("of(7)")}`, // as unknown as X
        `alloc Uint16Array.from 4/2 ${at("from([1, 2])")}`, // globalThis.X
        `alloc Buffer.alloc 9/1 ${at("alloc(9)")}`, // (globalThis as any).Buffer
        `alloc fs.readFileSync 10/1 ${at("readFileSync(data)")}`, // (fs as any): a Buffer
        // (fs as any).readFileSync(data, "utf8") returns a string: not recorded
        `alloc Buffer.alloc 2/1 ${at("alloc(2)")}`, // import { Buffer } from "node:buffer": the global
        `alloc Buffer.allocUnsafe 3/1 ${at("allocUnsafe(3)")}`, // and cast
        // shadowed(): nothing
      ]);
    });

    it("the shadowed calls are emitted as written", () => {
      const js = traced.files["src/main.js"];
      const body = js.slice(js.indexOf("function shadowed("), js.indexOf("out.push(shadowed())"));
      expect(body).to.not.match(/__ta|__traced_allocator/);
    });
  });

  describe("a platform-neutral project (no @types/node): declare global, declare var in a script", () => {
    const compilerOptions = { types: [], lib: ["ES2024"] };
    let traced, plainOut;
    before(() => {
      traced = compile({ files: NEUTRAL, compilerOptions });
      const plain = compile({ files: NEUTRAL, compilerOptions }, { plugin: false });
      expect(traced.diagnostics).to.deep.equal([]);
      expect(plain.diagnostics).to.deep.equal([]);
      plainOut = run(path.join(plain.outDir, "src/main.js"));
      expect(plainOut.stdout).to.equal("5 10 6 3 true\n");
    });

    it("prints the same; every global reached is traced at its place", () => {
      const off = run(path.join(traced.outDir, "src/main.js"));
      expect(off.stdout).to.equal(plainOut.stdout);
      const r = runNdjson(path.join(traced.outDir, "src/main.js"));
      expect(r.stdout).to.equal(plainOut.stdout);
      const src = NEUTRAL["src/main.ts"];
      const at = (needle) => `src/main.ts:${where(src, needle)}`;
      expect(allocs(r.events).map(ev)).to.deep.equal([
        `alloc Buffer.alloc 5/1 ${at("alloc(5)")}`,
        `alloc Buffer.concat 10/1 ${at("concat(")}`,
        `alloc new ArrayBuffer 6/1 ${at("new ArrayBuffer(6)")}`,
        `alloc structuredClone 6/1 ${at("structuredClone(new")}`,
        // `new TextEncoder().encode()` through the library's own type: the receiver is made by `new`
        // of the global (only ambient declarations of it), so the method is the built-in's.
        `alloc TextEncoder.prototype.encode 3/1 ${at("encode(")}`,
      ]);
    });
  });
});
