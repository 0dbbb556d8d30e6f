/**
 * The small Kafka surface the changelog needs, so the writer and the restorer never see a client library:
 * a sender that resolves when the broker acknowledged, a reader of one topic-partition from an offset to its
 * end, and topic creation. `../kafka/kafkajs-changelog.ts` implements the reader and the admin; `changelogSender`
 * below is the sender over the Kafka port. Tests may pass in-memory ones.
 */
import type { Sender } from "../../../core/kafka.ts";

/** One changelog record: the store key, and the encoded entry or null (a tombstone: the key was deleted). */
export interface ChangelogRecord {
  readonly key: string;
  readonly value: Buffer | null;
}

/** A changelog record read back, with its offset. */
export interface ReadChangelogRecord extends ChangelogRecord {
  readonly offset: number;
}

export interface ChangelogSender {
  /** Sends `records` to `topic`/`partition` in order; resolves once all are acknowledged. */
  send(topic: string, partition: number, records: readonly ChangelogRecord[]): Promise<void>;
}

export interface PartitionReader {
  /** The offset the next record of `topic`/`partition` will get (the end, as of now). */
  endOffset(topic: string, partition: number): Promise<number>;
  /**
   * Reads `topic`/`partition` from offset `from` up to (not including) `to`, handing over records in offset order
   * batch by batch; resolves after the last one.
   */
  read(
    topic: string,
    partition: number,
    from: number,
    to: number,
    onBatch: (records: readonly ReadChangelogRecord[]) => void | Promise<void>,
  ): Promise<void>;
}

export interface ChangelogAdmin {
  /** Creates the missing topics as compacted topics with `partitions` partitions; leaves existing ones alone. */
  ensureCompactedTopics(topics: ReadonlyArray<{ topic: string; partitions: number }>): Promise<void>;
}

/** A changelog sender over the Kafka port: a producer, or a transactional producer inside its open transaction. */
export function changelogSender(target: Sender): ChangelogSender {
  return {
    async send(topic, partition, records) {
      if (records.length === 0) return;
      await target.send(
        topic,
        records.map((r) => ({ partition, key: r.key, value: r.value })),
      );
    },
  };
}
