/**
 * Passthrough (Avro decode → Avro encode → Kafka) on one broker and one data set: sluice, the hand-written
 * kafkajs loop (the fair baseline), the naive kafkajs loop and Kafka Streams, each for throughput on the
 * pre-produced backlog and for latency at 50 % of its own saturation; sluice and Kafka Streams also at 50 % and
 * 10 % of sluice's saturation; kafkajs's consume and produce floors; the broker's ceiling from Kafka's perf tools.
 * Writes bench/results/passthrough.json.
 */
import { join } from "node:path";
import { endpoints } from "../../stack/config.ts";
import { REPO_ROOT } from "../repo-root.ts";
import { clientFloors } from "./lib/floors.ts";
import { writeTopology } from "./lib/group-run.ts";
import { buildBaseline, consumerPerformance, kafkaStreamsLaunch, producerPerformance } from "./lib/java.ts";
import { type LatencyResult, pacedLatency } from "./lib/latency.ts";
import { passthroughRatios } from "./lib/passthrough-ratios.ts";
import { type Launch, type MeasuredRun, runMeasured, sluiceLaunch, start } from "./lib/processes.ts";
import { writeResult } from "./lib/results.ts";
import {
  createTopic,
  deleteTopics,
  ensureInput,
  LOG_APPEND_TIME,
  ORDER_SCHEMA_FILE,
  orderPayloads,
} from "./lib/topics.ts";

export interface PassthroughSettings {
  records: number;
  /** Time limit of the naive loop's backlog run (it is far slower; its rate is steady well before). */
  naiveMaxSeconds: number;
  latencySeconds: number;
}

export type SystemName = "sluice" | "kafkajs-handwritten" | "kafkajs-naive" | "kafka-streams";
export interface SystemResult {
  system: SystemName;
  throughput: MeasuredRun;
  latency: LatencyResult;
}

export function passthroughYaml(app: string, input: string, output: string): string {
  const services = endpoints();
  return `applicationId: ${app}
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
`;
}

/** How to start `system` on input → output; the topics it needs besides those two. */
function launchFor(
  system: SystemName,
  app: string,
  input: string,
  output: string,
): { launch: Launch; extra: string[] } {
  if (system === "sluice")
    return {
      launch: sluiceLaunch(app, writeTopology(app, passthroughYaml(app, input, output))),
      extra: [`${app}.dlq`],
    };
  if (system === "kafka-streams")
    return { launch: kafkaStreamsLaunch(app, input, output, ORDER_SCHEMA_FILE), extra: [] };
  const program = system === "kafkajs-naive" ? "naive-kafkajs.ts" : "handwritten-kafkajs.ts";
  const args = ["--import", "tsx", join(REPO_ROOT, "ops/bench", program), input, output, ORDER_SCHEMA_FILE, app];
  return { launch: { name: app, command: "node", args }, extra: [] };
}

async function measureSystem(system: SystemName, input: string, schemaId: number, s: PassthroughSettings) {
  const stamp = Date.now().toString(36);
  // Throughput: the whole pre-produced backlog (the naive loop: until its time limit).
  const app = `bench-pt-${system}-${stamp}`;
  const output = `${app}-out`;
  const { launch, extra } = launchFor(system, app, input, output);
  await createTopic(output, 6, LOG_APPEND_TIME);
  for (const topic of extra) await createTopic(topic, 1);
  let throughput: MeasuredRun;
  try {
    const maxSeconds = system === "kafkajs-naive" ? s.naiveMaxSeconds : undefined;
    throughput = await runMeasured([launch], output, s.records, { ...(maxSeconds ? { maxSeconds } : {}) });
  } finally {
    await deleteTopics([output, ...extra]);
  }
  console.error(`passthrough ${system}: ${throughput.recordsPerSecond} records/s`);

  const latency = await latencyRun(
    system,
    `bench-ptl-${system}-${stamp}`,
    schemaId,
    throughput.recordsPerSecond / 2,
    s,
  );
  console.error(`passthrough ${system}: p50 ${latency.p50Ms} ms, p99 ${latency.p99Ms} ms`);
  return { system, throughput, latency };
}

/** Latency of `system` on a fresh input paced at `rate`. */
async function latencyRun(system: SystemName, app: string, schemaId: number, rate: number, s: PassthroughSettings) {
  const [input, output] = [`${app}-in`, `${app}-out`];
  const lat = launchFor(system, app, input, output);
  await createTopic(input, 6);
  await createTopic(output, 6, LOG_APPEND_TIME);
  for (const topic of lat.extra) await createTopic(topic, 1);
  try {
    const running = start([lat.launch]);
    return await pacedLatency(input, output, orderPayloads(schemaId, 0, 5000), rate, s.latencySeconds, {
      stop: running.stop,
      pids: running.children.map((c) => c.pid),
    });
  } finally {
    await deleteTopics([input, output, ...lat.extra]);
  }
}

export async function benchPassthrough(s: PassthroughSettings) {
  const input = `bench-pt-in-${s.records}`;
  const schemaId = await ensureInput(input, s.records);
  const buildSeconds = await buildBaseline();
  const recordSize = orderPayloads(schemaId, 0, 1)[0]?.value.length ?? 300;

  const systems: SystemResult[] = [];
  for (const system of ["sluice", "kafka-streams", "kafkajs-handwritten", "kafkajs-naive"] as const) {
    systems.push(await measureSystem(system, input, schemaId, s));
  }
  // Kafka Streams again at sluice's paced rate: the same load for both, since half of each one's own
  // saturation differs several-fold (the naive loop cannot sustain that rate at all).
  const sluiceRate = systems[0]?.throughput.recordsPerSecond ?? 0;
  const paced = async (system: SystemName, fraction: number) => {
    const app = `bench-ptl-${system}-at${fraction * 100}-${Date.now().toString(36)}`;
    const r = await latencyRun(system, app, schemaId, sluiceRate * fraction, s);
    console.error(`passthrough ${system} at ${r.ratePerSecond}/s: p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms`);
    return r;
  };
  const streamsAtSluiceRate = await paced("kafka-streams", 0.5);
  // At 10 % of sluice's saturation nothing should queue: what is left is the runtime's own latency.
  const atTenPercent = { sluice: await paced("sluice", 0.1), kafkaStreams: await paced("kafka-streams", 0.1) };
  // The bare client under all three Node programs: consume alone, produce alone.
  const kafkajsFloors = await clientFloors("kafkajs.ts", input, s.records, schemaId);
  // The broker's ceiling: consuming the same backlog, and producing as many records of the same size (acks=all).
  const perfTopic = `bench-pt-producer-perf-${Date.now().toString(36)}`;
  await createTopic(perfTopic, 6);
  // At least 200k records: fewer mostly measure the JVM warming up.
  const producer = await producerPerformance(perfTopic, Math.max(s.records, 200_000), recordSize).finally(() =>
    deleteTopics([perfTopic]),
  );
  const consumer = await consumerPerformance(input, s.records);
  const ceiling = Math.min(producer.recordsPerSecond, consumer.recordsPerSecond);
  console.error(`broker: produce ${producer.recordsPerSecond}/s, consume ${consumer.recordsPerSecond}/s`);

  const ratios = passthroughRatios(systems, streamsAtSluiceRate, kafkajsFloors, ceiling);
  const result = {
    input: { topic: input, records: s.records, partitions: 6, recordBytes: recordSize },
    method:
      "throughput: output-topic growth from first output to the end of the backlog, one process each; " +
      "latency: paced input at 50% of the system's own throughput, output LogAppendTime − input CreateTime",
    kafkaStreamsBuildSeconds: buildSeconds,
    systems,
    kafkaStreamsLatencyAtSluiceRate: streamsAtSluiceRate,
    latencyAtTenPercentOfSluice: atTenPercent,
    kafkajsFloors,
    broker: { producerPerformance: producer, consumerPerformance: consumer, ceilingRecordsPerSecond: ceiling },
    ratios,
  };
  writeResult("passthrough", result);
  return result;
}
