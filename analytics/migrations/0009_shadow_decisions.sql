-- Shadow models (processors/model-set.ts). Each decision records what the same rules decided on every shadow
-- candidate's scores (the `shadow` Nested columns, filled by the sink from AgentDecision.shadow; which variant
-- acted, `model_variant`, came with 0008). A materialized view copies every shadow verdict into
-- `shadow_decisions`, one row per (decision, candidate), keyed by the decision's lineage key plus the candidate,
-- so a redelivered decision replaces its shadow rows as it replaces itself. Plain ADD COLUMN: see 0005.
ALTER TABLE agent_decisions
    ADD COLUMN shadow Nested(candidate_id String, model_id String, decision String, confidence Float32, reason String, scores String) AFTER model_variant;

CREATE TABLE IF NOT EXISTS shadow_decisions
(
    source_topic {{LowString}},
    source_partition UInt32,
    source_offset UInt64,
    output_index UInt16,
    run_id {{LowString}},
    candidate_id {{LowString}},
    decision_id String,
    application_id {{LowString}},
    tenant_id {{LowString}},
    event_time {{Time}},
    primary_model_id {{LowString}},
    primary_variant {{LowString}},
    primary_decision {{LowString}},
    primary_confidence Float32,
    candidate_model_id {{LowString}},
    candidate_decision {{LowString}},
    candidate_confidence Float32,
    candidate_reason String,
    candidate_scores String,
    inserted_at DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(event_time)
ORDER BY (source_topic, source_partition, source_offset, output_index, run_id, candidate_id)
SETTINGS index_granularity = 8192{{#if nonReplicatedDeduplication}}, non_replicated_deduplication_window = 1000{{/if}};

CREATE MATERIALIZED VIEW IF NOT EXISTS shadow_decisions_mv TO shadow_decisions AS
SELECT
    source_topic,
    source_partition,
    source_offset,
    output_index,
    run_id,
    shadow.candidate_id AS candidate_id,
    decision_id,
    application_id,
    tenant_id,
    event_time,
    model_id AS primary_model_id,
    model_variant AS primary_variant,
    decision AS primary_decision,
    confidence AS primary_confidence,
    shadow.model_id AS candidate_model_id,
    shadow.decision AS candidate_decision,
    shadow.confidence AS candidate_confidence,
    shadow.reason AS candidate_reason,
    shadow.scores AS candidate_scores,
    now() AS inserted_at
FROM agent_decisions
ARRAY JOIN shadow
