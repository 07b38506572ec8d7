/**
 * Following objects to their death. What costs in tracing is not counting an allocation (a few
 * counter bumps) but watching for its collection: a FinalizationRegistry cell each, ~10× the cost
 * of the allocation, and cells pile up in synchronous code until the event loop turns. So:
 *
 * - the first EXACT_OBJECTS objects of a run (per thread) are followed exactly, and every object
 *   under `lifetimes`, and every object of an `Allocator` (freed by hand);
 * - beyond that, a byte-weighted sample: on average one object every SAMPLE_BYTES bytes
 *   allocated, an object of size s with probability p = 1 - exp(-s / SAMPLE_BYTES), each sample
 *   standing for 1/p objects and s/p bytes (unbiased; the scheme of V8's and Go's heap profilers).
 *   The sampling sequence is seeded: the same program samples the same objects in every mode.
 *
 * Deallocs, live bytes and the peak come from the followed objects; rows with samples are estimates.
 */
import { MAX_PENDING, SAMPLE_BYTES, refreshFast, sampler, state } from "./record";
import { rows, type Row } from "./location";
import { emit, nowMs, samplingStarts } from "./sinks";


/** A followed object. */
export class Held {
  constructor(
    readonly id: number,
    public size: number,
    readonly align: number,
    /** 1 when followed exactly; 1/p for a sample. */
    readonly weight: number,
    readonly estimated: boolean,
    /** The row of its allocation: where its live bytes are. */
    readonly row: Row,
  ) {}
}

/**
 * The decision's state, read by the hot path (recording.ts) to skip objects that are not followed
 * without a call: `exactLeft` objects still followed exactly (-1 once the bound was passed),
 * `until` bytes before the next sample.
 */
/** Samples taken (and followed) beyond the exact objects. */
let samples = 0;

// The sampling sequence: a seeded xorshift, so that runs sample the same objects.
let seed = 0x9e3779b9;
function uniform(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return ((seed >>> 0) + 0.5) / 4294967296;
}
/** The mean sampling interval now (bytes); doubles when samples pile up uncollected. */
let sampleBytes = SAMPLE_BYTES;
let pending = 0;
// Whole bytes below 2^30, so that the hot path's countdown stays a small integer (a double field
// costs a heap-number box on every store); the rounding moves the mean by half a byte.
const nextGap = () => Math.min(Math.ceil(-Math.log(uniform()) * sampleBytes), 0x3fffffff);
sampler.until = nextGap();

/** Objects whose layout can change (or that are freed by hand): the record is found by the object. */
const byObject = new WeakMap<object, Held>();
const registry = new FinalizationRegistry<Held>(died);

/** The live total (exact part plus the samples' estimate) and its high-water mark. */
const totals = { live: 0, peak: 0, peakMs: 0, peakAllocs: 0, sampledAny: false };
/** Set at a new peak, cleared when the rows' share of it is taken (at the next decrease, or at the report). */
let peakOpen = false;
// Exported by name: inside this module they stay plain bindings, not `exports.x` loads.
export { samples, sampleBytes, totals };

/**
 * Decides whether to follow a new object and, if so, registers it. Returns its record (the weight
 * tells exact from sampled), or undefined when its death is not followed.
 */
export function follow(value: object, id: number, size: number, align: number, estimated: boolean, row: Row, identity: boolean, always: boolean): Held | undefined {
  let weight = 1;
  if (sampler.exactLeft > 0 || always || state.lifetimes) {
    if (!always && !state.lifetimes) sampler.exactLeft--;
  } else {
    // The first object beyond the bound: the trace's sampling record goes before its event (and
    // after the last exact object's), so that every alloc before the record is followed exactly.
    if (sampler.exactLeft === 0) {
      sampler.exactLeft = -1;
      refreshFast();
      samplingStarts();
    }
    sampler.until -= size;
    if (sampler.until > 0) return undefined;
    weight = 1 / -Math.expm1(-size / sampleBytes);
    if (++pending > MAX_PENDING) {
      sampleBytes *= 2;
      pending >>= 1; // counted again from half: the next doubling after as many new samples
    }
    sampler.until = nextGap();
    row.sampled = true;
    totals.sampledAny = true;
    samples++;
  }
  const h = new Held(id, size, align, weight, estimated, row);
  followedAny = true;
  if (identity) {
    byObject.set(value, h);
    registry.register(value, h, value);
  } else {
    registry.register(value, h);
  }
  grow(row, size * weight);
  return h;
}

/** The record of a followed object whose layout can change. */
export function heldOf(value: object): Held | undefined {
  return byObject.get(value);
}

/** `transfer()`: the allocation moved to a new buffer. */
export function move(from: object, to: object, h: Held): void {
  byObject.delete(from);
  registry.unregister(from);
  byObject.set(to, h);
  registry.register(to, h, to);
}

/** A followed object's new size. */
export function resized(h: Held, newSize: number): void {
  const delta = (newSize - h.size) * h.weight;
  h.size = newSize;
  if (delta > 0) grow(h.row, delta);
  else if (delta < 0) shrink(h.row, -delta);
}

/** Freed by hand (`Allocator.dealloc`): no dealloc will come from the collector. Returns the record. */
export function freed(value: object): Held | undefined {
  const h = byObject.get(value);
  if (h === undefined) return undefined;
  byObject.delete(value);
  registry.unregister(value);
  gone(h);
  return h;
}

/** During the collection before exit: the deallocs it finds, written at the end in allocation order (the collector's order is not deterministic). */
let atExit: Held[] | undefined;

function died(h: Held): void {
  if (h.weight !== 1 && pending > 0) pending--;
  if (!state.on) return;
  gone(h);
  if (atExit !== undefined) atExit.push(h);
  else emit("dealloc", h.size, h.align, h.row, h.id, 0, h.weight, h.estimated);
}

/** The collection before exit begins: its deallocs are held back. */
export function exitCollectionStarts(): void {
  atExit ??= [];
}

/** The report is written: the deallocs held back go out, in the order their objects were allocated. */
export function exitCollectionEnds(): void {
  if (atExit === undefined) return;
  const list = atExit.sort((a, b) => a.id - b.id);
  atExit = undefined;
  for (const h of list) emit("dealloc", h.size, h.align, h.row, h.id, 0, h.weight, h.estimated);
}

function gone(h: Held): void {
  h.row.deallocs += h.weight;
  shrink(h.row, h.size * h.weight);
}

function grow(row: Row, bytes: number): void {
  row.live += bytes;
  totals.live += bytes;
  if (totals.live > totals.peak) {
    // Only followed objects come here (the exact ones, samples): a clock read each is affordable.
    totals.peak = totals.live;
    totals.peakAllocs = sampler.allocs;
    totals.peakMs = nowMs();
    peakOpen = true;
  }
}

function shrink(row: Row, bytes: number): void {
  if (peakOpen) closePeak();
  row.live -= bytes;
  totals.live -= bytes;
}

/** Takes each row's share of the peak: the live bytes now, the moment the total starts to fall from it. */
export function closePeak(): void {
  if (!peakOpen) return;
  peakOpen = false;
  for (const r of rows) r.atPeak = r.live;
}

/**
 * Whether any object was followed (so that a collection at exit can change the figures): objects
 * of an `Allocator` and those under `lifetimes` do not count against the exact bound, so a flag.
 */
let followedAny = false;
export function following(): boolean {
  return followedAny;
}
