/**
 * Finding `@track_caller` marks. A declaration is marked when its own JSDoc carries the tag (for an
 * arrow or function expression: the JSDoc of the `const` it is bound to), when another declaration
 * of the same symbol does (overloads, an implementation), or when the member it implements or
 * overrides is marked in a base class or an implemented interface (Rust's rule for trait methods).
 */
import type * as ts from "typescript";
import { CALLER_INTRINSIC_TAG, TRACK_CALLER_TAG } from "../runtime/names";

/** A JSDoc tag: at the start of a comment line (after `/**` or a leading `*`), as JSDoc and TypeScript read tags. */
const tagPattern = (tag: string) => new RegExp(`(?:^/\\*\\*|\\n)[ \\t]*\\*?[ \\t]*@${tag}(?![\\w$-])`);
const TRACK_RE = tagPattern(TRACK_CALLER_TAG);
const INTRINSIC_RE = tagPattern(CALLER_INTRINSIC_TAG);

export class Marks {
  private readonly cache = new Map<ts.Node, boolean>();
  private tagged: { track: boolean; intrinsic: boolean } | undefined;

  constructor(
    private readonly ts: typeof import("typescript"),
    private readonly checker: ts.TypeChecker,
    /** With a program: a program none of whose files has the tags' text marks nothing, and costs no lookups. */
    private readonly program?: ts.Program,
  ) {}

  /**
   * Which tags' text occurs in any file of the program (TypeScript's own lib files aside). A mark
   * is read from its declaration's file text, so where the text `@track_caller` is in no file,
   * nothing is marked. One scan per program (rxjs: 2 ms); most projects have no mark at all, and
   * then no call, function or property read needs a symbol lookup for marks.
   */
  private tags(): { track: boolean; intrinsic: boolean } {
    if (this.tagged === undefined) {
      const program = this.program;
      if (!program) return (this.tagged = { track: true, intrinsic: true });
      const track = `@${TRACK_CALLER_TAG}`;
      const intrinsic = `@${CALLER_INTRINSIC_TAG}`;
      const t = { track: false, intrinsic: false };
      for (const sf of program.getSourceFiles()) {
        if (program.isSourceFileDefaultLibrary(sf)) continue;
        if (!t.track && sf.text.includes(track)) t.track = true;
        if (!t.intrinsic && sf.text.includes(intrinsic)) t.intrinsic = true;
        if (t.track && t.intrinsic) break;
      }
      this.tagged = t;
    }
    return this.tagged;
  }

  /** Whether anything in the program may be marked `@track_caller`. */
  get any(): boolean {
    return this.tags().track;
  }

  /**
   * The node that carries JSDoc for a function-like declaration: its `const` for an arrow or
   * function expression, the property it is the value of (`{ alloc: (n) => ... }`, a class field
   * `alloc = (n) => ...`), or for a function type the property signature or declaration it types
   * (`type U = { /** @track_caller *\/ alloc: (n: number) => Uint8Array }`).
   */
  private docHost(decl: ts.Node): ts.Node {
    const ts = this.ts;
    let n: ts.Node = decl;
    if ((ts.isArrowFunction(n) || ts.isFunctionExpression(n)) && n.parent) {
      let p: ts.Node = n.parent;
      while (ts.isParenthesizedExpression(p) || ts.isAsExpression(p) || ts.isSatisfiesExpression(p)) p = p.parent;
      if (ts.isVariableDeclaration(p) && p.initializer && ts.isVariableDeclarationList(p.parent)) {
        // Only a `const` binding: a `let` may be reassigned to an unmarked function.
        if (!(p.parent.flags & ts.NodeFlags.Const)) return n;
        return p.parent.declarations.length === 1 ? p.parent.parent : p;
      }
      if (ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) return p;
    }
    if (ts.isFunctionTypeNode(n) && n.parent) {
      let p: ts.Node = n.parent;
      while (ts.isParenthesizedTypeNode(p) || (ts.isUnionTypeNode(p) && p.parent)) p = p.parent;
      if (ts.isPropertySignature(p) || ts.isPropertyDeclaration(p)) return p;
    }
    return n;
  }

  /**
   * Whether a call passes its location: its signature's declaration is marked, or the property it
   * calls is (a property whose type is a function type alias declared elsewhere).
   */
  isMarkedCall(node: ts.CallExpression | ts.NewExpression, decl: ts.Declaration | undefined): boolean {
    if (!this.any) return false;
    if (this.isMarked(decl)) return true;
    const ts = this.ts;
    let callee: ts.Expression = node.expression;
    while (ts.isParenthesizedExpression(callee) || ts.isNonNullExpression(callee)) callee = callee.expression;
    if (!ts.isPropertyAccessExpression(callee)) return false;
    const sym = this.checker.getSymbolAtLocation(callee.name);
    return !!sym?.declarations?.some(
      (d) => (ts.isPropertySignature(d) || ts.isPropertyDeclaration(d) || ts.isPropertyAssignment(d)) && this.isMarked(d),
    );
  }

  /** Whether the JSDoc comments right before `node` carry `re`. Reads the text, so it works whatever the JSDoc parsing mode. */
  private hasTag(node: ts.Node, re: RegExp): boolean {
    const ts = this.ts;
    const sf = node.getSourceFile();
    if (!sf) return false;
    const text = sf.text;
    // Leading ranges skip a comment on the same line as the token before (`{ /** @track_caller */ m()`,
    // `= /** @track_caller */ () =>`): TypeScript calls those trailing. Both are the node's.
    const ranges = [...(ts.getTrailingCommentRanges(text, node.pos) ?? []), ...(ts.getLeadingCommentRanges(text, node.pos) ?? [])];
    for (const r of ranges) {
      if (r.kind !== ts.SyntaxKind.MultiLineCommentTrivia) continue;
      const c = text.slice(r.pos, r.end);
      if (c.startsWith("/**") && re.test(c)) return true;
    }
    return false;
  }

  private ownMark(decl: ts.Node): boolean {
    if (this.hasTag(decl, TRACK_RE)) return true;
    const host = this.docHost(decl);
    return host !== decl && this.hasTag(host, TRACK_RE);
  }

  /** Whether calls to this declaration pass their location, and its body takes it. */
  isMarked(decl: ts.Node | undefined): boolean {
    if (!decl || !this.any) return false;
    const hit = this.cache.get(decl);
    if (hit !== undefined) return hit;
    this.cache.set(decl, false); // cycles through heritage
    const result = this.compute(decl);
    this.cache.set(decl, result);
    return result;
  }

  private compute(decl: ts.Node): boolean {
    const ts = this.ts;
    if (this.ownMark(decl)) return true;
    // Another declaration of the same symbol: overload signatures and their implementation.
    const name = (decl as ts.NamedDeclaration).name;
    const sym = name ? this.checker.getSymbolAtLocation(name) : undefined;
    if (sym?.declarations && sym.declarations.length > 1) {
      for (const d of sym.declarations) if (d !== decl && d.kind === decl.kind && this.ownMark(d)) return true;
    }
    if (ts.isConstructorDeclaration(decl)) {
      return decl.parent.members.some((m) => m !== decl && ts.isConstructorDeclaration(m) && this.ownMark(m));
    }
    // A class member implementing or overriding a marked member.
    if (
      name &&
      (ts.isMethodDeclaration(decl) || ts.isGetAccessorDeclaration(decl) || ts.isSetAccessorDeclaration(decl)) &&
      ts.isClassLike(decl.parent)
    ) {
      const memberName = ts.isIdentifier(name) || ts.isStringLiteral(name) ? name.text : undefined;
      if (memberName === undefined) return false;
      const isStatic = !!(ts.getCombinedModifierFlags(decl) & ts.ModifierFlags.Static);
      for (const clause of decl.parent.heritageClauses ?? []) {
        for (const t of clause.types) {
          let type = this.checker.getTypeAtLocation(t);
          if (isStatic) {
            if (clause.token !== ts.SyntaxKind.ExtendsKeyword) continue;
            type = this.checker.getTypeAtLocation(t.expression);
          }
          const prop = type.getProperty(memberName);
          if (prop?.declarations?.some((d) => (d.kind === decl.kind || ts.isMethodSignature(d)) && this.isMarked(d))) return true;
        }
      }
    }
    // An object-literal method whose contextual type marks the member.
    if (name && (ts.isMethodDeclaration(decl) || ts.isGetAccessorDeclaration(decl) || ts.isSetAccessorDeclaration(decl)) && ts.isObjectLiteralExpression(decl.parent)) {
      if (this.contextualMark(decl.parent, name, decl)) return true;
    }
    // A function value of a property: `{ alloc: (n) => ... }` typed by a marked property, or a
    // class field `alloc = (n) => ...` implementing a marked interface or base property.
    if (ts.isArrowFunction(decl) || ts.isFunctionExpression(decl)) {
      const host = this.docHost(decl);
      if (ts.isPropertyAssignment(host) && ts.isObjectLiteralExpression(host.parent)) return this.contextualMark(host.parent, host.name, host);
      if (ts.isPropertyDeclaration(host)) return this.isMarked(host);
    }
    if (ts.isPropertyDeclaration(decl) && name && ts.isClassLike(decl.parent)) {
      const memberName = ts.isIdentifier(name) || ts.isStringLiteral(name) ? name.text : undefined;
      if (memberName === undefined) return false;
      for (const clause of decl.parent.heritageClauses ?? []) {
        for (const t of clause.types) {
          const prop = this.checker.getTypeAtLocation(t).getProperty(memberName);
          if (prop?.declarations?.some((d) => d !== decl && this.isMarked(d))) return true;
        }
      }
    }
    return false;
  }

  /** Whether the contextual type of an object literal marks the member `name`. */
  private contextualMark(literal: ts.ObjectLiteralExpression, name: ts.DeclarationName, self: ts.Node): boolean {
    const ts = this.ts;
    const memberName = ts.isIdentifier(name) || ts.isStringLiteral(name) ? name.text : undefined;
    if (memberName === undefined) return false;
    const prop = this.checker.getContextualType(literal)?.getProperty(memberName);
    return !!prop?.declarations?.some((d) => d !== self && this.ownMark(d));
  }

  /** Whether this declaration is the runtime's `Location.caller()`. */
  isCallerIntrinsic(decl: ts.Node | undefined): boolean {
    return !!decl && this.tags().intrinsic && this.hasTag(decl, INTRINSIC_RE);
  }
}
