/**
 * The control topic over kafkajs (the one client-library file of rollouts): a compacted one-partition topic
 * `<applicationId>-control`, written by `sluice rollout` and read, from the beginning and then as it grows, by
 * every member. The reader uses a throwaway group that never commits (kafkajs has no `assign()`), so each
 * reader sees the whole topic, as every member must.
 */
import { randomUUID } from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import type { CompiledTopology } from "../../compiler.ts";
import { kafkaConfig } from "./kafkajs-client.ts";

/** The topology's Kafka connection for control-topic work (quiet: the caller logs). */
export function controlConnection(topology: CompiledTopology): Kafka {
  return new Kafka({ ...kafkaConfig(topology), logLevel: logLevel.NOTHING });
}

/** What the control functions take: a kafkajs client, opaque to callers outside this folder. */
export type ControlConnection = Kafka;

/** One control record as read: its key, its JSON value (null for a tombstone) and its offset. */
export interface ControlRecord {
  readonly key: string;
  readonly value: unknown;
  readonly offset: number;
}

/** Creates the compacted control topic when missing (one partition: one order for every member). */
export async function ensureControlTopic(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if ((await admin.listTopics()).includes(topic)) return;
    await admin
      .createTopics({
        waitForLeaders: true,
        topics: [{ topic, numPartitions: 1, configEntries: [{ name: "cleanup.policy", value: "compact" }] }],
      })
      .catch((error: unknown) => {
        if (!/already exists/i.test(String(error))) throw error;
      });
  } finally {
    await admin.disconnect();
  }
}

/** Appends one control record (acks=all); resolves with its offset. */
export async function writeControlRecord(kafka: Kafka, topic: string, key: string, value: unknown): Promise<number> {
  await ensureControlTopic(kafka, topic);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const [meta] = await producer.send({ topic, acks: -1, messages: [{ key, value: JSON.stringify(value) }] });
    return Number(meta?.baseOffset ?? -1);
  } finally {
    await producer.disconnect();
  }
}

export interface ControlTail {
  /** Resolves once every record that existed when the tail started was handed over. */
  readonly caughtUp: Promise<void>;
  stop(): Promise<void>;
}

/** Reads the control topic from its start and keeps following it, handing each record to `onRecord` in order. */
export async function tailControlTopic(
  kafka: Kafka,
  topic: string,
  onRecord: (record: ControlRecord) => void,
): Promise<ControlTail> {
  await ensureControlTopic(kafka, topic);
  const admin = kafka.admin();
  await admin.connect();
  const end = Number((await admin.fetchTopicOffsets(topic)).find((o) => o.partition === 0)?.high ?? 0);
  await admin.disconnect();
  let markCaughtUp: () => void = () => {};
  const caughtUp = new Promise<void>((resolve) => {
    markCaughtUp = resolve;
  });
  if (end === 0) markCaughtUp();
  const consumer = kafka.consumer({ groupId: `${topic}.reader.${randomUUID()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ message }) => {
      const offset = Number(message.offset);
      let value: unknown = null;
      if (message.value !== null) {
        try {
          value = JSON.parse(message.value.toString("utf8"));
        } catch {
          value = undefined; // not JSON: handed over as undefined, the caller skips it
        }
      }
      onRecord({ key: message.key?.toString("utf8") ?? "", value, offset });
      if (offset >= end - 1) markCaughtUp();
    },
  });
  return { caughtUp, stop: () => consumer.disconnect() };
}
