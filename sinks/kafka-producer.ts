/**
 * The producers the Kafka and dead-letter sinks send through: an idempotent producer (at-least-once, no
 * duplicates from producer retries) and a transactional one the runtime drives for exactly-once
 * (begin → send → sendOffsets → commit | abort). Also the one place kafkajs errors become sluice errors.
 */
import type { Kafka, Producer, ProducerRecord, RecordMetadata, RetryOptions, Transaction } from "kafkajs";
import { Partitioners } from "kafkajs";
import { ProducerFencedError, SluiceError, TransientError } from "../core/errors.ts";

/** What a sink sends through: a kafkajs `Producer`, or a {@link TransactionalProducer} inside a transaction. */
export interface Sender {
  send(record: ProducerRecord): Promise<RecordMetadata[]>;
}

export interface ProducerOptions {
  /**
   * Producer-level retries before a send rejects (then the runtime's policy retries, then pauses). kafkajs
   * retries an idempotent producer for ever by default, which would hide an outage from `status`.
   * @default { retries: 5 }
   */
  retry?: RetryOptions;
}

/** An idempotent producer: `acks: -1` is set per send by the sinks; at most 5 requests in flight. */
export function createIdempotentProducer(kafka: Kafka, options: ProducerOptions = {}): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 5,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: options.retry ?? { retries: 5 },
  });
}

export interface TransactionalProducerOptions extends ProducerOptions {
  /** Stable per task (`<applicationId>-<topic>-<partition>`) so a new owner of a partition fences the old one. */
  transactionalId: string;
  /** Broker aborts a transaction left open longer than this. @default 60000 */
  transactionTimeoutMs?: number;
  /** @default {@link TRANSACTIONAL_RETRY} (20 ms first backoff, 10 retries) */
  retry?: RetryOptions;
}

/**
 * Starts fast: right after a commit the broker answers CONCURRENT_TRANSACTIONS until its markers are written,
 * and kafkajs's default first backoff (300 ms) then dominates every transaction. 20 ms doubling over 10 retries
 * still waits ~20 s for a broker that is really gone.
 */
export const TRANSACTIONAL_RETRY: RetryOptions = { retries: 10, initialRetryTime: 20, maxRetryTime: 10_000 };

/** One Kafka transaction at a time, driven by the runtime; sinks `send` into the open one. */
export class TransactionalProducer implements Sender {
  private readonly producer: Producer;
  private current: Transaction | undefined;

  constructor(
    kafka: Kafka,
    readonly options: TransactionalProducerOptions,
  ) {
    this.producer = kafka.producer({
      transactionalId: options.transactionalId,
      transactionTimeout: options.transactionTimeoutMs ?? 60_000,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: options.retry ?? TRANSACTIONAL_RETRY,
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
    if (this.inTransaction) throw new SluiceError(`${this.options.transactionalId}: a transaction is already open`);
    this.current = await this.run("beginning a transaction", () => this.producer.transaction());
  }

  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    const transaction = this.open("send");
    return this.run(`sending to ${record.topic}`, () => transaction.send(record));
  }

  /** Commits consumed offsets (the next offset to read, as a string) with the outputs, atomically. */
  async sendOffsets(
    consumerGroupId: string,
    topics: { topic: string; partitions: { partition: number; offset: string }[] }[],
  ) {
    const transaction = this.open("sendOffsets");
    await this.run("sending offsets", () => transaction.sendOffsets({ consumerGroupId, topics }));
  }

  async commit(): Promise<void> {
    const transaction = this.open("commit");
    await this.run("committing", () => transaction.commit());
    this.current = undefined;
  }

  /** Aborts the open transaction, if any; its records become invisible to `read_committed` readers. */
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
    if (!this.current?.isActive())
      throw new SluiceError(`${this.options.transactionalId}: ${what} outside a transaction`);
    return this.current;
  }

  private async run<T>(doing: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      throw kafkaError(`${this.options.transactionalId}: ${doing}`, error);
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
