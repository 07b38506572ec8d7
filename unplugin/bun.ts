/** traced-allocator/bun: the traced rewrite as a plugin for bun (see ./index.ts for the options). */
import { unplugin } from "./index";

export = unplugin.bun;
