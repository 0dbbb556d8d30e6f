/**
 * Stores declared in a topology's `stores:` section, reached by a custom processor through `ctx.keyValueStore()`:
 * prefix scans, TTL by the driver's clock, a retried batch applying its writes once, store name clashes reported
 * with line:column, and the lmdb engine keeping committed writes across a reopen.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../../core/errors.ts";
import { compileTopology } from "../../../topologies/compiler.ts";
import { lmdbEngines } from "../../../topologies/runtime/state/lmdb-engine.ts";
import { TaskStores } from "../../../topologies/runtime/state/task-stores.ts";
import { TopologyTestDriver } from "../../../topologies/test-driver.ts";
import { parseTopology } from "../../../topologies/yaml-loader.ts";

const DIR = new URL(".", import.meta.url).pathname;
const YAML = `
applicationId: memory-test
kafka: { brokers: localhost:9092 }
sources:
  - name: events
    topic: events
    value: { format: json }
stores:
  - name: memory
processors:
  - name: remember
    type: custom
    from: events
    custom:
      module: ./fixtures/recent-events.ts
      export: recentEvents
      options: { keep: 2, ttlMs: 60000 }
sinks:
  - name: out
    type: kafka
    from: remember
    kafka: { topic: out, value: { format: json } }
`;

async function driver(yaml: string): Promise<TopologyTestDriver> {
  const loaded = parseTopology(yaml, { file: "memory.yaml", baseDir: DIR, env: {} });
  return TopologyTestDriver.create(compileTopology(loaded), { now: 1_000 });
}

describe("declared stores", () => {
  let d: TopologyTestDriver;
  afterEach(() => d?.close());

  it("keeps the last events per key, forgets them after their TTL, and applies a retried batch once", async () => {
    d = await driver(YAML);
    await d.pipeInput("events", [
      { key: "c1", value: { text: "a" } },
      { key: "c2", value: { text: "x" } },
      { key: "c1", value: { text: "b" } },
    ]);
    await expect(d.pipeInput("events", { key: "c1", value: { text: "c", failOnce: true } })).rejects.toThrow(/blinked/);
    await d.pipeInput("events", { key: "c1", value: { text: "c" } });
    expect(d.readValues("out").map((v) => (v as { recent: string[] }).recent)).toEqual([
      ["a"],
      ["x"],
      ["a", "b"],
      ["b", "c"],
    ]);
    d.advanceTime(60_001);
    await d.pipeInput("events", { key: "c1", value: { text: "d" } });
    expect((d.readValues("out").at(-1) as { recent: string[] }).recent).toEqual(["d"]);
  });

  it("reports a store name used twice at its line and column", () => {
    const clash = YAML.replace(
      "processors:\n",
      "processors:\n  - name: memory\n    type: count\n    from: events\n    count: {}\n",
    ).replace("from: remember", "from: [remember, memory]");
    const loaded = parseTopology(clash, { file: "memory.yaml", baseDir: DIR, env: {} });
    try {
      compileTopology(loaded);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect(String((error as Error).message)).toMatch(
        /memory\.yaml:11:11.*store "memory" is already declared at stores\.0\.name/,
      );
    }
  });
});

describe("lmdb engine", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("keeps committed writes across a reopen and drops aborted ones", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-state-"));
    dirs.push(dir);
    const open = () => new TaskStores("events-0", [{ name: "kv", kind: "keyValue" }], lmdbEngines(dir, "app"), () => 0);
    const first = open();
    const kv = first.store("kv");
    if (kv.kind !== "keyValue") throw new Error("expected a key-value store");
    first.begin();
    kv.put("b", { n: 2 });
    kv.put("a", { n: 1 });
    kv.put("c", [3]);
    first.commit();
    first.begin();
    kv.put("zz", "never");
    kv.delete("a");
    first.abort();
    expect(first.takeChangelog().map((w) => w.key)).toEqual(["b", "a", "c"]);
    await first.close();
    const second = open();
    const again = second.store("kv");
    if (again.kind !== "keyValue") throw new Error("expected a key-value store");
    expect(again.range()).toEqual([
      { key: "a", value: { n: 1 } },
      { key: "b", value: { n: 2 } },
      { key: "c", value: [3] },
    ]);
    expect(again.range("b")).toHaveLength(2);
    expect(again.get("zz")).toBeUndefined();
    await second.close();
  });
});
