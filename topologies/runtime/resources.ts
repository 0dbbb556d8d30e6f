/**
 * Everything a running topology shares across its tasks, built from the compiled spec: the Kafka client, one
 * registry client (one schema cache), the source serdes, the sinks and the dead-letter writer. Built and
 * started before consuming, so a missing topic or table fails at start with nothing consumed.
 */
import type { SchemaRegistry } from "@kafkajs/confluent-schema-registry";
import type { Logger } from "pino";
import { ConfigError } from "../../core/errors.ts";
import type { KafkaClient, TransactionalProducer } from "../../core/kafka.ts";
import { createRegistryClient } from "../../schemas/avro-serde.ts";
import type { Serde } from "../../schemas/serde.ts";
import { createSerde, serdeConfigOf } from "../../schemas/serde-factory.ts";
import type { Sink } from "../../sinks/api.ts";
import {
  type ClickHouseSink,
  type ClickHouseSinkConfig,
  clickhouseSinkConfig,
  clickhouseSinkIn,
} from "../../sinks/clickhouse.ts";
import { processInsertSlots } from "../../sinks/clickhouse-insert.ts";
import { DeadLetterWriter } from "../../sinks/dead-letter.ts";
import type { SinkEnvironment } from "../../sinks/define.ts";
import { sinkDefinition } from "../../sinks/registry.ts";
import type { CompiledTopology } from "../compiler.ts";
import { DeadLetterFanout, type DeadLetterSink } from "./dead-letter-fanout.ts";
import { topologyKafkaClient } from "./kafka/kafkajs-client.ts";
import { StateSupplier } from "./state/state-supplier.ts";

type SinkNode = CompiledTopology["spec"]["sinks"][number];

/** What one task sends through in exactly-once mode. */
export interface TaskTransaction {
  producer: TransactionalProducer;
  sinks: Map<string, Sink>;
  deadLetters: DeadLetterSink;
}

export interface SourceSerdes {
  sourceNode: string;
  key: Serde;
  value: Serde;
}

export interface ResourceOptions {
  runId: string;
  /** KafkaJS logs go here. @default KafkaJS's own logger, errors only */
  logger?: Logger;
}

export class TopologyResources {
  /** The Kafka port: the group consumer, producers and the admin. */
  readonly client: KafkaClient;
  /** State stores: changelog topics, producer and reader; opens and restores a partition's stores. */
  readonly state: StateSupplier;
  readonly registry: SchemaRegistry | undefined;
  readonly serdesByTopic = new Map<string, SourceSerdes>();
  readonly sinks = new Map<string, Sink>();
  /** Dead letters to the topic (and the `dead_letters` table with ClickHouse). */
  readonly deadLetters: DeadLetterSink;
  private readonly deadLetterTopic: DeadLetterWriter;
  /** The `dead_letters` table, when the topology has ClickHouse. */
  private readonly deadLetterTable: ClickHouseSink | undefined;
  private readonly runId: string;
  /** One bound on INSERTs in flight across every ClickHouse sink of this process. */
  private readonly insertSlots = processInsertSlots();

  constructor(
    readonly topology: CompiledTopology,
    options: ResourceOptions,
  ) {
    this.runId = options.runId;
    const { spec } = topology;
    const client = topologyKafkaClient(topology, options.logger);
    this.client = client;
    this.state = new StateSupplier(topology, client);
    const registryUrl = spec.schemaRegistry?.url;
    // With timeouts (createRegistryClient): a hung registry must fail a lookup, to be retried, not hold it.
    this.registry = registryUrl
      ? createRegistryClient(registryUrl, spec.schemaRegistry?.auth ? { auth: spec.schemaRegistry.auth } : {})
      : undefined;
    for (const source of spec.sources) {
      const topics = Array.isArray(source.topic) ? source.topic : [source.topic];
      const key = createSerde(serdeConfigOf(source.key), this.serdeEnv("key"));
      const value = createSerde(serdeConfigOf(source.value), this.serdeEnv("value"));
      for (const topic of topics) this.serdesByTopic.set(topic, { sourceNode: source.name, key, value });
    }
    this.deadLetterTopic = new DeadLetterWriter({
      applicationId: spec.applicationId,
      runId: options.runId,
      kafka: this.client,
      topic: topology.deadLetterTopic,
    });
    this.deadLetterTable = spec.clickhouse ? this.clickhouseSink("dead-letters-table", "dead_letters") : undefined;
    this.deadLetters = new DeadLetterFanout(this.deadLetterTopic, this.deadLetterTable, spec.applicationId);
    for (const sink of spec.sinks) this.sinks.set(sink.name, this.buildSink(sink, {}));
  }

  /** A ClickHouse sink on the topology's server; `config` defaults to the table's name and default batching. */
  clickhouseSink(name: string, table: string, config?: ClickHouseSinkConfig, lineage = true): ClickHouseSink {
    return clickhouseSinkIn(this.sinkEnv(name, {}), config ?? clickhouseSinkConfig.parse({ table }), lineage);
  }

  /** Builds one sink node through its registered definition (the one place sinks are made). */
  private buildSink(sink: SinkNode, task: Partial<Pick<SinkEnvironment, "producer" | "deadLetters">>): Sink {
    const definition = sinkDefinition(sink.type);
    if (!definition) throw new ConfigError(`sink ${sink.name}: unknown sink type "${sink.type}"`);
    return definition.create((sink as Record<string, unknown>)[sink.type], this.sinkEnv(sink.name, task));
  }

  private sinkEnv(name: string, task: Partial<Pick<SinkEnvironment, "producer" | "deadLetters">>): SinkEnvironment {
    const { spec } = this.topology;
    return {
      name,
      applicationId: spec.applicationId,
      runId: this.runId,
      kafka: this.client,
      deadLetters: this.deadLetterTopic,
      insertSlots: this.insertSlots,
      ...(spec.clickhouse ? { clickhouse: spec.clickhouse } : {}),
      serde: (format, role) => createSerde(serdeConfigOf(format), this.serdeEnv(role)),
      ...task,
    };
  }

  private serdeEnv(role: "key" | "value") {
    const url = this.topology.spec.schemaRegistry?.url;
    return {
      ...(url ? { registryUrl: url } : {}),
      ...(this.registry ? { registry: this.registry } : {}),
      baseDir: this.topology.baseDir,
      role,
    };
  }

  /**
   * Exactly-once: a transactional producer for one task (id `<applicationId>-<topic>-<partition>`, so a new
   * owner of the partition fences the old one) with the task's own Kafka sinks and dead-letter writer sending
   * through it. Other sinks (ClickHouse) are shared: they are idempotent by lineage key.
   */
  async transactionalTask(topic: string, partition: number): Promise<TaskTransaction> {
    const { spec } = this.topology;
    const producer = this.client.transactionalProducer(`${spec.applicationId}-${topic}-${partition}`);
    await producer.connect();
    const topicWriter = new DeadLetterWriter({
      applicationId: spec.applicationId,
      runId: this.runId,
      kafka: this.client,
      topic: this.topology.deadLetterTopic,
      producer,
    });
    const sinks = new Map(this.sinks);
    for (const sink of spec.sinks) {
      if (sinkDefinition(sink.type)?.transactional) {
        sinks.set(sink.name, this.buildSink(sink, { producer, deadLetters: topicWriter }));
      }
    }
    const deadLetters = new DeadLetterFanout(topicWriter, this.deadLetterTable, spec.applicationId);
    return { producer, sinks, deadLetters };
  }

  /** Starts sinks (checks topics and tables exist) and the dead-letter writer. */
  async start(): Promise<void> {
    await this.deadLetterTopic.start();
    await this.deadLetterTable?.start();
    for (const sink of this.sinks.values()) await sink.start?.();
  }

  async flush(): Promise<void> {
    await Promise.all(
      [...this.sinks.values(), ...(this.deadLetterTable ? [this.deadLetterTable] : [])].map((s) => s.flush()),
    );
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.sinks.values()].map((sink) => sink.close()));
    await this.deadLetterTable?.close();
    await this.deadLetterTopic.close();
    await this.state.close();
  }
}
