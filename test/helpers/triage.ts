/**
 * The reference topology (support-triage) under a test's own application id, topics and knowledge base in a temp
 * folder, with helpers to send generated events and read the decisions back from the decisions topic (Avro).
 * Used by the replay tests on the real stack.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import avsc from "avsc";
import { expect } from "vitest";
import { REPO_ROOT } from "../../ops/repo-root.ts";
import { buildKnowledgeBase } from "../../processors/knowledge-base.ts";
import { produce } from "../../produce/produce.ts";
import { generate, type InputRecord } from "../../produce/readers.ts";
import { endpoints } from "../../stack/config.ts";
import { kafkaClientFor } from "../../topologies/runtime/kafka/kafkajs-client.ts";
import { createTopics, readTopic } from "./stream-io.ts";

export const ENCODER = join(REPO_ROOT, "models/encoder");
const decisionType = avsc.Type.forSchema(
  JSON.parse(readFileSync(join(REPO_ROOT, "schemas/agent-decision.avsc"), "utf8")),
);

export interface Triage {
  app: string;
  topics: { events: string; decisions: string };
  kbDb: string;
  file: string;
}

/** Builds the KB (v1), creates the topics and writes the topology copy; `edits` change its text. */
export async function setUpTriage(app: string, dir: string, edits: [string, string][] = []): Promise<Triage> {
  const kbDb = join(dir, "lancedb");
  const topics = { events: `${app}-events`, decisions: `${app}-decisions` };
  await buildKnowledgeBase(join(REPO_ROOT, "models/kb/docs.jsonl"), {
    db: kbDb,
    table: "support_kb",
    encoder: ENCODER,
  });
  await createTopics([
    { topic: topics.events, partitions: 3 },
    { topic: topics.decisions, partitions: 3 },
    { topic: `${app}.dlq`, partitions: 1 },
  ]);
  let text = readFileSync(join(REPO_ROOT, "topologies/examples/support-triage.yaml"), "utf8");
  text = text.replaceAll("../../", `${REPO_ROOT}/`);
  text = text.replace("applicationId: support-triage", `applicationId: ${app}`);
  text = text.replace("topic: enterprise-events", `topic: ${topics.events}`);
  text = text.replace("topic: agent-decisions", `topic: ${topics.decisions}`);
  for (const [from, to] of edits) {
    expect(text).toContain(from);
    text = text.replace(from, to);
  }
  const file = join(dir, `${app}.yaml`);
  writeFileSync(file, text);
  return { app, topics, kbDb, file };
}

export async function events(count: number, seed: number): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const r of generate(count, seed)) if ("value" in r) out.push(r.value);
  return out;
}

export async function send(t: Triage, values: readonly Record<string, unknown>[]): Promise<void> {
  async function* records(): AsyncGenerator<InputRecord> {
    for (const [i, value] of values.entries()) yield { line: i + 1, raw: "", value };
  }
  const services = endpoints();
  const summary = await produce(records(), {
    kafka: kafkaClientFor({ brokers: services.kafkaBrokers }),
    registryUrl: services.schemaRegistryUrl,
    topic: t.topics.events,
    schemaFile: join(REPO_ROOT, "schemas/enterprise-event.avsc"),
    keyField: "tenant_id",
  });
  expect(summary.sent).toBe(values.length);
}

export type Decision = Record<string, unknown>;
const decode = (value: unknown) => decisionType.fromBuffer((value as Buffer).subarray(5)) as Decision;

/** The decisions topic from the start until `count` distinct decision ids (a redelivery counts once), deduplicated. */
export async function decisions(t: Triage, count: number, timeoutMs = 120_000): Promise<Decision[]> {
  const out = await readTopic(t.topics.decisions, count, {
    timeoutMs,
    distinct: (m) => String(decode(m.value).decision_id),
  });
  return [...new Map(out.map((m) => decode(m.value)).map((d) => [String(d.decision_id), d])).values()];
}

/** A decision's lineage key. */
export const lineageKey = (d: Decision) => `${d.source_topic}/${d.source_partition}@${d.source_offset}`;
