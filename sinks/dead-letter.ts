/**
 * The dead-letter writer: a record that failed to decode, or that a processor rejected as poison, goes to
 * `<applicationId>.dlq` with its ORIGINAL key/value bytes and headers untouched, plus headers saying why, so it
 * can be inspected and replayed. Resolves only after the broker's ack; the partition then moves on.
 */
import { z } from "zod";
import { ConfigError, inContext } from "../core/errors.ts";
import type {
  ConsumedHeaders,
  HeaderValue,
  KafkaClient,
  OutgoingMessage,
  Producer,
  ProducerSettings,
  Sender,
} from "../core/kafka.ts";
import type { RecordSource, StreamRecord } from "../processors/api.ts";
import { defineSink } from "./define.ts";

/** Config of the dead-letter sink (`type: dead-letter`): where poison records go. */
export const deadLetterSinkConfig = z.strictObject({
  /** Dead-letter topic. @default `<applicationId>.dlq` */
  topic: z.string().min(1).optional(),
});
export type DeadLetterSinkConfig = z.infer<typeof deadLetterSinkConfig>;

/** The dead-letter topic of an application when none is configured. */
export function defaultDeadLetterTopic(applicationId: string): string {
  return `${applicationId}.dlq`;
}

/** Bytes of dead letters per produce request, at most (one larger letter goes alone). */
export const DLQ_REQUEST_BYTES = 512 * 1024;

const sizeOf = (v: HeaderValue | HeaderValue[] | Buffer | string | null | undefined): number =>
  v === null || v === undefined ? 0 : Array.isArray(v) ? v.reduce((n, x) => n + sizeOf(x), 0) : Buffer.byteLength(v);

/** Splits messages, in order, into groups of at most `limit` bytes (key, value, header names and values). */
export function byRequestSize(messages: readonly OutgoingMessage[], limit: number): OutgoingMessage[][] {
  const groups: OutgoingMessage[][] = [];
  let current: OutgoingMessage[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size =
      sizeOf(m.key) +
      sizeOf(m.value) +
      Object.entries(m.headers ?? {}).reduce((n, [k, v]) => n + Buffer.byteLength(k) + sizeOf(v), 0);
    if (current.length > 0 && bytes + size > limit) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** Headers a dead letter carries besides the original ones. */
export const DLQ_HEADERS = {
  errorClass: "sluice-dlq-error-class",
  errorMessage: "sluice-dlq-error-message",
  processor: "sluice-dlq-processor",
  sourceTopic: "sluice-dlq-source-topic",
  sourcePartition: "sluice-dlq-source-partition",
  sourceOffset: "sluice-dlq-source-offset",
  time: "sluice-dlq-time",
  runId: "sluice-dlq-run-id",
} as const;

/** One failed record as it was consumed (its original bytes), and why it failed: a message for the DLQ topic. */
export interface DeadLetterMessage {
  /** The consumed key bytes, untouched. */
  key: Buffer | null;
  /** The consumed value bytes, untouched (never the decoded value). */
  value: Buffer | null;
  /** The consumed headers, untouched. */
  headers?: ConsumedHeaders;
  /** The consumed record's timestamp (ms since the epoch). @default now */
  timestamp?: number;
  source: RecordSource;
  error: Error;
  /** The node that failed: a processor name, or `decode` for the source serde. */
  processor: string;
}

export interface DeadLetterOptions extends ProducerSettings {
  applicationId: string;
  runId: string;
  /** Checks the topic exists and, without `producer`, gives the writer a producer of its own. */
  kafka: KafkaClient;
  /** @default `<applicationId>.dlq` */
  topic?: string;
  /** A shared producer, or the runtime's `TransactionalProducer` in exactly-once mode. @default one of its own */
  producer?: Sender;
  /** Longest error message kept in the header. @default 4096 */
  maxMessageBytes?: number;
  /** Wall clock, for the `-time` header. @default Date.now */
  now?: () => number;
}

export class DeadLetterWriter {
  readonly name = "dead-letter";
  readonly topic: string;
  private readonly sender: Sender;
  private readonly owned: Producer | undefined;

  constructor(private readonly options: DeadLetterOptions) {
    this.topic = options.topic ?? defaultDeadLetterTopic(options.applicationId);
    this.owned = options.producer ? undefined : options.kafka.producer(options);
    this.sender = options.producer ?? this.owned!;
  }

  /** Fails with a ConfigError when the dead-letter topic does not exist (topics are never auto-created). */
  async start(): Promise<void> {
    const admin = this.options.kafka.admin();
    try {
      await admin.connect();
      if (!(await admin.listTopics()).includes(this.topic)) {
        throw new ConfigError(`dead-letter topic ${this.topic} does not exist (create it first)`);
      }
      await this.owned?.connect();
    } catch (error) {
      throw inContext(`dead-letter ${this.topic}: starting`, error);
    } finally {
      await admin.disconnect();
    }
  }

  /** Writes the dead letters; resolves after the broker's ack, rejects with `TransientError` when it is down. */
  async write(letters: readonly DeadLetterMessage[]): Promise<void> {
    if (letters.length === 0) return;
    const messages = letters.map((letter) => this.toMessage(letter));
    try {
      // In requests of at most ~512 KiB: a whole failed micro-batch in one request can pass the broker's
      // message.max.bytes (1 MiB by default) and would then never be written (seen: 635 letters of 80 floats).
      for (const chunk of byRequestSize(messages, DLQ_REQUEST_BYTES)) await this.sender.send(this.topic, chunk);
    } catch (error) {
      throw inContext(`dead-letter: writing ${letters.length} records to ${this.topic}`, error);
    }
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    await this.owned?.disconnect();
  }

  private toMessage(letter: DeadLetterMessage): OutgoingMessage {
    const now = (this.options.now ?? Date.now)();
    const max = this.options.maxMessageBytes ?? 4096;
    const headers: Record<string, HeaderValue | HeaderValue[]> = {};
    for (const [name, value] of Object.entries(letter.headers ?? {})) if (value !== undefined) headers[name] = value;
    headers[DLQ_HEADERS.errorClass] = letter.error.name || letter.error.constructor.name;
    headers[DLQ_HEADERS.errorMessage] = Buffer.from(letter.error.message).subarray(0, max);
    headers[DLQ_HEADERS.processor] = letter.processor;
    headers[DLQ_HEADERS.sourceTopic] = letter.source.topic;
    headers[DLQ_HEADERS.sourcePartition] = String(letter.source.partition);
    headers[DLQ_HEADERS.sourceOffset] = String(letter.source.offset);
    headers[DLQ_HEADERS.time] = new Date(now).toISOString();
    headers[DLQ_HEADERS.runId] = this.options.runId;
    return { key: letter.key, value: letter.value, headers, timestamp: letter.timestamp ?? now };
  }
}

/**
 * `type: dead-letter`: records the topology routes here go to the dead-letter topic as they are (value as JSON);
 * a `dead-letter` node with no `from` also collects every record a node rejected.
 */
export const deadLetterSinkDefinition = defineSink({
  type: "dead-letter",
  summary: "writes records to the dead-letter topic with the reason in headers",
  config: deadLetterSinkConfig.prefault({}),
  transactional: true,
  create: (_config, env) => {
    const { name, deadLetters } = env;
    return {
      name,
      write: (records: readonly StreamRecord[]) =>
        deadLetters.write(
          records.map((record) => ({
            key: typeof record.key === "string" ? Buffer.from(record.key) : record.key,
            value: Buffer.from(JSON.stringify(record.value)),
            source: record.source,
            error: new Error(`routed to ${name} by the topology`),
            processor: name,
          })),
        ),
      flush: async () => {},
      close: async () => {},
    };
  },
});
