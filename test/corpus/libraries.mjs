// The corpus: real TypeScript libraries that ship their sources in their npm packages (installed
// as devDependencies). Each is copied, unedited, into a scratch project with a tsconfig that
// compiles it (no diagnostics), built plain and traced, and exercised by its driver in drivers/.
import * as fs from "node:fs";
import * as path from "node:path";
import { repoRoot, scratch } from "../harness.mjs";

const nodeModules = path.join(repoRoot, "node_modules");
export const driversDir = path.join(repoRoot, "test/corpus/drivers");

// Common to all: CommonJS output (loaded by the drivers with require()), source maps (for V8's
// source-mapped frames), no declarations (not needed here, and they cost build time).
const BASE = { target: "ES2022", module: "commonjs", strict: true, sourceMap: true, skipLibCheck: true, rootDir: ".", declaration: false };

// knownGaps: calls V8 sees of a built-in in the table that the traced build does not report, each
// a known issue-7 item with the reason (the corpus test fails on any other).
export const LIBRARIES = [
  {
    name: "@msgpack/msgpack",
    src: "src",
    // Imports carry explicit `.ts` extensions: rewriteRelativeImportExtensions turns them into `.js`.
    compilerOptions: { lib: ["ES2024", "DOM"], types: [], rewriteRelativeImportExtensions: true },
    driver: "msgpack.mjs",
  },
  {
    name: "@noble/hashes",
    src: "src",
    compilerOptions: { lib: ["ES2024", "DOM"], types: [], rewriteRelativeImportExtensions: true },
    driver: "noble-hashes.mjs",
    knownGaps: [
      {
        kind: "TextEncoder.prototype.encode",
        pos: "src/utils.ts:646:37",
        why: "`new TextEncoder().encode(str)` under the library's own `declare const TextEncoder: any`: a method of an `any` value (issue 7: ambient declarations and casts)",
      },
    ],
  },
  {
    name: "bson",
    src: "src",
    // Its own ambient declarations (`declare const Buffer`, TextEncoder, WebAssembly) stand in for
    // the DOM and Node.js types: no lib beyond ES2024, no @types.
    compilerOptions: { lib: ["ES2024"], types: [] },
    driver: "bson.mjs",
  },
  {
    name: "@scure/base",
    src: "index.ts", // one file at the package root
    compilerOptions: { lib: ["ES2024"], types: [] },
    driver: "scure-base.mjs",
    knownGaps: [
      {
        kind: "TextEncoder.prototype.encode",
        pos: "src/index.ts:1434:67",
        why: "`(_utf8Encoder || (_utf8Encoder = new TextEncoder())).encode(str)` under `declare const TextEncoder: any`: a method of an `any` value (issue 7: ambient declarations and casts)",
      },
    ],
  },
];

export function versionOf(lib) {
  return JSON.parse(fs.readFileSync(path.join(nodeModules, lib.name, "package.json"), "utf8")).version;
}

/** Copies the library's TypeScript sources into <scratch>/src and writes its tsconfig; returns the folder. */
export function writeLibraryProject(lib) {
  const dir = fs.realpathSync(scratch(`corpus-${lib.name.replace(/[@/]/g, "")}`));
  const from = path.join(nodeModules, lib.name, lib.src);
  const to = path.join(dir, "src");
  if (fs.statSync(from).isDirectory()) {
    fs.cpSync(from, to, { recursive: true, filter: (p) => fs.statSync(p).isDirectory() || (p.endsWith(".ts") && !p.endsWith(".d.ts")) });
  } else {
    fs.mkdirSync(to, { recursive: true });
    fs.copyFileSync(from, path.join(to, path.basename(from)));
  }
  const compilerOptions = { ...BASE, ...lib.compilerOptions };
  fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, include: ["src/**/*.ts"] }, null, 2));
  return dir;
}

/** The library's source files, relative to its project folder ("src/Encoder.ts"). */
export function sourceFiles(projectDir) {
  const files = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts")) files.push(path.relative(projectDir, p).split(path.sep).join("/"));
    }
  };
  walk(path.join(projectDir, "src"));
  return files;
}
