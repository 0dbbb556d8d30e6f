/**
 * Pending approvals as operators see them (`sluice approvals list|approve|reject`, docs/approvals.md). The source
 * of truth is the approval store's changelog (`<applicationId>-<store>-changelog`): a held decision is a live
 * `h␀<id>` key there, written after its request was acknowledged, deleted when it is resolved. Reading the
 * compacted changelog needs no running member, and sees what a restarted or rebalanced task restores. A verdict
 * goes to the approvals topic with the held input's key, to the partition whose task holds it (the approvals
 * topic is co-partitioned with the input), encoded with the approvals source's serde.
 */
import { ConfigError } from "../../core/errors.ts";
import type { AgentDecision } from "../../processors/agent-decision.ts";
import { type ApprovalConfig, type ApprovalRequest, approvalConfig } from "../../processors/approval-hold.ts";
import { createSerde, serdeConfigOf } from "../../schemas/serde-factory.ts";
import type { CompiledTopology } from "../compiler.ts";
import { changelogTopic } from "../stores.ts";
import { kafkajsPartitionReader } from "./kafka/kafkajs-changelog.ts";
import type { KafkajsClient } from "./kafka/kafkajs-client.ts";
import { decodeStoredValue } from "./state/changelog-writer.ts";

/** A decide node that holds decisions for approval. */
export interface ApprovalPoint {
  node: string;
  config: ApprovalConfig;
  /** The store's changelog topic. */
  changelog: string;
}

/** One held decision, as read from the changelog. */
export interface PendingApproval {
  requestId: string;
  node: string;
  rule: string;
  partition: number;
  /** The held input record's key (a verdict is keyed the same). */
  key: string | null;
  requestedAt: number;
  expiresAt: number;
  onExpiry: ApprovalRequest["on_expiry"];
  decision: AgentDecision;
}

export type Verdict = "approve" | "reject";

export interface VerdictInput {
  requestId: string;
  verdict: Verdict;
  approver: string;
  reason: string;
}

/** The topology's approval points; `node` picks one when there are several. */
export function approvalPoints(topology: CompiledTopology, node?: string): ApprovalPoint[] {
  const points: ApprovalPoint[] = [];
  for (const n of topology.nodes.values()) {
    if (n.kind !== "processor" || n.type !== "decide") continue;
    const raw = (n.config as { approval?: unknown } | undefined)?.approval;
    if (raw === undefined) continue;
    const config = approvalConfig.parse(raw);
    points.push({
      node: n.name,
      config,
      changelog: changelogTopic(topology.spec.applicationId, config.store ?? n.name),
    });
  }
  const chosen = node === undefined ? points : points.filter((p) => p.node === node);
  if (chosen.length === 0) {
    const names = points.map((p) => p.node).join(", ") || "none";
    throw new ConfigError(
      node === undefined
        ? `${topology.file ?? "the topology"}: no decide node has \`approval:\` (no rule can require approval)`
        : `${topology.file ?? "the topology"}: no decide node "${node}" with \`approval:\` (those with it: ${names})`,
    );
  }
  return chosen;
}

interface Held {
  request: ApprovalRequest;
  key: string | null;
}

/** Every pending request of `point`, oldest first, from its changelog (read to the end as of now). */
export async function pendingApprovals(client: KafkajsClient, point: ApprovalPoint): Promise<PendingApproval[]> {
  const admin = client.kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(point.changelog)) return [];
    const reader = kafkajsPartitionReader(client.kafka, admin, `${point.changelog}.approvals-cli`);
    const offsets = await admin.fetchTopicOffsets(point.changelog);
    const perPartition = await Promise.all(
      offsets.map(async (o) => {
        const live = new Map<string, Held>();
        const [from, to] = [Number(o.low), Number(o.high)];
        await reader.read(point.changelog, o.partition, from, to, (records) => {
          for (const r of records) {
            if (!r.key.startsWith("h\u0000")) continue;
            const stored = decodeStoredValue(r.value as Buffer | null);
            if (stored === null) live.delete(r.key);
            else live.set(r.key, stored.v as Held);
          }
        });
        return [...live.values()].map((held) => pending(point.node, o.partition, held));
      }),
    );
    return perPartition.flat().sort((a, b) => a.requestedAt - b.requestedAt || (a.requestId < b.requestId ? -1 : 1));
  } finally {
    await admin.disconnect();
  }
}

function pending(node: string, partition: number, held: Held): PendingApproval {
  const r = held.request;
  return {
    requestId: r.request_id,
    node,
    rule: r.rule,
    partition,
    key: held.key,
    requestedAt: r.requested_at,
    expiresAt: r.expires_at,
    onExpiry: r.on_expiry,
    decision: r.decision,
  };
}

/**
 * Sends each verdict for a pending request of `point` (one produce, acknowledged by every in-sync replica);
 * returns the ids that are not pending (resolved, expired or unknown), for which nothing is sent.
 */
export async function sendVerdicts(
  client: KafkajsClient,
  topology: CompiledTopology,
  point: ApprovalPoint,
  verdicts: readonly VerdictInput[],
): Promise<{ sent: PendingApproval[]; notPending: string[] }> {
  const source = topology.spec.sources.find((s) =>
    (Array.isArray(s.topic) ? s.topic : [s.topic]).includes(point.config.topic),
  );
  if (source === undefined)
    throw new ConfigError(`${point.node}: approval.topic ${point.config.topic} is not a source topic of the topology`);
  const registryUrl = topology.spec.schemaRegistry?.url;
  const serde = createSerde(serdeConfigOf(source.value), {
    ...(registryUrl ? { registryUrl } : {}),
    baseDir: topology.baseDir,
    role: "value",
  });
  const byId = new Map((await pendingApprovals(client, point)).map((p) => [p.requestId, p]));
  const sent: PendingApproval[] = [];
  const notPending: string[] = [];
  const messages = [];
  const now = Date.now();
  for (const v of verdicts) {
    const held = byId.get(v.requestId);
    if (held === undefined) {
      notPending.push(v.requestId);
      continue;
    }
    const value = await serde.serialize(point.config.topic, {
      request_id: v.requestId,
      verdict: v.verdict,
      approver: v.approver,
      reason: v.reason,
      decided_at: now,
    });
    messages.push({ key: held.key, value, partition: held.partition, timestamp: now });
    sent.push(held);
  }
  if (messages.length > 0) {
    const producer = client.producer();
    await producer.connect();
    try {
      await producer.send(point.config.topic, messages);
    } finally {
      await producer.disconnect();
    }
  }
  return { sent, notPending };
}
