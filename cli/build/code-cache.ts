/**
 * A V8 code cache for the TypeScript that `traced-alloc build` loads, where Node has no compile
 * cache of its own (module.enableCompileCache is Node 22.1 and later; TypeScript's bin/tsc turns it
 * on there, and so does the build). Without one, Node 20 compiles typescript.js (9 MB) afresh in
 * every build: about 0.25 s of CPU here, against 0.1 s from the cache, which is what tsc's own
 * lib/_tsc.js (6 MB, the compiler alone) costs uncached.
 *
 * The cache is a file in the system's temporary folder, named by the script's path, size and
 * mtime and by Node's version, architecture and flags; V8 checks it again and rejects a stale one.
 * It is written after the first build, so it holds the functions that build compiled. Anything
 * that goes wrong (no temporary folder, a full disk, a rejected cache) only means a plain
 * `require`. NODE_DISABLE_COMPILE_CACHE=1 turns it off, as it does Node's.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vm from "node:vm";
import { createHash } from "node:crypto";
import Module = require("node:module");

/** Smaller scripts load fast enough uncached. */
const WORTH_CACHING = 1 << 20;

/** What to write when the build is done: the script and where its cache goes. */
let pending: { script: vm.Script; file: string } | undefined;

/** Whether Node's own compile cache is on (then `require` is already cached). */
function nodeCaches(): boolean {
  const m = Module as unknown as { getCompileCacheDir?: () => string | undefined };
  return typeof m.getCompileCacheDir === "function" && m.getCompileCacheDir() !== undefined;
}

/** `require(file)` of a CommonJS script, compiled from a code cache when there is one. */
export function requireWithCodeCache(file: string): unknown {
  const loaded = require.cache[file];
  if (loaded) return loaded.exports;
  if (nodeCaches() || process.env.NODE_DISABLE_COMPILE_CACHE) return require(file);
  let source: string;
  let cacheFile: string;
  let cached: Buffer | undefined;
  let script: vm.Script;
  try {
    const stat = fs.statSync(file);
    if (stat.size < WORTH_CACHING) return require(file);
    source = fs.readFileSync(file, "utf8");
    const key = createHash("sha256")
      .update([file, stat.size, stat.mtimeMs, process.version, process.arch, process.execArgv.join(" ")].join("\0"))
      .digest("hex")
      .slice(0, 32);
    cacheFile = path.join(os.tmpdir(), "traced-allocator-code-cache", `${key}.bin`);
    try {
      cached = fs.readFileSync(cacheFile);
    } catch {
      cached = undefined; // the first build: written when it is done
    }
    const dynamicImport = (vm as unknown as { constants?: { USE_MAIN_CONTEXT_DEFAULT_LOADER?: symbol } }).constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER;
    script = new vm.Script(Module.wrap(source), {
      filename: file,
      cachedData: cached,
      ...(dynamicImport ? { importModuleDynamically: dynamicImport as never } : {}),
    });
  } catch {
    return require(file);
  }
  // A module as Node's loader makes one, in require.cache first: a later require() of the same file
  // (the transformer's, a plugin's) gets this instance.
  const m = new Module(file, module);
  m.filename = file;
  m.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(file));
  require.cache[file] = m;
  try {
    (script.runInThisContext() as (...args: unknown[]) => void).call(m.exports, m.exports, Module.createRequire(file), m, file, path.dirname(file));
  } catch (e) {
    delete require.cache[file];
    throw e;
  }
  m.loaded = true;
  if (cached === undefined || script.cachedDataRejected) pending = { script, file: cacheFile };
  return m.exports;
}

/** Writes the cache of the script loaded by requireWithCodeCache, if it had none (after a build). */
export function saveCodeCache(): void {
  const p = pending;
  pending = undefined;
  if (!p) return;
  try {
    const data = p.script.createCachedData();
    fs.mkdirSync(path.dirname(p.file), { recursive: true });
    const temp = `${p.file}.${process.pid}.tmp`;
    fs.writeFileSync(temp, data);
    fs.renameSync(temp, p.file); // whole or not at all, if two builds write at once
  } catch {
    // no cache this time: the next build tries again
  }
}
