-- Decisions compared across model versions (and knowledge-base versions): the decision mix and confidence of
-- each classifier that ran, e.g. live vs a replay with a new model.
SELECT
    run_id,
    model_id,
    model_backend,
    kb_version,
    count() AS decisions,
    countIf(decision = 'auto_resolve') AS auto_resolved,
    countIf(decision = 'escalate_to_human') AS escalated,
    countIf(decision = 'route_to_sales') AS routed_to_sales,
    countIf(decision = 'flag_fraud') AS flagged_fraud,
    round(avg(confidence), 3) AS avg_confidence,
    round(quantileExact(0.5)(confidence), 3) AS median_confidence,
    min(event_time) AS first_event,
    max(event_time) AS last_event
FROM agent_decisions FINAL
GROUP BY run_id, model_id, model_backend, kb_version
ORDER BY run_id, model_id, kb_version
