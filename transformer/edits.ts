/**
 * The text back end: the same rewrite as the ts-patch transformer, as edits of the original
 * TypeScript text (for bundlers, which take source text and strip the types themselves).
 *
 * One engine: the file is rewritten by the very transformer the ts-patch back end runs
 * (`transformSourceFile`, the same site finder, rules and rewrite shapes), through `ts.transform`
 * on the program's own SourceFile, so the type checker answers for its nodes. The result is a
 * tree that shares every unchanged node with the original, and updated nodes keep their
 * original's range. Walking the two trees side by side gives the edits:
 * - a node that is the original one: no edit;
 * - an update of the original (same kind and range): its children are compared, and a list of
 *   statements, arguments or parameters gets the new elements inserted between the kept ones;
 * - anything else is new: printed with TypeScript's printer, except that every original node it
 *   contains is left in place, so user code is kept verbatim and only the text between kept
 *   nodes is replaced (`(_a = ` before `new Uint8Array(n)`, `, (typeof ...))` after it).
 *
 * Printed text has no line breaks: each original line stays on its line (only columns move), and
 * the source map gives the exact positions back.
 */
import type * as ts from "typescript";
import MagicString, { type SourceMap } from "magic-string";
import { transformSourceFile, type FileContext } from "./visit";
import { Marks } from "./marks";
import { Resolver } from "./resolve";
import type { Options } from "./options";

/**
 * What the transformer needs of a program. `bundle`: the output goes to a bundler, not where the
 * program's options say: the runtime is imported as an ES module whatever the tsconfig's `module`
 * (every bundler takes an import; not every one a require), and the emitted file's place is not
 * known (as under `outFile`: the runtime takes the working directory as the root of stack-trace
 * locations). The transformer reads both from the program's compiler options.
 */
export function fileContext(
  tsi: typeof import("typescript"),
  program: ts.Program,
  options: Options,
  { bundle = false }: { bundle?: boolean } = {},
): FileContext {
  const checker = program.getTypeChecker();
  let seen: ts.Program = program;
  if (bundle) {
    const shaped = { ...program.getCompilerOptions(), module: tsi.ModuleKind.ESNext, outFile: "bundle.js" };
    seen = Object.create(program, { getCompilerOptions: { value: () => shaped } });
  }
  return {
    ts: tsi,
    program: seen,
    checker,
    marks: new Marks(tsi, checker, program),
    resolver: new Resolver(tsi, program, checker),
    root: options.root,
    runtime: options.runtime,
  };
}

/** Replace [start, end) of the original text by `text` (an insertion when start === end). */
export interface Edit {
  start: number;
  end: number;
  text: string;
}

/** The edits that rewrite `sf` as the transformer would, in document order, or [] for none. */
export function findEdits(fc: FileContext, sf: ts.SourceFile): Edit[] {
  const { ts } = fc;
  if (sf.isDeclarationFile) return [];
  const names = new Names(sf.text);
  const result = ts.transform(
    sf,
    [(context) => (file) => transformSourceFile(fc, withNames(ts, context, names), file)],
    fc.program.getCompilerOptions(),
  );
  try {
    const out = result.transformed[0];
    if (out === sf) return [];
    const differ = new Differ(ts, sf);
    differ.statements(sf, out);
    return checked(differ.edits, sf);
  } finally {
    result.dispose();
  }
}

/**
 * The rewritten text of `sf` and its source map (to the original text, which it includes), or
 * undefined when nothing is rewritten. `source` is the map's name for the original.
 */
export function rewriteText(fc: FileContext, sf: ts.SourceFile, source: string): { code: string; map: SourceMap } | undefined {
  const edits = findEdits(fc, sf);
  if (edits.length === 0) return undefined;
  const s = new MagicString(sf.text);
  for (const e of edits) {
    // In document order: an insertion goes after what was inserted at the same place before it.
    if (e.start === e.end) s.appendLeft(e.start, e.text);
    else if (e.text === "") s.remove(e.start, e.end);
    else s.overwrite(e.start, e.end, e.text);
  }
  return { code: s.toString(), map: s.generateMap({ hires: true, source, includeContent: true }) };
}

/** `text` with the edits applied (edits in document order, as findEdits gives them). */
export function applyEdits(text: string, edits: readonly Edit[], offset = 0): string {
  let out = "";
  let at = offset;
  for (const e of edits) {
    out += text.slice(at - offset, e.start - offset) + e.text;
    at = e.end;
  }
  return out + text.slice(at - offset);
}

// ---------------------------------------------------------------------------------------------
// Names. The transformer asks its context's factory for unique names (`__ta`, `__ta_s`) and temps;
// TypeScript's printer would choose their text per scope as it prints a whole file. Edits are
// printed piece by piece, so every name is chosen here once, as plain text that no identifier of
// the file uses: `__ta_1`, `__ta_s_3` (as TypeScript names them), temps `_a`, `_b`, ... (one
// sequence for the file: a name is never reused in another function).

class Names {
  private readonly used: Set<string>;
  private temps = 0;

  constructor(text: string) {
    // Every word of the file, strings and comments included: more than its identifiers, never less.
    this.used = new Set(text.match(/[A-Za-z_$][\w$]*/g) ?? []);
  }

  unique(base: string): string {
    for (let n = 1; ; n++) {
      const name = `${base}_${n}`;
      if (!this.used.has(name)) return this.take(name);
    }
  }

  temp(): string {
    for (;;) {
      let n = this.temps++;
      let name = "";
      do {
        name = String.fromCharCode(97 + (n % 26)) + name;
        n = Math.floor(n / 26) - 1;
      } while (n >= 0);
      if (!this.used.has(`_${name}`)) return this.take(`_${name}`);
    }
  }

  private take(name: string): string {
    this.used.add(name);
    return name;
  }
}

/** The transformation context, with a factory whose unique names and temps are plain identifiers named by `names`. */
function withNames(ts: typeof import("typescript"), context: ts.TransformationContext, names: Names): ts.TransformationContext {
  const f = context.factory;
  const factory: ts.NodeFactory = Object.create(f, {
    createUniqueName: { value: (text: string) => f.createIdentifier(names.unique(text)) },
    createTempVariable: {
      value: (record?: (node: ts.Identifier) => void) => {
        const id = f.createIdentifier(names.temp());
        record?.(id);
        return id;
      },
    },
  });
  return Object.create(context, { factory: { value: factory } });
}

// ---------------------------------------------------------------------------------------------
// The walk.

type Child = ts.Node | ts.NodeArray<ts.Node>;

/** A node of the new tree that stands for a node of the original: the same one, or an update of it. */
interface Hole {
  node: ts.Node;
  orig: ts.Node;
}

/** How a list's elements are separated: statements, or commas (arguments, parameters, elements). */
type ListKind = "statements" | "file" | "commas";

class Differ {
  readonly edits: Edit[] = [];
  private readonly printer: ts.Printer;
  /** The node being printed (never replaced by a hole itself) and the holes found in it so far. */
  private printing: { root: ts.Node; holes: Hole[]; marks: Map<ts.Node, string> } | undefined;
  private readonly nonce = Math.random().toString(36).slice(2, 8);

  constructor(
    private readonly ts: typeof import("typescript"),
    private readonly sf: ts.SourceFile,
  ) {
    this.printer = ts.createPrinter(
      { removeComments: true, newLine: ts.NewLineKind.LineFeed },
      { substituteNode: (_hint, node) => this.substitute(node) },
    );
  }

  /** The file's statements: the runtime import, the site table and the temps go in after the directives. */
  statements(sf: ts.SourceFile, out: ts.SourceFile): void {
    if (!this.list(sf.statements, out.statements, "file")) {
      throw new Error(`traced-allocator: internal error: the rewrite of ${sf.fileName} is not a list of insertions at the top of the file`);
    }
  }

  /** `n` takes the place of `o`. */
  private node(o: ts.Node, n: ts.Node): void {
    if (o === n) return;
    if (this.isUpdateOf(n, o) && this.children(o, n)) return;
    this.replace(o, n);
  }

  /** The original node `n` stands for: itself, or the node it is an update of; else undefined (new). */
  private counterpart(n: ts.Node): ts.Node | undefined {
    const ts = this.ts;
    if (!(n.flags & ts.NodeFlags.Synthesized)) return n.pos >= 0 ? n : undefined;
    const o = ts.getOriginalNode(n);
    return o !== n && this.isUpdateOf(n, o) ? o : undefined;
  }

  private isUpdateOf(n: ts.Node, o: ts.Node): boolean {
    return (
      n.kind === o.kind && n.pos === o.pos && n.end === o.end && o.pos >= 0 && !(o.flags & this.ts.NodeFlags.Synthesized) && this.ts.getOriginalNode(n) === o
    );
  }

  private slots(n: ts.Node): Child[] {
    const out: Child[] = [];
    this.ts.forEachChild(
      n,
      (c) => {
        out.push(c);
      },
      (cs) => {
        out.push(cs);
      },
    );
    return out;
  }

  /** An update: child by child. False (and no edit) when the children do not line up. */
  private children(o: ts.Node, n: ts.Node): boolean {
    let os = this.slots(o);
    let ns = this.slots(n);
    if (os.length !== ns.length) {
      // A list that is absent on one side and empty on the other (`modifiers`) is no child.
      const present = (c: Child) => !Array.isArray(c) || c.length > 0;
      os = os.filter(present);
      ns = ns.filter(present);
      if (os.length !== ns.length) return false;
    }
    const steps: (() => void)[] = [];
    for (let i = 0; i < os.length; i++) {
      const a = os[i];
      const b = ns[i];
      if (Array.isArray(a) !== Array.isArray(b)) return false;
      if (Array.isArray(a)) {
        const plan = this.plan(a as ts.NodeArray<ts.Node>, b as ts.NodeArray<ts.Node>);
        if (!plan) return false;
        const kind: ListKind = this.isStatementList(o) ? "statements" : "commas";
        steps.push(() => this.run(a as ts.NodeArray<ts.Node>, plan, kind));
      } else {
        steps.push(() => this.node(a as ts.Node, b as ts.Node));
      }
    }
    for (const s of steps) s();
    return true;
  }

  private isStatementList(parent: ts.Node): boolean {
    const ts = this.ts;
    return ts.isBlock(parent) || ts.isSourceFile(parent) || ts.isModuleBlock(parent) || ts.isCaseClause(parent) || ts.isDefaultClause(parent);
  }

  /** A list, or false when its change is not kept elements with new ones between them. */
  private list(oa: ts.NodeArray<ts.Node>, na: ts.NodeArray<ts.Node>, kind: ListKind): boolean {
    const plan = this.plan(oa, na);
    if (!plan) return false;
    this.run(oa, plan, kind);
    return true;
  }

  /**
   * How `na` is made from `oa`: kept elements (the same or updated) in their order, a new element
   * in the place of an original one, new elements inserted between kept ones. Undefined otherwise.
   */
  private plan(oa: ts.NodeArray<ts.Node>, na: ts.NodeArray<ts.Node>): Step[] | undefined {
    if (oa === na) return [];
    const index = new Map<ts.Node, number>(oa.map((e, i) => [e, i]));
    const steps: Step[] = [];
    let last = -1;
    let fresh: ts.Node[] = [];
    for (let i = 0; i <= na.length; i++) {
      let j = oa.length;
      if (i < na.length) {
        const c = this.counterpart(na[i]);
        const k = c === undefined ? undefined : index.get(c);
        if (k === undefined) {
          fresh.push(na[i]);
          continue;
        }
        j = k;
      }
      if (j <= last) return undefined;
      const gone = oa.slice(last + 1, j);
      if (gone.length === fresh.length) gone.forEach((o, k) => steps.push({ kind: "node", o, n: fresh[k] }));
      else if (gone.length === 0) steps.push({ kind: "insert", after: last, nodes: fresh });
      else return undefined;
      if (i < na.length) steps.push({ kind: "node", o: oa[j], n: na[i] });
      last = j;
      fresh = [];
    }
    return steps;
  }

  private run(oa: ts.NodeArray<ts.Node>, steps: Step[], kind: ListKind): void {
    for (const s of steps) {
      if (s.kind === "node") this.node(s.o, s.n);
      else this.insert(oa, s.after, s.nodes, kind);
    }
  }

  /** New elements after `oa[after]` (-1: at the start of the list). */
  private insert(oa: ts.NodeArray<ts.Node>, after: number, nodes: ts.Node[], kind: ListKind): void {
    const texts = nodes.map((n) => this.render(n));
    const sep = kind === "commas" ? ", " : " ";
    const joined = texts.join(sep);
    if (after >= 0) {
      const prev = oa[after];
      const prevText = this.sf.text.slice(prev.pos, prev.end);
      // A statement that ends without `;` would run into ours on the same line: end it.
      const lead = kind === "commas" ? ", " : /;\s*$/.test(prevText) ? " " : ";";
      this.emit(prev.end, prev.end, lead + joined);
    } else if (oa.length > 0) {
      // At the top of the file: after a shebang and the comments before the first statement.
      const at = kind === "statements" ? oa.pos : oa[0].getStart(this.sf);
      this.emit(at, at, joined + sep);
    } else {
      this.emit(oa.pos, oa.pos, joined);
    }
  }

  /**
   * A new node in the place of `o`: printed, with the original nodes it contains left where they
   * are when they come in their order (the text between them replaced), else printed whole.
   */
  private replace(o: ts.Node, n: ts.Node): void {
    const start = o.getStart(this.sf);
    const end = o.end;
    const { pieces, holes } = this.print(n);
    let inPlace = true;
    let at = start;
    for (const h of holes) {
      const s = h.orig.getStart(this.sf);
      if (s < at || h.orig.end > end) inPlace = false;
      at = h.orig.end;
    }
    if (!inPlace) {
      this.emit(start, end, this.join(pieces, holes));
      return;
    }
    let cursor = start;
    holes.forEach((h, k) => {
      this.overwrite(cursor, h.orig.getStart(this.sf), pieces[k]);
      this.node(h.orig, h.node);
      cursor = h.orig.end;
    });
    this.overwrite(cursor, end, pieces[holes.length]);
  }

  /**
   * Replaces the text between kept nodes, keeping its line breaks (at the start of the new text,
   * right after a kept node, where a line break changes nothing: our text never starts with
   * `++`, `--` or `=>`), so that the lines after it stay where they were.
   */
  private overwrite(start: number, end: number, text: string): void {
    const breaks = this.sf.text.slice(start, end).split("\n").length - 1;
    this.emit(start, end, breaks > 0 && !/^\s*(\+\+|--|=>)/.test(text) ? "\n".repeat(breaks) + text : text);
  }

  /** A new node as text (kept nodes as their own text, with their own edits applied). */
  private render(n: ts.Node): string {
    const { pieces, holes } = this.print(n);
    return this.join(pieces, holes);
  }

  private join(pieces: string[], holes: Hole[]): string {
    let out = pieces[0];
    holes.forEach((h, k) => {
      const sub = new Differ(this.ts, this.sf);
      sub.node(h.orig, h.node);
      const start = h.orig.getStart(this.sf);
      out += applyEdits(this.sf.text.slice(start, h.orig.end), checked(sub.edits, this.sf), start) + pieces[k + 1];
    });
    return out;
  }

  /**
   * Prints a new node; each original node inside it (not descended into) is a hole. Returns the
   * text around the holes (holes.length + 1 pieces) and the holes in the order printed.
   */
  private print(n: ts.Node): { pieces: string[]; holes: Hole[] } {
    const ts = this.ts;
    const outer = this.printing;
    const state = (this.printing = { root: n, holes: [] as Hole[], marks: new Map<ts.Node, string>() });
    let text: string;
    try {
      text = this.printer.printNode(ts.isExpression(n) ? ts.EmitHint.Expression : ts.EmitHint.Unspecified, n, this.sf);
    } finally {
      this.printing = outer;
    }
    // One line: line breaks between printed tokens are spaces (the printer ends every statement with `;`).
    text = text.replace(/\r?\n\s*/g, " ");
    const pieces: string[] = [];
    const holes: Hole[] = [];
    const re = new RegExp(`__ta_hole_(\\d+)_${this.nonce}__`, "g");
    let at = 0;
    for (let m; (m = re.exec(text)); ) {
      pieces.push(text.slice(at, m.index));
      holes.push(state.holes[Number(m[1])]);
      at = m.index + m[0].length;
    }
    pieces.push(text.slice(at));
    if (new Set(holes).size !== holes.length) throw new Error("traced-allocator: internal error: a kept node printed twice");
    return { pieces, holes };
  }

  private substitute(node: ts.Node): ts.Node {
    const p = this.printing;
    if (!p || node === p.root) return node;
    const orig = this.counterpart(node);
    if (!orig || orig.getSourceFile() !== this.sf) return node;
    let mark = p.marks.get(node);
    if (mark === undefined) {
      mark = `__ta_hole_${p.holes.length}_${this.nonce}__`;
      p.marks.set(node, mark);
      p.holes.push({ node, orig });
    }
    return this.ts.factory.createIdentifier(mark);
  }

  private emit(start: number, end: number, text: string): void {
    if (start === end && text === "") return;
    if (start < end && this.sf.text.slice(start, end) === text) return;
    this.edits.push({ start, end, text });
  }
}

type Step = { kind: "node"; o: ts.Node; n: ts.Node } | { kind: "insert"; after: number; nodes: ts.Node[] };

/** Edits must be in document order and must not overlap (insertions at one place keep their order). */
function checked(edits: Edit[], sf: ts.SourceFile): Edit[] {
  for (let i = 1; i < edits.length; i++) {
    if (edits[i].start < edits[i - 1].end) {
      throw new Error(`traced-allocator: internal error: overlapping edits in ${sf.fileName} at ${edits[i].start}`);
    }
  }
  return edits;
}
