/**
 * What the test driver does in place of serdes: decodes piped bytes for json/string sources, checks values
 * against a source's or Kafka sink's Avro schema (bad data is dead-lettered as a real serde would), applies a
 * sink's `keyField`, and shapes dead letters as records for a dead-letter sink.
 */
import type avro from "avsc";
import { PoisonRecordError } from "../core/errors.ts";
import type { StreamRecord } from "../processors/api.ts";
import type { CompiledNode } from "./compiler.ts";
import type { RejectedRecord } from "./executor.ts";
import type { SourceSpec } from "./spec.ts";

/** Why `value` does not fit `type`, or undefined when it does. */
export function schemaMismatch(type: avro.Type, value: unknown): string | undefined {
  const problems: string[] = [];
  const valid = type.isValid(value, {
    errorHook: (path: string[], got: unknown) => {
      problems.push(`${path.join(".") || "value"} = ${JSON.stringify(got) ?? "undefined"}`);
    },
  });
  return valid ? undefined : `does not match schema ${type.name ?? type.typeName}: ${problems.join(", ")}`;
}

/** Decodes bytes per the source's value format and checks the value against its Avro schema. */
export function decodeTestValue(record: StreamRecord, source: SourceSpec, schema?: avro.Type): StreamRecord {
  let value = record.value;
  const where = `decoding ${record.source.topic}/${record.source.partition}@${record.source.offset}`;
  if (Buffer.isBuffer(value)) {
    if (source.value.format === "string") value = value.toString("utf8");
    else if (source.value.format === "json") {
      try {
        value = JSON.parse(value.toString("utf8"));
      } catch (error) {
        throw new PoisonRecordError(`${where}: invalid JSON: ${(error as Error).message}`, { cause: error });
      }
    } else {
      throw new Error(`pipe decoded values (objects) into Avro source ${source.name}, not bytes`);
    }
  }
  const key = Buffer.isBuffer(record.key) && source.key.format === "string" ? record.key.toString("utf8") : record.key;
  if (schema !== undefined) {
    const mismatch = schemaMismatch(schema, value);
    if (mismatch !== undefined) throw new PoisonRecordError(`${where}: value ${mismatch}`);
  }
  return record.withValue(value).withKey(key);
}

/** The record a sink would write: Kafka sinks check the value schema and apply `keyField`. */
export function sinkRecord(record: StreamRecord, node: CompiledNode): StreamRecord {
  if (node.kind !== "sink" || node.spec.type !== "kafka") return record;
  if (node.valueSchema !== undefined) {
    const mismatch = schemaMismatch(node.valueSchema, record.value);
    if (mismatch !== undefined) throw new PoisonRecordError(`encoding for ${node.spec.kafka.topic}: value ${mismatch}`);
  }
  const keyField = node.spec.kafka.keyField;
  if (keyField === undefined) return record;
  const field = (record.value as Record<string, unknown> | null)?.[keyField];
  if (field === undefined || field === null) {
    throw new PoisonRecordError(`encoding for ${node.spec.kafka.topic}: key field ${keyField} is missing`);
  }
  return record.withKey(String(field));
}

/** A dead letter as the dead-letter sink writes it: the record with its reason in headers. */
export function deadLetterRecord(letter: RejectedRecord): StreamRecord {
  return letter.record.withHeaders({
    ...letter.record.headers,
    "sluice.dlq.reason": letter.reason,
    "sluice.dlq.error": letter.errorClass,
    "sluice.dlq.processor": letter.processor,
    "sluice.dlq.source": `${letter.record.source.topic}/${letter.record.source.partition}@${letter.record.source.offset}`,
  });
}
