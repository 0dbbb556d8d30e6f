/**
 * The Kafka sink and the transactional producer against the real broker and registry: records land with their
 * key, Avro value and lineage headers after the ack; transactions commit outputs with consumed offsets and
 * aborted outputs stay invisible to `read_committed`; a second producer with the same id fences the first.
 * Needs the local stack (test/global-setup.ts).
 */
import { createServer } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { BatchError, ConfigError, PoisonRecordError, ProducerFencedError, TransientError } from "../../core/errors.ts";
import { StreamRecord } from "../../processors/api.ts";
import { AvroSerde } from "../../schemas/avro-serde.ts";
import { StringSerde } from "../../schemas/string-serde.ts";
import { KafkaSink } from "../../sinks/kafka.ts";
import { createTopics, deleteTopics, headerText, readTopic, testKafka } from "../helpers/kafka.ts";
import { services, uniqueName } from "../helpers/services.ts";

const kafka = testKafka("kafka-sink-test");
const client = kafka;
const registryUrl = services().schemaRegistryUrl;
const created: string[] = [];
const schema = {
  type: "record",
  name: "Decision",
  namespace: "sluice.test",
  fields: [
    { name: "eventId", type: "string" },
    { name: "action", type: "string" },
  ],
};

async function topic(partitions = 1): Promise<string> {
  const name = uniqueName("sink");
  await createTopics(kafka, [name], partitions);
  created.push(name);
  return name;
}

function record(key: string | null, value: unknown, offset: number, headers = {}): StreamRecord {
  return new StreamRecord(key, value, headers, 1_700_000_000_000 + offset, { topic: "events", partition: 4, offset });
}

afterAll(async () => {
  await deleteTopics(kafka, created);
});

describe("KafkaSink", () => {
  it("writes keyed Avro records with lineage headers, resolving after the broker ack", async () => {
    const out = await topic(3);
    const serde = new AvroSerde({ registryUrl, schema });
    const sink = new KafkaSink({ name: "decisions", topic: out, kafka: client, valueSerde: serde, runId: "live" });
    await sink.start();
    const records = Array.from({ length: 30 }, (_, i) =>
      record(`tenant-${i % 4}`, { eventId: `e-${i}`, action: "escalate" }, 100 + i, { trace: "t-1" }),
    );
    await sink.write(records);
    await sink.close();

    const read = await readTopic(kafka, out, (messages) => messages.length >= 30);
    expect(read).toHaveLength(30);
    const byKey = new Map<string, Set<number>>();
    for (const message of read) {
      const key = message.key!.toString();
      byKey.set(key, (byKey.get(key) ?? new Set()).add(message.partition));
      const { value } = await serde.deserialize(out, message.value!);
      const i = Number((value as { eventId: string }).eventId.slice(2));
      expect(key).toBe(`tenant-${i % 4}`);
      expect(message.value![0]).toBe(0);
      expect(headerText(message.headers, "sluice-source-topic")).toBe("events");
      expect(headerText(message.headers, "sluice-source-partition")).toBe("4");
      expect(headerText(message.headers, "sluice-source-offset")).toBe(String(100 + i));
      expect(headerText(message.headers, "sluice-run-id")).toBe("live");
      expect(headerText(message.headers, "trace")).toBe("t-1");
      expect(message.timestamp).toBe(1_700_000_000_100 + i);
    }
    expect(byKey.size).toBe(4);
    for (const partitions of byKey.values()) expect(partitions.size).toBe(1); // one key, one partition
  });

  it("writes the good records of a batch and names the ones it could not encode", async () => {
    const out = await topic();
    const sink = new KafkaSink({ name: "s", topic: out, kafka: client, valueSerde: new StringSerde(), runId: "r1" });
    await sink.start();
    const error = await sink
      .write([record("a", "first", 1), record("b", 42, 2), record(null, "third", 3)])
      .catch((e: unknown) => e);
    await sink.close();
    expect(error).toBeInstanceOf(BatchError);
    expect([...(error as BatchError).failures.keys()]).toEqual([1]);
    expect((error as BatchError).failures.get(1)).toBeInstanceOf(PoisonRecordError);
    const read = await readTopic(kafka, out, (messages) => messages.length >= 2);
    expect(read.map((m) => [m.key?.toString() ?? null, m.value?.toString()])).toEqual([
      ["a", "first"],
      [null, "third"],
    ]);
  });

  it("reports an unreachable broker as transient", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    const nowhere = testKafka("kafka-sink-test", {
      brokers: [`127.0.0.1:${port}`],
      retry: { retries: 1, initialRetryTimeMs: 50, maxRetryTimeMs: 30_000 },
    });
    const sink = new KafkaSink({
      name: "s",
      topic: "t",
      kafka: nowhere,
      valueSerde: new StringSerde(),
      runId: "r",
    });
    await expect(sink.start()).rejects.toBeInstanceOf(TransientError);
    await expect(sink.write([record("k", "v", 1)])).rejects.toBeInstanceOf(TransientError);
    expect(sink.isHealthy()).toBe(false);
    await sink.close();
  });

  it("refuses to start when its topic does not exist", async () => {
    const sink = new KafkaSink({
      name: "s",
      topic: uniqueName("missing"),
      kafka: client,
      valueSerde: new StringSerde(),
      runId: "r",
    });
    await expect(sink.start()).rejects.toBeInstanceOf(ConfigError);
    await sink.close();
  });
});

describe("TransactionalProducer", () => {
  it("commits outputs with consumed offsets; aborted outputs stay invisible to read_committed", async () => {
    const [input, out] = [await topic(), await topic()];
    const group = uniqueName("app");
    const txn = kafka.transactionalProducer(`${group}-${input}-0`);
    await txn.connect();
    const sink = new KafkaSink({
      name: "s",
      topic: out,
      kafka: client,
      valueSerde: new StringSerde(),
      runId: "live",
      producer: txn,
    });
    try {
      await txn.begin();
      await sink.write([record("k", "committed-1", 0), record("k", "committed-2", 1)]);
      await txn.sendOffsets(group, [{ topic: input, partition: 0, offset: 2 }]);
      await txn.commit();

      await txn.begin();
      await sink.write([record("k", "aborted", 2)]);
      await txn.abort();

      await txn.begin();
      await sink.write([record("k", "committed-3", 2)]);
      await txn.commit();
    } finally {
      await txn.disconnect();
    }
    const committed = await readTopic(kafka, out, (m) => m.some((x) => x.value?.toString() === "committed-3"));
    expect(committed.map((m) => m.value?.toString())).toEqual(["committed-1", "committed-2", "committed-3"]);
    const uncommitted = await readTopic(kafka, out, (m) => m.length >= 4, { readUncommitted: true });
    expect(uncommitted.map((m) => m.value?.toString())).toContain("aborted");

    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.groupOffsets(group, [input]);
    await admin.disconnect();
    expect(offsets).toEqual(new Map([[`${input}:0`, 2]]));
  });

  it("fences a zombie: a new producer with the same transactional id makes the old one's commit fail", async () => {
    const out = await topic();
    const id = uniqueName("txn");
    const zombie = kafka.transactionalProducer(id);
    const successor = kafka.transactionalProducer(id);
    try {
      await zombie.connect();
      await zombie.begin();
      await zombie.send(out, [{ key: null, value: "from-zombie" }]);
      await successor.connect();
      await successor.begin(); // InitProducerId bumps the epoch and aborts the zombie's open transaction
      await successor.send(out, [{ key: null, value: "from-successor" }]);
      await successor.commit();
      await expect(zombie.commit()).rejects.toBeInstanceOf(ProducerFencedError);
    } finally {
      await zombie.disconnect().catch(() => undefined);
      await successor.disconnect();
    }
    const read = await readTopic(kafka, out, (m) => m.length >= 1);
    expect(read.map((m) => m.value?.toString())).toEqual(["from-successor"]);
  });
});
