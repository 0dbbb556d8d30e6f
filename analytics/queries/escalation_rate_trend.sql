-- Share of decisions escalated to a human, per hour: the trend an operator watches after a model change.
-- Written with argMax instead of FINAL (same result): the inner query keeps the latest copy per lineage key.
SELECT
    run_id,
    hour,
    count() AS decisions,
    countIf(last_decision = 'escalate_to_human') AS escalations,
    round(escalations / decisions, 4) AS escalation_rate
FROM
(
    SELECT
        run_id,
        toStartOfHour(argMax(event_time, inserted_at)) AS hour,
        argMax(decision, inserted_at) AS last_decision
    FROM agent_decisions
    GROUP BY source_topic, source_partition, source_offset, output_index, run_id
)
GROUP BY run_id, hour
ORDER BY run_id, hour
