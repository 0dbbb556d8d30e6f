-- What really happened to a decision (processors/decision-outcome.ts, from an outcomes topic such as
-- `ticket-outcomes`): one row per decision id, the latest outcome winning (ReplacingMergeTree on outcome_ms), so a
-- reopened ticket replaces its earlier "resolved" and a redelivered outcome replaces itself. Unpartitioned:
-- two outcomes of one decision must meet to replace each other, whatever their months. Decision-side columns are
-- filled when the outcome was joined to its decision in the stream, empty otherwise; `decision_eval` takes them
-- from agent_decisions either way.
-- Which model variant acted for a decision: `primary`, or a canary candidate's id (processors/model-set.ts), so
-- outcomes are evaluated per variant. Plain ADD COLUMN: see 0005.
ALTER TABLE agent_decisions ADD COLUMN model_variant {{LowString}} DEFAULT 'primary' AFTER model_backend;

CREATE TABLE IF NOT EXISTS decision_outcomes
(
    source_topic {{LowString}},
    source_partition UInt32,
    source_offset UInt64,
    output_index UInt16,
    run_id {{LowString}},
    decision_id String,
    outcome_id String,
    tenant_id {{LowString}},
    outcome {{LowString}},
    actual_decision {{LowString}},
    outcome_time {{Time}},
    outcome_ms UInt64,
    joined UInt8 DEFAULT 0,
    application_id {{LowString}} DEFAULT '',
    decision {{LowString}} DEFAULT '',
    model_id {{LowString}} DEFAULT '',
    model_variant {{LowString}} DEFAULT '',
    time_to_outcome_ms Nullable(Int64),
    inserted_at DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(outcome_ms)
ORDER BY decision_id
SETTINGS index_granularity = 8192{{#if nonReplicatedDeduplication}}, non_replicated_deduplication_window = 1000{{/if}};

-- One row per decision (agent_decisions, exact through FINAL) with its latest outcome, if any: has_outcome = 0
-- keeps a decision that never got one in every count (`sluice eval` reports them as no_outcome) instead of
-- dropping it. Time to outcome runs from the decision (decided_at) to the outcome's own time.
CREATE VIEW IF NOT EXISTS decision_eval AS
SELECT
    decision_id,
    application_id,
    run_id,
    tenant_id,
    model_id,
    model_variant,
    decision,
    confidence,
    event_time,
    decided_at,
    has_outcome,
    actual,
    outcome_label,
    outcome_at_ms,
    if(has_outcome = 1, toInt64(outcome_at_ms) - toInt64({{#if dateTime64}}toUnixTimestamp64Milli(decided_at){{else}}toUInt64(decided_at) * 1000{{/if}}), toInt64(0)) AS time_to_outcome_ms
FROM
(
    SELECT decision_id, application_id, run_id, tenant_id, model_id, model_variant, decision, confidence, event_time, decided_at
    FROM agent_decisions FINAL
) AS decided
ANY LEFT JOIN
(
    SELECT
        decision_id,
        toUInt8(1) AS has_outcome,
        argMax(actual_decision, outcome_ms) AS actual,
        argMax(outcome, outcome_ms) AS outcome_label,
        max(outcome_ms) AS outcome_at_ms
    FROM decision_outcomes
    GROUP BY decision_id
) AS outcomes USING decision_id
