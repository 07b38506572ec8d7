// One path base (issue 7, point 5): every location in a run is relative to the project root (the
// tsconfig's folder), whether it was written into a site at build time or found on a stack at run
// time — a @track_caller function used as a callback, an Allocator called from unplugged .js — and
// whatever the working directory. The project is built as a user builds it: outDir inside it.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createRequire } from "node:module";
import { run, runNdjson, writeProject, repoRoot, ts } from "./harness.mjs";

const require = createRequire(import.meta.url);
const plugin = require(path.join(repoRoot, "dist/transformer/index.js")).default;

const HELPERS = `import { Location } from "traced-allocator/runtime";
/** @track_caller */
export function makeBytes(n: number): Uint8Array {
  console.error("caller " + Location.caller());
  return new Uint8Array(n);
}
`;
const MAIN = `import { makeBytes } from "./helpers";
const plain = require("../plain.js") as { pool(): object };
const direct = makeBytes(3);
const viaCallback = [5].map(makeBytes);
const own = new ArrayBuffer(8);
const pooled = plain.pool();
console.log(direct.length, viaCallback[0].length, own.byteLength, typeof pooled);
`;
// Built without the plugin: its Allocator call has no location passed, and no source map.
const PLAIN_JS = `const { Allocator, Layout } = require("traced-allocator/runtime");
exports.pool = function pool() { const o = {}; Allocator.alloc(o, new Layout(64, 8), "Plain.get"); return o; };
`;

/** `line:col` of `needle` in `src`. */
function where(src, needle) {
  const i = src.indexOf(needle);
  if (i < 0) throw new Error(`no ${needle}`);
  const before = src.slice(0, i).split("\n");
  return `${before.length}:${before[before.length - 1].length + 1}`;
}

/** Builds the project with the plugin into its own dist/, as `tspc -p <dir>` would. */
function build(dir) {
  const configPath = path.join(dir, "tsconfig.json");
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, dir, { outDir: path.join(dir, "dist") }, configPath);
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
  const diagnostics = [];
  const before = [plugin(program, { transform: "traced-allocator/transformer" }, { ts, addDiagnostic: (d) => diagnostics.push(d) })];
  const emit = program.emit(undefined, undefined, undefined, false, { before });
  return [...ts.getPreEmitDiagnostics(program), ...emit.diagnostics, ...diagnostics].map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
}

describe("one path base for sites and stack fallbacks", function () {
  this.timeout(60_000);
  let dir, main, elsewhere;
  before(() => {
    dir = writeProject({ files: { "src/main.ts": MAIN, "src/helpers.ts": HELPERS } });
    expect(build(dir)).to.deep.equal([]);
    fs.writeFileSync(path.join(dir, "dist/plain.js"), PLAIN_JS);
    main = path.join(dir, "dist/src/main.js");
    elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), "traced-alloc-cwd-"));
  });
  after(() => fs.rmSync(elsewhere, { recursive: true, force: true }));

  const expectedRows = (mapped) => [
    `src/main.ts:${where(MAIN, "makeBytes(3)")} new Uint8Array`, // passed by the call
    // a callback: the caller's stack frame, source-mapped or not, relative to the same root
    mapped ? `src/main.ts:${where(MAIN, "map(makeBytes)")} new Uint8Array` : /^dist\/src\/main\.js:\d+:\d+ new Uint8Array$/,
    `src/main.ts:${where(MAIN, "map(makeBytes)")} Array.prototype.map`, // the array .map() makes
    `src/main.ts:${where(MAIN, "new ArrayBuffer")} new ArrayBuffer`,
    `dist/plain.js:2:${PLAIN_JS.split("\n")[1].indexOf("alloc(o") + 1} Plain.get`, // unplugged code, no source map
  ];

  for (const [label, cwd] of [
    ["the filesystem root", () => path.parse(dir).root],
    ["an unrelated temporary folder", () => elsewhere],
    ["the project's folder", () => dir],
  ]) {
    for (const mapped of [true, false]) {
      it(`run from ${label}${mapped ? ", --enable-source-maps" : ", no source maps"}: every row is relative to the tsconfig's folder`, () => {
        const nodeArgs = mapped ? ["--enable-source-maps"] : [];
        const r = run(main, { cwd: cwd(), nodeArgs, env: { TRACED_ALLOC: "summary" } });
        expect(r.status, r.stderr).to.equal(0);
        expect(r.stdout).to.equal("3 5 8 object\n");
        const rows = r.stderr
          .split("\n")
          .filter((l) => /^\S+:\d+:\d+\s/.test(l))
          .map((l) => l.split(/\s{2,}/).slice(0, 2).join(" "));
        const want = expectedRows(mapped);
        expect(rows, rows.join("\n")).to.have.length(want.length);
        for (const w of want) {
          if (typeof w === "string") expect(rows).to.include(w);
          else expect(rows.some((row) => w.test(row)), `${w} in ${rows}`).to.equal(true);
        }
        // Location.caller() in the callback agrees with the event
        const callers = r.stderr.split("\n").filter((l) => l.startsWith("caller "));
        expect(callers[0]).to.equal(`caller src/main.ts:${where(MAIN, "makeBytes(3)")}`);
        expect(callers[1]).to.match(mapped ? new RegExp(`^caller src/main\\.ts:${where(MAIN, "map(makeBytes)")}$`) : /^caller dist\/src\/main\.js:\d+:\d+$/);
      });
    }
  }

  it("the ndjson trace, written from elsewhere, has the same relative files", () => {
    const r = runNdjson(main, { cwd: path.parse(dir).root, nodeArgs: ["--enable-source-maps"] });
    expect(r.status, r.stderr).to.equal(0);
    const files = new Set(r.events.filter((e) => e.event === "alloc").map((e) => e.file));
    expect([...files].sort()).to.deep.equal(["dist/plain.js", "src/main.ts"]);
  });
});
