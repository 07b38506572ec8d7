/**
 * `traced-alloc html <trace> [-o report.html]`: the trace as one self-contained HTML page (see
 * html/page.ts), written next to the trace as `<trace name>.html` unless `-o` says where (`-o -`:
 * standard output).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "./args";
import { type Command, type Io, UsageError } from "./command";
import { human } from "./format";
import type { Trace } from "./model";
import { renderPage } from "./html/page";
import { flameGraphScripts } from "./html/vendor";
import { readTrace } from "./trace";

const help = `traced-alloc html <trace> [-o report.html]

Writes the trace as one self-contained HTML page, to open in any browser from disk (it loads
nothing from the network): the totals and the peak, live bytes over time with the peak marked,
what was held at the peak, a table of sites (file:line:col, kind, allocs, reallocs, bytes, at peak,
live; click a header to sort, type in the box to filter) and a flame graph of the bytes allocated
(a @track_caller call: the caller's line, with the site inside the function above it).
~ marks an estimate, as in the runtime's summary.

Options:
  -o, --output FILE  where to write the page (default: the trace's name with .html, beside it;
                     - for standard output)
  -h, --help         this text

Example:
  TRACED_ALLOC=ndjson=trace.ndjson node dist/main.js
  traced-alloc html trace.ndjson        # writes trace.html
`;

/** The page for a trace, with the flame graph renderer bundled in. */
export function htmlOf(trace: Trace): string {
  return renderPage(trace, flameGraphScripts());
}

/** `trace.ndjson` -> `trace.html`; a name without an extension gets `.html` added. */
export function defaultOutput(tracePath: string): string {
  const ext = path.extname(tracePath);
  return (ext ? tracePath.slice(0, -ext.length) : tracePath) + ".html";
}

export const command: Command = {
  name: "html",
  summary: "one self-contained HTML page: totals, peak, live bytes over time, site table, flame graph",
  help,
  async run(args: string[], io: Io): Promise<number> {
    const a = parse("html", args, { output: { type: "string", short: "o" } }, ["trace"]);
    if (a.help) {
      io.out(help);
      return 0;
    }
    const traceArg = a.positionals[0];
    const output = (a.options.output as string | undefined) ?? defaultOutput(traceArg);
    if (output === "") throw new UsageError("html: -o needs a file name (see 'traced-alloc html --help')");
    const tracePath = path.resolve(io.cwd, traceArg);
    const outPath = output === "-" ? "-" : path.resolve(io.cwd, output);
    if (outPath === tracePath) throw new UsageError(`html: -o ${output} would overwrite the trace: choose another file`);
    const trace = await readTrace(tracePath, { name: traceArg, onWarning: (m) => io.err(`traced-alloc: warning: ${m}\n`) });
    const page = htmlOf(trace);
    if (outPath === "-") {
      io.out(page);
      return 0;
    }
    try {
      fs.writeFileSync(outPath, page);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new UsageError(`html: cannot write ${output}: ${err.code ?? err.message} (choose another file with -o)`);
    }
    io.out(`${output}: ${human(Buffer.byteLength(page))}, ${trace.sites.length} sites, from ${traceArg}\n`);
    return 0;
  },
};
