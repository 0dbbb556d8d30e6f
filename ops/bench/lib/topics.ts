/**
 * Benchmark data on the real broker: an input topic pre-produced once with N Avro records of about 300 bytes
 * (reused when it already holds them), and topic offsets for progress. Through sluice's Kafka port (the kafkajs
 * adapter behind it), as any code outside the adapter.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import avsc from "avsc";
import { TransientError } from "../../../core/errors.ts";
import type { ConsumedMessage, KafkaClient, KafkaConnection } from "../../../core/kafka.ts";
import { endpoints } from "../../../stack/config.ts";
import { type KafkajsChangelogIo, kafkajsChangelogIo } from "../../../topologies/runtime/kafka/kafkajs-changelog.ts";
import { kafkaClientFor } from "../../../topologies/runtime/kafka/kafkajs-client.ts";
import { REPO_ROOT } from "../../repo-root.ts";

export const ORDER_SCHEMA_FILE = join(REPO_ROOT, "schemas/example-order.avsc");

/** The bench's connection: quiet, with kafkajs's default retries (5 from 300 ms), as its kafkajs client had. */
function benchConnection(): KafkaConnection {
  return {
    clientId: "sluice-bench",
    brokers: endpoints().kafkaBrokers,
    retry: { retries: 5, initialRetryTimeMs: 300, maxRetryTimeMs: 30_000 },
  };
}

/** The Kafka port on the bench's broker. */
export function benchClient(): KafkaClient {
  return kafkaClientFor(benchConnection());
}

/**
 * The changelog admin and partition reader a running topology restores its stores with (the adapter's, as the
 * runtime's state supplier builds them), on the bench's broker; `groupPrefix` names its throwaway groups.
 */
export function benchChangelogIo(groupPrefix: string): Promise<KafkajsChangelogIo> {
  return kafkajsChangelogIo(kafkaClientFor(benchConnection()).kafka, groupPrefix);
}

/**
 * Reads all of `topic` as of now from its start through the port's group consumer (group `groupId`, never
 * committed), handing over each record; rejects after `timeoutMs`.
 */
export async function readWholeTopic(
  topic: string,
  groupId: string,
  timeoutMs: number,
  onMessage: (message: ConsumedMessage) => void,
): Promise<void> {
  const client = benchClient();
  const admin = client.admin();
  await admin.connect();
  const highs = new Map((await admin.topicOffsets(topic)).map((p) => [p.partition, p.high]));
  await admin.disconnect();
  const remaining = new Set([...highs].filter(([, high]) => high > 0).map(([p]) => p));
  // kafkajs's consumer defaults, with short fetch waits, as the bench's readers had.
  const consumer = client.consumer({
    groupId,
    sessionTimeoutMs: 30_000,
    heartbeatIntervalMs: 3000,
    fetch: { minBytes: 1, maxWaitTimeInMs: 200, maxBytesPerPartition: 1 << 20 },
    restartOnFailure: () => true,
  });
  await consumer.connect();
  try {
    await consumer.subscribe([topic], true);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`reading ${topic} timed out`)), timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      if (remaining.size === 0) done();
      consumer
        .run({
          eachBatch: async (batch, control) => {
            for (const m of batch.messages) onMessage(m);
            control.resolveOffset(batch.lastOffset);
            if (batch.lastOffset + 1 >= (highs.get(batch.partition) ?? 0)) remaining.delete(batch.partition);
            if (remaining.size === 0) done();
          },
          assigned: () => {},
          rebalancing: () => {},
          crashed: (error, restarting) => {
            if (!restarting) {
              clearTimeout(timer);
              reject(error);
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
}

/** Sum of the high watermarks of a topic's partitions (0 when it does not exist). */
export async function topicEnd(topic: string): Promise<number> {
  const admin = benchClient().admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) return 0;
    return (await admin.topicOffsets(topic)).reduce((sum, p) => sum + p.high, 0);
  } finally {
    await admin.disconnect();
  }
}

export async function recreateTopics(topics: { topic: string; partitions: number }[]): Promise<void> {
  const admin = benchClient().admin();
  await admin.connect();
  try {
    const existing = await admin.listTopics();
    const old = topics.map((t) => t.topic).filter((t) => existing.includes(t));
    if (old.length > 0) {
      await admin.deleteTopics(old);
      await new Promise((resolve) => setTimeout(resolve, 1500));
    }
    await admin.createTopics(topics);
  } finally {
    await admin.disconnect();
  }
}

/** Order records `from`..`to` (exclusive) in the registry wire format under schema `id`, keyed by customer. */
export function orderPayloads(id: number, from: number, to: number): { key: string; value: Buffer }[] {
  const type = avsc.Type.forSchema(JSON.parse(readFileSync(ORDER_SCHEMA_FILE, "utf8")));
  const header = Buffer.alloc(5);
  header.writeInt32BE(id, 1);
  const note = "customer asked to expedite delivery; gift wrap; leave at the reception desk if nobody answers ".repeat(
    2,
  );
  const payloads = [];
  for (let i = from; i < to; i++) {
    const value = {
      order_id: `order-${i}`,
      customer_id: `customer-${i % 5000}`,
      status: "paid",
      amount: i % 1000,
      currency: "EUR",
      items: 1 + (i % 5),
      note,
    };
    payloads.push({ key: value.customer_id, value: Buffer.concat([header, type.toBuffer(value)]) });
  }
  return payloads;
}

/**
 * Makes `topic` hold exactly `count` order records of ~300 B on `partitions` partitions, registered under
 * `<topic>-value`. Produced once: a topic already holding `count` is reused. Returns the schema id.
 */
export async function ensureInput(topic: string, count: number, partitions = 6): Promise<number> {
  const registry = new SchemaRegistry({ host: endpoints().schemaRegistryUrl });
  const schema = readFileSync(ORDER_SCHEMA_FILE, "utf8");
  const { id } = await registry.register({ type: SchemaType.AVRO, schema }, { subject: `${topic}-value` });
  if ((await topicEnd(topic)) === count) return id;
  await recreateTopics([{ topic, partitions }]);
  // Uncompressed, as before (kafkajs's CompressionTypes.None, its default); acks all now, the port's only mode.
  const producer = benchClient().producer();
  await producer.connect();
  const chunk = 10_000;
  const inFlight: Promise<unknown>[] = [];
  for (let start = 0; start < count; start += chunk) {
    const messages = orderPayloads(id, start, Math.min(count, start + chunk));
    inFlight.push(producer.send(topic, messages));
    if (inFlight.length >= 4) await inFlight.shift();
  }
  await Promise.all(inFlight);
  await producer.disconnect();
  return id;
}

/** Creates a fresh topic (deleting an old one of that name) with topic-level configs, e.g. LogAppendTime. */
export async function createTopic(topic: string, partitions: number, configs: Record<string, string> = {}) {
  await deleteTopics([topic]);
  const admin = benchClient().admin();
  await admin.connect();
  try {
    // On a loaded broker the leader check can run out of retries: look again a few times before giving up.
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.createTopics([{ topic, partitions, configs }]); // leaves an existing topic as it is
        await admin.topicOffsets(topic); // its partitions have leaders
        return;
      } catch (error) {
        if (attempt >= 4 || !(error instanceof TransientError)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
      }
    }
  } finally {
    await admin.disconnect();
  }
}

/** Deletes the topics that exist and their `<topic>-value` registry subjects (benchmark clean-up). */
export async function deleteTopics(topics: string[]): Promise<void> {
  const admin = benchClient().admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const old = topics.filter((t) => existing.has(t));
    if (old.length > 0) {
      await admin.deleteTopics(old);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  } finally {
    await admin.disconnect();
  }
  const registry = endpoints().schemaRegistryUrl;
  for (const topic of topics) {
    await fetch(`${registry}/subjects/${encodeURIComponent(`${topic}-value`)}`, { method: "DELETE" }).catch(() => {});
  }
}

/** Output topics stamped by the broker: record timestamp = log-append time. */
export const LOG_APPEND_TIME = { "message.timestamp.type": "LogAppendTime" };

/** Consumer groups the bench runs leave behind (sluice, Kafka Streams, readers, perf tools), by id prefix. */
export const BENCH_GROUP_PREFIXES = [
  "bench-pt-sluice-",
  "bench-pt-kafka-streams-",
  "bench-pt-kafkajs-naive-",
  "bench-pt-kafkajs-handwritten-",
  "bench-floor-",
  "bench-ptl-",
  "bench-triage",
  "bench-scale-",
  "bench-mem-",
  "bench-latency-reader-",
  "bench-consumer-perf-",
];

/** Deletes the (empty) consumer groups of finished bench runs; returns how many. */
export async function deleteBenchGroups(): Promise<number> {
  const admin = benchClient().admin();
  await admin.connect();
  try {
    const ours = (await admin.listGroups()).filter((id) => BENCH_GROUP_PREFIXES.some((p) => id.startsWith(p)));
    for (const id of ours) await admin.deleteGroup(id).catch(() => undefined);
    return ours.length;
  } finally {
    await admin.disconnect();
  }
}
