-- Per task per minute: records in/out, dead letters, lag and paused intervals. An outage of a sink shows as
-- paused minutes with records_out = 0 and growing lag, then a catch-up.
SELECT
    run_id,
    task_id,
    toStartOfMinute(interval_start) AS minute,
    sum(records_in) AS records_in,
    sum(records_out) AS records_out,
    sum(dead_lettered) AS dead_lettered,
    max(consumer_lag) AS max_lag,
    max(paused) AS paused,
    any(pause_reason) AS pause_reason
FROM pipeline_metrics FINAL
GROUP BY run_id, task_id, minute
ORDER BY run_id, task_id, minute
