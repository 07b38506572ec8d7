/**
 * What is being recorded: read by the hot path on every event, set by `configure`. One object, so
 * that every room of the runtime sees the same switches.
 */
export const state = {
  /** Anything at all is recorded. */
  on: false,
  /** `log`: one line per event on stderr. */
  log: false,
  /** `summary`: the table at exit. */
  summary: false,
  /** An ndjson trace file is open. */
  ndjson: false,
  /** `lifetimes`: follow every object to its death (no bound, no sampling). */
  lifetimes: false,
};

/** Objects followed exactly to their death before sampling begins (per thread), unless `lifetimes`. */
export const EXACT_OBJECTS = 8192;
/**
 * Beyond that, one sample on average every this many bytes allocated (byte-weighted, as V8's and
 * Go's heap profilers). Doubled whenever more than MAX_PENDING samples wait for their collection,
 * so that memory stays bounded in synchronous code.
 */
export const SAMPLE_BYTES = 16 * 1024;
export const MAX_PENDING = 65536;
