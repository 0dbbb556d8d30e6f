/**
 * A kafkajs partition assigner that gives every subscribed topic's partition `p` to the same member (partition
 * numbers dealt round-robin over the sorted members), as Kafka Streams groups co-partitioned topics into one
 * task. Stateful topologies need it: a stream-table join's table partition must live where the stream's
 * partition of the same number is processed, since both reach that partition's stores.
 *
 * A member's subscription carries `{"endpoint": "http://host:port"}` as its user data when it serves HTTP (Kafka
 * Streams' `application.server`), so `sluice status` can ask every member for its tasks' state.
 */
import { AssignerProtocol, type PartitionAssigner } from "kafkajs";

export const COPARTITIONED_ASSIGNER = "SluiceCopartitionedAssigner";

/** The endpoint a member advertised in its subscription metadata, if any (other assignors' data: none). */
export function advertisedEndpoint(metadata: Buffer): string | undefined {
  try {
    const { userData } = AssignerProtocol.MemberMetadata.decode(metadata) ?? {};
    if (!userData || userData.length === 0) return undefined;
    const parsed = JSON.parse(userData.toString("utf8")) as { endpoint?: unknown };
    return typeof parsed.endpoint === "string" ? parsed.endpoint : undefined;
  } catch {
    return undefined;
  }
}

export const copartitionedAssigner =
  (endpoint?: string): PartitionAssigner =>
  ({ cluster }) => ({
    name: COPARTITIONED_ASSIGNER,
    version: 0,
    async assign({ members, topics }) {
      const sorted = members.map((m) => m.memberId).sort();
      const assignment = new Map<string, Record<string, number[]>>(sorted.map((id) => [id, {}]));
      for (const topic of topics) {
        const partitions = cluster
          .findTopicPartitionMetadata(topic)
          .map((m) => m.partitionId)
          .sort((a, b) => a - b);
        for (const partition of partitions) {
          const member = assignment.get(sorted[partition % sorted.length] as string) as Record<string, number[]>;
          const list = member[topic] ?? [];
          list.push(partition);
          member[topic] = list;
        }
      }
      return [...assignment].map(([memberId, topicPartitions]) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 0,
          assignment: topicPartitions,
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol({ topics }) {
      return {
        name: COPARTITIONED_ASSIGNER,
        metadata: AssignerProtocol.MemberMetadata.encode({
          version: 0,
          topics,
          userData: endpoint ? Buffer.from(JSON.stringify({ endpoint })) : Buffer.alloc(0),
        }),
      };
    },
  });
