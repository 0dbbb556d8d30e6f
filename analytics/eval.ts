/**
 * `sluice eval`: runs the evaluation queries (eval-queries.ts) against ClickHouse and returns the rows, for a
 * text report or `--json`. Shadow candidates are compared with the primary from `shadow_decisions`.
 */
import { ClickHouseLogLevel, createClient } from "@clickhouse/client";
import { detectServer } from "../sinks/clickhouse-features.ts";
import {
  confusionSql,
  type EvalDimension,
  type EvalFilter,
  precisionRecallSql,
  shadowComparisonSql,
  summarySql,
} from "./eval-queries.ts";
import { textTable } from "./sql.ts";

export interface EvalOptions extends EvalFilter {
  /** @default ["model"] */
  by?: EvalDimension[];
  /** @default "default" */
  database?: string;
  /** @default "default" */
  username?: string;
  /** @default "" */
  password?: string;
}

type Row = Record<string, unknown>;

export interface EvalReport {
  filter: EvalFilter;
  by: EvalDimension[];
  summary: Row[];
  classes: Row[];
  confusion: Row[];
  /** Per shadow candidate: decisions compared, agreeing, the agreement rate, and the disagreements by class. */
  shadow: Row[];
  /** Wall time of the queries, ms. */
  queryMs: number;
}

/** ClickHouse answers NaN as null or "nan"; numbers may come as text (64-bit): make them numbers or null. */
function numeric(row: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) {
    if (typeof v === "string" && /^-?\d+(\.\d+)?(e-?\d+)?$/i.test(v) && k !== "day") out[k] = Number(v);
    else if (v === "nan" || (typeof v === "number" && Number.isNaN(v))) out[k] = null;
    else out[k] = v;
  }
  return out;
}

export async function runEval(url: string, options: EvalOptions): Promise<EvalReport> {
  const by = options.by ?? ["model"];
  const client = createClient({
    url,
    username: options.username ?? "default",
    password: options.password ?? "",
    database: options.database ?? "default",
    request_timeout: 120_000,
    log: { level: ClickHouseLogLevel.OFF },
  });
  const rows = async (query: string) =>
    ((await (await client.query({ query, format: "JSONEachRow" })).json()) as Row[]).map(numeric);
  try {
    const { features } = await detectServer(client);
    const sql = { dateTime64: features.dateTime64 };
    const t0 = performance.now();
    const [summary, classes, confusion, pairs] = await Promise.all([
      rows(summarySql(options, by, sql)),
      rows(precisionRecallSql(options, by, sql)),
      rows(confusionSql(options, by, sql)),
      rows(shadowComparisonSql(options)),
    ]);
    const queryMs = performance.now() - t0;
    return { filter: options, by, summary, classes, confusion, shadow: shadowSummary(pairs), queryMs };
  } finally {
    await client.close();
  }
}

/** Folds (candidate, primary class, candidate class) counts into one line per candidate and primary model. */
function shadowSummary(pairs: Row[]): Row[] {
  const byCandidate = new Map<string, Row & { disagreements: Record<string, number> }>();
  for (const p of pairs) {
    const key = `${p.candidate_id}\u0000${p.candidate_model_id}\u0000${p.primary_model_id}`;
    let entry = byCandidate.get(key);
    if (!entry) {
      entry = {
        candidate_id: p.candidate_id,
        candidate_model_id: p.candidate_model_id,
        primary_model_id: p.primary_model_id,
        decisions: 0,
        agreeing: 0,
        disagreements: {},
      };
      byCandidate.set(key, entry);
    }
    const n = Number(p.decisions);
    entry.decisions = Number(entry.decisions) + n;
    if (p.primary_decision === p.candidate_decision) entry.agreeing = Number(entry.agreeing) + n;
    else {
      const label = `${p.primary_decision}→${p.candidate_decision}`;
      entry.disagreements[label] = (entry.disagreements[label] ?? 0) + n;
    }
  }
  return [...byCandidate.values()].map((e) => ({ ...e, agreement: Number(e.agreeing) / Number(e.decisions) }));
}

const fixed = (v: unknown) => (typeof v === "number" && !Number.isInteger(v) ? v.toFixed(4) : v === null ? "-" : v);
const table = (rows: Row[], columns: string[]) =>
  textTable(
    columns,
    rows.map((r) => columns.map((c) => fixed(r[c]))),
  );

/** The report as text: summary, precision and recall per class, the confusion matrix, shadow agreement. */
export function formatEval(report: EvalReport): string {
  const by = report.by;
  const parts = [
    "decisions and outcomes",
    table(report.summary, [
      ...by,
      "decisions",
      "with_outcome",
      "no_outcome",
      "accuracy",
      "time_to_outcome_p50_ms",
      "time_to_outcome_p90_ms",
    ]),
    "",
    "precision and recall per class (decisions with an outcome)",
    table(report.classes, [
      ...by,
      "class",
      "predicted",
      "actual_count",
      "true_positives",
      "precision",
      "recall",
      "no_outcome",
    ]),
    "",
    "confusion matrix (decided × actual)",
    table(report.confusion, [...by, "decided", "actual_class", "decisions"]),
  ];
  if (report.shadow.length > 0) {
    parts.push(
      "",
      "shadow candidates against the primary",
      table(
        report.shadow.map((s) => ({ ...s, disagreements: JSON.stringify(s.disagreements) })),
        [
          "candidate_id",
          "candidate_model_id",
          "primary_model_id",
          "decisions",
          "agreeing",
          "agreement",
          "disagreements",
        ],
      ),
    );
  }
  return parts.join("\n");
}
