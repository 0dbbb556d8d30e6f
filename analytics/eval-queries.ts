/**
 * The SQL of online evaluation, the `decision_eval` view (analytics/migrations/0008) with the filters inside it:
 * per decision class,
 * precision (of the decisions that got an outcome, the share whose outcome was that class) and recall (of the
 * outcomes of that class, the share decided so); the confusion matrix; time to outcome; decisions with no
 * outcome counted beside them. Grouped by any of model, variant, agent (the application id), tenant and day.
 * Values are inlined as escaped literals (ClickHouse 18.16 has no query parameters). The view's join is written
 * out here with the filters applied to the decisions before it, because 18.16 does not push a WHERE into a view:
 * through the view, one application's evaluation would join every decision of the table. (Restricting the
 * outcomes side too, with `decision_id IN (…)`, measured slower: building the set costs more than it saves.)
 */
import { DECISIONS } from "../processors/agent-decision.ts";
import { sqlString } from "../sinks/clickhouse-features.ts";

/** What an evaluation can be broken down by, and the column of each. */
export const EVAL_DIMENSIONS = {
  model: "model_id",
  variant: "model_variant",
  agent: "application_id",
  tenant: "tenant_id",
  day: "toDate(event_time)",
} as const;
export type EvalDimension = keyof typeof EVAL_DIMENSIONS;

export interface EvalFilter {
  /** The topology's application id (the agent). */
  applicationId?: string;
  /** @default "live" */
  runId?: string;
  /** Decisions whose event time is at or after this, epoch ms. */
  sinceMs?: number;
  /** A model id (`sha256:…`) or a variant (`primary`, a candidate id). */
  model?: string;
}

/** The WHERE clause of a filter (always valid SQL: `1 = 1` alone when nothing is filtered). */
export function evalWhere(f: EvalFilter): string {
  const parts = ["1 = 1", `run_id = ${sqlString(f.runId ?? "live")}`];
  if (f.applicationId !== undefined) parts.push(`application_id = ${sqlString(f.applicationId)}`);
  if (f.sinceMs !== undefined) parts.push(`event_time >= toDateTime(${Math.floor(f.sinceMs / 1000)})`);
  if (f.model !== undefined) parts.push(`(model_id = ${sqlString(f.model)} OR model_variant = ${sqlString(f.model)})`);
  return parts.join(" AND ");
}

/** The server's time type decides how milliseconds are read back (`{{Time}}` of the DDL). */
export interface EvalSqlOptions {
  /** `DateTime64` columns (ClickHouse ≥ 20.1). @default false (18.16: DateTime, seconds) */
  dateTime64?: boolean;
}

/** `decision_eval`, restricted to `f` before the join: one row per decision with its latest outcome, if any. */
export function evalSource(f: EvalFilter, o: EvalSqlOptions = {}): string {
  const where = evalWhere(f);
  const decidedMs = o.dateTime64 ? "toUnixTimestamp64Milli(decided_at)" : "toUInt64(decided_at) * 1000";
  return `(
    SELECT *, if(has_outcome = 1, toInt64(outcome_at_ms) - toInt64(${decidedMs}), toInt64(0)) AS time_to_outcome_ms
    FROM (
        SELECT decision_id, application_id, run_id, tenant_id, model_id, model_variant, decision, confidence, event_time, decided_at
        FROM agent_decisions FINAL
        WHERE ${where}
    ) AS decided
    ANY LEFT JOIN (
        SELECT decision_id, toUInt8(1) AS has_outcome, argMax(actual_decision, outcome_ms) AS actual,
            argMax(outcome, outcome_ms) AS outcome_label, max(outcome_ms) AS outcome_at_ms
        FROM decision_outcomes
        GROUP BY decision_id
    ) AS outcomes USING decision_id
)`;
}

const dims = (by: readonly EvalDimension[]) => by.map((d) => `${EVAL_DIMENSIONS[d]} AS ${d}`);
const groupKeys = (by: readonly EvalDimension[]) => by.map((d) => d);
const classes = `[${DECISIONS.map((d) => sqlString(d)).join(", ")}]`;

/** Per group and class: predicted, actual and true positives among decisions with an outcome; precision, recall. */
export function precisionRecallSql(f: EvalFilter, by: readonly EvalDimension[], o: EvalSqlOptions = {}): string {
  const keys = [...groupKeys(by), "class"];
  return `SELECT ${[...dims(by), "class"].join(", ")},
    countIf(decision = class AND has_outcome = 1) AS predicted,
    countIf(actual = class) AS actual_count,
    countIf(decision = class AND actual = class) AS true_positives,
    if(predicted = 0, nan, true_positives / predicted) AS precision,
    if(actual_count = 0, nan, true_positives / actual_count) AS recall,
    countIf(decision = class AND has_outcome = 0) AS no_outcome
FROM ${evalSource(f, o)}
ARRAY JOIN ${classes} AS class
GROUP BY ${keys.join(", ")}
ORDER BY ${keys.join(", ")}`;
}

/** Per group: decisions, with and without an outcome, accuracy, time to outcome (p50, p90, max, ms). */
export function summarySql(f: EvalFilter, by: readonly EvalDimension[], o: EvalSqlOptions = {}): string {
  const keys = groupKeys(by);
  return `SELECT ${[...dims(by), "count() AS decisions"].join(", ")},
    countIf(has_outcome = 1) AS with_outcome,
    countIf(has_outcome = 0) AS no_outcome,
    if(with_outcome = 0, nan, countIf(has_outcome = 1 AND actual = decision) / with_outcome) AS accuracy,
    quantileExactIf(0.5)(time_to_outcome_ms, has_outcome = 1) AS time_to_outcome_p50_ms,
    quantileExactIf(0.9)(time_to_outcome_ms, has_outcome = 1) AS time_to_outcome_p90_ms,
    maxIf(time_to_outcome_ms, has_outcome = 1) AS time_to_outcome_max_ms
FROM ${evalSource(f, o)}${keys.length > 0 ? `\nGROUP BY ${keys.join(", ")}\nORDER BY ${keys.join(", ")}` : ""}`;
}

/** Per group: decided class × actual class → count, over decisions with an outcome. */
export function confusionSql(f: EvalFilter, by: readonly EvalDimension[], o: EvalSqlOptions = {}): string {
  const keys = [...groupKeys(by), "decided", "actual_class"];
  return `SELECT ${[...dims(by), "decision AS decided", "actual AS actual_class", "count() AS decisions"].join(", ")}
FROM ${evalSource(f, o)}
WHERE has_outcome = 1
GROUP BY ${keys.join(", ")}
ORDER BY ${keys.join(", ")}`;
}

/** Shadow candidates against the primary: agreement overall and, per primary class, how the candidate decided. */
export function shadowComparisonSql(f: EvalFilter): string {
  const where = ["1 = 1", `run_id = ${sqlString(f.runId ?? "live")}`];
  if (f.applicationId !== undefined) where.push(`application_id = ${sqlString(f.applicationId)}`);
  if (f.sinceMs !== undefined) where.push(`event_time >= toDateTime(${Math.floor(f.sinceMs / 1000)})`);
  if (f.model !== undefined)
    where.push(`(candidate_id = ${sqlString(f.model)} OR candidate_model_id = ${sqlString(f.model)})`);
  return `SELECT candidate_id, candidate_model_id, primary_model_id, primary_decision, candidate_decision,
    count() AS decisions
FROM shadow_decisions FINAL
WHERE ${where.join(" AND ")}
GROUP BY candidate_id, candidate_model_id, primary_model_id, primary_decision, candidate_decision
ORDER BY candidate_id, candidate_model_id, primary_model_id, primary_decision, candidate_decision`;
}
