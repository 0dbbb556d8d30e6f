/**
 * Processing resumes after the broker comes back: a private broker (the stack's launcher on other ports and its
 * own data dir) is restarted gracefully three times in one `sluice run`, then killed (SIGKILL) and hung (SIGSTOP).
 * Before each outage a batch is produced (part of it still unprocessed when the broker goes), after each return
 * another: every record of both is in ClickHouse within 15 s of the return, the group's lag returns to 0, and at
 * the end count() FINAL = uniqExact(lineage key) = every record produced. The registry and ClickHouse are the
 * shared local stack's; the shared broker is never stopped.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { afterAll, describe, expect, it, onTestFailed } from "vitest";
import { endpoints, type StackConfig, stackConfig } from "../../stack/config.ts";
import { kafkaPaths, startKafka } from "../../stack/kafka.ts";
import { runningPid, stopProcess } from "../../stack/process.ts";
import { kafkaClientFor } from "../../topologies/runtime/kafka/kafkajs-client.ts";
import { outage, printRecoveries, type Recovery, type StopMode } from "../helpers/outage.ts";
import { orderSchema, RecoveryRun } from "../helpers/recovery-run.ts";
import { killAll, waitFor } from "../helpers/sluice-process.ts";

const BATCH = 2000;
const DOWN_MS = 2000;
const MODES: StopMode[] = ["graceful", "graceful", "graceful", "SIGKILL", "SIGSTOP"];
const dir = mkdtempSync(join(tmpdir(), "sluice-recovery-broker-"));
const base = stackConfig();
const privateStack: StackConfig = {
  ...base,
  dir: join(dir, "stack"),
  kafka: { ...base.kafka, port: 24192, controllerPort: 24193 },
};
const pidFile = kafkaPaths(privateStack).pidFile;
const runs: RecoveryRun[] = [];

afterAll(async () => {
  const pid = runningPid(pidFile);
  if (pid !== undefined) process.kill(pid, "SIGCONT");
  killAll(runs.flatMap((r) => (r.process ? [r.process] : [])));
  await stopProcess(pidFile);
  rmSync(dir, { recursive: true, force: true });
});

describe("recovery after broker restarts [slow]", () => {
  it("3 graceful restarts, SIGKILL, SIGSTOP: caught up within 15 s of each return, lag 0, nothing lost or doubled", async () => {
    await startKafka(privateStack, kafkaClientFor);
    const brokers = [`127.0.0.1:${privateStack.kafka.port}`];
    const shared = endpoints();
    const run = new RecoveryRun(
      "rec-broker",
      { brokers, registryUrl: shared.schemaRegistryUrl, clickhouseUrl: shared.clickhouseUrl },
      dir,
    );
    runs.push(run);
    onTestFailed(() => console.log(`sluice output (tail):\n${run.process?.output().slice(-6000)}`));
    await run.setup();
    const registry = new SchemaRegistry({ host: shared.schemaRegistryUrl });
    const schema = JSON.stringify(orderSchema());
    const { id } = await registry.register({ type: SchemaType.AVRO, schema }, { subject: `${run.topic}-value` });
    await run.produce(BATCH, id);
    const member = run.start();
    await run.caughtUp(120_000, "the first batch in ClickHouse");

    const service = { name: "kafka", pidFile, start: () => startKafka(privateStack, kafkaClientFor) };
    const recoveries: Recovery[] = [];
    for (const mode of MODES) {
      await run.produce(BATCH, id);
      await run.disconnectProducer();
      const since = Date.now();
      const returnedAt = await outage(service, mode, DOWN_MS);
      await run.produce(BATCH, id);
      await run.caughtUp(90_000, `the batches around the ${mode} outage`);
      const recoverySeconds = (Date.now() - returnedAt) / 1000;
      recoveries.push({ dependency: "broker", mode, downSeconds: (returnedAt - since) / 1000, recoverySeconds });
      await waitFor(async () => (await run.lag().catch(() => -1)) === 0, 30_000, `lag 0 after the ${mode} outage`);
      expect(member.child.exitCode, member.output().slice(-3000)).toBeNull();
    }
    printRecoveries(recoveries);

    expect(await run.stop()).toBe(0);
    expect(await run.figures()).toEqual({ final: run.produced, keys: run.produced });
    // The requirement: processing resumes (here: has caught up) within 15 s of each return.
    for (const r of recoveries) expect(r.recoverySeconds, `${r.mode}`).toBeLessThan(15);
  });
});
