-- Records a processor or sink refused as bad data, with why and where they came from (the Kafka DLQ holds the
-- bytes for replay; this table is for SQL over failures). raw_value is base64.
CREATE TABLE IF NOT EXISTS dead_letters
(
    source_topic {{LowString}},
    source_partition UInt32,
    source_offset UInt64,
    output_index UInt16,
    run_id {{LowString}},
    application_id {{LowString}},
    processor {{LowString}},
    error_class {{LowString}},
    reason String,
    record_key Nullable(String),
    raw_value String,
    headers String,
    record_time {{Time}},
    failed_at {{Time}},
    inserted_at DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(record_time)
ORDER BY (source_topic, source_partition, source_offset, output_index, run_id)
SETTINGS index_granularity = 8192{{#if nonReplicatedDeduplication}}, non_replicated_deduplication_window = 1000{{/if}}
