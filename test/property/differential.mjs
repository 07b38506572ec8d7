// The differential check behind test/property.test.mjs: compiles a batch of programs (one file
// each) in ONE project, plain and with the plugin, then runs every file plain, traced with
// TRACED_ALLOC unset, with `summary` and with `ndjson=<file>`; everything a program observes must be
// the same.
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { compilePair, writeProject } from "../harness.mjs";

/** Runs node on a file asynchronously; resolves {status, signal, stdout, stderr}. */
function runAsync(file, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], {
      cwd: path.dirname(file),
      env: { ...process.env, TRACED_ALLOC: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "", stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

async function pool(tasks, width) {
  const results = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, tasks.length) }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]();
      }
    }),
  );
  return results;
}

// The layout of runtime/summary.ts summaryText(): a header (for one thread, a worker's own, or all
// threads), the column line, one row per site (7 figures, `~` where estimated), with workers a
// threads table (a row per thread and the total), and the footnotes for `~`.
const BYTES = "(?:\\d+ B|\\d+\\.\\d [KMGT]iB)"; // summary.ts human()
const SUMMARY_HEAD = new RegExp(
  "^traced-allocator summary(?: \\(thread \\d+\\)| \\(all \\d+ threads\\))?: \\d+ allocs, \\d+ reallocs, ~?\\d+ deallocs; " +
    `${BYTES} allocated, ~?${BYTES} live at exit, peak ~?${BYTES} at \\d+\\.\\d ms \\(sites: \\d+\\)$`,
);
const SUMMARY_LINE = new RegExp(
  "^(?:" +
    [
      "site\\s+kind\\s+allocs\\s+reallocs\\s+bytes\\s+deallocs\\s+live\\s+at peak\\s+max",
      "\\S.*:\\d+:\\d+\\s{2,}\\S.*?\\s{2,}\\d+\\s{2,}\\d+\\s{2,}~?\\d+\\s{2,}~?\\d+\\s{2,}~?\\d+\\s{2,}~?\\d+\\s{2,}\\d+",
      "threads: \\d+",
      "thread\\s+allocs\\s+reallocs\\s+bytes\\s+deallocs\\s+live\\s+peak",
      "(?:0 \\(main\\)|\\d+|total)\\s{2,}\\d+\\s{2,}\\d+\\s{2,}\\d+\\s{2,}~?\\d+\\s{2,}~?\\d+\\s{2,}~?\\d+",
      "~ in bytes: estimated size \\(arrays: 8 bytes an element\\)",
      "~ in deallocs, live, at peak: estimated from \\d+ samples \\(the first \\d+ objects followed exactly, then one every .* allocated on average\\); TRACED_ALLOC=(?:summary,)?lifetimes follows every object",
    ].join("|") +
    ")$",
);

/** What is wrong with a summary run's stderr, given the plain run's stderr; undefined when fine. */
function summaryProblem(stderr, plainStderr) {
  if (!stderr.startsWith(plainStderr)) return "stderr does not start with the plain run's stderr";
  const rest = stderr.slice(plainStderr.length);
  if (rest === "") return undefined;
  const lines = rest.replace(/\n$/, "").split("\n");
  if (!SUMMARY_HEAD.test(lines[0])) return `unexpected stderr line: ${JSON.stringify(lines[0])}`;
  const bad = lines.slice(1).find((l) => !SUMMARY_LINE.test(l) || /^traced-allocator:/.test(l));
  return bad === undefined ? undefined : `unexpected stderr line after the summary: ${JSON.stringify(bad)}`;
}

/**
 * Checks each program (TypeScript source text). Returns one result per program:
 * {ok, problems: [strings], plain: {stdout, status, stderr}, traced: {...}, diagnostics}.
 */
export async function checkPrograms(sources, { width = 4 } = {}) {
  const files = {};
  sources.forEach((src, i) => (files[`src/p${i}.ts`] = src));
  const dir = writeProject({ files, compilerOptions: { outDir: "out" } });
  const { plain, traced } = compilePair(dir); // one type check for both builds
  const tasks = sources.map((_, i) => async () => {
    const problems = [];
    const js = `src/p${i}.js`;
    const diagnostics = [...new Set([...plain.diagnostics, ...traced.diagnostics])];
    const plainJs = plain.files[js], tracedJs = traced.files[js];
    if (!tracedJs || !plainJs) return { ok: false, problems: ["not emitted"], diagnostics };
    if (!tracedJs.includes("__ta") || tracedJs === plainJs) problems.push("the traced build rewrote nothing (no __ta in the emitted JS)");
    const pFile = path.join(plain.outDir, js), tFile = path.join(traced.outDir, js);
    const ndjsonFile = path.join(traced.outDir, `src/p${i}.ndjson`);
    const [p, off, summary, nd] = await Promise.all([
      runAsync(pFile, {}),
      runAsync(tFile, {}),
      runAsync(tFile, { TRACED_ALLOC: "summary" }),
      runAsync(tFile, { TRACED_ALLOC: `ndjson=${ndjsonFile}` }),
    ]);
    for (const [name, r] of [["TRACED_ALLOC unset", off], ["TRACED_ALLOC=summary", summary], ["TRACED_ALLOC=ndjson", nd]]) {
      if (r.stdout !== p.stdout) problems.push(`stdout differs (${name})`);
      if (r.status !== p.status || r.signal !== p.signal) problems.push(`exit differs (${name}): plain ${p.status}/${p.signal}, traced ${r.status}/${r.signal}`);
    }
    if (p.stderr !== "") problems.push(`the plain run wrote to stderr (generator bug?): ${p.stderr.slice(0, 500)}`);
    if (off.stderr !== p.stderr) problems.push(`stderr differs (TRACED_ALLOC unset): ${JSON.stringify(off.stderr.slice(0, 500))}`);
    if (nd.stderr !== p.stderr) problems.push(`stderr differs (TRACED_ALLOC=ndjson): ${JSON.stringify(nd.stderr.slice(0, 500))}`);
    const sp = summaryProblem(summary.stderr, p.stderr);
    if (sp) problems.push(`TRACED_ALLOC=summary: ${sp}`);
    if (fs.existsSync(ndjsonFile)) {
      const lines = fs.readFileSync(ndjsonFile, "utf8").split("\n").filter(Boolean);
      const badLine = lines.find((l) => {
        try {
          JSON.parse(l);
          return false;
        } catch {
          return true;
        }
      });
      if (badLine !== undefined) problems.push(`ndjson trace has a line that is not JSON: ${badLine.slice(0, 200)}`);
    }
    return {
      ok: problems.length === 0,
      problems,
      diagnostics,
      plain: p,
      traced: { off, summary, nd },
      tracedJs,
    };
  });
  return pool(tasks, width);
}

/** A program from its snippets: [kinds], for the report. */
export function describe(program) {
  return program.snippets.map((s) => s.kind).join(", ");
}

/**
 * Shrinks a failing program by snippets: each round compiles every "one snippet fewer" variant in
 * one batch and keeps the first that still fails, until none does. Returns the smallest program.
 */
export async function minimize(program, render, stillFails = (r) => !r.ok) {
  let current = program;
  for (;;) {
    if (current.snippets.length <= 1 && current.exitCode === 0) return current;
    const candidates = current.snippets.map((_, i) => ({ ...current, snippets: current.snippets.filter((__, j) => j !== i) }));
    if (current.exitCode !== 0) candidates.push({ ...current, exitCode: 0 });
    const usable = candidates.filter((c) => c.snippets.length > 0);
    const results = await checkPrograms(usable.map(render));
    const k = results.findIndex(stillFails);
    if (k < 0) return current;
    current = usable[k];
  }
}

/** Where plain and traced output differ, as a compact report. */
export function diffReport(result) {
  const out = [...result.problems.map((p) => `  - ${p}`)];
  if (!result.plain) return out.join("\n");
  const show = (t) => t.split("\n").map((l) => `      ${l}`).join("\n");
  const runs = [["TRACED_ALLOC unset", result.traced.off], ["TRACED_ALLOC=summary", result.traced.summary], ["TRACED_ALLOC=ndjson", result.traced.nd]];
  const pl = result.plain.stdout.split("\n");
  const shown = new Set();
  for (const [name0, r] of runs) {
    if (r.stdout === result.plain.stdout || shown.has(r.stdout)) continue;
    shown.add(r.stdout);
    const name = runs.filter(([, o]) => o.stdout === r.stdout).map(([n]) => n).join(", ");
    const tl = r.stdout.split("\n");
    const lines = [];
    for (let i = 0; i < Math.max(pl.length, tl.length); i++) {
      if (pl[i] !== tl[i]) lines.push(`    line ${i + 1}:\n      plain:  ${pl[i] ?? "<none>"}\n      traced: ${tl[i] ?? "<none>"}`);
    }
    out.push(`  stdout, plain vs ${name}:\n${lines.slice(0, 8).join("\n")}`);
  }
  if (result.plain.stderr) out.push(`  plain stderr:\n${show(result.plain.stderr.slice(0, 2000))}`);
  for (const [name, r] of runs) if (r.stderr && name !== "TRACED_ALLOC=summary") out.push(`  ${name} stderr:\n${show(r.stderr.slice(0, 2000))}`);
  return out.join("\n");
}

/** The snippet whose section first prints something different (from the section lines "<i> kind ..."). */
function firstDifferingSnippet(result) {
  const pl = result.plain?.stdout.split("\n");
  if (!pl) return undefined;
  for (const r of [result.traced.off, result.traced.summary, result.traced.nd]) {
    if (r.stdout === result.plain.stdout) continue;
    const tl = r.stdout.split("\n");
    let i = 0;
    while (pl[i] === tl[i]) i++;
    for (let j = i; j < pl.length; j++) {
      const m = /^(\d+) /.exec(pl[j]);
      if (m) return Number(m[1]);
    }
  }
  return undefined;
}

/**
 * Shrinks every failing program of a batch: first, all at once, to the one snippet whose output
 * differs first (one compile for the whole batch); where that alone does not fail, by removing
 * snippets one at a time (`minimize`). Returns [{program, result}] in the order given.
 */
export async function shrinkAll(failing, render) {
  const singles = failing.map(({ program, result }) => {
    const i = firstDifferingSnippet(result);
    return i === undefined || program.snippets.length === 1 ? undefined : { snippets: [program.snippets[i]], exitCode: 0 };
  });
  const tried = singles.filter(Boolean);
  const singleResults = tried.length ? await checkPrograms(tried.map(render)) : [];
  const out = [];
  let k = 0;
  for (let n = 0; n < failing.length; n++) {
    const { program, result } = failing[n];
    if (singles[n]) {
      const r = singleResults[k++];
      if (!r.ok) {
        out.push({ program: singles[n], result: r });
        continue;
      }
    }
    const small = await minimize(program, render);
    const [r] = await checkPrograms([render(small)]);
    out.push({ program: small, result: r.ok ? result : r });
  }
  return out;
}
