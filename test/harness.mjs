// Test harness: compiles a fixture project in-process with the TypeScript selected by
// TA_TYPESCRIPT (a path to a `typescript` package; default: this repo's), with or without the
// plugin, writes the output into a scratch folder that can resolve `traced-allocator`, and runs it.
import { createRequire } from "node:module";
import * as fs from "node:fs";
import * as path from "node:path";
import * as os from "node:os";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const fixturesDir = path.join(repoRoot, "fixtures");

export const ts = require(process.env.TA_TYPESCRIPT ? path.resolve(process.env.TA_TYPESCRIPT) : "typescript");
export const tsMajor = Number(ts.version.split(".")[0]);
const plugin = require(path.join(repoRoot, "dist/transformer/index.js")).default;

const scratchRoot = fs.mkdtempSync(path.join(os.tmpdir(), "traced-alloc-test-"));
let scratchCount = 0;

/** A fresh folder with node_modules/traced-allocator pointing at this repo. */
export function scratch(name = "run") {
  const dir = path.join(scratchRoot, `${name}-${++scratchCount}`);
  fs.mkdirSync(path.join(dir, "node_modules"), { recursive: true });
  fs.symlinkSync(repoRoot, path.join(dir, "node_modules", "traced-allocator"), "dir");
  return dir;
}

/**
 * Compiles `project` (a folder with tsconfig.json, or {files, compilerOptions}) into a scratch folder.
 * Returns {outDir, files: {relative path: text}, diagnostics: [strings]}.
 */
export function compile(project, { plugin: withPlugin = true, pluginConfig = {}, outName } = {}) {
  const { projectDir, program, outDir } = programOf(project, outName);
  return emitInto(program, projectDir, outDir, outDir, withPlugin, pluginConfig);
}

/** The program of `project`, its output folder set to a new scratch folder. */
function programOf(project, outName) {
  const projectDir = typeof project === "string" ? project : writeProject(project);
  const configPath = path.join(projectDir, "tsconfig.json");
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, "\n"));
  const outDir = scratch(outName ?? path.basename(projectDir));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, projectDir, { outDir }, configPath);
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options, projectReferences: parsed.projectReferences });
  return { projectDir, program, outDir };
}

/**
 * Emits `program` (whose output folder is `fromDir`) into `outDir`, with or without the plugin.
 * Returns {outDir, files: {relative path: text}, diagnostics: [strings], projectDir}.
 */
function emitInto(program, projectDir, fromDir, outDir, withPlugin, pluginConfig) {
  const extraDiagnostics = [];
  const before = withPlugin
    ? [plugin(program, { transform: "traced-allocator/transformer", ...pluginConfig }, { ts, addDiagnostic: (d) => extraDiagnostics.push(d) })]
    : [];
  const files = {};
  const emit = program.emit(
    undefined,
    (fileName, text) => {
      const rel = path.relative(fromDir, fileName);
      const target = path.join(outDir, rel);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, text);
      files[rel.split(path.sep).join("/")] = text;
    },
    undefined,
    false,
    { before },
  );
  // The fixtures' own package.json (e.g. "type": "module") must sit beside the output.
  const pkg = path.join(projectDir, "package.json");
  if (fs.existsSync(pkg)) fs.copyFileSync(pkg, path.join(outDir, "package.json"));
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emit.diagnostics, ...extraDiagnostics].map((d) =>
    ts.flattenDiagnosticMessageText(d.messageText, "\n"),
  );
  return { outDir, files, diagnostics, projectDir };
}

/** Writes {files: {name: text}, compilerOptions} as a project folder; returns the folder. */
export function writeProject({ files, compilerOptions = {}, packageJson }) {
  const dir = scratch("project");
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  const options = {
    target: "ES2022",
    module: "commonjs",
    lib: ["ES2024"],
    types: ["node"],
    typeRoots: [path.join(repoRoot, "node_modules/@types")],
    strict: true,
    sourceMap: true,
    declaration: true,
    rootDir: ".",
    skipLibCheck: true,
    ...compilerOptions,
  };
  fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: options, include: ["**/*.ts"], exclude: ["node_modules"] }));
  if (packageJson) fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(packageJson));
  return dir;
}

/** Runs node on a file; returns {status, stdout, stderr, signal}. */
export function run(file, { env = {}, args = [], nodeArgs = [], cwd, input } = {}) {
  const res = spawnSync(process.execPath, [...nodeArgs, file, ...args], {
    cwd: cwd ?? path.dirname(file),
    env: { ...process.env, TRACED_ALLOC: "", ...env },
    encoding: "utf8",
    input,
    timeout: 60_000,
  });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr, signal: res.signal };
}

/** Runs with TRACED_ALLOC=ndjson=<file> and returns the parsed events and the run. */
export function runNdjson(file, opts = {}) {
  const out = path.join(path.dirname(file), `trace-${++scratchCount}.ndjson`);
  const extra = opts.extra ? `,${opts.extra}` : "";
  const r = run(file, { ...opts, env: { ...(opts.env ?? {}), TRACED_ALLOC: `ndjson=${out}${extra}` } });
  const text = fs.existsSync(out) ? fs.readFileSync(out, "utf8") : "";
  const records = text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  // Trace format 1: header records (one per thread) and events.
  const events = records.filter((e) => e.event !== undefined);
  const headers = records.filter((e) => e.trace === "traced-allocator");
  return { ...r, events, headers, records, text };
}

/** The `log` lines of a run's stderr. */
export function logLines(stderr) {
  return stderr.split("\n").filter((l) => /^(alloc|realloc|dealloc) /.test(l));
}

export function cleanup() {
  fs.rmSync(scratchRoot, { recursive: true, force: true });
}

/**
 * Compiles `project` twice from one program (one type check, for large projects): plain first,
 * then with the plugin, each into a scratch folder of its own. The two folders are siblings, so the
 * relative paths in the source maps hold for both. Returns {plain, traced}, each as compile() does.
 */
export function compilePair(project, { pluginConfig = {}, outName } = {}) {
  const { projectDir, program, outDir } = programOf(project, outName);
  const plain = emitInto(program, projectDir, outDir, outDir, false, pluginConfig);
  const traced = emitInto(program, projectDir, outDir, scratch(outName ?? path.basename(projectDir)), true, pluginConfig);
  return { plain, traced };
}
