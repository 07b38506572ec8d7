// The reported position of every site is the one V8 itself reports for that call in a stack trace,
// source-mapped back to the .ts (SPEC: Locations). Two independent checks on fixtures/positions:
// 1. built-ins: the plain tsc build runs with every rewritten built-in wrapped to record its
//    caller's V8 frame; the plugin build's ndjson events must name the same places, in order;
// 2. @track_caller: inside each marked function, Location.caller() (the injected location) must
//    equal the caller's frame of a V8 stack trace taken at the same moment.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { compile, run, runNdjson, fixturesDir, repoRoot } from "./harness.mjs";

const dir = path.join(fixturesDir, "positions");
const rel = (p) => path.relative(dir, p).split(path.sep).join("/");

describe("positions match V8's stack traces", function () {
  this.timeout(60_000);
  let traced, plain;
  before(() => {
    traced = compile(dir);
    plain = compile(dir, { plugin: false });
  });

  it("every built-in site is where V8 puts the call", () => {
    const probeOut = path.join(plain.outDir, "v8-positions.txt");
    const p = run(path.join(plain.outDir, "src/main.js"), {
      nodeArgs: ["--enable-source-maps", "--require", path.join(repoRoot, "test/support/v8-probe.cjs")],
      env: { V8_PROBE_OUT: probeOut },
    });
    expect(p.status, p.stderr).to.equal(0);
    const v8 = fs
      .readFileSync(probeOut, "utf8")
      .split("\n")
      .filter((l) => /^[^?].*:\d+:\d+$/.test(l)) // frames inside a built-in (Array.from calling its receiver) are not call sites
      .map((l) => {
        const m = /^(.*):(\d+):(\d+)$/.exec(l);
        return `${rel(m[1])}:${m[2]}:${m[3]}`;
      })
      .filter((l) => l.startsWith("src/main.ts:") && Number(l.split(":")[1]) < 21); // the built-ins section
    const t = runNdjson(path.join(traced.outDir, "src/main.js"));
    // The calls: allocs and reallocs (a dealloc, collected at exit, is reported at its alloc's place).
    const ours = t.events.filter((e) => e.event !== "dealloc" && e.line < 21).map((e) => `${e.file}:${e.line}:${e.col}`);
    expect(ours.length).to.be.greaterThan(10);
    expect(ours).to.deep.equal(v8);
  });

  it("Location.caller() in a @track_caller function is the caller's V8 frame", () => {
    const r = run(path.join(traced.outDir, "src/main.js"), { nodeArgs: ["--enable-source-maps"] });
    expect(r.status, r.stderr).to.equal(0);
    const rows = r.stdout
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l));
    expect(rows.length).to.be.greaterThan(15);
    for (const row of rows) expect(row.injected, row.label).to.equal(rel(row.stack));
  });

  it("without a passed location (plain build), Location.caller() falls back to the source-mapped V8 frame", () => {
    const r = run(path.join(plain.outDir, "src/main.js"), { nodeArgs: ["--enable-source-maps"] });
    const rows = r.stdout
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l));
    expect(rows.length).to.be.greaterThan(15);
    for (const row of rows) {
      // relative to the working directory (the output folder here), so compare absolute paths
      expect(path.resolve(plain.outDir, "src", row.injected.replace(/:\d+:\d+$/, "")) + row.injected.match(/:\d+:\d+$/)[0], row.label).to.equal(row.stack);
    }
  });
});
