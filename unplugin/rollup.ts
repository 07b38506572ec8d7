/** traced-allocator/rollup: the traced rewrite as a plugin for rollup (see ./index.ts for the options). */
import { unplugin } from "./index";

export = unplugin.rollup;
