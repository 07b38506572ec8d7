/**
 * `--format collapsed`: Brendan Gregg's folded stacks, the input of flamegraph.pl, inferno and
 * speedscope: one line a stack, `root;…;leaf weight`, the weight an integer, largest first. A `;` in a
 * frame name would split the frame, so it becomes `,`; line breaks become spaces.
 */
import type { Trace } from "../model";
import { stacksOf, weightOf, type Weight } from "./stacks";

export function collapsed(trace: Trace, weight: Weight): string {
  const lines = new Map<string, number>();
  for (const stack of stacksOf(trace)) {
    const w = weightOf(stack.site, weight);
    if (w <= 0) continue;
    const folded = stack.frames.map((f) => f.name.replace(/;/g, ",").replace(/[\r\n]+/g, " ")).join(";");
    lines.set(folded, (lines.get(folded) ?? 0) + w);
  }
  return [...lines]
    .sort((a, b) => b[1] - a[1])
    .map(([folded, w]) => `${folded} ${w}\n`)
    .join("");
}
