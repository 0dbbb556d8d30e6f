-- Why records were dead-lettered: per processor, error class and reason (first 120 characters), with the
-- source offsets involved, exact under redelivery (FINAL).
SELECT
    run_id,
    processor,
    error_class,
    substring(reason, 1, 120) AS reason_prefix,
    count() AS records,
    uniqExact(source_topic, source_partition) AS partitions,
    min(source_offset) AS first_offset,
    max(source_offset) AS last_offset,
    max(failed_at) AS last_failed_at
FROM dead_letters FINAL
GROUP BY run_id, processor, error_class, reason_prefix
ORDER BY records DESC, processor
