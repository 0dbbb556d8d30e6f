/**
 * Kafka helpers for integration and e2e tests on the real broker: create topics, produce Avro records in the
 * registry wire format, read a whole topic back, and read a group's committed offsets.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { Kafka, type KafkaMessage, logLevel } from "kafkajs";
import { REPO_ROOT } from "../../ops/repo-root.ts";
import { endpoints } from "../../stack/config.ts";

export const kafka = () =>
  new Kafka({ clientId: "sluice-tests", brokers: endpoints().kafkaBrokers, logLevel: logLevel.NOTHING });

export async function createTopics(topics: { topic: string; partitions: number }[]): Promise<void> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: topics.map((t) => ({ topic: t.topic, numPartitions: t.partitions })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
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
  const producer = kafka().producer({ idempotent: true });
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
      await producer.send({ topic, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
}

export type ReadMessage = KafkaMessage & { partition: number };

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
  const consumer = kafka().consumer({
    groupId: `reader-${topic}-${Date.now()}-${Math.random()}`,
    readUncommitted: options.isolation === "read_uncommitted",
  });
  const messages: ReadMessage[] = [];
  const seen = new Set<string>();
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, options.timeoutMs ?? 60_000);
    void consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const message = { ...m, partition: batch.partition };
          messages.push(message);
          if (options.distinct) seen.add(options.distinct(message));
        }
        if ((options.distinct ? seen.size : messages.length) >= count) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return messages;
}

/** The group's committed offsets per partition (-1 when none). */
export async function committedOffsets(groupId: string, topic: string): Promise<Map<number, number>> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    // The group's coordinator may move or still be loading while members come and go: ask again a few times.
    for (let attempt = 1; ; attempt++) {
      try {
        const [result] = await admin.fetchOffsets({ groupId, topics: [topic] });
        return new Map((result?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
      } catch (error) {
        if (attempt >= 5 || !/coordinator/i.test(String(error))) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
  } finally {
    await admin.disconnect();
  }
}
