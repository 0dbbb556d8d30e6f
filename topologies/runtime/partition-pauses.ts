/**
 * Why each topic-partition of a member is paused, so that it is resumed exactly when the last reason goes.
 * A partition pauses while its state restores, and while its task's in-flight window is full. The client keeps a
 * paused partition paused across rebalances (kafkajs' subscription state outlives the assignment), so a pause
 * whose reason vanished without a resume (a restore discarded because the partition was revoked meanwhile, a
 * task dropped while it waited) would otherwise stop the partition for good once it is assigned again, silently:
 * no batch comes, so nothing restores, nothing is processed and nothing is committed. Each assignment forgets the
 * reasons of partitions no longer owned and resumes every owned partition that has none.
 */
import { type GroupConsumer, partitionId, type TopicPartition } from "../../core/kafka.ts";

export type PauseReason = "state" | "capacity";

export class PartitionPauses {
  private readonly reasons = new Map<string, { tp: TopicPartition; why: Set<PauseReason> }>();
  private owned = new Set<string>();
  private assignedOnce = false;
  private stopped = false;

  constructor(private readonly consumer: () => Pick<GroupConsumer, "pause" | "resume"> | undefined) {}

  /** True unless an assignment arrived that does not hold the partition (a batch fetched before a rebalance). */
  owns(topic: string, partition: number): boolean {
    return !this.assignedOnce || this.owned.has(partitionId(topic, partition));
  }

  pause(tp: TopicPartition, reason: PauseReason): void {
    const id = partitionId(tp.topic, tp.partition);
    const entry = this.reasons.get(id) ?? { tp, why: new Set<PauseReason>() };
    entry.why.add(reason);
    this.reasons.set(id, entry);
    this.consumer()?.pause([tp]);
  }

  /** The reason is gone: the partition resumes if nothing else holds it, it is still owned and no stop began. */
  release(tp: TopicPartition, reason: PauseReason): void {
    const id = partitionId(tp.topic, tp.partition);
    const entry = this.reasons.get(id);
    entry?.why.delete(reason);
    if (entry && entry.why.size > 0) return;
    this.reasons.delete(id);
    if (!this.stopped && this.owns(tp.topic, tp.partition)) this.consumer()?.resume([tp]);
  }

  /** A new assignment: reasons of partitions not owned are forgotten; owned ones without a reason resume. */
  assigned(assignment: readonly TopicPartition[]): void {
    this.assignedOnce = true;
    this.owned = new Set(assignment.map((tp) => partitionId(tp.topic, tp.partition)));
    for (const id of [...this.reasons.keys()]) if (!this.owned.has(id)) this.reasons.delete(id);
    if (this.stopped) return;
    const free = assignment.filter((tp) => !this.reasons.has(partitionId(tp.topic, tp.partition)));
    if (free.length > 0) this.consumer()?.resume(free);
  }

  /** The stop began: nothing resumes any more. */
  stop(): void {
    this.stopped = true;
  }
}
