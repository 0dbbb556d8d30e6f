/**
 * A task's state lifecycle: restoring then running (reported), changes flushed to the changelog, a clean close
 * leaving a checkpoint so the next open restores nothing, and an unclean stop (no close) restoring whole.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { RestoreProgress } from "../../../topologies/runtime/state/restorer.ts";
import { TaskState, type TaskStateStatus } from "../../../topologies/runtime/state/task-state.ts";
import { MemoryLog } from "./memory-log.ts";

describe("task state", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("restores, runs, flushes, checkpoints on a clean close and restores whole after an unclean stop", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "sluice-task-state-"));
    dirs.push(stateDir);
    const log = new MemoryLog();
    const statuses: TaskStateStatus[] = [];
    const progress: RestoreProgress[] = [];
    const open = () =>
      TaskState.open({
        applicationId: "app",
        taskId: "events-2",
        partition: 2,
        declarations: [{ name: "kv", kind: "keyValue" }],
        stateDir,
        reader: log,
        sender: log.sender,
        onStatus: (s) => statuses.push(s),
        onProgress: (p) => progress.push(p),
      });

    const first = await open();
    expect(statuses).toEqual(["restoring", "running"]);
    const kv = first.stores.store("kv");
    if (kv.kind !== "keyValue") throw new Error("key-value expected");
    first.stores.begin();
    for (let i = 0; i < 5; i++) kv.put(`k${i}`, i);
    first.stores.commit();
    expect(await first.flush()).toBe(5);
    expect(log.logs.get("app-kv-changelog/2")).toHaveLength(5);
    first.stores.begin();
    kv.put("k9", 9);
    first.stores.commit();
    await first.close({ clean: true });
    expect(statuses.at(-1)).toBe("closed");

    progress.length = 0;
    const second = await open();
    expect(second.checkpoint).toEqual({ kv: 6 });
    expect(progress).toEqual([{ store: "kv", restored: 0, total: 0 }]);
    const again = second.stores.store("kv");
    if (again.kind !== "keyValue") throw new Error("key-value expected");
    expect(again.get("k9")).toBe(9);
    await second.stores.close(); // as if killed: no clean close, no checkpoint

    progress.length = 0;
    const third = await open();
    expect(third.checkpoint).toBeUndefined();
    expect(progress.at(-1)).toEqual({ store: "kv", restored: 6, total: 6 });
    await third.close({ clean: false });
  });
});
