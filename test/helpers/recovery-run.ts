/**
 * One topology run for the recovery tests: orders on a topic of a given broker, decoded through a given schema
 * registry, written to a ClickHouse table keyed by lineage on a given server, by one `sluice run` process. The
 * test produces batches between and during outages and checks the table is exact at the end.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@clickhouse/client";
import avsc from "avsc";
import { migrate } from "../../analytics/migrate.ts";
import { type KafkaClient, type Producer, partitionId } from "../../core/kafka.ts";
import { ORDER_SCHEMA_FILE } from "../../ops/bench/lib/topics.ts";
import { kafkaClientFor } from "../../topologies/runtime/kafka/kafkajs-client.ts";
import { uniqueName } from "./services.ts";
import { type SluiceProcess, startSluice } from "./sluice-process.ts";

export interface RecoveryEndpoints {
  brokers: string[];
  registryUrl: string;
  clickhouseUrl: string;
}

export interface Figures {
  /** count() FINAL */
  final: number;
  /** uniqExact of the lineage key */
  keys: number;
}

export class RecoveryRun {
  readonly app: string;
  readonly topic: string;
  readonly table: string;
  readonly file: string;
  produced = 0;
  process: SluiceProcess | undefined;
  private producer: Producer | undefined;
  private readonly kafka: KafkaClient;

  constructor(
    name: string,
    private readonly at: RecoveryEndpoints,
    dir: string,
    private readonly partitions = 3,
    /** Also copy every order to `<app>-out` through an Avro Kafka sink (its writer schema registers at first use). */
    private readonly kafkaOutput = false,
  ) {
    this.app = uniqueName(name);
    this.topic = `${this.app}-in`;
    this.table = this.app.replace(/-/g, "_");
    this.file = join(dir, `${this.app}.yaml`);
    this.kafka = kafkaClientFor({
      clientId: "sluice-recovery-test",
      brokers: at.brokers,
      retry: { retries: 10, initialRetryTimeMs: 200, maxRetryTimeMs: 2000 },
    });
  }

  /** Topics, the lineage-keyed table and the topology file. */
  async setup(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    await admin.createTopics([
      { topic: this.topic, partitions: this.partitions },
      { topic: `${this.app}.dlq`, partitions: 1 },
      ...(this.kafkaOutput ? [{ topic: `${this.app}-out`, partitions: this.partitions }] : []),
    ]);
    await admin.disconnect();
    await migrate(this.at.clickhouseUrl);
    const client = createClient({ url: this.at.clickhouseUrl });
    await client.command({
      query: `CREATE TABLE ${this.table} (source_topic String, source_partition UInt32, source_offset UInt64, output_index UInt16,
        run_id String, order_id String, customer_id String, amount Float64, inserted_at DateTime DEFAULT now())
        ENGINE = ReplacingMergeTree(inserted_at) ORDER BY (source_topic, source_partition, source_offset, output_index, run_id)`,
    });
    await client.close();
    writeFileSync(
      this.file,
      `applicationId: ${this.app}
kafka: { brokers: "${this.at.brokers.join(",")}" }
schemaRegistry: { url: "${this.at.registryUrl}" }
clickhouse: { url: "${this.at.clickhouseUrl}" }
processing: { commitIntervalMs: 1000, sessionTimeoutMs: 6000 }
sources:
  - name: orders
    topic: ${this.topic}
    value: { format: avro, schema: ${ORDER_SCHEMA_FILE} }
sinks:
  - name: decisions
    type: clickhouse
    from: orders
    clickhouse: { table: ${this.table}, maxRows: 2000, maxWaitMs: 200 }
${
  this.kafkaOutput
    ? `  - name: copies
    type: kafka
    from: orders
    kafka: { topic: ${this.app}-out, value: { format: avro, schema: ${ORDER_SCHEMA_FILE} } }
`
    : ""
}`,
    );
  }

  start(): SluiceProcess {
    this.process = startSluice(["run", this.file, "--metrics-port", "0"], { SLUICE_METRICS_INTERVAL_MS: "2000" });
    return this.process;
  }

  /** Produces `count` orders encoded with `writer` (an Avro schema the reader resolves) under registry id `schemaId`. */
  async produce(count: number, schemaId: number, writer: avsc.Type = orderType()): Promise<void> {
    if (!this.producer) {
      // Ten retries from 200 ms, as this client had before it moved to the port.
      this.producer = this.kafka.producer({ retries: 10 });
      await this.producer.connect();
    }
    const header = Buffer.alloc(5);
    header.writeInt32BE(schemaId, 1);
    const messages = [];
    for (let n = 0; n < count; n++) {
      const i = this.produced + n;
      const value = {
        order_id: `order-${i}`,
        customer_id: `customer-${i % 500}`,
        status: "paid",
        amount: i % 1000,
        currency: "EUR",
        items: 1,
        note: null,
      };
      messages.push({ key: value.customer_id, value: Buffer.concat([header, writer.toBuffer(value)]) });
    }
    await this.producer.send(this.topic, messages);
    this.produced += count;
  }

  /** Drops the producer (before its broker goes away, so it does not retry in the background). */
  async disconnectProducer(): Promise<void> {
    await this.producer?.disconnect().catch(() => {});
    this.producer = undefined;
  }

  async figures(): Promise<Figures> {
    const client = createClient({ url: this.at.clickhouseUrl, request_timeout: 3000 });
    try {
      const result = await client.query({
        query: `SELECT count() AS final, uniqExact(source_topic, source_partition, source_offset, output_index, run_id) AS keys FROM ${this.table} FINAL`,
        format: "JSONEachRow",
      });
      const [row] = await result.json<{ final: string; keys: string }>();
      return { final: Number(row?.final), keys: Number(row?.keys) };
    } finally {
      await client.close();
    }
  }

  /** Waits until every record produced is a row; fails at once with its output if the member exited. */
  async caughtUp(timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const p = this.process;
      if (p && (p.child.exitCode !== null || p.child.signalCode !== null)) {
        throw new Error(
          `sluice exited (${p.child.exitCode ?? p.child.signalCode}) waiting for ${what}:\n${p.output().slice(-4000)}`,
        );
      }
      const rows = await this.rows();
      if (rows === this.produced) return;
      if (Date.now() > deadline)
        throw new Error(`${what}: ${rows} of ${this.produced} rows after ${timeoutMs / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Rows in the table (FINAL), or -1 while ClickHouse does not answer. */
  async rows(): Promise<number> {
    return (await this.figures().catch(() => ({ final: -1 }))).final;
  }

  /** Records in a topic of this run (`out`, `dlq`): the sum of its partitions' end offsets. */
  async topicEnd(which: "out" | "dlq"): Promise<number> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const topic = which === "out" ? `${this.app}-out` : `${this.app}.dlq`;
      return (await admin.topicOffsets(topic)).reduce((sum, p) => sum + p.high, 0);
    } finally {
      await admin.disconnect();
    }
  }

  /** End offset minus the group's committed offset, summed over the input partitions. */
  async lag(): Promise<number> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const ends = await admin.topicOffsets(this.topic);
      const committed = await admin.groupOffsets(this.app, [this.topic]);
      return ends.reduce(
        (sum, p) => sum + p.high - Math.max(0, committed.get(partitionId(this.topic, p.partition)) ?? 0),
        0,
      );
    } finally {
      await admin.disconnect();
    }
  }

  /** SIGTERM the member and wait for its exit (SIGKILL after 60 s); resolves with the exit code. */
  async stop(): Promise<number | string> {
    await this.disconnectProducer();
    const p = this.process;
    if (!p) return 0;
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGTERM");
    const timeout = new Promise((resolve) => setTimeout(() => resolve("timeout"), 60_000));
    const code = await Promise.race([p.exited, timeout]);
    if (code === "timeout") {
      p.child.kill("SIGKILL");
      throw new Error(`sluice did not stop within 60 s of SIGTERM:\n${p.output().slice(-4000)}`);
    }
    return code as number | string;
  }
}

/** The order schema the topology reads, optionally with extra optional fields (a newer writer schema). */
export function orderSchema(extraFields: string[] = []): { fields: unknown[] } {
  const schema = JSON.parse(readFileSync(ORDER_SCHEMA_FILE, "utf8"));
  for (const name of extraFields) schema.fields.push({ name, type: ["null", "string"], default: null });
  return schema;
}

export function orderType(extraFields: string[] = []): avsc.Type {
  return avsc.Type.forSchema(orderSchema(extraFields) as avsc.Schema);
}
