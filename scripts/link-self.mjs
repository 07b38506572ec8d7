// Development only (run by `prepare`): node_modules/traced-allocator -> this repository, so that
// the fixtures' tsconfig can name the plugin as a user does ("traced-allocator/transformer") and
// tspc finds it. ts-patch resolves transformers from typescript's own folder, where Node's package
// self-reference does not apply. Does nothing in an installed copy (which has no fixtures/).
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const link = path.join(root, "node_modules", "traced-allocator");
if (fs.existsSync(path.join(root, "fixtures")) && fs.existsSync(path.join(root, "node_modules"))) {
  let current;
  try {
    current = fs.readlinkSync(link);
  } catch {
    current = undefined;
  }
  if (current !== "..") {
    fs.rmSync(link, { recursive: true, force: true });
    fs.symlinkSync("..", link, "dir");
  }
}
