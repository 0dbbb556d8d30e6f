/**
 * Exactly-once producer layout: one transactional producer per task (per input partition: each commits its
 * own outputs + offsets) vs one per process (all tasks share one transaction). Baseline: the idempotent
 * at-least-once producer. Prints JSON and writes bench/results/kafka-txn-producer.json.
 * Run: `npx tsx ops/bench/kafka-txn-producer.ts [partitions=6] [recordsPerPartition=20000] [recordsPerTxnPerPartition=500]`
 * (KAFKA_BROKERS, default the local stack's 127.0.0.1:19092).
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { Kafka, logLevel } from "kafkajs";
import type { OutgoingMessage as Message } from "../../core/kafka.ts";
import { KafkajsClient } from "../../topologies/runtime/kafka/kafkajs-client.ts";

const [partitions, perPartition, perTxn] = [6, 20_000, 500].map((d, i) => Number(process.argv[2 + i] ?? d)) as [
  number,
  number,
  number,
];
const brokers = (process.env.KAFKA_BROKERS ?? "127.0.0.1:19092").split(",");
const kafka = new Kafka({ clientId: "bench-txn", brokers, logLevel: logLevel.NOTHING });
const client = new KafkajsClient(kafka);
const run = randomBytes(3).toString("hex");
const input = `bench-txn-in-${run}`;
const value = Buffer.alloc(200, 120);

function messages(partition: number, from: number, count: number): Message[] {
  return Array.from({ length: count }, (_, i) => ({ key: `k-${from + i}`, value, partition }));
}

async function timed(name: string, body: (out: string) => Promise<number>) {
  const out = `bench-txn-out-${run}-${name}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: out, numPartitions: partitions }], waitForLeaders: true });
  await admin.disconnect();
  const start = performance.now();
  const transactions = await body(out);
  const seconds = (performance.now() - start) / 1000;
  const records = partitions * perPartition;
  return {
    name,
    records,
    transactions,
    seconds: Number(seconds.toFixed(2)),
    recordsPerSecond: Math.round(records / seconds),
  };
}

/** Each task: begin → send its partition's batch → sendOffsets(its partition) → commit, all tasks concurrently. */
async function perTask(out: string): Promise<number> {
  const producers = Array.from({ length: partitions }, (_, p) =>
    client.transactionalProducer(`bench-${run}-task-${p}`),
  );
  await Promise.all(producers.map((producer) => producer.connect()));
  let transactions = 0;
  await Promise.all(
    producers.map(async (producer, p) => {
      for (let sent = 0; sent < perPartition; sent += perTxn) {
        await producer.begin();
        await producer.send(out, messages(p, sent, perTxn));
        await producer.sendOffsets(`bench-${run}`, [{ topic: input, partition: p, offset: sent + perTxn }]);
        await producer.commit();
        transactions++;
      }
    }),
  );
  await Promise.all(producers.map((producer) => producer.disconnect()));
  return transactions;
}

/** One producer: each transaction carries every task's batch and every partition's offset. */
async function perProcess(out: string): Promise<number> {
  const producer = client.transactionalProducer(`bench-${run}-process`);
  await producer.connect();
  let transactions = 0;
  for (let sent = 0; sent < perPartition; sent += perTxn) {
    await producer.begin();
    const all = Array.from({ length: partitions }, (_, p) => messages(p, sent, perTxn)).flat();
    await producer.send(out, all);
    const offsets = Array.from({ length: partitions }, (_, p) => ({
      topic: input,
      partition: p,
      offset: sent + perTxn,
    }));
    await producer.sendOffsets(`bench-${run}`, offsets);
    await producer.commit();
    transactions++;
  }
  await producer.disconnect();
  return transactions;
}

/** At-least-once baseline: one idempotent producer, tasks sending concurrently. */
async function idempotent(out: string): Promise<number> {
  const producer = client.producer();
  await producer.connect();
  await Promise.all(
    Array.from({ length: partitions }, async (_, p) => {
      for (let sent = 0; sent < perPartition; sent += perTxn) {
        await producer.send(out, messages(p, sent, perTxn));
      }
    }),
  );
  await producer.disconnect();
  return 0;
}

const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic: input, numPartitions: partitions }], waitForLeaders: true });
const results = [];
try {
  for (const [name, body] of [
    ["idempotent-per-process", idempotent],
    ["txn-per-task", perTask],
    ["txn-per-process", perProcess],
    ["txn-per-task-2", perTask],
    ["txn-per-process-2", perProcess],
  ] as const) {
    results.push(await timed(name, body));
  }
} finally {
  const topics = (await admin.listTopics()).filter((topic) => topic.includes(run));
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
}
const report = { bench: "kafka-txn-producer", partitions, perPartition, perTxnPerPartition: perTxn, results };
console.log(JSON.stringify(report, null, 2));
mkdirSync("bench/results", { recursive: true });
writeFileSync("bench/results/kafka-txn-producer.json", `${JSON.stringify(report, null, 2)}\n`);
