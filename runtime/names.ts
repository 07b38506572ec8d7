/**
 * The one place where the transformer learns the runtime's public names.
 * The transformer imports this file only (plain data, no TypeScript); the runtime exports a
 * function under each name below, and a test holds the two together.
 */
export const RUNTIME_MODULE = "traced-allocator/runtime";

/** The JSDoc tag that marks a function as tracking its caller. */
export const TRACK_CALLER_TAG = "track_caller";

/** Marks the runtime's own `Location.caller()` declaration so that the transformer can find it. */
export const CALLER_INTRINSIC_TAG = "traced_allocator_caller";

/**
 * The global through which rewritten code reaches the runtime where its module scope is gone: a
 * function's source text evaluated on its own (`fn.toString()` into a worker, `new Function`,
 * `eval`). The runtime defines it (not enumerable) when it loads; where it is absent, such code
 * runs untraced.
 */
export const GLOBAL_HOOK = "__traced_allocator";

export const RT = {
  /** `file(path, here, up)`: the file's path for its sites; `here` (`__filename` or `import.meta.url`) and `up` (the root, relative to the emitted file's folder) tell the runtime the project root. */
  file: "file",
  /** `site(file, line, col, kind, rule, key, callee?)`: makes one hoisted site (a Location) at module load. */
  site: "site",
  /** `intern(file, line, col, kind, rule, key, callee?)`: the same site, made once per place: for code that runs without its module's site table. */
  intern: "intern",
  /** `alloc(site, value, caller?)`: records `value` (already made by the original expression) as an allocation. */
  alloc: "alloc",
  /** `allocFrom(site, value, firstArg, caller?)`: a typed array whose first argument may be a buffer (then it is a view). */
  allocFrom: "allocFrom",
  /** `realloc(site, receiver, method, arg, caller?)`: calls `receiver[method](arg)` and records the layout change. */
  realloc: "realloc",
  /** `at(site, lastArg)`: sets the caller slot for a `@track_caller` call, returns `lastArg`. */
  at: "at",
  /** `none(site)`: sets the caller slot, returns an empty array to spread into a call without arguments. */
  none: "none",
  /** `take()`: the prologue of a `@track_caller` function: reads and clears the caller slot. */
  take: "take",
  /** `caller(slot)`: `Location.caller()` inside a `@track_caller` function. */
  caller: "caller",
} as const;

/** How the runtime measures what an allocation site made. The transformer writes the number into the site. */
export const Rule = {
  /** ArrayBuffer, SharedArrayBuffer: `byteLength` bytes, align 1. */
  Bytes: 0,
  /** Typed arrays: `byteLength` bytes, align `BYTES_PER_ELEMENT`. */
  Typed: 1,
  /** Arrays: 8 bytes an element, align 8, estimated. */
  Array: 2,
  /** WebAssembly.Memory: `buffer.byteLength`, align 65536 (a page). */
  Wasm: 3,
  /** A call of a `@track_caller` function or `Location.caller()`: not an allocation itself. */
  Call: 4,
  /** Buffer.alloc and friends: `byteLength` bytes, align 1; a Uint8Array, so never resized or transferred. */
  Buffer: 5,
  /** `TypedArray.prototype.slice`: a copy like Typed, except that on a Buffer it is `Buffer.prototype.slice`, a view. */
  Slice: 6,
  /**
   * Whatever the call returns, measured by what it is (Node APIs: a Buffer, or a string with an
   * encoding; structuredClone): buffers and typed arrays exactly, arrays estimated, anything else not recorded.
   */
  Result: 7,
} as const;
export type Rule = (typeof Rule)[keyof typeof Rule];
