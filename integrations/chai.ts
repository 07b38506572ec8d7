/**
 * traced-allocator/chai: allocation assertions for chai.
 *
 * ```js
 * import * as chai from "chai";
 * import { chaiAllocations } from "traced-allocator/chai";
 * chai.use(chaiAllocations);
 * await expect(() => encode(frame)).to.allocateAtMost({ allocs: 2, bytes: "4 KiB" });
 * await expect(() => encode(frame)).not.to.allocate();
 * await expect(() => session.close()).not.to.leak();
 * ```
 *
 * Each assertion measures `fn` (sync or async) and returns a promise: await it. This module never
 * imports chai: chai.use hands it the caller's chai (chai 6 is ESM-only; this stays loadable by
 * `require` on every Node 20).
 */
import { allocates, atMost, leaks, limitsOf, type AllocationLimits, type Verdict } from "./assertions";

export type { AllocationLimits } from "./assertions";

/** The part of chai's exports the plugin uses (`chai.use` passes them). */
export interface ChaiLike {
  Assertion: { addMethod(name: string, method: (this: ChaiAssertion, ...args: never[]) => unknown): void };
}
/** The part of chai's utils the plugin uses. */
export interface ChaiUtils {
  flag(assertion: object, key: string): unknown;
}
interface ChaiAssertion {
  assert(expression: boolean, message: string, negatedMessage: string): void;
}

declare global {
  // Types for users of @types/chai: the assertions this plugin adds.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Chai {
    interface Assertion {
      /** Passes when `fn` allocates at most these (counts; sizes as bytes or `"4 KiB"`). Await it. */
      allocateAtMost(limits: AllocationLimits): Promise<void>;
      /** Passes when `fn` allocates anything at a traced site (`.not`: nothing). Await it. */
      allocate(): Promise<void>;
      /** Passes when some of what `fn` allocated is still live after a full collection (`.not`: none). Await it. */
      leak(): Promise<void>;
    }
  }
}

/** The chai plugin: `chai.use(chaiAllocations)`. */
export function chaiAllocations(chai: ChaiLike, utils: ChaiUtils): void {
  const subject = (a: ChaiAssertion, name: string): (() => unknown) => {
    const fn = utils.flag(a, "object");
    if (typeof fn !== "function") {
      throw new TypeError(`${name}: expect() needs the function to measure, e.g. expect(() => encode(frame)), got ${fn === null ? "null" : typeof fn}`);
    }
    return fn as () => unknown;
  };
  const settle = (a: ChaiAssertion, verdict: Promise<Verdict>): Promise<void> =>
    verdict.then((v) => a.assert(v.pass, v.message, v.negatedMessage));

  chai.Assertion.addMethod("allocateAtMost", function (this: ChaiAssertion, limits: never) {
    const fn = subject(this, "allocateAtMost");
    return settle(this, atMost(fn, limitsOf(limits, "allocateAtMost")));
  });
  chai.Assertion.addMethod("allocate", function (this: ChaiAssertion) {
    return settle(this, allocates(subject(this, "allocate")));
  });
  chai.Assertion.addMethod("leak", function (this: ChaiAssertion) {
    return settle(this, leaks(subject(this, "leak")));
  });
}

export default chaiAllocations;

// `import chaiAllocations from "traced-allocator/chai"` in an ES module gets module.exports: make
// that the plugin itself, with the named exports on it (so `import { chaiAllocations }` and
// `require(…).chaiAllocations` work too).
module.exports = Object.assign(chaiAllocations, exports);
