/**
 * A task's state from assignment to close, for the runtime: opens the task's stores under the state directory,
 * takes the checkpoint, restores from the changelogs (state `restoring`, with progress), then serves the
 * executor (`running`); `flush()` sends the changes committed since the last flush and resolves once they are
 * acknowledged (the runtime acks the batch's offsets in the commit tracker after that); eager stores' writes go
 * out as they are made, through the same writer (never inside a transaction: a journaled call happened whether or
 * not its chunk commits); `close({clean: true})` flushes, checkpoints the changelog end offsets and closes the engines. Only this task writes its changelog
 * partitions, so their end offsets after a flush are exactly what the local stores hold.
 */
import { join } from "node:path";
import type { StoreDeclaration } from "../../../processors/stores.ts";
import { changelogTopic } from "../../stores.ts";
import type { ChangelogSender, PartitionReader } from "./changelog-io.ts";
import { ChangelogWriter } from "./changelog-writer.ts";
import { type CheckpointOffsets, takeCheckpoint, writeCheckpoint } from "./checkpoint.ts";
import type { EngineFactory } from "./engine.ts";
import { lmdbEngines } from "./lmdb-engine.ts";
import { type RestoreProgress, restoreStores } from "./restorer.ts";
import { type ChangelogWrite, TaskStores } from "./task-stores.ts";

/** How long an unclean close waits for eager writes already made (the tool journal) to reach the changelog. */
const EAGER_DRAIN_MS = 2000;

export type TaskStateStatus = "created" | "restoring" | "running" | "closed";

/** Allowed moves (anything else is a bug): a task restores once, then runs until it closes. */
const TRANSITIONS: Record<TaskStateStatus, readonly TaskStateStatus[]> = {
  created: ["restoring", "closed"],
  restoring: ["running", "closed"],
  running: ["closed"],
  closed: [],
};

export interface TaskStateOptions {
  applicationId: string;
  taskId: string;
  partition: number;
  declarations: readonly StoreDeclaration[];
  /** `processing.stateDir`. */
  stateDir: string;
  reader: PartitionReader;
  sender: ChangelogSender;
  /** @default lmdb under `stateDir` */
  engines?: EngineFactory;
  /** @default Date.now */
  now?: () => number;
  /** Each status change. */
  onStatus?: (status: TaskStateStatus) => void;
  /** Restore progress, per store and batch. */
  onProgress?: (progress: RestoreProgress) => void;
}

export class TaskState {
  private current: TaskStateStatus = "created";
  private readonly writer: ChangelogWriter;
  readonly stores: TaskStores;
  readonly taskDir: string;
  /** Offsets the restore started from, per store (from the checkpoint), for logs. */
  checkpoint: CheckpointOffsets | undefined;

  private constructor(private readonly options: TaskStateOptions) {
    this.taskDir = join(options.stateDir, options.applicationId, options.taskId);
    this.checkpoint = takeCheckpoint(this.taskDir);
    this.stores = new TaskStores(
      options.taskId,
      options.declarations,
      options.engines ?? lmdbEngines(options.stateDir, options.applicationId),
      options.now ?? Date.now,
      (writes) => this.writer.write(writes),
    );
    this.writer = new ChangelogWriter(options.applicationId, options.partition, options.sender);
  }

  /** Opens and restores the task's stores; resolves when the task may process. */
  static async open(options: TaskStateOptions): Promise<TaskState> {
    const state = new TaskState(options);
    state.move("restoring");
    await restoreStores(state.stores, options.reader, {
      applicationId: options.applicationId,
      partition: options.partition,
      checkpoint: state.checkpoint,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    state.move("running");
    return state;
  }

  get status(): TaskStateStatus {
    return this.current;
  }

  private move(next: TaskStateStatus): void {
    if (!TRANSITIONS[this.current].includes(next)) {
      throw new Error(`task ${this.options.taskId} state: illegal move ${this.current} → ${next}`);
    }
    this.current = next;
    this.options.onStatus?.(next);
  }

  /**
   * Sends `changes` (by default every change committed since the last flush), through `sender` when given (an
   * open transaction); resolves with their number once acknowledged.
   */
  flush(changes: readonly ChangelogWrite[] = this.stores.takeChangelog(), sender?: ChangelogSender): Promise<number> {
    return this.writer.write(changes, sender);
  }

  /** Closes the stores; a clean close flushes first and leaves a checkpoint so the next open restores the tail. */
  async close({ clean }: { clean: boolean }): Promise<void> {
    if (this.current === "closed") return;
    try {
      if (clean && this.current === "running") {
        await this.flush();
        await this.stores.drainEager();
        const offsets: CheckpointOffsets = {};
        for (const declaration of this.stores.declarations) {
          if (declaration.changelog === false) continue;
          const topic = changelogTopic(this.options.applicationId, declaration.name);
          offsets[declaration.name] = await this.options.reader.endOffset(topic, this.options.partition);
        }
        writeCheckpoint(this.taskDir, offsets);
      } else {
        // Revoked or stale: journaled calls still go out (briefly), so the next owner does not call again.
        await Promise.race([this.stores.drainEager(), new Promise((resolve) => setTimeout(resolve, EAGER_DRAIN_MS))]);
      }
    } finally {
      this.move("closed");
      await this.stores.close();
    }
  }
}
