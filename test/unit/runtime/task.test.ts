/**
 * The Task machinery without a broker: messages in the Kafka port's shape, in-memory sinks whose writes the test
 * acknowledges (or fails) by hand. Covers backpressure (intake stops at maxInFlightRecords until acks drain it),
 * per-sink write order, the rebalance de-duplication (`lastTaken`: a refetch of records already held is not
 * taken twice) and the commit watermark under out-of-order acknowledgements.
 */
import { describe, expect, it } from "vitest";
import { TransientError } from "../../../core/errors.ts";
import type { ConsumedMessage } from "../../../core/kafka.ts";
import type { StreamRecord } from "../../../processors/api.ts";
import type { Sink } from "../../../sinks/api.ts";
import type { DeadLetterMessage } from "../../../sinks/dead-letter.ts";
import { compileTopology } from "../../../topologies/compiler.ts";
import { TopologyExecutor } from "../../../topologies/executor.ts";
import type { BatchHooks } from "../../../topologies/runtime/task.ts";
import { parseTopology } from "../../../topologies/yaml-loader.ts";
import { logger, taskOn } from "./task-fixture.ts";

/** A sink whose writes wait until the test settles them. */
class ManualSink implements Sink {
  unordered = false;
  readonly writes: { records: readonly StreamRecord[]; settle(error?: Error): void }[] = [];
  onWrite: () => void = () => {};
  constructor(readonly name: string) {}
  write(records: readonly StreamRecord[]): Promise<void> {
    this.onWrite();
    return new Promise((resolve, reject) => {
      this.writes.push({ records, settle: (error) => (error ? reject(error) : resolve()) });
    });
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
  values(): string[] {
    return this.writes.flatMap((w) => w.records.map((r) => String(r.value)));
  }
}

const letters: DeadLetterMessage[] = [];

async function taskWith(options: { maxInFlightRecords?: number; chunkRecords?: number; unordered?: boolean } = {}) {
  const topology = compileTopology(
    parseTopology(`applicationId: unit-task
kafka: { brokers: "127.0.0.1:1" }
sources:
  - { name: in, topic: in, value: { format: string } }
sinks:
  - { name: out, type: kafka, from: in, kafka: { topic: out, value: { format: string } } }
`),
  );
  const sink = new ManualSink("out");
  sink.unordered = options.unordered ?? false;
  const executor = await TopologyExecutor.create(topology, { logger });
  const task = taskOn(executor, sink, {
    maxInFlightRecords: options.maxInFlightRecords ?? 10_000,
    chunkRecords: options.chunkRecords ?? 1000,
    deadLetters: letters,
  });
  return { task, sink };
}

const messages = (from: number, count: number): ConsumedMessage[] =>
  Array.from({ length: count }, (_, i) => ({
    key: Buffer.from(`k${from + i}`),
    value: Buffer.from(`v${from + i}`),
    headers: {},
    offset: from + i,
    timestamp: 1_700_000_000_000 + from + i,
  }));

const hooks = (stop = () => false): BatchHooks => ({ heartbeat: async () => {}, shouldStop: stop });
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await tick();
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

describe("Task", () => {
  it("stops taking records at maxInFlightRecords, says so, and asks to resume once half the window is free", async () => {
    const { task, sink } = await taskWith({ maxInFlightRecords: 10, chunkRecords: 5 });
    // Chunk 1 is being written, chunk 2 waits behind it: 10 records in flight, so chunk 3 is not taken and the
    // batch returns (the caller pauses the partition) instead of holding the consumer's fetch loop.
    expect(await task.handle(messages(0, 30), hooks())).toBe("full");
    expect(task.tracker.inFlightRecords).toBe(10);
    expect(task.stats.recordsIn).toBe(10);
    expect(task.lastTakenOffset).toBe(9);
    let resumed = 0;
    task.whenCapacity(() => resumed++);
    expect(task.stats.paused).toBe(true);
    expect(task.stats.pauseReason).toMatch(/^backpressure: 10 records awaiting sink acknowledgement/);
    await until(() => sink.writes.length === 1, "the first write");
    expect(resumed).toBe(0);
    sink.writes[0]?.settle(); // 5 in flight: half the window is free
    await until(() => resumed === 1, "the resume");
    expect(task.stats.paused).toBe(false);
    // The refetch from offset 10 (and a repeat of records already taken) continues in order.
    const rest = task.handle(messages(5, 25), hooks());
    for (let settled = 1; settled < 6; settled++) {
      await until(() => sink.writes.length > settled, `write ${settled + 1}`);
      expect(task.tracker.inFlightRecords).toBeLessThanOrEqual(10);
      sink.writes[settled]?.settle();
    }
    expect(await rest).toBe("taken");
    await until(() => task.tracker.inFlightRecords === 0, "all acknowledged");
    expect(task.tracker.toCommit()).toBe(30);
    expect(sink.values()).toEqual(Array.from({ length: 30 }, (_, i) => `v${i}`));
  });

  it("writes a task's chunks to a sink one after the other, in offset order", async () => {
    const { task, sink } = await taskWith({ chunkRecords: 4 });
    const handled = task.handle(messages(0, 12), hooks());
    await handled; // processing does not wait for acks
    await until(() => sink.writes.length === 1, "the first write");
    await tick();
    expect(sink.writes).toHaveLength(1); // the second write waits for the first to be acknowledged
    sink.writes[0]?.settle();
    await until(() => sink.writes.length === 2, "the second write");
    sink.writes[1]?.settle();
    await until(() => sink.writes.length === 3, "the third write");
    sink.writes[2]?.settle();
    await until(() => task.tracker.toCommit() === 12, "the watermark at 12");
    expect(sink.values()).toEqual(Array.from({ length: 12 }, (_, i) => `v${i}`));
  });

  it("hands an unordered sink (ClickHouse) every chunk at once, and commits only what all acknowledged", async () => {
    const { task, sink } = await taskWith({ chunkRecords: 4, unordered: true });
    await task.handle(messages(0, 12), hooks());
    await until(() => sink.writes.length === 3, "three writes in flight");
    sink.writes[2]?.settle(); // the last chunk first: nothing may be committed yet
    await tick();
    expect(task.tracker.toCommit()).toBeUndefined();
    sink.writes[0]?.settle();
    await until(() => task.tracker.toCommit() === 4, "the watermark at 4");
    sink.writes[1]?.settle();
    await until(() => task.tracker.toCommit() === 12, "the watermark at 12");
    expect(sink.values()).toEqual(Array.from({ length: 12 }, (_, i) => `v${i}`));
  });

  it("does not take records it already holds when a rebalance refetches them", async () => {
    const { task, sink } = await taskWith({ chunkRecords: 100 });
    await task.handle(messages(0, 10), hooks());
    // A rebalance that kept the partition: the consumer refetches from the committed offset (nothing committed).
    await task.handle(messages(0, 15), hooks());
    await until(() => sink.writes.length === 1, "the first write");
    sink.writes[0]?.settle();
    await until(() => sink.writes.length === 2, "the second write");
    sink.writes[1]?.settle();
    await until(() => task.tracker.toCommit() === 15, "watermark at 15");
    expect(sink.values()).toEqual(Array.from({ length: 15 }, (_, i) => `v${i}`));
  });

  it("commits only below the lowest unacknowledged offset, whatever order acks arrive in", async () => {
    const { task, sink } = await taskWith({ chunkRecords: 5 });
    await task.handle(messages(100, 5), hooks());
    await until(() => sink.writes.length === 1, "the first write");
    expect(task.tracker.toCommit()).toBeUndefined();
    sink.writes[0]?.settle(new TransientError("broker unavailable")); // retried with backoff: nothing committed
    await until(() => sink.writes.length === 2, "the retry");
    expect(task.tracker.toCommit()).toBeUndefined();
    expect(task.pauseReason).toMatch(/broker unavailable/);
    sink.writes[1]?.settle();
    await until(() => task.tracker.toCommit() === 105, "the watermark after the retry");
    expect(task.pauseReason).toBeUndefined();
  });

  it("abandons a batch when told to stop, leaving the rest uncommitted", async () => {
    const { task, sink } = await taskWith({ chunkRecords: 5 });
    let stop = false;
    sink.onWrite = () => {
      stop = true; // a rebalance begins while the first chunk is being written
    };
    await task.handle(
      messages(0, 20),
      hooks(() => stop),
    );
    await until(() => sink.writes.length === 1, "the first chunk");
    sink.writes[0]?.settle();
    await until(() => task.tracker.inFlightRecords === 0, "the first chunk acknowledged");
    expect(task.tracker.toCommit()).toBe(5);
    expect(task.stats.recordsIn).toBe(5);
  });
});
