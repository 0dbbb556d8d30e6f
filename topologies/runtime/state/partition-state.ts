/**
 * The state of one input partition number in `sluice run`, shared by the tasks of every source topic's partition
 * with that number (co-partitioned topics: a join's table topic and its stream, as Kafka Streams groups them
 * into one task). It holds the restored stores, the executor that reaches them, the changelog gate, and a turn
 * so one chunk runs at a time across those tasks: the executor and the stores' batch buffer are not re-entrant,
 * and a chunk's changes must be taken before the next chunk writes.
 */
import type { TopologyExecutor } from "../../executor.ts";
import { ChangelogGate } from "./changelog-gate.ts";
import type { TaskState } from "./task-state.ts";
import type { ChangelogWrite } from "./task-stores.ts";

export class PartitionState {
  readonly gate: ChangelogGate;
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    readonly partition: number,
    readonly state: TaskState,
    readonly executor: TopologyExecutor,
    onError: (error: unknown) => void,
  ) {
    this.gate = new ChangelogGate(state, onError);
  }

  /**
   * Runs one chunk through the executor alone among this partition's tasks; its store changes are taken at once
   * and handed to `after`, which runs before the next chunk may start (it hands the outputs to the sinks and the
   * changes to the gate, so the changelog keeps the order the changes were made in).
   */
  run<T>(
    execute: (executor: TopologyExecutor) => Promise<T>,
    after: (result: T, changes: ChangelogWrite[]) => void,
  ): Promise<T> {
    return this.exclusive(async (executor) => {
      const value = await execute(executor);
      after(value, this.state.stores.takeChangelog());
      return value;
    });
  }

  /** Runs `step` alone among this partition's tasks (exactly-once: the chunk and its transaction). */
  exclusive<T>(step: (executor: TopologyExecutor) => Promise<T>): Promise<T> {
    const result = this.turn.then(() => step(this.executor));
    this.turn = result.catch(() => {});
    return result;
  }

  /** A clean close (after a drained stop) flushes and checkpoints; any other close leaves no checkpoint. */
  async close(clean: boolean): Promise<void> {
    if (clean) await this.gate.drain();
    await this.executor.close().catch(() => {});
    await this.state.close({ clean });
  }
}
