/**
 * traced-allocator/expect: allocation matchers for Jest and Vitest.
 *
 * ```js
 * import { allocationMatchers } from "traced-allocator/expect";
 * expect.extend(allocationMatchers);
 * await expect(() => encode(frame)).toAllocateAtMost({ allocs: 2, bytes: "4 KiB" });
 * await expect(() => encode(frame)).not.toAllocate();
 * await expect(() => session.close()).not.toLeak();
 * ```
 *
 * Async matchers: await them. The code under test must be built with the plugin (Vitest and
 * Jest's own TypeScript transforms do not run it): import its built JavaScript.
 */
import { allocates, atMost, leaks, limitsOf, type AllocationLimits, type Verdict } from "./assertions";

export type { AllocationLimits } from "./assertions";

/** What Jest and Vitest pass a matcher as `this` (the part used here). */
interface MatcherContext {
  isNot?: boolean;
}
interface MatcherResult {
  pass: boolean;
  message(): string;
}

function result(v: Verdict): MatcherResult {
  // The message a failure shows: under `.not` the matcher passed (`pass`) and that is the failure.
  return { pass: v.pass, message: () => (v.pass ? v.negatedMessage : v.message).trimEnd() };
}

function subject(received: unknown, name: string): () => unknown {
  if (typeof received !== "function") {
    throw new TypeError(`${name}: expect() needs the function to measure, e.g. expect(() => encode(frame)), got ${received === null ? "null" : typeof received}`);
  }
  return received as () => unknown;
}

/** `expect.extend(allocationMatchers)`. */
export const allocationMatchers = {
  /** Passes when `fn` allocates at most these (counts; sizes as bytes or `"4 KiB"`). */
  async toAllocateAtMost(this: MatcherContext, received: unknown, limits: AllocationLimits): Promise<MatcherResult> {
    const fn = subject(received, "toAllocateAtMost");
    return result(await atMost(fn, limitsOf(limits, "toAllocateAtMost")));
  },
  /** Passes when `fn` allocates anything at a traced site (`.not`: nothing). */
  async toAllocate(this: MatcherContext, received: unknown): Promise<MatcherResult> {
    return result(await allocates(subject(received, "toAllocate")));
  },
  /** Passes when some of what `fn` allocated is still live after a full collection (`.not`: none). */
  async toLeak(this: MatcherContext, received: unknown): Promise<MatcherResult> {
    return result(await leaks(subject(received, "toLeak")));
  },
};

/**
 * The matchers' types, for declaring them to your test runner:
 *
 * - Vitest: `declare module "vitest" { interface Assertion<T = any> extends AllocationMatchers<Promise<void>> {} }`
 * - Jest (`@types/jest`): `declare global { namespace jest { interface Matchers<R> extends AllocationMatchers<Promise<R>> {} } }`
 * - Jest (`@jest/globals`): `declare module "expect" { interface Matchers<R> extends AllocationMatchers<Promise<R>> {} }`
 */
export interface AllocationMatchers<R = Promise<void>> {
  toAllocateAtMost(limits: AllocationLimits): R;
  toAllocate(): R;
  toLeak(): R;
}
