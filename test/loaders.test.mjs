// The transformer through the ecosystem's own hooks, run with the real tools (this repo's dev
// dependencies): ts-loader's getCustomTransformers under webpack 5, ts-jest's astTransformers with
// traced-allocator/ts-jest under Jest, ts-node's transformers with traced-allocator/ts-node. Each
// project is fixtures/build/app (the program) with fixtures/loaders (the tools' configs) laid over
// it, in a scratch folder whose node_modules links the tools and traced-allocator to this repo's.
// Each must log every allocation at the project's own lines; each without a type checker
// (transpileOnly, isolatedModules) must fail with one message saying what to change.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createRequire } from "node:module";
import { repoRoot } from "./harness.mjs";
import { spawnAsync } from "./support/spawn.mjs";

const require = createRequire(import.meta.url);
const transformer = require(path.join(repoRoot, "dist/transformer/index.js"));
const app = path.join(repoRoot, "fixtures/build/app");
const loaders = path.join(repoRoot, "fixtures/loaders");
const TOOLS = ["typescript", "ts-loader", "webpack", "jest", "ts-jest", "ts-node"];
const version = (p) => JSON.parse(fs.readFileSync(path.join(repoRoot, "node_modules", p, "package.json"), "utf8")).version;

let root;
before(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), "traced-alloc-loaders-"))));
after(() => root && fs.rmSync(root, { recursive: true, force: true }));

let count = 0;
/** The program and the tools' configs in a fresh folder; `typescript`: "repo" or a folder to link instead. */
function project({ typescript = "repo" } = {}) {
  const dir = path.join(root, `app-${++count}`);
  fs.cpSync(app, dir, { recursive: true });
  fs.cpSync(loaders, dir, { recursive: true });
  const nm = path.join(dir, "node_modules");
  fs.mkdirSync(nm);
  fs.symlinkSync(repoRoot, path.join(nm, "traced-allocator"), "dir");
  for (const tool of TOOLS) {
    const target = tool === "typescript" && typescript !== "repo" ? typescript : path.join(repoRoot, "node_modules", tool);
    fs.symlinkSync(target, path.join(nm, tool), "dir");
  }
  return dir;
}

/** Runs node with `args` in `cwd`; resolves to {status, signal, stdout, stderr}. */
const node = (args, cwd, env = {}) => spawnAsync(process.execPath, args, { cwd, env });

/** `node args` with TRACED_ALLOC=ndjson; the run and its alloc events as "kind size file:line:col". */
async function traced(args, cwd, env = {}) {
  const out = path.join(root, `trace-${++count}.ndjson`);
  const r = await node(args, cwd, { ...env, TRACED_ALLOC: `ndjson=${out}` });
  const events = fs.existsSync(out)
    ? fs
        .readFileSync(out, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .filter((e) => e.event === "alloc")
        .map((e) => `${e.kind} ${e.size} ${e.file}:${e.line}:${e.col}`)
    : [];
  return { ...r, events };
}

/** "line:col" of the first `needle` in `file` (under fixtures/build/app or fixtures/loaders). */
function at(file, needle) {
  const full = fs.existsSync(path.join(app, file)) ? path.join(app, file) : path.join(loaders, file);
  const lines = fs.readFileSync(full, "utf8").split("\n");
  const i = lines.findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`${needle} not in ${file}`);
  return `${i + 1}:${lines[i].indexOf(needle) + 1}`;
}

const mainAllocs = () => [
  `new ArrayBuffer 16 src/main.ts:${at("src/main.ts", "new ArrayBuffer(16)")}`,
  // inside the @track_caller makeBuffer: the caller's line
  `new Uint8Array 32 src/main.ts:${at("src/main.ts", "makeBuffer(32)")}`,
  `new Float64Array 32 src/lib/samples.ts:${at("src/lib/samples.ts", "new Float64Array")}`,
];

/** No stack trace of ours and no raw TypeError in a tool's output. */
function noStackNoTypeError(text) {
  expect(text).to.not.match(/TypeError/);
  expect(text).to.not.match(/at .*dist\/transformer\//);
}

describe(`ts-loader ${version("ts-loader")} + webpack ${version("webpack")}`, function () {
  this.timeout(120_000);

  it("getCustomTransformers: the bundle logs every alloc at the project's own lines", async () => {
    const dir = project();
    const built = await node(["webpack-build.js"], dir);
    expect(built.stderr).to.equal("");
    expect(built.status).to.equal(0);
    const run = await traced(["bundle/main.js"], dir);
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout).to.equal("16 32 4\n");
    expect(run.events).to.deep.equal(mainAllocs());
  });

  it("transpileOnly: the build fails with one error that says what to change", async () => {
    const dir = project();
    const built = await node(["webpack-build.js"], dir, { TRANSPILE_ONLY: "1" });
    expect(built.status).to.equal(1);
    expect(built.stderr.match(/traced-allocator: /g)).to.have.length(1);
    expect(built.stderr).to.include("src/main.ts is compiled on its own, without a type checker").and.include("Turn that option off");
    noStackNoTypeError(built.stderr);
  });
});

describe(`ts-jest ${version("ts-jest")} + Jest ${version("jest")}`, function () {
  this.timeout(120_000);
  const jest = ["node_modules/jest/bin/jest.js", "--runInBand", "--no-cache", "--ci"];
  const testAllocs = (prefix = "src/") => [
    `new Uint8Array 8 ${prefix}alloc.test.ts:${at("src/alloc.test.ts", "new Uint8Array(8)")}`,
    `new Float64Array 16 ${prefix}lib/samples.ts:${at("src/lib/samples.ts", "new Float64Array")}`,
  ];

  it("astTransformers with traced-allocator/ts-jest: a test's allocations at its own lines", async () => {
    const dir = project();
    const r = await traced(jest, dir);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/Tests:\s+1 passed, 1 total/);
    expect(r.stderr).to.not.match(/Missing transformer (name|version)/i);
    expect(r.events).to.deep.equal(testAllocs());
  });

  it("{ path, options }: the plugin options reach the transformer (root: src)", async () => {
    const dir = project();
    fs.writeFileSync(
      path.join(dir, "jest.config.js"),
      `module.exports = { testEnvironment: "node", roots: ["<rootDir>/src"], transform: { "^.+\\\\.ts$": ["ts-jest", { astTransformers: { before: [{ path: "traced-allocator/ts-jest", options: { root: "src" } }] } }] } };\n`,
    );
    const r = await traced(jest, dir);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.events).to.deep.equal(testAllocs(""));
  });

  it("isolatedModules: the suite fails with one message that says what to set", async () => {
    const dir = project();
    const config = path.join(dir, "tsconfig.json");
    const c = JSON.parse(fs.readFileSync(config, "utf8"));
    c.compilerOptions.isolatedModules = true;
    fs.writeFileSync(config, JSON.stringify(c));
    const r = await node(jest, dir);
    expect(r.status).to.equal(1);
    expect(r.stderr.match(/traced-allocator\/ts-jest: /g)).to.have.length(1);
    expect(r.stderr).to.include("isolatedModules is true").and.include("tsconfig: { isolatedModules: false }");
    noStackNoTypeError(r.stderr);
  });
});

describe(`ts-node ${version("ts-node")}`, function () {
  this.timeout(120_000);

  it("node -r traced-allocator/ts-node: every alloc at the project's own lines", async () => {
    const dir = project();
    const r = await traced(["-r", "traced-allocator/ts-node", "src/main.ts"], dir);
    expect(r.stderr).to.equal("");
    expect(r.status).to.equal(0);
    expect(r.stdout).to.equal("16 32 4\n");
    expect(r.events).to.deep.equal(mainAllocs());
  });

  it("transpileOnly: exit 1 with one message that says what to change, before the program runs", async () => {
    const dir = project();
    const r = await traced(["-r", "traced-allocator/ts-node", "src/main.ts"], dir, { TS_NODE_TRANSPILE_ONLY: "true" });
    expect(r.status).to.equal(1);
    expect(r.stdout).to.equal("");
    expect(r.stderr).to.match(/^traced-allocator\/ts-node: ts-node runs with transpileOnly.*Turn transpileOnly off/);
    expect(r.stderr.trim().split("\n")).to.have.length(1);
  });

  it("a project whose typescript is 7: ts-node gets traced-allocator's own TypeScript 6", async () => {
    const fake = path.join(root, "typescript7");
    fs.mkdirSync(fake, { recursive: true });
    fs.writeFileSync(path.join(fake, "package.json"), JSON.stringify({ name: "typescript", version: "7.0.2", main: "version.cjs" }));
    fs.writeFileSync(path.join(fake, "version.cjs"), 'module.exports = { version: "7.0.2", versionMajorMinor: "7.0" };\n');
    const dir = project({ typescript: fake });
    const r = await traced(["-r", "traced-allocator/ts-node", "src/main.ts"], dir);
    expect(r.stderr).to.equal("");
    expect(r.status).to.equal(0);
    expect(r.events).to.deep.equal(mainAllocs());
  });
});

describe("the transformer called by hand without a type checker", () => {
  it("no program (a hand-written ts-jest adapter under isolatedModules): our message, not a TypeError", () => {
    expect(() => transformer.default(undefined)).to.throw(/traced-allocator: the code is compiled on its own, without a type checker/);
  });

  it("ts.transpileModule: one error at the first file, then files are left as they are", () => {
    const ts = require("typescript");
    const factory = transformer.default(() => undefined);
    const opts = { compilerOptions: { module: ts.ModuleKind.CommonJS }, transformers: { before: [factory] } };
    expect(() => ts.transpileModule("const a = new Uint8Array(1);", { ...opts, fileName: "a.ts" })).to.throw(/a\.ts is compiled on its own/);
    const second = ts.transpileModule("const b = new Uint8Array(2);", { ...opts, fileName: "b.ts" });
    expect(second.outputText).to.not.include("traced-allocator");
  });
});
