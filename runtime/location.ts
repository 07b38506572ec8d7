/**
 * Locations, layouts, hoisted sites and the summary's rows. Plain data: no Node module, no I/O.
 */
import * as path from "node:path";
import { Rule } from "./names";

/** Stack-trace locations: loaded on first use (Location.caller() without a passed location). */
export const stack = (): typeof import("./stack") => require("./stack") as typeof import("./stack");

/** A place in the user's source: `file` relative to the project root, 1-based `line` and `col` (UTF-16 units). */
export class Location {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly col: number,
  ) {}

  /**
   * The location this function was called from.
   *
   * - In a `@track_caller` function compiled with the plugin: the location of the call to that
   *   function (through chains of `@track_caller` functions, the outermost unmarked caller).
   * - In any other function compiled with the plugin: the location of this `Location.caller()` call.
   * - Where no location was passed (a marked function called from code built without the plugin,
   *   as a callback, or through `bind`), and in code not compiled with the plugin: the nearest
   *   JavaScript frame from a V8 stack trace (source-mapped under --enable-source-maps), its file
   *   relative to the project root.
   *
   * @traced_allocator_caller
   */
  static caller(): Location {
    return stack().stackLocation(Location.caller) ?? UNKNOWN;
  }

  toString(): string {
    return `${this.file}:${this.line}:${this.col}`;
  }
}

/** Size and alignment of an allocation, in bytes. `estimated` when the size is a model (arrays). */
export class Layout {
  constructor(
    readonly size: number,
    readonly align: number,
    readonly estimated: boolean = false,
  ) {}

  toString(): string {
    return `Layout { size: ${this.size}, align: ${this.align} }`;
  }
}

/**
 * The counters of one (location, kind): what `summary` prints and `sites()` returns.
 * `allocs`, `reallocs`, `bytes` and `max` are exact in every mode; `deallocs`, `live` and
 * `atPeak` come from following objects to their death, exact for the first objects of a run and
 * estimated from samples beyond (`sampled`).
 */
export class Row {
  allocs = 0;
  reallocs = 0;
  /** Bytes allocated here: each alloc's size, and each realloc's growth at the realloc's own row. */
  bytes = 0;
  /** Largest single allocation or reallocation. */
  max = 0;
  /** Objects made here that were collected (or freed by hand). */
  deallocs = 0;
  /** Bytes held by objects made here, not yet collected. */
  live = 0;
  /** This row's live bytes when the run's live total was at its peak. */
  atPeak = 0;
  /** Sizes here are a model (arrays: 8 bytes an element). */
  estimated = false;
  /** Some lifetimes here were estimated from samples: deallocs, live and atPeak are estimates. */
  sampled = false;
  /** This row's location fields in trace events, as UTF-8 bytes, made once (sinks.ts). */
  json: Uint8Array | undefined = undefined;

  constructor(
    readonly file: string,
    readonly line: number,
    readonly col: number,
    readonly kind: string,
    readonly key: string,
    /** For events reported at a caller's line (`@track_caller`): the site itself, inside the marked function. */
    readonly inner: Site | undefined = undefined,
  ) {}
}

/** A hoisted allocation or call site: a Location with what was called there. Made once per module load. */
export class Site extends Location {
  /** The row of events reported at this very site (made at its first event). */
  row: Row | undefined = undefined;
  /** Rows of events reported at this location for sites inside `@track_caller` functions it called, by that site. */
  derived: Map<Site, Row> | undefined = undefined;

  constructor(
    file: string,
    line: number,
    col: number,
    readonly kind: string,
    readonly rule: Rule,
    /** The stable key after `file#` (`Encoder.encode/new Uint8Array#2`), made by the transformer; "" for sites it did not make. */
    readonly scope: string = "",
    /** Realloc sites: the callee's source text, for the TypeError V8 would throw. */
    readonly callee?: string,
  ) {
    super(file, line, col);
  }

  /** The stable site key of SPEC.md: `file#scope/kind#n`. */
  get key(): string {
    return this.scope === "" ? `${this.file}:${this.line}:${this.col}/${this.kind}` : `${this.file}#${this.scope}`;
  }
}

/** Used where a site is not known. */
export const UNKNOWN = new Site("<unknown>", 0, 0, "unknown", Rule.Call);

/** Every row made so far, in the order of their first event. */
export const rows: Row[] = [];

function newRow(loc: Location, kind: string, key: string, inner?: Site): Row {
  const r = new Row(loc.file, loc.line, loc.col, kind, key, inner);
  rows.push(r);
  return r;
}

/** The row for events of `site` reported at `loc` (the site itself, or a caller's location). */
export function rowAt(loc: Location, site: Site): Row {
  if (loc === site) return (site.row ??= newRow(site, site.kind, site.key));
  // A location from a stack trace is a new object each time: one row per place, not per event.
  const l = loc instanceof Site ? loc : placeOf(loc);
  const derived = (l.derived ??= new Map());
  let r = derived.get(site);
  if (r === undefined) {
    // The caller's own key and the site's below it: stable as long as both keys are.
    const key = `${l.scope === "" ? `${loc.file}:${loc.line}:${loc.col}` : l.key}>${site.key}`;
    derived.set(site, (r = newRow(loc, site.kind, key, site)));
  }
  return r;
}

const places = new Map<string, Site>();
function placeOf(loc: Location): Site {
  const key = `${loc.file}:${loc.line}:${loc.col}`;
  let s = places.get(key);
  if (s === undefined) places.set(key, (s = new Site(loc.file, loc.line, loc.col, "", Rule.Call)));
  return s;
}

/** Makes one hoisted site. Called once per site when a transformed module loads. */
export function site(file: string, line: number, col: number, kind: string, rule: Rule, key?: string, callee?: string): Site {
  return new Site(file, line, col, kind, rule, key, callee);
}

/** Whether code built with the transformer has run here: its site table calls `file`, a foreign site `intern`. */
let traced = false;
export function tracedCodeRan(): boolean {
  return traced;
}

const interned = new Map<string, Site>();
/**
 * The same as `site`, but one Site per place: rewritten code whose module scope is gone (a
 * function's text evaluated in a worker, `new Function`, `eval`, or a module cycle that runs code
 * before its site table) names its site by literals, through the global hook.
 */
export function intern(file: string, line: number, col: number, kind: string, rule: Rule, key?: string, callee?: string): Site {
  traced = true;
  const k = `${file}:${line}:${col}:${kind}:${key ?? ""}`;
  let s = interned.get(k);
  if (s === undefined) interned.set(k, (s = new Site(file, line, col, kind, rule, key, callee)));
  return s;
}

// ---------------------------------------------------------------------------------------------
// The project root: every location in a run is relative to it, whether it came from a hoisted
// site (the transformer wrote it relative to the root) or from a stack trace (made relative then).

let rootDir = process.cwd();
let rootKnown = false;

/** The folder every location of this run is relative to. */
export function root(): string {
  return rootDir;
}

/**
 * A traced module's path, relative to the project root, for its site table. `here` is the emitted
 * file (`__filename` or `import.meta.url`) and `up` the root relative to the emitted file's folder:
 * the first traced module not under node_modules tells the runtime where the root is, so that
 * stack-trace locations use the same base as the sites. Transformed code only.
 */
export function file(rel: string, here?: string, up?: string): string {
  traced = true;
  if (!rootKnown && typeof here === "string" && typeof up === "string") {
    try {
      const f = here.startsWith("file:") ? (require("node:url") as typeof import("node:url")).fileURLToPath(here) : here;
      const dir = path.resolve(path.dirname(f), up);
      // A dependency's root is not the run's: its sites stay relative to its own package.
      if (!/[\\/]node_modules[\\/]/.test(dir + path.sep)) {
        rootDir = dir;
        rootKnown = true;
      }
    } catch {
      // not a file (a bundle, a data: URL): stack locations stay relative to the working directory
    }
  }
  return rel;
}

