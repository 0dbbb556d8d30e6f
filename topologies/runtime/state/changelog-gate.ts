/**
 * The consistency rule between a task's store writes and its offset commits, in one place for the runtime's
 * at-least-once path: after a chunk ran, its store changes are taken at once; the chunk's first offset is held
 * pending in the commit tracker; the changes are sent only after the chunk's sink deliveries settled, and the
 * offset is acknowledged when the changelog acknowledged them. So no offset is committed before its record's
 * writes are in the changelog, and a change is in the changelog only once its record's outputs were delivered
 * (after a restore, the operators skip a redelivered record whose writes they already hold). Chunks flush in
 * order. In exactly-once mode the runtime sends the changes inside the chunk's transaction instead.
 */
import type { TaskState } from "./task-state.ts";
import type { ChangelogWrite } from "./task-stores.ts";

/** The part of the commit tracker the gate uses. */
export interface PendingAcks {
  addPending(offset: number): void;
  ack(offset: number): void;
}

export class ChangelogGate {
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly state: TaskState,
    /** A changelog write that failed for good: the runtime fails the task (the offset stays pending). */
    private readonly onError: (error: unknown) => void,
  ) {}

  /**
   * Call right after the executor ran a chunk whose first input offset is `first`, with its sink deliveries and
   * the tracker of the task that ran it (tasks of one partition's topics share the stores and the gate, so their
   * changes reach the changelog in the order they were made). `changes` default to every change queued so far.
   */
  afterRun(
    first: number,
    deliveries: ReadonlyArray<Promise<unknown>>,
    tracker: PendingAcks,
    changes: readonly ChangelogWrite[] = this.state.stores.takeChangelog(),
  ): void {
    if (changes.length === 0) return;
    tracker.addPending(first);
    this.tail = this.tail
      .then(() => Promise.allSettled(deliveries))
      .then(() => this.state.flush(changes))
      .then(
        () => tracker.ack(first),
        (error) => this.onError(error),
      );
  }

  /** Resolves when every chunk's changes so far are acknowledged (or failed). */
  drain(): Promise<void> {
    return this.tail;
  }
}
