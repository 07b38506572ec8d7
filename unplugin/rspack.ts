/** traced-allocator/rspack: the traced rewrite as a plugin for rspack (see ./index.ts for the options). */
import { unplugin } from "./index";

export = unplugin.rspack;
