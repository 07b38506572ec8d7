/**
 * Which row of the rule table a call or `new` reaches at run time.
 *
 * First by the declaration the type checker resolves it to, when that lives in a default lib file
 * or in @types/node: a row key is `<container> new`, `<container> call`, `<container>.<member>`,
 * with containers such as `Uint8ArrayConstructor`, `WebAssembly.Memory`, `fs`, `crypto.Hash`.
 *
 * When the checker cannot tell (a cast to `any`, or a library's own ambient declaration of a global,
 * `declare const Buffer: {...}`, which does not exist at run time), by the binding of the root
 * identifier: a name with no real binding is the global of that name; an import of a Node module
 * is that module. A real local binding (`const Buffer = ...`, a parameter) shadows.
 */
import type * as ts from "typescript";
import { BY_INSTANCE_SHAPE, BY_SHAPE, RULES, type RowSpec } from "./rules";
import { Rule } from "../runtime/names";

const NODE_TYPES = /[\\/]node_modules[\\/]@types[\\/]node[\\/]/;

/** The method names of BY_INSTANCE_SHAPE (`encode`, `slice`): a call of any other name has no instance row. */
const INSTANCE_METHODS = new Set([...BY_INSTANCE_SHAPE.keys()].map((k) => k.slice(k.lastIndexOf(".") + 1)));

export class Resolver {
  constructor(
    private readonly ts: typeof import("typescript"),
    private readonly program: ts.Program,
    private readonly checker: ts.TypeChecker,
  ) {}

  /** Per file, the names its imports bind (what may be an alias of a Node module's export). */
  private readonly imported = new WeakMap<ts.SourceFile, Set<string>>();

  /** The declaration of the signature a call resolves to, if any. */
  declarationOf(node: ts.CallExpression | ts.NewExpression): ts.Declaration | undefined {
    try {
      return this.checker.getResolvedSignature(node)?.declaration ?? undefined;
    } catch {
      return undefined;
    }
  }

  /** Whether a declaration is TypeScript's own lib or @types/node. */
  isBuiltinDeclaration(decl: ts.Node): boolean {
    const file = decl.getSourceFile();
    return file.isDeclarationFile && (this.program.isSourceFileDefaultLibrary(file) || NODE_TYPES.test(file.fileName));
  }

  /** The row a call reaches, or undefined. `decl` is `declarationOf(node)`. */
  rowOf(node: ts.CallExpression | ts.NewExpression, decl: ts.Declaration | undefined): RowSpec | undefined {
    if (decl && this.isBuiltinDeclaration(decl)) return this.rowOfDeclaration(decl) ?? this.rowThroughCall(node, decl);
    return this.rowOfShape(node) ?? this.rowOfInstance(node);
  }

  /**
   * `Uint8Array.prototype.slice.call(bytes, a, b)`, `Array.prototype.slice.apply(arguments)`: the
   * built-in method called through Function's call or apply; its result is what the method makes.
   */
  private rowThroughCall(node: ts.CallExpression | ts.NewExpression, decl: ts.Declaration): RowSpec | undefined {
    const ts = this.ts;
    if (!ts.isCallExpression(node) || !(ts.isMethodSignature(decl) || ts.isMethodDeclaration(decl)) || !ts.isIdentifier(decl.name)) return undefined;
    if (decl.name.text !== "call" && decl.name.text !== "apply") return undefined;
    const callee = this.skipOuter(node.expression);
    if (!ts.isPropertyAccessExpression(callee)) return undefined;
    const target = this.skipOuter(callee.expression);
    if (!ts.isPropertyAccessExpression(target)) return undefined;
    const sym = this.checker.getSymbolAtLocation(target.name);
    for (const d of sym?.declarations ?? []) {
      if (!this.isBuiltinDeclaration(d)) continue;
      const row = this.rowOfDeclaration(d);
      // Called as `Uint8Array.prototype.slice.call(buf)`, a typed array's slice copies even on a
      // Buffer (whose own slice, reached as `buf.slice()`, is a view).
      if (row && row.form === "alloc") return row.rule === Rule.Slice ? { ...row, rule: Rule.Typed } : row;
    }
    return undefined;
  }

  /**
   * A method on a receiver the checker cannot type (`new TextEncoder().encode(s)` under the
   * library's own `declare const TextEncoder: any`): an instance of a global when the receiver is
   * `new G(...)`, or a `const` bound to one.
   */
  private rowOfInstance(node: ts.CallExpression | ts.NewExpression): RowSpec | undefined {
    const ts = this.ts;
    if (!ts.isCallExpression(node)) return undefined;
    const callee = this.skipOuter(node.expression);
    if (!ts.isPropertyAccessExpression(callee) || !ts.isIdentifier(callee.name) || !INSTANCE_METHODS.has(callee.name.text)) return undefined;
    let recv = this.skipOuter(callee.expression);
    if (ts.isIdentifier(recv)) {
      const d = this.checker.getSymbolAtLocation(recv)?.valueDeclaration;
      if (!d || !ts.isVariableDeclaration(d) || !d.initializer || !(d.parent.flags & ts.NodeFlags.Const)) return undefined;
      recv = this.skipOuter(d.initializer);
    }
    if (!ts.isNewExpression(recv)) return undefined;
    const path = this.calleePath(recv.expression);
    const names = path && this.globalNames(path[0]);
    if (!path || !names) return undefined;
    const cls = [...names, ...path.slice(1).map((p) => p.text)].join(".");
    return BY_INSTANCE_SHAPE.get(`${cls}.prototype.${callee.name.text}`);
  }

  private rowOfDeclaration(decl: ts.Declaration): RowSpec | undefined {
    const ts = this.ts;
    let key: string | undefined;
    if (ts.isConstructSignatureDeclaration(decl) || ts.isCallSignatureDeclaration(decl)) {
      const c = this.containerName(decl.parent);
      if (c) key = `${c} ${ts.isConstructSignatureDeclaration(decl) ? "new" : "call"}`;
    } else if ((ts.isMethodSignature(decl) || ts.isMethodDeclaration(decl)) && ts.isIdentifier(decl.name)) {
      const c = this.containerName(decl.parent);
      if (c) key = `${c}.${decl.name.text}`;
    } else if (ts.isFunctionDeclaration(decl) && decl.name) {
      const m = this.modulePath(decl);
      key = m ? `${m}.${decl.name.text}` : decl.name.text;
    }
    return key === undefined ? undefined : RULES[key];
  }

  /** `Uint8ArrayConstructor`, `WebAssembly.Memory`, `crypto.Hash`: the lib container a member is declared in. */
  private containerName(n: ts.Node): string | undefined {
    const ts = this.ts;
    let name: string | undefined;
    if (ts.isInterfaceDeclaration(n) || (ts.isClassDeclaration(n) && n.name)) name = n.name!.text;
    else if (ts.isTypeLiteralNode(n) && ts.isVariableDeclaration(n.parent) && ts.isIdentifier(n.parent.name)) {
      name = n.parent.name.text;
      n = n.parent.parent.parent; // VariableDeclarationList -> VariableStatement
    } else return undefined;
    const m = this.modulePath(n);
    return m ? `${m}.${name}` : name;
  }

  /** The modules and namespaces around a declaration: `WebAssembly`, `fs` (for `declare module "node:fs"` too). */
  private modulePath(n: ts.Node): string | undefined {
    const ts = this.ts;
    const parts: string[] = [];
    for (let p = n.parent; p; p = p.parent) {
      if (!ts.isModuleDeclaration(p)) continue;
      if (ts.isIdentifier(p.name)) {
        if (p.name.text === "global") break;
        parts.unshift(p.name.text);
      } else {
        parts.unshift(p.name.text.replace(/^node:/, ""));
      }
    }
    return parts.length > 0 ? parts.join(".") : undefined;
  }

  // ---------------------------------------------------------------- by the root identifier's binding

  private rowOfShape(node: ts.CallExpression | ts.NewExpression): RowSpec | undefined {
    const path = this.calleePath(node.expression);
    if (!path) return undefined;
    const [root, ...rest] = path;
    const prefix = this.ts.isNewExpression(node) ? "new " : "";
    // Before the symbol lookup, what the text allows: a global's shape is the path as written, and
    // any other shape needs `globalThis` or an import (most calls are of the program's own functions).
    if (root.text !== "globalThis" && !BY_SHAPE.has(prefix + path.map((p) => p.text).join(".")) && !this.importedNames(root).has(root.text)) {
      return undefined;
    }
    const names = this.globalNames(root);
    if (!names) return undefined;
    const shape = [...names, ...rest.map((r) => r.text)].join(".");
    return BY_SHAPE.get(prefix + shape);
  }

  /** The names bound by the imports of `id`'s file, in its statements and its namespaces' (read from the syntax, once a file). */
  private importedNames(id: ts.Identifier): Set<string> {
    const ts = this.ts;
    const sf = id.getSourceFile();
    let names = this.imported.get(sf);
    if (names) return names;
    const found = new Set<string>();
    const scan = (statements: readonly ts.Statement[]) => {
      for (const st of statements) {
        if (ts.isImportDeclaration(st) && st.importClause) {
          const c = st.importClause;
          if (c.name) found.add(c.name.text);
          const b = c.namedBindings;
          if (b && ts.isNamespaceImport(b)) found.add(b.name.text);
          else if (b) for (const e of b.elements) found.add(e.name.text);
        } else if (ts.isImportEqualsDeclaration(st)) {
          found.add(st.name.text);
        } else if (ts.isModuleDeclaration(st)) {
          let body = st.body;
          while (body && ts.isModuleDeclaration(body)) body = body.body;
          if (body && ts.isModuleBlock(body)) scan(body.statements);
        }
      }
    };
    scan(sf.statements);
    names = found;
    this.imported.set(sf, names);
    return names;
  }

  /** `Buffer.alloc`, `(Uint8Array as any).from`, `globalThis.Buffer.alloc`: the identifiers, casts and parentheses removed. */
  private calleePath(e: ts.Expression): ts.Identifier[] | undefined {
    const ts = this.ts;
    const out: ts.Identifier[] = [];
    for (;;) {
      e = this.skipOuter(e);
      if (ts.isIdentifier(e)) {
        out.unshift(e);
        return out;
      }
      if (!ts.isPropertyAccessExpression(e) || !ts.isIdentifier(e.name) || e.questionDotToken) return undefined;
      out.unshift(e.name);
      e = e.expression;
    }
  }

  private skipOuter(e: ts.Expression): ts.Expression {
    const ts = this.ts;
    while (
      ts.isParenthesizedExpression(e) ||
      ts.isAsExpression(e) ||
      ts.isTypeAssertionExpression(e) ||
      ts.isNonNullExpression(e) ||
      ts.isSatisfiesExpression(e)
    ) {
      e = e.expression;
    }
    return e;
  }

  /**
   * What a root identifier names at run time: the global of that name when nothing real binds it
   * (no declaration, or only ambient ones), `globalThis` itself (an empty path), or a Node module
   * for an import of one (`import * as fs from "node:fs"` is `fs`). Undefined for a real local binding.
   */
  private globalNames(id: ts.Identifier): string[] | undefined {
    const ts = this.ts;
    const sym = this.checker.getSymbolAtLocation(id);
    if (sym && sym.flags & ts.SymbolFlags.Alias) {
      const d = sym.declarations?.[0];
      const spec = d && this.importedModule(d);
      if (spec === undefined) return undefined;
      if (d && ts.isImportSpecifier(d)) {
        const name = (d.propertyName ?? d.name).text;
        // `import { Buffer } from "node:buffer"` is the global Buffer.
        return spec === "buffer" && name === "Buffer" ? [name] : [spec, name];
      }
      return [spec];
    }
    const decls = sym?.declarations ?? [];
    if (!decls.every((d) => this.isAmbient(d))) return undefined;
    return id.text === "globalThis" ? [] : [id.text];
  }

  private isAmbient(d: ts.Declaration): boolean {
    // NodeFlags.Ambient (set on everything inside `declare`, `declare global`, `declare module`)
    // is not in the public typings, but has been there since TypeScript 2.
    const AMBIENT = (this.ts.NodeFlags as unknown as { Ambient?: number }).Ambient ?? 1 << 25;
    return d.getSourceFile().isDeclarationFile || (d.flags & AMBIENT) !== 0;
  }

  /** `fs` for an import (namespace, default, named, `import x = require()`) of a Node module; else undefined. */
  private importedModule(d: ts.Declaration): string | undefined {
    const ts = this.ts;
    let spec: ts.Expression | undefined;
    if (ts.isImportEqualsDeclaration(d)) {
      if (ts.isExternalModuleReference(d.moduleReference)) spec = d.moduleReference.expression;
    } else {
      for (let p: ts.Node | undefined = d; p; p = p.parent) {
        if (ts.isImportDeclaration(p)) {
          spec = p.moduleSpecifier;
          break;
        }
      }
    }
    if (!spec || !ts.isStringLiteral(spec)) return undefined;
    const name = spec.text.replace(/^node:/, "");
    return /^[a-z_]+$/.test(name) ? name : undefined;
  }
}
