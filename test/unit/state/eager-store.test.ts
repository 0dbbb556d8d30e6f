/**
 * Eager stores (the tool journal's): a write reaches the changelog at once, not with its batch; a retried batch
 * (abort) keeps it; concurrent writes are group-committed; a failed send is retried until acknowledged; a full
 * restore after an unclean stop holds every acknowledged write. (A dotted name, as agents name their steps: lmdb
 * must still open it as a folder.)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ChangelogRecord } from "../../../topologies/runtime/state/changelog-io.ts";
import { TaskState } from "../../../topologies/runtime/state/task-state.ts";
import { MemoryLog } from "./memory-log.ts";

describe("eager store", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("sends each write at once, keeps it through an aborted batch, group-commits, retries a failed send, restores", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "sluice-eager-"));
    dirs.push(stateDir);
    const log = new MemoryLog();
    const sends: number[] = [];
    let failNext = 1;
    const sender = {
      send: async (topic: string, partition: number, records: readonly ChangelogRecord[]) => {
        await new Promise((r) => setTimeout(r, 5));
        if (failNext-- > 0) throw new Error("broker not available");
        sends.push(records.length);
        await log.sender.send(topic, partition, records);
      },
    };
    const open = () =>
      TaskState.open({
        applicationId: "app",
        taskId: "calls-0",
        partition: 0,
        declarations: [
          { name: "fraud.risk-journal", kind: "keyValue", eager: true },
          { name: "kv", kind: "keyValue" },
        ],
        stateDir,
        reader: log,
        sender,
      });
    const state = await open();
    const journal = state.stores.store("fraud.risk-journal");
    const kv = state.stores.store("kv");
    if (journal.kind !== "keyValue" || kv.kind !== "keyValue") throw new Error("key-value expected");
    state.stores.begin();
    kv.put("batch", 1);
    for (let i = 0; i < 20; i++) journal.put(`call-${i}`, { status: "ok", i });
    await journal.persisted?.();
    // The first send failed and was retried; the 20 writes went out together, before the batch ended.
    expect(sends).toEqual([20]);
    expect(log.logs.get("app-fraud.risk-journal-changelog/0")).toHaveLength(20);
    expect(log.logs.get("app-kv-changelog/0")).toBeUndefined();
    state.stores.abort(); // the batch is retried: its batch-store write is dropped, the journal kept
    expect(journal.get("call-3")).toEqual({ status: "ok", i: 3 });
    expect(kv.get("batch")).toBeUndefined();
    journal.put("call-20", { status: "ok", i: 20 });
    await state.stores.close(); // as if killed: no checkpoint; the write not yet sent is rejected
    await expect(journal.persisted?.()).rejects.toThrow(/closed/);

    const restored = await open();
    const again = restored.stores.store("fraud.risk-journal");
    if (again.kind !== "keyValue") throw new Error("key-value expected");
    expect(again.prefix("call-")).toHaveLength(20);
    expect(again.get("call-19")).toEqual({ status: "ok", i: 19 });
    await restored.close({ clean: true });
  });
});
