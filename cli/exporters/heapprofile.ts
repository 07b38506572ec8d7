/**
 * `--format heapprofile`: the DevTools protocol's `HeapProfiler.SamplingHeapProfile`, the JSON that
 * Chrome DevTools' Memory panel loads from a `.heapprofile` file ("Load profile") and VS Code's flame
 * view opens. `selfSize` is the chosen weight in bytes (DevTools labels it "Self Size (bytes)").
 *
 * As DevTools reads it (panels/profiler/HeapProfileView.ts, SamplingHeapProfileModel): the tree from
 * `head` down `children`, each node's `callFrame` (0-based `lineNumber` and `columnNumber`, `url`)
 * and `selfSize`; totals summed up the tree; a branch with no size pruned. VS Code's viewer keys
 * children by `id`, so ids are unique. The root is a zero-size `(root)` node, as V8 writes it.
 */
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { Trace } from "../model";
import { stacksOf, treeOf, type Frame, type TreeNode, type Weight } from "./stacks";

interface CallFrame {
  functionName: string;
  scriptId: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  callFrame: CallFrame;
  selfSize: number;
  id: number;
  children: ProfileNode[];
}

export interface SamplingHeapProfile {
  head: ProfileNode;
  samples: { size: number; nodeId: number; ordinal: number }[];
}

/** The profile of `trace` weighed by `weight` (a byte figure: `bytes`, `live` or `peak`). */
export function heapProfile(trace: Trace, weight: Exclude<Weight, "allocs">): string {
  const root = trace.threads.find((t) => t.root !== undefined)?.root;
  const scripts = new Map<string, string>();
  const samples: SamplingHeapProfile["samples"] = [];
  let nextId = 1;

  const callFrameOf = (frame: Frame | undefined): CallFrame => {
    if (frame === undefined) return { functionName: "(root)", scriptId: "0", url: "", lineNumber: -1, columnNumber: -1 };
    if (frame.file === undefined) return { functionName: frame.name, scriptId: "0", url: "", lineNumber: -1, columnNumber: -1 };
    let scriptId = scripts.get(frame.file);
    if (scriptId === undefined) scripts.set(frame.file, (scriptId = String(scripts.size + 1)));
    return {
      functionName: frame.name,
      scriptId,
      url: urlOf(root, frame.file),
      lineNumber: (frame.line ?? 1) - 1,
      columnNumber: (frame.col ?? 1) - 1,
    };
  };

  const convert = (node: TreeNode): ProfileNode => {
    const out: ProfileNode = { callFrame: callFrameOf(node.frame), selfSize: node.self, id: nextId++, children: [] };
    if (node.self > 0) samples.push({ size: node.self, nodeId: out.id, ordinal: samples.length + 1 });
    for (const child of node.children.values()) out.children.push(convert(child));
    return out;
  };

  const profile: SamplingHeapProfile = { head: convert(treeOf(stacksOf(trace), weight)), samples };
  return JSON.stringify(profile);
}

/** `file:///<root>/<file>`; a trace without a root (the earlier NDJSON) keeps the relative path. */
function urlOf(root: string | undefined, file: string): string {
  return root === undefined ? file : pathToFileURL(path.resolve(root, file)).href;
}
