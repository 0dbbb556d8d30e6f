/**
 * A member paused past its session timeout (SIGSTOP) comes back as a zombie: the others took its partitions,
 * drained them and committed further. On SIGCONT it must never commit its stale watermarks, must start any
 * partition it is given back from the group's committed offset, and its partitions must not stall. In each of
 * five cycles the others leave before the zombie resumes, so it is given back every partition it held (with
 * the stale state the bug committed); five cycles in one run catch an intermittent failure. The committed offsets are sampled
 * throughout and must never decrease; lag must reach 0 within 30 s of each return; every input reaches the output.
 * Needs the local stack (test/global-setup.ts).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { uniqueName } from "../helpers/services.ts";
import { killAll, type SluiceProcess, startSluice, waitFor } from "../helpers/sluice-process.ts";
import { createTopics, kafka, readTopic } from "../helpers/stream-io.ts";

const PARTITIONS = 12;
const CYCLES = Number(process.env.SLUICE_ZOMBIE_CYCLES ?? 5);
const SESSION_TIMEOUT_MS = 6000;
const processes: SluiceProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), "sluice-zombie-"));

afterAll(() => killAll(processes));

describe("a member paused past its session timeout [slow]", () => {
  it("never moves committed offsets backwards and its partitions never stall, over 5 pauses", async () => {
    const app = uniqueName("zombie");
    const [input, output] = [`${app}-in`, `${app}-out`];
    await createTopics([
      { topic: input, partitions: PARTITIONS },
      { topic: output, partitions: PARTITIONS },
      { topic: `${app}.dlq`, partitions: 1 },
    ]);
    const file = join(dir, `${app}.yaml`);
    writeFileSync(
      file,
      `applicationId: ${app}
kafka:
  brokers: \${KAFKA_BROKERS}
processing:
  commitIntervalMs: 4000
  sessionTimeoutMs: ${SESSION_TIMEOUT_MS}
sources:
  - name: in
    topic: ${input}
    value: { format: string }
sinks:
  - name: copy
    type: kafka
    from: in
    kafka:
      topic: ${output}
      value: { format: string }
`,
    );
    const client = kafka();
    const admin = client.admin();
    const producer = client.producer();
    await Promise.all([admin.connect(), producer.connect()]);
    let produced = 0;
    const produceWave = async (count: number, spreadMs: number) => {
      const chunks = 10;
      for (let c = 0; c < chunks; c++) {
        const messages = Array.from({ length: count / chunks }, () => {
          const i = produced++;
          return { key: `k-${i % 500}`, value: `v-${i}` };
        });
        await producer.send(input, messages);
        await new Promise((resolve) => setTimeout(resolve, spreadMs / chunks));
      }
    };
    const committed = async () => {
      const offsets = await admin.groupOffsets(app, [input]);
      return new Map([...offsets].map(([id, offset]) => [Number(id.slice(id.lastIndexOf(":") + 1)), offset]));
    };
    const ends = async () => new Map((await admin.topicOffsets(input)).map((o) => [o.partition, o.high]));
    const lagByPartition = async () => {
      const [c, e] = await Promise.all([committed(), ends()]);
      return [...e].map(([partition, end]) => end - Math.max(0, c.get(partition) ?? 0));
    };
    const lag = async () => (await lagByPartition()).reduce((a, b) => a + b, 0);
    const untilLagZero = async (timeoutMs: number, what: string) => {
      try {
        await waitFor(async () => (await lag()) === 0, timeoutMs, what);
      } catch (error) {
        const logs = processes.map((p, i) => `--- member ${i}:\n${p.output().slice(-2500)}`).join("\n");
        throw new Error(`${(error as Error).message}; lag per partition ${await lagByPartition()}\n${logs}`);
      }
    };

    // Committed offsets sampled every 250 ms: any decrease is a zombie commit.
    const highest = new Map<number, number>();
    const decreases: string[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const c = await committed().catch(() => new Map<number, number>());
        for (const [partition, offset] of c) {
          const before = highest.get(partition) ?? -1;
          if (offset < before) {
            decreases.push(`partition ${partition}: ${before} -> ${offset}`);
            console.log(`committed offset of partition ${partition} went back from ${before} to ${offset}`);
          }
          highest.set(partition, Math.max(before, offset));
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();

    try {
      await produceWave(20_000, 500);
      const start = (env: NodeJS.ProcessEnv = {}) => {
        const p = startSluice(["run", file, "--drain-timeout", "10000"], env);
        processes.push(p);
        return p;
      };
      const zombie = start(process.env.SLUICE_ZOMBIE_DEBUG ? { SLUICE_LOG_LEVEL: "debug" } : {});
      let others = [start(), start()];
      await untilLagZero(120_000, "the first wave drained by 3 members");
      const recoveries: number[] = [];
      for (let cycle = 0; cycle < CYCLES; cycle++) {
        // A long commit interval: when it is paused, the zombie has most likely processed records it has not
        // committed yet (the state whose commit after the return moved offsets backwards).
        await produceWave(10_000, 2000);
        await new Promise((resolve) => setTimeout(resolve, 1500));
        zombie.child.kill("SIGSTOP");
        if (process.env.SLUICE_ZOMBIE_DEBUG) console.log(`paused at ${Date.now()}`);
        // Records keep arriving while it is away; past the session timeout the others take its partitions, drain
        // everything and commit beyond the zombie's watermarks.
        await produceWave(5_000, 2000);
        await new Promise((resolve) => setTimeout(resolve, SESSION_TIMEOUT_MS));
        await untilLagZero(60_000, `cycle ${cycle}: the others drained the partitions`);
        // The others leave, so the zombie is given back every partition it held, with its stale watermarks.
        for (const m of others) m.child.kill("SIGTERM");
        for (const m of others) expect(await m.exited).toBe(0);
        zombie.child.kill("SIGCONT");
        const resumed = Date.now();
        // Nothing new is produced for a while: a commit of the zombie's stale watermarks would now show as lag
        // that never clears (the fetch position is already past it), which is what the bug looked like.
        await new Promise((resolve) => setTimeout(resolve, 6_000));
        expect(await lag(), `cycle ${cycle}: lag after the zombie's return\n${zombie.output().slice(-4000)}`).toBe(0);
        await produceWave(2_000, 1000);
        await untilLagZero(30_000, `cycle ${cycle}: the returned member processes new records`);
        recoveries.push(Date.now() - resumed);
        if (cycle < CYCLES - 1) others = [start(), start()];
      }
      if (process.env.SLUICE_ZOMBIE_DEBUG) writeFileSync("/tmp/zombie-member.log", zombie.output());
      console.log(`zombie returns: lag 0 after ${recoveries.map((ms) => (ms / 1000).toFixed(1)).join(", ")} s`);
      expect(decreases).toEqual([]);
      const out = await readTopic(output, produced, { timeoutMs: 60_000, distinct: (m) => String(m.value) });
      expect(new Set(out.map((m) => String(m.value))).size).toBe(produced);
      for (const m of [zombie]) m.child.kill("SIGTERM");
      for (const m of [zombie]) expect(await m.exited).toBe(0);
    } finally {
      sampling = false;
      await sampler;
      await Promise.allSettled([admin.disconnect(), producer.disconnect()]);
    }
  });
});
