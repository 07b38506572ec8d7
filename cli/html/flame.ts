/**
 * The flame graph's input (d3-flame-graph's `{name, value, children}`): allocated bytes by site, all
 * threads added. A stack is one frame per site, `file:line:col kind`; a row reported at a caller's line
 * through `@track_caller` is two frames: the caller's line, then the site inside the marked function.
 * Frames with the same name under the same parent are one frame (their bytes added).
 */
import { at } from "../format";
import type { SiteFigures } from "../model";

export interface Frame {
  name: string;
  /** Bytes allocated in this frame and the frames above it. */
  value: number;
  children: Frame[];
}

export function flameTree(sites: readonly SiteFigures[], rootName = "all"): Frame {
  const root: Frame = { name: rootName, value: 0, children: [] };
  const byPath = new Map<string, Frame>(); // the names from the root, each ended by NUL -> frame
  for (const s of sites) {
    if (s.bytes <= 0) continue;
    const stack = s.inner ? [at(s), `${at(s.inner)} ${s.kind}`] : [`${at(s)} ${s.kind}`];
    root.value += s.bytes;
    let node = root;
    let trail = "";
    for (const name of stack) {
      trail += `${name}\0`;
      let child = byPath.get(trail);
      if (child === undefined) {
        byPath.set(trail, (child = { name, value: 0, children: [] }));
        node.children.push(child);
      }
      child.value += s.bytes;
      node = child;
    }
  }
  return root;
}
