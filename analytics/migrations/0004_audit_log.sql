-- Run and replay start/stop events: what ran (topology hash, models, knowledge-base version), where and as which
-- run id, so every decision row can be traced to the exact configuration that produced it.
CREATE TABLE IF NOT EXISTS audit_log
(
    run_id {{LowString}},
    event {{LowString}},
    at {{Time}},
    application_id {{LowString}},
    group_id String,
    topology_hash String,
    model_ids Array(String),
    kb_table Nullable(String),
    kb_version Nullable(Int64),
    host {{LowString}},
    sluice_version {{LowString}},
    details String,
    inserted_at DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(at)
ORDER BY (run_id, event, at, host)
SETTINGS index_granularity = 8192{{#if nonReplicatedDeduplication}}, non_replicated_deduplication_window = 1000{{/if}}
