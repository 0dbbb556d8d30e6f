/**
 * Changelogs on the real broker: sluice creates `<applicationId>-<store>-changelog` compacted with the input's
 * partition count; a task's store changes written through the kafkajs sender restore, through the kafkajs
 * partition reader, into a fresh lmdb store with the same contents, partition by partition. Needs the local
 * stack (test/global-setup.ts).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigResourceTypes, Kafka, logLevel } from "kafkajs";
import { afterAll, describe, expect, it } from "vitest";
import { compileTopology } from "../../topologies/compiler.ts";
import {
  kafkajsChangelogAdmin,
  kafkajsChangelogSender,
  kafkajsPartitionReader,
} from "../../topologies/runtime/kafka/kafkajs-changelog.ts";
import { ChangelogWriter } from "../../topologies/runtime/state/changelog-writer.ts";
import { lmdbEngines } from "../../topologies/runtime/state/lmdb-engine.ts";
import { restoreStores } from "../../topologies/runtime/state/restorer.ts";
import { TaskStores } from "../../topologies/runtime/state/task-stores.ts";
import { changelogTopic } from "../../topologies/stores.ts";
import { TopologyTestDriver } from "../../topologies/test-driver.ts";
import { parseTopology } from "../../topologies/yaml-loader.ts";
import { deleteTopics, testKafka } from "../helpers/kafka.ts";
import { services, uniqueName } from "../helpers/services.ts";

// A test of the kafkajs adapter's changelog functions, which take kafkajs clients.
const kafka = new Kafka({
  clientId: "state-changelog-test",
  brokers: services().kafkaBrokers,
  logLevel: logLevel.NOTHING,
});
const app = uniqueName("state");
const dir = mkdtempSync(join(tmpdir(), "sluice-changelog-"));

afterAll(async () => {
  await deleteTopics(testKafka("state-changelog-test"), [changelogTopic(app, "counts")]);
  rmSync(dir, { recursive: true, force: true });
});

const YAML = `
applicationId: ${app}
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

describe("changelog on the broker", () => {
  it("is created compacted with the input's partitions and restores each partition's store", async () => {
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    try {
      const topic = changelogTopic(app, "counts");
      await kafkajsChangelogAdmin(admin).ensureCompactedTopics([{ topic, partitions: 3 }]);
      await kafkajsChangelogAdmin(admin).ensureCompactedTopics([{ topic, partitions: 3 }]);
      const [config] = (
        await admin.describeConfigs({
          resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ["cleanup.policy"] }],
          includeSynonyms: false,
        })
      ).resources;
      expect(config?.configEntries.find((e) => e.configName === "cleanup.policy")?.configValue).toBe("compact");
      expect((await admin.fetchTopicOffsets(topic)).length).toBe(3);

      const driver = await TopologyTestDriver.create(compileTopology(parseTopology(YAML, { env: {} })), { now: 0 });
      const records = Array.from({ length: 3000 }, (_, i) => ({
        key: `user-${i % 500}`,
        value: {},
        timestamp: i * 10,
        partition: 1,
      }));
      const sender = kafkajsChangelogSender(producer);
      for (let i = 0; i < records.length; i += 500) {
        await driver.pipeInput("clicks", records.slice(i, i + 500));
        await new ChangelogWriter(app, 1, sender).write(driver.changelog(1));
      }
      const live = driver.store("counts", 1);
      if (live.kind !== "keyValue") throw new Error("key-value expected");
      const expected = live.range();
      await driver.close();

      const reader = kafkajsPartitionReader(kafka, admin, app, 16 * 1024); // small fetches: many batches
      const stores = new TaskStores("clicks-1", [{ name: "counts", kind: "keyValue" }], lmdbEngines(dir, app), () => 0);
      const ends = await restoreStores(stores, reader, { applicationId: app, partition: 1 });
      const restored = stores.store("counts");
      if (restored.kind !== "keyValue") throw new Error("key-value expected");
      expect(restored.range()).toEqual(expected);
      expect(ends.counts).toBeGreaterThan(0);
      await stores.close();

      const empty = new TaskStores("clicks-0", [{ name: "counts", kind: "keyValue" }], lmdbEngines(dir, app), () => 0);
      expect(await restoreStores(empty, reader, { applicationId: app, partition: 0 })).toEqual({ counts: 0 });
      await empty.close();
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  }, 120_000);
});
