/**
 * The smoke pipeline: produces Avro events in the registry wire format, consumes them as a consumer group and
 * writes rows to ClickHouse, then prints a summary queried back. Proves the local stack end to end.
 * Usage: node --import tsx ops/smoke-pipeline.ts [count]
 */
import { createClient } from "@clickhouse/client";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { Kafka, logLevel } from "kafkajs";
import { endpoints } from "./stack/config.ts";

const count = Number(process.argv[2] ?? 1000);
const services = endpoints();
const topic = "smoke-events";
const schema = {
  type: "record",
  name: "SmokeEvent",
  namespace: "dev.sluice.smoke",
  fields: [
    { name: "event_id", type: "string" },
    { name: "tenant_id", type: "string" },
    { name: "amount", type: "double" },
  ],
};

const kafka = new Kafka({ clientId: "sluice-smoke", brokers: services.kafkaBrokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
if (!(await admin.listTopics()).includes(topic)) {
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
}
await admin.disconnect();

const registry = new SchemaRegistry({ host: services.schemaRegistryUrl });
const { id } = await registry.register(
  { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
  { subject: `${topic}-value` },
);
const runId = `smoke-${Date.now()}`;
const producer = kafka.producer({ idempotent: true });
await producer.connect();
const messages = await Promise.all(
  Array.from({ length: count }, async (_, i) => ({
    key: `tenant-${i % 7}`,
    value: await registry.encode(id, { event_id: `${runId}-${i}`, tenant_id: `tenant-${i % 7}`, amount: i / 10 }),
  })),
);
await producer.send({ topic, acks: -1, messages });
await producer.disconnect();

const clickhouse = createClient({ url: services.clickhouseUrl });
await clickhouse.command({
  query: `CREATE TABLE IF NOT EXISTS smoke_events (run_id String, event_id String, tenant_id String, amount Float64,
    source_partition UInt32, source_offset UInt64) ENGINE = ReplacingMergeTree ORDER BY (run_id, source_partition, source_offset)`,
});

const consumer = kafka.consumer({ groupId: runId });
await consumer.connect();
await consumer.subscribe({ topics: [topic], fromBeginning: true });
let seen = 0;
await new Promise<void>((resolve) => {
  void consumer.run({
    eachBatch: async ({ batch }) => {
      const rows = [];
      for (const message of batch.messages) {
        const event = (await registry.decode(message.value as Buffer)) as {
          event_id: string;
          tenant_id: string;
          amount: number;
        };
        if (!event.event_id.startsWith(runId)) continue;
        rows.push({
          run_id: runId,
          ...event,
          source_partition: batch.partition,
          source_offset: Number(message.offset),
        });
      }
      if (rows.length) await clickhouse.insert({ table: "smoke_events", values: rows, format: "JSONEachRow" });
      seen += rows.length;
      if (seen >= count) resolve();
    },
  });
});
await consumer.disconnect();

const summary = await (
  await clickhouse.query({
    query: `SELECT tenant_id, count() AS events, round(sum(amount), 1) AS amount FROM smoke_events FINAL
            WHERE run_id = '${runId}' GROUP BY tenant_id ORDER BY tenant_id`, // 18.16 has no query parameters
    format: "JSONEachRow",
  })
).json();
await clickhouse.close();
console.log(`smoke pipeline ${runId}: ${count} Avro events → Kafka → consumer group → ClickHouse`);
console.table(summary);
