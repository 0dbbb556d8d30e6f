/**
 * What `sluice status` reports about a topology's consumer group, read from the broker alone: per partition the
 * committed offset, end offset and lag; the group's state and members with their partitions; the dead-letter
 * count. Members that advertise an endpoint (stateful topologies, see copartitioned-assigner.ts) are asked for
 * their tasks too: restoring (with each store's progress), running, paused and why.
 */
import { type KafkaAdmin, partitionId } from "../../core/kafka.ts";
import { formatTaskReport, type MemberReport, type TaskReport } from "./member-report.ts";

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
  /** The member's advertised HTTP endpoint. */
  endpoint?: string;
  /** Its tasks, as it reported them at `<endpoint>/tasks`. */
  tasks?: TaskReport[];
  /** Why the member's tasks could not be read. */
  tasksError?: string;
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
  admin: KafkaAdmin,
  groupId: string,
  topics: string[],
  dlqTopic: string,
): Promise<GroupStatus> {
  const description = await admin.describeGroup(groupId);
  const owner = new Map<string, string>();
  const members: MemberStatus[] = description.members.map((m) => {
    const partitions = m.partitions.map((p) => `${p.topic}/${p.partition}`);
    for (const p of partitions) owner.set(p, m.clientId);
    return {
      memberId: m.memberId,
      clientId: m.clientId,
      host: m.host,
      partitions,
      ...(m.endpoint ? { endpoint: m.endpoint } : {}),
    };
  });
  await Promise.all(members.map((m) => askTasks(m)));
  const existing = await admin.listTopics();
  const partitions: PartitionStatus[] = [];
  for (const topic of topics.filter((t) => existing.includes(t))) {
    const ends = await admin.topicOffsets(topic);
    const committed = await admin.groupOffsets(groupId, [topic]);
    for (const end of ends) {
      const c = committed.get(partitionId(topic, end.partition));
      const at = c === undefined || c < 0 ? null : c;
      const lag = end.high - (at ?? end.low);
      const member = owner.get(`${topic}/${end.partition}`);
      partitions.push({
        topic,
        partition: end.partition,
        committed: at,
        end: end.high,
        lag,
        ...(member ? { member } : {}),
      });
    }
  }
  let deadLetters = 0;
  if (existing.includes(dlqTopic)) {
    deadLetters = (await admin.topicOffsets(dlqTopic)).reduce((sum, p) => sum + p.high - p.low, 0);
  }
  return {
    groupId,
    state: description.state,
    members,
    partitions,
    totalLag: partitions.reduce((sum, p) => sum + p.lag, 0),
    deadLetters: { topic: dlqTopic, count: deadLetters },
  };
}

/** Fills in the member's tasks from its endpoint (2 s at most). */
async function askTasks(member: MemberStatus): Promise<void> {
  if (!member.endpoint) return;
  try {
    const response = await fetch(`${member.endpoint}/tasks`, { signal: AbortSignal.timeout(2000) });
    const report = (await response.json()) as MemberReport;
    member.tasks = report.tasks;
  } catch (error) {
    member.tasksError = `${member.endpoint}/tasks: ${(error as Error).message}`;
  }
}

export function formatStatus(status: GroupStatus): string {
  const lines = [
    `group ${status.groupId}: ${status.state}, ${status.members.length} member(s), lag ${status.totalLag}`,
  ];
  for (const m of status.members) {
    lines.push(`  member ${m.clientId} ${m.host}  ${m.partitions.join(" ") || "(no partitions)"}`);
    for (const task of m.tasks ?? []) lines.push(`    ${formatTaskReport(task)}`);
    if (m.tasksError) lines.push(`    tasks unknown: ${m.tasksError}`);
  }
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
