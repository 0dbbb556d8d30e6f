/**
 * Avro decode → encode per second, no broker: sluice's AvroSerde (header parsed and written by hand, writer
 * types and resolvers cached per id) against @kafkajs/confluent-schema-registry's own `decode`/`encode` per
 * record. The registry is asked only while warming up. Prints JSON and writes bench/results/serde-passthrough.json.
 * Run: `npx tsx ops/bench/serde-passthrough.ts [seconds per case per round, default 2]` with SCHEMA_REGISTRY_URL
 * (default: the local stack's); `SERDE_BENCH_ONLY=decode:` runs only the cases whose name contains it.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { SchemaType } from "@kafkajs/confluent-schema-registry";
import { AvroSerde } from "../../schemas/avro-serde.ts";

const registryUrl = process.env.SCHEMA_REGISTRY_URL ?? "http://127.0.0.1:18081/apis/ccompat/v7";
const seconds = Number(process.argv[2] ?? 2);
const topic = `bench-serde-${randomBytes(3).toString("hex")}`;

/** An EnterpriseEvent-like record: a dozen fields, a nested record, a map, an optional string. */
const writer = {
  type: "record",
  name: "BenchEvent",
  namespace: "sluice.bench",
  fields: [
    { name: "eventId", type: "string" },
    { name: "tenantId", type: "string" },
    { name: "kind", type: { type: "enum", name: "Kind", symbols: ["TICKET", "PAYMENT", "LOGIN", "CHAT"] } },
    { name: "occurredAt", type: "long" },
    { name: "amount", type: "double" },
    { name: "priority", type: "int" },
    { name: "text", type: "string" },
    { name: "tags", type: { type: "array", items: "string" } },
    { name: "attributes", type: { type: "map", values: "string" } },
    {
      name: "customer",
      type: {
        type: "record",
        name: "Customer",
        fields: [
          { name: "id", type: "string" },
          { name: "tier", type: "string" },
        ],
      },
    },
    { name: "email", type: ["null", "string"], default: null },
  ],
};
/** The reader adds a defaulted field, so every decode goes through a resolver. */
const reader = { ...writer, fields: [...writer.fields, { name: "channel", type: "string", default: "web" }] };

function event(i: number) {
  return {
    eventId: `evt-${i}`,
    tenantId: `tenant-${i % 50}`,
    kind: ["TICKET", "PAYMENT", "LOGIN", "CHAT"][i % 4],
    occurredAt: 1_760_000_000_000 + i,
    amount: (i % 1000) / 7,
    priority: i % 5,
    text: `Customer ${i} reports that the invoice for order ${i * 7} was charged twice; please refund.`,
    tags: ["billing", i % 2 ? "urgent" : "normal"],
    attributes: { region: "eu-west", plan: "enterprise" },
    customer: { id: `c-${i % 997}`, tier: i % 3 ? "gold" : "silver" },
    email: i % 4 ? `user${i}@example.com` : null,
  };
}

/** Runs `batch(from, 1000)` until `seconds` pass. Each case has its own loop, so call sites stay monomorphic. */
async function measure(name: string, batch: (from: number, n: number) => Promise<void>) {
  // Warm up for a second (JIT, caches): a shorter warm-up let whichever case ran first look slowest.
  const warm = performance.now() + 1000;
  for (let from = 0; performance.now() < warm; from += 1000) await batch(from, 1000);
  let count = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(seconds * 1e9);
  while (process.hrtime.bigint() < deadline) {
    await batch(count, 1000);
    count += 1000;
  }
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  return { name, records: count, seconds: Number(elapsed.toFixed(2)), recordsPerSecond: Math.round(count / elapsed) };
}

const writerSerde = new AvroSerde({ registryUrl, schema: writer });
const inputs: Buffer[] = [];
for (let i = 0; i < 10_000; i++) inputs.push(await writerSerde.serialize(topic, event(i)));
const writerId = await writerSerde.writerSchemaId(topic);
const serde = new AvroSerde({ registryUrl, schema: reader, subject: `${topic}-out` });
const readerId = await serde.writerSchemaId(topic);
const client = serde.registry;

const sameSerde = new AvroSerde({ registryUrl, schema: writer });
const values = await Promise.all(inputs.map(async (bytes) => (await serde.deserialize(topic, bytes)).value));
const decodeOpts = { [SchemaType.AVRO]: { readerSchema: reader as never } };
type Case = [name: string, batch: (from: number, n: number) => Promise<void>];
const n = inputs.length;
const cases: Case[] = [
  [
    "decode: sluice, reader = writer",
    async (from, count) => {
      for (let i = from; i < from + count; i++) await sameSerde.deserialize(topic, inputs[i % n]!);
    },
  ],
  [
    "decode: sluice, resolved into reader schema",
    async (from, count) => {
      for (let i = from; i < from + count; i++) await serde.deserialize(topic, inputs[i % n]!);
    },
  ],
  [
    "decode: registry client, writer schema",
    async (from, count) => {
      for (let i = from; i < from + count; i++) await client.decode(inputs[i % n]!);
    },
  ],
  [
    "decode: registry client, readerSchema option",
    async (from, count) => {
      for (let i = from; i < from + count; i++) await client.decode(inputs[i % n]!, decodeOpts);
    },
  ],
  [
    "encode: sluice AvroSerde",
    async (from, count) => {
      for (let i = from; i < from + count; i++) await serde.serialize(topic, values[i % n]);
    },
  ],
  [
    "encode: registry client encode(id, value)",
    async (from, count) => {
      for (let i = from; i < from + count; i++) await client.encode(readerId, values[i % n]);
    },
  ],
  [
    "passthrough: sluice decode (resolved) + encode",
    async (from, count) => {
      for (let i = from; i < from + count; i++) {
        await serde.serialize(topic, (await serde.deserialize(topic, inputs[i % n]!)).value);
      }
    },
  ],
  [
    "passthrough: registry client, writer schema",
    async (from, count) => {
      for (let i = from; i < from + count; i++) await client.encode(writerId, await client.decode(inputs[i % n]!));
    },
  ],
];
const only = process.env.SERDE_BENCH_ONLY; // a substring of case names, to run a few in a process of their own
const selected = cases.filter(([name]) => !only || name.includes(only));
// Rounds interleave the cases so a noisy (shared) machine skews them alike; the median round is reported.
const rounds: Record<string, number[]> = {};
for (let round = 0; round < 3; round++) {
  for (const [name, batch] of selected) {
    const result = await measure(name, batch);
    rounds[name] = [...(rounds[name] ?? []), result.recordsPerSecond];
  }
}
const results = Object.entries(rounds).map(([name, perRound]) => ({
  name,
  recordsPerSecond: [...perRound].sort((a, b) => a - b)[1],
  rounds: perRound,
}));
const report = {
  bench: "serde-passthrough",
  node: process.version,
  avgInputBytes: Math.round(inputs.reduce((n, b) => n + b.length, 0) / inputs.length),
  results,
};
console.log(JSON.stringify(report, null, 2));
mkdirSync("bench/results", { recursive: true });
writeFileSync("bench/results/serde-passthrough.json", `${JSON.stringify(report, null, 2)}\n`);
