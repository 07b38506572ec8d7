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
      options.runtime = value;
    }
  }
  return { options, errors };
}
