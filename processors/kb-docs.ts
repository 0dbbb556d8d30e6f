/**
 * Reads knowledge-base documents from a JSON Lines file: one object per line with at least `doc_id` and the
 * text field; other scalar fields become table columns. Bad lines are a `ConfigError` naming file and line.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { ConfigError } from "../core/errors.ts";

export type KbDoc = Record<string, string | number | boolean | null>;

/** Parses `file`; each document must have a non-empty string `doc_id` and `textField`. */
export async function readDocsJsonl(file: string, textField = "text"): Promise<KbDoc[]> {
  const docs: KbDoc[] = [];
  let line = 0;
  try {
    for await (const text of createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY })) {
      line++;
      if (text.trim() === "") continue;
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch (error) {
        throw new ConfigError([{ file, line, message: `not JSON: ${(error as Error).message}` }]);
      }
      docs.push(validateDoc(doc, textField, { file, line }));
    }
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`knowledge-base documents ${file}: ${(error as Error).message}`, { cause: error });
  }
  return docs;
}

/** Checks one document; `where` locates it in error messages. */
export function validateDoc(doc: unknown, textField: string, where: { file?: string; line?: number } = {}): KbDoc {
  const fail = (message: string) => new ConfigError([{ ...where, message }]);
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) throw fail("a document must be a JSON object");
  const d = doc as Record<string, unknown>;
  if (typeof d.doc_id !== "string" || d.doc_id === "") throw fail("doc_id must be a non-empty string");
  if (typeof d[textField] !== "string" || (d[textField] as string).trim() === "") {
    throw fail(`${textField} must be a non-empty string`);
  }
  const out: KbDoc = {};
  for (const [k, v] of Object.entries(d)) {
    if (k === "vector") continue;
    if (v === null || ["string", "number", "boolean"].includes(typeof v)) out[k] = v as KbDoc[string];
  }
  return out;
}
