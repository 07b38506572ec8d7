// ArrayBuffer.prototype.transfer / transferToFixedLength (issue 2, "where the running Node has
// them"): the rewrite is there whatever the Node; the runtime moves the allocation to the new
// buffer (same id, the old buffer counts as freed). Node 20 lacks transfer, so the runtime half is
// exercised with a receiver that has it.
import { expect } from "chai";
import * as path from "node:path";
import { compile, run, runNdjson } from "./harness.mjs";

const SRC = `
const rab = new ArrayBuffer(8, { maxByteLength: 64 });
type Transferable = ArrayBuffer & { transfer(n?: number): ArrayBuffer; transferToFixedLength(n?: number): ArrayBuffer };
let moved: ArrayBuffer | string;
try {
  moved = (rab as Transferable).transfer(32);
} catch (e) {
  moved = (e as Error).constructor.name + ": " + (e as Error).message;
}
const fixed = typeof (rab as Transferable).transferToFixedLength === "function" ? (rab as Transferable).transferToFixedLength() : "none";
console.log(typeof moved === "string" ? moved : moved.byteLength, typeof fixed === "string" ? fixed : fixed.byteLength);
export {};
`;

const FAKE = `
import { realloc, site, Rule } from "traced-allocator/runtime";
import { Allocator, Layout } from "traced-allocator/runtime";
// A buffer-like receiver whose transfer() returns a new ArrayBuffer, as Node 21+ does.
const old = { byteLength: 8, transfer(n: number) { this.byteLength = 0; return Reflect.construct(ArrayBuffer, [n]) as ArrayBuffer; } };
Allocator.alloc(old, new Layout(8, 1), "new ArrayBuffer");
const s = site("src/main.ts", 9, 5, "ArrayBuffer.prototype.transfer", Rule.Bytes);
const next = realloc(s, old, "transfer", 24) as ArrayBuffer;
Allocator.dealloc(next);
console.log(next.byteLength, old.byteLength);
`;

describe("realloc by transfer", function () {
  this.timeout(60_000);

  it("transfer() and transferToFixedLength() are rewritten, and behave as without the plugin", () => {
    const traced = compile({ files: { "src/main.ts": SRC }, compilerOptions: { lib: ["ES2024", "ESNext"] } });
    const plain = compile({ files: { "src/main.ts": SRC }, compilerOptions: { lib: ["ES2024", "ESNext"] } }, { plugin: false });
    expect(traced.files["src/main.js"]).to.match(/\.realloc\(__ta_s_\d+, _\w+, "transfer", _\w+\)/).and.include('"transferToFixedLength", void 0');
    const a = run(path.join(plain.outDir, "src/main.js"));
    const b = runNdjson(path.join(traced.outDir, "src/main.js"));
    const off = run(path.join(traced.outDir, "src/main.js"));
    for (const r of [b, off]) {
      expect(r.stdout).to.equal(a.stdout);
      expect(r.status).to.equal(a.status);
    }
    if (typeof ArrayBuffer.prototype.transfer === "function") {
      expect(b.events.map((e) => `${e.event} ${e.kind} ${e.size}->${e.newSize ?? ""}`)).to.deep.equal([
        "alloc new ArrayBuffer 8->",
        "realloc ArrayBuffer.prototype.transfer 8->32",
      ]);
    } else {
      expect(a.stdout).to.match(/^TypeError: .*transfer is not a function/);
    }
  });

  it("the runtime moves the allocation to the returned buffer: same id, no dealloc for the old one", () => {
    const { outDir } = compile({ files: { "src/main.ts": FAKE } });
    const r = runNdjson(path.join(outDir, "src/main.js"), { nodeArgs: ["--expose-gc"] });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout.trim()).to.equal("24 0");
    expect(r.events.map((e) => [e.event, e.size, e.newSize, e.id, e.line])).to.deep.equal([
      ["alloc", 8, undefined, 1, 6],
      ["realloc", 8, 24, 1, 9],
      ["dealloc", 24, undefined, 1, 9],
    ]);
  });
});
