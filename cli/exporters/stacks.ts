/**
 * The stacks of a trace, as every exporter draws them: one stack a row of the summary (`Trace.sites`),
 * root first, and the figure each format weighs it by.
 *
 * - A site is one frame, named `kind (file:line:col)`: `new Uint8Array (src/a.ts:3:9)`.
 * - A row reported at a `@track_caller` caller's line (`inner` present) is two frames: the caller's
 *   line, named after the marked function it called (`makeBytes (src/main.ts:5:13)`), then the site
 *   inside that function (`new Uint8Array (src/helpers.ts:3:10)`), so a flame graph shows both.
 * - When the trace holds more than one thread, every stack starts with a `thread N` frame.
 */
import type { SiteFigures, Trace } from "../model";

/** A frame of a stack. `line` and `col` are 1-based, as in the trace; formats convert. */
export interface Frame {
  /** What a viewer shows. */
  readonly name: string;
  /** Relative to the trace's root (absent for a thread frame). */
  readonly file?: string;
  readonly line?: number;
  readonly col?: number;
  /** The stable key of the site or call this frame stands for. */
  readonly key?: string;
}

export interface Stack {
  /** Root first, leaf last. */
  readonly frames: readonly Frame[];
  readonly site: SiteFigures;
}

/** What a stack weighs: each is a figure of the site's row, rounded to an integer. */
export type Weight = "bytes" | "allocs" | "live" | "peak";

export const WEIGHTS: Readonly<Record<Weight, { readonly label: string; readonly unit: "bytes" | "count" }>> = {
  bytes: { label: "bytes allocated", unit: "bytes" },
  allocs: { label: "allocations and reallocations", unit: "count" },
  live: { label: "bytes live at exit", unit: "bytes" },
  peak: { label: "bytes held at the peak", unit: "bytes" },
};

/**
 * A row's figure: `bytes` (allocated there, with realloc growth at a realloc's own row), `allocs`
 * (allocations plus reallocations: each a new layout), `live` (bytes live at exit), `peak` (bytes
 * held when live bytes were highest). The last two are estimates where lifetimes were sampled.
 */
export function weightOf(site: SiteFigures, weight: Weight): number {
  switch (weight) {
    case "bytes":
      return Math.round(site.bytes);
    case "allocs":
      return Math.round(site.allocs + site.reallocs);
    case "live":
      return Math.round(site.live);
    case "peak":
      return Math.round(site.atPeak);
  }
}

export function stacksOf(trace: Trace): Stack[] {
  const threads = new Set(trace.sites.map((s) => s.thread));
  const threadFrames = threads.size > 1;
  return trace.sites.map((site) => {
    const frames: Frame[] = threadFrames ? [{ name: `thread ${site.thread}` }] : [];
    if (site.inner !== undefined) {
      const { inner } = site;
      frames.push(placeFrame(calleeOf(site.key), site, callerKey(site.key)));
      frames.push(placeFrame(site.kind, inner, inner.key));
    } else {
      frames.push(placeFrame(site.kind, site, site.key));
    }
    return { frames, site };
  });
}

function placeFrame(what: string, at: { file: string; line: number; col: number }, key: string): Frame {
  return { name: `${what} (${at.file}:${at.line}:${at.col})`, file: at.file, line: at.line, col: at.col, key };
}

/** `src/main.ts#work/makeBytes#1>src/helpers.ts#…` → `src/main.ts#work/makeBytes#1`. */
function callerKey(key: string): string {
  const i = key.indexOf(">");
  return i < 0 ? key : key.slice(0, i);
}

/** The marked function a caller's row called, from its key's `kind` part (`makeBytes`); else `call`. */
function calleeOf(key: string): string {
  const caller = callerKey(key);
  const m = /\/([^/]+)#\d+$/.exec(caller);
  return m !== null ? m[1] : "call";
}

/** A frame's identity: two stacks share a node where their frames are the same. */
export function frameId(f: Frame): string {
  return `${f.name}\u0000${f.file ?? ""}\u0000${f.line ?? ""}\u0000${f.col ?? ""}`;
}

/** A call tree: stacks merged where their frames are the same, `self` the weight of stacks ending here. */
export interface TreeNode {
  readonly frame: Frame | undefined;
  self: number;
  readonly children: Map<string, TreeNode>;
}

/** The tree of the stacks that weigh more than 0, children in the order of `stacks` (largest first). */
export function treeOf(stacks: readonly Stack[], weight: Weight): TreeNode {
  const root: TreeNode = { frame: undefined, self: 0, children: new Map() };
  for (const stack of stacks) {
    const w = weightOf(stack.site, weight);
    if (w <= 0) continue;
    let node = root;
    for (const frame of stack.frames) {
      const id = frameId(frame);
      let child = node.children.get(id);
      if (child === undefined) {
        child = { frame, self: 0, children: new Map() };
        node.children.set(id, child);
      }
      node = child;
    }
    node.self += w;
  }
  return root;
}
