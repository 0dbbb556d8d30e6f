-- Decisions per tenant per hour of event time, with the escalation count and mean confidence.
-- FINAL merges redelivered copies (same lineage key) at read time, so the counts are exact.
SELECT
    run_id,
    tenant_id,
    toStartOfHour(event_time) AS hour,
    count() AS decisions,
    countIf(decision = 'escalate_to_human') AS escalations,
    round(avg(confidence), 3) AS avg_confidence
FROM agent_decisions FINAL
GROUP BY run_id, tenant_id, hour
ORDER BY run_id, hour, tenant_id
