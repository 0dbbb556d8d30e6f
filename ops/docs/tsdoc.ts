/**
 * Reads the TSDoc written beside zod schema fields (`/** text @default value *\/`) with the TypeScript parser:
 * the spec's descriptions live there, where `z.toJSONSchema()` cannot see them.
 */
import { readFileSync } from "node:fs";
import ts from "typescript";

export interface Doc {
  /** The comment's prose, on one line. */
  text: string;
  /** What follows `@default`, when present. */
  default?: string;
}

export interface ExportDocs {
  /** The comment on the `export const` itself. */
  doc?: Doc;
  /** Field path inside the exported schema (`batch.maxRecords`, `ssl.ca`) → its comment. */
  fields: Map<string, Doc>;
}

export interface ModuleDocs {
  /** The module's opening comment (why it exists). */
  header?: Doc;
  /** Export name → docs of the schema it declares. */
  exports: Map<string, ExportDocs>;
}

/** A `/** … *\/` comment's body as one line, with `@default` split off. */
export function parseDoc(raw: string): Doc {
  const body = raw
    .replace(/^\/\*\*/, "")
    .replace(/\*\/$/, "")
    .split("\n")
    .map((line) => line.replace(/^\s*\*\s?/, "").trim())
    .join(" ")
    .replace(/\s+/g, " ")
    .trim();
  const at = body.search(/@default\b/);
  if (at < 0) return { text: body };
  return { text: body.slice(0, at).trim(), default: body.slice(at + "@default".length).trim() };
}

function docBefore(source: ts.SourceFile, node: ts.Node): Doc | undefined {
  const ranges = ts.getLeadingCommentRanges(source.text, node.getFullStart()) ?? [];
  const last = ranges.filter((r) => source.text.startsWith("/**", r.pos)).at(-1);
  return last === undefined ? undefined : parseDoc(source.text.slice(last.pos, last.end));
}

const OBJECT_FACTORIES = new Set(["object", "strictObject", "looseObject"]);

/** Object literals passed to `z.object`/`z.strictObject` inside `node`, not looking inside the literals found. */
function objectLiterals(node: ts.Node): ts.ObjectLiteralExpression[] {
  const found: ts.ObjectLiteralExpression[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n)) {
      const callee = n.expression;
      const name = ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
      const first = n.arguments[0];
      if (name !== undefined && OBJECT_FACTORIES.has(name) && first && ts.isObjectLiteralExpression(first)) {
        found.push(first);
        visit(callee);
        for (const arg of n.arguments.slice(1)) visit(arg);
        return;
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

function collectFields(
  source: ts.SourceFile,
  literal: ts.ObjectLiteralExpression,
  prefix: string,
  out: Map<string, Doc>,
) {
  for (const property of literal.properties) {
    if (!ts.isPropertyAssignment(property) && !ts.isShorthandPropertyAssignment(property)) continue;
    const name = property.name;
    const key = ts.isIdentifier(name) || ts.isStringLiteral(name) ? name.text : undefined;
    if (key === undefined) continue;
    const path = prefix === "" ? key : `${prefix}.${key}`;
    const doc = docBefore(source, property);
    if (doc !== undefined && !out.has(path)) out.set(path, doc);
    if (ts.isPropertyAssignment(property)) {
      for (const nested of objectLiterals(property.initializer)) collectFields(source, nested, path, out);
    }
  }
}

/** The docs of every `export const` in `file` that declares (or wraps) a zod object schema. */
export function readModuleDocs(file: string): ModuleDocs {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
  const docs: ModuleDocs = { exports: new Map() };
  const opening = ts.getLeadingCommentRanges(source.text, 0)?.[0];
  if (opening !== undefined && source.text.startsWith("/**", opening.pos)) {
    docs.header = parseDoc(source.text.slice(opening.pos, opening.end));
  }
  for (const statement of source.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    if (!statement.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
    for (const declaration of statement.declarationList.declarations) {
      if (!ts.isIdentifier(declaration.name) || declaration.initializer === undefined) continue;
      const fields = new Map<string, Doc>();
      for (const literal of objectLiterals(declaration.initializer)) collectFields(source, literal, "", fields);
      const doc = docBefore(source, statement);
      docs.exports.set(declaration.name.text, doc === undefined ? { fields } : { doc, fields });
    }
  }
  return docs;
}

/** The first sentence of a doc's text (for one-line summaries). */
export function firstSentence(text: string): string {
  const match = /^(.+?\.)(\s|$)/.exec(text);
  return match?.[1] ?? text;
}
