#!/usr/bin/env node
/**
 * `traced-alloc <command> [args]`: finds the command in a table and runs it. Each command's module
 * is loaded (`require`) only when that command runs, so that one missing or broken module does not
 * break the others. Exit status: the command's (0 fine, 1 a check failed), 2 for bad usage or bad
 * input (a UsageError: one message, no stack), 70 for an internal error (a bug: message and stack;
 * 70 is EX_SOFTWARE of sysexits.h).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError, type Command, type Io } from "./command";

/** Every command: its module (beside this file) and one line for `--help`, known without loading it. */
const COMMANDS: readonly { name: string; module: string; summary: string }[] = [
  { name: "report", module: "./report", summary: "top sites, the peak, leaks, temporaries and threads of a trace" },
  { name: "diff", module: "./diff", summary: "two traces compared site by site (matched by stable key)" },
  { name: "export", module: "./export", summary: "a trace for Chrome DevTools / VS Code, pprof, speedscope or flame graphs" },
  { name: "html", module: "./html", summary: "one self-contained HTML report of a trace" },
  { name: "check", module: "./check", summary: "exit 1 when a trace passes a budget or grows past a baseline" },
  { name: "build", module: "./build", summary: "a traced build through TypeScript's API (no ts-patch)" },
];

/** Whether a command's module is part of this build. */
function present(module: string): boolean {
  try {
    require.resolve(module);
    return true;
  } catch {
    return false;
  }
}

function version(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")) as { version?: string };
    return pkg.version ?? "unknown";
  } catch {
    return "unknown";
  }
}

function help(): string {
  const list = COMMANDS.filter((c) => present(c.module));
  const w = Math.max(...list.map((c) => c.name.length));
  return (
    `Usage: traced-alloc <command> [args]\n\n` +
    `Reads the traces a program built with traced-allocator writes (TRACED_ALLOC=ndjson=<path>).\n\n` +
    `Commands:\n` +
    list.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}\n`).join("") +
    `\nOptions:\n  -h, --help     this text; 'traced-alloc <command> --help' for a command's\n  -V, --version  the version of traced-allocator\n\n` +
    `Exit status: 0 fine, 1 a check failed, 2 bad usage or bad input, 70 an internal error.\n`
  );
}

function unknown(name: string): UsageError {
  const list = COMMANDS.filter((c) => present(c.module)).map((c) => c.name);
  return new UsageError(`unknown command '${name}': the commands are ${list.join(", ")} (see 'traced-alloc --help')`);
}

function load(name: string): Command {
  const entry = COMMANDS.find((c) => c.name === name);
  if (entry === undefined) throw unknown(name);
  if (!present(entry.module)) throw new UsageError(`the command '${name}' is not part of this build of traced-alloc (see 'traced-alloc --help')`);
  const mod = require(entry.module) as { command?: Command };
  if (mod.command === undefined || typeof mod.command.run !== "function") throw new Error(`${entry.module} exports no command`);
  return mod.command;
}

export async function main(args: string[], io: Io): Promise<number> {
  const [first, ...rest] = args;
  if (first === undefined || first === "-h" || first === "--help" || first === "help") {
    if (first === "help" && rest.length > 0) return main([rest[0], "--help"], io);
    if (first === undefined) {
      io.err(help());
      return 2;
    }
    io.out(help());
    return 0;
  }
  if (first === "-V" || first === "--version") {
    io.out(`traced-alloc ${version()}\n`);
    return 0;
  }
  if (first.startsWith("-")) throw new UsageError(`unknown option ${first}: a command comes first (see 'traced-alloc --help')`);
  return load(first).run(rest, io);
}

/** The process's streams: a closed pipe on stdout (`| head`) ends the program quietly. */
function processIo(): Io {
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    cwd: process.cwd(),
    env: process.env,
  };
}

if (require.main === module) {
  const io = processIo();
  main(process.argv.slice(2), io).then(
    (status) => {
      process.exitCode = status;
    },
    (e: unknown) => {
      if (e instanceof UsageError) {
        io.err(`traced-alloc: ${e.message}\n`);
        process.exitCode = 2;
      } else {
        io.err(`traced-alloc: internal error (a bug in traced-alloc; please report it with this text):\n${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
        process.exitCode = 70;
      }
    },
  );
}
