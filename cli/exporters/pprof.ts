/**
 * `--format pprof`: a gzipped profile.proto (github.com/google/pprof/proto/profile.proto), encoded
 * with `pprof-format`, for `go tool pprof` and every viewer that reads it.
 *
 * One sample a stack (a row of the summary) with five values, in this order:
 * - `alloc_objects`/count: allocations plus reallocations made there (each a new layout);
 * - `alloc_space`/bytes: bytes allocated there (the default sample type: what `-top` shows);
 * - `inuse_objects`/count: objects made there still live at exit (allocs − deallocs; 0 where no
 *   bytes are live; an estimate where lifetimes were sampled);
 * - `inuse_space`/bytes: bytes live at exit;
 * - `peak_space`/bytes: bytes held at the peak of live bytes.
 * One Function a frame (`name`, `system_name` = the site's stable key, `filename`, `start_line` =
 * the site's line) and one Location a frame, whose Line has the site's line and column (1-based).
 * Stacks are leaf first, as the format wants (with a `thread N` root frame where the trace has more
 * than one thread). Each sample carries a numeric label `thread` (0 = main): `-tagfocus=thread=1`.
 */
import { gzipSync } from "node:zlib";
import { Function as PFunction, Label, Line, Location, Mapping, Profile, Sample, StringTable, ValueType } from "pprof-format";
import type { SiteFigures, Trace } from "../model";
import { frameId, stacksOf, weightOf } from "./stacks";

export const SAMPLE_TYPES = [
  ["alloc_objects", "count"],
  ["alloc_space", "bytes"],
  ["inuse_objects", "count"],
  ["inuse_space", "bytes"],
  ["peak_space", "bytes"],
] as const;

function valuesOf(site: SiteFigures): number[] {
  const live = weightOf(site, "live");
  const liveObjects = live > 0 ? Math.max(0, Math.round(site.allocs - site.deallocs)) : 0;
  return [weightOf(site, "allocs"), weightOf(site, "bytes"), liveObjects, live, weightOf(site, "peak")];
}

export function pprof(trace: Trace): Buffer {
  const strings = new StringTable();
  const functions: PFunction[] = [];
  const locations: Location[] = [];
  const locationOf = new Map<string, number>();
  const samples: Sample[] = [];
  const threadKey = strings.dedup("thread");

  for (const stack of stacksOf(trace)) {
    const values = valuesOf(stack.site);
    if (values.every((v) => v === 0)) continue;
    const ids = stack.frames.map((frame) => {
      const id = frameId(frame);
      let loc = locationOf.get(id);
      if (loc === undefined) {
        loc = locations.length + 1;
        locationOf.set(id, loc);
        functions.push(
          new PFunction({
            id: loc,
            name: strings.dedup(frame.name),
            systemName: strings.dedup(frame.key ?? frame.name),
            filename: strings.dedup(frame.file ?? ""),
            startLine: frame.line ?? 0,
          }),
        );
        locations.push(new Location({ id: loc, mappingId: 1, line: [new Line({ functionId: loc, line: frame.line ?? 0, column: frame.col ?? 0 })] }));
      }
      return loc;
    });
    samples.push(
      new Sample({
        locationId: ids.reverse(),
        value: values,
        // With a unit: pprof drops a numeric label whose value is 0 and has none (the main thread).
        label: [new Label({ key: threadKey, num: stack.site.thread, numUnit: strings.dedup("thread") })],
      }),
    );
  }

  // One mapping, the traced program, already symbolized: pprof looks for no binary.
  const program = trace.threads[0]?.argv?.[1] ?? "traced program";
  const mapping = new Mapping({ id: 1, filename: strings.dedup(program), hasFunctions: true, hasFilenames: true, hasLineNumbers: true });
  const start = Date.parse(trace.threads[0]?.start ?? "");
  const end = trace.timeline.length > 0 ? trace.timeline[trace.timeline.length - 1].t : 0;
  const comments = [`traced-allocator trace ${trace.path}`];
  if (trace.totals.estimated) comments.push("inuse and peak values are estimates: lifetimes were sampled");
  const profile = new Profile({
    sampleType: SAMPLE_TYPES.map(([type, unit]) => new ValueType({ type: strings.dedup(type), unit: strings.dedup(unit) })),
    sample: samples,
    mapping: [mapping],
    location: locations,
    function: functions,
    periodType: new ValueType({ type: strings.dedup("space"), unit: strings.dedup("bytes") }),
    period: 1,
    defaultSampleType: strings.dedup("alloc_space"),
    timeNanos: Number.isFinite(start) ? BigInt(start) * 1_000_000n : 0,
    durationNanos: Math.round(end * 1e6),
    comment: comments.map((c) => strings.dedup(c)),
    stringTable: strings,
  });
  return gzipSync(profile.encode());
}
