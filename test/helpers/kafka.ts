/**
 * Small Kafka helpers for the sink and dead-letter integration tests: a client on the test run's broker,
 * topic creation/deletion, reading a topic until a condition holds, and header text.
 */
import { type IHeaders, Kafka, type KafkaMessage, logLevel } from "kafkajs";
import { services } from "./services.ts";

export function testKafka(clientId: string): Kafka {
  return new Kafka({ clientId, brokers: services().kafkaBrokers, logLevel: logLevel.NOTHING });
}

export async function createTopics(kafka: Kafka, topics: string[], partitions = 1): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: topics.map((topic) => ({ topic, numPartitions: partitions })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopics(kafka: Kafka, topics: string[]): Promise<void> {
  if (topics.length === 0) return;
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics });
  } catch {
    // best effort: a test that failed early may not have created them
  } finally {
    await admin.disconnect();
  }
}

export type TopicMessage = KafkaMessage & { partition: number };

/** Reads `topic` from the beginning until `until(messages)` holds or `timeoutMs` passes. */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  until: (messages: TopicMessage[]) => boolean,
  options: { readUncommitted?: boolean; timeoutMs?: number } = {},
): Promise<TopicMessage[]> {
  const consumer = kafka.consumer({
    groupId: `read-${topic}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    readUncommitted: options.readUncommitted === true,
  });
  const messages: TopicMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, options.timeoutMs ?? 30_000);
      void consumer.run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) messages.push({ ...m, partition: batch.partition });
          if (until(messages)) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

/** A header's value as text (the last one when repeated), or undefined. */
export function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const last = Array.isArray(value) ? value[value.length - 1] : value;
  return last === undefined ? undefined : last.toString();
}
