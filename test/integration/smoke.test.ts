/**
 * Smoke tests of the real local stack (Kafka KRaft, Apicurio Registry, ClickHouse 18.16, embedded LanceDB):
 * each service answers the way sluice relies on. Needs the stack: test/global-setup.ts provides it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@clickhouse/client";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import * as lancedb from "@lancedb/lancedb";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, describe, expect, it } from "vitest";
import { endpoints } from "../../stack/config.ts";

const services = endpoints();
const suffix = `${process.pid}-${Date.now()}`;
const kafka = new Kafka({ clientId: "smoke", brokers: services.kafkaBrokers, logLevel: logLevel.NOTHING });

describe("local stack smoke", () => {
  const admin = kafka.admin();
  afterAll(async () => {
    await admin.disconnect();
  });

  it("creates a topic with partitions on the KRaft broker", async () => {
    const topic = `smoke-topic-${suffix}`;
    await admin.connect();
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true })).toBe(true);
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]?.partitions).toHaveLength(3);
  });

  it("produces and consumes an Avro record in the Confluent wire format through the registry", async () => {
    const topic = `smoke-avro-${suffix}`;
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const registry = new SchemaRegistry({ host: services.schemaRegistryUrl });
    const schema = {
      type: "record",
      name: "SmokeEvent",
      namespace: "dev.sluice.smoke",
      fields: [
        { name: "id", type: "string" },
        { name: "n", type: "int" },
      ],
    };
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
      { subject: `${topic}-value` },
    );
    const payload = await registry.encode(id, { id: "e-1", n: 42 });
    expect(payload[0]).toBe(0);
    expect(payload.readInt32BE(1)).toBe(id);

    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: "e-1", value: payload }] });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `smoke-${suffix}` });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const received = await new Promise<Buffer>((resolve) => {
      void consumer.run({ eachMessage: async ({ message }) => resolve(message.value as Buffer) });
    });
    await consumer.disconnect();
    expect(received.readInt32BE(1)).toBe(id);
    expect(await new SchemaRegistry({ host: services.schemaRegistryUrl }).decode(received)).toEqual({
      id: "e-1",
      n: 42,
    });
  });

  it("inserts and selects rows in ClickHouse over HTTP", async () => {
    const client = createClient({ url: services.clickhouseUrl });
    const table = `smoke_${suffix.replace(/-/g, "_")}`;
    try {
      const version = await (await client.query({ query: "SELECT version() AS v", format: "JSONEachRow" })).json();
      expect(version).toHaveLength(1);
      await client.command({
        query: `CREATE TABLE ${table} (id UInt32, name String) ENGINE = MergeTree ORDER BY id`,
      });
      await client.insert({
        table,
        values: [
          { id: 1, name: "a" },
          { id: 2, name: "b" },
        ],
        format: "JSONEachRow",
      });
      const rows = await (
        await client.query({ query: `SELECT id, name FROM ${table} ORDER BY id`, format: "JSONEachRow" })
      ).json();
      expect(rows).toEqual([
        { id: 1, name: "a" },
        { id: 2, name: "b" },
      ]);
    } finally {
      await client.command({ query: `DROP TABLE IF EXISTS ${table}` });
      await client.close();
    }
  });

  it("creates a LanceDB table and finds the nearest vector", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-lance-"));
    try {
      const db = await lancedb.connect(dir);
      const table = await db.createTable("docs", [
        { id: "a", vector: [1, 0, 0, 0] },
        { id: "b", vector: [0, 1, 0, 0] },
        { id: "c", vector: [0, 0, 1, 0] },
      ]);
      const hits = await table.search([0.1, 0.9, 0, 0]).limit(1).toArray();
      expect(hits[0]?.id).toBe("b");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
