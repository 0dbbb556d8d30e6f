/**
 * A task's exactly-once step: one Kafka transaction per chunk holding its outputs, its dead letters, its store
 * changes (to the changelogs) and the consumed offset. A retriable failure aborts and retries the whole
 * transaction; a refused record of a transactional sink becomes a dead letter inside the same transaction.
 */
import { BatchError, SluiceError } from "../../core/errors.ts";
import type { ConsumedMessage } from "../../core/kafka.ts";
import type { StreamRecord } from "../../processors/api.ts";
import type { DeadLetterMessage } from "../../sinks/dead-letter.ts";
import type { TaskTransaction } from "./resources.ts";
import { changelogSender } from "./state/changelog-io.ts";
import type { TaskState } from "./state/task-state.ts";
import type { ChangelogWrite } from "./state/task-stores.ts";

export interface ChunkOutputs {
  bySink: Map<string, { records: StreamRecord[]; offsets: number[] }>;
  poison: DeadLetterMessage[];
  raw: Map<number, ConsumedMessage>;
}

export interface ChunkTransaction {
  taskId: string;
  topic: string;
  partition: number;
  transaction: TaskTransaction & { groupId: string };
  deadLetter(message: ConsumedMessage, error: unknown, processor: string): DeadLetterMessage;
  retrying<T>(step: () => Promise<T>, what: string): Promise<T>;
}

/**
 * Commits `outputs` with the offset `next` (and `changes` of `state`) in one transaction, retrying until it
 * commits or the task is abandoned; resolves with the dead letters it wrote.
 */
export function commitChunk(
  task: ChunkTransaction,
  outputs: ChunkOutputs,
  next: number,
  changes?: { state: TaskState; writes: readonly ChangelogWrite[] },
): Promise<DeadLetterMessage[]> {
  const tx = task.transaction;
  const attempt = async () => {
    await tx.producer.begin();
    try {
      const letters = [...outputs.poison];
      for (const [sinkName, group] of outputs.bySink) {
        const sink = tx.sinks.get(sinkName);
        if (!sink) throw new SluiceError(`task ${task.taskId}: no sink named ${sinkName}`);
        try {
          await sink.write(group.records);
        } catch (error) {
          if (!(error instanceof BatchError)) throw error;
          for (const [i, failure] of error.failures) {
            const message = outputs.raw.get(group.offsets[i] as number) as ConsumedMessage;
            letters.push(task.deadLetter(message, failure, sinkName));
          }
        }
      }
      if (letters.length > 0) await tx.deadLetters.write(letters);
      if (changes && changes.writes.length > 0) {
        await changes.state.flush(changes.writes, changelogSender(tx.producer));
      }
      await tx.producer.sendOffsets(tx.groupId, [{ topic: task.topic, partition: task.partition, offset: next }]);
      await tx.producer.commit();
      return letters;
    } catch (error) {
      await tx.producer.abort().catch(() => {});
      throw error;
    }
  };
  return task.retrying(attempt, "committing a transaction");
}
