/**
 * The admin side of the Kafka port on kafkajs: topics, offsets by partition and by time, a group's committed
 * offsets and members, in sluice's terms (numbers, `topic:partition` ids). Failures reject with sluice errors
 * (`TransientError` while the broker is unavailable).
 */
import { type Admin, AssignerProtocol, type Kafka } from "kafkajs";
import {
  type ClusterDescription,
  type GroupDescription,
  type KafkaAdmin,
  type NewTopic,
  type PartitionOffsets,
  partitionId,
} from "../../../core/kafka.ts";
import { advertisedEndpoint } from "./copartitioned-assigner.ts";
import { kafkaError } from "./kafkajs-producer.ts";

export class KafkajsAdmin implements KafkaAdmin {
  private readonly admin: Admin;

  constructor(kafka: Kafka) {
    const admin = kafka.admin();
    // Every call rejects with a classified sluice error naming what it was doing.
    this.admin = new Proxy(admin, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          const result = value.apply(target, args);
          return result instanceof Promise
            ? result.catch((error: unknown) => {
                throw kafkaError(`kafka admin ${String(property)}`, error);
              })
            : result;
        };
      },
    });
  }

  connect(): Promise<void> {
    return this.admin.connect();
  }

  disconnect(): Promise<void> {
    return this.admin.disconnect();
  }

  async describeCluster(): Promise<ClusterDescription> {
    const cluster = await this.admin.describeCluster();
    return { brokers: cluster.brokers.length, controller: cluster.controller };
  }

  listTopics(): Promise<string[]> {
    return this.admin.listTopics();
  }

  async deleteTopics(topics: readonly string[]): Promise<void> {
    if (topics.length > 0) await this.admin.deleteTopics({ topics: [...topics] });
  }

  async createTopics(topics: readonly NewTopic[]): Promise<void> {
    const existing = new Set(await this.admin.listTopics());
    // The first entry of a topic named twice wins (kafkajs refuses repeats).
    const wanted = [
      ...new Map(
        topics
          .filter((t) => !existing.has(t.topic))
          .reverse()
          .map((t) => [t.topic, t]),
      ).values(),
    ];
    if (wanted.length === 0) return;
    await this.admin
      .createTopics({
        waitForLeaders: true,
        topics: wanted.map((t) => ({
          topic: t.topic,
          numPartitions: t.partitions,
          configEntries: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
        })),
      })
      .catch((error: unknown) => {
        // Another member or command created one meanwhile.
        if (!/already exists/i.test(String(error))) throw error;
      });
  }

  async topicOffsets(topic: string): Promise<PartitionOffsets[]> {
    const offsets = await this.admin.fetchTopicOffsets(topic);
    return offsets
      .map((o) => ({ partition: o.partition, low: Number(o.low), high: Number(o.high) }))
      .sort((a, b) => a.partition - b.partition);
  }

  async offsetsAtTime(topic: string, timestampMs: number): Promise<{ partition: number; offset: number }[]> {
    const offsets = await this.admin.fetchTopicOffsetsByTimestamp(topic, timestampMs);
    return offsets.map((o) => ({ partition: o.partition, offset: Number(o.offset) }));
  }

  async groupOffsets(groupId: string, topics: readonly string[]): Promise<Map<string, number>> {
    const result = new Map<string, number>();
    for (const { topic, partitions } of await this.admin.fetchOffsets({ groupId, topics: [...topics] })) {
      for (const p of partitions) result.set(partitionId(topic, p.partition), Number(p.offset));
    }
    return result;
  }

  async setGroupOffsets(
    groupId: string,
    topic: string,
    offsets: readonly { partition: number; offset: number }[],
  ): Promise<void> {
    await this.admin.setOffsets({
      groupId,
      topic,
      partitions: offsets.map((o) => ({ partition: o.partition, offset: String(o.offset) })),
    });
  }

  async describeGroup(groupId: string): Promise<GroupDescription> {
    const [description] = (await this.admin.describeGroups([groupId])).groups;
    const members = (description?.members ?? []).map((m) => {
      const assignment = m.memberAssignment.length
        ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment)
        : null;
      const partitions = Object.entries(assignment?.assignment ?? {}).flatMap(([topic, ps]) =>
        ps.map((partition) => ({ topic, partition })),
      );
      const endpoint = m.memberMetadata.length ? advertisedEndpoint(m.memberMetadata) : undefined;
      return {
        memberId: m.memberId,
        clientId: m.clientId,
        host: m.clientHost,
        partitions,
        ...(endpoint ? { endpoint } : {}),
      };
    });
    return { state: description?.state ?? "Dead", members };
  }

  async listGroups(): Promise<string[]> {
    return (await this.admin.listGroups()).groups.map((g) => g.groupId);
  }

  async deleteGroup(groupId: string): Promise<void> {
    await this.admin.deleteGroups([groupId]);
  }
}
