/**
 * The reference topology (support-triage) as one `sluice run` process on the real stack: saturation throughput on
 * a pre-produced backlog, p50/p99 latency at 50 % of it, and the ratio to the slowest stage's standalone ceiling
 * (stage-ceilings.ts; the slowest measured before and after the saturation run, averaged). Writes bench/results/topology.json.
 */
import { rm } from "node:fs/promises";
import { createClient } from "@clickhouse/client";
import { migrate } from "../../analytics/migrate.ts";
import { endpoints } from "../../stack/config.ts";
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

/** Decisions in `database.agent_decisions` (FINAL: a redelivered row counts once). */
async function decisionRows(database: string): Promise<number> {
  const client = createClient({ url: endpoints().clickhouseUrl });
  try {
    const result = await client.query({
      query: `SELECT count() AS n FROM ${database}.agent_decisions FINAL`,
      format: "JSONEachRow",
    });
    return Number((await result.json<{ n: string }>())[0]?.n ?? 0);
  } finally {
    await client.close();
  }
}

async function dropDatabase(database: string): Promise<void> {
  const client = createClient({ url: endpoints().clickhouseUrl });
  await client.command({ query: `DROP DATABASE IF EXISTS ${database}` }).finally(() => client.close());
}

export async function benchTopology(s: TopologySettings) {
  const db = await knowledgeBase();
  const env = { SLUICE_KB_DB: db, SLUICE_KB_TABLE: KB_TABLE };
  // The topology's ClickHouse sinks write into a database of this run's own, dropped at the end.
  const database = `sluice_bench_${Date.now().toString(36)}`;
  await migrate(endpoints().clickhouseUrl, { database });
  try {
    const input = `bench-triage-in-${s.events}`;
    const schemaId = await ensureEvents(input, s.events);
    const stamp = Date.now().toString(36);
    // Ceilings just before the saturation run, and the slowest stage again just after it: on a noisy machine
    // the ratio compares figures measured minutes apart otherwise.
    const stages: StageCeilings = await stageCeilings(db, schemaId, s.stageRecords);
    const [slowestName, before] = Object.entries(stages.recordsPerSecond).reduce((a, b) => (b[1] < a[1] ? b : a));

    const app = `bench-triage-${stamp}`;
    const output = `${app}-out`;
    await createTopic(output, 6, LOG_APPEND_TIME);
    await createTopic(`${app}.dlq`, 1);
    let saturation: MeasuredRun;
    try {
      const launch = sluiceLaunch(app, writeTopology(app, triageYaml(app, input, output, database)), env);
      saturation = await runMeasured([launch], output, s.events, { maxSeconds: s.maxSeconds, startTimeoutMs: 180_000 });
    } finally {
      await deleteTopics([output, `${app}.dlq`]);
    }
    const clickhouseRows = await decisionRows(database);
    console.error(`topology: ${saturation.recordsPerSecond} records/s, ${clickhouseRows} decisions in ClickHouse`);
    const after = (await stageCeilings(db, schemaId, s.stageRecords, [slowestName])).recordsPerSecond[slowestName];
    const slowestRate = Math.round((before + (after ?? before)) / 2);

    const latApp = `bench-triagel-${stamp}`;
    const [latIn, latOut] = [`${latApp}-in`, `${latApp}-out`];
    await createTopic(latIn, 6);
    await createTopic(latOut, 6, LOG_APPEND_TIME);
    await createTopic(`${latApp}.dlq`, 1);
    let latency: LatencyResult;
    try {
      const running = start([
        sluiceLaunch(latApp, writeTopology(latApp, triageYaml(latApp, latIn, latOut, database)), env),
      ]);
      latency = await pacedLatency(
        latIn,
        latOut,
        eventPayloads(schemaId, 2000, 777),
        saturation.recordsPerSecond / 2,
        s.latencySeconds,
        { stop: running.stop, startTimeoutMs: 180_000, pids: running.children.map((c) => c.pid) },
      );
    } finally {
      await deleteTopics([latIn, latOut, `${latApp}.dlq`]);
    }
    console.error(`topology: p50 ${latency.p50Ms} ms, p99 ${latency.p99Ms} ms`);

    const result = {
      topology: "topologies/examples/support-triage.yaml: benchmark topics, ClickHouse tables in a database of the run",
      clickhouse: { database, decisionRowsAfterSaturationRun: clickhouseRows },
      input: { topic: input, events: s.events, partitions: 6 },
      saturation,
      latencyAtHalfSaturation: latency,
      stages,
      slowestStage: { name: slowestName, recordsPerSecond: slowestRate, before, after },
      ratios: { "topology/slowest-stage": Number((saturation.recordsPerSecond / slowestRate).toFixed(2)) },
    };
    writeResult("topology", result, { inferenceBackend: stages.backend });
    return result;
  } finally {
    await rm(db, { recursive: true, force: true });
    await dropDatabase(database);
  }
}
