/**
 * The group consumer of the Kafka port on kafkajs: `eachBatch` with autoCommit off, batches handed over with
 * numeric offsets and timestamps, assignment and rebalance events mapped to the port's handlers.
 *
 * Commits go through the batch payload's `commitOffsetsIfNecessary(offsets)`, which sends one OffsetCommit with
 * the generation and member id current at that moment and does not retry: `consumer.commitOffsets()` retries
 * inside kafkajs, and a retry that outlives the member's eviction would carry its stale offsets into the new
 * generation after it rejoins (committed offsets going backwards). That function belongs to the group session
 * of its batch: when kafkajs restarts a crashed consumer (a broker went away), the old session's function keeps
 * the old member id and generation for ever, so a crash drops it, and commits wait for the first batch of the new
 * session. (A rebalance without a crash keeps the session object, whose offset manager follows the generation.)
 */
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from "kafkajs";
import type {
  ConsumedMessage,
  GroupConsumer,
  GroupConsumerOptions,
  GroupHandlers,
  TopicPartition,
  TopicPartitionOffset,
} from "../../../core/kafka.ts";
import { copartitionedAssigner } from "./copartitioned-assigner.ts";

type CommitOnce = EachBatchPayload["commitOffsetsIfNecessary"];

export class KafkajsGroupConsumer implements GroupConsumer {
  private readonly consumer: Consumer;
  /** Bound to the running consumer's group session (replaced when kafkajs restarts the consumer). */
  private commitOnce: CommitOnce | undefined;

  constructor(kafka: Kafka, options: GroupConsumerOptions) {
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      readUncommitted: options.readUncommitted === true,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: options.heartbeatIntervalMs,
      minBytes: options.fetch.minBytes,
      maxWaitTimeInMs: options.fetch.maxWaitTimeInMs,
      maxBytesPerPartition: options.fetch.maxBytesPerPartition,
      retry: { restartOnFailure: async () => options.restartOnFailure() },
      ...(options.copartitioned ? { partitionAssigners: [copartitionedAssigner(options.endpoint)] } : {}),
    });
  }

  connect(): Promise<void> {
    return this.consumer.connect();
  }

  async subscribe(topics: readonly string[], fromBeginning: boolean): Promise<void> {
    await this.consumer.subscribe({ topics: [...topics], fromBeginning });
  }

  async run(handlers: GroupHandlers): Promise<void> {
    const { events } = this.consumer;
    this.consumer.on(events.GROUP_JOIN, ({ payload }) => {
      const partitions = Object.entries(payload.memberAssignment).flatMap(([topic, ps]) =>
        ps.map((partition) => ({ topic, partition })),
      );
      handlers.assigned(payload.memberId, partitions);
    });
    this.consumer.on(events.REBALANCING, () => handlers.rebalancing());
    this.consumer.on(events.CRASH, ({ payload }) => {
      this.commitOnce = undefined; // the restarted consumer is a new group session
      handlers.crashed(payload.error, payload.restart);
    });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 64,
      eachBatch: async (payload) => {
        this.commitOnce = payload.commitOffsetsIfNecessary;
        const { batch, heartbeat, isRunning, isStale, resolveOffset } = payload;
        if (batch.isEmpty()) return;
        await handlers.eachBatch(
          {
            topic: batch.topic,
            partition: batch.partition,
            messages: batch.messages.map(consumed),
            lastOffset: Number(batch.lastOffset()),
          },
          {
            heartbeat: () => heartbeat(),
            isCurrent: () => isRunning() && !isStale(),
            resolveOffset: (offset) => resolveOffset(String(offset)),
          },
        );
      },
    });
  }

  async commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    const commitOnce = this.commitOnce;
    if (!commitOnce) throw new Error("no batch consumed in this group session yet: the commit waits for one");
    const byTopic = new Map<string, { partition: number; offset: string }[]>();
    for (const { topic, partition, offset } of offsets) {
      const list = byTopic.get(topic) ?? [];
      list.push({ partition, offset: String(offset) });
      byTopic.set(topic, list);
    }
    await commitOnce({ topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) });
  }

  pause(partitions: readonly TopicPartition[]): void {
    this.consumer.pause(byTopic(partitions));
  }

  resume(partitions: readonly TopicPartition[]): void {
    this.consumer.resume(byTopic(partitions));
  }

  disconnect(): Promise<void> {
    return this.consumer.disconnect();
  }
}

function byTopic(partitions: readonly TopicPartition[]): { topic: string; partitions: number[] }[] {
  const grouped = new Map<string, number[]>();
  for (const { topic, partition } of partitions) grouped.set(topic, [...(grouped.get(topic) ?? []), partition]);
  return [...grouped].map(([topic, ps]) => ({ topic, partitions: ps }));
}

function consumed(message: KafkaMessage): ConsumedMessage {
  return {
    key: message.key,
    value: message.value,
    headers: message.headers ?? {},
    offset: Number(message.offset),
    timestamp: Number(message.timestamp),
  };
}
