// What we publish, used the way a user uses it: `npm pack` of this repo (which runs `prepare`),
// then a fresh project outside the repo installs the tarball with typescript@6.0.3, ts-patch@4.0.1
// and @types/node@20 (and a second one with typescript@5.9.3, ts-patch@3.3.0), builds with its own
// `npx tspc` and runs with TRACED_ALLOC=log. Every event must name the project's own src/main.ts
// (relative), never the allocator's or an absolute path. Also checks what the tarball holds.
// Needs the npm registry or a warm ~/.npm cache.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { sh, ok, npx, packRepo, install, TOOLCHAIN, userTsconfig, repoRoot } from "./support/npm.mjs";
import { unmark } from "./support/markers.mjs";


// The user's program. `@@name` marks where a site's column is (the marker is removed).
const MAIN = `import { Allocator, Layout, Location } from "traced-allocator/runtime";

/** @track_caller */
function makeBuffer(n: number): Uint8Array {
  return new Uint8Array(n);
}

/** @track_caller */
function where(): string {
  return Location.caller().toString();
}

const header = @@header new ArrayBuffer(16);
const body = @@body makeBuffer(32);
const scratch = Buffer.@@scratch alloc(8);
const pool = {};
Allocator.@@pool alloc(pool, new Layout(24, 8), "Pool.alloc");
Allocator.@@grow realloc(pool, 48, "Pool.grow");
Allocator.@@free dealloc(pool, "Pool.free");
console.log(header.byteLength, body.length, scratch.length, @@where where());
`;



/** The toolchains a user may install beside us (SPEC: TypeScript 6 with ts-patch 4, 5 with ts-patch 3). */
const TOOLCHAINS = [
  { label: "TypeScript 6.0.3, ts-patch 4.0.1", specs: TOOLCHAIN }, // typescript@6.0.3, ts-patch@4.0.1, @types/node@20
  { label: "TypeScript 5.9.3, ts-patch 3.3.0", specs: ["typescript@5.9.3", "ts-patch@3.3.0", "@types/node@20"] },
];

describe("npm pack: the published package", function () {
  this.timeout(300_000);
  let scratch, tarball;
  const { source, at } = unmark(MAIN);

  before(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "traced-alloc-pack-"));
    tarball = packRepo(); // shared with the other tests that install it: not ours to delete
  });

  after(() => {
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  });

  describe("the tarball", () => {
    let entries, pkg;
    before(() => {
      const packDir = path.dirname(tarball);
      entries = ok(sh("tar", ["-tzf", tarball], packDir), "tar -t")
        .stdout.split("\n")
        .filter(Boolean)
        .map((e) => e.replace(/^package\//, ""));
      pkg = JSON.parse(ok(sh("tar", ["-xzOf", tarball, "package/package.json"], packDir), "tar -x").stdout);
    });

    it("holds the runtime and the transformer as JavaScript with .d.ts, README.md and package.json", () => {
      for (const dir of ["dist/runtime", "dist/transformer"]) {
        expect(entries, dir).to.include(`${dir}/index.js`);
        expect(entries, dir).to.include(`${dir}/index.d.ts`);
      }
      expect(entries).to.include("README.md");
      expect(entries).to.include("package.json");
    });

    it("holds no tests, fixtures, benchmarks or TypeScript sources", () => {
      const bad = entries.filter(
        (e) =>
          /^(test|fixtures|bench|\.ci|scripts|node_modules|transformer|runtime)\//.test(e) ||
          (/\.(c|m)?tsx?$/.test(e) && !/\.d\.(c|m)?ts$/.test(e)) ||
          /\.tsbuildinfo$/.test(e),
      );
      expect(bad).to.deep.equal([]);
    });

    it("holds every file that package.json points at (main, types, exports, bin)", () => {
      const targets = [pkg.main, pkg.types];
      const walk = (v) => (typeof v === "string" ? targets.push(v) : v && typeof v === "object" && Object.values(v).forEach(walk));
      walk(pkg.exports);
      walk(pkg.bin);
      for (const t of targets.filter(Boolean)) expect(entries, `package.json names ${t}`).to.include(path.posix.normalize(t));
    });

    it("does not make ts-patch parse all JSDoc (marks are read from the comment text)", () => {
      expect(pkg.tsp).to.equal(undefined);
    });
  });

  for (const [i, { label, specs }] of TOOLCHAINS.entries()) {
    // module commonjs: with TypeScript 5 that is moduleResolution node10, which ignores "exports".
    describe(`a fresh project with ${label} (module commonjs)`, () => {
      let project, build, run;
      before(() => {
        project = path.join(scratch, `app-${i}`);
        fs.mkdirSync(path.join(project, "src"), { recursive: true });
        fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: `ta-pack-app-${i}`, version: "0.0.0", private: true }, null, 2));
        install(project, [tarball, ...specs]);
        fs.writeFileSync(path.join(project, "tsconfig.json"), userTsconfig({ rootDir: "." }));
        fs.writeFileSync(path.join(project, "src/main.ts"), source);
        build = sh(npx, ["--no", "tspc"], project);
        run = sh(process.execPath, ["dist/src/main.js"], project, { env: { TRACED_ALLOC: "log" }, timeout: 60_000 });
      });

      it("builds with npx tspc without diagnostics", () => {
        // tsc prints diagnostics on stdout; npx may warn about the machine's npm config on stderr.
        const stderr = build.stderr.split("\n").filter((l) => l && !/^npm (warn|notice)/i.test(l));
        expect(build.stdout).to.equal("");
        expect(stderr).to.deep.equal([]);
        expect(build.status).to.equal(0);
      });

      it("logs every event at the project's own src/main.ts lines", () => {
        expect(run.status, run.stderr).to.equal(0);
        const lines = run.stderr.split("\n").filter((l) => /^(alloc|realloc|dealloc) /.test(l));
        expect(lines).to.deep.equal([
          `alloc Layout { size: 16, align: 1 } at src/main.ts:${at.header}`,
          // inside the @track_caller makeBuffer: the caller's line
          `alloc Layout { size: 32, align: 1 } at src/main.ts:${at.body}`,
          `alloc Layout { size: 8, align: 1 } at src/main.ts:${at.scratch}`,
          // the runtime's own @track_caller methods, declared in the shipped .d.ts
          `alloc Layout { size: 24, align: 8 } at src/main.ts:${at.pool}`,
          `realloc Layout { size: 24, align: 8 } to 48 at src/main.ts:${at.grow}`,
          `dealloc Layout { size: 48, align: 8 } at src/main.ts:${at.free}`,
          // the collection before exit: module-level buffers no longer reachable, in allocation order,
          // each at its allocation's place
          `dealloc Layout { size: 16, align: 1 } at src/main.ts:${at.header}`,
          `dealloc Layout { size: 32, align: 1 } at src/main.ts:${at.body}`,
          `dealloc Layout { size: 8, align: 1 } at src/main.ts:${at.scratch}`,
        ]);
      });

      it("passes the caller's location to Location.caller() in a @track_caller function", () => {
        expect(run.stdout).to.equal(`16 32 8 src/main.ts:${at.where}\n`);
      });

      it("never writes the build machine's paths into the output", () => {
        const outDir = path.join(project, "dist");
        const files = fs.readdirSync(outDir, { recursive: true }).filter((f) => /\.(js|d\.ts)$/.test(f));
        expect(files).to.include(path.join("src", "main.js"));
        for (const f of files) {
          const text = fs.readFileSync(path.join(outDir, f), "utf8");
          expect(text, f).to.not.include(project);
          expect(text, f).to.not.include(repoRoot);
        }
        expect(run.stderr).to.not.include(project);
      });
    });
  }
});
