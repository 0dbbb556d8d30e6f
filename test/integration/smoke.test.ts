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
import { afterAll, describe, expect, it } from "vitest";
import { endpoints } from "../../stack/config.ts";
import { kafkaClientFor } from "../../topologies/runtime/kafka/kafkajs-client.ts";
import { readTopic } from "../helpers/kafka.ts";

const services = endpoints();
const suffix = `${process.pid}-${Date.now()}`;
const kafka = kafkaClientFor({ clientId: "smoke", brokers: services.kafkaBrokers });

describe("local stack smoke", () => {
  const admin = kafka.admin();
  afterAll(async () => {
    await admin.disconnect();
  });

  it("creates a topic with partitions on the KRaft broker", async () => {
    const topic = `smoke-topic-${suffix}`;
    await admin.connect();
    expect(await admin.listTopics()).not.toContain(topic);
    await admin.createTopics([{ topic, partitions: 3 }]);
    expect(await admin.listTopics()).toContain(topic);
    expect((await admin.topicOffsets(topic)).map((p) => p.partition)).toEqual([0, 1, 2]);
  });

  it("produces and consumes an Avro record in the Confluent wire format through the registry", async () => {
    const topic = `smoke-avro-${suffix}`;
    await admin.connect();
    await admin.createTopics([{ topic, partitions: 1 }]);
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
    await producer.send(topic, [{ key: "e-1", value: payload }]);
    await producer.disconnect();

    const [message] = await readTopic(kafka, topic, (messages) => messages.length >= 1, { groupId: `smoke-${suffix}` });
    const received = message?.value as Buffer;
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
