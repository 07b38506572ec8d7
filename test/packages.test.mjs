// @track_caller across packages (issue 3, point 6): a library built with the plugin publishes
// .d.ts that keep the mark; an application built with the plugin installs the library from its
// `npm pack` tarball and gets its own lines for every allocation the library makes for it.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { sh, ok, npx, pack, packRepo, install, TOOLCHAIN, userTsconfig } from "./support/npm.mjs";

const LIB = `// A vector and a buffer helper whose callers are the ones reported.
export class ByteVec {
  private buf: ArrayBuffer;
  private view: Uint8Array;
  private len = 0;
  /** @track_caller */
  constructor() {
    this.buf = new ArrayBuffer(0, { maxByteLength: 1 << 16 });
    this.view = new Uint8Array(this.buf);
  }
  /** @track_caller */
  push(b: number): void {
    if (this.len === this.buf.byteLength) this.buf.resize(Math.max(4, this.buf.byteLength * 2));
    this.view[this.len++] = b;
  }
}

/** @track_caller */
export function makeBuffer(n: number): Buffer {
  return Buffer.alloc(n);
}
`;

const APP = `import { ByteVec, makeBuffer } from "bytes-lib";

const header = makeBuffer(12);
const v = new ByteVec();
for (let i = 0; i < 10; i++) v.push(i);
console.log(header.length);
`;

describe("@track_caller across packages (npm pack tarballs)", function () {
  this.timeout(400_000);
  let scratch, libDts, traced, plainRun;

  before(function () {
    const tarball = packRepo();
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "traced-alloc-pkgs-"));
    // The library: built with the plugin, packed.
    const lib = path.join(scratch, "bytes-lib");
    fs.mkdirSync(path.join(lib, "src"), { recursive: true });
    fs.writeFileSync(
      path.join(lib, "package.json"),
      JSON.stringify({
        name: "bytes-lib",
        version: "1.0.0",
        main: "dist/index.js",
        types: "dist/index.d.ts",
        files: ["dist"],
        peerDependencies: { "traced-allocator": "*" },
      }),
    );
    fs.writeFileSync(path.join(lib, "tsconfig.json"), userTsconfig());
    fs.writeFileSync(path.join(lib, "src/index.ts"), LIB);
    install(lib, [tarball, ...TOOLCHAIN]);
    ok(sh(npx, ["--no", "tspc"], lib), "library build");
    libDts = fs.readFileSync(path.join(lib, "dist/index.d.ts"), "utf8");
    const libTarball = pack(lib, path.join(scratch, "tgz"));

    // The application: installs both tarballs, built with the plugin, and again without it.
    const app = path.join(scratch, "app");
    fs.mkdirSync(path.join(app, "src"), { recursive: true });
    fs.writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "app", version: "0.0.0", private: true }));
    fs.writeFileSync(path.join(app, "tsconfig.json"), userTsconfig());
    fs.writeFileSync(path.join(app, "src/main.ts"), APP);
    install(app, [tarball, libTarball, ...TOOLCHAIN]);
    ok(sh(npx, ["--no", "tspc"], app), "application build");
    traced = sh(process.execPath, ["dist/main.js"], app, { env: { TRACED_ALLOC: "log" } });
    fs.writeFileSync(path.join(app, "tsconfig.plain.json"), userTsconfig({ plugins: [], outDir: "plain" }));
    ok(sh(npx, ["--no", "--", "tsc", "-p", "tsconfig.plain.json"], app), "plain application build");
    plainRun = sh(process.execPath, ["--enable-source-maps", "plain/main.js"], app, { env: { TRACED_ALLOC: "log" } });
  });

  after(() => scratch && fs.rmSync(scratch, { recursive: true, force: true }));

  const events = (stderr) => stderr.split("\n").filter((l) => /^(alloc|realloc|dealloc) /.test(l));

  it("the library's published .d.ts keeps the marks", () => {
    expect(libDts.match(/@track_caller/g)).to.have.length(3);
  });

  it("the application built with the plugin gets its own lines for the library's allocations", () => {
    expect(traced.status, traced.stderr).to.equal(0);
    expect(events(traced.stderr)).to.deep.equal([
      "alloc Layout { size: 12, align: 1 } at src/main.ts:3:16",
      "alloc Layout { size: 0, align: 1 } at src/main.ts:4:11",
      "realloc Layout { size: 0, align: 1 } to 4 at src/main.ts:5:32",
      "realloc Layout { size: 4, align: 1 } to 8 at src/main.ts:5:32",
      "realloc Layout { size: 8, align: 1 } to 16 at src/main.ts:5:32",
      // the collection before exit, in allocation order: the header, the vector's buffer (grown to 16)
      "dealloc Layout { size: 12, align: 1 } at src/main.ts:3:16",
      "dealloc Layout { size: 16, align: 1 } at src/main.ts:4:11",
    ]);
  });

  it("an application built without the plugin still works; the library's sites stand in", () => {
    expect(plainRun.status, plainRun.stderr).to.equal(0);
    expect(plainRun.stdout).to.equal(traced.stdout);
    // No location was passed: tracing falls back to the caller's (source-mapped) stack frame.
    const lines = events(plainRun.stderr);
    expect(lines).to.have.length(7);
    expect(lines[0]).to.match(/^alloc Layout \{ size: 12, align: 1 \} at src\/main\.ts:3:\d+$/);
    // the same events as the traced build's, the deallocs of the collection before exit included
    expect(lines.map((l) => l.replace(/ at .*/, ""))).to.deep.equal(events(traced.stderr).map((l) => l.replace(/ at .*/, "")));
  });
});
