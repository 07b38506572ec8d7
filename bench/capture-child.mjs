// Child process: the cost, per call, of learning "where was I called from" in five ways.
//
//   injected        the transformer's way: the call site passes a hoisted, module-level site object
//                   (made once at load); the callee reads `site.line` (summed into a printed sink, so
//                   V8 cannot drop the read).
//   error_stack     `new Error().stack` (a string: still to be parsed; parsing is not counted).
//   capture_stack   `Error.captureStackTrace(obj)` then reading `obj.stack` (string, not parsed).
//   callsites       structured call sites through `Error.prepareStackTrace`, exactly as the
//                   `callsites` package does, then the caller frame's file, line and column.
//   util_getCallSites  `util.getCallSites()` (Node >= 22.9); reported absent where missing.
//
// Every method runs at the same stack depth (DEPTH frames below the top), so that each capture
// collects a full `Error.stackTraceLimit` (default 10) frames, as it would inside an application.
//
// Figures are CPU ns per call: the median over batches of about 20 ms each.
//
// Usage: node capture-child.mjs [msPerMethod]   -> prints one JSON line.
import * as util from "node:util";

const MS = Number(process.argv[2] ?? 400);
const DEPTH = 20;
let sink = 0; // kept a small integer (| 0): a growing double would box on every add

// The shape the runtime uses: a class instance with file/line/col/kind/rule, made once per site.
class Site {
  constructor(file, line, col, kind, rule) {
    this.file = file;
    this.line = line;
    this.col = col;
    this.kind = kind;
    this.rule = rule;
    this.stats = undefined;
  }
}
// Several sites, picked by the loop index: a program has many, and V8 must not fold one constant.
const SITES = [];
for (let i = 0; i < 8; i++) SITES.push(new Site("src/app.ts", 10 + i * 7, 5 + i, "new Uint8Array", 1));

function injected(site, value) {
  sink = (sink + site.line) | 0;
  return value;
}

function errorStack(value) {
  const s = new Error().stack;
  sink = (sink + s.length) | 0;
  return value;
}

function captureStack(value) {
  const o = {};
  Error.captureStackTrace(o);
  sink = (sink + o.stack.length) | 0;
  return value;
}

// callsites@4 (sindresorhus/callsites), verbatim logic.
function callsites() {
  const _prepareStackTrace = Error.prepareStackTrace;
  try {
    let result = [];
    Error.prepareStackTrace = (_, callSites) => {
      const callSitesWithoutCurrent = callSites.slice(1);
      result = callSitesWithoutCurrent;
      return callSitesWithoutCurrent;
    };
    new Error().stack; // eslint-disable-line no-unused-expressions
    return result;
  } finally {
    Error.prepareStackTrace = _prepareStackTrace;
  }
}
function viaCallsites(value) {
  const frame = callsites()[1]; // [0] is this function, [1] its caller
  sink = (sink + frame.getLineNumber() + frame.getColumnNumber() + frame.getFileName().length) | 0;
  return value;
}

const getCallSites = typeof util.getCallSites === "function" ? util.getCallSites : undefined;
function viaGetCallSites(value) {
  const frame = getCallSites(3)[1];
  sink = (sink + frame.lineNumber + frame.column + frame.scriptName.length) | 0;
  return value;
}

// One loop per method, so each is optimized on its own and stays monomorphic.
const loops = {
  injected(n) {
    for (let i = 0; i < n; i++) injected(SITES[i & 7], i);
  },
  error_stack(n) {
    for (let i = 0; i < n; i++) errorStack(i);
  },
  capture_stack(n) {
    for (let i = 0; i < n; i++) captureStack(i);
  },
  callsites(n) {
    for (let i = 0; i < n; i++) viaCallsites(i);
  },
  util_getCallSites: getCallSites
    ? (n) => {
        for (let i = 0; i < n; i++) viaGetCallSites(i);
      }
    : undefined,
};

function atDepth(d, fn) {
  return d <= 0 ? fn() : atDepth(d - 1, fn) + 0;
}

// CPU time of the process (user + system), not wall time: on a shared machine a preempted batch
// would otherwise count time spent running someone else's work.
function cpuNs() {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

function timeBatch(loop, n) {
  return atDepth(DEPTH, () => {
    const c0 = cpuNs();
    loop(n);
    return cpuNs() - c0;
  });
}

function measure(loop) {
  // Calibrate: a batch of at least ~20 ms (cpuUsage has microsecond resolution).
  let n = 256;
  while (timeBatch(loop, n) < 20e6 && n < 1 << 30) n *= 2;
  for (let i = 0; i < 3; i++) timeBatch(loop, n); // warm-up: optimized code, stable heap
  const perOp = [];
  const deadline = Date.now() + MS;
  while (perOp.length < 5 || (Date.now() < deadline && perOp.length < 200)) perOp.push(timeBatch(loop, n) / n);
  perOp.sort((a, b) => a - b);
  return { ns_per_op: perOp[perOp.length >> 1], min_ns: perOp[0], batches: perOp.length, ops_per_batch: n };
}

const results = {};
for (const [name, loop] of Object.entries(loops)) {
  results[name] = loop ? measure(loop) : { absent: true, why: `util.getCallSites is not in Node ${process.version}` };
}
// The sink is printed: the injected reads are observable, V8 cannot eliminate them.
console.log(JSON.stringify({ results, sink, stackTraceLimit: Error.stackTraceLimit, depth: DEPTH }));
