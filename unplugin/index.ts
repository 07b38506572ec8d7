/**
 * traced-allocator/unplugin: the traced rewrite as a bundler plugin (Vite, Rollup, esbuild, webpack,
 * Rspack, Bun), for pipelines without TypeScript's transformer API: Vite and Vitest, esbuild, Bun,
 * projects on TypeScript 7. Each `.ts/.tsx/.mts/.cts` file outside node_modules is rewritten as
 * TypeScript text, before the bundler strips the types (`enforce: "pre"`), with a source map that
 * the bundler composes with its own. Types come from a TypeScript 5/6 program of the project's
 * tsconfig (see project.ts).
 *
 *   import { unplugin } from "traced-allocator/unplugin";   unplugin.vite(), unplugin.esbuild(), ...
 *   import tracedAllocator from "traced-allocator/vite";     (and /rollup, /esbuild, /webpack, /rspack, /bun)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { createUnplugin, type UnpluginFactory, type UnpluginInstance } from "unplugin";
import type * as ts from "typescript";
import { parseOptions, type Options as TransformOptions } from "../transformer/options";
import { rewriteText } from "../transformer/edits";
import { Project, loadTypeScript, readConfig } from "./project";

export interface Options {
  /** The project's tsconfig.json (relative to the working directory). Default: the nearest one from the bundler's root (Vite) or the working directory up. */
  tsconfig?: string;
  /** The folder that site paths are relative to, relative to the tsconfig's folder. Default: the tsconfig's folder. */
  root?: string;
  /** The module that rewritten code imports. Default: "traced-allocator/runtime". */
  runtime?: string;
}

const KNOWN: Record<keyof Options, string> = {
  tsconfig: "the project's tsconfig.json",
  root: "the folder site paths are relative to",
  runtime: "the module rewritten code imports",
};

/**
 * The files rewritten: TypeScript files (a query such as `?v=1` after the path allowed; not a part
 * of another file, `App.vue?vue&lang.ts`), not declarations, not in node_modules.
 */
export const INCLUDE = /^[^?]*\.(?:[cm]?ts|tsx)(?:\?.*)?$/;
export const EXCLUDE = /[\\/]node_modules[\\/]|\.d\.[cm]?ts(?:\?.*)?$|^\0/;

function checkOptions(raw: unknown): Options {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) throw new Error(`traced-allocator/unplugin: options must be an object, but they are ${JSON.stringify(raw)}.`);
  for (const [key, value] of Object.entries(raw)) {
    if (!(key in KNOWN)) {
      const known = Object.entries(KNOWN).map(([k, v]) => `'${k}' (${v})`).join(", ");
      throw new Error(`traced-allocator/unplugin: unknown option '${key}'. Known options: ${known}.`);
    }
    if (value !== undefined && (typeof value !== "string" || value === "")) {
      throw new Error(`traced-allocator/unplugin: option '${key}' must be a non-empty string (${KNOWN[key as keyof Options]}), but it is ${JSON.stringify(value)}.`);
    }
  }
  return raw as Options;
}

/** The tsconfig's project, and those it references (a Vite app's tsconfig.app.json), each made at the first file it lists. */
class Engine {
  private readonly ts: typeof import("typescript");
  private readonly main: Project;
  private readonly references: { configPath: string; project?: Project; parsed?: ts.ParsedCommandLine }[];
  private readonly options: TransformOptions;

  constructor(options: Options, start: string) {
    const configPath = this.findConfig(options, start);
    const dir = path.dirname(configPath);
    this.ts = loadTypeScript(dir);
    const parsed = readConfig(this.ts, configPath);
    const { options: transform, errors } = parseOptions(
      Object.fromEntries(Object.entries({ root: options.root, runtime: options.runtime }).filter(([, v]) => v !== undefined)),
      dir,
    );
    if (errors.length > 0) throw new Error(errors.join("\n"));
    this.options = transform;
    this.main = new Project(this.ts, configPath, transform, parsed);
    this.references = (parsed.projectReferences ?? []).map((r) => ({ configPath: this.ts.resolveProjectReferencePath(r) }));
  }

  private findConfig(options: Options, start: string): string {
    if (options.tsconfig) return path.resolve(options.tsconfig);
    // Before TypeScript is loaded (from the tsconfig's folder): ts.findConfigFile's walk up, by hand.
    for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, "tsconfig.json");
      if (fs.existsSync(candidate)) return candidate;
      if (path.dirname(dir) === dir) break;
    }
    throw new Error(
      `traced-allocator/unplugin: no tsconfig.json in ${start} or a folder above it; the plugin types the code with the project's TypeScript settings. ` +
        `Create one (npx tsc --init) or set the plugin's 'tsconfig' option.`,
    );
  }

  /** The project whose tsconfig lists the file: the main one, a referenced one, else the main one (the file added to it). */
  private projectFor(id: string): Project {
    if (this.main.has(id)) return this.main;
    const file = path.resolve(id).split(path.sep).join("/");
    for (const r of this.references) {
      if (r.project?.has(id)) return r.project;
      if (!r.project) {
        r.parsed ??= readConfig(this.ts, r.configPath);
        if (r.parsed.fileNames.some((f) => path.resolve(f).split(path.sep).join("/") === file)) {
          r.project = new Project(this.ts, r.configPath, this.options, r.parsed);
          return r.project;
        }
      }
    }
    return this.main;
  }

  transform(code: string, id: string): ReturnType<typeof rewriteText> {
    const file = id.replace(/\?.*$/, "");
    const { sf, fc } = this.projectFor(file).sourceFile(file, code);
    // A file that does not parse is the bundler's to report, as it would without us.
    if (fc.program.getSyntacticDiagnostics(sf).length > 0) return undefined;
    // The map names the original by its absolute path: bundlers resolve a relative one differently (webpack against the output).
    return rewriteText(fc, sf, file);
  }

  changed(id: string): void {
    this.main.changed(id);
    for (const r of this.references) r.project?.changed(id);
  }

  dispose(): void {
    this.main.dispose();
    for (const r of this.references) r.project?.dispose();
  }
}

/** This package's modules and the runtime that rewritten code imports: kept out of a bundle. */
function ownModules(options: Options): RegExp {
  const runtime = options.runtime ?? "traced-allocator/runtime";
  return new RegExp(`^(?:traced-allocator(?:/.*)?|${runtime.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")})$`);
}

export const unpluginFactory: UnpluginFactory<Options | undefined, false> = (raw) => {
  const options = checkOptions(raw);
  let start = process.cwd();
  let engine: Engine | undefined;
  return {
    name: "traced-allocator",
    enforce: "pre",
    transform: {
      filter: { id: { include: INCLUDE, exclude: EXCLUDE } },
      handler(code, id) {
        engine ??= new Engine(options, start);
        return engine.transform(code, id);
      },
    },
    watchChange(id) {
      engine?.changed(id);
    },
    vite: {
      configResolved(config) {
        start = config.root;
      },
    },
    esbuild: {
      setup(build) {
        // The runtime is loaded from node_modules when the bundle runs, not bundled in: esbuild's
        // ESM output cannot require() Node's built-ins from a bundled CommonJS package (the runtime
        // is one), and one copy of the runtime per process is one tracer.
        build.onResolve({ filter: ownModules(options) }, (args) => ({ path: args.path, external: true }));
      },
    },
    bun: {
      // Bun.build: the same (one tracer per process).
      setup(build) {
        build.onResolve({ filter: ownModules(options) }, (args: { path: string }) => ({ path: args.path, external: true }));
      },
    },
  };
};

export const unplugin: UnpluginInstance<Options | undefined, false> = createUnplugin(unpluginFactory);
