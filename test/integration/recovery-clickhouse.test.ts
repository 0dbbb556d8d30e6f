/**
 * Writing resumes after ClickHouse comes back, however it went away: stopped gracefully, killed (SIGKILL) and
 * hung (SIGSTOP, where a request would wait out its timeout), one after the other in one `sluice run`. Records
 * produced during each outage wait (nothing is skipped), rows grow within 10 s of the return, and at the end
 * count() FINAL = uniqExact(lineage key) = every record produced, with lag 0. Runs on a private ClickHouse the
 * test starts on other ports; the broker and the registry are the shared local stack's.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { afterAll, describe, expect, it, onTestFailed } from "vitest";
import { clickhousePaths, startClickhouse } from "../../stack/clickhouse.ts";
import { endpoints, type StackConfig, stackConfig } from "../../stack/config.ts";
import { runningPid, stopProcess } from "../../stack/process.ts";
import { outage, printRecoveries, type Recovery, type StopMode, secondsUntilProgress } from "../helpers/outage.ts";
import { orderSchema, RecoveryRun } from "../helpers/recovery-run.ts";
import { killAll, waitFor } from "../helpers/sluice-process.ts";

const BATCH = 3000;
const DOWN_MS = 5000;
const dir = mkdtempSync(join(tmpdir(), "sluice-recovery-ch-"));
const privateStack: StackConfig = {
  ...stackConfig(),
  dir: join(dir, "stack"),
  clickhouse: { httpPort: 24125, tcpPort: 24002 },
};
const pidFile = clickhousePaths(privateStack).pidFile;
const runs: RecoveryRun[] = [];

afterAll(async () => {
  const pid = runningPid(pidFile);
  if (pid !== undefined) process.kill(pid, "SIGCONT");
  killAll(runs.flatMap((r) => (r.process ? [r.process] : [])));
  await stopProcess(pidFile);
  rmSync(dir, { recursive: true, force: true });
});

describe("recovery after a ClickHouse outage", () => {
  it("graceful stop, SIGKILL, SIGSTOP: writing resumes within 10 s of each return, nothing lost or doubled", async () => {
    await startClickhouse(privateStack);
    const url = `http://127.0.0.1:${privateStack.clickhouse.httpPort}`;
    const shared = endpoints();
    const run = new RecoveryRun(
      "rec-ch",
      { brokers: shared.kafkaBrokers, registryUrl: shared.schemaRegistryUrl, clickhouseUrl: url },
      dir,
    );
    runs.push(run);
    onTestFailed(() => console.log(`sluice output (tail):\n${run.process?.output().slice(-6000)}`));
    await run.setup();
    const registry = new SchemaRegistry({ host: shared.schemaRegistryUrl });
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(orderSchema()) },
      { subject: `${run.topic}-value` },
    );
    await run.produce(BATCH, id);
    const member = run.start();
    await run.caughtUp(120_000, "the first batch in ClickHouse");

    const service = { name: "clickhouse", pidFile, start: () => startClickhouse(privateStack) };
    const recoveries: Recovery[] = [];
    const caughtUp: number[] = [];
    for (const mode of ["graceful", "SIGKILL", "SIGSTOP"] as StopMode[]) {
      const baseline = run.produced;
      const since = Date.now();
      const returnedAt = await outage(service, mode, DOWN_MS, () => run.produce(BATCH, id));
      const recoverySeconds = await secondsUntilProgress(() => run.rows(), baseline, returnedAt, 90_000);
      recoveries.push({ dependency: "clickhouse", mode, downSeconds: (returnedAt - since) / 1000, recoverySeconds });
      await run.caughtUp(90_000, `the batch produced during ${mode}`);
      caughtUp.push((Date.now() - returnedAt) / 1000);
      expect(member.child.exitCode, member.output().slice(-3000)).toBeNull();
    }
    printRecoveries(recoveries);
    console.log(
      `caught up (every row of the outage's batch in) after ${caughtUp.map((s) => s.toFixed(1)).join(", ")} s`,
    );

    await waitFor(async () => (await run.lag()) === 0, 30_000, "lag 0");
    expect(await run.stop()).toBe(0);
    const figures = await run.figures();
    expect(figures).toEqual({ final: run.produced, keys: run.produced });
    // The requirement: writing resumes within 10 s of the dependency's return.
    for (const r of recoveries) expect(r.recoverySeconds, `${r.mode}`).toBeLessThan(10);
  });
});
