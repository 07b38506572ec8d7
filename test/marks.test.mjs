// `@track_caller` on properties (issue 7, point 4): a mark on a property signature (type literal,
// interface) or a property declaration (class field) whose type or value is a function. Calls pass
// their location; the implementing arrow or function expression — an object literal's property typed
// by the marked signature, a class field, a field implementing a marked interface property — takes it.
// Run without source maps: a stack fallback would name the emitted .js, so exact `src/main.ts`
// positions show that the location was passed.
import { expect } from "chai";
import * as path from "node:path";
import { compile, run, runNdjson } from "./harness.mjs";

const SRC = `import { Location } from "traced-allocator/runtime";
const seen = (label: string, where: Location) => console.error(JSON.stringify({ label, where: String(where) }));
type Fn = (n: number) => Uint16Array;
type Utils = {
  /** @track_caller */
  allocate: (n: number) => Uint8Array;
  /** @track_caller */
  viaAlias: Fn;
};
interface Alloc {
  /** @track_caller */
  make: (n: number) => Float32Array;
  /** @track_caller */
  maybe?: (n: number) => Int8Array;
}
const utils: Utils = {
  allocate: (n) => {
    seen("utils.allocate", Location.caller());
    return new Uint8Array(n);
  },
  viaAlias: (n) => new Uint16Array(n),
};
const impl: Alloc = {
  make: function (n) {
    seen("impl.make", Location.caller());
    return new Float32Array(n);
  },
  maybe: (n) => new Int8Array(n),
};
class Pool {
  /** @track_caller */
  get = (n: number): ArrayBuffer => {
    seen("Pool.get", Location.caller());
    return new ArrayBuffer(n);
  };
  /** @track_caller */
  static make = (n: number) => new Int32Array(n);
}
class Impl implements Alloc {
  make = (n: number) => new Float32Array(n);
}
const out: number[] = [];
out.push(utils.allocate(1).length);
out.push(utils.viaAlias(2).length);
out.push(impl.make(3).length, impl.maybe?.(4).length ?? 0);
const pool = new Pool();
out.push(pool.get(5).byteLength, Pool.make(6).length);
const asIface: Alloc = new Impl();
out.push(new Impl().make(7).length, asIface.make(8).length);
console.log(out.join(" "));
`;

/** `src/main.ts:line:col` of the `nth` occurrence of `needle`. */
function at(needle, nth = 1) {
  let i = -1;
  for (let k = 0; k < nth; k++) {
    i = SRC.indexOf(needle, i + 1);
    if (i < 0) throw new Error(`no ${needle}`);
  }
  const before = SRC.slice(0, i).split("\n");
  return `src/main.ts:${before.length}:${before[before.length - 1].length + 1}`;
}

describe("@track_caller on properties (type literals, interfaces, classes)", function () {
  this.timeout(60_000);
  let traced, plainOut;
  before(() => {
    traced = compile({ files: { "src/main.ts": SRC } });
    const plain = compile({ files: { "src/main.ts": SRC } }, { plugin: false });
    expect(traced.diagnostics).to.deep.equal([]);
    plainOut = run(path.join(plain.outDir, "src/main.js"));
    expect(plainOut.status, plainOut.stderr).to.equal(0);
    expect(plainOut.stdout).to.equal("1 2 3 4 5 6 7 8\n");
  });

  it("prints the same as the plain build", () => {
    for (const mode of ["", "summary"]) {
      expect(run(path.join(traced.outDir, "src/main.js"), { env: { TRACED_ALLOC: mode } }).stdout).to.equal(plainOut.stdout);
    }
  });

  it("every allocation inside a marked property's function reports the caller's call, not the .js or its own line", () => {
    const r = runNdjson(path.join(traced.outDir, "src/main.js"));
    expect(r.status, r.stderr).to.equal(0);
    const got = r.events.filter((e) => e.event === "alloc").map((e) => `${e.kind} ${e.size} ${e.file}:${e.line}:${e.col}`);
    expect(got).to.deep.equal([
      `new Uint8Array 1 ${at("allocate(1)")}`, // type literal, arrow in an object literal typed by it
      `new Uint16Array 4 ${at("viaAlias(2)")}`, // type literal, property typed by an alias of a function type
      `new Float32Array 12 ${at("make(3)")}`, // interface, function expression in an object literal
      `new Int8Array 4 ${at("maybe?.(4)")}`, // optional property, optional call
      `new ArrayBuffer 5 ${at("get(5)")}`, // class field holding an arrow
      `new Int32Array 24 ${at("make(6)")}`, // static class field
      `new Float32Array 28 ${at("make(7)")}`, // unmarked field implementing the interface's marked property
      `new Float32Array 32 ${at("make(8)")}`, // the same, called through the interface
    ]);
  });

  it("Location.caller() in them is the call, also with tracing off", () => {
    for (const mode of ["", "summary"]) {
      const r = run(path.join(traced.outDir, "src/main.js"), { env: { TRACED_ALLOC: mode } });
      const seen = r.stderr
        .split("\n")
        .filter((l) => l.startsWith('{"label"'))
        .map((l) => JSON.parse(l));
      expect(seen, mode).to.deep.equal([
        { label: "utils.allocate", where: at("allocate(1)") },
        { label: "impl.make", where: at("make(3)") },
        { label: "Pool.get", where: at("get(5)") },
      ]);
    }
  });

  it("calls pass the location and the implementations take it (no stack capture)", () => {
    const js = traced.files["src/main.js"];
    // eight marked calls, each with a passed site; seven implementations (Impl.make twice), each taking it
    expect(js.match(/\.at\(__ta_s_\d+, _\w+\)/g)).to.have.length(8);
    expect(js.match(/__ta_\d+\.take\(\)/g)).to.have.length(7);
  });
});
