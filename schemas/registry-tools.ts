/**
 * `sluice schemas register|check`: register every `schemas/*.avsc`, and before a deploy test each against what the
 * registry holds, failing with the incompatible fields named. Apicurio's ccompat API answers only
 * `{is_compatible:false}` (it ignores `?verbose=true`), so the field-level reasons are computed here with avsc.
 *
 * Subjects: a file registers under its record's `namespace.name`, unless `subjects.json` beside it maps its file
 * name to one subject or a list (`{"enterprise-event.avsc": "enterprise-events-value"}`). The shipped
 * `schemas/subjects.json` maps the example topologies' topics by TopicNameStrategy (`<topic>-value`), the subject
 * the Avro serde registers and looks up by default, so `check` tests what the pipelines actually write.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import avsc, { type Schema, type Type, type types } from "avsc";
import { ConfigError } from "../core/errors.ts";
import { registryMessage, registryRequest, schemaText, subjectPath } from "./registry-http.ts";

export interface LocalSchema {
  file: string;
  subject: string;
  schema: Schema;
  type: Type;
}

export interface RegisteredSchema {
  file: string;
  subject: string;
  id: number;
}

export interface CompatibilityResult {
  file: string;
  subject: string;
  /** The subject's rule as the registry reports it (Apicurio: the global rule). */
  level: string;
  /** False when the subject has no version yet (then the schema is compatible by definition). */
  registered: boolean;
  compatible: boolean;
  /** Why not: one line per incompatible field, e.g. `EnterpriseEvent.priority: added without a default`. */
  reasons: string[];
}

export interface RegistryToolOptions {
  /** Milliseconds per registry call. @default 5000 */
  timeoutMs?: number;
}

/** The `.avsc` files of a folder, parsed, each with the subjects it registers under. */
export function readLocalSchemas(dir: string): LocalSchema[] {
  const mapFile = join(dir, "subjects.json");
  const map = existsSync(mapFile)
    ? (JSON.parse(readFileSync(mapFile, "utf8")) as Record<string, string | string[]>)
    : {};
  const files = readdirSync(dir)
    .filter((file) => file.endsWith(".avsc"))
    .sort();
  for (const mapped of Object.keys(map)) {
    if (!files.includes(mapped)) throw new ConfigError([{ file: mapFile, message: `names ${mapped}, not in ${dir}` }]);
  }
  return files.flatMap((file) => {
    let schema: Schema;
    let type: Type;
    try {
      schema = JSON.parse(readFileSync(join(dir, file), "utf8")) as Schema;
      type = avsc.Type.forSchema(schema);
    } catch (error) {
      throw new ConfigError([{ file: join(dir, file), message: (error as Error).message }]);
    }
    const mapped = map[file];
    const subjects = mapped === undefined ? [type.name] : Array.isArray(mapped) ? mapped : [mapped];
    return subjects.map((subject) => {
      if (!subject)
        throw new ConfigError([{ file: join(dir, file), message: "unnamed schema needs a subjects.json entry" }]);
      return { file, subject, schema, type };
    });
  });
}

/** Registers every local schema; an incompatible one fails with the registry's reason and the fields named. */
export async function registerSchemas(
  dir: string,
  registryUrl: string,
  options: RegistryToolOptions = {},
): Promise<RegisteredSchema[]> {
  const registered: RegisteredSchema[] = [];
  for (const local of readLocalSchemas(dir)) {
    const { status, body } = await registryRequest<{ id?: number }>(
      registryUrl,
      `${subjectPath(local.subject)}/versions`,
      { method: "POST", body: { schema: schemaText(local.schema) } },
      options,
    );
    if (status === 200 && typeof body?.id === "number") {
      registered.push({ file: local.file, subject: local.subject, id: body.id });
      continue;
    }
    let detail = "";
    if (status === 409) {
      const [result] = await checkSchemas([local], registryUrl, options);
      detail = result && result.reasons.length > 0 ? `\n  ${result.reasons.join("\n  ")}` : "";
    }
    throw new ConfigError([
      { file: join(dir, local.file), message: `registering under ${local.subject}: ${registryMessage(body)}${detail}` },
    ]);
  }
  return registered;
}

/** Tests every local schema against the subject's registered versions (per its rule) without registering. */
export function checkCompatibility(
  dir: string,
  registryUrl: string,
  options: RegistryToolOptions = {},
): Promise<CompatibilityResult[]> {
  return checkSchemas(readLocalSchemas(dir), registryUrl, options);
}

async function checkSchemas(locals: LocalSchema[], url: string, options: RegistryToolOptions) {
  const results: CompatibilityResult[] = [];
  for (const local of locals) {
    const subject = subjectPath(local.subject);
    const config = await registryRequest<{ compatibilityLevel?: string }>(
      url,
      `/config/${encodeURIComponent(local.subject)}`,
      {},
      options,
    );
    const level = (config.status === 200 && config.body?.compatibilityLevel) || "BACKWARD";
    const versions = await registryRequest<number[]>(url, `${subject}/versions`, {}, options);
    if (versions.status === 404 || !Array.isArray(versions.body) || versions.body.length === 0) {
      results.push({
        file: local.file,
        subject: local.subject,
        level,
        registered: false,
        compatible: true,
        reasons: [],
      });
      continue;
    }
    const verdict = await registryRequest<{ is_compatible?: boolean }>(
      url,
      `/compatibility${subject}/versions/latest?verbose=true`,
      { method: "POST", body: { schema: schemaText(local.schema) } },
      options,
    );
    if (verdict.status !== 200 || typeof verdict.body?.is_compatible !== "boolean") {
      throw new ConfigError(`checking ${local.subject}: ${verdict.status} ${registryMessage(verdict.body)}`);
    }
    const compatible = verdict.body.is_compatible;
    let reasons: string[] = [];
    if (!compatible) {
      const against = level.endsWith("_TRANSITIVE") ? versions.body : [versions.body[versions.body.length - 1]!];
      for (const version of against) {
        const old = await registryRequest<{ schema?: string }>(url, `${subject}/versions/${version}`, {}, options);
        const oldType = avsc.Type.forSchema(JSON.parse(old.body.schema ?? "null") as Schema);
        reasons.push(...levelReasons(level, local.type, oldType).map((reason) => `v${version}: ${reason}`));
      }
      if (reasons.length === 0) reasons = [`the registry reports it incompatible under ${level}; avsc found no field`];
    }
    results.push({ file: local.file, subject: local.subject, level, registered: true, compatible, reasons });
  }
  return results;
}

/** BACKWARD: the new schema reads old data; FORWARD: old readers read new data; FULL: both. */
function levelReasons(level: string, next: Type, old: Type): string[] {
  const reasons: string[] = [];
  if (level.startsWith("BACKWARD") || level.startsWith("FULL")) {
    reasons.push(...readIssues(next, old, next.name ?? "").map((r) => `new schema cannot read old data: ${r}`));
  }
  if (level.startsWith("FORWARD") || level.startsWith("FULL")) {
    reasons.push(...readIssues(old, next, old.name ?? "").map((r) => `old readers cannot read new data: ${r}`));
  }
  return reasons;
}

/** Why `reader` cannot read what `writer` wrote, field by field, descending into records. */
export function readIssues(reader: Type, writer: Type, path: string): string[] {
  if (reader.typeName === "record" && writer.typeName === "record") {
    const writerFields = (writer as types.RecordType).fields;
    return (reader as types.RecordType).fields.flatMap((field) => {
      const names = [field.name, ...(field.aliases ?? [])];
      const source = writerFields.find((candidate) => names.includes(candidate.name));
      const at = `${path}.${field.name}`;
      if (!source)
        return field.defaultValue() === undefined ? [`${at}: has no default and the writer schema lacks it`] : [];
      return readIssues(field.type, source.type, at);
    });
  }
  try {
    reader.createResolver(writer);
    return [];
  } catch {
    return [`${path}: ${describe(writer)} cannot be read as ${describe(reader)}`];
  }
}

function describe(type: Type): string {
  return type.name ?? JSON.stringify(type.schema());
}
