/**
 * A replay's bounds, resolved once at start: per input partition, the first offset to read and the offset to
 * stop before, from times (through the admin API's offsets-by-timestamp) or offsets. The plan is what
 * `--dry-run` prints and what the replay's consumer group starts from.
 */

import { ConfigError } from "../../core/errors.ts";
import type { KafkaAdmin } from "../../core/kafka.ts";

/** A bound as the user writes it: an ISO time, epoch ms, `offset:N`, `earliest` or `latest`. */
export type Bound =
  | { kind: "time"; ms: number }
  | { kind: "offset"; offset: number }
  | { kind: "earliest" }
  | { kind: "latest" };

export function parseBound(text: string, option: "--from" | "--to"): Bound {
  const t = text.trim();
  if (t === "earliest") return { kind: "earliest" };
  if (t === "latest" || t === "now") return { kind: "latest" };
  const offset = /^offset:(\d+)$/.exec(t);
  if (offset) return { kind: "offset", offset: Number(offset[1]) };
  if (/^\d{12,}$/.test(t)) return { kind: "time", ms: Number(t) };
  const ms = Date.parse(t);
  if (/^\d{4}-\d{2}-\d{2}/.test(t) && Number.isFinite(ms)) return { kind: "time", ms };
  throw new ConfigError(
    `${option} ${JSON.stringify(text)}: expected an ISO time (2026-11-25T08:00:00Z), epoch milliseconds, offset:N, earliest or latest`,
  );
}

export interface PartitionPlan {
  topic: string;
  partition: number;
  /** First offset read. */
  start: number;
  /** Offset the replay stops before. */
  end: number;
  records: number;
}

export interface ReplayPlan {
  from: string;
  to: string;
  partitions: PartitionPlan[];
  records: number;
}

async function resolve(
  admin: KafkaAdmin,
  topic: string,
  bound: Bound,
  low: Map<number, number>,
  high: Map<number, number>,
) {
  const result = new Map<number, number>();
  if (bound.kind === "time") {
    for (const p of await admin.offsetsAtTime(topic, bound.ms)) {
      const offset = p.offset;
      result.set(p.partition, offset < 0 ? (high.get(p.partition) ?? 0) : offset);
    }
    return result;
  }
  for (const [partition, lo] of low) {
    const hi = high.get(partition) ?? lo;
    const offset = bound.kind === "earliest" ? lo : bound.kind === "latest" ? hi : bound.offset;
    result.set(partition, Math.min(Math.max(offset, lo), hi));
  }
  return result;
}

export async function planReplay(admin: KafkaAdmin, topics: string[], from: string, to: string): Promise<ReplayPlan> {
  const start = parseBound(from, "--from");
  const end = parseBound(to, "--to");
  if (start.kind === "latest") throw new ConfigError("--from latest would replay nothing");
  if (end.kind === "earliest") throw new ConfigError("--to earliest would replay nothing");
  if (start.kind === "time" && end.kind === "time" && start.ms >= end.ms) {
    throw new ConfigError(`--from ${from} is not before --to ${to}`);
  }
  if (start.kind === "offset" && end.kind === "offset" && start.offset >= end.offset) {
    throw new ConfigError(`--from ${from} is not before --to ${to}`);
  }
  const existing = await admin.listTopics();
  const partitions: PartitionPlan[] = [];
  for (const topic of topics) {
    if (!existing.includes(topic)) throw new ConfigError(`topic ${topic} does not exist`);
    const offsets = await admin.topicOffsets(topic);
    const low = new Map(offsets.map((o) => [o.partition, o.low]));
    const high = new Map(offsets.map((o) => [o.partition, o.high]));
    const starts = await resolve(admin, topic, start, low, high);
    const ends = await resolve(admin, topic, end, low, high);
    for (const partition of [...low.keys()].sort((a, b) => a - b)) {
      const s = starts.get(partition) ?? 0;
      const e = Math.max(s, ends.get(partition) ?? s);
      partitions.push({ topic, partition, start: s, end: e, records: e - s });
    }
  }
  return { from, to, partitions, records: partitions.reduce((sum, p) => sum + p.records, 0) };
}

export function formatPlan(plan: ReplayPlan): string {
  const rows = plan.partitions.map(
    (p) =>
      `  ${`${p.topic}/${p.partition}`.padEnd(32)} ${String(p.start).padStart(10)} → ${String(p.end).padEnd(10)} ${p.records} records`,
  );
  return [`replay plan ${plan.from} → ${plan.to}: ${plan.records} records`, ...rows].join("\n");
}
