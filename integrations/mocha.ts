/**
 * traced-allocator/mocha: a root hook plugin, `mocha --require traced-allocator/mocha`.
 *
 * - Measures every test: the test's own function (not its hooks), sync, promise-returning or with
 *   a `done` callback, in a measuring window (traced-allocator/test).
 * - Enforces the `tests` section of the budget file: `$TRACED_ALLOC_BUDGET` if set, else
 *   `traced-alloc.budget.json` in the working directory (mocha's: the project root). A test's
 *   limits are those of its full title, else of its title, else of `"*"`. A test over its limits
 *   fails with a message naming the sites, largest first. `live` is measured (a full collection
 *   after the test) only for tests whose limits include it.
 * - At the end, when a test went over its budget, prints a table of the tests that have limits
 *   on stderr; `TRACED_ALLOC_TABLE=1` prints the table of every test, always.
 *
 * A failing test is reported as it failed; its allocations are not checked. Under `--parallel`,
 * each worker checks and prints for its own files.
 */
import * as path from "node:path";
import { finish, windows, type Counts, type Measurement } from "./test";
import { figuresOf, sitesText, totalsText } from "./assertions";
import { exceeded, findBudget, formatExcess, formatLimits, formatSize, readBudget, testLimits, BudgetError, type Budget, type Excess, type Limits } from "../cli/budget";
import { table } from "../cli/format";

/** The environment variable that prints the per-test table always. */
export const TABLE_ENV = "TRACED_ALLOC_TABLE";

/** The part of a mocha test the plugin uses. */
interface MochaTest {
  title: string;
  fullTitle(): string;
  fn?: TestFn;
  async?: number | boolean;
}
type Done = (err?: unknown) => void;
type TestFn = ((this: unknown, done: Done) => unknown) & { [ORIGINAL]?: TestFn };
interface HookContext {
  currentTest?: MochaTest;
}

const ORIGINAL = Symbol("traced-allocator: the test's own function");

/** One measured test, for the table. */
interface Row {
  title: string;
  measured: Counts | Measurement;
  limits?: Limits;
  over: Excess[];
}

let budget: Budget | undefined;
let budgetLoaded = false;
const rows: Row[] = [];
const usedKeys = new Set<string>();

function loadBudget(): void {
  if (budgetLoaded) return;
  budgetLoaded = true;
  const cwd = process.cwd();
  const found = findBudget(cwd);
  if (found === undefined) return;
  try {
    // Named in messages as the user would: relative to the working directory.
    budget = readBudget(path.relative(cwd, found) || found, cwd);
  } catch (e) {
    if (!(e instanceof BudgetError)) throw e;
    // A user's mistake: the message alone, not the plugin's stack.
    const err = new Error(`traced-allocator/mocha: ${e.message}`);
    err.stack = err.message;
    throw err;
  }
}

/** The failure of a test over its budget. */
class AllocationBudgetError extends Error {
  override name = "AllocationBudgetError";
}

function check(test: MochaTest, m: Counts | Measurement, limits: Limits | undefined, key: string | undefined): Error | undefined {
  const over = limits === undefined ? [] : exceeded(limits, figuresOf(m));
  rows.push({ title: test.fullTitle(), measured: m, limits, over });
  if (over.length === 0) return undefined;
  const where = budget === undefined ? "" : ` (${budget.file}, tests[${JSON.stringify(key)}]: ${formatLimits(limits!)})`;
  const by = over.every((e) => e.metric === "live") ? "live" : "bytes";
  const err = new AllocationBudgetError(`over its allocation budget: ${formatExcess(over)}${where}; it allocated ${totalsText(m)}\n` + sitesText(m, by));
  err.stack = `${err.name}: ${err.message}`;
  return err;
}

/** The test's function in a measuring window, checked against `limits` once it is done. */
function wrap(test: MochaTest, own: TestFn): TestFn {
  const found = budget === undefined ? undefined : testLimits(budget, test.title, test.fullTitle());
  if (found !== undefined) usedKeys.add(found.key);
  const limits = found?.limits;
  const follow = limits?.live !== undefined;
  const checked = (w: ReturnType<typeof windows.open>) => finish(w).then((m) => check(test, m, limits, found?.key));

  if (own.length > 0) {
    // With a done callback: called back with an error, it is passed on; else the budget decides.
    return function (this: unknown, done: Done) {
      const w = windows.open(follow);
      try {
        return windows.within(w, () =>
          own.call(this, (err?: unknown) => {
            if (err !== undefined && err !== null) {
              windows.close(w);
              done(err);
            } else checked(w).then((e) => done(e), done);
          }),
        );
      } catch (e) {
        windows.close(w);
        throw e;
      }
    };
  }
  return function (this: unknown) {
    const w = windows.open(follow);
    let result: unknown;
    try {
      result = windows.within(w, () => (own as (this: unknown) => unknown).call(this));
    } catch (e) {
      // Thrown synchronously (a failure, this.skip()): mocha sees it as it was.
      windows.close(w);
      throw e;
    }
    const settled = isThenable(result) ? Promise.resolve(result) : Promise.resolve();
    result = undefined;
    return settled.then(
      () =>
        checked(w).then((e) => {
          if (e !== undefined) throw e;
        }),
      (reason) => {
        windows.close(w);
        throw reason;
      },
    );
  };
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === "object" || typeof v === "function") && typeof (v as { then?: unknown }).then === "function";
}

/** The table of measured tests: every one with `TRACED_ALLOC_TABLE=1`, else those with limits. */
export function testTable(all: boolean): string {
  const shown = all ? rows : rows.filter((r) => r.limits !== undefined);
  if (shown.length === 0) return "";
  const cells = shown.map((r) => {
    const m = r.measured;
    return [
      r.title,
      String(m.allocs),
      String(m.reallocs),
      formatSize(m.bytes),
      "live" in m ? formatSize(m.live) : "-",
      r.limits === undefined ? "-" : formatLimits(r.limits),
      r.limits === undefined ? "" : r.over.length === 0 ? "ok" : `OVER: ${formatExcess(r.over)}`,
    ];
  });
  let out = `traced-allocator: allocations per test${budget !== undefined ? ` (budget: ${budget.file})` : ""}\n`;
  out += table(["test", "allocs", "reallocs", "bytes", "live", "limits", "result"], cells, "lrrrrll", "  ");
  if (budget !== undefined && !process.env.MOCHA_WORKER_ID) {
    const unused = [...budget.tests.keys()].filter((k) => !usedKeys.has(k));
    if (unused.length > 0) out += `  budget entries that matched no test that ran: ${unused.map((k) => JSON.stringify(k)).join(", ")}\n`;
  }
  return out;
}

/** Mocha's root hooks. */
export const mochaHooks = {
  beforeAll(): void {
    loadBudget();
  },
  beforeEach(this: HookContext): void {
    loadBudget();
    const test = this.currentTest;
    if (test === undefined || typeof test.fn !== "function") return;
    const own = test.fn[ORIGINAL] ?? test.fn; // a retry's clone carries the wrapper
    const wrapped = wrap(test, own);
    wrapped[ORIGINAL] = own;
    test.fn = wrapped;
  },
  afterEach(this: HookContext): void {
    const test = this.currentTest;
    const own = test?.fn?.[ORIGINAL];
    if (test !== undefined && own !== undefined) test.fn = own;
  },
  afterAll(): void {
    const always = /^(1|true|yes|on)$/i.test(process.env[TABLE_ENV] ?? "");
    const text = always || rows.some((r) => r.over.length > 0) ? testTable(always) : "";
    // Under --parallel, root hooks run once per file in a worker that may run several: each file's table its own.
    rows.length = 0;
    if (text !== "") process.stderr.write(text);
  },
};
