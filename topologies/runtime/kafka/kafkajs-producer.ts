/**
 * The producers of the Kafka port on kafkajs: an idempotent producer (at-least-once, no duplicates from producer
 * retries) and a transactional one the runtime drives for exactly-once (begin → send → sendOffsets → commit |
 * abort). Also the one place kafkajs errors become sluice errors.
 */
import {
  type Kafka,
  type Producer as KafkajsProducerClient,
  type Message,
  Partitioners,
  type RetryOptions,
  type Transaction,
} from "kafkajs";
import { ProducerFencedError, SluiceError, TransientError } from "../../../core/errors.ts";
import type {
  OutgoingMessage,
  Producer,
  ProducerSettings,
  TopicPartitionOffset,
  TransactionalProducer,
} from "../../../core/kafka.ts";

/**
 * Starts fast: right after a commit the broker answers CONCURRENT_TRANSACTIONS until its markers are written,
 * and kafkajs's default first backoff (300 ms) then dominates every transaction. 20 ms doubling over 10 retries
 * still waits ~20 s for a broker that is really gone.
 */
export const TRANSACTIONAL_RETRY: RetryOptions = { retries: 10, initialRetryTime: 20, maxRetryTime: 10_000 };

function toKafkajs(messages: readonly OutgoingMessage[]): Message[] {
  return messages.map((m) => ({
    key: m.key,
    value: m.value,
    ...(m.headers ? { headers: { ...m.headers } } : {}),
    ...(m.timestamp !== undefined ? { timestamp: String(m.timestamp) } : {}),
    ...(m.partition !== undefined ? { partition: m.partition } : {}),
  }));
}

/** An idempotent producer: acks from every in-sync replica, at most 5 requests in flight. */
export class KafkajsProducer implements Producer {
  private readonly producer: KafkajsProducerClient;

  constructor(kafka: Kafka, settings: ProducerSettings = {}) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 5,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: settings.retries ?? 5 },
    });
  }

  async connect(): Promise<void> {
    try {
      await this.producer.connect();
    } catch (error) {
      throw kafkaError("connecting a producer", error);
    }
  }

  async send(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    try {
      await this.producer.send({ topic, acks: -1, messages: toKafkajs(messages) });
    } catch (error) {
      throw kafkaError(`sending ${messages.length} records to ${topic}`, error);
    }
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }
}

/** One Kafka transaction at a time, driven by the runtime; sinks `send` into the open one. */
export class KafkajsTransactionalProducer implements TransactionalProducer {
  private readonly producer: KafkajsProducerClient;
  private current: Transaction | undefined;

  constructor(
    kafka: Kafka,
    private readonly transactionalId: string,
    settings: ProducerSettings & { timeoutMs?: number } = {},
  ) {
    this.producer = kafka.producer({
      transactionalId,
      transactionTimeout: settings.timeoutMs ?? 60_000,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry:
        settings.retries === undefined ? TRANSACTIONAL_RETRY : { ...TRANSACTIONAL_RETRY, retries: settings.retries },
    });
  }

  async connect(): Promise<void> {
    await this.run("connecting", () => this.producer.connect());
  }

  get inTransaction(): boolean {
    return this.current?.isActive() === true;
  }

  /** Opens a transaction (the first one also fences older producers with the same id). */
  async begin(): Promise<void> {
    if (this.inTransaction) throw new SluiceError(`${this.transactionalId}: a transaction is already open`);
    this.current = await this.run("beginning a transaction", () => this.producer.transaction());
  }

  async send(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    const transaction = this.open("send");
    await this.run(`sending to ${topic}`, () => transaction.send({ topic, acks: -1, messages: toKafkajs(messages) }));
  }

  async sendOffsets(groupId: string, offsets: readonly TopicPartitionOffset[]): Promise<void> {
    const transaction = this.open("sendOffsets");
    const byTopic = new Map<string, { partition: number; offset: string }[]>();
    for (const o of offsets)
      byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), { partition: o.partition, offset: String(o.offset) }]);
    const topics = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
    await this.run("sending offsets", () => transaction.sendOffsets({ consumerGroupId: groupId, topics }));
  }

  async commit(): Promise<void> {
    const transaction = this.open("commit");
    await this.run("committing", () => transaction.commit());
    this.current = undefined;
  }

  async abort(): Promise<void> {
    const transaction = this.current;
    this.current = undefined;
    if (transaction?.isActive()) await this.run("aborting", () => transaction.abort());
  }

  async disconnect(): Promise<void> {
    await this.abort().catch(() => undefined);
    await this.producer.disconnect();
  }

  private open(what: string): Transaction {
    if (!this.current?.isActive()) throw new SluiceError(`${this.transactionalId}: ${what} outside a transaction`);
    return this.current;
  }

  private async run<T>(doing: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      throw kafkaError(`${this.transactionalId}: ${doing}`, error);
    }
  }
}

const FENCED = new Set(["INVALID_PRODUCER_EPOCH", "PRODUCER_FENCED", "TRANSACTIONAL_ID_AUTHORIZATION_FAILED"]);
const UNAVAILABLE = new Set([
  "KafkaJSNumberOfRetriesExceeded",
  "KafkaJSConnectionError",
  "KafkaJSConnectionClosedError",
  "KafkaJSRequestTimeoutError",
  "KafkaJSBrokerNotFound",
  "KafkaJSNoBrokerAvailableError",
  "KafkaJSMetadataNotLoaded",
  "KafkaJSTopicMetadataNotLoaded",
  "KafkaJSGroupCoordinatorNotFound",
  "KafkaJSTimeout",
  "KafkaJSLockTimeout",
]);

/** kafkajs error → `ProducerFencedError` (stop), `TransientError` (broker unavailable: retry), else `SluiceError`. */
export function kafkaError(context: string, error: unknown): SluiceError {
  if (error instanceof SluiceError) return error;
  const e = error as { name?: string; type?: string; retriable?: boolean; message?: string; cause?: { type?: string } };
  const message = `${context}: ${e.message ?? String(error)}`;
  if (FENCED.has(e.type ?? "") || FENCED.has(e.cause?.type ?? ""))
    return new ProducerFencedError(message, { cause: error });
  if (e.retriable === true || UNAVAILABLE.has(e.name ?? "")) return new TransientError(message, { cause: error });
  return new SluiceError(message, { cause: error });
}
