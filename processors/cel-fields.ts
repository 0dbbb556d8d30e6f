/**
 * Checks the `value.a.b` references of a parsed CEL expression against the input's Avro schema, so a typo in a
 * field name fails validation instead of dead-lettering every record at run time.
 */
import avro from "avsc";
import { didYouMean } from "./did-you-mean.ts";

/** One reference the schema lacks; `offset` points at the field name in the expression text. */
export interface FieldProblem {
  offset: number;
  message: string;
}

interface AstNode {
  op: string;
  args: unknown;
  pos: number;
}

/** The parts of an avsc Type the expression code reads. */
export interface AvroTypeLike {
  typeName: string;
  valuesType?: AvroTypeLike;
  name?: string;
  fields?: Array<{ name: string; type: AvroTypeLike }>;
  types?: AvroTypeLike[];
  itemsType?: AvroTypeLike;
}

function isNode(value: unknown): value is AstNode {
  return typeof value === "object" && value !== null && typeof (value as AstNode).op === "string";
}

/** Accepts an avsc `Type` or an Avro schema in JSON form. */
export function toAvroType(schema: unknown): AvroTypeLike {
  if (typeof schema === "object" && schema !== null && typeof (schema as AvroTypeLike).typeName === "string") {
    return schema as AvroTypeLike;
  }
  return avro.Type.forSchema(schema as avro.Schema) as unknown as AvroTypeLike;
}

/**
 * A chain of field accesses rooted at the `value` variable, outermost last: `value.a.b` → [{a}, {b}].
 * Returns undefined when the node is not such a chain.
 */
function accessChain(node: AstNode): Array<{ field: string; pos: number }> | undefined {
  if (node.op === "id") return node.args === "value" ? [] : undefined;
  if (node.op === "." || node.op === ".?" || node.op === "[]" || node.op === "[?]") {
    const [target, field] = node.args as [unknown, unknown];
    if (!isNode(target)) return undefined;
    const chain = accessChain(target);
    if (chain === undefined) return undefined;
    if (typeof field === "string") return [...chain, { field, pos: node.pos }];
    if (isNode(field) && field.op === "value" && typeof field.args === "string") {
      return [...chain, { field: field.args, pos: field.pos + 1 }];
    }
    return chain;
  }
  return undefined;
}

/** The record types a value of `type` may be (unions are looked through); empty when fields are unknowable. */
function recordBranches(type: AvroTypeLike): AvroTypeLike[] | undefined {
  if (type.typeName === "record" || type.typeName === "error") return [type];
  if (type.typeName.startsWith("union")) {
    const branches = (type.types ?? []).filter((t) => t.typeName !== "null");
    const nested = branches.map(recordBranches);
    if (nested.some((n) => n === undefined)) return undefined;
    return nested.flat() as AvroTypeLike[];
  }
  return undefined;
}

function checkChain(chain: Array<{ field: string; pos: number }>, root: AvroTypeLike, problems: FieldProblem[]): void {
  let current: AvroTypeLike[] = [root];
  const walked: string[] = ["value"];
  for (const step of chain) {
    const records = current.flatMap((t) => recordBranches(t) ?? []);
    if (records.length === 0 || current.some((t) => recordBranches(t) === undefined)) return;
    const next = records.flatMap((r) => (r.fields ?? []).filter((f) => f.name === step.field).map((f) => f.type));
    if (next.length === 0) {
      const known = [...new Set(records.flatMap((r) => (r.fields ?? []).map((f) => f.name)))];
      const hint = didYouMean(step.field, known);
      const schemaName = records[0]?.name ?? "input";
      problems.push({
        offset: step.pos,
        message: `${[...walked, step.field].join(".")} is not a field of the input schema ${schemaName}${hint}`,
      });
      return;
    }
    walked.push(step.field);
    current = next;
  }
}

/** Finds every `value.…` reference in `ast` the schema lacks. */
export function checkFieldReferences(ast: unknown, schema: unknown): FieldProblem[] {
  const root = toAvroType(schema);
  const problems: FieldProblem[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const child of node) visit(child);
      return;
    }
    if (!isNode(node)) return;
    const chain = accessChain(node);
    if (chain !== undefined && chain.length > 0) {
      checkChain(chain, root, problems);
      return;
    }
    visit(node.args);
  };
  visit(ast);
  return problems;
}
