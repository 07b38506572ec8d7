// traced-alloc export (issue 9, point 3): each format written by the real bin from a real traced
// run, then loaded back the way its viewer loads it:
// - heapprofile: DevTools' SamplingHeapProfileModel (panels/profiler/HeapProfileView.ts) over
//   ProfileTreeModel (models/cpu_profile/ProfileTreeModel.ts), as loadFromFile feeds it, and VS
//   Code's tree (children keyed by id). The model is mirrored below; when the
//   chrome-devtools-frontend package is installed (npm i --no-save chrome-devtools-frontend), its own
//   sources are run too and must give the same tree;
// - pprof: pprof-format's decoder, and `go tool pprof -top -lines` when `go` is on PATH;
// - speedscope: the file-format schema the speedscope package ships (ajv), then its importer's rules;
// - collapsed: flamegraph.pl's line pattern.
// The program has several sites, a @track_caller helper with a site inside it (called from two
// lines), a realloc and objects live at exit. Figures are checked against the trace's own rows
// (what `traced-alloc report` shows), read with readTrace.
import { expect } from "chai";
import { createRequire } from "node:module";
import * as fs from "node:fs";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import { spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";
import { cleanup, compile, runNdjson, repoRoot, scratch, ts } from "./harness.mjs";

const require = createRequire(import.meta.url);
const { readTrace } = require(path.join(repoRoot, "dist/cli/trace.js"));
const { Profile } = require("pprof-format");
const Ajv = require("ajv");
const exportersDir = path.join(repoRoot, "dist/cli/exporters");
const { collapsed } = require(path.join(exportersDir, "collapsed.js"));
const { heapProfile } = require(path.join(exportersDir, "heapprofile.js"));
const { pprof } = require(path.join(exportersDir, "pprof.js"));
const { speedscope } = require(path.join(exportersDir, "speedscope.js"));

const helpers = `/** @track_caller */
export function makeBytes(n: number): Uint8Array {
  return new Uint8Array(n);
}
`;
const main = `import { makeBytes } from "./helpers";
const kept: unknown[] = [];
(globalThis as { kept?: unknown[] }).kept = kept;
function work(): void {
  kept.push(makeBytes(64 * 1024));
  for (let i = 0; i < 4; i++) kept.push(new Float64Array(1000));
  makeBytes(100);
  const grown = new ArrayBuffer(16, { maxByteLength: 4096 });
  grown.resize(1024);
  kept.push(grown);
  for (let i = 0; i < 10; i++) Buffer.alloc(500);
}
work();
`;
/** 1-based line of the first line of `text` that contains `needle`. */
const lineOf = (text, needle) => text.split("\n").findIndex((l) => l.includes(needle)) + 1;

const bin = path.join(repoRoot, "dist/cli/main.js");
function traced(args) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", timeout: 30_000, env: { ...process.env, TRACED_ALLOC: "" } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
function exportTo(tracePath, format, file, more = []) {
  const r = traced(["export", tracePath, "--format", format, "-o", file, ...more]);
  expect(r.status, r.stderr).to.equal(0);
  return fs.readFileSync(file);
}

const place = (p) => `${p.file}:${p.line}:${p.col}`;
/** The figure each exporter weighs a row by (exporters/stacks.ts), here from the trace's own rows. */
const figure = (site, weight) =>
  Math.round({ bytes: site.bytes, allocs: site.allocs + site.reallocs, live: site.live, peak: site.atPeak }[weight]);

// ------------------------------------------------------------------------------------------------
// How DevTools reads a .heapprofile: SamplingHeapProfileModel(JSON.parse(text)) builds a node per
// profile node (callFrame, self = selfSize), walks `children`, prunes branches with neither self
// size nor children, and sums totals up the tree (ProfileTreeModel.calculateTotals).
function devtoolsMirror(profile) {
  const node = (n) => ({ callFrame: n.callFrame, functionName: n.callFrame.functionName, url: n.callFrame.url, self: n.selfSize, children: n.children.map(node) });
  const prune = (n) => {
    n.children = n.children.filter(prune);
    return n.children.length > 0 || Boolean(n.self);
  };
  const total = (n) => (n.total = n.self + n.children.reduce((s, c) => s + total(c), 0));
  const root = node(profile.head);
  prune(root);
  return { root, total: total(root) };
}

/** DevTools' own SamplingHeapProfileModel, from the chrome-devtools-frontend sources, if installed. */
function devtoolsOwn() {
  let dir;
  try {
    dir = path.dirname(require.resolve("chrome-devtools-frontend/package.json"));
  } catch {
    return undefined;
  }
  const read = (p) => fs.readFileSync(path.join(dir, "front_end", p), "utf8");
  const js = (src) => ts.transpileModule(src, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText.replace(/^export /gm, "");
  const view = ts.createSourceFile("HeapProfileView.ts", read("panels/profiler/HeapProfileView.ts"), ts.ScriptTarget.ES2022, true);
  const classes = view.statements
    .filter((s) => ts.isClassDeclaration(s) && ["SamplingHeapProfileNode", "SamplingHeapProfileModel"].includes(s.name?.text))
    .map((s) => s.getText(view));
  const body = `${js(read("models/cpu_profile/ProfileTreeModel.ts"))}
const CPUProfile = { ProfileTreeModel: { ProfileNode, ProfileTreeModel } };
${js(classes.join("\n"))}
return SamplingHeapProfileModel;`;
  return new Function(body)();
}

/** A DevTools tree as plain data, to compare the mirror with DevTools' own model. */
const shape = (n) => ({ name: n.functionName, url: n.url, line: n.callFrame.lineNumber, col: n.callFrame.columnNumber, self: n.self, total: n.total, children: n.children.map(shape) });

/** VS Code's heap profile tree (vscode-js-profile-core heap/tree.ts) keys children by node id. */
function vscodeNodeCount(head) {
  const count = (n) => 1 + Object.values(Object.fromEntries(n.children.map((c) => [c.id, c]))).reduce((s, c) => s + count(c), 0);
  return count(head);
}

function allNodes(head) {
  const out = [];
  const walk = (n) => {
    out.push(n);
    n.children.forEach(walk);
  };
  walk(head);
  return out;
}

// ------------------------------------------------------------------------------------------------

after(cleanup);

describe("traced-alloc export", function () {
  this.timeout(60_000);
  let dir, tracePath, trace, top, root, callLine, smallCallLine, innerLine;

  before(async () => {
    const c = compile({ files: { "src/helpers.ts": helpers, "src/main.ts": main } });
    expect(c.diagnostics).to.deep.equal([]);
    const r = runNdjson(path.join(c.outDir, "src/main.js"));
    expect(r.status, r.stderr).to.equal(0);
    dir = scratch("export");
    tracePath = path.join(dir, "trace.ndjson");
    fs.writeFileSync(tracePath, r.text);
    trace = await readTrace(tracePath);
    top = trace.sites[0];
    root = trace.threads[0].root;
    callLine = lineOf(main, "makeBytes(64 * 1024)");
    smallCallLine = lineOf(main, "makeBytes(100)");
    innerLine = lineOf(helpers, "new Uint8Array(n)");
  });

  it("the run has what the formats must show: a @track_caller row on top, a realloc, bytes live at exit", () => {
    expect(top).to.include({ file: "src/main.ts", line: callLine, kind: "new Uint8Array", bytes: 64 * 1024 });
    expect(top.inner).to.include({ file: "src/helpers.ts", line: innerLine });
    expect(trace.sites.filter((s) => s.inner !== undefined).map((s) => s.line)).to.have.members([callLine, smallCallLine]);
    expect(trace.sites.some((s) => s.reallocs > 0 && s.kind === "ArrayBuffer.prototype.resize")).to.equal(true);
    expect(trace.sites.filter((s) => s.live > 0).length).to.be.at.least(3);
    expect(trace.threads.map((t) => t.thread)).to.deep.equal([0]);
  });

  describe("heapprofile", () => {
    let profile;
    before(() => {
      profile = JSON.parse(exportTo(tracePath, "heapprofile", path.join(dir, "allocs.heapprofile")).toString("utf8"));
    });

    it("loads as DevTools loads it: a zero-size (root), one node per site, totals = bytes allocated", () => {
      expect(profile.head.callFrame.functionName).to.equal("(root)");
      expect(profile.head.selfSize).to.equal(0);
      const model = devtoolsMirror(profile);
      expect(model.total).to.equal(trace.sites.reduce((s, x) => s + figure(x, "bytes"), 0));
      // Every row is a leaf whose self size is its bytes; nothing else has a size.
      const sized = allNodes(profile.head).filter((n) => n.selfSize > 0);
      expect(sized.length).to.equal(trace.sites.filter((s) => s.bytes > 0).length);
      expect(sized.every((n) => n.children.length === 0)).to.equal(true);
    });

    it("the top site: the caller's line (0-based, file:/// url under the trace's root), the helper's site under it", () => {
      const model = devtoolsMirror(profile);
      const first = model.root.children.reduce((a, b) => (b.total > a.total ? b : a));
      expect(first.url).to.equal(pathToFileURL(path.join(root, "src/main.ts")).href);
      expect([first.callFrame.lineNumber, first.callFrame.columnNumber]).to.deep.equal([top.line - 1, top.col - 1]);
      expect(first.functionName).to.equal(`makeBytes (${place(top)})`);
      expect(first.self).to.equal(0);
      expect(first.total).to.equal(top.bytes);
      expect(first.children).to.have.length(1);
      const leaf = first.children[0];
      expect(leaf.url).to.equal(pathToFileURL(path.join(root, "src/helpers.ts")).href);
      expect([leaf.callFrame.lineNumber, leaf.callFrame.columnNumber]).to.deep.equal([top.inner.line - 1, top.inner.col - 1]);
      expect(leaf.functionName).to.equal(`new Uint8Array (${place(top.inner)})`);
      expect(leaf.self).to.equal(top.bytes);
    });

    it("node ids are unique (VS Code keys children by id: no node is lost); samples point at nodes", () => {
      const nodes = allNodes(profile.head);
      expect(new Set(nodes.map((n) => n.id)).size).to.equal(nodes.length);
      expect(vscodeNodeCount(profile.head)).to.equal(nodes.length);
      const ids = new Set(nodes.map((n) => n.id));
      expect(profile.samples.every((s) => ids.has(s.nodeId))).to.equal(true);
      expect(profile.samples.reduce((s, x) => s + x.size, 0)).to.equal(devtoolsMirror(profile).total);
    });

    it("--weight live: self sizes are the bytes live at exit", () => {
      const live = JSON.parse(exportTo(tracePath, "heapprofile", path.join(dir, "live.heapprofile"), ["--weight", "live"]).toString("utf8"));
      const model = devtoolsMirror(live);
      expect(model.total).to.equal(trace.sites.reduce((s, x) => s + figure(x, "live"), 0));
      const byPlace = new Map(allNodes(live.head).filter((n) => n.selfSize > 0).map((n) => [n.callFrame.functionName, n.selfSize]));
      for (const s of trace.sites.filter((x) => x.live > 0 && x.inner === undefined)) {
        expect(byPlace.get(`${s.kind} (${place(s)})`), place(s)).to.equal(figure(s, "live"));
      }
    });

    it("DevTools' own SamplingHeapProfileModel gives the same tree (when chrome-devtools-frontend is installed)", function () {
      const Model = devtoolsOwn();
      if (Model === undefined) this.skip();
      const own = new Model(profile);
      expect(own.total).to.equal(devtoolsMirror(profile).total);
      expect(shape(own.root)).to.deep.equal(shape(devtoolsMirror(profile).root));
    });
  });

  describe("pprof", () => {
    let file, decoded, str;
    before(() => {
      file = path.join(dir, "allocs.pb.gz");
      decoded = Profile.decode(gunzipSync(exportTo(tracePath, "pprof", file)));
      str = (i) => decoded.stringTable.strings[Number(i)];
    });

    it("sample types alloc_objects, alloc_space (the default), inuse_objects, inuse_space, peak_space", () => {
      expect(decoded.sampleType.map((t) => `${str(t.type)}/${str(t.unit)}`)).to.deep.equal([
        "alloc_objects/count",
        "alloc_space/bytes",
        "inuse_objects/count",
        "inuse_space/bytes",
        "peak_space/bytes",
      ]);
      expect(str(decoded.defaultSampleType)).to.equal("alloc_space");
    });

    it("one sample a row, values equal to the row's figures; one function a frame with line and column", () => {
      const fn = new Map(decoded.function.map((f) => [Number(f.id), f]));
      const loc = new Map(decoded.location.map((l) => [Number(l.id), l]));
      const frames = (s) =>
        s.locationId.map((id) => {
          const line = loc.get(Number(id)).line[0];
          const f = fn.get(Number(line.functionId));
          return { name: str(f.name), file: str(f.filename), startLine: Number(f.startLine), line: Number(line.line), col: Number(line.column) };
        });
      expect(decoded.sample).to.have.length(trace.sites.length);
      for (const site of trace.sites) {
        const leafAt = site.inner ?? site;
        const sample = decoded.sample.find((s) => {
          const [leaf, caller] = frames(s);
          return leaf.file === leafAt.file && leaf.line === leafAt.line && leaf.col === leafAt.col && (site.inner === undefined || (caller?.line === site.line && caller?.col === site.col));
        });
        expect(sample, place(site)).to.not.equal(undefined);
        const values = sample.value.map(Number);
        expect(values[0], place(site)).to.equal(figure(site, "allocs"));
        expect(values[1], place(site)).to.equal(figure(site, "bytes"));
        expect(values[3], place(site)).to.equal(figure(site, "live"));
        expect(values[4], place(site)).to.equal(figure(site, "peak"));
        expect(values[2] > 0, place(site)).to.equal(site.live > 0);
        const fs_ = frames(sample);
        expect(fs_).to.have.length(site.inner === undefined ? 1 : 2);
        expect(fs_[0].startLine).to.equal(leafAt.line);
      }
    });

    it("the @track_caller row is two locations, leaf first: the helper's site, then the caller's line", () => {
      const names = decoded.sample.map((s) => s.locationId.map((id) => str(decoded.function.find((f) => Number(f.id) === Number(decoded.location.find((l) => Number(l.id) === Number(id)).line[0].functionId)).name)));
      expect(names).to.deep.include([`new Uint8Array (${place(top.inner)})`, `makeBytes (${place(top)})`]);
    });

    it("go tool pprof -top -lines names the lines (when go is on PATH)", function () {
      if (spawnSync("go", ["version"]).status !== 0) this.skip();
      const r = spawnSync("go", ["tool", "pprof", "-unit=B", "-top", "-lines", file], { encoding: "utf8", timeout: 30_000 });
      expect(r.status, r.stderr).to.equal(0);
      const rows = r.stdout.split("\n").filter((l) => /^\s+\S+\s+[\d.]+%/.test(l));
      // flat is summed per line: both calls of the helper land on its site, the top row.
      const helperBytes = trace.sites.filter((s) => s.inner !== undefined).reduce((a, s) => a + s.bytes, 0);
      expect(rows[0]).to.include(`${top.inner.file}:${top.inner.line}`).and.include(`${helperBytes}B`);
      const caller = rows.find((l) => l.includes(`makeBytes (${place(top)})`));
      expect(caller, r.stdout).to.include(`src/main.ts:${top.line}`);
      const inuse = spawnSync("go", ["tool", "pprof", "-sample_index=inuse_space", "-top", "-lines", file], { encoding: "utf8", timeout: 30_000 });
      expect(inuse.stdout).to.match(/Type: inuse_space/);
      // Every sample is tagged with its thread, the main thread's 0 included.
      const tags = spawnSync("go", ["tool", "pprof", "-tags", file], { encoding: "utf8", timeout: 30_000 });
      expect(tags.stdout).to.match(/thread: Total/).and.match(/\(\s*100%\): 0$/m);
    });
  });

  describe("speedscope", () => {
    let file;
    before(() => {
      file = JSON.parse(exportTo(tracePath, "speedscope", path.join(dir, "allocs.speedscope.json")).toString("utf8"));
    });

    it("is valid against the file-format schema the speedscope package ships", () => {
      const schemaFile = path.join(path.dirname(require.resolve("speedscope/package.json")), "dist/release/file-format-schema.json");
      const validate = new Ajv().compile(JSON.parse(fs.readFileSync(schemaFile, "utf8")));
      expect(validate(file), JSON.stringify(validate.errors)).to.equal(true);
      expect(file.$schema).to.equal("https://www.speedscope.app/file-format-schema.json");
    });

    it("imports as speedscope does: one sampled profile a weight, weights equal to the rows' figures", () => {
      const names = { "bytes allocated": "bytes", "allocations and reallocations": "allocs", "bytes live at exit": "live", "bytes held at the peak": "peak" };
      expect(file.profiles.map((p) => p.name)).to.deep.equal(Object.keys(names));
      for (const p of file.profiles) {
        // importSampledProfile: samples and weights pair up; each index names a shared frame.
        expect(p.type).to.equal("sampled");
        expect(p.samples.length).to.equal(p.weights.length);
        expect(p.samples.flat().every((i) => Number.isInteger(i) && i >= 0 && i < file.shared.frames.length)).to.equal(true);
        expect(p.endValue - p.startValue).to.equal(p.weights.reduce((a, b) => a + b, 0));
        const weight = names[p.name];
        expect(p.unit).to.equal(weight === "allocs" ? "none" : "bytes");
        const got = p.samples.map((stack, i) => [stack.map((f) => file.shared.frames[f].name).join(" > "), p.weights[i]]);
        const want = trace.sites
          .filter((s) => figure(s, weight) > 0)
          .map((s) => [s.inner ? `makeBytes (${place(s)}) > ${s.kind} (${place(s.inner)})` : `${s.kind} (${place(s)})`, figure(s, weight)]);
        expect(got, p.name).to.have.deep.members(want);
      }
    });

    it("frames carry file, 1-based line and col; the top sample is the caller's line then the helper's site", () => {
      const p = file.profiles[0];
      const heaviest = p.samples[p.weights.indexOf(Math.max(...p.weights))].map((i) => file.shared.frames[i]);
      expect(heaviest).to.deep.equal([
        { name: `makeBytes (${place(top)})`, file: top.file, line: top.line, col: top.col },
        { name: `new Uint8Array (${place(top.inner)})`, file: top.inner.file, line: top.inner.line, col: top.inner.col },
      ]);
      expect(new Set(file.shared.frames.map((f) => f.name)).size).to.equal(file.shared.frames.length);
    });
  });

  describe("collapsed", () => {
    // flamegraph.pl: a stack, then the count after the last space.
    const parse = (text) =>
      text
        .trimEnd()
        .split("\n")
        .map((l) => {
          const m = /^(.*)\s+?(\d+(?:\.\d*)?)$/.exec(l);
          expect(m, l).to.not.equal(null);
          return { frames: m[1].split(";"), weight: m[2] };
        });

    it("one line a stack, integer weights equal to bytes allocated, the @track_caller row as two frames", () => {
      const lines = parse(exportTo(tracePath, "collapsed", path.join(dir, "allocs.folded")).toString("utf8"));
      expect(lines.every((l) => /^\d+$/.test(l.weight))).to.equal(true);
      expect(lines).to.have.length(trace.sites.filter((s) => s.bytes > 0).length);
      expect(lines[0]).to.deep.equal({ frames: [`makeBytes (${place(top)})`, `new Uint8Array (${place(top.inner)})`], weight: String(top.bytes) });
      for (const s of trace.sites.filter((x) => x.inner === undefined)) {
        expect(lines.find((l) => l.frames.length === 1 && l.frames[0] === `${s.kind} (${place(s)})`)?.weight, place(s)).to.equal(String(figure(s, "bytes")));
      }
    });

    it("to stdout without -o, the same text; --weight allocs counts allocations and reallocations", () => {
      const r = traced(["export", tracePath, "--format", "collapsed"]);
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.equal(fs.readFileSync(path.join(dir, "allocs.folded"), "utf8"));
      const counts = traced(["export", tracePath, "-f", "collapsed", "-w", "allocs"]);
      const total = parse(counts.stdout).reduce((a, l) => a + Number(l.weight), 0);
      expect(total).to.equal(trace.totals.allocs + trace.totals.reallocs);
    });
  });

  describe("bad usage: exit 2, a message, no stack trace", () => {
    const bad = (args, pattern) => {
      const r = traced(["export", ...args]);
      expect(r.status, r.stderr).to.equal(2);
      expect(r.stderr).to.match(pattern);
      expect(r.stderr).to.not.match(/\n\s+at /);
      expect(r.stdout).to.equal("");
    };
    it("an unknown format names the formats", () => bad([tracePath, "--format", "svg"], /--format svg.*heapprofile, pprof, speedscope, collapsed/));
    it("no --format names the formats", () => bad([tracePath], /--format.*heapprofile, pprof, speedscope, collapsed/));
    it("no trace", () => bad(["--format", "collapsed"], /missing <trace>/));
    it("a trace that is not there", () => bad([path.join(dir, "missing.ndjson"), "--format", "collapsed"], /missing\.ndjson/));
    it("pprof without -o (a binary file)", () => bad([tracePath, "--format", "pprof"], /-o/));
    it("an unknown weight, and allocs for heapprofile", () => {
      bad([tracePath, "-f", "collapsed", "--weight", "heavy"], /--weight heavy.*bytes, allocs, live, peak/);
      bad([tracePath, "-f", "heapprofile", "--weight", "allocs"], /heapprofile/);
    });
    it("an unknown option", () => bad([tracePath, "-f", "collapsed", "--colour"], /--colour/));
    it("--help lists the formats and the weights, exit 0", () => {
      const r = traced(["export", "--help"]);
      expect(r.status).to.equal(0);
      for (const w of ["heapprofile", "pprof", "speedscope", "collapsed", "bytes", "allocs", "live", "peak"]) expect(r.stdout).to.include(w);
    });
  });
});

// Hand-made traces: what a real run of this test does not have (threads, odd kinds).
describe("traced-alloc export: exporters on hand-made traces", () => {
  const row = (o) => ({ thread: 0, key: `${o.file}#main/${o.kind}#1`, allocs: 1, reallocs: 0, max: o.bytes, deallocs: 0, live: 0, atPeak: 0, estimated: false, sampled: false, temporaries: 0, ...o });
  const traceOf = (sites) => ({
    path: "/tmp/hand.ndjson",
    version: 1,
    threads: [...new Set(sites.map((s) => s.thread))].map((thread) => ({ thread, root: "/app", start: "2026-12-01T07:20:19.043Z", sampling: false })),
    sites,
    totals: { allocs: sites.length, reallocs: 0, bytes: sites.reduce((a, s) => a + s.bytes, 0), deallocs: 0, live: 0, estimated: false },
    peak: undefined,
    timeline: [],
    lines: 0,
    events: 0,
    truncated: false,
    warnings: [],
  });
  const twoThreads = traceOf([
    row({ file: "src/a.ts", line: 3, col: 9, kind: "new Uint8Array", bytes: 300 }),
    row({ file: "src/w.ts", line: 7, col: 5, kind: "Pool;get", bytes: 200, thread: 1 }),
  ]);

  it("with two threads every stack starts with its thread; a ; in a name does not split a frame", () => {
    expect(collapsed(twoThreads, "bytes")).to.equal("thread 0;new Uint8Array (src/a.ts:3:9) 300\nthread 1;Pool,get (src/w.ts:7:5) 200\n");
    const head = JSON.parse(heapProfile(twoThreads, "bytes")).head;
    expect(head.children.map((c) => c.callFrame.functionName)).to.deep.equal(["thread 0", "thread 1"]);
    expect(head.children[1].children[0].callFrame).to.include({ url: "file:///app/src/w.ts", lineNumber: 6, columnNumber: 4 });
  });

  it("pprof labels each sample with its thread; speedscope keeps the bytes profile of an empty trace", () => {
    const p = Profile.decode(gunzipSync(pprof(twoThreads)));
    const str = (i) => p.stringTable.strings[Number(i)];
    // The main thread's 0 has a unit: pprof's decoder drops a numeric label 0 without one.
    expect(p.sample.map((s) => [str(s.label[0].key), Number(s.label[0].num), str(s.label[0].numUnit)])).to.deep.equal([["thread", 0, "thread"], ["thread", 1, "thread"]]);
    const empty = JSON.parse(speedscope(traceOf([]), "live", "test"));
    expect(empty.profiles).to.deep.equal([{ type: "sampled", name: "bytes allocated", unit: "bytes", startValue: 0, endValue: 0, samples: [], weights: [] }]);
    expect(collapsed(traceOf([]), "bytes")).to.equal("");
  });
});
