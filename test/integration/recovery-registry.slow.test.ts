/**
 * Decoding and encoding resume after the schema registry comes back, however it went away: stopped gracefully,
 * killed (SIGKILL) and hung (SIGSTOP), one after the other in one `sluice run`. Newer writer schemas are
 * registered up front; during each outage records written with the next one arrive, whose id sluice has never
 * seen, so it must ask the registry (and in the first outage the Avro Kafka sink must also register its writer
 * schema): those records wait, never dead-lettered, rows grow within 10 s of the return, and at the end
 * count() FINAL = uniqExact(lineage key) = every record produced, each copied to the output topic, lag 0. Runs on a
 * private Apicurio Registry the test starts on other ports (schemas kept in its H2 file across restarts); the
 * broker and ClickHouse are the shared local stack's.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { afterAll, describe, expect, it, onTestFailed } from "vitest";
import { endpoints, type StackConfig, stackConfig } from "../../stack/config.ts";
import { runningPid, stopProcess } from "../../stack/process.ts";
import { registryPaths, startRegistry } from "../../stack/registry.ts";
import { outage, printRecoveries, type Recovery, type StopMode, secondsUntilProgress } from "../helpers/outage.ts";
import { orderSchema, orderType, RecoveryRun } from "../helpers/recovery-run.ts";
import { killAll, waitFor } from "../helpers/sluice-process.ts";

const BATCH = 2000;
const DOWN_MS = 4000;
const MODES: StopMode[] = ["graceful", "SIGKILL", "SIGSTOP"];
const dir = mkdtempSync(join(tmpdir(), "sluice-recovery-registry-"));
const base = stackConfig();
const privateStack: StackConfig = {
  ...base,
  dir: join(dir, "stack"),
  registry: { ...base.registry, port: 24083, managementPort: 24094 },
};
const pidFile = registryPaths(privateStack).pidFile;
const runs: RecoveryRun[] = [];

afterAll(async () => {
  const pid = runningPid(pidFile);
  if (pid !== undefined) process.kill(pid, "SIGCONT");
  killAll(runs.flatMap((r) => (r.process ? [r.process] : [])));
  await stopProcess(pidFile);
  rmSync(dir, { recursive: true, force: true });
});

describe("recovery after a schema registry outage [slow]", () => {
  it("graceful stop, SIGKILL, SIGSTOP: decoding resumes within 10 s of each return, nothing lost or doubled", async () => {
    await startRegistry(privateStack);
    const registryUrl = `http://127.0.0.1:${privateStack.registry.port}/apis/ccompat/v7`;
    const shared = endpoints();
    const run = new RecoveryRun(
      "rec-registry",
      { brokers: shared.kafkaBrokers, registryUrl, clickhouseUrl: shared.clickhouseUrl },
      dir,
      3,
      true,
    );
    runs.push(run);
    onTestFailed(() => console.log(`sluice output (tail):\n${run.process?.output().slice(-6000)}`));
    await run.setup();
    const registry = new SchemaRegistry({ host: registryUrl });
    // Writer schema k adds optional fields extra_1..extra_k: each is BACKWARD compatible and resolves into the reader.
    const extras = (k: number) => Array.from({ length: k }, (_, i) => `extra_${i + 1}`);
    const ids: number[] = [];
    for (let k = 0; k <= MODES.length; k++) {
      const schema = JSON.stringify(orderSchema(extras(k)));
      ids.push((await registry.register({ type: SchemaType.AVRO, schema }, { subject: `${run.topic}-value` })).id);
    }
    expect(new Set(ids).size).toBe(ids.length);
    const member = run.start();
    // Joined with nothing to do yet: the first records (and the Kafka sink's first encode) come during an outage.
    await waitFor(() => member.output().includes("partitions assigned"), 120_000, "sluice to join its group");

    const service = { name: "registry", pidFile, start: () => startRegistry(privateStack) };
    const recoveries: Recovery[] = [];
    for (const [i, mode] of MODES.entries()) {
      const k = i + 1;
      const baseline = run.produced;
      const since = Date.now();
      const returnedAt = await outage(service, mode, DOWN_MS, () =>
        run.produce(BATCH, ids[k] as number, orderType(extras(k))),
      );
      const recoverySeconds = await secondsUntilProgress(() => run.rows(), baseline, returnedAt, 90_000);
      recoveries.push({ dependency: "registry", mode, downSeconds: (returnedAt - since) / 1000, recoverySeconds });
      await run.caughtUp(90_000, `the batch produced during ${mode}`);
      expect(member.child.exitCode, member.output().slice(-3000)).toBeNull();
    }
    printRecoveries(recoveries);

    await waitFor(async () => (await run.lag()) === 0, 30_000, "lag 0");
    expect(await run.stop()).toBe(0);
    expect(await run.figures()).toEqual({ final: run.produced, keys: run.produced });
    expect(await run.topicEnd("dlq")).toBe(0);
    expect(await run.topicEnd("out")).toBeGreaterThanOrEqual(run.produced);
    // The requirement: writing resumes within 10 s of the dependency's return.
    for (const r of recoveries) expect(r.recoverySeconds, `${r.mode}`).toBeLessThan(10);
  });
});
