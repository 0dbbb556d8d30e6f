/**
 * Assembles the `AgentDecision` value (schemas/agent-decision.avsc) from a record that went through the AI
 * stages: the decision itself plus lineage read from the record's source, headers and the stages' outputs.
 */
import { PoisonRecordError } from "../core/errors.ts";
import type { ProcessorContext, StreamRecord } from "./api.ts";
import { readPath } from "./feature-vector.ts";
import { type StageTiming, stagesOf } from "./stage-timing.ts";

export const DECISIONS = [
  "auto_resolve",
  "escalate_to_human",
  "route_to_sales",
  "flag_fraud",
  /** A tool the decision needed was not called: its per-tenant budget was spent (a decide rule on `tool_calls`). */
  "budget_exhausted",
] as const;
export type Decision = (typeof DECISIONS)[number];

export interface Verdict {
  decision: Decision;
  confidence: number;
  reason: string;
}

/** What decide would have decided on a shadow model's scores (never acted on). */
export interface ShadowVerdict extends Verdict {
  candidate_id: string;
  model_id: string;
  scores: Record<string, number>;
}

/** Where decide finds the other stages' outputs in the record value. */
export interface LineageFields {
  inferenceField: string;
  retrievalField: string;
  encoderModelField: string;
  /** Header (then value field) holding the writer schema id set when the event was decoded. */
  writerSchemaIdHeader: string;
  eventTimeField: string;
}

export interface AgentDecision {
  decision_id: string;
  event_id: string;
  tenant_id: string;
  decision: Decision;
  confidence: number;
  reason: string;
  scores: Record<string, number>;
  source_topic: string;
  source_partition: number;
  source_offset: number;
  writer_schema_id: number | null;
  application_id: string;
  run_id: string;
  model_id: string;
  model_backend: string;
  /** `primary`, or the id of the canary candidate that acted. */
  model_variant: string;
  /** Shadow candidates' decisions on the same record, recorded, never acted on. */
  shadow: ShadowVerdict[];
  encoder_model_id: string | null;
  kb_table: string | null;
  kb_version: number | null;
  /** Which retrieval tier answered: `memory` (exact, in process) or `lancedb`. */
  kb_tier: string | null;
  /** As-of with the `nearest` fallback: the cleaned-up version(s) `kb_version` stood in for (`v4..v6`). */
  kb_version_wanted: string | null;
  retrieved_ids: string[];
  retrieved_distances: number[];
  event_time: number;
  decided_at: number;
  stages: StageTiming[];
  /** Tool calls made for this decision (the `tool` processor's lineage), in pipeline order. */
  tool_calls: ToolCall[];
}

/** One tool call in a decision's lineage. */
export interface ToolCall {
  tool: string;
  args_hash: string;
  status: string;
  latency_ms: number;
  cost: number;
  idempotency_key: string;
}

/** The `tool_calls` a record's value carries (written by `tool` processors), in the AgentDecision's shape. */
export function toolCallsOf(value: Record<string, unknown>): ToolCall[] {
  const calls = value.tool_calls;
  if (!Array.isArray(calls)) return [];
  return calls.map((c: Partial<ToolCall>) => ({
    tool: String(c.tool ?? ""),
    args_hash: String(c.args_hash ?? ""),
    status: String(c.status ?? ""),
    latency_ms: Number(c.latency_ms ?? 0),
    cost: Number(c.cost ?? 0),
    idempotency_key: String(c.idempotency_key ?? ""),
  }));
}

function optionalInt(raw: unknown): number | null {
  const text = Buffer.isBuffer(raw) ? raw.toString("utf8") : raw;
  const n = typeof text === "string" && text !== "" ? Number(text) : typeof text === "number" ? text : Number.NaN;
  return Number.isInteger(n) ? n : null;
}

const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

export function agentDecision(
  record: StreamRecord,
  value: Record<string, unknown>,
  verdict: Verdict,
  f: LineageFields,
  ctx: ProcessorContext,
  stage: StageTiming,
  shadow: ShadowVerdict[] = [],
): AgentDecision {
  const inference = readPath(value, f.inferenceField) as
    | { scores?: Record<string, number>; model_id?: string; backend?: string; variant?: string }
    | undefined;
  if (!inference?.model_id)
    throw new PoisonRecordError(`${ctx.processorName}: field ${f.inferenceField} has no model_id (run infer first)`);
  const retrieval = readPath(value, f.retrievalField) as
    | { table?: string; version?: number; tier?: string; version_wanted?: string; ids?: string[]; distances?: number[] }
    | undefined;
  const { source } = record;
  const eventTime = Number(readPath(value, f.eventTimeField));
  return {
    decision_id: `${source.topic}/${source.partition}@${source.offset}#${ctx.runId}`,
    event_id: str(value.event_id) ?? `${source.topic}/${source.partition}@${source.offset}`,
    tenant_id: str(value.tenant_id) ?? "",
    ...verdict,
    scores: inference.scores ?? {},
    source_topic: source.topic,
    source_partition: source.partition,
    source_offset: source.offset,
    writer_schema_id: optionalInt(record.headers[f.writerSchemaIdHeader] ?? value[f.writerSchemaIdHeader]),
    application_id: ctx.applicationId,
    run_id: ctx.runId,
    model_id: inference.model_id,
    model_backend: inference.backend ?? "unknown",
    model_variant: inference.variant ?? "primary",
    shadow,
    encoder_model_id: str(readPath(value, f.encoderModelField)),
    kb_table: retrieval?.table ?? null,
    kb_version: typeof retrieval?.version === "number" ? retrieval.version : null,
    kb_tier: str(retrieval?.tier),
    kb_version_wanted: str(retrieval?.version_wanted),
    retrieved_ids: retrieval?.ids ?? [],
    retrieved_distances: retrieval?.distances ?? [],
    event_time: Number.isFinite(eventTime) ? eventTime : record.timestamp,
    decided_at: ctx.now(),
    stages: [...stagesOf(value), stage],
    tool_calls: toolCallsOf(value),
  };
}
