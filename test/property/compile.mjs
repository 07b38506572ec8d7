// One type check for both builds of a batch: the program is created once and emitted twice, plain
// and with the plugin, each into a scratch folder of its own (the harness's compile() creates a
// program per build, which doubles the cost of a 40-file batch).
import * as fs from "node:fs";
import * as path from "node:path";
import { createRequire } from "node:module";
import { ts, scratch, repoRoot } from "../harness.mjs";

const require = createRequire(import.meta.url);

export function compileBoth(projectDir) {
  const plugin = require(path.join(repoRoot, "dist/transformer/index.js")).default;
  const configPath = path.join(projectDir, "tsconfig.json");
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, "\n"));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, projectDir, {}, configPath);
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
  const pre = ts.getPreEmitDiagnostics(program);
  const emitInto = (name, withPlugin) => {
    const outDir = scratch(name);
    const extra = [];
    const before = withPlugin ? [plugin(program, { transform: "traced-allocator/transformer" }, { ts, addDiagnostic: (d) => extra.push(d) })] : [];
    const files = {};
    const emit = program.emit(
      undefined,
      (fileName, text) => {
        const rel = path.relative(program.getCompilerOptions().outDir ?? projectDir, fileName);
        const target = path.join(outDir, rel);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, text);
        files[rel.split(path.sep).join("/")] = text;
      },
      undefined,
      false,
      { before },
    );
    const diagnostics = [...pre, ...emit.diagnostics, ...extra].map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    return { outDir, files, diagnostics };
  };
  return { plain: emitInto("plain", false), traced: emitInto("traced", true) };
}
