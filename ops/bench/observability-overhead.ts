/**
 * What metrics and tracing cost: sluice passthrough (Avro decode → encode → Kafka sink, one process) with
 * Prometheus metrics and OpenTelemetry tracing on (the default, no OTel SDK) against both off
 * (`SLUICE_METRICS=off SLUICE_TRACING=off --metrics-port 0`), runs interleaved, best of each.
 * Usage: node --import tsx ops/bench/observability-overhead.ts [records=200000] [rounds=2]
 */
import { endpoints } from "../../stack/config.ts";
import { runGroup, writeTopology } from "./lib/group-run.ts";
import { writeResult } from "./lib/results.ts";
import { ensureInput, ORDER_SCHEMA_FILE, recreateTopics } from "./lib/topics.ts";

const records = Number(process.argv[2] ?? 200_000);
const rounds = Number(process.argv[3] ?? 2);
const input = `bench-pt-in-${records}`;
const services = endpoints();
await ensureInput(input, records);

const variants = {
  on: {},
  off: { SLUICE_METRICS: "off", SLUICE_TRACING: "off", SLUICE_METRICS_PORT: "0" },
} as const;
const results: Record<string, number[]> = { on: [], off: [] };
for (let round = 0; round < rounds; round++) {
  for (const [name, env] of Object.entries(variants)) {
    const app = `bench-obs-${name}-${Date.now()}`;
    await recreateTopics([
      { topic: `${app}-out`, partitions: 6 },
      { topic: `${app}.dlq`, partitions: 1 },
    ]);
    const file = writeTopology(
      app,
      `applicationId: ${app}
kafka: { brokers: "${services.kafkaBrokers.join(",")}" }
schemaRegistry: { url: "${services.schemaRegistryUrl}" }
sources: [{ name: in, topic: ${input}, value: { format: avro, schema: ${ORDER_SCHEMA_FILE} } }]
sinks: [{ name: out, type: kafka, from: in, kafka: { topic: ${app}-out, value: { format: avro, schema: ${ORDER_SCHEMA_FILE} } } }]
`,
    );
    const run = await runGroup(file, `${app}-out`, records, 1, { env });
    results[name]?.push(run.recordsPerSecond);
    console.log(
      JSON.stringify({
        variant: name,
        round,
        recordsPerSecond: run.recordsPerSecond,
        cpuSecondsPer1000: run.cpuSecondsPer1000,
      }),
    );
  }
}
const best = (xs: number[]) => Math.max(...xs);
const cost = 1 - best(results.on ?? []) / best(results.off ?? []);
const path = writeResult("observability-overhead", {
  records,
  rounds,
  recordsPerSecond: { metricsAndTracingOn: results.on, off: results.off },
  throughputCostPercent: Number((cost * 100).toFixed(1)),
});
console.log(
  `metrics + tracing cost ${(cost * 100).toFixed(1)}% of passthrough throughput (best of ${rounds}); wrote ${path}`,
);
