/** traced-allocator/esbuild: the traced rewrite as a plugin for esbuild (see ./index.ts for the options). */
import { unplugin } from "./index";

export = unplugin.esbuild;
