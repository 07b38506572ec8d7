/**
 * `--format speedscope`: speedscope's own file format (https://www.speedscope.app/file-format-schema.json).
 * Frames are shared (`name`, `file` relative to the trace's root, 1-based `line` and `col`); one
 * `sampled` profile a weight (bytes allocated, allocations, bytes live at exit, bytes held at the
 * peak), each stack a sample weighed by its row's figure; profiles with nothing in them are left out
 * (bytes allocated always stays). The chosen weight's profile is the one speedscope opens first.
 */
import * as path from "node:path";
import type { Trace } from "../model";
import { frameId, stacksOf, weightOf, WEIGHTS, type Weight } from "./stacks";

export const SPEEDSCOPE_SCHEMA = "https://www.speedscope.app/file-format-schema.json";

interface SpeedscopeFrame {
  name: string;
  file?: string;
  line?: number;
  col?: number;
}

interface SampledProfile {
  type: "sampled";
  name: string;
  unit: "bytes" | "none";
  startValue: number;
  endValue: number;
  /** Each a stack of indices into `shared.frames`, root first. */
  samples: number[][];
  weights: number[];
}

export interface SpeedscopeFile {
  $schema: typeof SPEEDSCOPE_SCHEMA;
  exporter: string;
  name: string;
  activeProfileIndex: number;
  shared: { frames: SpeedscopeFrame[] };
  profiles: SampledProfile[];
}

/** The file's JSON text; `exporter` names the program that wrote it (`traced-alloc 0.1.0`). */
export function speedscope(trace: Trace, first: Weight, exporter: string): string {
  const frames: SpeedscopeFrame[] = [];
  const index = new Map<string, number>();
  const stacks = stacksOf(trace).map((stack) => ({
    site: stack.site,
    indices: stack.frames.map((f) => {
      const id = frameId(f);
      let i = index.get(id);
      if (i === undefined) {
        i = frames.length;
        index.set(id, i);
        const { name, file, line, col } = f;
        frames.push(file === undefined ? { name } : { name, file, line, col });
      }
      return i;
    }),
  }));

  const order: Weight[] = [first, ...(Object.keys(WEIGHTS) as Weight[]).filter((w) => w !== first)];
  const profiles: SampledProfile[] = [];
  for (const weight of order) {
    const samples: number[][] = [];
    const weights: number[] = [];
    for (const s of stacks) {
      const w = weightOf(s.site, weight);
      if (w <= 0) continue;
      samples.push(s.indices);
      weights.push(w);
    }
    const total = weights.reduce((a, b) => a + b, 0);
    if (total === 0 && weight !== "bytes") continue;
    const { label, unit } = WEIGHTS[weight];
    profiles.push({ type: "sampled", name: label, unit: unit === "bytes" ? "bytes" : "none", startValue: 0, endValue: total, samples, weights });
  }

  const file: SpeedscopeFile = {
    $schema: SPEEDSCOPE_SCHEMA,
    exporter,
    name: path.basename(trace.path),
    activeProfileIndex: 0,
    shared: { frames },
    profiles,
  };
  return JSON.stringify(file);
}
