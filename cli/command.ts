/**
 * What every `traced-alloc` command is: a name, its help, and `run`, which returns the exit status
 * (0 fine, 1 a check failed, 2 bad usage or bad input). A user mistake is thrown as a `UsageError`
 * (or a `TraceError` for a malformed trace) and printed by main.ts as one message, never a stack.
 */

/** Where a command writes; main.ts passes the process's streams, tests pass buffers. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

export interface Command {
  /** `report`, `diff`, … */
  readonly name: string;
  /** One line for `traced-alloc --help`. */
  readonly summary: string;
  /** The whole `--help` text of the command. */
  readonly help: string;
  run(args: string[], io: Io): Promise<number>;
}

/** Bad usage or bad input: the message names the problem and the fix; exit status 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A trace that cannot be read: names the file and the line. Exit status 2. */
export class TraceError extends UsageError {
  constructor(
    readonly file: string,
    readonly line: number,
    problem: string,
  ) {
    super(`${file}:${line}: ${problem}`);
  }
}
