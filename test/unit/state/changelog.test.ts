/**
 * Changelog and restoration without a broker: the writer's records (through an in-memory changelog that keeps
 * the last value per key, as compaction would) restore a fresh task's stores to the same contents; a clean stop's
 * checkpoint restores only the tail; no checkpoint (kill -9) wipes the local engine and restores whole; and a
 * restored windowed count does not count redelivered records twice.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ChangelogWriter } from "../../../topologies/runtime/state/changelog-writer.ts";
import { takeCheckpoint, writeCheckpoint } from "../../../topologies/runtime/state/checkpoint.ts";
import { lmdbEngines } from "../../../topologies/runtime/state/lmdb-engine.ts";
import { type RestoreProgress, restoreStores } from "../../../topologies/runtime/state/restorer.ts";
import { TaskStores } from "../../../topologies/runtime/state/task-stores.ts";
import { driverFromYaml } from "../processors/helpers.ts";
import { MemoryLog } from "./memory-log.ts";

const COUNT = `
applicationId: app
kafka: { brokers: localhost:9092 }
sources:
  - name: clicks
    topic: clicks
    value: { format: json }
processors:
  - name: counts
    type: count
    from: clicks
    count: { window: { type: tumbling, sizeMs: 1000 } }
sinks:
  - name: out
    type: kafka
    from: counts
    kafka: { topic: out, value: { format: json } }
`;

const clicks = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ key: `k${i % 3}`, value: {}, timestamp: i * 100 }));

describe("changelog and restore", () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-restore-"));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("restores a fresh task's store to what the changelog says, reporting progress", async () => {
    const driver = await driverFromYaml(COUNT);
    await driver.pipeInput("clicks", clicks(12));
    const log = new MemoryLog();
    await new ChangelogWriter("app", 0, log.sender).write(driver.changelog());
    expect([...log.logs.keys()]).toEqual(["app-counts-changelog/0"]);
    const original = driver.store("counts");
    if (original.kind !== "keyValue") throw new Error("key-value expected");
    const expected = original.range();
    await driver.close();

    const stores = new TaskStores(
      "clicks-0",
      [{ name: "counts", kind: "keyValue" }],
      lmdbEngines(tempDir(), "app"),
      () => 0,
    );
    const progress: RestoreProgress[] = [];
    const ends = await restoreStores(stores, log, {
      applicationId: "app",
      partition: 0,
      onProgress: (p) => progress.push(p),
    });
    const restored = stores.store("counts");
    if (restored.kind !== "keyValue") throw new Error("key-value expected");
    expect(restored.range()).toEqual(expected);
    expect(ends.counts).toBe(log.logs.get("app-counts-changelog/0")!.length);
    expect(progress.at(-1)).toEqual({ store: "counts", restored: ends.counts, total: ends.counts });
    await stores.close();
  });

  it("restores only the tail after a clean stop's checkpoint, and whole (wiping local state) without one", async () => {
    const dir = tempDir();
    const log = new MemoryLog();
    const open = () => new TaskStores("t-0", [{ name: "kv", kind: "keyValue" }], lmdbEngines(dir, "app"), () => 0);
    const writer = new ChangelogWriter("app", 0, log.sender);
    const first = open();
    const kv = first.store("kv");
    if (kv.kind !== "keyValue") throw new Error("key-value expected");
    first.begin();
    for (let i = 0; i < 10; i++) kv.put(`k${i}`, i);
    first.commit();
    await writer.write(first.takeChangelog());
    writeCheckpoint(join(dir, "app", "t-0"), { kv: 10 });
    first.begin();
    kv.put("local-only", 1); // reached the local engine but never the changelog
    first.commit();
    first.takeChangelog();
    await first.close();
    await log.sender.send("app-kv-changelog", 0, [{ key: "k0", value: Buffer.from('{"v":100}') }]);

    const second = open();
    const progress: RestoreProgress[] = [];
    await restoreStores(second, log, {
      applicationId: "app",
      partition: 0,
      checkpoint: takeCheckpoint(join(dir, "app", "t-0")),
      onProgress: (p) => progress.push(p),
    });
    expect(progress.at(-1)).toEqual({ store: "kv", restored: 1, total: 1 });
    const again = second.store("kv");
    if (again.kind !== "keyValue") throw new Error("key-value expected");
    expect(again.get("k0")).toBe(100);
    expect(takeCheckpoint(join(dir, "app", "t-0"))).toBeUndefined();
    await second.close();

    // no checkpoint now (taken at open): as after a kill -9, the local engine is wiped and restored whole
    const third = open();
    await restoreStores(third, log, { applicationId: "app", partition: 0, checkpoint: undefined });
    const whole = third.store("kv");
    if (whole.kind !== "keyValue") throw new Error("key-value expected");
    expect(whole.get("local-only")).toBeUndefined();
    expect(whole.range()).toHaveLength(10);
    await third.close();
  });

  it("a restored count does not count redelivered records twice", async () => {
    const dir = tempDir();
    const first = await driverFromYaml(COUNT);
    await first.pipeInput("clicks", clicks(6));
    const log = new MemoryLog();
    await new ChangelogWriter("app", 0, log.sender).write(first.changelog());
    await first.close();
    // a new task restores the store, then the input is redelivered from offset 0 (nothing was committed)
    const stores = new TaskStores("clicks-0", [{ name: "counts", kind: "keyValue" }], lmdbEngines(dir, "app"), () => 0);
    await restoreStores(stores, log, { applicationId: "app", partition: 0 });
    await stores.close();
    const { TopologyTestDriver } = await import("../../../topologies/test-driver.ts");
    const fresh = await driverFromYaml(COUNT);
    const second = await TopologyTestDriver.create(fresh.topology, { engines: lmdbEngines(dir, "app"), now: 0 });
    await second.pipeInput("clicks", clicks(12));
    await fresh.pipeInput("clicks", clicks(12));
    const a = second.store("counts");
    const b = fresh.store("counts");
    if (a.kind !== "keyValue" || b.kind !== "keyValue") throw new Error("key-value expected");
    expect(a.range().filter((e) => e.key.startsWith("k\u0000"))).toEqual(
      b.range().filter((e) => e.key.startsWith("k\u0000")),
    );
    expect(second.metrics()["counts.redelivered_skipped"]).toBe(6);
    await second.close();
    await fresh.close();
  });
});
