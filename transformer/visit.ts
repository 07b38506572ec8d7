/**
 * The per-file rewrite. A flat visitor: each kind of node either matches a rule and is updated,
 * or is left exactly as it was. Every rewrite keeps the original expression in place (its
 * evaluation order, `this`, short-circuiting and exceptions), and only adds a call around it or a
 * last argument to it. When a shape is not known to be safe, it is left alone.
 */
import type * as ts from "typescript";
import * as path from "node:path";
import { RT, Rule } from "../runtime/names";
import { RULES, type RowSpec } from "./rules";
import { Marks } from "./marks";

export interface FileContext {
  ts: typeof import("typescript");
  program: ts.Program;
  checker: ts.TypeChecker;
  marks: Marks;
  root: string;
  runtime: string;
}

interface HoistedSite {
  ident: ts.Identifier;
  line: number;
  col: number;
  kind: string;
  rule: Rule;
  /** For realloc sites: the callee as V8 names it in a TypeError. */
  callee?: string;
}

/** The function we are inside of: marked ones carry the identifier that holds their caller. */
interface Scope {
  caller: ts.Identifier | undefined;
}

const NODE_TYPES = /[\\/]node_modules[\\/]@types[\\/]node[\\/]/;

export function transformSourceFile(fc: FileContext, context: ts.TransformationContext, sf: ts.SourceFile): ts.SourceFile {
  const { ts, checker, marks } = fc;
  const f = context.factory;
  if (sf.isDeclarationFile) return sf;

  const sites: HoistedSite[] = [];
  const rtName = f.createUniqueName("__ta");
  const fileName = f.createUniqueName("__ta_file");
  let scope: Scope = { caller: undefined };

  // ------------------------------------------------------------------ helpers: runtime calls, sites

  const rt = (name: string, args: ts.Expression[]) =>
    f.createCallExpression(f.createPropertyAccessExpression(rtName, name), undefined, args);

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

  function site(node: ts.Node, kind: string, rule: Rule, callee?: string): ts.Identifier {
    const { line, character } = sf.getLineAndCharacterOfPosition(position(node));
    const ident = f.createUniqueName("__ta_s");
    sites.push({ ident, line: line + 1, col: character + 1, kind, rule, callee });
    return ident;
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
  const locationOf = (s: ts.Identifier): ts.Expression => (scope.caller ? f.createLogicalOr(scope.caller, s) : s);
  const callerArgs = (): ts.Expression[] => (scope.caller ? [scope.caller] : []);

  const isDirective = (s: ts.Statement) => ts.isExpressionStatement(s) && ts.isStringLiteral(s.expression);
  const hasRealPosition = (node: ts.Node) => node.pos >= 0 && node.end >= node.pos && !!node.parent;

  // ------------------------------------------------------------------ what a call resolves to

  function declarationOf(node: ts.CallExpression | ts.NewExpression): ts.Declaration | undefined {
    try {
      return checker.getResolvedSignature(node)?.declaration ?? undefined;
    } catch {
      return undefined;
    }
  }

  /** `Uint8ArrayConstructor`, `WebAssembly.Memory`: the lib container a signature is declared in. */
  function containerName(n: ts.Node): string | undefined {
    let name: string | undefined;
    if (ts.isInterfaceDeclaration(n)) name = n.name.text;
    else if (ts.isTypeLiteralNode(n) && ts.isVariableDeclaration(n.parent) && ts.isIdentifier(n.parent.name)) {
      name = n.parent.name.text;
      n = n.parent.parent.parent; // VariableDeclarationList -> VariableStatement
    } else return undefined;
    for (let p = n.parent; p; p = p.parent) {
      if (ts.isModuleDeclaration(p)) {
        if (!ts.isIdentifier(p.name) || p.name.text === "global") break;
        name = `${p.name.text}.${name}`;
      }
    }
    return name;
  }

  function rowOf(decl: ts.Declaration | undefined): RowSpec | undefined {
    if (!decl) return undefined;
    const file = decl.getSourceFile();
    if (!file.isDeclarationFile || !(fc.program.isSourceFileDefaultLibrary(file) || NODE_TYPES.test(file.fileName))) {
      return undefined;
    }
    let key: string | undefined;
    if (ts.isConstructSignatureDeclaration(decl) || ts.isCallSignatureDeclaration(decl)) {
      const c = containerName(decl.parent);
      if (c) key = `${c} ${ts.isConstructSignatureDeclaration(decl) ? "new" : "call"}`;
    } else if (ts.isMethodSignature(decl) && ts.isIdentifier(decl.name)) {
      const c = containerName(decl.parent);
      if (c) key = `${c}.${decl.name.text}`;
    }
    return key === undefined ? undefined : RULES[key];
  }

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
        return keep(rt(RT.allocFrom, [s, withArgs(v, args), temp, ...callerArgs()]), orig);
      }
    }
    const s = site(orig, row.kind, row.rule);
    return keep(rt(RT.alloc, [s, visited, ...callerArgs()]), orig);
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
    const arg = visited.arguments[0] ?? f.createVoidZero();
    const method = f.createStringLiteral(callee.name.text);
    const s = site(orig, row.kind, row.rule, calleeText(callee));
    if (!callee.questionDotToken) {
      return keep(rt(RT.realloc, [s, vCallee.expression, method, arg, ...callerArgs()]), orig);
    }
    // `buf?.resize(n)`: evaluate `buf` once; when nullish, neither `n` nor the call is evaluated.
    const temp = f.createTempVariable(context.hoistVariableDeclaration);
    return keep(
      f.createConditionalExpression(
        f.createEquality(f.createAssignment(temp, vCallee.expression), f.createNull()),
        undefined,
        f.createVoidZero(),
        undefined,
        rt(RT.realloc, [s, temp, method, arg, ...callerArgs()]),
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
    const loc = locationOf(site(orig, kind, Rule.Call));
    const args = [...(visited.arguments ?? [])];
    const last = args[args.length - 1];
    if (last && !ts.isSpreadElement(last)) args[args.length - 1] = rt(RT.at, [loc, last]);
    else args.push(f.createSpreadElement(rt(RT.none, [loc])));
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
    if (!decl || !ts.isPropertyAccessExpression(callee) || !ts.isIdentifier(callee.name)) return undefined;
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
    const key = ts.isPropertyAccessExpression(node) ? node.name : node.argumentExpression;
    const sym = checker.getSymbolAtLocation(key);
    const decls = sym?.declarations ?? [];
    const isKind = want === "get" ? ts.isGetAccessorDeclaration : ts.isSetAccessorDeclaration;
    return decls.some((d) => isKind(d) && marks.isMarked(d));
  }

  // ------------------------------------------------------------------ the visitor

  function visitFunction(node: ts.FunctionLikeDeclaration): ts.Node {
    const marked = !!node.body && marks.isMarked(node);
    const outer = scope;
    scope = { caller: marked ? f.createUniqueName("__ta_caller") : undefined };
    const visited = ts.visitEachChild(node, visit, context) as ts.FunctionLikeDeclaration;
    const caller = scope.caller;
    scope = outer;
    if (!caller) return visited;
    return addPrologue(visited, caller);
  }

  function addPrologue(node: ts.FunctionLikeDeclaration, caller: ts.Identifier): ts.Node {
    const take = rt(RT.take, []);
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
    const decl = declarationOf(node);
    if (ts.isCallExpression(node) && marks.isCallerIntrinsic(decl)) {
      // Location.caller(): the caller's location inside a marked function, else this call's own.
      return keep(scope.caller ? rt(RT.caller, [scope.caller]) : site(node, "Location.caller", Rule.Call), node);
    }
    const visited = ts.visitEachChild(node, visit, context);
    if (decl && marks.isMarked(decl)) return passLocation(node, visited, calleeName(node));
    const through = ts.isCallExpression(node) ? markedCallOrApply(node, decl) : undefined;
    if (through) return passLocation(node, visited, through);
    // `super(n)` in a subclass of a built-in stays as it is: TypeScript places field initializers after it.
    const row = node.expression.kind === ts.SyntaxKind.SuperKeyword ? undefined : rowOf(decl);
    if (!row) return visited;
    if (row.form === "realloc") return ts.isCallExpression(node) ? rewriteRealloc(row, node, visited as ts.CallExpression) : visited;
    return rewriteAlloc(row, node, visited);
  }

  /** Reads and writes of `@track_caller` accessors. */
  function visitAccess(node: ts.PropertyAccessExpression | ts.ElementAccessExpression): ts.Node {
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
    const loc = locationOf(site(node, `get ${ts.isPropertyAccessExpression(node) ? node.name.text : "[]"}`, Rule.Call));
    if (ts.isPropertyAccessExpression(visited)) {
      return f.updatePropertyAccessExpression(visited, rt(RT.at, [loc, visited.expression]), visited.name);
    }
    const v = visited as ts.ElementAccessExpression;
    return f.updateElementAccessExpression(v, v.expression, rt(RT.at, [loc, v.argumentExpression]));
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
      const loc = locationOf(site(left, `set ${name}`, Rule.Call));
      return f.updateBinaryExpression(visited, visited.left, visited.operatorToken, rt(RT.at, [loc, visited.right]));
    }
    return ts.visitEachChild(node, visit, context);
  }

  function visit(node: ts.Node): ts.VisitResult<ts.Node> {
    if (!hasRealPosition(node)) return ts.visitEachChild(node, visit, context);
    if (ts.isFunctionLike(node) && (node as ts.FunctionLikeDeclaration).body !== undefined) {
      return visitFunction(node as ts.FunctionLikeDeclaration);
    }
    if (ts.isNewExpression(node) || ts.isCallExpression(node)) return visitNewOrCall(node);
    if (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) return visitAccess(node);
    if (ts.isBinaryExpression(node)) return visitAssignment(node);
    return ts.visitEachChild(node, visit, context);
  }

  // ------------------------------------------------------------------ the file

  context.startLexicalEnvironment();
  const statements = ts.visitNodes(sf.statements, visit, ts.isStatement);
  const temps = context.endLexicalEnvironment() ?? [];
  if (sites.length === 0 && temps.length === 0 && statements === sf.statements) return sf;

  const relative = path.relative(fc.root, sf.fileName).split(path.sep).join("/");
  const table = f.createVariableStatement(
    undefined,
    f.createVariableDeclarationList(
      [
        f.createVariableDeclaration(fileName, undefined, undefined, f.createStringLiteral(relative)),
        ...sites.map((s) =>
          f.createVariableDeclaration(
            s.ident,
            undefined,
            undefined,
            rt(RT.site, [
              fileName,
              f.createNumericLiteral(s.line),
              f.createNumericLiteral(s.col),
              f.createStringLiteral(s.kind),
              f.createNumericLiteral(s.rule),
              ...(s.callee !== undefined ? [f.createStringLiteral(s.callee)] : []),
            ]),
          ),
        ),
      ],
      ts.NodeFlags.None, // `var`: a module cycle that calls in before the table ran sees undefined, not a TDZ error
    ),
  );
  const spec = f.createStringLiteral(fc.runtime);
  let load: ts.Statement;
  if (ts.isExternalModule(sf) && !emitsCommonJS(ts, fc.program, sf)) {
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
