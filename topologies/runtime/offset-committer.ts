/**
 * Offset commits of a group member: every task's contiguous watermark that moved, in one OffsetCommit, never
 * while an assignment is unverified or after a generation error (GroupMembership), never at or below what the
 * group already committed; and the shutdown commit, which waits out a rebalance under way.
 */
import type { Logger } from "pino";
import type { GroupConsumer } from "../../core/kafka.ts";
import { metrics } from "../../core/metrics.ts";
import type { GroupMembership } from "./membership.ts";
import type { Task } from "./task.ts";

/** "done": nothing left to commit; "blocked": must wait for an assignment; "failed": refused. */
export type CommitOutcome = "done" | "blocked" | "failed";

export interface OffsetCommitterOptions {
  consumer(): GroupConsumer | undefined;
  tasks: ReadonlyMap<string, Task>;
  membership: GroupMembership;
  /** The application id (metric label). */
  topology: string;
  logger: Logger;
}

export class OffsetCommitter {
  constructor(private readonly options: OffsetCommitterOptions) {}

  /**
   * Commits every task's watermark that moved. Failures are logged; the next commit retries. Resolves "done"
   * when nothing is left to commit, "blocked" when commits must wait for an assignment to be verified (or for
   * the next one, after a generation error) and "failed" when the commit was refused.
   */
  async commit(reason: string): Promise<CommitOutcome> {
    const consumer = this.options.consumer();
    if (!consumer) return "done";
    // Between an assignment and its verification, or after a generation error, nothing may be committed.
    if (!this.options.membership.canCommit) return "blocked";
    const offsets: { topic: string; partition: number; offset: number }[] = [];
    const tasks: [Task, number][] = [];
    for (const [id, task] of this.options.tasks) {
      const offset = task.tracker.toCommit();
      if (offset === undefined || !this.options.membership.admits(id, offset)) continue;
      const [topic, partition] = [task.topic, task.partition];
      offsets.push({ topic, partition, offset });
      tasks.push([task, offset]);
    }
    if (offsets.length === 0) return "done";
    const topology = this.options.topology;
    const epoch = this.options.membership.epoch;
    const started = performance.now();
    try {
      await consumer.commit(offsets);
      for (const [task, offset] of tasks) {
        task.tracker.committed(offset);
        this.options.membership.raiseFloor(`${task.topic}:${task.partition}`, offset);
      }
      metrics.commitLatency.observe({ topology }, (performance.now() - started) / 1000);
      this.options.logger.debug({ reason, offsets }, "committed");
      return "done";
    } catch (error) {
      metrics.commitFailures.inc({ topology });
      this.options.membership.commitFailed(error, epoch);
      // Usually a rebalance in progress: the next commit (or the new owner) carries on from the watermark.
      const message = error instanceof Error ? error.message : String(error);
      this.options.logger.warn({ reason, error: message }, "commit failed; will retry");
      return "failed";
    }
  }

  /**
   * The shutdown commit. A rebalance can be under way when the stop begins (a member joining or leaving at the
   * same moment): then the commit waits for the assignment to be verified, or is refused with a generation
   * error and is sent again, in the new generation, for the partitions this member still owns (the others'
   * tasks are dropped by the assignment), until `timeoutMs` runs out.
   */
  async commitFinal(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (let attempt = 1; ; attempt++) {
      await this.options.membership.settled();
      const outcome = await this.commit("shutdown");
      if (outcome === "done") return;
      if (Date.now() >= until) {
        this.options.logger.warn(
          { attempts: attempt, outcome },
          "stop: the final commit did not go through in time; the next owner redoes the uncommitted records",
        );
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
