/**
 * `sluice produce`: sends records from a source system's export (JSONL, CSV, stdin) or synthetic reference events
 * to a topic, each validated against the Avro schema and encoded in the registry wire format, in batches, at an
 * optional rate, with progress and a summary. Invalid records fail the run, are skipped, or go to a dead-letter
 * topic — never silently.
 */
import { readFileSync } from "node:fs";
import avsc, { type Type } from "avsc";
import { ConfigError } from "../core/errors.ts";
import type { KafkaClient, OutgoingMessage } from "../core/kafka.ts";
import { AvroSerde } from "../schemas/avro-serde.ts";
import { type InputRecord, readCsv, readJsonl } from "./readers.ts";
import { validationErrors, withDefaults } from "./validate.ts";

export type OnInvalid = "fail" | "skip" | "dlq";

export interface ProduceOptions {
  /** The Kafka port (its producer is idempotent, acks=all). */
  kafka: KafkaClient;
  registryUrl: string;
  topic: string;
  /** Path of the `.avsc` the records must match. */
  schemaFile: string;
  /** @default `<topic>-value` */
  subject?: string;
  /** Field whose text becomes the record key. @default no key */
  keyField?: string;
  /** @default "fail" */
  onInvalid?: OnInvalid;
  /** @default `<topic>.invalid` */
  dlqTopic?: string;
  /** Records per producer request. @default 500 */
  batchSize?: number;
  /** Records per second at most. @default unlimited */
  rate?: number;
  /** Called after each batch with the counts so far. */
  onProgress?(progress: ProduceSummary): void;
}

export interface ProduceSummary {
  sent: number;
  invalid: number;
  deadLettered: number;
  seconds: number;
  /** First problems found (line: reason), at most 20. */
  problems: string[];
}

export function loadSchema(file: string): Type {
  try {
    return avsc.Type.forSchema(JSON.parse(readFileSync(file, "utf8")));
  } catch (error) {
    throw new ConfigError([{ file, message: `not a valid Avro schema: ${(error as Error).message}` }]);
  }
}

/** Reads `file` fully and reports every invalid line, before anything is sent (`--on-invalid fail`). */
export async function preflight(records: AsyncIterable<InputRecord>, type: Type): Promise<string[]> {
  const problems: string[] = [];
  for await (const record of records) {
    const errors = "error" in record ? [record.error] : validationErrors(type, withDefaults(type, record.value));
    for (const error of errors) problems.push(`line ${record.line}: ${error}`);
  }
  return problems;
}

export function reader(file: string, format: "jsonl" | "csv", type: Type): AsyncGenerator<InputRecord> {
  return format === "csv" ? readCsv(file, type) : readJsonl(file);
}

export async function produce(records: AsyncIterable<InputRecord>, options: ProduceOptions): Promise<ProduceSummary> {
  const started = performance.now();
  const type = loadSchema(options.schemaFile);
  const admin = options.kafka.admin();
  await admin.connect();
  const topics = await admin.listTopics().finally(() => admin.disconnect());
  const onInvalid = options.onInvalid ?? "fail";
  const dlqTopic = options.dlqTopic ?? `${options.topic}.invalid`;
  for (const needed of onInvalid === "dlq" ? [options.topic, dlqTopic] : [options.topic]) {
    if (!topics.includes(needed)) throw new ConfigError(`topic ${needed} does not exist (create it first)`);
  }
  const serde = new AvroSerde({
    registryUrl: options.registryUrl,
    schema: JSON.parse(readFileSync(options.schemaFile, "utf8")),
    ...(options.subject ? { subject: options.subject } : {}),
  });
  const producer = options.kafka.producer();
  await producer.connect();
  const summary: ProduceSummary = { sent: 0, invalid: 0, deadLettered: 0, seconds: 0, problems: [] };
  const batchSize = options.batchSize ?? 500;
  let batch: OutgoingMessage[] = [];
  let letters: OutgoingMessage[] = [];
  const flush = async () => {
    if (batch.length > 0) await producer.send(options.topic, batch);
    if (letters.length > 0) await producer.send(dlqTopic, letters);
    summary.sent += batch.length;
    summary.deadLettered += letters.length;
    batch = [];
    letters = [];
    summary.seconds = (performance.now() - started) / 1000;
    if (options.rate) {
      const due = ((summary.sent + summary.invalid) / options.rate) * 1000 - (performance.now() - started);
      if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
    }
    options.onProgress?.({ ...summary });
  };
  try {
    for await (const record of records) {
      const errors = "error" in record ? [record.error] : validationErrors(type, withDefaults(type, record.value));
      if (errors.length > 0) {
        summary.invalid++;
        const reason = `line ${record.line}: ${errors.join("; ")}`;
        if (summary.problems.length < 20) summary.problems.push(reason);
        if (onInvalid === "fail") {
          await flush();
          throw new ConfigError(`${reason} (${summary.sent} records were sent before it; nothing after it)`);
        }
        if (onInvalid === "dlq") {
          letters.push({
            key: null,
            value: record.raw,
            headers: { "sluice-invalid-reason": reason, "sluice-invalid-line": String(record.line) },
          });
        }
        continue;
      }
      if ("error" in record) continue;
      const value = withDefaults(type, record.value);
      const key = options.keyField === undefined ? null : String(value[options.keyField] ?? "");
      batch.push({ key, value: await serde.serialize(options.topic, value) });
      const pace = options.rate ? Math.max(1, Math.min(batchSize, Math.ceil(options.rate / 10))) : batchSize;
      if (batch.length + letters.length >= pace) await flush();
    }
    await flush();
  } finally {
    await producer.disconnect();
  }
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}
