/**
 * Restores a task's stores from their changelogs before the task processes (Kafka Streams'
 * `StoreChangelogReader`): from the checkpointed offset when a clean stop left one, else from the start after
 * wiping the local engine, up to the end offset read when restoration starts. Progress is reported per batch so
 * the runtime can show the task as `restoring` (logs, metrics, status) while other tasks run.
 */
import { changelogTopic } from "../../stores.ts";
import type { PartitionReader } from "./changelog-io.ts";
import { decodeStoredValue } from "./changelog-writer.ts";
import type { CheckpointOffsets } from "./checkpoint.ts";
import type { TaskStores } from "./task-stores.ts";

export interface RestoreProgress {
  readonly store: string;
  /** Changelog records applied so far for this store. */
  readonly restored: number;
  /** Records to apply for this store (end offset minus start offset). */
  readonly total: number;
}

export interface RestoreOptions {
  applicationId: string;
  partition: number;
  /** Offsets from a clean stop's checkpoint; a store missing from it is restored whole. */
  checkpoint?: CheckpointOffsets | undefined;
  onProgress?: (progress: RestoreProgress) => void;
}

/** Restores every changelogged store of `stores`; returns each store's end offset (for the next checkpoint). */
export async function restoreStores(
  stores: TaskStores,
  reader: PartitionReader,
  options: RestoreOptions,
): Promise<CheckpointOffsets> {
  const ends: CheckpointOffsets = {};
  for (const declaration of stores.declarations) {
    if (declaration.changelog === false) continue;
    const topic = changelogTopic(options.applicationId, declaration.name);
    const end = await reader.endOffset(topic, options.partition);
    const checkpointed = options.checkpoint?.[declaration.name];
    const from = checkpointed !== undefined && checkpointed <= end ? checkpointed : 0;
    if (from === 0) stores.engine(declaration.name).clear();
    let restored = 0;
    const total = end - from;
    options.onProgress?.({ store: declaration.name, restored, total });
    if (total > 0) {
      await reader.read(topic, options.partition, from, end, (records) => {
        stores.restore(
          declaration.name,
          records.map((r) => ({ key: r.key, value: decodeStoredValue(r.value) })),
        );
        const last = records.at(-1);
        if (last !== undefined) restored = last.offset + 1 - from;
        options.onProgress?.({ store: declaration.name, restored, total });
      });
    }
    ends[declaration.name] = end;
  }
  return ends;
}
