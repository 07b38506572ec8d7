// Code that runs elsewhere (issue 7, point 1): a function's source text from a traced build,
// evaluated on its own — a Worker from `fn.toString()` with `eval: true`, `new Function`, indirect
// `eval` — names no module-level `__ta_*` binding. Without the runtime in that realm it runs exactly
// as untraced code (never a ReferenceError); where the realm has loaded `traced-allocator/runtime`,
// its events come through the global hook `__traced_allocator` with the original file:line:col.
// Also a module cycle that calls in before the callee's site table ran.
import { expect } from "chai";
import * as path from "node:path";
import { compile, run, runNdjson } from "./harness.mjs";

/** 1-based line and column of the `nth` occurrence of `needle` in `src`. */
function where(src, needle, nth = 1) {
  let at = -1;
  for (let i = 0; i < nth; i++) {
    at = src.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`no ${needle} in source`);
  }
  const before = src.slice(0, at).split("\n");
  return `${before.length}:${before[before.length - 1].length + 1}`;
}
const pos = (e) => `${e.file}:${e.line}:${e.col}`;

// `work` allocates, and calls a @track_caller helper defined inside it. The main thread calls it
// too (n = 9), so its events can be told from the worker's (n = 4).
const WORKER = `import { Worker } from "node:worker_threads";
export function work(n: number): string {
  /** @track_caller */
  function helper(k: number): Uint8Array {
    return new Uint8Array(k);
  }
  const a = helper(n);
  const b = Buffer.alloc(n + 1);
  const c = Array.from({ length: n }, (_, i) => i * n);
  return [a.length, b.length, c.join(",")].join(" ");
}
// "rt": the worker loads the runtime first; "junk": it defines the hook's name as a number.
const mode = process.argv[2] ?? "";
const pre = mode === "rt" ? 'require("traced-allocator/runtime");' : mode === "junk" ? "globalThis.__traced_allocator = 42;" : "";
const text = pre + 'const { parentPort } = require("node:worker_threads"); parentPort.postMessage((' + work.toString() + ')(4));';
const w = new Worker(text, { eval: true });
w.on("message", (m) => console.log("worker:", m));
w.on("error", (e) => {
  console.log("worker error:", String(e));
  process.exitCode = 1;
});
w.on("exit", () => console.log("main:", work(9)));
`;

// new Function and indirect eval in the main thread, where the runtime is loaded.
const EVAL = `/** @track_caller */
function outer(n: number): Float64Array {
  return new Float64Array(n);
}
export function make(n: number): string {
  /** @track_caller */
  const inner = (k: number) => new Int16Array(k);
  const a = new Float64Array(n);
  const b = inner(n + 1);
  const c = Array.from({ length: n + 2 });
  return [a.length, b.length, c.length].join(" ");
}
const viaFunction = new Function("return " + make.toString())() as typeof make;
const viaEval = (0, eval)("(" + make.toString() + ")") as typeof make;
console.log(make(1), viaFunction(3), viaEval(5), outer(7).length);
let thrown = "";
try {
  // The text of a function that calls a module-level helper: a ReferenceError for \`outer\`, as in plain code.
  (0, eval)("(" + (() => outer(2)).toString() + ")")();
} catch (e) {
  thrown = (e as Error).constructor.name + ": " + (e as Error).message;
}
console.log(thrown);
`;

describe("code that runs elsewhere (function text evaluated on its own)", function () {
  this.timeout(120_000);

  describe("a Worker from fn.toString() with eval: true", () => {
    let traced, plain, plainOut;
    const file = (c) => path.join(c.outDir, "src/main.js");
    before(() => {
      traced = compile({ files: { "src/main.ts": WORKER } });
      plain = compile({ files: { "src/main.ts": WORKER } }, { plugin: false });
      expect(traced.diagnostics).to.deep.equal([]);
      plainOut = run(file(plain));
      expect(plainOut.status, plainOut.stderr).to.equal(0);
      expect(plainOut.stdout).to.equal("worker: 4 5 0,4,8,12\nmain: 9 10 0,9,18,27,36,45,54,63,72\n");
    });

    it("the traced text names no module-level binding without a typeof guard", () => {
      const text = traced.files["src/main.js"];
      const body = text.slice(text.indexOf("function work("), text.indexOf("const mode"));
      // every __ta_* name in the function's text is guarded (typeof) or is a temp/parameter of its own
      for (const m of body.matchAll(/\b(__ta_(?:s_)?\d+)\b/g)) {
        expect(body).to.include(`typeof ${m[1]} === "object"`);
      }
      expect(body).to.include('typeof __traced_allocator === "object"');
    });

    for (const mode of ["", "summary", "log"]) {
      it(`TRACED_ALLOC=${mode || "(unset)"}: the worker's output equals the plain build's, no ReferenceError`, () => {
        const r = run(file(traced), { env: { TRACED_ALLOC: mode } });
        expect(r.stdout).to.equal(plainOut.stdout);
        expect(r.status, r.stderr).to.equal(0);
        expect(r.stderr).to.not.include("ReferenceError");
        if (mode === "log") {
          // only the main thread's work(9) is traced: the worker never loaded the runtime
          const lines = r.stderr.split("\n").filter((l) => /^alloc /.test(l));
          expect(lines).to.deep.equal([
            `alloc Layout { size: 9, align: 1 } at src/main.ts:${where(WORKER, "helper(n)")}`,
            `alloc Layout { size: 10, align: 1 } at src/main.ts:${where(WORKER, "alloc(n + 1)")}`,
            `alloc Layout { size: 72, align: 8 } at src/main.ts:${where(WORKER, "from({ length")}`,
          ]);
        }
      });
    }

    it("a realm where __traced_allocator is something else (not an object): untraced, same output", () => {
      const a = run(file(plain), { args: ["junk"] });
      const b = runNdjson(file(traced), { args: ["junk"] });
      expect(b.stdout).to.equal(a.stdout).and.equal(plainOut.stdout);
      expect(b.status, b.stderr).to.equal(0);
      expect(b.events.filter((e) => e.event === "alloc" && [4, 5, 32].includes(e.size))).to.deep.equal([]);
      expect(b.events.filter((e) => e.event === "alloc" && [9, 10, 72].includes(e.size))).to.have.length(3);
    });

    it("a worker that loads traced-allocator/runtime first: its events are in the trace, at the original file:line:col", () => {
      const a = run(file(plain), { args: ["rt"] });
      expect(a.stdout).to.equal(plainOut.stdout);
      const r = runNdjson(file(traced), { args: ["rt"] });
      expect(r.stdout).to.equal(plainOut.stdout);
      expect(r.status, r.stderr).to.equal(0);
      const shape = (e) => `${e.event} ${e.kind} ${e.size}/${e.align} ${pos(e)}${e.estimated ? " ~" : ""}`;
      const allocs = r.events.filter((e) => e.event === "alloc");
      const worker = allocs.filter((e) => e.size === 4 || e.size === 5 || e.size === 32);
      const main = allocs.filter((e) => e.size === 9 || e.size === 10 || e.size === 72);
      expect(worker.map(shape)).to.deep.equal([
        // the marked helper inside the text reports its caller's line, passed through the hook
        `alloc new Uint8Array 4/1 src/main.ts:${where(WORKER, "helper(n)")}`,
        `alloc Buffer.alloc 5/1 src/main.ts:${where(WORKER, "alloc(n + 1)")}`,
        `alloc Array.from 32/8 src/main.ts:${where(WORKER, "from({ length")} ~`,
      ]);
      expect(main.map(shape)).to.deep.equal([
        `alloc new Uint8Array 9/1 src/main.ts:${where(WORKER, "helper(n)")}`,
        `alloc Buffer.alloc 10/1 src/main.ts:${where(WORKER, "alloc(n + 1)")}`,
        `alloc Array.from 72/8 src/main.ts:${where(WORKER, "from({ length")} ~`,
      ]);
      // the worker's ids are its own (another thread)
      const ids = new Set(main.map((e) => e.id));
      for (const e of worker) expect(ids.has(e.id)).to.equal(false);
    });
  });

  describe("new Function and indirect eval in the main thread (the runtime is loaded there)", () => {
    let traced, plainOut;
    before(() => {
      traced = compile({ files: { "src/main.ts": EVAL } });
      const plain = compile({ files: { "src/main.ts": EVAL } }, { plugin: false });
      expect(traced.diagnostics).to.deep.equal([]);
      plainOut = run(path.join(plain.outDir, "src/main.js"));
      expect(plainOut.stdout).to.equal("1 2 3 3 4 5 5 6 7 7\nReferenceError: outer is not defined\n");
    });

    it("same output in every mode", () => {
      for (const mode of ["", "summary", "log"]) {
        const r = run(path.join(traced.outDir, "src/main.js"), { env: { TRACED_ALLOC: mode } });
        expect(r.stdout, mode).to.equal(plainOut.stdout);
        expect(r.status).to.equal(0);
      }
    });

    it("the evaluated copies are traced at the original places, marked helpers included", () => {
      const r = runNdjson(path.join(traced.outDir, "src/main.js"));
      expect(r.stdout).to.equal(plainOut.stdout);
      const got = r.events.filter((e) => e.event === "alloc").map((e) => `${e.kind} ${e.size} ${pos(e)}`);
      const a = `src/main.ts:${where(EVAL, "new Float64Array(n);\n  const")}`;
      const b = `src/main.ts:${where(EVAL, "inner(n + 1)")}`;
      const c = `src/main.ts:${where(EVAL, "from({ length")}`;
      const call = (n) => [`new Float64Array ${8 * n} ${a}`, `new Int16Array ${2 * (n + 1)} ${b}`, `Array.from ${8 * (n + 2)} ${c}`];
      expect(got).to.deep.equal([
        ...call(1), // make(1): the module's own sites
        ...call(3), // new Function: through __traced_allocator.intern, same places
        ...call(5), // indirect eval
        `new Float64Array 56 src/main.ts:${where(EVAL, "outer(7)")}`,
      ]);
    });
  });

  describe("a module cycle that calls a function before its site table ran", () => {
    // main imports a; a imports b; b imports a back and calls a.make() at its top level, before
    // a's body (and its site table) ran. ESM: the table is a `var` in a's body.
    const files = (ext) => ({
      "src/main.ts": `import { late } from "./a${ext}";\nconsole.log(late);\n`,
      "src/a.ts": [
        `import { early } from "./b${ext}";`,
        "/** @track_caller */",
        "function helper(n: number) {",
        "  return new ArrayBuffer(n);",
        "}",
        "export function make(n: number): number {",
        "  const u = new Uint16Array(n);",
        "  return u.length + helper(n).byteLength;",
        "}",
        "export const late = early + make(5);",
        "",
      ].join("\n"),
      "src/b.ts": `import { make } from "./a${ext}";\nexport const early = make(3);\n`,
    });
    for (const [name, opts] of [
      ["ESM", { ext: ".js", compilerOptions: { module: "nodenext", moduleResolution: "nodenext" }, packageJson: { type: "module" } }],
      ["CommonJS", { ext: "", compilerOptions: {} }],
    ]) {
      it(`${name}: the early call's events have their real location, not <unknown>`, () => {
        const project = { files: files(opts.ext), compilerOptions: opts.compilerOptions, packageJson: opts.packageJson };
        const traced = compile(project);
        const plain = compile(project, { plugin: false });
        expect(traced.diagnostics).to.deep.equal([]);
        const p = run(path.join(plain.outDir, "src/main.js"));
        expect(p.stdout).to.equal("16\n");
        const r = runNdjson(path.join(traced.outDir, "src/main.js"));
        expect(r.stdout).to.equal(p.stdout);
        expect(r.status, r.stderr).to.equal(0);
        const a = project.files["src/a.ts"];
        const got = r.events.filter((e) => e.event === "alloc").map((e) => `${e.kind} ${e.size} ${pos(e)}`);
        expect(got).to.deep.equal([
          `new Uint16Array 6 src/a.ts:${where(a, "new Uint16Array")}`,
          `new ArrayBuffer 3 src/a.ts:${where(a, "helper(n).")}`,
          `new Uint16Array 10 src/a.ts:${where(a, "new Uint16Array")}`,
          `new ArrayBuffer 5 src/a.ts:${where(a, "helper(n).")}`,
        ]);
        expect(r.text).to.not.include("<unknown>");
      });
    }
  });
});
