/** traced-allocator/vite: the traced rewrite as a plugin for vite (see ./index.ts for the options). */
import { unplugin } from "./index";

export = unplugin.vite;
