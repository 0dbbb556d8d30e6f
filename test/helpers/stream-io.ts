/**
 * Kafka helpers for integration and e2e tests on the real broker, through sluice's Kafka port: create topics,
 * produce Avro records in the registry wire format, read a whole topic back, and read a group's committed offsets.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import type { KafkaClient, OutgoingMessage } from "../../core/kafka.ts";
import { REPO_ROOT } from "../../ops/repo-root.ts";
import { endpoints } from "../../stack/config.ts";
import { kafkaClientFor } from "../../topologies/runtime/kafka/kafkajs-client.ts";
import { readTopic as readUntil, type TopicMessage } from "./kafka.ts";

/** The Kafka port on the test run's broker. */
export const kafka = (): KafkaClient => kafkaClientFor({ clientId: "sluice-tests", brokers: endpoints().kafkaBrokers });

export async function createTopics(
  topics: { topic: string; partitions: number; configs?: Record<string, string> }[],
): Promise<void> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    await admin.createTopics(topics);
  } finally {
    await admin.disconnect();
  }
}

/** Sends `messages` to `topic` with an idempotent producer (acks all), in one request. */
export async function produceRaw(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
  const producer = kafka().producer();
  await producer.connect();
  try {
    await producer.send(topic, messages);
  } finally {
    await producer.disconnect();
  }
}

/** Registers an `.avsc` of schemas/ under a subject; returns its id. */
export async function registerSchema(file: string, subject: string): Promise<number> {
  const registry = new SchemaRegistry({ host: endpoints().schemaRegistryUrl });
  const schema = readFileSync(join(REPO_ROOT, "schemas", file), "utf8");
  const { id } = await registry.register({ type: SchemaType.AVRO, schema }, { subject });
  return id;
}

/** Produces values encoded with schema `id`, keyed, in chunks. Raw buffers are sent as they are. */
export async function produce(
  topic: string,
  schemaId: number,
  records: { key: string; value: unknown; headers?: Record<string, string> }[],
): Promise<void> {
  const registry = new SchemaRegistry({ host: endpoints().schemaRegistryUrl });
  const producer = kafka().producer();
  await producer.connect();
  try {
    for (let i = 0; i < records.length; i += 5000) {
      const chunk = records.slice(i, i + 5000);
      const messages = await Promise.all(
        chunk.map(async (r) => ({
          key: r.key,
          value: Buffer.isBuffer(r.value) ? r.value : await registry.encode(schemaId, r.value),
          ...(r.headers ? { headers: r.headers } : {}),
        })),
      );
      await producer.send(topic, messages);
    }
  } finally {
    await producer.disconnect();
  }
}

export type ReadMessage = TopicMessage;

/** Reads a topic from the beginning until `count` messages arrived or `timeoutMs` passed. */
export async function readTopic(
  topic: string,
  count: number,
  options: {
    timeoutMs?: number;
    isolation?: "read_committed" | "read_uncommitted";
    /** Count distinct values of this instead of messages (duplicates from at-least-once redo do not count). */
    distinct?: (message: ReadMessage) => string;
  } = {},
): Promise<ReadMessage[]> {
  const seen = new Set<string>();
  let counted = 0;
  return readUntil(
    kafka(),
    topic,
    (messages) => {
      // Called after each batch: look only at what arrived since the last call.
      for (const message of messages.slice(counted)) if (options.distinct) seen.add(options.distinct(message));
      counted = messages.length;
      return (options.distinct ? seen.size : messages.length) >= count;
    },
    {
      groupId: `reader-${topic}-${Date.now()}-${Math.random()}`,
      readUncommitted: options.isolation === "read_uncommitted",
      timeoutMs: options.timeoutMs ?? 60_000,
    },
  );
}

/** The group's committed offsets per partition (-1 when none). */
export async function committedOffsets(groupId: string, topic: string): Promise<Map<number, number>> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    // The group's coordinator may move or still be loading while members come and go: ask again a few times.
    for (let attempt = 1; ; attempt++) {
      try {
        const offsets = await admin.groupOffsets(groupId, [topic]);
        const prefix = `${topic}:`;
        return new Map(
          [...offsets].filter(([id]) => id.startsWith(prefix)).map(([id, o]) => [Number(id.slice(prefix.length)), o]),
        );
      } catch (error) {
        if (attempt >= 5 || !/coordinator/i.test(String(error))) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
  } finally {
    await admin.disconnect();
  }
}
