/**
 * Human approval as a durable pause (docs/approvals.md): a `decide` rule with `requireApproval` holds its decision
 * in the node's state store (so it survives restarts and rebalances through the changelog) and forwards an
 * approval request; an `ApprovalEvent` (schemas/approval-event.avsc) on the approvals topic resolves it, or the
 * timeout does. Expiry runs on wall-clock time whenever the partition sees a record: decisions, verdicts, and
 * the `tick` events `sluice run` writes to the approvals topic for this (processors/define.ts `punctuation`).
 * Store keys: `h␀<id>` held, `x␀<expires>␀<id>` expiry index, `r␀<id>` resolved (drops repeats), `m␀pending`.
 */
import { z } from "zod";
import { PoisonRecordError } from "../core/errors.ts";
import { metrics } from "../core/metrics.ts";
import { type AgentDecision, DECISIONS, type Decision } from "./agent-decision.ts";
import { type KeyValueStore, type ProcessorContext, StreamRecord } from "./api.ts";
import { sortableNumber } from "./stores.ts";

/** On a rule: hold its decisions until a verdict arrives or `timeoutMs` passes. */
export const requireApprovalConfig = z.strictObject({
  /** Wall-clock milliseconds a held decision waits for a verdict. */
  timeoutMs: z.number().int().positive(),
  /** What an unanswered request becomes: `approve` (the decision goes out), `reject` (the rejected outcome) or `dead-letter` (the decision goes to `approval.expired`). @default "reject" */
  onExpiry: z.enum(["approve", "reject", "dead-letter"]).default("reject"),
});
export type RequireApproval = z.infer<typeof requireApprovalConfig>;

/** On the decide node: where approval requests go and verdicts come from. */
export const approvalConfig = z.strictObject({
  /** Topic of the `ApprovalEvent` verdicts (a source of the topology feeding this node, co-partitioned with its input). */
  topic: z.string().min(1),
  /** Child node that receives approval requests (a Kafka sink to `approvals-requested`, say); decisions go to the other children. */
  requests: z.string().min(1),
  /** Child node that receives held decisions that expired with `onExpiry: dead-letter`. @default none (required when a rule uses it) */
  expired: z.string().min(1).optional(),
  /** The decision a rejected (or expired-rejected) request emits instead of the held one. @default "escalate_to_human" */
  rejectedDecision: z.enum(DECISIONS).default("escalate_to_human"),
  /** How often `sluice run` writes a tick to each owned partition of `topic`, so expiry happens without traffic: the expiry's precision. @default 10000 */
  tickMs: z.number().int().positive().default(10_000),
  /** How long a resolved request's id is remembered, so a repeated verdict or a redelivered input is dropped. @default 604800000 (7 days) */
  rememberMs: z
    .number()
    .int()
    .positive()
    .default(7 * 24 * 3_600_000),
  /** Name of the store holding pending requests. @default the node name */
  store: z.string().min(1).optional(),
});
export type ApprovalConfig = z.infer<typeof approvalConfig>;

/** A held decision, as stored and as sent (with `key`) to the requests child. */
export interface ApprovalRequest {
  request_id: string;
  rule: string;
  requested_at: number;
  expires_at: number;
  on_expiry: RequireApproval["onExpiry"];
  decision: AgentDecision;
}

/** Approval lineage on a resolved decision. */
export interface ApprovalLineage {
  request_id: string;
  rule: string;
  status: "approved" | "rejected" | "expired";
  approver: string;
  reason: string;
  requested_at: number;
  resolved_at: number;
}

interface Held {
  request: ApprovalRequest;
  /** The record the decision was made from (key, headers, timestamp, lineage), to forward the outcome with. */
  key: string | null;
  headers: Record<string, string>;
  timestamp: number;
  source: StreamRecord["source"];
}

const text = (v: unknown): string => (typeof v === "string" ? v : typeof v === "number" ? String(v) : "");

/** One task's pending approvals: hold, resolve by verdict, expire by the clock. */
export class ApprovalHold {
  private readonly kv: KeyValueStore;
  constructor(
    private readonly config: ApprovalConfig,
    private readonly ctx: ProcessorContext,
  ) {
    this.kv = ctx.keyValueStore(config.store ?? ctx.processorName);
    this.gauge();
  }

  /** Holds `decision` (made from `record` by `rule`) and forwards its request; a redelivered input is dropped. */
  hold(record: StreamRecord, decision: AgentDecision, rule: string, require: RequireApproval): void {
    const id = decision.decision_id;
    if (this.kv.get(`h\u0000${id}`) !== undefined || this.kv.get(`r\u0000${id}`) !== undefined) {
      this.ctx.metrics.count("approval_redelivered");
      return;
    }
    const now = this.ctx.now();
    const request: ApprovalRequest = {
      request_id: id,
      rule,
      requested_at: now,
      expires_at: now + require.timeoutMs,
      on_expiry: require.onExpiry,
      decision,
    };
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(record.headers)) if (v !== undefined) headers[k] = v.toString();
    const key = record.key === null ? null : record.key.toString();
    this.kv.put(`h\u0000${id}`, { request, key, headers, timestamp: record.timestamp, source: record.source });
    this.kv.put(`x\u0000${sortableNumber(request.expires_at)}\u0000${id}`, 1);
    this.addPending(1);
    this.ctx.metrics.count("approval_requested");
    metrics.approvalsRequested.inc(this.labels());
    this.ctx.forward(record.withValue(request), this.config.requests);
  }

  /** Applies an ApprovalEvent (or a tick) and expires what is due. */
  verdict(record: StreamRecord): void {
    const event = (typeof record.value === "object" && record.value !== null ? record.value : {}) as Record<
      string,
      unknown
    >;
    const verdict = text(event.verdict);
    if (verdict === "tick") {
      this.expire();
      return;
    }
    const id = text(event.request_id) || text(event.decision_id);
    if (verdict !== "approve" && verdict !== "reject") {
      throw new PoisonRecordError(
        `${this.ctx.processorName}: approval verdict ${JSON.stringify(verdict)} is not approve|reject`,
      );
    }
    const held = this.kv.get(`h\u0000${id}`) as Held | undefined;
    if (held === undefined) {
      if (this.kv.get(`r\u0000${id}`) !== undefined) {
        this.ctx.metrics.count("approval_repeated");
        this.expire();
        return;
      }
      throw new PoisonRecordError(
        `${this.ctx.processorName}: no pending approval request ${JSON.stringify(id)} in partition ${this.ctx.partition} (key verdicts like the decision's input, or send them with \`sluice approvals\`)`,
      );
    }
    const at = Number(event.decided_at);
    this.resolve(held, verdict, text(event.approver), text(event.reason), Number.isFinite(at) ? at : this.ctx.now());
    this.expire();
  }

  /** Resolves every held request whose timeout passed by the wall clock. */
  expire(): void {
    const now = this.ctx.now();
    for (const { key } of this.kv.range("x\u0000", `x\u0000${sortableNumber(now + 1)}`)) {
      const id = key.slice(key.indexOf("\u0000", 2) + 1);
      const held = this.kv.get(`h\u0000${id}`) as Held | undefined;
      if (held === undefined) {
        this.kv.delete(key);
        continue;
      }
      const onExpiry = held.request.on_expiry;
      this.resolve(held, onExpiry, "sluice:expiry", `no verdict within ${now - held.request.requested_at} ms`, now);
    }
  }

  private resolve(held: Held, verdict: "approve" | "reject" | "dead-letter", by: string, why: string, at: number) {
    const { request } = held;
    const id = request.request_id;
    this.kv.delete(`h\u0000${id}`);
    this.kv.delete(`x\u0000${sortableNumber(request.expires_at)}\u0000${id}`);
    this.kv.put(`r\u0000${id}`, { verdict, at }, { ttlMs: this.config.rememberMs });
    this.addPending(-1);
    const expired = by === "sluice:expiry";
    const approval: ApprovalLineage = {
      request_id: id,
      rule: request.rule,
      status: expired ? "expired" : verdict === "approve" ? "approved" : "rejected",
      approver: by,
      reason: why,
      requested_at: request.requested_at,
      resolved_at: at,
    };
    const original = request.decision;
    const decision: AgentDecision & { approval: ApprovalLineage } =
      verdict === "reject"
        ? {
            ...original,
            decision: this.config.rejectedDecision as Decision,
            reason: `approval_rejected:${request.rule} (held: ${original.decision}, ${original.reason})`,
            approval,
          }
        : { ...original, approval };
    const label = expired ? `expired_${verdict.replace("-", "_")}` : verdict;
    this.ctx.metrics.count(`approval_${label}`);
    metrics.approvalsResolved.inc({ ...this.labels(), verdict: label });
    const out = this.outputRecord(held, decision);
    if (verdict === "dead-letter") {
      if (this.config.expired === undefined) throw new Error(`${this.ctx.processorName}: approval.expired is not set`);
      this.ctx.forward(out, this.config.expired);
      return;
    }
    for (const child of this.ctx.children) {
      if (child !== this.config.requests && child !== this.config.expired) this.ctx.forward(out, child);
    }
  }

  /** The held input record's key, headers, timestamp and lineage, carrying `value`. */
  private outputRecord(held: Held, value: unknown): StreamRecord {
    // The runtime attributes it to the input being processed (the verdict or tick) for commits; `source` stays the
    // held input's lineage, so a ClickHouse row of the decision is keyed as if it had not waited.
    return new StreamRecord(held.key, value, held.headers, held.timestamp, held.source);
  }

  /** The partition is closed here (moved, or the member stops): its pending count is no longer this member's. */
  close(): void {
    metrics.approvalsPending.remove({ ...this.labels(), partition: String(this.ctx.partition) });
  }

  private labels() {
    return { topology: this.ctx.applicationId, processor: this.ctx.processorName };
  }

  private addPending(delta: number): void {
    const pending = ((this.kv.get("m\u0000pending") as number | undefined) ?? 0) + delta;
    this.kv.put("m\u0000pending", Math.max(0, pending));
    this.gauge(pending);
  }

  private gauge(pending = (this.kv.get("m\u0000pending") as number | undefined) ?? 0): void {
    metrics.approvalsPending.set({ ...this.labels(), partition: String(this.ctx.partition) }, pending);
  }
}
