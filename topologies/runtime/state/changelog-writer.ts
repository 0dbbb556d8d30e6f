/**
 * Writes a task's committed store changes to their changelog topics, `<applicationId>-<store>-changelog`,
 * partition = the task's input partition. The runtime sends a batch's changes after the batch's sink outputs
 * were acknowledged and before its input offsets may be committed (the commit tracker's pending/ack): so a
 * change in the changelog always belongs to a record whose outputs are durable, and a redelivered record finds
 * its own writes already applied after a restore (the operators then skip it, not counting it twice).
 */
import { changelogTopic } from "../../stores.ts";
import type { ChangelogRecord, ChangelogSender } from "./changelog-io.ts";
import type { StoredValue } from "./engine.ts";
import type { ChangelogWrite } from "./task-stores.ts";

/** A stored value as changelog bytes (JSON of `{v, x?}`). */
export function encodeStoredValue(value: StoredValue): Buffer {
  return Buffer.from(JSON.stringify(value));
}

/** Changelog bytes back to a stored value; null stays a deletion. */
export function decodeStoredValue(bytes: Buffer | null): StoredValue | null {
  if (bytes === null) return null;
  return JSON.parse(bytes.toString("utf8")) as StoredValue;
}

export class ChangelogWriter {
  constructor(
    private readonly applicationId: string,
    private readonly partition: number,
    private readonly sender: ChangelogSender,
  ) {}

  /**
   * Sends `writes` grouped per store (order kept within each store); resolves when all are acknowledged.
   * `through` replaces the sender for this write (exactly-once: the open transaction of the task that made them).
   */
  async write(writes: readonly ChangelogWrite[], through: ChangelogSender = this.sender): Promise<number> {
    const byStore = new Map<string, ChangelogRecord[]>();
    for (const write of writes) {
      const records = byStore.get(write.store) ?? [];
      records.push({ key: write.key, value: write.value === null ? null : encodeStoredValue(write.value) });
      byStore.set(write.store, records);
    }
    await Promise.all(
      [...byStore].map(([store, records]) =>
        through.send(changelogTopic(this.applicationId, store), this.partition, records),
      ),
    );
    return writes.length;
  }
}
