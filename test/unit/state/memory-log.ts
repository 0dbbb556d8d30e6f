/** An in-memory changelog for the state unit tests: one append-only log per topic-partition, read in batches of 2. */
import type { ChangelogRecord, PartitionReader } from "../../../topologies/runtime/state/changelog-io.ts";

/** A topic log per topic-partition, in memory. */
export class MemoryLog implements PartitionReader {
  readonly logs = new Map<string, ChangelogRecord[]>();
  sender = {
    send: async (topic: string, partition: number, records: readonly ChangelogRecord[]) => {
      const log = this.logs.get(`${topic}/${partition}`) ?? [];
      log.push(...records);
      this.logs.set(`${topic}/${partition}`, log);
    },
  };
  async endOffset(topic: string, partition: number) {
    return this.logs.get(`${topic}/${partition}`)?.length ?? 0;
  }
  async read(topic: string, partition: number, from: number, to: number, onBatch: (r: never[]) => void) {
    const log = this.logs.get(`${topic}/${partition}`) ?? [];
    for (let i = from; i < to; i += 2) {
      onBatch(log.slice(i, Math.min(i + 2, to)).map((r, j) => ({ ...r, offset: i + j })) as never[]);
    }
  }
}
