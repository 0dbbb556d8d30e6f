/**
 * Small Kafka helpers for the integration and e2e tests, on sluice's Kafka port (core/kafka.ts, the kafkajs
 * adapter behind it): a client on the test run's broker, topic creation/deletion, reading a topic until a
 * condition holds, and header text.
 */
import type { ConsumedHeaders, ConsumedMessage, KafkaClient, KafkaConnection } from "../../core/kafka.ts";
import { kafkaClientFor } from "../../topologies/runtime/kafka/kafkajs-client.ts";
import { services } from "./services.ts";

/** The Kafka port on the test run's broker (or on `connection` when given: another broker, TLS, SASL). */
export function testKafka(clientId: string, connection?: Partial<KafkaConnection>): KafkaClient {
  return kafkaClientFor({ clientId, brokers: services().kafkaBrokers, ...connection });
}

export async function createTopics(
  kafka: KafkaClient,
  topics: string[],
  partitions = 1,
  configs?: Record<string, string>,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics(topics.map((topic) => ({ topic, partitions, ...(configs ? { configs } : {}) })));
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopics(kafka: KafkaClient, topics: string[]): Promise<void> {
  if (topics.length === 0) return;
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteTopics(topics);
  } catch {
    // best effort: a test that failed early may not have created them
  } finally {
    await admin.disconnect();
  }
}

/** A consumed record and its partition. */
export type TopicMessage = ConsumedMessage & { partition: number };

/**
 * Reads `topic` from the beginning, in a fresh group, until `until(messages)` holds (asked after each batch),
 * `timeoutMs` passes or `signal` aborts; resolves with what arrived by then.
 */
export async function readTopic(
  kafka: KafkaClient,
  topic: string,
  until: (messages: TopicMessage[]) => boolean,
  options: {
    readUncommitted?: boolean;
    timeoutMs?: number;
    groupId?: string;
    /** Stops reading (resolving with what arrived) when aborted. */
    signal?: AbortSignal;
  } = {},
): Promise<TopicMessage[]> {
  const consumer = kafka.consumer({
    groupId: options.groupId ?? `read-${topic}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    readUncommitted: options.readUncommitted === true,
    // kafkajs's defaults
    sessionTimeoutMs: 30_000,
    heartbeatIntervalMs: 3_000,
    fetch: { minBytes: 1, maxWaitTimeInMs: 5_000, maxBytesPerPartition: 1024 * 1024 },
    restartOnFailure: () => true,
  });
  const messages: TopicMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe([topic], true);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, options.timeoutMs ?? 30_000);
      options.signal?.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve();
      });
      consumer
        .run({
          eachBatch: async (batch, control) => {
            for (const m of batch.messages) messages.push({ ...m, partition: batch.partition });
            control.resolveOffset(batch.lastOffset);
            if (until(messages)) {
              clearTimeout(timer);
              resolve();
            }
          },
          assigned: () => {},
          rebalancing: () => {},
          crashed: () => {},
        })
        .catch((error: unknown) => {
          clearTimeout(timer);
          reject(error);
        });
    });
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

/** A header's value as text (the last one when repeated), or undefined. */
export function headerText(headers: ConsumedHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const last = Array.isArray(value) ? value[value.length - 1] : value;
  return last === undefined ? undefined : last.toString();
}
