-- One row per AgentDecision (schemas/agent-decision.avsc) with its full lineage. Keyed by the lineage key in a
-- ReplacingMergeTree: a redelivered decision replaces its earlier copy. Query with FINAL or argMax (README).
CREATE TABLE IF NOT EXISTS agent_decisions
(
    source_topic {{LowString}},
    source_partition UInt32,
    source_offset UInt64,
    output_index UInt16,
    run_id {{LowString}},
    decision_id String,
    event_id String,
    tenant_id {{LowString}},
    decision {{LowString}},
    confidence Float32,
    reason String,
    scores {{FloatMap}},
    writer_schema_id Nullable(Int32),
    application_id {{LowString}},
    model_id {{LowString}},
    model_backend {{LowString}},
    encoder_model_id Nullable(String),
    kb_table Nullable(String),
    kb_version Nullable(Int64),
    retrieved_ids Array(String),
    retrieved_distances Array(Float32),
    event_time {{Time}},
    decided_at {{Time}},
    stages Nested(name String, started_at UInt64, duration_ms Float64, batch_size UInt32),
    inserted_at DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(event_time)
ORDER BY (source_topic, source_partition, source_offset, output_index, run_id)
SETTINGS index_granularity = 8192{{#if nonReplicatedDeduplication}}, non_replicated_deduplication_window = 1000{{/if}}
