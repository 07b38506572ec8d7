/**
 * User allocators written in TypeScript (pools, arenas, vectors over a buffer) report their own
 * allocations. Their objects are always followed exactly: they are freed by hand.
 */
import { Rule } from "./names";
import { Site, UNKNOWN, rowAt, stack, type Layout, type Location } from "./location";
import { recording, state, take } from "./record";

const stackLocation = (below: Function) => stack().stackLocation(below, 0);

/**
 * For allocators written in TypeScript (pools, arenas, vectors over a buffer): report their own
 * allocations. Each method is `@track_caller`: compiled with the plugin, the event names the line
 * that called it, or that line's caller when called from a `@track_caller` method.
 */
export class Allocator {
  /**
   * Records `obj` as an allocation of `layout`; `kind` names what was called (default `Allocator.alloc`).
   * @track_caller
   */
  static alloc(obj: object, layout: Layout, kind?: string): void {
    const passed = take();
    if (!state.on) return;
    const s = userSite(passed ?? stackLocation(Allocator.alloc) ?? UNKNOWN, kind ?? "Allocator.alloc");
    recording().allocated(obj, layout.size, layout.align, layout.estimated, true, rowAt(s, s), true);
  }

  /**
   * Records that `obj` now has `newSize` bytes.
   * @track_caller
   */
  static realloc(obj: object, newSize: number, kind?: string): void {
    const passed = take();
    if (!state.on) return;
    const loc = passed ?? stackLocation(Allocator.realloc) ?? UNKNOWN;
    const r = recording();
    if (r.heldOf(obj) === undefined) {
      // Not seen before: it is allocated (with no bytes) where it is first resized.
      const a = userSite(loc, kind ?? "Allocator.alloc");
      r.allocated(obj, 0, 1, false, true, rowAt(a, a), true);
    }
    const s = userSite(loc, kind ?? "Allocator.realloc");
    r.reallocated(obj, undefined, r.heldOf(obj)!.size, newSize, 1, rowAt(s, s));
  }

  /**
   * Records that `obj` was freed here (no dealloc will be reported when it is collected).
   * @track_caller
   */
  static dealloc(obj: object, kind?: string): void {
    const passed = take();
    if (!state.on) return;
    const r = recording();
    const h = r.freed(obj);
    if (h === undefined) return;
    const s = userSite(passed ?? stackLocation(Allocator.dealloc) ?? UNKNOWN, kind ?? "Allocator.dealloc");
    r.emit("dealloc", h.size, h.align, rowAt(s, s), h.id, 0, h.weight, h.estimated);
  }
}

/** One Site per (location, kind), used as the location too: one row each. */
const userSites = new Map<string, Site>();
function userSite(loc: Location, kind: string): Site {
  const key = `${loc.file}:${loc.line}:${loc.col}:${kind}`;
  let s = userSites.get(key);
  if (s === undefined) userSites.set(key, (s = new Site(loc.file, loc.line, loc.col, kind, Rule.Bytes)));
  return s;
}
