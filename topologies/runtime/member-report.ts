/**
 * What one member says about its tasks at `/tasks` (read by `sluice status` through the endpoint each member
 * advertises in the group): per assigned topic-partition whether it restores state (each store's progress),
 * runs, is paused (and why) or waits for its first batch, with its records in.
 */
import { partitionId, type TopicPartition } from "../../core/kafka.ts";
import type { RestoreProgress } from "./state/restorer.ts";
import type { Task } from "./task.ts";

export type TaskReportState = "restoring" | "running" | "paused" | "waiting";

export interface TaskReport {
  topic: string;
  partition: number;
  state: TaskReportState;
  /** Why the task is paused. */
  reason?: string;
  recordsIn: number;
  /** While restoring: each store's changelog records applied and to apply. */
  restore?: RestoreProgress[];
}

export interface MemberReport {
  applicationId: string;
  runId: string;
  /** The member's lifecycle state (starting, running, rebalancing, stopping…). */
  state: string;
  tasks: TaskReport[];
}

export interface MemberReportInput {
  applicationId: string;
  runId: string;
  state: string;
  assignment: readonly TopicPartition[];
  tasks: ReadonlyMap<string, Task>;
  restoring: ReadonlySet<number>;
  restoreProgress(partition: number): RestoreProgress[];
}

export function memberReport(input: MemberReportInput): MemberReport {
  const tasks = [...input.assignment]
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
    .map(({ topic, partition }): TaskReport => {
      const task = input.tasks.get(partitionId(topic, partition));
      const recordsIn = task?.stats.recordsIn ?? 0;
      if (input.restoring.has(partition)) {
        return { topic, partition, state: "restoring", recordsIn, restore: input.restoreProgress(partition) };
      }
      if (!task) return { topic, partition, state: "waiting", recordsIn };
      if (task.stats.paused) return { topic, partition, state: "paused", reason: task.stats.pauseReason, recordsIn };
      return { topic, partition, state: "running", recordsIn };
    });
  return { applicationId: input.applicationId, runId: input.runId, state: input.state, tasks };
}

/** One line per task for `sluice status`: `topic/p  restoring  counts 120000/300000 (40%)`. */
export function formatTaskReport(task: TaskReport): string {
  const name = `${task.topic}/${task.partition}`.padEnd(30);
  let detail = `${task.recordsIn} in`;
  if (task.state === "paused") detail = `${detail}; ${task.reason ?? ""}`;
  if (task.state === "restoring") {
    detail = (task.restore ?? [])
      .map(
        (r) =>
          `${r.store} ${r.restored}/${r.total} (${r.total === 0 ? 100 : Math.floor((100 * r.restored) / r.total)}%)`,
      )
      .join(", ");
    if (detail === "") detail = "opening stores";
  }
  return `${name} ${task.state.padEnd(10)} ${detail}`;
}
