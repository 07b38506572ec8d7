/**
 * The per-file rewrite. A flat visitor: each kind of node either matches a rule and is updated,
 * or is left exactly as it was. Every rewrite keeps the original expression in place (its
 * evaluation order, `this`, short-circuiting and exceptions), and only adds a call around it or a
 * last argument to it. When a shape is not known to be safe, it is left alone.
 */
import type * as ts from "typescript";
import * as path from "node:path";
import { GLOBAL_HOOK, RT, Rule } from "../runtime/names";
import { type RowSpec } from "./rules";
import { Marks } from "./marks";
import { Resolver } from "./resolve";

export interface FileContext {
  ts: typeof import("typescript");
  program: ts.Program;
  checker: ts.TypeChecker;
  marks: Marks;
  resolver: Resolver;
  root: string;
  runtime: string;
}

interface HoistedSite {
  ident: ts.Identifier;
  line: number;
  col: number;
  kind: string;
  rule: Rule;
  /** The stable key after `file#`: `Encoder.encode/new Uint8Array#2`. */
  key: string;
  /** For realloc sites: the callee as V8 names it in a TypeError. */
  callee?: string;
}

/** The function we are inside of: marked ones carry the identifier that holds their caller. */
interface Scope {
  caller: ts.Identifier | undefined;
}

export function transformSourceFile(fc: FileContext, context: ts.TransformationContext, sf: ts.SourceFile): ts.SourceFile {
  const { ts, checker, marks } = fc;
  const f = context.factory;
  if (sf.isDeclarationFile) return sf;

  const sites: HoistedSite[] = [];
  const rtName = f.createUniqueName("__ta");
  const fileName = f.createUniqueName("__ta_file");
  const relative = path.relative(fc.root, sf.fileName).split(path.sep).join("/");
  let scope: Scope = { caller: undefined };
  /** Names of the functions, classes and methods around the node being visited: the scope of a stable key. */
  const names: string[] = [];
  const ordinals = new Map<string, number>();

  // ------------------------------------------------------------------ helpers: runtime calls, sites

  const call = (target: ts.Expression, name: string, args: ts.Expression[]) =>
    f.createCallExpression(f.createPropertyAccessExpression(target, name), undefined, args);
  const rt = (name: string, args: ts.Expression[]) => call(rtName, name, args);
  const isObject = (e: ts.Expression) => f.createStrictEquality(f.createTypeOfExpression(e), f.createStringLiteral("object"));
  const hook = () => f.createIdentifier(GLOBAL_HOOK);

  /** The arguments of `site()` / `intern()` for a site. */
  function siteArgs(s: HoistedSite, file: ts.Expression): ts.Expression[] {
    return [
      file,
      f.createNumericLiteral(s.line),
      f.createNumericLiteral(s.col),
      f.createStringLiteral(s.kind),
      f.createNumericLiteral(s.rule),
      f.createStringLiteral(s.key),
      ...(s.callee !== undefined ? [f.createStringLiteral(s.callee)] : []),
    ];
  }

  /**
   * Self-contained use of a site: the code must run wherever a function's text is evaluated on its
   * own (a worker from `fn.toString()`, `new Function`, `eval`), where the module's names are gone.
   * `typeof S === "object" ? build(__ta, S) : typeof G === "object" ? build(G, G.intern(...)) : untraced`,
   * with G the runtime's global hook. Every value `build` uses is a temp or a literal, so only one
   * arm is evaluated and nothing is evaluated twice.
   */
  function guarded(hs: HoistedSite, build: (runtime: ts.Expression, site: ts.Expression) => ts.Expression, untraced: ts.Expression): ts.Expression {
    const foreign = f.createConditionalExpression(
      isObject(hook()),
      undefined,
      build(hook(), call(hook(), RT.intern, siteArgs(hs, f.createStringLiteral(relative)))),
      undefined,
      untraced,
    );
    return f.createParenthesizedExpression(f.createConditionalExpression(isObject(hs.ident), undefined, build(rtName, hs.ident), undefined, foreign));
  }

  /** The same for runtime calls that need no site (`take`, `caller`). */
  function guardedRuntime(build: (runtime: ts.Expression) => ts.Expression, untraced: ts.Expression): ts.Expression {
    return f.createParenthesizedExpression(
      f.createConditionalExpression(
        isObject(rtName),
        undefined,
        build(rtName),
        undefined,
        f.createConditionalExpression(isObject(hook()), undefined, build(hook()), undefined, untraced),
      ),
    );
  }

  /** `(t = value, use(t))`: a value evaluated once, where it was, then used by reference. */
  function bind(value: ts.Expression, use: (t: ts.Identifier) => ts.Expression): ts.Expression {
    const t = f.createTempVariable(context.hoistVariableDeclaration);
    return f.createParenthesizedExpression(f.createComma(f.createAssignment(t, value), use(t)));
  }

  /**
   * Where V8 places a call in a stack trace (checked against V8 by test/positions.test.mjs):
   * `new X()` at `new`; `f()` and `super()` at the callee; `a.b.c()` at the name `c`; any other
   * callee (parenthesized, element access `a[k]()`, private `a.#m()`, `(cond ? f : g)()`) at the
   * `(` of the arguments. A property read or write (accessors) at the name.
   */
  function position(node: ts.Node): number {
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if (ts.isIdentifier(callee) || callee.kind === ts.SyntaxKind.SuperKeyword) return callee.getStart(sf);
      if (ts.isPropertyAccessExpression(callee) && !ts.isPrivateIdentifier(callee.name)) return callee.name.getStart(sf);
      return node.arguments.pos - 1;
    }
    if (ts.isPropertyAccessExpression(node)) return node.name.getStart(sf);
    return node.getStart(sf);
  }

  /** A new hoisted site for `node` (its table entry is written at the end of the file). */
  function site(node: ts.Node, kind: string, rule: Rule, callee?: string): HoistedSite {
    const { line, character } = sf.getLineAndCharacterOfPosition(position(node));
    const ident = f.createUniqueName("__ta_s");
    const prefix = `${names.join(".")}/${kind}`;
    const n = (ordinals.get(prefix) ?? 0) + 1;
    ordinals.set(prefix, n);
    const hs: HoistedSite = { ident, line: line + 1, col: character + 1, kind, rule, key: `${prefix}#${n}`, callee };
    sites.push(hs);
    return hs;
  }

  /** How V8 names a callee in "x.m is not a function": source text for names, else "(intermediate value)". */
  function calleeText(e: ts.Expression): string {
    if (ts.isIdentifier(e)) return e.text;
    if (e.kind === ts.SyntaxKind.ThisKeyword) return "this";
    if (ts.isPropertyAccessExpression(e)) return `${calleeText(e.expression)}.${e.name.text}`;
    if (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e) || ts.isSatisfiesExpression(e) || ts.isTypeAssertionExpression(e)) {
      return calleeText(e.expression); // what remains of it in the JavaScript
    }
    return "(intermediate value)";
  }

  /** Where an event at this site is reported: the site, or inside a marked function the caller's location. */
  const locationOf = (s: ts.Expression): ts.Expression => (scope.caller ? f.createLogicalOr(scope.caller, s) : s);
  const callerArgs = (): ts.Expression[] => (scope.caller ? [scope.caller] : []);

  const isDirective = (s: ts.Statement) => ts.isExpressionStatement(s) && ts.isStringLiteral(s.expression);
  const hasRealPosition = (node: ts.Node) => node.pos >= 0 && node.end >= node.pos && !!node.parent;

  // ------------------------------------------------------------------ what an argument is

  /** Whether a value of this type may be an ArrayBuffer (then a typed array made from it is a view). */
  function bufferness(type: ts.Type): "no" | "maybe" | "yes" {
    if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.TypeParameter | ts.TypeFlags.NonPrimitive)) {
      const c = type.flags & ts.TypeFlags.TypeParameter ? checker.getBaseConstraintOfType(type) : undefined;
      return c && c !== type ? (bufferness(c) === "no" ? "no" : "maybe") : "maybe";
    }
    if (type.isUnion()) {
      const parts = type.types.map(bufferness);
      if (parts.every((p) => p === "yes")) return "yes";
      return parts.every((p) => p === "no") ? "no" : "maybe";
    }
    if (type.isIntersection()) return type.types.some((t) => bufferness(t) === "yes") ? "yes" : "maybe";
    if (!(type.flags & ts.TypeFlags.Object)) return "no";
    const hasByteLength = !!type.getProperty("byteLength");
    const hasLength = !!type.getProperty("length") || !!checker.getIndexInfoOfType(type, ts.IndexKind.Number);
    return hasByteLength && !hasLength ? "yes" : "no";
  }

  /** An expression whose value is used by a longer optional chain: wrapping it would break the short-circuit. */
  function continuesChain(node: ts.Node): boolean {
    const p = node.parent;
    return (
      (node.flags & ts.NodeFlags.OptionalChain) !== 0 &&
      (ts.isPropertyAccessExpression(p) || ts.isElementAccessExpression(p) || ts.isCallExpression(p) || ts.isNonNullExpression(p)) &&
      p.expression === node &&
      (p.flags & ts.NodeFlags.OptionalChain) !== 0
    );
  }

  // ------------------------------------------------------------------ rewrites

  function rewriteAlloc(row: RowSpec, orig: ts.CallExpression | ts.NewExpression, visited: ts.Expression): ts.Expression {
    if (continuesChain(orig)) return visited;
    const first = orig.arguments?.[0];
    if (row.form === "allocOrView" && first) {
      if (ts.isSpreadElement(first)) return visited;
      const b = bufferness(checker.getTypeAtLocation(first));
      if (b === "yes") return visited; // a view over an existing buffer: no allocation
      if (b === "maybe") {
        // Keep the argument where it is, but remember its value for the runtime's view check.
        const temp = f.createTempVariable(context.hoistVariableDeclaration);
        const v = visited as ts.CallExpression | ts.NewExpression;
        const args = [f.createAssignment(temp, v.arguments![0]), ...v.arguments!.slice(1)];
        const s = site(orig, row.kind, row.rule);
        const made = withArgs(v, args);
        return keep(bind(made, (t) => guarded(s, (r, S) => call(r, RT.allocFrom, [S, t, temp, ...callerArgs()]), t)), orig);
      }
    }
    const s = site(orig, row.kind, row.rule);
    return keep(bind(visited, (t) => guarded(s, (r, S) => call(r, RT.alloc, [S, t, ...callerArgs()]), t)), orig);
  }

  function rewriteRealloc(row: RowSpec, orig: ts.CallExpression, visited: ts.CallExpression): ts.Expression {
    const callee = orig.expression;
    if (!ts.isPropertyAccessExpression(callee) || ts.isPrivateIdentifier(callee.name)) return visited;
    if (callee.expression.kind === ts.SyntaxKind.SuperKeyword) return visited;
    if (orig.arguments.length > 1 || orig.arguments.some(ts.isSpreadElement)) return visited;
    if (continuesChain(orig) || orig.questionDotToken) return visited;
    const receiverHasChain = (e: ts.Expression): boolean =>
      (e.flags & ts.NodeFlags.OptionalChain) !== 0 || (ts.isParenthesizedExpression(e) && receiverHasChain(e.expression));
    if (receiverHasChain(callee.expression)) return visited;
    const vCallee = visited.expression as ts.PropertyAccessExpression;
    const name = callee.name.text;
    const s = site(orig, row.kind, row.rule, calleeText(callee));
    // Receiver, then argument, each once, then the call: by the runtime, or untraced `recv.m(arg)`.
    const receiver = f.createTempVariable(context.hoistVariableDeclaration);
    const argValue = visited.arguments[0];
    const perform = (arg: ts.Expression | undefined) =>
      guarded(
        s,
        (r, S) => call(r, RT.realloc, [S, receiver, f.createStringLiteral(name), arg ?? f.createVoidZero(), ...callerArgs()]),
        call(receiver, name, arg ? [arg] : []),
      );
    const withArg = () => (argValue ? bind(argValue, (a) => perform(a)) : perform(undefined));
    if (!callee.questionDotToken) {
      return keep(f.createParenthesizedExpression(f.createComma(f.createAssignment(receiver, vCallee.expression), withArg())), orig);
    }
    // `buf?.resize(n)`: evaluate `buf` once; when nullish, neither `n` nor the call is evaluated.
    return keep(
      f.createParenthesizedExpression(
        f.createConditionalExpression(
          f.createEquality(f.createAssignment(receiver, vCallee.expression), f.createNull()),
          undefined,
          f.createVoidZero(),
          undefined,
          withArg(),
        ),
      ),
      orig,
    );
  }

  /** A call of a `@track_caller` function: its last argument also sets the caller slot. */
  function passLocation(
    orig: ts.CallExpression | ts.NewExpression,
    visited: ts.CallExpression | ts.NewExpression,
    kind: string,
  ): ts.Expression {
    const s = site(orig, kind, Rule.Call);
    const args = [...(visited.arguments ?? [])];
    const last = args[args.length - 1];
    if (last && !ts.isSpreadElement(last)) {
      args[args.length - 1] = bind(last, (t) => guarded(s, (r, S) => call(r, RT.at, [locationOf(S), t]), t));
    } else {
      args.push(f.createSpreadElement(guarded(s, (r, S) => call(r, RT.none, [locationOf(S)]), f.createArrayLiteralExpression([]))));
    }
    return withArgs(visited, args);
  }

  /** The same call or `new` with other arguments (optional calls stay optional). */
  function withArgs(v: ts.CallExpression | ts.NewExpression, args: ts.Expression[]): ts.Expression {
    if (ts.isNewExpression(v)) return f.updateNewExpression(v, v.expression, v.typeArguments, args);
    if (ts.isCallChain(v)) return f.updateCallChain(v, v.expression, v.questionDotToken, v.typeArguments, args);
    return f.updateCallExpression(v, v.expression, v.typeArguments, args);
  }

  /** `f.call(t, …)` / `f.apply(t, args)` of a marked `f`: the built-in calls `f` right away, so the slot reaches it. */
  function markedCallOrApply(node: ts.CallExpression, decl: ts.Declaration | undefined): string | undefined {
    const callee = node.expression;
    if (!marks.any || !decl || !ts.isPropertyAccessExpression(callee) || !ts.isIdentifier(callee.name)) return undefined;
    const method = callee.name.text;
    if ((method !== "call" && method !== "apply") || !decl.getSourceFile().isDeclarationFile) return undefined;
    if (!fc.program.isSourceFileDefaultLibrary(decl.getSourceFile())) return undefined;
    const target = checker.getTypeAtLocation(callee.expression);
    const marked = target.getCallSignatures().some((sig) => marks.isMarked(sig.declaration));
    const r = callee.expression;
    const name = ts.isIdentifier(r) ? r.text : ts.isPropertyAccessExpression(r) ? r.name.text : "function";
    return marked ? `${name}.${method}` : undefined;
  }

  function calleeName(node: ts.CallExpression | ts.NewExpression): string {
    let e: ts.Expression = node.expression;
    while (ts.isParenthesizedExpression(e)) e = e.expression;
    const text = ts.isPropertyAccessExpression(e)
      ? e.name.text
      : ts.isIdentifier(e)
        ? e.text
        : e.kind === ts.SyntaxKind.SuperKeyword
          ? "super"
          : "call";
    return ts.isNewExpression(node) ? `new ${text}` : text;
  }

  /** Source map and comment position of what we built: the original expression's. */
  function keep<T extends ts.Node>(built: T, orig: ts.Node): T {
    ts.setSourceMapRange(built, orig);
    ts.setOriginalNode(built, orig);
    return built;
  }

  // ------------------------------------------------------------------ marked accessors

  function markedAccessor(node: ts.PropertyAccessExpression | ts.ElementAccessExpression, want: "get" | "set") {
    if (!marks.any) return false;
    const key = ts.isPropertyAccessExpression(node) ? node.name : node.argumentExpression;
    const sym = checker.getSymbolAtLocation(key);
    const decls = sym?.declarations ?? [];
    const isKind = want === "get" ? ts.isGetAccessorDeclaration : ts.isSetAccessorDeclaration;
    return decls.some((d) => isKind(d) && marks.isMarked(d));
  }

  // ------------------------------------------------------------------ the visitor

  const K = ts.SyntaxKind;
  const AMBIENT = (ts.NodeFlags as unknown as { Ambient?: number }).Ambient ?? 1 << 25;
  /**
   * What the walk need not enter, because nothing in it runs: tokens and names (no children), types,
   * interfaces and type aliases, overloads and other bodiless signatures, `declare`d code, and
   * import and export declarations. The emit drops all of these but the last two, which hold no
   * expression. Most of a typed file's nodes are here (rxjs: the walk is half as long).
   */
  function erased(node: ts.Node): boolean {
    const k = node.kind;
    if (k <= K.LastToken) return true;
    if (k >= K.FirstTypeNode && k <= K.LastTypeNode) return true;
    switch (k) {
      case K.InterfaceDeclaration:
      case K.TypeAliasDeclaration:
      case K.ImportDeclaration:
      case K.ImportEqualsDeclaration:
      case K.ExportDeclaration:
      case K.IndexSignature: // in a class (in an interface or a type literal, those are skipped whole)
        return true;
      case K.FunctionDeclaration:
      case K.MethodDeclaration:
      case K.Constructor:
      case K.GetAccessor:
      case K.SetAccessor:
        return (node as ts.FunctionLikeDeclaration).body === undefined;
      default:
        return (node.flags & AMBIENT) !== 0;
    }
  }

  function visitFunction(node: ts.FunctionLikeDeclaration): ts.Node {
    const marked = !!node.body && marks.isMarked(node);
    const outer = scope;
    scope = { caller: marked ? f.createUniqueName("__ta_caller") : undefined };
    const visited = named(node, () => ts.visitEachChild(node, visit, context) as ts.FunctionLikeDeclaration);
    const caller = scope.caller;
    scope = outer;
    if (!caller) return visited;
    return addPrologue(visited, caller);
  }

  /** The name a function or class adds to the scope of stable keys: its own, or the binding it is the value of. */
  function scopeName(node: ts.Node): string | undefined {
    if (ts.isConstructorDeclaration(node)) return "constructor";
    const own = (node as ts.NamedDeclaration).name;
    const text = (n: ts.Node | undefined) =>
      n && (ts.isIdentifier(n) || ts.isPrivateIdentifier(n) || ts.isStringLiteral(n) || ts.isNumericLiteral(n)) ? n.text : undefined;
    if (own) return text(own);
    let p = node.parent;
    while (p && (ts.isParenthesizedExpression(p) || ts.isAsExpression(p) || ts.isSatisfiesExpression(p))) p = p.parent;
    if (p && (ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p))) return text(p.name);
    return undefined;
  }

  function named<T>(node: ts.Node, body: () => T): T {
    const name = scopeName(node);
    if (name === undefined) return body();
    names.push(name);
    try {
      return body();
    } finally {
      names.pop();
    }
  }

  /**
   * A parameter's default or a class field's initializer: temps made there get a scope of their
   * own, an arrow called in place (same `this`, `arguments`, `super`). A temp hoisted into the
   * function body would not be seen by a parameter, and one hoisted out of a class would not be in
   * the class's text.
   */
  function visitInitialized(node: ts.ParameterDeclaration | ts.PropertyDeclaration): ts.Node {
    // A marked function takes its caller in its body (or, for a generator, in a parameter after
    // all others): its parameters' defaults cannot see it, and report their own sites.
    const outer = scope;
    if (ts.isParameter(node)) scope = { caller: undefined };
    context.startLexicalEnvironment();
    const visited = ts.visitEachChild(node, visit, context);
    const temps = context.endLexicalEnvironment();
    scope = outer;
    if (!temps || temps.length === 0 || !visited.initializer) return visited;
    const init = visited.initializer;
    const iife = f.createCallExpression(
      f.createParenthesizedExpression(
        f.createArrowFunction(undefined, undefined, [], undefined, undefined, f.createBlock([...temps, f.createReturnStatement(init)], false)),
      ),
      undefined,
      [],
    );
    keep(iife, node.initializer!);
    if (ts.isParameter(visited)) {
      return f.updateParameterDeclaration(visited, visited.modifiers, visited.dotDotDotToken, visited.name, visited.questionToken, visited.type, iife);
    }
    return f.updatePropertyDeclaration(visited, visited.modifiers, visited.name, visited.questionToken ?? visited.exclamationToken, visited.type, iife);
  }

  function addPrologue(node: ts.FunctionLikeDeclaration, caller: ts.Identifier): ts.Node {
    const take = guardedRuntime((r) => call(r, RT.take, []), f.createVoidZero());
    const body = node.body!;
    const strictFile = !!(ts.isExternalModule(sf) || fc.program.getCompilerOptions().alwaysStrict || fc.program.getCompilerOptions().strict);
    // A generator's body runs at the first next(): take the caller in a trailing parameter instead,
    // evaluated at the call. Only where that is invisible: no rest parameter (fn.length does not count
    // a defaulted parameter), strict code, no "use strict" in the body.
    if (node.asteriskToken && ts.isBlock(body)) {
      const params = node.parameters;
      const rest = params.length > 0 && !!params[params.length - 1].dotDotDotToken;
      const bodyStrict = body.statements.some(
        (s) => ts.isExpressionStatement(s) && ts.isStringLiteral(s.expression) && s.expression.text === "use strict",
      );
      if (!rest && strictFile && !bodyStrict) {
        const p = f.createParameterDeclaration(undefined, undefined, caller, undefined, undefined, take);
        return update(node, [...params, p], body);
      }
    }
    const decl = f.createVariableStatement(
      undefined,
      f.createVariableDeclarationList([f.createVariableDeclaration(caller, undefined, undefined, take)], ts.NodeFlags.Const),
    );
    if (!ts.isBlock(body)) {
      const ret = f.createReturnStatement(body);
      ts.setTextRange(ret, body);
      return update(node, node.parameters, ts.setTextRange(f.createBlock([decl, ret], true), body));
    }
    let i = 0;
    while (i < body.statements.length && isDirective(body.statements[i])) i++;
    const statements = [...body.statements.slice(0, i), decl, ...body.statements.slice(i)];
    return update(node, node.parameters, f.updateBlock(body, statements));
  }

  function update(node: ts.FunctionLikeDeclaration, params: readonly ts.ParameterDeclaration[], body: ts.ConciseBody): ts.Node {
    const m = ts.canHaveModifiers(node) ? ts.getModifiers(node) : undefined;
    const mods = ts.canHaveDecorators(node) ? [...(ts.getDecorators(node) ?? []), ...(m ?? [])] : m;
    switch (node.kind) {
      case ts.SyntaxKind.FunctionDeclaration: {
        const n = node as ts.FunctionDeclaration;
        return f.updateFunctionDeclaration(n, mods, n.asteriskToken, n.name, n.typeParameters, params, n.type, body as ts.Block);
      }
      case ts.SyntaxKind.FunctionExpression: {
        const n = node as ts.FunctionExpression;
        return f.updateFunctionExpression(n, m, n.asteriskToken, n.name, n.typeParameters, params, n.type, body as ts.Block);
      }
      case ts.SyntaxKind.ArrowFunction: {
        const n = node as ts.ArrowFunction;
        return f.updateArrowFunction(n, m, n.typeParameters, params, n.type, n.equalsGreaterThanToken, body);
      }
      case ts.SyntaxKind.MethodDeclaration: {
        const n = node as ts.MethodDeclaration;
        return f.updateMethodDeclaration(n, mods, n.asteriskToken, n.name, n.questionToken, n.typeParameters, params, n.type, body as ts.Block);
      }
      case ts.SyntaxKind.Constructor: {
        const n = node as ts.ConstructorDeclaration;
        return f.updateConstructorDeclaration(n, m, params, body as ts.Block);
      }
      case ts.SyntaxKind.GetAccessor: {
        const n = node as ts.GetAccessorDeclaration;
        return f.updateGetAccessorDeclaration(n, mods, n.name, params, n.type, body as ts.Block);
      }
      case ts.SyntaxKind.SetAccessor: {
        const n = node as ts.SetAccessorDeclaration;
        return f.updateSetAccessorDeclaration(n, mods, n.name, params, body as ts.Block);
      }
      default:
        return node;
    }
  }

  function visitNewOrCall(node: ts.NewExpression | ts.CallExpression): ts.Node {
    const decl = fc.resolver.declarationOf(node);
    if (ts.isCallExpression(node) && marks.isCallerIntrinsic(decl)) {
      // Location.caller(): the caller's location inside a marked function, else this call's own.
      // Where the module's names are gone, the call as written (what untraced code does).
      const visited = ts.visitEachChild(node, visit, context);
      const caller = scope.caller;
      if (caller) return keep(guardedRuntime((r) => call(r, RT.caller, [caller]), visited), node);
      return keep(guarded(site(node, "Location.caller", Rule.Call), (_r, S) => S, visited), node);
    }
    const visited = ts.visitEachChild(node, visit, context);
    if (marks.isMarkedCall(node, decl)) return passLocation(node, visited, calleeName(node));
    const through = ts.isCallExpression(node) ? markedCallOrApply(node, decl) : undefined;
    if (through) return passLocation(node, visited, through);
    // `super(n)` in a subclass of a built-in stays as it is: TypeScript places field initializers after it.
    const row = node.expression.kind === ts.SyntaxKind.SuperKeyword ? undefined : fc.resolver.rowOf(node, decl);
    if (!row) return visited;
    if (row.form === "realloc") return ts.isCallExpression(node) ? rewriteRealloc(row, node, visited as ts.CallExpression) : visited;
    return rewriteAlloc(row, node, visited);
  }

  /** Reads and writes of `@track_caller` accessors. */
  function visitAccess(node: ts.PropertyAccessExpression | ts.ElementAccessExpression): ts.Node {
    if (!marks.any) return ts.visitEachChild(node, visit, context);
    const p = node.parent;
    const isCallee = (ts.isCallExpression(p) || ts.isNewExpression(p) || ts.isTaggedTemplateExpression(p)) && (p as ts.CallExpression).expression === node;
    const written =
      (ts.isBinaryExpression(p) && p.left === node && p.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && p.operatorToken.kind <= ts.SyntaxKind.LastAssignment) ||
      ((ts.isPrefixUnaryExpression(p) || ts.isPostfixUnaryExpression(p)) &&
        (p.operator === ts.SyntaxKind.PlusPlusToken || p.operator === ts.SyntaxKind.MinusMinusToken)) ||
      ts.isDeleteExpression(p) ||
      ((ts.isForInStatement(p) || ts.isForOfStatement(p)) && p.initializer === node) ||
      ts.isShorthandPropertyAssignment(p) ||
      ts.isPropertyAssignment(p) ||
      ts.isArrayLiteralExpression(p) ||
      ts.isSpreadElement(p) ||
      ts.isSpreadAssignment(p);
    if (
      isCallee ||
      written ||
      node.expression.kind === ts.SyntaxKind.SuperKeyword ||
      (node.flags & ts.NodeFlags.OptionalChain) !== 0 ||
      !markedAccessor(node, "get")
    ) {
      return ts.visitEachChild(node, visit, context);
    }
    const visited = ts.visitEachChild(node, visit, context);
    const s = site(node, `get ${ts.isPropertyAccessExpression(node) ? node.name.text : "[]"}`, Rule.Call);
    const pass = (e: ts.Expression) => bind(e, (t) => guarded(s, (r, S) => call(r, RT.at, [locationOf(S), t]), t));
    if (ts.isPropertyAccessExpression(visited)) {
      return f.updatePropertyAccessExpression(visited, pass(visited.expression), visited.name);
    }
    const v = visited as ts.ElementAccessExpression;
    return f.updateElementAccessExpression(v, v.expression, pass(v.argumentExpression));
  }

  function visitAssignment(node: ts.BinaryExpression): ts.Node {
    const left = node.left;
    if (
      node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      (ts.isPropertyAccessExpression(left) || ts.isElementAccessExpression(left)) &&
      left.expression.kind !== ts.SyntaxKind.SuperKeyword &&
      markedAccessor(left, "set")
    ) {
      const visited = ts.visitEachChild(node, visit, context);
      const name = ts.isPropertyAccessExpression(left) ? left.name.text : "[]";
      const s = site(left, `set ${name}`, Rule.Call);
      const value = bind(visited.right, (t) => guarded(s, (r, S) => call(r, RT.at, [locationOf(S), t]), t));
      return f.updateBinaryExpression(visited, visited.left, visited.operatorToken, value);
    }
    return ts.visitEachChild(node, visit, context);
  }

  function visit(node: ts.Node): ts.VisitResult<ts.Node> {
    if (erased(node)) return node;
    if (!hasRealPosition(node)) return ts.visitEachChild(node, visit, context);
    if (ts.isFunctionLike(node) && (node as ts.FunctionLikeDeclaration).body !== undefined) {
      return visitFunction(node as ts.FunctionLikeDeclaration);
    }
    if (ts.isNewExpression(node) || ts.isCallExpression(node)) return visitNewOrCall(node);
    if ((ts.isParameter(node) || ts.isPropertyDeclaration(node)) && node.initializer) {
      return ts.isPropertyDeclaration(node) ? named(node, () => visitInitialized(node)) : visitInitialized(node);
    }
    if (ts.isClassLike(node)) return named(node, () => ts.visitEachChild(node, visit, context));
    if (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) return visitAccess(node);
    if (ts.isBinaryExpression(node)) return visitAssignment(node);
    return ts.visitEachChild(node, visit, context);
  }

  // ------------------------------------------------------------------ the file

  context.startLexicalEnvironment();
  const statements = ts.visitNodes(sf.statements, visit, ts.isStatement);
  const temps = context.endLexicalEnvironment() ?? [];
  if (sites.length === 0 && temps.length === 0 && statements === sf.statements) return sf;

  const esm = ts.isExternalModule(sf) && !emitsCommonJS(ts, fc.program, sf);
  /**
   * Where the emitted file is at run time, and the root relative to its folder: the runtime makes
   * stack-trace locations relative to the same root as the sites. Nothing when the output folder is
   * not known (`outFile`).
   */
  function whereAmI(): ts.Expression[] {
    const o = fc.program.getCompilerOptions();
    if (o.outFile) return [];
    const srcDir = path.dirname(sf.fileName);
    const common = (fc.program as { getCommonSourceDirectory?: () => string }).getCommonSourceDirectory?.() ?? o.rootDir ?? srcDir;
    const outDir = o.outDir ? path.resolve(o.outDir, path.relative(common, srcDir)) : srcDir;
    const up = path.relative(outDir, fc.root).split(path.sep).join("/") || ".";
    const here = esm
      ? f.createPropertyAccessExpression(f.createMetaProperty(ts.SyntaxKind.ImportKeyword, f.createIdentifier("meta")), "url")
      : ts.isExternalModule(sf)
        ? f.createIdentifier("__filename")
        : f.createConditionalExpression(
            f.createStrictEquality(f.createTypeOfExpression(f.createIdentifier("__filename")), f.createStringLiteral("string")),
            undefined,
            f.createIdentifier("__filename"),
            undefined,
            f.createVoidZero(),
          );
    return [here, f.createStringLiteral(up)];
  }
  const table = f.createVariableStatement(
    undefined,
    f.createVariableDeclarationList(
      [
        f.createVariableDeclaration(fileName, undefined, undefined, rt(RT.file, [f.createStringLiteral(relative), ...whereAmI()])),
        ...sites.map((s) => f.createVariableDeclaration(s.ident, undefined, undefined, rt(RT.site, siteArgs(s, fileName)))),
      ],
      ts.NodeFlags.None, // `var`: a module cycle that calls in before the table ran sees undefined, not a TDZ error
    ),
  );
  const spec = f.createStringLiteral(fc.runtime);
  let load: ts.Statement;
  if (esm) {
    load = f.createImportDeclaration(undefined, f.createImportClause(false, undefined, f.createNamespaceImport(rtName)), spec);
  } else {
    // CommonJS output, or a script (no import possible): a plain require. Not an import that
    // TypeScript would wrap in its __importStar helper (33 lines a file, or `require("tslib")`
    // under importHelpers, which the program may not have).
    load = f.createVariableStatement(
      undefined,
      f.createVariableDeclarationList(
        [f.createVariableDeclaration(rtName, undefined, undefined, f.createCallExpression(f.createIdentifier("require"), undefined, [spec]))],
        ts.isExternalModule(sf) ? ts.NodeFlags.Const : ts.NodeFlags.None,
      ),
    );
  }
  let i = 0;
  while (i < statements.length && isDirective(statements[i])) i++;
  const out = [...statements.slice(0, i), load, table, ...temps, ...statements.slice(i)];
  return f.updateSourceFile(sf, out);
}

/** Whether this file is emitted as CommonJS (`module: commonjs`, or a CommonJS file under node16/nodenext). */
function emitsCommonJS(ts: typeof import("typescript"), program: ts.Program, sf: ts.SourceFile): boolean {
  const o = program.getCompilerOptions();
  const M = ts.ModuleKind;
  if (o.module === M.CommonJS) return true;
  if (o.module !== undefined && o.module >= M.Node16 && o.module <= M.NodeNext) return sf.impliedNodeFormat === M.CommonJS;
  return false;
}
