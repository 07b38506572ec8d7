// Allocation assertions in tests: traced-allocator/test (measure, count), /chai, /expect, on the
// fixture fixtures/assertions compiled with the plugin and loaded in this process (and once
// without the plugin: nothing traced). Expected sites are found in the fixture's source by their
// text, so the figures are what the source says, not what a run printed. Determinism across
// TRACED_ALLOC settings and the absence of output are checked in child processes.
import * as chai from "chai";
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { createRequire } from "node:module";
import { cleanup, compile, run, fixturesDir, repoRoot } from "./harness.mjs";

const require = createRequire(import.meta.url);
const { measure, count } = require(path.join(repoRoot, "dist/integrations/test.js"));
const chaiPlugin = require(path.join(repoRoot, "dist/integrations/chai.js"));
const { allocationMatchers } = require(path.join(repoRoot, "dist/integrations/expect.js"));
const runtime = require(path.join(repoRoot, "dist/runtime/index.js"));

const FIXTURE = path.join(fixturesDir, "assertions");
const SOURCE = fs.readFileSync(path.join(FIXTURE, "src/codec.ts"), "utf8");

/** `src/codec.ts:line:col` of the first occurrence of `needle` in the fixture's source (it must be unique). */
function at(needle) {
  const i = SOURCE.indexOf(needle);
  if (i < 0 || SOURCE.indexOf(needle, i + 1) >= 0) throw new Error(`'${needle}' is not once in codec.ts`);
  const before = SOURCE.slice(0, i).split("\n");
  return `src/codec.ts:${before.length}:${before[before.length - 1].length + 1}`;
}
const place = (s) => `${s.file}:${s.line}:${s.col}`;
const brief = (m) => m.sites.map((s) => ({ at: place(s), kind: s.kind, allocs: s.allocs, bytes: s.bytes, reallocs: s.reallocs, ...("live" in s ? { live: s.live } : {}) }));

chai.use(chaiPlugin);

// Root level: runs once, after every file's tests (the harness's scratch folder is shared).
after(cleanup);

describe("allocation assertions (traced-allocator/test, /chai, /expect)", function () {
  this.timeout(60_000);
  let codec, plain;

  before(() => {
    const traced = compile(FIXTURE);
    expect(traced.diagnostics).to.deep.equal([]);
    codec = require(path.join(traced.outDir, "src/codec.js"));
    const untraced = compile(FIXTURE, { plugin: false });
    plain = require(path.join(untraced.outDir, "src/codec.js"));
  });

  describe("measure(fn)", () => {
    it("counts a synchronous function's allocations and bytes by site, largest first, with their stable keys", async () => {
      const m = await measure(() => codec.encode(16));
      expect({ allocs: m.allocs, bytes: m.bytes, reallocs: m.reallocs, live: m.live }).to.deep.equal({ allocs: 3, bytes: 4 + 16 + 20, reallocs: 0, live: 0 });
      expect(brief(m)).to.deep.equal([
        { at: at("concat([header, body])"), kind: "Buffer.concat", allocs: 1, bytes: 20, reallocs: 0, live: 0 },
        { at: at("alloc(n)"), kind: "Buffer.alloc", allocs: 1, bytes: 16, reallocs: 0, live: 0 },
        { at: at("new Uint8Array(4)"), kind: "new Uint8Array", allocs: 1, bytes: 4, reallocs: 0, live: 0 },
      ]);
      expect(m.sites.map((s) => s.key)).to.deep.equal([
        "src/codec.ts#encode/Buffer.concat#1",
        "src/codec.ts#encode/Buffer.alloc#1",
        "src/codec.ts#encode/new Uint8Array#1",
      ]);
    });

    it("gives the same figures for the same work, every time", async () => {
      const runs = [];
      for (let i = 0; i < 3; i++) runs.push(await measure(() => codec.encode(100)));
      expect(runs[1]).to.deep.equal(runs[0]);
      expect(runs[2]).to.deep.equal(runs[0]);
    });

    it("awaits an async function: allocations after timers and promises count, not before or after it", async () => {
      const m = await measure(() => codec.later(100));
      expect(brief(m)).to.deep.equal([
        { at: at("new ArrayBuffer(n)"), kind: "new ArrayBuffer", allocs: 1, bytes: 100, reallocs: 0, live: 0 },
        { at: at("new Float64Array(2)"), kind: "new Float64Array", allocs: 1, bytes: 16, reallocs: 0, live: 0 },
      ]);
    });

    it("live: what fn keeps after a full collection, by site; its return value is not kept", async () => {
      try {
        const kept = await measure(() => {
          codec.remember(32);
          codec.remember(8);
          return codec.encode(64); // returned, then dropped: not live
        });
        expect(kept.live).to.equal(40);
        const sites = brief(kept);
        expect(sites.find((s) => s.kind === "new Uint16Array")).to.deep.equal({ at: at("new Uint16Array(n / 2)"), kind: "new Uint16Array", allocs: 2, bytes: 40, reallocs: 0, live: 40 });
        expect(sites.filter((s) => s.live > 0)).to.have.length(1);
        expect(sites.map((s) => s.kind)).to.deep.equal(["Buffer.concat", "Buffer.alloc", "new Uint16Array", "new Uint8Array"]); // 68, 64, 40, 4 bytes
        // Held by the test itself: live.
        let held;
        const own = await measure(() => {
          held = codec.encode(4);
        });
        expect(own.live).to.equal(held.byteLength);
      } finally {
        codec.forget();
      }
    });

    it("reallocs: counted at the realloc's line (its growth in bytes); a kept buffer is live at its final size, at its alloc site", async () => {
      try {
        const dropped = await measure(() => codec.grow(false));
        expect({ allocs: dropped.allocs, reallocs: dropped.reallocs, bytes: dropped.bytes, live: dropped.live }).to.deep.equal({ allocs: 1, reallocs: 2, bytes: 8 + 8 + 32, live: 0 });
        expect(brief(dropped)).to.deep.equal([
          { at: at("resize(48)"), kind: "ArrayBuffer.prototype.resize", allocs: 0, bytes: 32, reallocs: 1, live: 0 },
          { at: at("new ArrayBuffer(8,"), kind: "new ArrayBuffer", allocs: 1, bytes: 8, reallocs: 0, live: 0 },
          { at: at("resize(16)"), kind: "ArrayBuffer.prototype.resize", allocs: 0, bytes: 8, reallocs: 1, live: 0 },
        ]);
        const kept = await measure(() => codec.grow(true));
        expect(kept.live).to.equal(48);
        expect(kept.sites.find((s) => s.kind === "new ArrayBuffer").live).to.equal(48);
      } finally {
        codec.forget();
      }
    });

    it("@track_caller: allocations inside the helper are reported at each calling line", async () => {
      const m = await measure(() => codec.useScratch());
      expect(brief(m)).to.deep.equal([
        { at: at("scratch(10)"), kind: "new Uint8Array", allocs: 1, bytes: 10, reallocs: 0, live: 0 },
        { at: at("scratch(6)"), kind: "new Uint8Array", allocs: 1, bytes: 6, reallocs: 0, live: 0 },
      ]);
    });

    it("arrays are marked as estimated (8 bytes an element)", async () => {
      const m = await measure(() => codec.list(5));
      expect(m.sites).to.have.length(1);
      expect(m.sites[0]).to.include({ kind: "Array.from", bytes: 40, estimated: true });
    });

    it("Allocator: an object freed by hand is not live even if still reachable", async () => {
      const pool = new codec.Pool();
      let o;
      const held = await measure(() => {
        o = pool.get();
      });
      expect({ allocs: held.allocs, bytes: held.bytes, live: held.live }).to.deep.equal({ allocs: 1, bytes: 24, live: 24 });
      expect(place(held.sites[0])).to.equal(at("alloc(o, new Layout(24, 8)"));
      const freed = await measure(() => {
        o = pool.get();
        pool.put(o);
      });
      expect({ allocs: freed.allocs, bytes: freed.bytes, live: freed.live }).to.deep.equal({ allocs: 1, bytes: 24, live: 0 });
    });

    it("concurrent windows each count only their own work (attributed by async context)", async () => {
      const [a, b, c] = await Promise.all([measure(() => codec.later(100)), measure(() => codec.later(200)), measure(() => codec.encode(1))]);
      expect([a.bytes, b.bytes, c.bytes]).to.deep.equal([116, 216, 4 + 1 + 5]);
      expect([a.allocs, b.allocs, c.allocs]).to.deep.equal([2, 2, 3]);
    });

    it("nested windows: the inner one's allocations count in the outer one too", async () => {
      let inner;
      const outer = await measure(async () => {
        inner = await measure(() => codec.encode(8));
        codec.encode(16);
      });
      expect(inner.allocs).to.equal(3);
      expect(inner.bytes).to.equal(4 + 8 + 12);
      expect(outer.allocs).to.equal(6);
      expect(outer.bytes).to.equal(4 + 8 + 12 + 4 + 16 + 20);
    });

    it("work left behind by a closed window (a timer) counts in the enclosing window still open, not in the closed one", async () => {
      try {
        let inner;
        const outer = await measure(async () => {
          inner = await measure(() => codec.allocSoon(5, 5));
          await new Promise((resolve) => setTimeout(resolve, 30));
        });
        expect(inner.allocs).to.equal(0);
        expect(brief(outer)).to.deep.equal([{ at: at("new Int8Array(n)"), kind: "new Int8Array", allocs: 1, bytes: 5, reallocs: 0, live: 5 }]);
      } finally {
        codec.forget();
      }
    });

    it("rejects with fn's own error, and recording goes back to what it was", async () => {
      const before = runtime.enabled();
      let caught;
      await measure(() => codec.fail()).catch((e) => (caught = e));
      expect(caught).to.be.instanceOf(RangeError);
      expect(caught.message).to.equal("codec failed");
      expect(runtime.enabled()).to.equal(before);
      await measure(async () => {
        await null;
        codec.fail();
      }).catch((e) => (caught = e));
      expect(caught.message).to.equal("codec failed");
      expect(runtime.enabled()).to.equal(before);
      expect((await measure(() => codec.encode(2))).allocs).to.equal(3); // and windows still work
    });

    it("rejects a value that is not a function, naming what it got", async () => {
      let caught;
      await measure(codec.encode(1)).catch((e) => (caught = e));
      expect(caught).to.be.instanceOf(TypeError);
      expect(caught.message).to.equal("expected a function to measure, got object");
    });

    it("sees nothing in code built without the plugin", async () => {
      const m = await measure(() => plain.encode(16));
      expect(m).to.deep.equal({ allocs: 0, bytes: 0, reallocs: 0, live: 0, sites: [] });
    });

    it("count(fn): the same counts without live", async () => {
      const c = await count(() => codec.encode(16));
      const m = await measure(() => codec.encode(16));
      expect(c).to.not.have.property("live");
      expect(c.sites.map((s) => s.key)).to.deep.equal(m.sites.map((s) => s.key));
      expect({ allocs: c.allocs, bytes: c.bytes }).to.deep.equal({ allocs: m.allocs, bytes: m.bytes });
    });
  });

  describe("chai: allocateAtMost, allocate, leak", () => {
    /** The AssertionError an assertion rejects with. */
    async function failure(promise) {
      try {
        await promise;
      } catch (e) {
        return e;
      }
      throw new Error("the assertion passed");
    }

    it("allocateAtMost passes within the limits (sizes as bytes or strings)", async () => {
      await expect(() => codec.encode(16)).to.allocateAtMost({ allocs: 3, bytes: 40 });
      await expect(() => codec.encode(16)).to.allocateAtMost({ bytes: "1 KiB" });
      await expect(() => codec.later(10)).to.allocateAtMost({ allocs: 2, live: 0 });
    });

    it("allocateAtMost fails naming the limit against what was measured, and the sites file:line:col kind, largest first", async () => {
      const e = await failure(expect(() => codec.encode(16)).to.allocateAtMost({ allocs: 2, bytes: 32 }));
      expect(e).to.be.instanceOf(chai.AssertionError);
      const lines = e.message.split("\n");
      expect(lines[0]).to.equal("expected fn to allocate at most { allocs ≤ 2, bytes ≤ 32 B }, but allocs 3 > 2, bytes 40 B > 32 B (3 allocs, 40 B)");
      expect(lines[1]).to.equal("sites, largest bytes first:");
      const rows = lines.slice(3).filter(Boolean).map((l) => l.trim().split(/\s{2,}/));
      expect(rows.map((r) => `${r[0]} ${r[1]}`)).to.deep.equal([
        `${at("concat([header, body])")} Buffer.concat`,
        `${at("alloc(n)")} Buffer.alloc`,
        `${at("new Uint8Array(4)")} new Uint8Array`,
      ]);
      expect(rows.map((r) => r[4])).to.deep.equal(["20", "16", "4"]);
    });

    it("allocateAtMost({ live }) measures live after a collection", async () => {
      try {
        const e = await failure(expect(() => codec.remember(64)).to.allocateAtMost({ live: "32 B" }));
        expect(e.message).to.match(/^expected fn to allocate at most \{ live ≤ 32 B \}, but live 64 B > 32 B /);
        expect(e.message).to.include("sites, largest live first:");
        expect(e.message).to.include(at("new Uint16Array(n / 2)"));
      } finally {
        codec.forget();
      }
    });

    it("not.to.allocate passes for code that allocates nothing, and fails naming the sites", async () => {
      await expect(() => codec.add(1, 2)).not.to.allocate();
      const e = await failure(expect(() => codec.useScratch()).not.to.allocate());
      expect(e.message).to.match(/^expected fn not to allocate, but it allocated 2 allocs, 16 B\nsites, largest bytes first:\n/);
      expect(e.message).to.include(`${at("scratch(10)")}  new Uint8Array`);
      expect(e.message.indexOf(at("scratch(10)"))).to.be.below(e.message.indexOf(at("scratch(6)")));
    });

    it("to.allocate fails on code built without the plugin, saying that nothing was traced and why that may be", async () => {
      await expect(() => codec.encode(1)).to.allocate();
      const e = await failure(expect(() => plain.encode(16)).to.allocate());
      expect(e.message).to.equal(
        "expected fn to allocate, but 0 allocations were traced — is the code under test built with traced-allocator/transformer? (only code compiled with the plugin is seen)",
      );
      const over = await failure(expect(() => plain.encode(16)).not.to.allocateAtMost({ allocs: 1 }));
      expect(over.message).to.include("0 allocations were traced — is the code under test built with traced-allocator/transformer?");
    });

    it("not.to.leak passes when everything is collected, and fails naming the live sites", async () => {
      await expect(() => codec.encode(64)).not.to.leak();
      try {
        const e = await failure(expect(() => codec.remember(16)).not.to.leak());
        expect(e.message).to.match(/^expected fn not to leak, but 16 B of what it allocated are live after a full garbage collection\nsites, largest live first:\n/);
        expect(e.message).to.include(`${at("new Uint16Array(n / 2)")}  new Uint16Array`);
        await expect(() => codec.remember(8)).to.leak();
      } finally {
        codec.forget();
      }
      const none = await failure(expect(() => codec.encode(8)).to.leak());
      expect(none.message).to.equal("expected fn to leak, but nothing of what it allocated (3 allocs, 24 B, 0 B live) is live after a full garbage collection");
    });

    it("bad limits and a subject that is not a function are errors that name the fix", () => {
      expect(() => expect(() => 1).to.allocateAtMost({ alocs: 1 })).to.throw(TypeError, "allocateAtMost: unknown limit 'alocs' (limits: allocs, reallocs, bytes, live)");
      expect(() => expect(() => 1).to.allocateAtMost({ bytes: "4 KB" })).to.throw(TypeError, "allocateAtMost: bytes: \"4 KB\": KB is ambiguous; write KiB (powers of 1024)");
      expect(() => expect(() => 1).to.allocateAtMost({})).to.throw(TypeError, "allocateAtMost: give at least one limit");
      expect(() => expect(codec.encode(1)).not.to.allocate()).to.throw(TypeError, "allocate: expect() needs the function to measure, e.g. expect(() => encode(frame)), got object");
    });

    it("loads as a default import too (module.exports is the plugin)", () => {
      expect(chaiPlugin).to.be.a("function");
      expect(chaiPlugin.chaiAllocations).to.equal(chaiPlugin);
      expect(chaiPlugin.default).to.equal(chaiPlugin);
    });
  });

  describe("expect matchers (Jest, Vitest): the matcher functions", () => {
    it("toAllocateAtMost, toAllocate, toLeak: pass, and the message of the failing form", async () => {
      const ok = await allocationMatchers.toAllocateAtMost.call({ isNot: false }, () => codec.encode(16), { allocs: 3 });
      expect(ok.pass).to.equal(true);
      expect(ok.message()).to.match(/^expected fn to allocate more than \{ allocs ≤ 3 \}/);
      const over = await allocationMatchers.toAllocateAtMost.call({ isNot: false }, () => codec.encode(16), { bytes: "16 B" });
      expect(over.pass).to.equal(false);
      expect(over.message()).to.include(`bytes 40 B > 16 B`);
      expect(over.message()).to.include(`${at("concat([header, body])")}  Buffer.concat`);
      const alloc = await allocationMatchers.toAllocate.call({ isNot: true }, () => codec.add(1, 1));
      expect(alloc.pass).to.equal(false);
      const none = await allocationMatchers.toAllocate.call({ isNot: false }, () => plain.encode(1));
      expect(none.message()).to.include("0 allocations were traced");
      try {
        const leak = await allocationMatchers.toLeak.call({ isNot: true }, () => codec.remember(4));
        expect(leak.pass).to.equal(true);
        expect(leak.message()).to.include(`${at("new Uint16Array(n / 2)")}  new Uint16Array`);
      } finally {
        codec.forget();
      }
    });
  });

  describe("in a process of its own", () => {
    let dir;
    before(() => {
      const traced = compile(FIXTURE);
      dir = traced.outDir;
      // Past the runtime's exact bound first (8,192 objects), so that its sampling is on: the
      // window must still follow every object.
      fs.writeFileSync(
        path.join(dir, "probe.mjs"),
        `import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const codec = require("./src/codec.js");
const { measure } = require("traced-allocator/test");
codec.churn(20000);
const results = [];
for (let i = 0; i < 2; i++) {
  results.push(await measure(() => { for (let j = 0; j < 500; j++) codec.remember(64); codec.churn(3000); }));
  codec.forget();
  results.push(await measure(() => codec.later(10)));
}
console.log(JSON.stringify(results));
`,
      );
    });

    it("the same figures, exact, whatever TRACED_ALLOC says (sampling past the exact bound included), run after run", () => {
      const outs = ["", "summary", `ndjson=${path.join(dir, "t.ndjson")}`, "summary,lifetimes"].map((mode) => {
        const r = run(path.join(dir, "probe.mjs"), { env: { TRACED_ALLOC: mode } });
        expect(r.status, r.stderr).to.equal(0);
        return JSON.parse(r.stdout);
      });
      const [first] = outs;
      expect(first[0]).to.include({ allocs: 3500, bytes: 500 * 64 + 3000 * 8, live: 500 * 64 });
      expect(first[1]).to.include({ allocs: 2, bytes: 26, live: 0 });
      expect(first[2]).to.deep.equal(first[0]); // the second run in the same process
      for (const o of outs) expect(o).to.deep.equal(first);
    });

    it("with TRACED_ALLOC unset, records during the window without writing anything", () => {
      const r = run(path.join(dir, "probe.mjs"), { env: { TRACED_ALLOC: "" } });
      expect(r.status).to.equal(0);
      expect(r.stderr).to.equal("");
      expect(fs.readdirSync(dir).filter((f) => /\.ndjson$/.test(f) && f !== "t.ndjson")).to.deep.equal([]);
    });

    it("with TRACED_ALLOC=summary, the summary at exit is the whole run's, windows or not", () => {
      const r = run(path.join(dir, "probe.mjs"), { env: { TRACED_ALLOC: "summary" } });
      expect(r.status).to.equal(0);
      const head = r.stderr.split("\n").find((l) => l.startsWith("traced-allocator summary"));
      // 20000 + 2 × (500 + 3000 + 2) allocations, windows or not.
      expect(head).to.match(/^traced-allocator summary: 27004 allocs, /);
    });
  });
});
