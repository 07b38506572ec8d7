/**
 * Locations from V8 stack traces, for calls that arrive without one (a `@track_caller` function
 * called as a callback or from code built without the plugin, an `Allocator` called from plain
 * JavaScript), and the project root they are made relative to. Not on the hot path.
 */
import * as path from "node:path";
import { findSourceMap } from "node:module";
import { fileURLToPath } from "node:url";
import { Location } from "./location";
import { root } from "./location";

/** The first JavaScript frame above the function that called `below`, from a V8 structured stack trace. */
export function stackLocation(below: Function, skip = 1): Location | undefined {
  const savedPrepare = Error.prepareStackTrace;
  const savedLimit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = 12;
    Error.prepareStackTrace = (_e, frames) => frames;
    const holder: { stack?: NodeJS.CallSite[] } = {};
    Error.captureStackTrace(holder, below);
    const frames = holder.stack ?? [];
    // frames[0] is the function that called `below`. For `Location.caller()` the answer is that
    // function's caller (skip 1); for an `Allocator` method, it is frames[0] itself (skip 0).
    for (let i = skip; i < frames.length; i++) {
      const f = frames[i];
      let file = f.getFileName();
      if (!file || f.isNative() || file.startsWith("node:")) continue;
      let line = f.getLineNumber() ?? 0;
      let col = f.getColumnNumber() ?? 0;
      // With --enable-source-maps, report the original source position.
      const entry = findSourceMap?.(file)?.findEntry(line - 1, col - 1) as
        | { originalSource?: string; originalLine?: number; originalColumn?: number }
        | undefined;
      if (entry?.originalSource !== undefined && entry.originalLine !== undefined && entry.originalColumn !== undefined) {
        file = entry.originalSource;
        line = entry.originalLine + 1;
        col = entry.originalColumn + 1;
      }
      if (file.startsWith("file://")) file = fileURLToPath(file);
      const rel = path.relative(root(), file).split(path.sep).join("/");
      return new Location(rel, line, col);
    }
  } catch {
    // fall through
  } finally {
    Error.prepareStackTrace = savedPrepare;
    Error.stackTraceLimit = savedLimit;
  }
  return undefined;
}
