/**
 * Exactly-once with state: a partition's transactional producers (one per source topic, id
 * `<applicationId>-<topic>-<partition>`) are made before its stores restore, so the previous owner is fenced and
 * its open transaction aborted first — a read-committed restore would otherwise wait behind it until the
 * transaction timeout. The partition's tasks then take them; those never taken are disconnected.
 */
import { partitionId } from "../../core/kafka.ts";
import type { TaskTransaction, TopologyResources } from "./resources.ts";

export class PreparedTransactions {
  private readonly prepared = new Map<string, TaskTransaction>();

  constructor(private readonly resources: TopologyResources) {}

  /** Makes (and so initialises) the transactional producer of every source topic's `partition`. */
  async prepare(partition: number): Promise<void> {
    for (const topic of this.resources.serdesByTopic.keys()) {
      const id = partitionId(topic, partition);
      if (this.prepared.has(id)) continue;
      this.prepared.set(id, await this.resources.transactionalTask(topic, partition));
    }
  }

  /** The prepared transaction of `topic`/`partition`, or a new one. */
  take(topic: string, partition: number): Promise<TaskTransaction> {
    const id = partitionId(topic, partition);
    const prepared = this.prepared.get(id);
    this.prepared.delete(id);
    return prepared ? Promise.resolve(prepared) : this.resources.transactionalTask(topic, partition);
  }

  /** Disconnects the prepared producers no task took (of `partition`, or all). */
  discard(partition?: number): void {
    for (const [id, tx] of this.prepared) {
      if (partition !== undefined && !id.endsWith(`:${partition}`)) continue;
      this.prepared.delete(id);
      void tx.producer.disconnect().catch(() => {});
    }
  }
}
