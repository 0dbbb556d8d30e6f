/**
 * The partitions' state in `sluice run`: a partition's stores are restored in the background when its first
 * batch arrives (the consumer pauses it meanwhile, so other partitions run on), then serve every source
 * topic's task of that partition. State that can no longer be trusted (the partition was revoked, or this member
 * was evicted) is closed without a checkpoint, so the next owner — this member included — restores it whole.
 */
import type { Logger } from "pino";
import type { TopologyExecutor } from "../../executor.ts";
import { PartitionState } from "./partition-state.ts";
import type { StateSupplier } from "./state-supplier.ts";
import type { TaskStores } from "./task-stores.ts";

interface Opening {
  /** Bumped when the partition's state is dropped: a restore that finishes for an older epoch is discarded. */
  epoch: number;
  ready: PartitionState | undefined;
  restoring: Promise<void> | undefined;
}

export interface PartitionStatesOptions {
  supplier: StateSupplier;
  logger: Logger;
  /** The executor of a partition, reaching its stores. */
  executor(partition: number, stores: TaskStores): Promise<TopologyExecutor>;
  /** A changelog write failed for good. */
  onError(error: unknown): void;
  /**
   * Runs before the partition's changelogs are read (exactly-once: the partition's transactional producers are
   * initialised first, fencing a previous owner and aborting its open transaction, so the read-committed restore
   * is not held behind it). @default nothing
   */
  beforeRestore?(partition: number): Promise<void>;
}

export class PartitionStates {
  private readonly partitions = new Map<number, Opening>();

  constructor(private readonly options: PartitionStatesOptions) {}

  /** The partition's state when restored, else undefined. */
  ready(partition: number): PartitionState | undefined {
    return this.partitions.get(partition)?.ready;
  }

  /** Partitions restoring now. */
  get restoring(): number[] {
    return [...this.partitions].filter(([, o]) => o.ready === undefined).map(([p]) => p);
  }

  /** Every partition with state, ready or restoring. */
  get partitionNumbers(): number[] {
    return [...this.partitions.keys()];
  }

  /** Starts restoring `partition` unless it is already restoring; `done` runs once it may process. */
  restore(partition: number, done: () => void): void {
    const opening = this.partitions.get(partition) ?? { epoch: 0, ready: undefined, restoring: undefined };
    this.partitions.set(partition, opening);
    if (opening.ready || opening.restoring) return;
    const epoch = opening.epoch;
    opening.restoring = (async () => {
      await this.options.beforeRestore?.(partition);
      const state = await this.options.supplier.open(partition, this.options.logger);
      const executor = await this.options.executor(partition, state.stores).catch(async (error: unknown) => {
        await state.close({ clean: false });
        throw error;
      });
      const current = this.partitions.get(partition);
      if (current !== opening || opening.epoch !== epoch) {
        await executor.close().catch(() => {});
        await state.close({ clean: false });
        return;
      }
      opening.ready = new PartitionState(partition, state, executor, this.options.onError);
      done();
    })()
      .catch((error: unknown) => {
        this.options.logger.error({ err: error, partition }, "restoring state failed; retried at the next batch");
      })
      .finally(() => {
        opening.restoring = undefined;
      });
  }

  /** Drops the partition's state without a checkpoint (revoked, or possibly stale). */
  async drop(partition: number): Promise<void> {
    const opening = this.partitions.get(partition);
    if (!opening) return;
    this.partitions.delete(partition);
    opening.epoch++;
    const ready = opening.ready;
    opening.ready = undefined;
    await ready?.close(false).catch(() => {});
  }

  /** Closes every partition's state; `clean` (a drained stop) flushes and leaves checkpoints. */
  async closeAll(clean: boolean): Promise<void> {
    const all = [...this.partitions.values()];
    this.partitions.clear();
    for (const opening of all) opening.epoch++;
    await Promise.all(all.map((o) => o.restoring));
    await Promise.all(all.map((o) => o.ready?.close(clean).catch(() => {})));
  }
}
