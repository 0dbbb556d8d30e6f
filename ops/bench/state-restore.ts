/**
 * `node --import tsx ops/bench/state-restore.ts [--keys 1000000]`: restore time of a store of N keys from its
 * changelog on the running local broker (issue 14). Produces N distinct keys to a fresh compacted changelog topic
 * through the runtime's changelog sender on the Kafka port's producer, then restores them through the adapter's
 * partition reader (the one a task restores with) into an lmdb store under a temp folder, as a task does after a
 * kill -9 (no checkpoint: wipe and restore whole).
 * Writes bench/results/state-restore.json.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { changelogSender } from "../../topologies/runtime/state/changelog-io.ts";
import { encodeStoredValue } from "../../topologies/runtime/state/changelog-writer.ts";
import { lmdbEngines } from "../../topologies/runtime/state/lmdb-engine.ts";
import { restoreStores } from "../../topologies/runtime/state/restorer.ts";
import { TaskStores } from "../../topologies/runtime/state/task-stores.ts";
import { changelogTopic } from "../../topologies/stores.ts";
import { writeResult } from "./lib/results.ts";
import { benchChangelogIo, benchClient, createTopic, deleteTopics } from "./lib/topics.ts";

const { values } = parseArgs({ options: { keys: { type: "string", default: "1000000" } } });
const keys = Number(values.keys);
const app = "sluice-bench-state";
const topic = changelogTopic(app, "counts");

await createTopic(topic, 1, { "cleanup.policy": "compact" });
// The runtime's changelog path: the port's idempotent producer through `changelogSender`, and the adapter's
// partition reader (a throwaway group, as a task's restore uses).
const producer = benchClient().producer();
const [io] = await Promise.all([benchChangelogIo(app), producer.connect()]);
const sender = changelogSender(producer);
let started = performance.now();
const BATCH = 10_000;
for (let i = 0; i < keys; i += BATCH) {
  const records = [];
  for (let j = i; j < Math.min(keys, i + BATCH); j++) {
    records.push({
      key: `k\u0000user-${j}\u0000${String(j % 60).padStart(14, "0")}`,
      value: encodeStoredValue({ v: { end: 60_000, value: j % 97 } }),
    });
  }
  await sender.send(topic, 0, records);
}
const produceSeconds = (performance.now() - started) / 1000;

const dir = mkdtempSync(join(tmpdir(), "sluice-bench-restore-"));
const stores = new TaskStores("bench-0", [{ name: "counts", kind: "keyValue" }], lmdbEngines(dir, app), () => 0);
started = performance.now();
const ends = await restoreStores(stores, io.reader, {
  applicationId: app,
  partition: 0,
});
const restoreSeconds = (performance.now() - started) / 1000;
const restoredKeys = stores.engine("counts").size();
await stores.close();
rmSync(dir, { recursive: true, force: true });
await Promise.all([producer.disconnect(), io.close()]);
await deleteTopics([topic]);

const result = {
  what: `restore of a ${keys}-key store from its changelog (one partition) into lmdb, as after a kill -9`,
  keys,
  changelogRecords: ends.counts,
  restoredKeys,
  restoreSeconds: Number(restoreSeconds.toFixed(2)),
  restoredKeysPerSecond: Math.round(restoredKeys / restoreSeconds),
  produceSeconds: Number(produceSeconds.toFixed(2)),
  note: "includes joining a throwaway consumer group (kafkajs has no assign()); measured on the shared 2-core machine, noisy",
};
console.log(JSON.stringify(result));
console.log(writeResult("state-restore", result));
