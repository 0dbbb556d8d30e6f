/**
 * `node --import tsx ops/bench/state-count.ts [--records 1000000] [--keys 100000]`: a count-by-key topology
 * (issue 14) on sluice against Kafka Streams' `groupByKey().count()` on the same broker and the same input, one
 * process each (one stream thread). Both keep the counts in their store with a changelog, emit every update
 * (Kafka Streams' record cache off) and commit every second, so each input record gives one output record;
 * throughput is output records per second from the first output to the last, as in the passthrough bench.
 * Writes bench/results/state-count.json with the ratio sluice / Kafka Streams (target ≥ 0.5).
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { endpoints } from "../../stack/config.ts";
import { writeTopology } from "./lib/group-run.ts";
import { BASELINE_JAR, buildBaseline } from "./lib/java.ts";
import { type Launch, type MeasuredRun, runMeasured, sluiceLaunch } from "./lib/processes.ts";
import { writeResult } from "./lib/results.ts";
import { benchClient, createTopic, deleteTopics } from "./lib/topics.ts";

const { values } = parseArgs({
  options: { records: { type: "string", default: "1000000" }, keys: { type: "string", default: "100000" } },
});
const records = Number(values.records);
const keys = Number(values.keys);
const stamp = Date.now().toString(36);
const input = `bench-count-in-${stamp}`;

async function produceInput(): Promise<number> {
  await createTopic(input, 6);
  const producer = benchClient().producer(); // idempotent, acks all, as before
  await producer.connect();
  const started = performance.now();
  const value = Buffer.alloc(100, 120);
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < records; i += 10_000) {
    const messages = [];
    for (let j = i; j < Math.min(records, i + 10_000); j++) messages.push({ key: `user-${j % keys}`, value });
    sends.push(producer.send(input, messages));
    if (sends.length >= 4) await sends.shift();
  }
  await Promise.all(sends);
  await producer.disconnect();
  return (performance.now() - started) / 1000;
}

function sluiceCount(app: string, output: string): Launch {
  const file = writeTopology(
    app,
    `applicationId: ${app}
kafka:
  brokers: ${endpoints().kafkaBrokers.join(",")}
processing:
  commitIntervalMs: 1000
  stateDir: /tmp/sluice-bench-state/${app}
sources:
  - name: events
    topic: ${input}
    value: { format: string }
processors:
  - name: counts
    type: count
    from: events
    count: { emit: update }
sinks:
  - name: out
    type: kafka
    from: counts
    kafka: { topic: ${output}, value: { format: json } }
`,
  );
  return sluiceLaunch(app, file);
}

function kafkaStreamsCount(app: string, output: string): Launch {
  return {
    name: app,
    command: "java",
    args: ["-cp", BASELINE_JAR, "sluice.bench.CountByKey"],
    env: {
      BENCH_APP_ID: app,
      BENCH_INPUT: input,
      BENCH_OUTPUT: output,
      KAFKA_BROKERS: endpoints().kafkaBrokers.join(","),
    },
  };
}

async function measure(system: "sluice" | "kafka-streams"): Promise<MeasuredRun> {
  const app = `bench-count-${system}-${stamp}`;
  const output = `${app}-out`;
  await createTopic(output, 6);
  const extra = system === "sluice" ? [`${app}.dlq`, `${app}-counts-changelog`] : [];
  if (system === "sluice") await createTopic(`${app}.dlq`, 1);
  try {
    const launch = system === "sluice" ? sluiceCount(app, output) : kafkaStreamsCount(app, output);
    const run = await runMeasured([launch], output, records, { maxSeconds: 240 });
    console.error(`count-by-key ${system}: ${run.recordsPerSecond} records/s, ${run.cpuSecondsPer1000} CPU-s/1000`);
    return run;
  } finally {
    await deleteTopics([output, ...extra]);
  }
}

const buildSeconds = await buildBaseline();
const produceSeconds = await produceInput();
const sluice = await measure("sluice");
const kafkaStreams = await measure("kafka-streams");
await deleteTopics([input]);
const ratio = Number((sluice.recordsPerSecond / kafkaStreams.recordsPerSecond).toFixed(3));
const file = writeResult("state-count", {
  what: `count by key of ${records} records over ${keys} keys on 6 partitions, one process each, every update emitted`,
  records,
  keys,
  sluice,
  kafkaStreams,
  throughputRatio: ratio,
  target: 0.5,
  cpuRatio: Number((sluice.cpuSecondsPer1000 / kafkaStreams.cpuSecondsPer1000).toFixed(2)),
  produceSeconds: Number(produceSeconds.toFixed(1)),
  baselineBuildSeconds: buildSeconds,
  note: `stateDir under ${join("/tmp", "sluice-bench-state")}; Kafka Streams: RocksDB, statestore.cache.max.bytes=0`,
});
console.log(JSON.stringify({ file, throughputRatio: ratio }));
