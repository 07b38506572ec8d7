/**
 * `traced-alloc html <trace> [-o report.html]`: the trace as one self-contained HTML page (see
 * html/page.ts), written next to the trace as `<trace name>.html` unless `-o` says where (`-o -`:
 * standard output).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { type Command, type Io, UsageError } from "./command";
import type { Trace } from "./model";
import { bytes } from "./html/format";
import { renderPage } from "./html/page";
import { flameGraphScripts } from "./html/vendor";

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

function parse(args: string[]): { trace: string; output?: string } | "help" {
  const positional: string[] = [];
  let output: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "-h" || a === "--help") return "help";
    if (a === "-o" || a === "--output") {
      if (i + 1 >= args.length) throw new UsageError(`${a} needs a file name: traced-alloc html <trace> -o report.html`);
      output = args[++i];
    } else if (a.startsWith("--output=")) output = a.slice("--output=".length);
    else if (a.startsWith("-") && a !== "-") throw new UsageError(`traced-alloc html: unknown option ${a} (see traced-alloc html --help)`);
    else positional.push(a);
  }
  if (positional.length === 0) throw new UsageError("traced-alloc html needs a trace file: traced-alloc html <trace> [-o report.html]");
  if (positional.length > 1)
    throw new UsageError(`traced-alloc html takes one trace, not ${positional.length} (${positional.join(", ")}): traced-alloc html <trace> [-o report.html]`);
  if (output === "") throw new UsageError("traced-alloc html: -o needs a file name");
  return { trace: positional[0], output };
}

export const command: Command = {
  name: "html",
  summary: "one self-contained HTML page: totals, peak, live bytes over time, site table, flame graph",
  help,
  async run(args: string[], io: Io): Promise<number> {
    const opts = parse(args);
    if (opts === "help") {
      io.out(help);
      return 0;
    }
    const tracePath = path.resolve(io.cwd, opts.trace);
    const output = opts.output ?? defaultOutput(opts.trace);
    const outPath = output === "-" ? "-" : path.resolve(io.cwd, output);
    if (outPath === tracePath) throw new UsageError(`traced-alloc html would overwrite the trace ${opts.trace}: choose another file with -o`);
    // cli/trace.ts is the shared reader (another part of the command line).
    const { readTrace } = require("./trace") as {
      readTrace(file: string, options: { name: string; onWarning(message: string): void }): Promise<Trace>;
    };
    const trace = await readTrace(tracePath, { name: opts.trace, onWarning: (m) => io.err(`traced-alloc html: warning: ${m}\n`) });
    const page = htmlOf(trace);
    if (outPath === "-") {
      io.out(page);
      return 0;
    }
    try {
      fs.writeFileSync(outPath, page);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new UsageError(`traced-alloc html cannot write ${output}: ${err.code ?? err.message} (choose another file with -o)`);
    }
    io.out(`${output}: ${bytes(Buffer.byteLength(page))}, ${trace.sites.length} sites, from ${opts.trace}\n`);
    return 0;
  },
};
