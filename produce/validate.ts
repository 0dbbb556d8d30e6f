/**
 * Checks a value against an Avro schema and says, like a compiler, which field is wrong and why:
 * `field customer_tier: expected one of free|pro|business|enterprise, got "gold"`.
 */
import type { Type } from "avsc";

function expected(type: Type): string {
  const t = type as unknown as { typeName: string; symbols?: string[]; types?: Type[] };
  if (t.typeName === "enum") return `one of ${t.symbols?.join("|")}`;
  if (t.typeName === "union") return (t.types ?? []).map(expected).join(" or ");
  if (t.typeName.startsWith("logical:")) return t.typeName.slice("logical:".length);
  return t.typeName;
}

/** Returns the problems of `value` against `type` (empty when valid), each naming its field path. */
export function validationErrors(type: Type, value: unknown): string[] {
  const errors: string[] = [];
  type.isValid(value, {
    errorHook(path: string[], found: unknown, fieldType: Type) {
      const where = path.length > 0 ? `field ${path.join(".")}` : "record";
      const got = found === undefined ? "nothing (missing)" : JSON.stringify(found)?.slice(0, 60);
      errors.push(`${where}: expected ${expected(fieldType)}, got ${got}`);
    },
  });
  return errors;
}

/** Fills top-level fields the value lacks with their schema defaults (JSON exports often omit them). */
export function withDefaults(type: Type, value: Record<string, unknown>): Record<string, unknown> {
  const fields = (type as unknown as { fields?: { name: string; defaultValue(): unknown }[] }).fields ?? [];
  const filled = { ...value };
  for (const field of fields) {
    if (filled[field.name] !== undefined) continue;
    const fallback = field.defaultValue();
    if (fallback !== undefined) filled[field.name] = fallback;
  }
  return filled;
}
