/**
 * Synthetic AgentDecision records (schemas/agent-decision.avsc shape, lineage included) for the ClickHouse
 * tests, the chDB check and the insert benchmark: deterministic per offset, spread over tenants and models.
 */
import type { AgentDecision } from "../../processors/agent-decision.ts";
import { StreamRecord } from "../../processors/api.ts";

const DECISIONS = ["auto_resolve", "escalate_to_human", "route_to_sales", "flag_fraud"] as const;
const BASE_TIME = Date.UTC(2025, 0, 6, 8, 0, 0);

/** The decision for `offset` of `topic`/`partition`, one per minute of event time. */
export function sampleDecision(topic: string, partition: number, offset: number, runId = "live"): AgentDecision {
  const n = partition * 1_000_003 + offset;
  const eventTime = BASE_TIME + (n % 2880) * 60_000;
  return {
    decision_id: `${topic}/${partition}@${offset}#${runId}`,
    event_id: `evt-${partition}-${offset}`,
    tenant_id: `tenant-${n % 7}`,
    decision: DECISIONS[n % 4] as AgentDecision["decision"],
    confidence: 0.5 + (n % 50) / 100,
    reason: `threshold:${DECISIONS[n % 4]} ${(0.5 + (n % 50) / 100).toFixed(2)} >= 0.5`,
    scores: { auto_resolve: 0.4, escalate_to_human: 0.3, route_to_sales: 0.2, flag_fraud: 0.1 },
    source_topic: topic,
    source_partition: partition,
    source_offset: offset,
    writer_schema_id: 3,
    application_id: "support-triage",
    run_id: runId,
    model_id: n % 3 === 0 ? "sha256:model-v2" : "sha256:model-v1",
    model_backend: "tfjs-node",
    model_variant: n % 10 === 0 ? "v3-canary" : "primary",
    shadow:
      n % 5 === 0
        ? [
            {
              candidate_id: "v4-shadow",
              model_id: "sha256:model-v4",
              decision: DECISIONS[(n + (n % 3 === 0 ? 1 : 0)) % 4] as AgentDecision["decision"],
              confidence: 0.6,
              reason: "threshold",
              scores: { auto_resolve: 0.25, escalate_to_human: 0.25, route_to_sales: 0.25, flag_fraud: 0.25 },
            },
          ]
        : [],
    encoder_model_id: "sha256:encoder-v1",
    kb_table: "kb_docs",
    kb_version: 4,
    kb_tier: "memory",
    kb_version_wanted: null,
    retrieved_ids: [`doc-${n % 11}`, `doc-${n % 13}`],
    retrieved_distances: [0.12, 0.34],
    event_time: eventTime,
    decided_at: eventTime + 250,
    stages: [
      { name: "embed", started_at: eventTime + 10, duration_ms: 3 + (n % 10), batch_size: 64 },
      { name: "enrich", started_at: eventTime + 20, duration_ms: 5 + (n % 20), batch_size: 64 },
      { name: "infer", started_at: eventTime + 40, duration_ms: 2 + (n % 5), batch_size: 64 },
      { name: "decide", started_at: eventTime + 50, duration_ms: 0.2, batch_size: 64 },
    ],
    tool_calls: [],
  };
}

/** `count` decision records of one partition from `from`, as the runtime hands them to a sink. */
export function decisionRecords(topic: string, partition: number, from: number, count: number, runId = "live") {
  return Array.from({ length: count }, (_, i) => {
    const offset = from + i;
    return new StreamRecord(
      `evt-${partition}-${offset}`,
      sampleDecision(topic, partition, offset, runId),
      { "sluice-output-index": "0" },
      Date.now(),
      { topic, partition, offset },
    );
  });
}
