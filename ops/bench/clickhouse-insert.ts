/**
 * Rows/s into ClickHouse through the sink at INSERT batches of 1k, 10k and 50k rows: JSONEachRow (baseline)
 * vs TabSeparated (the alternative: @clickhouse/client has no RowBinary insert). Prints JSON and writes
 * bench/results/clickhouse-insert.json.
 * Run: `npx tsx ops/bench/clickhouse-insert.ts [rows=200000]` (CLICKHOUSE_URL, default the local stack's).
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { createClient } from "@clickhouse/client";
import { migrate } from "../../analytics/migrate.ts";
import { ClickHouseSink, clickhouseSinkConfig } from "../../sinks/clickhouse.ts";
import type { InsertFormat } from "../../sinks/clickhouse-rows.ts";
import { decisionRecords } from "../clickhouse/sample-decisions.ts";

const total = Number(process.argv[2] ?? 200_000);
const url = process.env.CLICKHOUSE_URL ?? "http://127.0.0.1:28123";
const database = `bench_${randomBytes(3).toString("hex")}`;
const partitions = 4;

async function run(format: InsertFormat, batch: number) {
  const sink = new ClickHouseSink({
    name: "bench",
    config: clickhouseSinkConfig.parse({
      table: "agent_decisions",
      maxRows: batch,
      maxWaitMs: 50,
      maxInFlightInserts: 2,
    }),
    runId: `bench-${format}-${batch}`,
    url,
    database,
    format,
    maxBufferedRows: batch * 4,
  });
  await sink.start();
  const perPartition = total / partitions;
  // Records are built before timing: the figure is mapping + encoding + INSERT, what the sink itself costs.
  const records = Array.from({ length: partitions }, (_, p) => decisionRecords("bench", p, 0, perPartition));
  const started = performance.now();
  await Promise.all(
    records.map(async (list) => {
      const inFlight: Promise<void>[] = [];
      for (let i = 0; i < list.length; i += 1000) inFlight.push(sink.write(list.slice(i, i + 1000)));
      await Promise.all(inFlight);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await sink.close();
  return {
    format,
    batchRows: batch,
    rows: total,
    seconds: Number(seconds.toFixed(2)),
    rowsPerSecond: Math.round(total / seconds),
  };
}

await migrate(url, { database });
const results = [];
for (const batch of [1_000, 10_000, 50_000]) {
  for (const format of ["JSONEachRow", "TabSeparated"] as const) results.push(await run(format, batch));
}
const admin = createClient({ url });
const server = await (await admin.query({ query: "SELECT version() AS v", format: "JSONEachRow" })).json<{
  v: string;
}>();
await admin.command({ query: `DROP DATABASE IF EXISTS ${database}` });
await admin.close();
const report = { bench: "clickhouse-insert", server: server[0]?.v, rowsPerRun: total, maxInFlightInserts: 2, results };
console.log(JSON.stringify(report, null, 2));
mkdirSync("bench/results", { recursive: true });
writeFileSync("bench/results/clickhouse-insert.json", `${JSON.stringify(report, null, 2)}\n`);
