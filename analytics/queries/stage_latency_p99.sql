-- Per-stage processing time (embed, enrich, infer, decide, ...) from each decision's lineage: p50/p95/p99/max
-- per stage and inference backend. ARRAY JOIN unfolds the Nested `stages` column, one row per stage.
SELECT
    run_id,
    model_backend,
    stages.name AS stage,
    count() AS samples,
    round(quantileExact(0.5)(stages.duration_ms), 2) AS p50_ms,
    round(quantileExact(0.95)(stages.duration_ms), 2) AS p95_ms,
    round(quantileExact(0.99)(stages.duration_ms), 2) AS p99_ms,
    round(max(stages.duration_ms), 2) AS max_ms
FROM agent_decisions FINAL
ARRAY JOIN stages
GROUP BY run_id, model_backend, stage
ORDER BY run_id, model_backend, p99_ms DESC
