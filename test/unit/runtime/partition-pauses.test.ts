/**
 * PartitionPauses: a partition resumes when its last pause reason goes, never when it is no longer owned or a
 * stop began; and an assignment resumes an owned partition whose pause lost its reason without a resume (the
 * client keeps pauses across rebalances, as kafkajs does, which is what the recorder below models).
 */
import { describe, expect, it } from "vitest";
import type { TopicPartition } from "../../../core/kafka.ts";
import { PartitionPauses } from "../../../topologies/runtime/partition-pauses.ts";

/** The client's paused set, kept across assignments. */
function recorder() {
  const paused = new Set<string>();
  const id = (tp: TopicPartition) => `${tp.topic}:${tp.partition}`;
  const consumer = {
    pause: (tps: readonly TopicPartition[]) => {
      for (const tp of tps) paused.add(id(tp));
    },
    resume: (tps: readonly TopicPartition[]) => {
      for (const tp of tps) paused.delete(id(tp));
    },
  };
  return { paused, pauses: new PartitionPauses(() => consumer) };
}

const tp = (partition: number) => ({ topic: "t", partition });
const all = [0, 1, 2].map(tp);

describe("PartitionPauses", () => {
  it("resumes only when the last reason is released", () => {
    const { paused, pauses } = recorder();
    pauses.assigned(all);
    pauses.pause(tp(0), "state");
    pauses.pause(tp(0), "capacity");
    pauses.release(tp(0), "state");
    expect([...paused]).toEqual(["t:0"]);
    pauses.release(tp(0), "capacity");
    expect([...paused]).toEqual([]);
  });

  it("a pause whose reason vanished while the partition was away is lifted when it is assigned again", () => {
    const { paused, pauses } = recorder();
    pauses.assigned(all);
    pauses.pause(tp(1), "state"); // restoring
    pauses.assigned([tp(0), tp(2)]); // revoked meanwhile: the restore is discarded, nobody releases it
    expect(pauses.owns("t", 1)).toBe(false);
    pauses.release(tp(1), "state"); // a late release does not resume a partition not owned
    expect([...paused]).toEqual(["t:1"]);
    pauses.assigned(all); // back: fetched again, so its next batch restores
    expect([...paused]).toEqual([]);
  });

  it("keeps an owned partition paused while a reason holds it across an assignment", () => {
    const { paused, pauses } = recorder();
    pauses.assigned(all);
    pauses.pause(tp(2), "capacity");
    pauses.assigned(all);
    expect([...paused]).toEqual(["t:2"]);
  });

  it("resumes nothing once the stop began", () => {
    const { paused, pauses } = recorder();
    pauses.assigned(all);
    pauses.pause(tp(0), "capacity");
    pauses.stop();
    pauses.release(tp(0), "capacity");
    pauses.assigned(all);
    expect([...paused]).toEqual(["t:0"]);
  });

  it("owns every partition until the first assignment arrives", () => {
    const { pauses } = recorder();
    expect(pauses.owns("t", 5)).toBe(true);
    pauses.assigned([tp(0)]);
    expect(pauses.owns("t", 5)).toBe(false);
  });
});
