/**
 * The reference topology (support-triage) as one `sluice run` process on the real stack: saturation throughput on
 * a pre-produced backlog, p50/p99 latency at 50 % of it, and the ratio to the slowest stage's standalone ceiling
 * (stage-ceilings.ts). Writes bench/results/topology.json.
 */
import { rm } from "node:fs/promises";
import { writeTopology } from "./lib/group-run.ts";
import { type LatencyResult, pacedLatency } from "./lib/latency.ts";
import { type MeasuredRun, runMeasured, sluiceLaunch, start } from "./lib/processes.ts";
import { writeResult } from "./lib/results.ts";
import { createTopic, deleteTopics, LOG_APPEND_TIME } from "./lib/topics.ts";
import { ensureEvents, eventPayloads, KB_TABLE, knowledgeBase, triageYaml } from "./lib/triage.ts";
import { type StageCeilings, stageCeilings } from "./stage-ceilings.ts";

export interface TopologySettings {
  /** Events in the backlog for the saturation run. */
  events: number;
  /** Limit of the saturation run once outputs flow. */
  maxSeconds: number;
  latencySeconds: number;
  /** Records per stage for the standalone ceilings. */
  stageRecords: number;
}

export async function benchTopology(s: TopologySettings) {
  const db = await knowledgeBase();
  const env = { SLUICE_KB_DB: db, SLUICE_KB_TABLE: KB_TABLE };
  try {
    const input = `bench-triage-in-${s.events}`;
    const schemaId = await ensureEvents(input, s.events);
    const stamp = Date.now().toString(36);

    const app = `bench-triage-${stamp}`;
    const output = `${app}-out`;
    await createTopic(output, 6, LOG_APPEND_TIME);
    await createTopic(`${app}.dlq`, 1);
    let saturation: MeasuredRun;
    try {
      const launch = sluiceLaunch(app, writeTopology(app, triageYaml(app, input, output)), env);
      saturation = await runMeasured([launch], output, s.events, { maxSeconds: s.maxSeconds, startTimeoutMs: 180_000 });
    } finally {
      await deleteTopics([output, `${app}.dlq`]);
    }
    console.error(`topology: ${saturation.recordsPerSecond} records/s`);

    const latApp = `bench-triagel-${stamp}`;
    const [latIn, latOut] = [`${latApp}-in`, `${latApp}-out`];
    await createTopic(latIn, 6);
    await createTopic(latOut, 6, LOG_APPEND_TIME);
    await createTopic(`${latApp}.dlq`, 1);
    let latency: LatencyResult;
    try {
      const running = start([sluiceLaunch(latApp, writeTopology(latApp, triageYaml(latApp, latIn, latOut)), env)]);
      latency = await pacedLatency(
        latIn,
        latOut,
        eventPayloads(schemaId, 2000, 777),
        saturation.recordsPerSecond / 2,
        s.latencySeconds,
        { stop: running.stop, startTimeoutMs: 180_000 },
      );
    } finally {
      await deleteTopics([latIn, latOut, `${latApp}.dlq`]);
    }
    console.error(`topology: p50 ${latency.p50Ms} ms, p99 ${latency.p99Ms} ms`);

    const stages: StageCeilings = await stageCeilings(db, schemaId, s.stageRecords);
    const [slowestName, slowestRate] = Object.entries(stages.recordsPerSecond).reduce((a, b) => (b[1] < a[1] ? b : a));
    const result = {
      topology:
        "topologies/examples/support-triage.yaml (Kafka sink to a benchmark topic; ClickHouse sink measured apart)",
      input: { topic: input, events: s.events, partitions: 6 },
      saturation,
      latencyAtHalfSaturation: latency,
      stages,
      slowestStage: { name: slowestName, recordsPerSecond: slowestRate },
      ratios: { "topology/slowest-stage": Number((saturation.recordsPerSecond / slowestRate).toFixed(2)) },
    };
    writeResult("topology", result, { inferenceBackend: stages.backend });
    return result;
  } finally {
    await rm(db, { recursive: true, force: true });
  }
}
