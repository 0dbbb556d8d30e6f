/**
 * What the reference-topology benchmarks share: synthetic EnterpriseEvents in the wire format (internal `test-`
 * tenants left out, so each input makes exactly one decision), a LanceDB knowledge base built from models/kb,
 * and support-triage.yaml rewritten to read and write benchmark topics and a ClickHouse database of its own.
 */
import { readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import avsc from "avsc";
import YAML from "yaml";
import { generateEvents } from "../../../models/synthetic.ts";
import { buildKnowledgeBase } from "../../../processors/knowledge-base.ts";
import { endpoints } from "../../../stack/config.ts";
import { REPO_ROOT } from "../../repo-root.ts";
import type { Payload } from "./latency.ts";
import { benchClient, recreateTopics, topicEnd } from "./topics.ts";

export const EVENT_SCHEMA_FILE = join(REPO_ROOT, "schemas/enterprise-event.avsc");
export const TRIAGE_FILE = join(REPO_ROOT, "topologies/examples/support-triage.yaml");
export const KB_TABLE = "support_kb";

/** Registers the event schema under `<topic>-value`; returns its id. */
export async function registerEvents(topic: string): Promise<number> {
  const registry = new SchemaRegistry({ host: endpoints().schemaRegistryUrl });
  const schema = readFileSync(EVENT_SCHEMA_FILE, "utf8");
  return (await registry.register({ type: SchemaType.AVRO, schema }, { subject: `${topic}-value` })).id;
}

/** `count` customer events (seeded) in the wire format under schema `id`, keyed by tenant. */
export function eventPayloads(id: number, count: number, seed = 4242): Payload[] {
  const type = avsc.Type.forSchema(JSON.parse(readFileSync(EVENT_SCHEMA_FILE, "utf8")));
  const header = Buffer.alloc(5);
  header.writeInt32BE(id, 1);
  const payloads: Payload[] = [];
  for (let start = 0; payloads.length < count; start += 5000) {
    for (const event of generateEvents(5000, seed + start)) {
      if (event.tenant_id.startsWith("test-") || event.text.trim() === "") continue;
      const value = { ...event, event_id: `evt-${seed}-${start}-${payloads.length}`, event_time: Date.now() };
      payloads.push({ key: event.tenant_id, value: Buffer.concat([header, type.toBuffer(value)]) });
      if (payloads.length === count) break;
    }
  }
  return payloads;
}

/** Makes `topic` hold exactly `count` events on 6 partitions (kept and reused by name). Returns the schema id. */
export async function ensureEvents(topic: string, count: number): Promise<number> {
  const id = await registerEvents(topic);
  if ((await topicEnd(topic)) === count) return id;
  await recreateTopics([{ topic, partitions: 6 }]);
  // Uncompressed, as before (kafkajs's CompressionTypes.None, its default); acks all now, the port's only mode.
  const producer = benchClient().producer();
  await producer.connect();
  const payloads = eventPayloads(id, count);
  for (let i = 0; i < payloads.length; i += 5000) {
    await producer.send(topic, payloads.slice(i, i + 5000));
  }
  await producer.disconnect();
  return id;
}

/** Builds the knowledge base from models/kb into a temp LanceDB folder; returns the folder. */
export async function knowledgeBase(): Promise<string> {
  const db = await mkdtemp(join(tmpdir(), "sluice-bench-kb-"));
  await buildKnowledgeBase(join(REPO_ROOT, "models/kb/docs.jsonl"), {
    db,
    table: KB_TABLE,
    encoder: join(REPO_ROOT, "models/encoder"),
  });
  return db;
}

/**
 * support-triage.yaml with paths made absolute, reading `input`, deciding into `output` and into the tables of
 * ClickHouse database `database` (migrated by the caller).
 */
export function triageYaml(app: string, input: string, output: string, database: string): string {
  const text = readFileSync(TRIAGE_FILE, "utf8").replaceAll("../../", `${REPO_ROOT}/`);
  const spec = YAML.parse(text) as {
    applicationId: string;
    sources: { topic: string }[];
    sinks: { type: string; kafka?: { topic: string } }[];
    clickhouse: { database?: string };
  };
  spec.applicationId = app;
  for (const source of spec.sources) source.topic = input;
  spec.clickhouse.database = database;
  for (const sink of spec.sinks) if (sink.kafka) sink.kafka.topic = output;
  return YAML.stringify(spec);
}
