// What the real-bundler suites (test/unplugin.test.mjs, test/unplugin-more.test.mjs) share: run a
// bundle from its fixture's folder, the ts-patch build of a fixture as the reference, and
// `sameAsTsPatch`, which holds a bundle's output and trace equal to that reference.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { compile, runNdjson, fixturesDir } from "../harness.mjs";
import { normalized, fixtureMeta } from "./traces.mjs";

/** Runs a bundle from the fixture's folder; returns the run and its normalized trace. */
export function runBundle(file, dir, meta) {
  const r = runNdjson(file, { nodeArgs: meta.nodeArgs ?? [], cwd: dir });
  return { ...r, trace: normalized(r.records) };
}

/** The fixture's entry: the TypeScript file of its `main` (fixture.json; default src/main.js). */
export const entryOf = (dir) => path.join(dir, (fixtureMeta(dir).main ?? "src/main.js").replace(/\.([cm]?)js$/, ".$1ts"));

export const esmFixture = (dir) => fs.existsSync(path.join(dir, "package.json")) && JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).type === "module";

/** The ts-patch build of a fixture, run from its folder: what every bundle must match. */
const reference = new Map();
export function referenceRun(name) {
  if (!reference.has(name)) {
    const dir = path.join(fixturesDir, name);
    const meta = fixtureMeta(dir);
    const built = compile(dir);
    expect(built.diagnostics).to.deep.equal([]);
    reference.set(name, runBundle(path.join(built.outDir, meta.main ?? "src/main.js"), dir, meta));
  }
  return reference.get(name);
}

/**
 * `what` builds fixture `name` into a file; the bundle's run must equal the ts-patch build's, or
 * `expected(reference run)` where a bundler is known to differ (default: the reference as it is).
 */
export function sameAsTsPatch(label, name, what, expected = (ref) => ref) {
  describe(`${label}: ${name}`, () => {
    const dir = path.join(fixturesDir, name);
    const meta = fixtureMeta(dir);
    let ours, ref;
    before(async () => {
      ref = expected(referenceRun(name));
      expect(ref.events.length + ref.stdout.length, "the reference run does something").to.be.greaterThan(0);
      ours = runBundle(await what(dir), dir, meta);
    });

    it("prints the same output and exits the same way as the ts-patch build", () => {
      expect(ours.status, ours.stderr).to.equal(ref.status);
      expect(ours.stderr).to.equal(ref.stderr);
      if (meta.sameOutput !== false) {
        expect(ours.stdout).to.equal(ref.stdout);
        return;
      }
      // fixtures/positions prints, per call, the location injected by the rewrite and the caller's
      // stack frame as the bundle's source map gives it back. The injected ones must be the same;
      // the frames are the bundler's map (esbuild maps a call V8 places at its `(` to the callee's start).
      const injected = (out) => out.split("\n").filter((l) => l.startsWith("{")).map((l) => [JSON.parse(l).label, JSON.parse(l).injected]);
      expect(injected(ours.stdout)).to.deep.equal(injected(ref.stdout));
      expect(injected(ref.stdout).length).to.be.greaterThan(10);
    });

    it("writes the same trace: events (size, file:line:col, kind, key) and site table", () => {
      expect(ours.trace.table).to.deep.equal(ref.trace.table);
      expect(ours.trace.events).to.deep.equal(ref.trace.events);
    });
  });
}
