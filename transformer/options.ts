/** Plugin options: what a tsconfig `plugins` entry may say, checked into clear messages. */
import * as fs from "node:fs";
import * as path from "node:path";
import { RUNTIME_MODULE } from "../runtime/names";

export interface Options {
  /** Folder that site paths are relative to. Default: the folder of the tsconfig. */
  root: string;
  /** Module specifier that transformed code imports. */
  runtime: string;
}

/** Keys that ts-patch itself reads from a plugins entry. */
const TS_PATCH_KEYS = new Set([
  "transform",
  "type",
  "import",
  "after",
  "afterDeclarations",
  "transformProgram",
  "resolvePathAliases",
  "tsConfig",
  "name",
  "isEsm",
]);

const OURS: Record<string, string> = {
  root: "a folder, relative to the tsconfig, that site paths are relative to",
  runtime: `the module that transformed code imports (default "${RUNTIME_MODULE}")`,
};

/** Returns the options, or the messages that explain what is wrong and how to fix it. */
export function parseOptions(
  raw: Record<string, unknown>,
  projectDir: string,
): { options: Options; errors: string[] } {
  const errors: string[] = [];
  const options: Options = { root: projectDir, runtime: RUNTIME_MODULE };
  for (const [key, value] of Object.entries(raw ?? {})) {
    if (TS_PATCH_KEYS.has(key)) continue;
    if (!(key in OURS)) {
      errors.push(
        `traced-allocator: unknown plugin option '${key}'. Known options: ` +
          Object.entries(OURS)
            .map(([k, v]) => `'${k}' (${v})`)
            .join(", ") +
          `. Remove '${key}' from the plugins entry in tsconfig.json.`,
      );
      continue;
    }
    if (typeof value !== "string" || value === "") {
      errors.push(
        `traced-allocator: plugin option '${key}' must be a non-empty string (${OURS[key]}), but it is ${JSON.stringify(value)}.`,
      );
      continue;
    }
    if (key === "root") {
      const dir = path.resolve(projectDir, value);
      let isDir = false;
      try {
        isDir = fs.statSync(dir).isDirectory();
      } catch {
        isDir = false;
      }
      if (!isDir) {
        errors.push(
          `traced-allocator: plugin option 'root' is '${value}', but ${dir} is not a folder. ` +
            `Set 'root' to an existing folder relative to the tsconfig, or remove it to use the tsconfig's folder.`,
        );
        continue;
      }
      options.root = dir;
    } else {
      const wrong = runtimeProblem(value, projectDir);
      if (wrong !== undefined) {
        errors.push(wrong);
        continue;
      }
      options.runtime = value;
    }
  }
  if (!("runtime" in (raw ?? {})) && !resolves(RUNTIME_MODULE, projectDir)) {
    errors.push(
      `traced-allocator: the built program imports '${RUNTIME_MODULE}', but it cannot be found from ${projectDir}. ` +
        `Install traced-allocator in the project (npm install traced-allocator), or set the plugin option 'runtime' to a module that re-exports it.`,
    );
  }
  return { options, errors };
}

/** Whether `specifier` resolves from `dir` by Node's rules (one that exports only to `import` counts). */
function resolves(specifier: string, dir: string): boolean {
  try {
    require.resolve(specifier, { paths: [dir] });
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ERR_PACKAGE_PATH_NOT_EXPORTED";
  }
}

/**
 * Why the `runtime` option `value` would fail when the built program starts, or undefined. Every
 * output file imports it verbatim, so it must be a bare module name (or a package.json "imports"
 * `#name`) that resolves from the project. Resolved with Node's require conditions; a package that
 * exports only to `import` still passes (ESM output may load it). Not loaded: loading a runtime in the
 * compiler would start tracing the compiler.
 */
export function runtimeProblem(value: string, projectDir: string): string | undefined {
  const fix = `Set 'runtime' to a module name that the built program can import (e.g. '${RUNTIME_MODULE}'), or remove it.`;
  if (value.startsWith(".") || path.isAbsolute(value)) {
    return (
      `traced-allocator: plugin option 'runtime' is '${value}', a path: every output file imports it as written, ` +
      `so it would be looked up beside each file. ${fix} For a module of the project, name it in package.json "imports" ('#runtime').`
    );
  }
  if (value.startsWith("#") || resolves(value, projectDir)) return undefined;
  return `traced-allocator: plugin option 'runtime' is '${value}', but no such module can be found from ${projectDir}, so the built program would stop at start with "Cannot find module". ${fix}`;
}

/** This package's transformer module and its main (the package root, `"transform": "traced-allocator"`). */
const OUR_MODULES = new Set([require.resolve("./index"), require.resolve("../runtime")]);

/** Whether a plugins entry's `transform` names traced-allocator's transformer (resolved from `dir`, the tsconfig's folder). */
export function isOurTransform(transform: string, dir: string): boolean {
  if (/^traced-allocator(\/transformer)?$/.test(transform)) return true;
  try {
    return OUR_MODULES.has(require.resolve(transform, { paths: [dir] }));
  } catch {
    return false;
  }
}

/** A tsconfig `plugins` entry, as ts-patch reads it. */
export interface PluginEntry {
  transform?: string;
  after?: boolean;
  afterDeclarations?: boolean;
  [key: string]: unknown;
}

/**
 * Our entry among a program's `plugins` (undefined: none, the defaults apply), and the other
 * ts-patch transformers there. An entry without `transform` is a language service plugin: neither.
 */
export function pluginsOf(options: Readonly<Record<string, unknown>>): { entry: PluginEntry | undefined; others: string[] } {
  const plugins = Array.isArray(options.plugins) ? (options.plugins as PluginEntry[]) : [];
  const dir = typeof options.configFilePath === "string" ? path.dirname(options.configFilePath) : process.cwd();
  let entry: PluginEntry | undefined;
  const others: string[] = [];
  for (const p of plugins) {
    if (typeof p?.transform !== "string") continue;
    if (entry === undefined && isOurTransform(p.transform, dir)) entry = p;
    else others.push(p.transform);
  }
  return { entry, others };
}
