/**
 * The Kafka sink: encodes records with the configured serdes, keeps their key, stamps lineage headers and
 * resolves only once the broker acknowledged (`acks: -1`). In exactly-once mode it sends into the runtime's
 * open transaction instead (the `TransactionalProducer` of the Kafka port, core/kafka.ts).
 */
import { z } from "zod";
import { BatchError, ConfigError, inContext, TransientError } from "../core/errors.ts";
import type { KafkaClient, OutgoingMessage, Producer, ProducerSettings, Sender } from "../core/kafka.ts";
import type { StreamRecord } from "../processors/api.ts";
import { formatSpec } from "../schemas/format.config.ts";
import type { Serde } from "../schemas/serde.ts";
import type { Sink } from "./api.ts";
import { defineSink } from "./define.ts";
import { type LingerOptions, ProduceLinger } from "./kafka-linger.ts";

/** Config of the Kafka sink (`type: kafka`): the topic and how keys and values are encoded. */
export const kafkaSinkConfig = z.strictObject({
  /** Destination topic. */
  topic: z.string().min(1),
  /** Key encoding. @default {format: "string"} */
  key: formatSpec.default({ format: "string" }),
  /** Value encoding. */
  value: formatSpec,
  /** Field of the value whose text becomes the record key. @default the key the record already has */
  keyField: z.string().min(1).optional(),
  /**
   * How the tasks' concurrent writes are merged into produce requests (not in exactly-once mode, where each
   * task sends inside its own transaction).
   */
  linger: z
    .strictObject({
      /** Longest a write waits for others to join its request. @default 0 (merges only while requests are out) */
      ms: z.number().int().nonnegative().default(0),
      /** Produce requests of this sink in flight at once. @default 3 */
      maxInFlight: z.number().int().positive().default(3),
      /** A request closes at this many bytes of keys and values. @default 4194304 (4 MiB) */
      maxBatchBytes: z
        .number()
        .int()
        .positive()
        .default(4 * 1024 * 1024),
    })
    .default({ ms: 0, maxInFlight: 3, maxBatchBytes: 4 * 1024 * 1024 }),
});
export type KafkaSinkConfig = z.infer<typeof kafkaSinkConfig>;

/** Lineage headers every output carries. */
export const LINEAGE_HEADERS = {
  topic: "sluice-source-topic",
  partition: "sluice-source-partition",
  offset: "sluice-source-offset",
  runId: "sluice-run-id",
} as const;

export interface KafkaSinkOptions extends ProducerSettings {
  /** Name of the sink node in the topology. */
  name: string;
  topic: string;
  /** Used to check the topic exists and, without `producer`, for a producer of the sink's own. */
  kafka: KafkaClient;
  valueSerde: Serde;
  /** Encodes keys; without it a key is written as the bytes or text it already is. @default undefined */
  keySerde?: Serde;
  /** Dotted path of a value field whose text becomes the key. @default the record's own key */
  keyField?: string;
  /** Stamped on every output as `sluice-run-id`. */
  runId: string;
  /**
   * Where to send: a shared producer or the runtime's `TransactionalProducer` (exactly-once); the sink never
   * closes it. @default an idempotent producer of its own, closed by `close()`
   */
  producer?: Sender;
  /** Merging of concurrent writes into fewer requests (own producer only). @default {@link ProduceLinger}'s */
  linger?: LingerOptions;
}

export class KafkaSink implements Sink {
  readonly name: string;
  private readonly sender: Sender;
  private readonly owned: Producer | undefined;
  private readonly linger: ProduceLinger | undefined;
  private healthy = true;

  constructor(private readonly options: KafkaSinkOptions) {
    if (!options.topic) throw new ConfigError(`sink ${options.name}: topic is required`);
    this.name = options.name;
    this.owned = options.producer ? undefined : options.kafka.producer(options);
    this.sender = options.producer ?? this.owned!;
    const owned = this.owned;
    this.linger = owned
      ? new ProduceLinger(async (messages) => {
          await owned.send(options.topic, messages);
        }, options.linger)
      : undefined;
  }

  /** Connects its own producer and fails (ConfigError) when the topic does not exist: it is never auto-created. */
  async start(): Promise<void> {
    const admin = this.options.kafka.admin();
    try {
      await admin.connect();
      const topics = await admin.listTopics();
      if (!topics.includes(this.options.topic)) {
        throw new ConfigError(`sink ${this.name}: topic ${this.options.topic} does not exist (create it first)`);
      }
      await this.owned?.connect();
    } catch (error) {
      throw inContext(`sink ${this.name}: starting`, error);
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Sends the batch and resolves after the broker's ack. Records whose key or value cannot be encoded are
   * reported in a `BatchError` (by index) after the others have been written. An encoding that failed
   * transiently (the registry not answering while the writer schema registers) rejects the whole batch with
   * that `TransientError` before anything is sent: the batch is retried, never dead-lettered.
   */
  async write(records: readonly StreamRecord[]): Promise<void> {
    const { topic } = this.options;
    const failed = new BatchError(`sink ${this.name}: some records could not be encoded for ${topic}`);
    const messages: OutgoingMessage[] = [];
    const later: number[] = [];
    let transient: TransientError | undefined;
    const refused = (index: number, error: unknown) => {
      if (error instanceof TransientError) transient ??= error;
      else failed.failed(index, error as Error);
    };
    // At once while the serdes need no I/O (nearly always: a writer schema registers once per topic).
    records.forEach((record, index) => {
      try {
        const message = this.toMessageNow(record);
        if (message) messages[index] = message;
        else later.push(index);
      } catch (error) {
        refused(index, error);
      }
    });
    await Promise.all(
      later.map(async (index) => {
        try {
          messages[index] = await this.toMessage(records[index] as StreamRecord);
        } catch (error) {
          refused(index, error);
        }
      }),
    );
    if (transient) throw transient;
    const ready = messages.filter((message) => message !== undefined);
    if (ready.length > 0) {
      try {
        if (this.linger) await this.linger.write(ready);
        else await this.sender.send(topic, ready);
        this.healthy = true;
      } catch (error) {
        this.healthy = false;
        throw inContext(`sink ${this.name}: writing ${ready.length} records to ${topic}`, error);
      }
    }
    if (failed.failures.size > 0) throw failed;
  }

  /** Nothing is buffered: every `write` waited for its ack. */
  async flush(): Promise<void> {}

  async close(): Promise<void> {
    await this.owned?.disconnect();
  }

  isHealthy(): boolean {
    return this.healthy;
  }

  private async toMessage(record: StreamRecord): Promise<OutgoingMessage> {
    const { topic, keySerde, valueSerde } = this.options;
    const rawKey = this.rawKey(record);
    const key = keySerde && rawKey !== null ? await keySerde.serialize(topic, rawKey) : rawKey;
    const value = record.value === null ? null : await valueSerde.serialize(topic, record.value);
    return this.message(record, key, value);
  }

  /** `toMessage` without a promise, or `undefined` when a serde needs I/O first. */
  private toMessageNow(record: StreamRecord): OutgoingMessage | undefined {
    const { topic, keySerde, valueSerde } = this.options;
    const rawKey = this.rawKey(record);
    let key: Buffer | string | null | undefined = rawKey;
    if (keySerde && rawKey !== null) key = keySerde.serializeNow?.(topic, rawKey);
    if (key === undefined) return undefined;
    let value: Buffer | null | undefined = null;
    if (record.value !== null) value = valueSerde.serializeNow?.(topic, record.value);
    return value === undefined ? undefined : this.message(record, key, value);
  }

  private rawKey(record: StreamRecord): Buffer | string | null {
    return this.options.keyField ? fieldText(record.value, this.options.keyField) : record.key;
  }

  private message(record: StreamRecord, key: Buffer | string | null, value: Buffer | null): OutgoingMessage {
    const headers: Record<string, Buffer | string> = {};
    for (const name in record.headers) {
      const header = record.headers[name];
      if (header !== undefined) headers[name] = header;
    }
    headers[LINEAGE_HEADERS.topic] = record.source.topic;
    headers[LINEAGE_HEADERS.partition] = String(record.source.partition);
    headers[LINEAGE_HEADERS.offset] = String(record.source.offset);
    headers[LINEAGE_HEADERS.runId] = this.options.runId;
    return { key, value, headers, timestamp: record.timestamp };
  }
}

/** The text of a (dotted) value field, or null when absent. */
function fieldText(value: unknown, path: string): string | null {
  let current: unknown = value;
  for (const part of path.split(".")) {
    if (typeof current !== "object" || current === null) return null;
    current = (current as Record<string, unknown>)[part];
  }
  return current === undefined || current === null ? null : String(current);
}

/** `type: kafka`: records to a topic, acknowledged by all in-sync replicas (inside the task's transaction in exactly-once mode). */
export const kafkaSinkDefinition = defineSink({
  type: "kafka",
  summary: "writes records to a Kafka topic, acknowledged by every in-sync replica",
  config: kafkaSinkConfig,
  transactional: true,
  create: (config, env) =>
    new KafkaSink({
      name: env.name,
      topic: config.topic,
      kafka: env.kafka,
      valueSerde: env.serde(config.value, "value"),
      keySerde: env.serde(config.key, "key"),
      ...(config.keyField ? { keyField: config.keyField } : {}),
      runId: env.runId,
      linger: {
        lingerMs: config.linger.ms,
        maxInFlight: config.linger.maxInFlight,
        maxBatchBytes: config.linger.maxBatchBytes,
      },
      ...(env.producer ? { producer: env.producer } : {}),
    }),
});
