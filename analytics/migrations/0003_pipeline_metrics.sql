-- Per task per interval: throughput, dead letters, batch sizes, per-stage latency quantiles, lag, backend and
-- whether the task was paused (an outage shows as paused intervals with records_out = 0). A re-sent interval
-- replaces itself: the key is (application, run, task, interval, host).
CREATE TABLE IF NOT EXISTS pipeline_metrics
(
    application_id {{LowString}},
    run_id {{LowString}},
    host {{LowString}},
    task_id {{LowString}},
    source_topic {{LowString}},
    source_partition UInt32,
    interval_start {{Time}},
    interval_ms UInt32,
    records_in UInt64,
    records_out UInt64,
    dead_lettered UInt64,
    batches UInt32,
    batch_size_avg Float64,
    batch_size_max UInt32,
    stages Nested(name String, p50_ms Float64, p95_ms Float64, p99_ms Float64),
    consumer_lag Int64,
    inference_backend {{LowString}},
    paused UInt8,
    pause_reason String,
    backpressure_waits UInt64,
    inserted_at DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(interval_start)
ORDER BY (application_id, run_id, task_id, interval_start, host)
SETTINGS index_granularity = 8192{{#if nonReplicatedDeduplication}}, non_replicated_deduplication_window = 1000{{/if}}
