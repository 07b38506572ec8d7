// Generator of small TypeScript programs for the differential property test (test/property.test.mjs).
// A program is a list of snippets; each snippet is one shape the transformer rewrites (or must leave
// alone), with small parameters, and prints what it observes. Output is deterministic: no timing, no
// GC, no stack traces, no source text of rewritten functions is printed.
import fc from "fast-check";

// ------------------------------------------------------------------ small pieces

const small = fc.integer({ min: 0, max: 6 });
const label = fc.constantFrom("a", "b", "c", "n", "x");
const bool = fc.boolean();
const list = fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 0, maxLength: 4 }).map((xs) => `[${xs.join(", ")}]`);
const str = fc.constantFrom("", "ab", "héllo", "xyz0", "€");
const mark = fc.boolean().map((m) => (m ? "/** @track_caller */\n" : ""));

/** A numeric argument: a literal, through log() (evaluation order), an identity call, or a cast. */
const num = (n) =>
  fc.oneof(
    fc.constant(`${n}`),
    label.map((l) => `log("${l}", ${n})`),
    fc.constant(`id(${n})`),
    fc.constant(`(${n} as number)`),
  );
/** A size that is sometimes invalid (RangeError). */
const size = fc.oneof({ weight: 4, arbitrary: small }, { weight: 1, arbitrary: fc.constantFrom(-1, 2.5, 2 ** 33) }).chain(num);
const typedName = fc.constantFrom("Uint8Array", "Int16Array", "Float64Array", "Uint8ClampedArray", "Uint32Array");
const typedCallee = typedName.chain((t) => fc.constantFrom(t, `globalThis.${t}`, `(${t})`, t === "Uint8Array" ? "U8" : t));

/** One snippet: module-level declarations (`top`) and the body of a section (may `return` a value). `$` is replaced by a unique suffix. */
const snip = (kind, arb) => arb.map((s) => ({ kind, ...(typeof s === "string" ? { top: "", body: s } : s) }));

// ------------------------------------------------------------------ snippets

const typedAlloc = snip(
  "typed alloc",
  fc.tuple(typedCallee, fc.oneof(size, list, list.map((l) => `new Set(${l})`), small.map((n) => `{ length: ${n} }`)), typedName, list).map(
    ([c, arg, t, l]) => `const a = new ${c}(${arg});\nconst b = ${t}.from(${l}, (x) => x * 2);\nconst c = ${t}.of(1, 2);\nreturn [a, b, c];`,
  ),
);

const resizable = snip(
  "resizable ArrayBuffer",
  fc.record({ n: small, max: small.map((m) => m + 2), k: fc.integer({ min: 0, max: 10 }), form: fc.integer({ min: 0, max: 4 }) }).chain(({ n, max, k, form }) =>
    num(k).map((arg) => {
      const init = `const rab = new ArrayBuffer(${n}, { maxByteLength: ${max} });\nconst view = new Uint8Array(rab);\nconst before = rab.byteLength;\n`;
      const call = [
        `rab.resize(${arg})`,
        `(rab).resize(${arg})`,
        `holder.buf.resize(${arg})`,
        `rab!.resize(${arg})`,
        `rab.resize()`,
      ][form];
      const holder = form === 2 ? "const holder = { buf: rab };\n" : "";
      return `${init}${holder}const r = ${call};\nreturn [before, r, rab.byteLength, rab.maxByteLength, rab.resizable, view.length];`;
    }),
  ),
);

const buffers = snip(
  "Buffer",
  fc.tuple(size, small, str, list, small, fc.integer({ min: 0, max: 6 })).map(([s, fill, st, l, n, pick]) => {
    const forms = [
      `Buffer.alloc(${s}, ${fill})`,
      `Buffer.allocUnsafe(${n}).fill(${fill})`,
      `Buffer.from(${JSON.stringify(st)})`,
      `Buffer.from(${l})`,
      `Buffer.concat([Buffer.from("ab"), Buffer.alloc(${n}, 1)])`,
      `globalThis.Buffer.alloc(${n})`,
      `(() => { const ab = new ArrayBuffer(4); const b = Buffer.from(ab, 1, 2); b[0] = 9; return [b.length, new Uint8Array(ab)[1], b.buffer === ab]; })()`,
    ];
    return `const anyAb: any = ${pick % 2 ? "new ArrayBuffer(3)" : l};\nconst viewOrCopy = Buffer.from(anyAb);\nreturn [${forms[pick]}, viewOrCopy, viewOrCopy.buffer === anyAb];`;
  }),
);

const arrays = snip(
  "arrays",
  fc.tuple(size, small, list, fc.integer({ min: 0, max: 5 })).map(([s, n, l, pick]) => {
    const forms = [
      `Array.from({ length: ${n} }, (_, i) => i * 3)`,
      `Array.from("abc")`,
      `new Array(${s}).length`,
      `Array(${n}).fill(0)`,
      `Array.of(...${l})`,
      `new Array<number>(${n}, 7)`,
    ];
    return `return ${forms[pick]};`;
  }),
);

const copies = snip(
  "copies",
  fc.tuple(list, small, small, fc.integer({ min: 0, max: 11 })).map(([l, a, b, pick]) => {
    const forms = [
      `src.slice(${a})`,
      `src.slice(${a}, ${b})`,
      `src.map((x) => x * 2)`,
      `src.filter((x) => x % 2 === 1)`,
      `(() => { const v = src.subarray(1); v.fill(7); return [v, src]; })()`,
      `arr.slice()`,
      `arr.map((x) => x + 1)`,
      `arr.filter((x) => x > 2)`,
      `(() => { const s = buf.slice(1); s.fill(7); return [s, buf]; })()`,
      `buf.map((x) => x + 1)`,
      `(() => { const c = src.slice(); c.fill(5); return [c, src]; })()`,
      `(either as Uint8Array).slice(${a})`,
    ];
    return `const src = new Uint8Array(${l});\nconst arr: number[] = ${l};\nconst buf = Buffer.from(${l});\nconst either: Uint8Array | number[] = ${a % 2 ? "src" : "arr"};\nreturn ${forms[pick]};`;
  }),
);

const encodeClone = snip(
  "encode/clone",
  fc.tuple(str, small, fc.integer({ min: 0, max: 5 })).map(([s, n, pick]) => {
    const forms = [
      `new TextEncoder().encode(${JSON.stringify(s)})`,
      `new TextEncoder().encodeInto("ab", new Uint8Array(${n}))`,
      `structuredClone(new Uint8Array([1, 2, ${n}]))`,
      `structuredClone({ a: [1, 2], b: new Uint8Array(${n}) })`,
      `(() => { const r = structuredClone(new ArrayBuffer(1, { maxByteLength: 4 })); r.resize(${n % 5}); return r; })()`,
      `structuredClone(() => 1)`,
    ];
    return `return ${forms[pick]};`;
  }),
);

const optional = snip(
  "optional chains",
  fc.tuple(bool, size, fc.integer({ min: 0, max: 4 })).map(([def, s, pick]) => {
    const forms = [
      `let maybe: ArrayBuffer | undefined = opt(${def}, new ArrayBuffer(2, { maxByteLength: 8 }));\nreturn [maybe?.resize(${s}), maybe?.byteLength];`,
      `const chain: { b?: { buf: ArrayBuffer } } = ${def} ? { b: { buf: new ArrayBuffer(1, { maxByteLength: 4 }) } } : {};\nreturn [chain.b?.buf.resize(${s}), chain.b?.buf.byteLength];`,
      `const f: ((n: number) => Uint8Array) | undefined = opt(${def}, (n: number) => new Uint8Array(n));\nreturn [f?.(${s}), f?.(1)?.length];`,
      `const B: typeof Buffer | undefined = opt(${def}, Buffer);\nreturn [B?.alloc(${s}).length, typeof B?.alloc];`,
      `const o: { m(n: number): Uint8Array } | undefined = opt(${def}, { m(n: number) { return new Uint8Array(n); } });\nreturn [o?.m(${s}), o?.m?.(1)];`,
    ];
    return forms[pick];
  }),
);

const spreads = snip(
  "spreads",
  fc.tuple(small, small, fc.integer({ min: 0, max: 5 })).map(([n, fill, pick]) => {
    const forms = [
      `const args = [${n}] as const;\nreturn new Uint8Array(...args);`,
      `const args: [number[]] = [[1, 2, ${n}]];\nreturn new Int16Array(...args);`,
      `const args = [new ArrayBuffer(4), 1] as const;\nconst v = new Uint8Array(...args);\nreturn [v, v.buffer === args[0]];`,
      `const args = [${n}, ${fill}] as const;\nreturn Buffer.alloc(...args);`,
      `const xs = [${n}, ${fill}];\nreturn [Array.of(...xs), Math.max(...new Uint8Array(xs))];`,
      `function mk(a: number, b: number) { return new Uint8Array(a + b); }\nconst xs = [${n}, ${fill}] as const;\nreturn mk(...xs);`,
    ];
    return forms[pick];
  }),
);

const thisShapes = snip(
  "this",
  fc.tuple(size, small, fc.integer({ min: 0, max: 2 })).map(([s, n, pick]) => {
    const forms = [
      `const holder = {\n  buf: new ArrayBuffer(${n}, { maxByteLength: 16 }),\n  grow(k: number) { this.buf.resize(k); return this.buf.byteLength; },\n  self() { return this; },\n  make() { const mk = () => new Uint8Array(this.buf.byteLength); return mk(); },\n};\nreturn [holder.grow(${s}), holder.self() === holder, holder.make()];`,
      `class K {\n  n = ${n};\n  mk = () => new Uint8Array(this.n);\n  me() { return [this === k, typeof this]; }\n}\nconst k = new K();\nconst { mk } = k;\nreturn [mk(), k.me()];`,
      `const holder = { buf: new ArrayBuffer(1, { maxByteLength: 8 }), grow(k: number) { return this.buf.resize(k); } };\nconst g = holder.grow;\nreturn g(${s});`,
    ];
    return forms[pick];
  }),
);

const accessors = snip(
  "getters/setters",
  fc.tuple(mark, mark, small, size, bool).map(([mg, ms, n, s, obj]) =>
    obj
      ? `const o = {\n  n: ${n},\n  ${mg.trim()} get bytes() { return new Uint8Array(this.n); },\n  ${ms.trim()} set size(v: number) { this.n = v; Buffer.alloc(v); },\n};\nconst a = o.bytes;\no.size = ${s};\nconst { bytes } = o;\nreturn [a, o.bytes, bytes, (o.size = 2), o.n];`
      : `class G {\n  #n = ${n};\n  last: Buffer = Buffer.alloc(0);\n  ${mg}get bytes() { return new Uint8Array(this.#n); }\n  ${ms}set size(v: number) { this.#n = v; this.last = Buffer.alloc(v); }\n}\nconst g = new G();\nconst a = g.bytes;\ng.size = ${s};\nreturn [a, g.bytes, g.last, (g.size = 1), g["bytes"]];`,
  ),
);

const generators = snip(
  "generators",
  fc.tuple(mark, small, bool, fc.integer({ min: 0, max: 2 })).map(([m, n, withDefault, pick]) => {
    const def = withDefault ? `, extra = new Uint8Array(log("gdef", 1))` : "";
    const top = `${m}function* gen$(n: number${def}) {\n  log("gen body", arguments.length);\n  yield new Uint8Array(n);\n  yield Buffer.alloc(n + 1);\n  return Array.from({ length: n });\n}\nclass GC$ {\n  ${m}*items(n: number) { yield* gen$(n); yield [this instanceof GC$]; }\n}\n${m}async function* agen$(n: number) { await null; yield new Uint8Array(n); }`;
    const body = [
      `const it = gen$(${n});\nlog("created", gen$.length);\nreturn [...it].map((x) => x.length);`,
      `const it = gen$(${n});\nreturn [it.next().value, it.return(undefined as never), it.next()];`,
      `const out: unknown[] = [];\nfor (const x of new GC$().items(${n})) out.push(x);\nreturn (async () => { for await (const x of agen$(${n})) out.push(x); return out; })();`,
    ][pick];
    return { top, body };
  }),
);

const asyncs = snip(
  "async",
  fc.tuple(mark, size, fc.integer({ min: 0, max: 2 })).map(([m, s, pick]) => {
    const top = `${m}async function am$(n: number) {\n  log("async start", n);\n  await null;\n  return new Uint8Array(n);\n}\n${m}const aa$ = async (n: number) => Buffer.alloc(await Promise.resolve(n));\nclass AC$ {\n  ${m}async make(n: number) { await null; return [this instanceof AC$, Array.from({ length: n })]; }\n}`;
    const body = [
      `const p = am$(${s});\nlog("after call", 0);\nreturn p.then((x) => x.length);`,
      `return aa$(${s});`,
      `return new AC$().make(${s});`,
    ][pick];
    return { top, body };
  }),
);

const subclasses = snip(
  "extends Uint8Array",
  fc.tuple(small, size, mark).map(([n, s, m]) => ({
    top: `class Bytes$ extends Uint8Array {\n  tag = new Uint8Array(${n});\n  ${m}constructor(n: number) {\n    super(n);\n    log("ctor", this.length);\n  }\n  sum() { return this.reduce((a, b) => a + b, 0); }\n}`,
    body: `const b = new Bytes$(${s});\nb.fill(1);\nreturn [b.length, b.sum(), b instanceof Bytes$, b.tag.length, b.slice(1) instanceof Bytes$, Bytes$.from([1, 2]).constructor.name, b.map((x) => x + 1).constructor.name, Object.getPrototypeOf(b) === Bytes$.prototype];`,
  })),
);

const exceptions = snip(
  "exceptions",
  fc.tuple(small, fc.integer({ min: 0, max: 5 }), mark).map(([n, pick, m]) => {
    const top = `${m}function mkx$(a: number, b: number) { return new Uint8Array(a + b); }`;
    const forms = [
      `return new Uint8Array(log("a", 1) + thrower("in arg"));`,
      `return Buffer.alloc(log("size", ${n}), thrower("fill"));`,
      `const rab = new ArrayBuffer(1, { maxByteLength: 4 });\nreturn rab.resize(log("before", 1) + thrower("resize arg"));`,
      `try {\n  return new Uint8Array(log("try", ${n}));\n} finally {\n  log("finally", Buffer.alloc(2).length);\n}`,
      `try {\n  throw new RangeError("x" + ${n});\n} catch (e) {\n  return [Array.from({ length: ${n} }), (e as Error).message];\n} finally {\n  log("finally", 1);\n}`,
      `return mkx$(log("x", 1), thrower("second arg"));`,
    ];
    return { top, body: forms[pick] };
  }),
);

const shortCircuit = snip(
  "short-circuit",
  fc.tuple(bool, bool, small, fc.integer({ min: 0, max: 5 })).map(([flag, def, n, pick]) => {
    const forms = [
      `const flag: boolean = ${flag};\nreturn flag && new Uint8Array(log("and", ${n}));`,
      `const v = opt(${def}, new Uint8Array(1));\nreturn v ?? new Uint8Array(log("nullish", ${n}));`,
      `const flag: boolean = ${flag};\nreturn flag ? new Uint16Array(log("then", ${n})) : Buffer.alloc(log("else", ${n}));`,
      `const flag: boolean = ${flag};\nreturn !flag || Array.from({ length: ${n} });`,
      `let v = opt(${def}, new Uint8Array(1));\nv ??= new Uint8Array(log("??=", ${n}));\nreturn v;`,
      `let v = opt(${def}, new Uint8Array(3));\nv ||= Buffer.alloc(log("||=", ${n}));\nv &&= new Uint8Array(log("&&=", 1));\nreturn v;`,
    ];
    return forms[pick];
  }),
);

const defaults = snip(
  "parameter defaults",
  fc.tuple(mark, small, fc.integer({ min: 0, max: 2 })).map(([m, n, pick]) => {
    const top = `${m}function pd$(n: number, b = new Uint8Array(log("default", n)), c: Buffer = Buffer.alloc(b.length + 1)) {\n  return [n, b.length, c.length, arguments.length];\n}\n${m}const pa$ = (n: number, b = Array.from({ length: n })) => b.length;\nclass PD$ {\n  ${m}m(n: number, b = new ArrayBuffer(n, { maxByteLength: 8 })) { b.resize(n + 1); return [b.byteLength, this instanceof PD$]; }\n}`;
    const body = [
      `return [pd$.length, pd$(${n}), pd$(${n}, new Uint8Array(1)), pd$(1, undefined, Buffer.from("xyz"))];`,
      `return [pa$.length, pa$(${n}), pa$(${n}, [1])];`,
      `return [PD$.prototype.m.length, new PD$().m(${n})];`,
    ][pick];
    return { top, body };
  }),
);

const fields = snip(
  "class fields",
  fc.tuple(small, small, small).map(([n, m, k]) => ({
    top: `class F$ {\n  a = new Uint8Array(log("field a", ${n}));\n  static s = Buffer.alloc(log("static s", ${m}));\n  #p = Array.from({ length: ${k} });\n  b = this.a.length + 1;\n  static { log("static block", new Uint8Array(1).length); }\n  constructor(public q = new Uint16Array(2)) { log("ctor", this.a.length); }\n  get p() { return this.#p.length; }\n}`,
    body: `const f = new F$();\nreturn [f.a, F$.s, f.p, f.b, f.q];`,
  })),
);

const trackCaller = snip(
  "@track_caller",
  fc.tuple(size, small, fc.integer({ min: 0, max: 14 })).map(([s, n, pick]) => {
    const top = `/** @track_caller */
function tc1$(n: number): Uint8Array { return new Uint8Array(n); }
/** @track_caller */
const tc2$ = (n: number) => tc1$(n + 1);
/** @track_caller */
function tc0$() { return [arguments.length, Buffer.alloc(1)]; }
class TC$ {
  buf: Uint8Array;
  /** @track_caller */
  constructor(n: number) { this.buf = new Uint8Array(n); }
  /** @track_caller */
  static make(n: number) { return tc2$(n); }
  /** @track_caller */
  inst(n: number, ...rest: number[]) { return [tc1$(n).length, rest.length, arguments.length, this instanceof TC$]; }
  /** @track_caller */
  #priv(n: number) { return new Uint8Array(n); }
  callPriv(n: number) { return this.#priv(n); }
}
class TD$ extends TC$ { constructor() { super(2); } }
type U$ = { /** @track_caller */ alloc: (n: number) => Uint8Array };
const u$: U$ = { alloc: (n) => tc1$(n) };
const u2$: U$ = { alloc(n) { return new Uint8Array(n); } };
interface I$ { /** @track_caller */ mk(n: number): Uint8Array }
class IC$ implements I$ { mk(n: number) { return Buffer.alloc(n); } }
const maybeTc$: typeof tc1$ | undefined = opt(${n % 2 === 0}, tc1$);`;
    const forms = [
      `return tc1$(${s});`,
      `return tc2$(${s});`,
      `return [TC$.make(${s}), new TC$(${n}).buf, new TD$().buf];`,
      `return new TC$(1).inst(${s}, 1, 2);`,
      `return [u$.alloc(${s}), u2$.alloc(${n})];`,
      `return [tc1$.call(null, ${s}), tc1$.apply(undefined, [${n}])];`,
      `return [[1, 2].map(tc1$), tc1$.bind(null)(${n}), tc1$.length, tc1$.name, tc2$.length, tc2$.name];`,
      `return tc0$();`,
      `return [maybeTc$?.(${s}), typeof maybeTc$];`,
      `const i: I$ = new IC$();\nreturn [i.mk(${s}), new IC$().mk(1)];`,
      `return new TC$(0).callPriv(${s});`,
      `return (tc1$ as (n: number) => Uint8Array)(${s});`,
      `return (tc1$ as any)(${s});`,
      `return [tc1$(log("first", ${n})), tc2$(tc1$(log("inner", 1)).length)];`,
      `const obj = { tc: tc2$ };\nreturn obj.tc(${s});`,
    ];
    return { top, body: forms[pick] };
  }),
);

const stringified = snip(
  "stringified closures",
  fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 2 }), fc.oneof(small, fc.constant(-1))).map(([fpick, rpick, n]) => {
    const fns = [
      `(n: number) => new Uint8Array(n).length`,
      `function (n: number) { return Buffer.alloc(n, 1).reduce((a, b) => a + b, 0); }`,
      `(n: number) => { const r = new ArrayBuffer(1, { maxByteLength: 8 }); r.resize(n); return r.byteLength; }`,
      `(n: number) => Array.from({ length: n }, (_, i) => i).join("")`,
      `tcs$`,
      `(n: number) => [1, 2, 3].map((x) => x * n).filter((x) => x > 2).length`,
      `(n: number) => new TextEncoder().encode("x".repeat(n)).length`,
      `(n: number) => { const u = new Uint8Array(n); return structuredClone(u).length + u.slice(1).length; }`,
    ];
    const re = [
      `new Function("return " + fn.toString())()`,
      `eval("(" + fn.toString() + ")")`,
      `(0, eval)("(" + fn.toString() + ")")`,
    ][rpick];
    return {
      top: `/** @track_caller */\nconst tcs$ = (n: number) => new Uint8Array(n).length + Buffer.alloc(n).length;`,
      body: `const fn = ${fns[fpick]};\nconst again = ${re};\nreturn [typeof again, again.length, again(${n}), fn(${n})];`,
    };
  }),
);

const casts = snip(
  "casts",
  fc.tuple(small, fc.integer({ min: 0, max: 4 })).map(([n, pick]) => {
    const forms = [
      `return new (Uint8Array as Uint8ArrayConstructor)(${n});`,
      `const fake = { resize(k: number) { return "fake" + k; } };\nreturn (fake as unknown as ArrayBuffer).resize(${n});`,
      `return (undefined as unknown as ArrayBuffer).resize(${n});`,
      `const x: unknown = new ArrayBuffer(1, { maxByteLength: 8 });\n(x as ArrayBuffer).resize(${n});\nreturn (x as ArrayBuffer).byteLength;`,
      `return (new Uint8Array(${n}) as unknown as number[]).slice(1);`,
    ];
    return forms[pick];
  }),
);

const typeofs = snip(
  "typeof",
  fc.tuple(small, bool).map(
    ([n, def]) =>
      `const maybe = opt(${def}, new ArrayBuffer(1, { maxByteLength: 4 }));\nreturn [typeof new Uint8Array(${n}), typeof Buffer.alloc, typeof maybe?.resize, typeof maybe?.resize(${n % 5}), typeof Array.from([${n}])];`,
  ),
);

export const SNIPPETS = [
  typedAlloc, resizable, buffers, arrays, copies, encodeClone, optional, spreads, thisShapes, accessors,
  generators, asyncs, subclasses, exceptions, shortCircuit, defaults, fields, trackCaller, stringified, casts, typeofs,
];

/** A program: 2–6 snippets and an exit code. */
export const programArb = fc.record({
  snippets: fc.array(fc.oneof(...SNIPPETS), { minLength: 2, maxLength: 6 }),
  exitCode: fc.constantFrom(0, 0, 0, 1, 3),
});

// ------------------------------------------------------------------ rendering

export const PRELUDE = `const U8 = Uint8Array;
const log = <T>(label: string, v: T): T => {
  console.log("log " + label + " " + String(v));
  return v;
};
const id = <T>(v: T): T => v;
const opt = <T>(present: boolean, v: T): T | undefined => (present ? v : undefined);
const thrower = (m: string): number => {
  throw new Error(m);
};
function fmt(v: unknown, depth = 0): string {
  if (depth > 3) return "…";
  if (v === undefined) return "undefined";
  if (v === null) return "null";
  if (typeof v === "function") return "fn(" + v.name + "," + v.length + ")";
  if (typeof v === "bigint") return v + "n";
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const a = v as unknown as ArrayLike<number | bigint>;
    let sum = 0;
    for (let i = 0; i < a.length; i++) sum += Number(a[i]);
    return v.constructor.name + "[" + a.length + "]{" + sum + "}";
  }
  if (v instanceof ArrayBuffer) return "ArrayBuffer(" + v.byteLength + "/" + v.maxByteLength + "," + v.resizable + ")";
  if (Array.isArray(v)) {
    let s = "";
    for (let i = 0; i < v.length; i++) s += (i ? "," : "") + (i in v ? fmt(v[i], depth + 1) : "<hole>");
    return "[" + s + "]";
  }
  if (v instanceof Error) return "error " + v.constructor.name + ": " + v.message;
  if (typeof v === "object") {
    let s = "";
    for (const k of Object.keys(v)) s += (s ? "," : "") + k + ":" + fmt((v as Record<string, unknown>)[k], depth + 1);
    return (v.constructor?.name ?? "null-proto") + "{" + s + "}";
  }
  return typeof v + ":" + String(v);
}
const sections: [string, () => unknown][] = [];
const section = (name: string, f: () => unknown) => sections.push([name, f]);
`;

const MAIN = (exitCode) => `
async function main() {
  for (const [name, f] of sections) {
    try {
      let r = f();
      if (r instanceof Promise) r = await r;
      console.log(name + " = " + fmt(r));
    } catch (e) {
      const err = e as Error;
      console.log(name + " threw " + (err?.constructor?.name ?? typeof e) + ": " + err?.message);
    }
  }
  ${exitCode ? `process.exitCode = ${exitCode};` : ""}
}
void main();
`;

const indent = (s, by = "  ") => s.split("\n").map((l) => (l ? by + l : l)).join("\n");

/** The TypeScript source of one program. */
export function render(program) {
  let text = PRELUDE;
  program.snippets.forEach((s, i) => {
    const sfx = `_${i}`;
    const top = s.top.replaceAll("$", sfx);
    const body = s.body.replaceAll("$", sfx);
    text += `\n// ${i}: ${s.kind}\n${top ? top + "\n" : ""}section(${JSON.stringify(`${i} ${s.kind}`)}, () => {\n${indent(body)}\n});\n`;
  });
  return text + MAIN(program.exitCode) + "export {};\n";
}
