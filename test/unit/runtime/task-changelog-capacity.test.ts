/**
 * A stateful task whose in-flight window is full resumes when the changelog, not a sink, frees it: a chunk's
 * first offset is acknowledged last, after its store changes reach the changelog, and that acknowledgement must
 * wake the partition paused for capacity (it used to go straight to the tracker, and a count-by-key run stopped).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ConsumedMessage } from "../../../core/kafka.ts";
import type { Sink } from "../../../sinks/api.ts";
import { compileTopology } from "../../../topologies/compiler.ts";
import { TopologyExecutor } from "../../../topologies/executor.ts";
import type { ChangelogRecord } from "../../../topologies/runtime/state/changelog-io.ts";
import { PartitionState } from "../../../topologies/runtime/state/partition-state.ts";
import { TaskState } from "../../../topologies/runtime/state/task-state.ts";
import { storeDeclarations } from "../../../topologies/stores.ts";
import { parseTopology } from "../../../topologies/yaml-loader.ts";
import { MemoryLog } from "../state/memory-log.ts";
import { logger, taskOn } from "./task-fixture.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const messages = (count: number): ConsumedMessage[] =>
  Array.from({ length: count }, (_, i) => ({
    key: Buffer.from(`k${i % 3}`),
    value: Buffer.from(`v${i}`),
    headers: {},
    offset: i,
    timestamp: 1_700_000_000_000 + i,
  }));

describe("Task with a partition state", () => {
  it("resumes a partition paused for capacity once the changelog acknowledges the window", async () => {
    const topology = compileTopology(
      parseTopology(`applicationId: unit-state-task
kafka: { brokers: "127.0.0.1:1" }
sources:
  - { name: in, topic: in, value: { format: string } }
processors:
  - { name: counts, type: count, from: in, count: { emit: update } }
sinks:
  - { name: out, type: kafka, from: counts, kafka: { topic: out, value: { format: json } } }
`),
    );
    const stateDir = mkdtempSync(join(tmpdir(), "sluice-task-capacity-"));
    dirs.push(stateDir);
    // The changelog holds every send until the test releases it; the sink acknowledges at once.
    const log = new MemoryLog();
    const held: (() => void)[] = [];
    const sender = {
      send: async (topic: string, partition: number, records: readonly ChangelogRecord[]) => {
        await new Promise<void>((resolve) => held.push(resolve));
        await log.sender.send(topic, partition, records);
      },
    };
    const state = await TaskState.open({
      applicationId: "unit-state-task",
      taskId: "in-0",
      partition: 0,
      declarations: storeDeclarations(topology.spec),
      stateDir,
      reader: log,
      sender,
    });
    const executor = await TopologyExecutor.create(topology, { logger, stores: state.stores });
    const sink: Sink = { name: "out", write: async () => {}, flush: async () => {}, close: async () => {} };
    const task = taskOn(executor, sink, {
      maxInFlightRecords: 6,
      chunkRecords: 3,
      partitionState: new PartitionState(0, state, executor, () => {}),
    });
    expect(await task.handle(messages(30), { heartbeat: async () => {}, shouldStop: () => false })).toBe("full");
    let resumed = false;
    task.whenCapacity(() => {
      resumed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(resumed).toBe(false); // the sink acknowledged, the changelog did not: the window stays full
    for (let i = 0; i < 100 && held.length > 0 && !resumed; i++) {
      for (const release of held.splice(0)) release();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(resumed).toBe(true);
    expect(task.tracker.inFlightRecords).toBeLessThanOrEqual(3);
    task.close();
    await state.close({ clean: false });
  });
});
