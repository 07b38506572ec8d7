/**
 * traced-allocator/bun: the traced rewrite as a Bun plugin (see ./index.ts for the options), for
 * the bundler and for the runtime:
 *
 *   await Bun.build({ entrypoints: ["src/main.ts"], target: "node", plugins: [tracedAllocator()] });
 *   Bun.plugin(tracedAllocator());   // in a --preload script: `bun run src/main.ts` runs traced
 *
 * Bun.build gets unplugin's Bun plugin. The runtime (Bun.plugin) does not take it: there setup's
 * `build` has no `config`, which unplugin reads, and an onLoad callback must return the module
 * (unplugin's catches every file and returns nothing for those it leaves alone). So at run time
 * the plugin loads TypeScript files only, and returns each one, rewritten or as it is.
 */
import * as fs from "node:fs";
import { unplugin, unpluginFactory, INCLUDE, EXCLUDE, type Options } from "./index";

/** What this file uses of Bun's PluginBuilder (Bun's types are not a dependency). */
interface Builder {
  config?: unknown;
  onLoad(
    options: { filter: RegExp; namespace?: string },
    callback: (args: { path: string; loader?: string }) => { contents: string; loader: string },
  ): unknown;
}

function tracedAllocator(options?: Options): { name: string; setup(build: Builder): unknown } {
  const bundler = unplugin.bun(options);
  return {
    name: bundler.name,
    setup(build) {
      if (build.config !== undefined) return bundler.setup(build as never);
      const { transform } = unpluginFactory(options, { framework: "bun", versions: {} }) as { transform: { handler(code: string, id: string): { code: string; map: { toUrl(): string } } | undefined } };
      build.onLoad({ filter: /\.(?:[cm]?ts|tsx)$/, namespace: "file" }, ({ path, loader }) => {
        const code = fs.readFileSync(path, "utf8");
        const out = INCLUDE.test(path) && !EXCLUDE.test(path) ? transform.handler(code, path) : undefined;
        // Bun's runtime reads no source map from a plugin (the rewrite keeps every line on its line).
        return { contents: out ? `${out.code}\n//# sourceMappingURL=${out.map.toUrl()}\n` : code, loader: loader ?? (path.endsWith("x") ? "tsx" : "ts") };
      });
    },
  };
}

export = tracedAllocator;
