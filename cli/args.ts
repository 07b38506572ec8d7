/**
 * Option parsing for every command: node:util's parseArgs (strict: an unknown option is an error),
 * with messages that name the command and its `--help`, choices checked, numbers parsed.
 */
import { parseArgs } from "node:util";
import { UsageError } from "./command";

export interface OptionSpec {
  readonly type: "boolean" | "string";
  readonly short?: string;
  /** For a string option: the values allowed. */
  readonly choices?: readonly string[];
  /** For a string option: a whole number ≥ 0 is expected (returned as a number). */
  readonly integer?: boolean;
  readonly default?: string | boolean;
}

export interface Parsed {
  readonly options: Record<string, string | boolean | number | undefined>;
  readonly positionals: string[];
  /** `--help` or `-h` was given: the caller prints its help and returns 0. */
  readonly help: boolean;
}

/**
 * Parses `args` of `command` by `spec` (`--help`/`-h` always accepted). `positionals` names the
 * arguments expected, in order (e.g. `["trace"]`): fewer or more is a UsageError.
 */
export function parse(command: string, args: string[], spec: Record<string, OptionSpec>, positionals: readonly string[]): Parsed {
  const see = `see 'traced-alloc ${command} --help'`;
  const options: Record<string, { type: "boolean" | "string"; short?: string }> = { help: { type: "boolean", short: "h" } };
  for (const [name, o] of Object.entries(spec)) options[name] = { type: o.type, ...(o.short !== undefined ? { short: o.short } : {}) };
  let values: Record<string, string | boolean | undefined>;
  let rest: string[];
  try {
    const r = parseArgs({ args, options, allowPositionals: true, strict: true });
    values = r.values as Record<string, string | boolean | undefined>;
    rest = r.positionals;
  } catch (e) {
    const code = (e as { code?: string }).code;
    const m = /'(-[^']*)'/.exec((e as Error).message);
    const name = m?.[1] ?? "";
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") throw new UsageError(`${command}: unknown option ${name} (${see})`);
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
      throw new UsageError(`${command}: ${name.replace(/ <value>$/, "")} ${/argument missing/.test((e as Error).message) ? "needs a value" : "takes no value"} (${see})`);
    }
    throw new UsageError(`${command}: ${(e as Error).message} (${see})`);
  }
  if (values.help === true) return { options: {}, positionals: [], help: true };
  const out: Record<string, string | boolean | number | undefined> = {};
  for (const [name, o] of Object.entries(spec)) {
    const v = values[name] ?? o.default;
    if (typeof v === "string" && o.choices !== undefined && !o.choices.includes(v)) {
      throw new UsageError(`${command}: --${name} ${v}: expected one of ${o.choices.join(", ")} (${see})`);
    }
    if (typeof v === "string" && o.integer === true) {
      if (!/^\d+$/.test(v)) throw new UsageError(`${command}: --${name} ${v}: expected a whole number ≥ 0 (${see})`);
      out[name] = Number(v);
    } else out[name] = v;
  }
  if (rest.length < positionals.length) {
    const missing = positionals.slice(rest.length).map((p) => `<${p}>`).join(" ");
    throw new UsageError(`${command}: missing ${missing} (usage: traced-alloc ${command} ${positionals.map((p) => `<${p}>`).join(" ")}; ${see})`);
  }
  if (rest.length > positionals.length) {
    throw new UsageError(`${command}: unexpected argument ${JSON.stringify(rest[positionals.length])} (${see})`);
  }
  return { options: out, positionals: rest, help: false };
}
