/**
 * The changelog gate: a chunk's store changes go to the changelog only after its sink deliveries settled, and
 * its offset is acknowledged only after the changelog acknowledged them; chunks flush in order.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ChangelogGate } from "../../../topologies/runtime/state/changelog-gate.ts";
import { TaskState } from "../../../topologies/runtime/state/task-state.ts";
import { MemoryLog } from "./memory-log.ts";

describe("changelog gate", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("holds a chunk's offset until its outputs are delivered and its changes acknowledged", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "sluice-gate-"));
    dirs.push(stateDir);
    const log = new MemoryLog();
    const state = await TaskState.open({
      applicationId: "app",
      taskId: "events-0",
      partition: 0,
      declarations: [{ name: "kv", kind: "keyValue" }],
      stateDir,
      reader: log,
      sender: log.sender,
    });
    const events: string[] = [];
    const tracker = {
      addPending: (o: number) => events.push(`pending ${o}`),
      ack: (o: number) => events.push(`ack ${o}`),
    };
    const gate = new ChangelogGate(state, (error) => events.push(`error ${String(error)}`));
    const kv = state.stores.store("kv");
    if (kv.kind !== "keyValue") throw new Error("key-value expected");
    const chunk = (first: number, key: string) => {
      state.stores.begin();
      kv.put(key, first);
      state.stores.commit();
      let deliver!: () => void;
      const delivered = new Promise<void>((resolve) => {
        deliver = () => {
          events.push(`delivered ${first}`);
          resolve();
        };
      });
      gate.afterRun(first, [delivered], tracker);
      return deliver;
    };
    const deliverFirst = chunk(0, "a");
    const deliverSecond = chunk(10, "b");
    gate.afterRun(20, [], tracker); // a chunk that wrote nothing holds nothing
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(log.logs.size).toBe(0);
    deliverSecond();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(log.logs.size).toBe(0); // in order: the first chunk is not delivered yet
    deliverFirst();
    await gate.drain();
    expect(events).toEqual(["pending 0", "pending 10", "delivered 10", "delivered 0", "ack 0", "ack 10"]);
    expect(log.logs.get("app-kv-changelog/0")?.map((r) => r.key)).toEqual(["a", "b"]);
    await state.close({ clean: true });
  });
});
