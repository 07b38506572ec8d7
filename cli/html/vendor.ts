/**
 * The flame graph renderer bundled into every page: d3-flame-graph's UMD build and the UMD builds of
 * the d3 modules it needs, read from node_modules when the page is made (so they are dependencies of
 * this package, not devDependencies). Loaded in dependency order as classic scripts, each adds itself
 * to the global `d3` (d3-flame-graph: the global `flamegraph`).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError } from "../command";

export interface VendorScript {
  readonly name: string;
  readonly version: string;
  readonly license: string;
  /** The package's LICENSE file (the notice its license asks copies to carry), or "" when it has none. */
  readonly licenseText: string;
  readonly source: string;
}

interface PackageJson {
  name: string;
  version: string;
  license?: string;
  unpkg?: string;
  exports?: unknown;
  dependencies?: Record<string, string>;
}

/** The renderer's entry package; the rest follow from `dependencies`. */
const ENTRY = "d3-flame-graph";
/** d3-flame-graph ships no `unpkg` field: its browser build. */
const ENTRY_UMD = "dist/d3-flamegraph.umd.min.js";

let cached: VendorScript[] | undefined;

/** The scripts, dependencies first. Throws an Error naming the missing package when one is absent. */
export function flameGraphScripts(): VendorScript[] {
  cached ??= collect();
  return cached;
}

function collect(): VendorScript[] {
  const out: VendorScript[] = [];
  const seen = new Set<string>();
  // Depth first, a package after its dependencies; each dependency is resolved from the folder of the
  // package that needs it (npm may nest it there).
  const visit = (name: string, from: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const dir = packageDir(name, from);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as PackageJson;
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, dir);
    const file = name === ENTRY ? ENTRY_UMD : umdFile(pkg);
    const licenseFile = ["LICENSE", "LICENSE.md", "LICENSE.txt"].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
    out.push({
      name,
      version: pkg.version,
      license: pkg.license ?? "see its package",
      licenseText: licenseFile ? fs.readFileSync(licenseFile, "utf8").trim() : "",
      source: fs.readFileSync(path.join(dir, file), "utf8"),
    });
  };
  visit(ENTRY, __dirname);
  return out;
}

/** The folder of package `name` as Node resolves it from `from`. */
function packageDir(name: string, from: string): string {
  let entry: string;
  try {
    entry = require.resolve(name, { paths: [from] });
  } catch {
    throw new UsageError(`traced-alloc html needs the package ${name} (a dependency of traced-allocator): reinstall traced-allocator`);
  }
  // Walk up from the entry file to the folder whose package.json names the package.
  for (let dir = path.dirname(entry); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (fs.existsSync(file) && (JSON.parse(fs.readFileSync(file, "utf8")) as PackageJson).name === name) return dir;
  }
  throw new Error(`traced-alloc html: no package.json above ${entry}`);
}

/** A d3 module's browser build: its `exports` "umd" condition, else `unpkg`. */
function umdFile(pkg: PackageJson): string {
  const exp = pkg.exports as { umd?: string; ".": { umd?: string } } | undefined;
  const file = exp?.umd ?? exp?.["."]?.umd ?? pkg.unpkg;
  if (file === undefined) throw new Error(`traced-alloc html: package ${pkg.name} has no browser (UMD) build`);
  return file;
}
