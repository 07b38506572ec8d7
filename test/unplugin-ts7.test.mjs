// The README's TypeScript 7 path with a bundler, run as written: a fresh project outside the repo
// installs today's default TypeScript (7, the native compiler, which has no JavaScript API),
// esbuild and this package from `npm pack` (no --legacy-peer-deps), type checks with TypeScript 7's
// own `tsc`, builds with esbuild and `traced-allocator/esbuild` (which reads the program with the
// TypeScript 6 this package depends on), and the bundle's events name the project's own lines.
// Needs the npm registry or a warm ~/.npm cache. Slow (npm installs): `npm run test:ts7`.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { sh, ok, npx, packRepo, install } from "./support/npm.mjs";
import { unmark } from "./support/markers.mjs";

// The user's program. `@@name` marks where a site's column is (the marker is removed).
const MAIN = `import { Location } from "traced-allocator/runtime";
import { frame } from "./frame.js";

/** @track_caller */
function where(): string {
  return Location.caller().toString();
}

const header = @@header new ArrayBuffer(16);
const body = @@body frame(32);
const grown = new ArrayBuffer(4, { maxByteLength: 64 });
grown.@@grow resize(48);
console.log(header.byteLength, body.length, grown.byteLength, @@where where());
`;
const FRAME = `/** @track_caller */
export function frame(n: number): Uint8Array {
  return new Uint8Array(n);
}
`;
const BUILD = `import * as esbuild from "esbuild";
import tracedAllocator from "traced-allocator/esbuild";

await esbuild.build({
  entryPoints: ["src/main.ts"],
  bundle: true,
  platform: "node",
  format: "esm",
  outfile: "dist/main.mjs",
  sourcemap: true,
  plugins: [tracedAllocator()],
});
`;
const TSCONFIG = {
  compilerOptions: { target: "ES2022", module: "nodenext", lib: ["ES2024"], types: ["node"], strict: true, noEmit: true },
  include: ["src"],
};

describe("TypeScript 7 + esbuild + traced-allocator/esbuild, in a fresh project from npm pack", function () {
  this.timeout(600_000);
  const { source, at } = unmark(MAIN);
  let project, check, build, run;

  before(() => {
    project = fs.mkdtempSync(path.join(os.tmpdir(), "traced-alloc-ts7-"));
    fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "ta-ts7-app", version: "0.0.0", private: true, type: "module" }, null, 2));
    install(project, [packRepo(), "typescript@7.0.2", "esbuild@0.28.2", "@types/node@20"]);
    fs.mkdirSync(path.join(project, "src"));
    fs.writeFileSync(path.join(project, "src/main.ts"), source);
    fs.writeFileSync(path.join(project, "src/frame.ts"), FRAME);
    fs.writeFileSync(path.join(project, "tsconfig.json"), JSON.stringify(TSCONFIG, null, 2));
    fs.writeFileSync(path.join(project, "build.mjs"), BUILD);
    check = sh(npx, ["--no", "tsc"], project);
    build = sh(process.execPath, ["build.mjs"], project);
    run = sh(process.execPath, ["dist/main.mjs"], project, { env: { TRACED_ALLOC: "log" }, timeout: 60_000 });
  });

  after(() => {
    if (project) fs.rmSync(project, { recursive: true, force: true });
  });

  it("has TypeScript 7 as the project's typescript, and its tsc type checks the project", () => {
    const version = JSON.parse(fs.readFileSync(path.join(project, "node_modules/typescript/package.json"), "utf8")).version;
    expect(version).to.match(/^7\./);
    expect(check.stdout + check.stderr.split("\n").filter((l) => l && !/^npm (warn|notice)/i.test(l)).join("\n")).to.equal("");
    expect(check.status).to.equal(0);
  });

  it("builds with esbuild and the plugin", () => {
    ok(build, "node build.mjs");
    expect(fs.existsSync(path.join(project, "dist/main.mjs"))).to.equal(true);
  });

  it("logs every event at the project's own lines, a @track_caller function's at its caller's", () => {
    expect(run.status, run.stderr).to.equal(0);
    const lines = run.stderr.split("\n").filter((l) => /^(alloc|realloc|dealloc) /.test(l));
    expect(lines.slice(0, 4)).to.deep.equal([
      `alloc Layout { size: 16, align: 1 } at src/main.ts:${at.header}`,
      `alloc Layout { size: 32, align: 1 } at src/main.ts:${at.body}`,
      `alloc Layout { size: 4, align: 1 } at src/main.ts:11:15`,
      `realloc Layout { size: 4, align: 1 } to 48 at src/main.ts:${at.grow}`,
    ]);
    expect(run.stdout).to.equal(`16 32 48 src/main.ts:${at.where}\n`);
  });
});
