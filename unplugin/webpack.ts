/** traced-allocator/webpack: the traced rewrite as a plugin for webpack (see ./index.ts for the options). */
import { unplugin } from "./index";

export = unplugin.webpack;
