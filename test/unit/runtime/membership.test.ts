/**
 * GroupMembership: what a member may commit across rebalances. An evicted member (new member id) drops every
 * task; a kept partition that another member committed beyond is dropped after the check; nothing is committed
 * until the check is done or after a generation error; offsets at or below the known committed one are refused.
 */
import pino from "pino";
import { describe, expect, it } from "vitest";
import { PartitionCommitTracker } from "../../../topologies/runtime/commit-tracker.ts";
import { GroupMembership } from "../../../topologies/runtime/membership.ts";

const logger = pino({ level: "silent" });

function membership(committed: Record<string, number>) {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const m = new GroupMembership(async () => {
    await gate;
    return new Map(Object.entries(committed));
  }, logger);
  return { m, release };
}

describe("GroupMembership", () => {
  it("drops everything at once when the member comes back under a new member id", async () => {
    const { m, release } = membership({ "t:0": 500, "t:1": 700 });
    const dropped: string[] = [];
    m.assigned("member-a", new Set(["t:0", "t:1"]), new Map(), (id) => dropped.push(id));
    release();
    await m.settled();
    const held = new Map([
      ["t:0", { committedOffset: 100 }],
      ["t:1", { committedOffset: 200 }],
    ]);
    m.assigned("member-b", new Set(["t:0", "t:1"]), held, (id) => dropped.push(id));
    expect(dropped).toEqual(["t:0", "t:1"]);
  });

  it("keeps a partition nobody else committed, drops one another member committed beyond", async () => {
    const { m, release } = membership({ "t:0": 100, "t:1": 900 });
    const dropped: string[] = [];
    const held = new Map([
      ["t:0", { committedOffset: 100 }],
      ["t:1", { committedOffset: 200 }],
      ["t:2", { committedOffset: 50 }],
    ]);
    m.assigned("member-a", new Set(["t:0", "t:1"]), held, (id) => dropped.push(id));
    expect(dropped).toEqual(["t:2"]); // no longer owned: at once
    expect(m.canCommit).toBe(false); // until the check is done
    release();
    await m.settled();
    await Promise.resolve();
    expect(dropped).toEqual(["t:2", "t:1"]);
    expect(m.canCommit).toBe(true);
    expect(m.floor("t:1")).toBe(900);
    expect(m.admits("t:1", 900)).toBe(false);
    expect(m.admits("t:1", 901)).toBe(true);
  });

  it("commits nothing after a generation error until the next assignment", async () => {
    const { m, release } = membership({});
    release();
    m.assigned("member-a", new Set(["t:0"]), new Map(), () => {});
    await m.settled();
    await Promise.resolve();
    expect(m.canCommit).toBe(true);
    m.commitFailed(
      Object.assign(new Error("The coordinator is not aware of this member"), { type: "UNKNOWN_MEMBER_ID" }),
    );
    expect(m.canCommit).toBe(false);
    m.assigned("member-b", new Set(["t:0"]), new Map(), () => {});
    await m.settled();
    await Promise.resolve();
    expect(m.canCommit).toBe(true);
  });

  it("a commit of an earlier assignment that fails after the rejoin does not block the new assignment", async () => {
    const { m, release } = membership({});
    release();
    m.assigned("member-a", new Set(["t:0"]), new Map(), () => {});
    await m.settled();
    const sentUnder = m.epoch; // a commit goes out, and waits on a coordinator that is down
    m.assigned("member-b", new Set(["t:0"]), new Map(), () => {}); // kafkajs restarted the consumer: rejoined
    await m.settled();
    await Promise.resolve();
    m.commitFailed(
      Object.assign(new Error("The coordinator is not aware of this member"), { type: "UNKNOWN_MEMBER_ID" }),
      sentUnder,
    );
    expect(m.canCommit).toBe(true);
    m.commitFailed(
      Object.assign(new Error("The coordinator is not aware of this member"), { type: "UNKNOWN_MEMBER_ID" }),
      m.epoch,
    );
    expect(m.canCommit).toBe(false);
  });

  it("drops kept state when the group's offsets cannot be fetched", async () => {
    const m = new GroupMembership(async () => {
      throw new Error("coordinator not available");
    }, logger);
    const dropped: string[] = [];
    m.assigned("member-a", new Set(["t:0"]), new Map([["t:0", { committedOffset: 10 }]]), (id) => dropped.push(id));
    await m.settled();
    expect(dropped).toEqual(["t:0"]);
  });
});

describe("PartitionCommitTracker with the group's committed offset", () => {
  it("never offers an offset at or below the one it started from", () => {
    const tracker = new PartitionCommitTracker(1000);
    expect(tracker.committedOffset).toBe(1000);
    tracker.track(1000);
    tracker.seal(1000);
    expect(tracker.toCommit()).toBe(1001);
    const stale = new PartitionCommitTracker(5000);
    stale.track(10);
    stale.seal(10);
    expect(stale.toCommit()).toBeUndefined();
  });
});
