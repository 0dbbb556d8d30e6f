/**
 * The fair baseline: the loop a competent engineer would write instead of adopting sluice. kafkajs `eachBatch` on
 * several partitions at once, avsc decode/encode in the registry wire format (magic byte, 4-byte schema id; writer
 * schemas fetched by id once and cached, the output schema registered once), each batch sent in chunks of 1 000
 * with the chunks in flight together (idempotent producer, acks all, as sluice's Kafka sink), and a batch's offsets
 * resolved only after every chunk was acknowledged, then committed. Headers, keys and timestamps are passed on.
 * Baseline only: a plain client loop by design, not product code.
 * Usage: node --import tsx ops/bench/handwritten-kafkajs.ts <input> <output> <schema.avsc> [groupId]
 */
import { readFileSync } from "node:fs";
import avsc from "avsc";
import { Kafka, logLevel, type Message } from "kafkajs";
import { endpoints } from "../../stack/config.ts";

const [input, output, schemaFile, groupId = `handwritten-${Date.now()}`] = process.argv.slice(2);
if (!input || !output || !schemaFile) throw new Error("usage: handwritten-kafkajs.ts <input> <output> <schema.avsc>");
const CHUNK = 1000;
const services = endpoints();
const registryUrl = services.schemaRegistryUrl;

async function registry(path: string, init?: RequestInit): Promise<{ id?: number; schema?: string }> {
  const response = await fetch(`${registryUrl}${path}`, {
    ...init,
    headers: { "content-type": "application/vnd.schemaregistry.v1+json" },
  });
  if (!response.ok) throw new Error(`registry ${path}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as { id?: number; schema?: string };
}

const schemaText = readFileSync(schemaFile, "utf8");
const reader = avsc.Type.forSchema(JSON.parse(schemaText));
const registered = await registry(`/subjects/${encodeURIComponent(`${output}-value`)}/versions`, {
  method: "POST",
  body: JSON.stringify({ schema: schemaText }),
});
const outHeader = Buffer.alloc(5);
outHeader.writeInt32BE(registered.id ?? 0, 1);

/** Per writer schema id: how to read its bytes into the output schema (a resolver only when they differ). */
const readers = new Map<number, (body: Buffer) => unknown>();
async function readerFor(id: number): Promise<(body: Buffer) => unknown> {
  const known = readers.get(id);
  if (known) return known;
  const writer = avsc.Type.forSchema(JSON.parse((await registry(`/schemas/ids/${id}`)).schema ?? "null"));
  const read = writer.equals(reader)
    ? (body: Buffer) => reader.fromBuffer(body)
    : (
        (resolver) => (body: Buffer) =>
          reader.fromBuffer(body, resolver)
      )(reader.createResolver(writer));
  readers.set(id, read);
  return read;
}

const kafka = new Kafka({ clientId: "handwritten-kafkajs", brokers: services.kafkaBrokers, logLevel: logLevel.ERROR });
const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 5 });
const consumer = kafka.consumer({ groupId });
await producer.connect();
await consumer.connect();
await consumer.subscribe({ topics: [input], fromBeginning: true });
await consumer.run({
  partitionsConsumedConcurrently: 6,
  eachBatchAutoResolve: false,
  autoCommitInterval: 1000,
  eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
    if (!isRunning() || isStale() || batch.messages.length === 0) return;
    const out: Message[] = [];
    for (const m of batch.messages) {
      if (m.value === null || m.value[0] !== 0) continue; // not in the wire format: a real program would dead-letter it
      const read = await readerFor(m.value.readInt32BE(1));
      out.push({
        key: m.key,
        value: Buffer.concat([outHeader, reader.toBuffer(read(m.value.subarray(5)))]),
        headers: m.headers ?? {},
        timestamp: m.timestamp,
      });
    }
    const sends = [];
    for (let i = 0; i < out.length; i += CHUNK) {
      sends.push(producer.send({ topic: output, acks: -1, messages: out.slice(i, i + CHUNK) }));
    }
    await Promise.all(sends);
    resolveOffset(batch.lastOffset());
    await commitOffsetsIfNecessary();
    await heartbeat();
  },
});

const shutdown = async () => {
  await consumer.disconnect().catch(() => {});
  await producer.disconnect().catch(() => {});
  process.exit(0);
};
process.once("SIGTERM", shutdown);
process.once("SIGINT", shutdown);
