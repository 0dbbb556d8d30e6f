/**
 * What `sluice status` reports about a topology's consumer group, read from the broker alone: per partition the
 * committed offset, end offset and lag; the group's state and members with their partitions; the dead-letter
 * count. (Paused partitions and why come from the instances' own reports: see pipeline metrics.)
 */
import { type Admin, AssignerProtocol } from "kafkajs";

export interface PartitionStatus {
  topic: string;
  partition: number;
  committed: number | null;
  end: number;
  lag: number;
  member?: string;
}

export interface MemberStatus {
  memberId: string;
  clientId: string;
  host: string;
  partitions: string[];
}

export interface GroupStatus {
  groupId: string;
  state: string;
  members: MemberStatus[];
  partitions: PartitionStatus[];
  totalLag: number;
  deadLetters: { topic: string; count: number };
  paused?: { topic: string; partition: number; reason: string; since: string }[];
}

export async function groupStatus(
  admin: Admin,
  groupId: string,
  topics: string[],
  dlqTopic: string,
): Promise<GroupStatus> {
  const [description] = (await admin.describeGroups([groupId])).groups;
  const owner = new Map<string, string>();
  const members: MemberStatus[] = (description?.members ?? []).map((m) => {
    const assignment = m.memberAssignment.length ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment) : null;
    const partitions = Object.entries(assignment?.assignment ?? {}).flatMap(([t, ps]) => ps.map((p) => `${t}/${p}`));
    for (const p of partitions) owner.set(p, m.clientId);
    return { memberId: m.memberId, clientId: m.clientId, host: m.clientHost, partitions };
  });
  const existing = await admin.listTopics();
  const partitions: PartitionStatus[] = [];
  for (const topic of topics.filter((t) => existing.includes(t))) {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const byPartition = new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    for (const end of ends.sort((a, b) => a.partition - b.partition)) {
      const c = byPartition.get(end.partition);
      const at = c === undefined || c < 0 ? null : c;
      const high = Number(end.high);
      const lag = high - (at ?? Number(end.low));
      const member = owner.get(`${topic}/${end.partition}`);
      partitions.push({
        topic,
        partition: end.partition,
        committed: at,
        end: high,
        lag,
        ...(member ? { member } : {}),
      });
    }
  }
  let deadLetters = 0;
  if (existing.includes(dlqTopic)) {
    deadLetters = (await admin.fetchTopicOffsets(dlqTopic)).reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  }
  return {
    groupId,
    state: description?.state ?? "Unknown",
    members,
    partitions,
    totalLag: partitions.reduce((sum, p) => sum + p.lag, 0),
    deadLetters: { topic: dlqTopic, count: deadLetters },
  };
}

export function formatStatus(status: GroupStatus): string {
  const lines = [
    `group ${status.groupId}: ${status.state}, ${status.members.length} member(s), lag ${status.totalLag}`,
  ];
  for (const m of status.members)
    lines.push(`  member ${m.clientId} ${m.host}  ${m.partitions.join(" ") || "(no partitions)"}`);
  lines.push("  partition                        committed        end        lag");
  for (const p of status.partitions) {
    const name = `${p.topic}/${p.partition}`.padEnd(30);
    lines.push(
      `  ${name} ${String(p.committed ?? "-").padStart(10)} ${String(p.end).padStart(10)} ${String(p.lag).padStart(10)}`,
    );
  }
  for (const p of status.paused ?? []) lines.push(`  PAUSED ${p.topic}/${p.partition} since ${p.since}: ${p.reason}`);
  lines.push(`  dead letters: ${status.deadLetters.count} on ${status.deadLetters.topic}`);
  return lines.join("\n");
}
