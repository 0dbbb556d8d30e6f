/**
 * Where `sluice produce` gets records: JSONL or CSV from a file or stdin (CSV columns converted by the Avro
 * schema's field types), or synthetic reference events. Each yields `{ line, value }` or `{ line, error }`, so a
 * bad line is named and never stops the reader by itself.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { Type } from "avsc";
import { generateEvents } from "../models/synthetic.ts";

export type InputRecord =
  | { line: number; value: Record<string, unknown>; raw: string }
  | { line: number; error: string; raw: string };

export type InputFormat = "jsonl" | "csv";

function lines(file: string) {
  const input = file === "-" ? process.stdin : createReadStream(file, { encoding: "utf8" });
  return createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
}

export async function* readJsonl(file: string): AsyncGenerator<InputRecord> {
  let line = 0;
  for await (const text of lines(file)) {
    line++;
    if (text.trim() === "") continue;
    try {
      const value = JSON.parse(text) as unknown;
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        yield { line, raw: text, error: "expected a JSON object" };
      } else yield { line, raw: text, value: value as Record<string, unknown> };
    } catch (error) {
      yield { line, raw: text, error: `not JSON: ${(error as Error).message}` };
    }
  }
}

/** Splits one CSV line (RFC 4180 quoting). */
export function splitCsv(text: string): string[] {
  const cells: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      cells.push(cell);
      cell = "";
    } else cell += c;
  }
  cells.push(cell);
  return cells;
}

/** Converts a CSV cell to what the Avro field type expects: numbers, booleans, null for empty optional cells. */
function convert(cell: string, fieldType: Type): unknown {
  const name = fieldType.typeName;
  if (name === "union") {
    const branches = (fieldType as unknown as { types: Type[] }).types;
    if (cell === "" && branches.some((b) => b.typeName === "null")) return null;
    const inner = branches.find((b) => b.typeName !== "null");
    return inner ? convert(cell, inner) : cell;
  }
  if (["int", "long", "float", "double"].includes(name) || name === "logical:timestamp-millis") {
    return cell.trim() === "" ? cell : Number(cell);
  }
  if (name === "boolean") return cell === "true" ? true : cell === "false" ? false : cell;
  if (name === "array" || name === "map" || name === "record") {
    try {
      return JSON.parse(cell);
    } catch {
      return cell;
    }
  }
  return cell;
}

export async function* readCsv(file: string, schema: Type): AsyncGenerator<InputRecord> {
  const fields = (schema as unknown as { fields: { name: string; type: Type; defaultValue(): unknown }[] }).fields;
  let header: string[] | undefined;
  let line = 0;
  for await (const text of lines(file)) {
    line++;
    if (text.trim() === "") continue;
    if (!header) {
      header = splitCsv(text).map((h) => h.trim());
      const missing = fields.filter((f) => !header?.includes(f.name) && f.defaultValue() === undefined);
      if (missing.length > 0) {
        yield {
          line,
          raw: text,
          error: `missing column${missing.length > 1 ? "s" : ""} ${missing.map((f) => f.name).join(", ")}`,
        };
        return;
      }
      continue;
    }
    const cells = splitCsv(text);
    if (cells.length !== header.length) {
      yield { line, raw: text, error: `expected ${header.length} columns, got ${cells.length}` };
      continue;
    }
    const value: Record<string, unknown> = {};
    for (const field of fields) {
      const index = header.indexOf(field.name);
      if (index === -1) value[field.name] = field.defaultValue();
      else value[field.name] = convert(cells[index] as string, field.type);
    }
    yield { line, raw: text, value };
  }
}

/** Synthetic reference events (skewed tenants and categories, realistic text), numbered as lines. */
export async function* generate(count: number, seed: number): AsyncGenerator<InputRecord> {
  const chunk = 5000;
  for (let start = 0; start < count; start += chunk) {
    const events = generateEvents(Math.min(chunk, count - start), seed + start);
    for (const [i, event] of events.entries()) {
      const value = { ...event, event_id: `evt-${seed}-${start + i}`, event_time: Date.now() };
      yield { line: start + i + 1, raw: "", value: value as unknown as Record<string, unknown> };
    }
  }
}
