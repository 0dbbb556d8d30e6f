/**
 * The ClickHouse sink under faults, through `sluice run` processes on the real broker and ClickHouse: 200 000
 * decisions land exactly once per lineage key (count() FINAL = uniqExact(lineage key) = 200 000) when
 * ClickHouse is stopped for 60 s mid-run (the stall shows in pipeline_metrics), when a process is killed between
 * an insert's acknowledgement and the offset commit, and when a process is paused past the session timeout
 * while the others take its partitions. Needs the local stack; starts a private ClickHouse for the outage.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@clickhouse/client";
import { afterAll, describe, expect, it } from "vitest";
import { migrate } from "../../analytics/migrate.ts";
import { ensureInput, ORDER_SCHEMA_FILE } from "../../ops/bench/lib/topics.ts";
import { clickhousePaths, startClickhouse } from "../../stack/clickhouse.ts";
import { endpoints, type StackConfig, stackConfig } from "../../stack/config.ts";
import { stopProcess } from "../../stack/process.ts";
import { uniqueName } from "../helpers/services.ts";
import { killAll, type SluiceProcess, startSluice, waitFor } from "../helpers/sluice-process.ts";
import { createTopics, produce, registerSchema } from "../helpers/stream-io.ts";

const RECORDS = 200_000;
const dir = mkdtempSync(join(tmpdir(), "sluice-chfaults-"));
const processes: SluiceProcess[] = [];
const privateStack: StackConfig = {
  ...stackConfig(),
  dir: join(dir, "stack"),
  clickhouse: { httpPort: 24124, tcpPort: 24001 },
};

afterAll(async () => {
  killAll(processes);
  await stopProcess(clickhousePaths(privateStack).pidFile);
  rmSync(dir, { recursive: true, force: true });
});

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = createClient({ url });
  try {
    return await (await client.query({ query: sql, format: "JSONEachRow" })).json<T>();
  } finally {
    await client.close();
  }
}

interface Setup {
  app: string;
  file: string;
  table: string;
  url: string;
}

/** Input topic with 200 000 orders, a decisions table keyed by lineage, and a topology writing into it. */
async function setup(name: string, url: string, initial = RECORDS): Promise<Setup> {
  const app = uniqueName(name);
  const table = app.replace(/-/g, "_");
  await ensureInput(`${app}-in`, initial);
  await createTopics([{ topic: `${app}.dlq`, partitions: 1 }]);
  await migrate(url);
  const client = createClient({ url });
  await client.command({
    query: `CREATE TABLE ${table} (source_topic String, source_partition UInt32, source_offset UInt64, output_index UInt16,
      run_id String, order_id String, customer_id String, amount Float64, inserted_at DateTime DEFAULT now())
      ENGINE = ReplacingMergeTree(inserted_at) ORDER BY (source_topic, source_partition, source_offset, output_index, run_id)`,
  });
  await client.close();
  const file = join(dir, `${app}.yaml`);
  writeFileSync(
    file,
    `applicationId: ${app}
kafka: { brokers: "\${KAFKA_BROKERS}" }
schemaRegistry: { url: "\${SCHEMA_REGISTRY_URL}" }
clickhouse: { url: "${url}" }
processing: { commitIntervalMs: 1000, sessionTimeoutMs: 6000 }
sources:
  - name: orders
    topic: ${app}-in
    value: { format: avro, schema: ${ORDER_SCHEMA_FILE} }
sinks:
  - name: decisions
    type: clickhouse
    from: orders
    clickhouse: { table: ${table}, maxRows: 5000, maxWaitMs: 200 }
`,
  );
  return { app, file, table, url };
}

async function figures(s: Setup): Promise<{ final: number; keys: number; raw: number }> {
  const [row] = await query<{ final: string; keys: string }>(
    s.url,
    `SELECT count() AS final, uniqExact(source_topic, source_partition, source_offset, output_index, run_id) AS keys FROM ${s.table} FINAL`,
  );
  const [raw] = await query<{ raw: string }>(s.url, `SELECT count() AS raw FROM ${s.table}`);
  return { final: Number(row?.final), keys: Number(row?.keys), raw: Number(raw?.raw) };
}

async function rows(s: Setup): Promise<number> {
  try {
    return (await figures(s)).final;
  } catch {
    return 0; // ClickHouse down
  }
}

function run(s: Setup, env: NodeJS.ProcessEnv = {}): SluiceProcess {
  const p = startSluice(["run", s.file, "--metrics-port", "0"], { SLUICE_METRICS_INTERVAL_MS: "2000", ...env });
  processes.push(p);
  return p;
}

async function finish(s: Setup, members: SluiceProcess[]): Promise<void> {
  await waitFor(async () => (await rows(s)) >= RECORDS, 240_000, `${RECORDS} rows in ${s.table}`);
  for (const m of members) if (m.child.exitCode === null && m.child.signalCode === null) m.child.kill("SIGTERM");
  for (const [i, m] of members.entries()) {
    const timeout = new Promise((resolve) => setTimeout(() => resolve("timeout"), 60_000));
    if ((await Promise.race([m.exited, timeout])) === "timeout") {
      m.child.kill("SIGKILL");
      throw new Error(`member ${i} did not stop within 60 s of SIGTERM:\n${m.output().slice(-4000)}`);
    }
  }
  const f = await figures(s);
  expect(f.final).toBe(RECORDS);
  expect(f.keys).toBe(RECORDS);
}

describe("ClickHouse sink under faults", () => {
  it("ClickHouse stopped for 60 s mid-run: no crash, exactly 200 000 rows, the stall visible in pipeline_metrics", async () => {
    await startClickhouse(privateStack);
    const url = `http://127.0.0.1:${privateStack.clickhouse.httpPort}`;
    const s = await setup("ch-outage", url, RECORDS / 2);
    const member = run(s);
    await waitFor(async () => (await rows(s)) >= RECORDS / 2, 120_000, "the first half before the outage");
    await stopProcess(clickhousePaths(privateStack).pidFile);
    // The second half arrives while ClickHouse is down: it must wait, paused by backpressure, and lose nothing.
    const id = await registerSchema("example-order.avsc", `${s.app}-in-value`);
    await produce(
      `${s.app}-in`,
      id,
      Array.from({ length: RECORDS / 2 }, (_, j) => {
        const i = RECORDS / 2 + j;
        return {
          key: `customer-${i % 5000}`,
          value: {
            order_id: `order-${i}`,
            customer_id: `customer-${i % 5000}`,
            status: "paid",
            amount: i % 1000,
            currency: "EUR",
            items: 1,
            note: null,
          },
        };
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 60_000));
    expect(member.child.exitCode).toBeNull();
    await startClickhouse(privateStack);
    await finish(s, [member]);
    expect(await member.exited).toBe(0);
    const [stall] = await query<{ rows: string; paused: string; idle: string }>(
      url,
      `SELECT count() AS rows, countIf(paused = 1) AS paused, countIf(records_out = 0 AND consumer_lag > 0) AS idle
       FROM pipeline_metrics FINAL WHERE application_id = '${s.app}'`,
    );
    expect(Number(stall?.paused), JSON.stringify(stall)).toBeGreaterThan(0);
    expect(Number(stall?.idle), JSON.stringify(stall)).toBeGreaterThan(0);
  });

  it("a crash between an insert's acknowledgement and the offset commit, then a restart: exactly 200 000 rows", async () => {
    const s = await setup("ch-crash", endpoints().clickhouseUrl);
    const crashing = run(s, { SLUICE_TEST_CRASH_AFTER_ACKS: "decisions:6" });
    expect(await crashing.exited).toBe("SIGKILL");
    const before = await figures(s);
    expect(before.final).toBeGreaterThan(0);
    await finish(s, [run(s)]);
    const after = await figures(s);
    // Redelivered rows were inserted again (raw count) and collapse to one per lineage key (FINAL).
    expect(after.raw).toBeGreaterThanOrEqual(after.final);
  });

  it("a process paused past the session timeout while the others take its partitions: exactly 200 000 rows", async () => {
    const s = await setup("ch-zombie", endpoints().clickhouseUrl);
    const members = [run(s), run(s), run(s)];
    await waitFor(async () => (await rows(s)) >= 40_000, 180_000, "40 000 rows before the pause");
    const zombie = members[1] as SluiceProcess;
    zombie.child.kill("SIGSTOP");
    await new Promise((resolve) => setTimeout(resolve, 15_000));
    zombie.child.kill("SIGCONT");
    await finish(s, members);
  });
});
