/**
 * `traced-alloc export <trace> --format heapprofile|pprof|speedscope|collapsed [-o file] [--weight W]`:
 * a trace as a file for the viewers people already use. Each exporter (exporters/) is a pure
 * function of the `Trace`; this module reads the arguments, the trace, and writes the result.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "./args";
import { UsageError, type Command, type Io } from "./command";
import { collapsed } from "./exporters/collapsed";
import { heapProfile } from "./exporters/heapprofile";
import { pprof } from "./exporters/pprof";
import { speedscope } from "./exporters/speedscope";
import { weightOf, WEIGHTS, type Weight } from "./exporters/stacks";
import type { Trace } from "./model";
import { readTrace } from "./trace";

const FORMATS = ["heapprofile", "pprof", "speedscope", "collapsed"] as const;
type Format = (typeof FORMATS)[number];

/** What to do with the file once written: one line on stderr. */
const OPEN: Record<Format, string> = {
  heapprofile: "Chrome DevTools: Memory > Load profile; VS Code: open the file",
  pprof: "go tool pprof -top -lines <file>, or go tool pprof -http=: <file>",
  speedscope: "drop it on https://www.speedscope.app, or npx speedscope <file>",
  collapsed: "flamegraph.pl <file> > flame.svg (or inferno-flamegraph, or speedscope)",
};

const help = `traced-alloc export <trace> --format FORMAT [-o FILE] [--weight WEIGHT]

Writes the trace as a file for a profile viewer. Every row of the summary is a stack:
a site is one frame, "kind (file:line:col)", e.g. "new Uint8Array (src/a.ts:3:9)"; an
allocation reported at a @track_caller caller's line is two frames, the caller's line
(named after the marked function it called) and, under it, the site inside that function.
With more than one thread, stacks start with a "thread N" frame.

Formats:
  heapprofile  DevTools' SamplingHeapProfile JSON, for Chrome DevTools (Memory panel >
               Load profile; the file name must end in .heapprofile) and VS Code (open the
               file: a table; with the Flame Chart Visualizer extension, the flame button).
               Lines and columns 0-based, as the protocol has them; urls
               file:///<root>/<file>. Self size = WEIGHT, in bytes.
  pprof        gzipped profile.proto, for go tool pprof (-top -lines, -http=:). Binary: needs
               -o. Sample types alloc_objects (allocations + reallocations), alloc_space
               (bytes allocated, the default), inuse_objects and inuse_space (live at exit),
               peak_space (held at the peak); lines with line and column. --weight unused.
  speedscope   speedscope's file format (https://www.speedscope.app, npx speedscope FILE):
               one profile per weight below, WEIGHT's first; frames with file, line, col.
  collapsed    folded stacks, "frame;frame weight", for flamegraph.pl and inferno.

Weights (--weight, default bytes):
  bytes        bytes allocated at the site (at a realloc's own row: the growth)
  allocs       allocations and reallocations (not for heapprofile, whose sizes are bytes)
  live         bytes still live at exit: what a heap profile taken at exit shows (leaks)
  peak         bytes held at the peak of live bytes
Live and peak are estimates where the trace's lifetimes were sampled. Figures are those of
traced-alloc report for the same trace, rounded to whole numbers; stacks weighing 0 are left out.

Options:
  -f, --format FORMAT   heapprofile, pprof, speedscope or collapsed (required)
  -o, --output FILE     write to FILE (default: stdout, except pprof)
  -w, --weight WEIGHT   bytes, allocs, live or peak
  -h, --help            this text

Examples:
  traced-alloc export trace.ndjson --format heapprofile -o allocs.heapprofile
  traced-alloc export trace.ndjson --format pprof -o allocs.pb.gz && go tool pprof -top -lines allocs.pb.gz
  traced-alloc export trace.ndjson --format collapsed | flamegraph.pl > flame.svg
`;

function version(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(__dirname, "../../package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

/** The file's contents in `format`. */
export function exportTrace(trace: Trace, format: Format, weight: Weight): string | Buffer {
  switch (format) {
    case "heapprofile":
      if (weight === "allocs") {
        throw new UsageError("export: --weight allocs does not fit heapprofile: DevTools shows its sizes as bytes (use bytes, live or peak)");
      }
      return heapProfile(trace, weight);
    case "pprof":
      return pprof(trace);
    case "speedscope":
      return speedscope(trace, weight, `traced-alloc ${version()}`);
    case "collapsed":
      return collapsed(trace, weight);
  }
}

async function run(args: string[], io: Io): Promise<number> {
  const a = parse(
    "export",
    args,
    {
      format: { type: "string", short: "f", choices: FORMATS },
      output: { type: "string", short: "o" },
      weight: { type: "string", short: "w", choices: Object.keys(WEIGHTS) },
    },
    ["trace"],
  );
  if (a.help) {
    io.out(help);
    return 0;
  }
  const format = a.options.format as Format | undefined;
  if (format === undefined) throw new UsageError(`export: --format is needed: one of ${FORMATS.join(", ")} (see 'traced-alloc export --help')`);
  const weight = (a.options.weight ?? "bytes") as Weight;
  const output = a.options.output as string | undefined;
  if (format === "pprof" && output === undefined) {
    throw new UsageError("export: pprof is a binary (gzipped) file: give it a name with -o, e.g. -o profile.pb.gz");
  }
  if (output === "") throw new UsageError("export: -o needs a file name");

  if (format === "pprof" && a.options.weight !== undefined) {
    io.err("traced-alloc export: warning: pprof holds every weight as a sample type (go tool pprof -sample_index=inuse_space …): --weight is not used\n");
  }

  const arg = a.positionals[0];
  const trace = await readTrace(path.resolve(io.cwd, arg), { name: arg, onWarning: (m) => io.err(`traced-alloc export: warning: ${m}\n`) });
  const content = exportTrace(trace, format, weight);

  const measured: Weight = format === "pprof" ? "bytes" : weight;
  if (trace.sites.every((s) => weightOf(s, measured) <= 0)) {
    io.err(`traced-alloc export: warning: the trace has no ${WEIGHTS[measured].label}: the ${format} export is empty\n`);
  }
  if (output === undefined) {
    const text = content.toString();
    io.out(text === "" || text.endsWith("\n") ? text : `${text}\n`);
    return 0;
  }
  const target = path.resolve(io.cwd, output);
  try {
    fs.writeFileSync(target, content);
  } catch (e) {
    throw new UsageError(`export: cannot write ${output}: ${(e as Error).message}`);
  }
  if (format === "heapprofile" && !output.endsWith(".heapprofile")) {
    io.err(`traced-alloc export: warning: DevTools loads a heap profile only from a file named *.heapprofile (not ${path.basename(output)})\n`);
  }
  io.err(`wrote ${output} (${format}, ${Buffer.byteLength(content)} bytes): ${OPEN[format].replaceAll("<file>", output)}\n`);
  return 0;
}

export const command: Command = {
  name: "export",
  summary: "a trace as a heapprofile (DevTools, VS Code), pprof, speedscope or collapsed (flame graph) file",
  help,
  run,
};
