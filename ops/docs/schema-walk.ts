/**
 * Turns a zod object schema into reference rows (path, type, required, default, description, secret): types and
 * defaults from `z.toJSONSchema()`, descriptions from `.describe()`/`.meta()` or else the TSDoc beside the field.
 */
import { z } from "zod";
import type { Doc, ExportDocs } from "./tsdoc.ts";

export interface FieldRow {
  /** Path as written in YAML below the table's prefix: `sasl.password`, `rules[].when`. */
  path: string;
  type: string;
  required: boolean;
  default?: string;
  description: string;
  secret: boolean;
}

/** Where a schema object was declared, so its fields find their TSDoc. */
export interface DocIndex {
  /** The export a schema instance is (by identity), with its docs. */
  exportOf(schema: unknown): { name: string; docs: ExportDocs } | undefined;
  /** Schemas documented in a section of their own: shown as a link, never expanded. */
  linkOf(schema: unknown): string | undefined;
}

type Json = Record<string, unknown>;
interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  shape?: Record<string, z.ZodType>;
}
const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;
const WRAPPERS = new Set(["optional", "default", "prefault", "nullable", "readonly", "catch", "nonoptional"]);

/** The schema layers under wrappers (`optional`, `default`, transforms), outermost first. */
export function layers(schema: z.ZodType): z.ZodType[] {
  const out = [schema];
  for (let s = schema; ; ) {
    const def = defOf(s);
    const next = WRAPPERS.has(def.type) ? def.innerType : def.type === "pipe" ? def.in : undefined;
    if (next === undefined) return out;
    out.push(next);
    s = next;
  }
}
export const unwrap = (schema: z.ZodType): z.ZodType => layers(schema).at(-1) as z.ZodType;

/** The section link of a field (or of its list items), when its schema is documented apart. */
function linkFor(schema: z.ZodType, index: DocIndex): string | undefined {
  const own = layers(schema)
    .map((l) => index.linkOf(l))
    .find(Boolean);
  if (own !== undefined) return own;
  const element = defOf(unwrap(schema)).element;
  const item = element === undefined ? undefined : linkFor(element, index);
  return item === undefined ? undefined : `list of ${item}`;
}

/** Object shapes reachable from a field without crossing another object: itself, union options, list items. */
function nestedObjects(schema: z.ZodType, suffix = ""): Array<{ object: z.ZodType; suffix: string }> {
  const inner = unwrap(schema);
  const def = defOf(inner);
  if (def.type === "object") return [{ object: inner, suffix }];
  if (def.type === "array" && def.element) return nestedObjects(def.element, `${suffix}[]`);
  if (def.type === "union") return (def.options ?? []).flatMap((o) => nestedObjects(o, suffix));
  return [];
}

const code = (text: string) => `\`${text}\``;

/** A JSON Schema node as a short type: `integer > 0`, `"earliest" \| "latest"`, `string[]`. */
export function renderType(js: Json): string {
  if (js.const !== undefined) return JSON.stringify(js.const);
  if (Array.isArray(js.enum)) return js.enum.map((v) => JSON.stringify(v)).join(" | ");
  const options = (js.anyOf ?? js.oneOf) as Json[] | undefined;
  if (options) return [...new Set(options.map(renderType))].join(" | ");
  const bounds = (unit: string) => {
    const parts = [unit];
    if (js.exclusiveMinimum !== undefined) parts.push(`> ${js.exclusiveMinimum}`);
    else if (js.minimum !== undefined && Math.abs(Number(js.minimum)) < Number.MAX_SAFE_INTEGER)
      parts.push(`≥ ${js.minimum}`);
    if (js.maximum !== undefined && Number(js.maximum) < Number.MAX_SAFE_INTEGER) parts.push(`≤ ${js.maximum}`);
    return parts.join(" ");
  };
  switch (js.type) {
    case "string":
      if (js.format !== undefined) return `string (${js.format})`;
      return js.pattern !== undefined ? `string matching ${code(String(js.pattern))}` : "string";
    case "integer":
    case "number":
      return bounds(String(js.type));
    case "boolean":
      return "boolean";
    case "array": {
      const item = renderType((js.items ?? {}) as Json);
      return item.includes(" ") ? `list of (${item})` : `${item}[]`;
    }
    case "object": {
      if (js.properties !== undefined) return "object";
      const keys = js.propertyNames ? renderType(js.propertyNames as Json) : "string";
      return `map of ${keys} → ${renderType((js.additionalProperties ?? {}) as Json)}`;
    }
    default:
      return "any";
  }
}

function defaultText(js: Json, doc: Doc | undefined): string | undefined {
  if (js.default === undefined) return doc?.default;
  const literal = JSON.stringify(js.default);
  const note = doc?.default;
  // Keep a TSDoc remark such as "(64 MiB)" that follows the same literal.
  const rest = note?.startsWith(literal) ? note.slice(literal.length).trim() : "";
  return rest === "" ? code(literal) : `${code(literal)} ${rest}`;
}

interface Context {
  docs: ExportDocs | undefined;
  /** Path inside `docs`' export (no `[]`), for the TSDoc lookup. */
  rel: string;
}

/** Rows for every field of `object`, depth first, nested objects as dotted paths below their field. */
export function fieldRows(object: z.ZodType, index: DocIndex, prefix = "", ctx?: Context): FieldRow[] {
  const declared = layers(object)
    .map((l) => index.exportOf(l))
    .find(Boolean);
  const context = ctx ?? { docs: declared?.docs, rel: "" };
  const shape = defOf(unwrap(object)).shape ?? {};
  const rows: FieldRow[] = [];
  for (const [key, field] of Object.entries(shape)) {
    const path = prefix === "" ? key : `${prefix}.${key}`;
    const rel = context.rel === "" ? key : `${context.rel}.${key}`;
    const js = z.toJSONSchema(field, { io: "input", unrepresentable: "any" }) as Json;
    const declared = layers(field)
      .map((l) => index.exportOf(l))
      .find(Boolean);
    const doc = context.docs?.fields.get(rel) ?? declared?.docs.doc;
    const link = linkFor(field, index);
    const optin = (field as unknown as { _zod: { optin?: string } })._zod.optin;
    const row: FieldRow = {
      path,
      type: link ?? renderType(js),
      required: optin === undefined,
      description: typeof js.description === "string" ? js.description : (doc?.text ?? ""),
      secret: js.secret === true,
    };
    const dflt = defaultText(js, doc);
    if (dflt !== undefined) row.default = dflt;
    rows.push(row);
    if (link !== undefined) continue;
    for (const { object: nested, suffix } of nestedObjects(field)) {
      const own = index.exportOf(nested);
      const next: Context = own ? { docs: own.docs, rel: "" } : { docs: context.docs, rel };
      for (const sub of fieldRows(nested, index, `${path}${suffix}`, next)) {
        const same = rows.find((r) => r.path === sub.path);
        if (same === undefined) rows.push(sub);
        else if (!same.type.split(" | ").includes(sub.type)) same.type += ` | ${sub.type}`;
      }
    }
  }
  return rows;
}
