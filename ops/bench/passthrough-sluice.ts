/**
 * Passthrough throughput of sluice (Avro decode → Avro encode → Kafka sink) with 1 and 3 processes on a
 * pre-produced 6-partition topic, plus peak RSS and CPU-seconds per 1 000 records.
 * Usage: node --import tsx ops/bench/passthrough-sluice.ts [records=200000] [instances=1,3]
 */
import { endpoints } from "../stack/config.ts";
import { runGroup, writeTopology } from "./lib/group-run.ts";
import { writeResult } from "./lib/results.ts";
import { ensureInput, ORDER_SCHEMA_FILE, recreateTopics } from "./lib/topics.ts";

const records = Number(process.argv[2] ?? 200_000);
const instanceCounts = (process.argv[3] ?? "1,3").split(",").map(Number);
const input = `bench-pt-in-${records}`;
const services = endpoints();

await ensureInput(input, records);
const runs = [];
for (const instances of instanceCounts) {
  const app = `bench-pt-${instances}-${Date.now()}`;
  const output = `${app}-out`;
  await recreateTopics([
    { topic: output, partitions: 6 },
    { topic: `${app}.dlq`, partitions: 1 },
  ]);
  const file = writeTopology(
    app,
    `applicationId: ${app}
kafka: { brokers: "${services.kafkaBrokers.join(",")}" }
schemaRegistry: { url: "${services.schemaRegistryUrl}" }
sources:
  - name: in
    topic: ${input}
    value: { format: avro, schema: ${ORDER_SCHEMA_FILE} }
sinks:
  - name: out
    type: kafka
    from: in
    kafka: { topic: ${output}, value: { format: avro, schema: ${ORDER_SCHEMA_FILE} } }
`,
  );
  const result = await runGroup(file, output, records, instances);
  console.log(JSON.stringify(result));
  runs.push(result);
}
const path = writeResult("passthrough-sluice", { records, partitions: 6, runs });
console.log(`wrote ${path}`);
