/** The commit watermark never passes an input whose outputs are not all acknowledged. No services. */
import { describe, expect, it } from "vitest";
import { PartitionCommitTracker } from "../../../topologies/runtime/commit-tracker.ts";

describe("PartitionCommitTracker", () => {
  it("commits only up to the lowest offset with unacknowledged outputs, whatever the ack order", () => {
    const t = new PartitionCommitTracker();
    for (const o of [10, 11, 12]) {
      t.track(o, 100);
      t.addPending(o, 2);
      t.seal(o);
    }
    expect(t.toCommit()).toBeUndefined();
    t.ack(12, 2);
    t.ack(11, 1);
    expect(t.toCommit()).toBeUndefined();
    t.ack(10);
    expect(t.toCommit()).toBeUndefined();
    t.ack(10);
    expect(t.toCommit()).toBe(11);
    t.ack(11);
    expect(t.toCommit()).toBe(13);
    expect(t.inFlightRecords).toBe(0);
    expect(t.inFlightBytesTotal).toBe(0);
  });

  it("an input still being processed holds the watermark even with no outputs yet", () => {
    const t = new PartitionCommitTracker();
    t.track(0);
    t.track(1);
    t.seal(1);
    expect(t.toCommit()).toBeUndefined();
    t.seal(0);
    expect(t.toCommit()).toBe(2);
  });

  it("moves past offsets it never tracked (control records, gaps) once everything tracked is done", () => {
    const t = new PartitionCommitTracker();
    t.track(5);
    t.seenUpTo(9);
    expect(t.toCommit()).toBeUndefined();
    t.seal(5);
    expect(t.toCommit()).toBe(9);
  });

  it("reports each committable offset once and ignores acks of released offsets", () => {
    const t = new PartitionCommitTracker();
    t.track(0);
    t.seal(0);
    expect(t.toCommit()).toBe(1);
    t.committed(1);
    expect(t.toCommit()).toBeUndefined();
    t.ack(0);
    expect(t.committedOffset).toBe(1);
  });

  it("rejects offsets out of order and outputs added after sealing", () => {
    const t = new PartitionCommitTracker();
    t.track(3);
    expect(() => t.track(2)).toThrow(/arrived after/);
    t.seal(3);
    t.track(4);
    t.seal(4);
    expect(() => t.addPending(4)).toThrow();
  });

  it("stays correct across many offsets (compaction of its queue)", () => {
    const t = new PartitionCommitTracker();
    for (let o = 0; o < 10_000; o++) {
      t.track(o, 1);
      t.addPending(o);
      t.seal(o);
    }
    for (let o = 9_999; o >= 1; o--) t.ack(o);
    expect(t.toCommit()).toBeUndefined();
    t.ack(0);
    expect(t.toCommit()).toBe(10_000);
  });
});
