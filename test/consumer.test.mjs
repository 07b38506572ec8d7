// Allocation assertions as a user gets them: `npm pack` of this repo installed into fresh projects
// outside it (from the npm cache: --prefer-offline), each built with its own `npx tspc`:
// - fixtures/consumer-mocha: a mocha suite using traced-allocator/chai and the root hook
//   (.mocharc.json requires traced-allocator/mocha) with traced-alloc.budget.json, one test over
//   its budget: the exit status, the failure naming the sites file:line:col kind, the table.
// - fixtures/consumer-jest: a Jest suite using traced-allocator/expect on the built JavaScript,
//   one matcher failing.
// Needs the npm registry or a warm ~/.npm cache (the repo's own devDependencies fill it).
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { sh, npx, packRepo, install, TOOLCHAIN, repoRoot } from "./support/npm.mjs";

/** `src/codec.ts:line:col` of `needle` (unique) in a fixture's source. */
function locator(file) {
  const source = fs.readFileSync(file, "utf8");
  return (needle) => {
    const i = source.indexOf(needle);
    if (i < 0 || source.indexOf(needle, i + 1) >= 0) throw new Error(`'${needle}' is not once in ${file}`);
    const before = source.slice(0, i).split("\n");
    return `src/codec.ts:${before.length}:${before[before.length - 1].length + 1}`;
  };
}

/** A fixture copied to `dir`, the tarball and `specs` installed, built with npx tspc. */
function setUp(fixture, dir, specs) {
  fs.cpSync(path.join(repoRoot, "fixtures", fixture), dir, { recursive: true });
  fs.rmSync(path.join(dir, ".not-a-fixture"));
  install(dir, [packRepo(), ...TOOLCHAIN, ...specs]);
  return sh(npx, ["--no", "tspc"], dir);
}

describe("allocation assertions in a project installed from npm pack", function () {
  this.timeout(300_000);
  let scratch;
  before(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "traced-alloc-consumer-"));
  });
  after(() => {
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  });

  describe("mocha + chai + the root hook plugin, with a budget file", () => {
    const at = locator(path.join(repoRoot, "fixtures/consumer-mocha/src/codec.ts"));
    let build, run;
    before(() => {
      const dir = path.join(scratch, "mocha");
      build = setUp("consumer-mocha", dir, ["mocha@12.0.3", "chai@6.3.0"]);
      run = sh(npx, ["--no", "mocha"], dir, { env: { TRACED_ALLOC: "" }, timeout: 60_000 });
    });

    it("builds with npx tspc without diagnostics (the published declarations type-check)", () => {
      expect(build.stdout).to.equal("");
      expect(build.status).to.equal(0);
    });

    it("fails the one test over its budget (exit status 1); the chai assertions pass", () => {
      expect(run.status, run.stdout + run.stderr).to.equal(1);
      expect(run.stdout).to.match(/\b5 passing\b/);
      expect(run.stdout).to.match(/\b1 failing\b/);
      expect(run.stdout).to.match(/1\) codec\n\s+joins many frames:\n/);
    });

    it("the failure names limit against measured and the sites, file:line:col kind, largest first", () => {
      const block = run.stdout.slice(run.stdout.indexOf("1) codec\n"));
      expect(block).to.include(
        'AllocationBudgetError: over its allocation budget: allocs 102 > 50, bytes 4.7 KiB (4800 B) > 1 KiB (traced-alloc.budget.json, tests["codec joins many frames"]: allocs ≤ 50, bytes ≤ 1 KiB)',
      );
      const sites = block
        .split("\n")
        .filter((l) => /^\s+src\/codec\.ts:/.test(l))
        .map((l) => l.trim().split(/\s{2,}/));
      expect(sites).to.deep.equal([
        [at("new Uint8Array(4 + payload.length)"), "new Uint8Array", "100", "0", "2000"],
        [at("concat(payloads"), "Buffer.concat", "1", "0", "2000"],
        [at("map(encode)"), "Array.prototype.map", "1", "0", "~800"],
      ]);
    });

    it("prints the per-test table on stderr", () => {
      const rows = run.stderr
        .split("\n")
        .filter((l) => l.startsWith("  codec"))
        .map((l) => l.trim().split(/\s{2,}/));
      expect(run.stderr).to.include("traced-allocator: allocations per test (budget: traced-alloc.budget.json)\n");
      expect(rows).to.deep.equal([
        ["codec encodes a frame", "1", "0", "20 B", "-", "allocs ≤ 1, bytes ≤ 20 B", "ok"],
        ["codec checksums without allocating", "0", "0", "0 B", "-", "allocs ≤ 0", "ok"],
        ["codec joins many frames", "102", "0", "4.7 KiB (4800 B)", "-", "allocs ≤ 50, bytes ≤ 1 KiB", "OVER: allocs 102 > 50, bytes 4.7 KiB (4800 B) > 1 KiB"],
      ]);
    });
  });

  describe("Jest with the expect matchers, on the built JavaScript", () => {
    const at = locator(path.join(repoRoot, "fixtures/consumer-jest/src/codec.ts"));
    let build, run;
    before(() => {
      const dir = path.join(scratch, "jest");
      build = setUp("consumer-jest", dir, ["jest@30.5.2"]);
      run = sh(npx, ["--no", "jest", "--ci"], dir, { env: { TRACED_ALLOC: "" }, timeout: 120_000 });
    });

    it("builds with npx tspc", () => {
      expect(build.stdout).to.equal("");
      expect(build.status).to.equal(0);
    });

    it("passes the matchers that hold and fails the one that does not (exit status 1)", () => {
      const out = run.stdout + run.stderr;
      expect(run.status, out).to.equal(1);
      expect(out).to.match(/Tests:\s+1 failed, 4 passed, 5 total/);
      expect(out).to.include("✕ encodes two frames within one allocation");
    });

    it("the failing matcher's message names limit against measured and the site file:line:col kind", () => {
      const out = run.stdout + run.stderr;
      expect(out).to.include("expected fn to allocate at most { allocs ≤ 1 }, but allocs 2 > 1 (2 allocs, 40 B)");
      const site = out.split("\n").find((l) => /^\s+src\/codec\.ts:/.test(l));
      expect(site.trim().split(/\s{2,}/)).to.deep.equal([at("new Uint8Array(4 + payload.length)"), "new Uint8Array", "2", "0", "40"]);
    });
  });
});
