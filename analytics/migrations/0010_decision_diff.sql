-- Replay-and-diff (`sluice replay … --model <candidate> --diff`, analytics/replay-diff.ts): one row per record of
-- a replay run, its decision beside the baseline run's decision (by default the live run) for the same lineage
-- key (source topic, partition, offset, output index). Filled by one INSERT … SELECT joining agent_decisions
-- FINAL of the two runs, so the baseline never leaves ClickHouse. Keyed by (run_id, lineage key): diffing the
-- same replay again replaces its rows.
CREATE TABLE IF NOT EXISTS decision_diff
(
    run_id {{LowString}},
    baseline_run_id {{LowString}},
    source_topic {{LowString}},
    source_partition UInt32,
    source_offset UInt64,
    output_index UInt16,
    application_id {{LowString}},
    tenant_id {{LowString}},
    event_time {{Time}},
    old_decision {{LowString}},
    old_confidence Float32,
    old_model_id {{LowString}},
    old_kb_version Nullable(Int64),
    new_decision {{LowString}},
    new_confidence Float32,
    new_model_id {{LowString}},
    new_kb_version Nullable(Int64),
    changed UInt8,
    confidence_delta Float32,
    inserted_at DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(event_time)
ORDER BY (run_id, source_topic, source_partition, source_offset, output_index)
SETTINGS index_granularity = 8192{{#if nonReplicatedDeduplication}}, non_replicated_deduplication_window = 1000{{/if}};

-- As-of retrieval (processors/kb-as-of.ts) with `--as-of-fallback nearest`: the cleaned-up knowledge-base
-- version(s) current at the event's time that kb_version stood in for (NULL when the version used was the one
-- current). Plain ADD COLUMN: see 0005.
ALTER TABLE agent_decisions ADD COLUMN kb_version_wanted Nullable(String) AFTER kb_tier
