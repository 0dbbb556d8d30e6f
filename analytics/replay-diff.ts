/**
 * Replay-and-diff: after `sluice replay … --diff`, the replay's decisions (its run id) are joined in ClickHouse
 * with a baseline run's decisions (default `live`) by lineage key and written into `decision_diff`
 * (migration 0010), one row per record; then the summary is read back from that table: the changed share, by
 * class (the baseline's decision) and by tenant, the class transitions and the largest confidence movers.
 * The join runs where both sides already are: no decision leaves ClickHouse but the summary.
 */
import { ClickHouseLogLevel, createClient } from "@clickhouse/client";
import { sqlString } from "../sinks/clickhouse-features.ts";
import { textTable } from "./sql.ts";

export interface DiffOptions {
  applicationId: string;
  /** The replay's run id (the "new" side). */
  runId: string;
  /** Whose decisions are the "old" side. @default "live" */
  baselineRunId?: string;
  /** Decisions table both runs write. @default "agent_decisions" */
  table?: string;
  /** Largest movers listed. @default 10 */
  movers?: number;
  /** @default "default" */
  database?: string;
  username?: string;
  password?: string;
}

type Row = Record<string, unknown>;

export interface DiffReport {
  runId: string;
  baselineRunId: string;
  /** Decisions of the replay run. */
  replayed: number;
  /** Of those, with a baseline decision for the same lineage key (rows of decision_diff). */
  compared: number;
  changed: number;
  changedShare: number;
  byClass: Row[];
  byTenant: Row[];
  transitions: Row[];
  movers: Row[];
  queryMs: number;
}

const num = (row: Row): Row =>
  Object.fromEntries(
    Object.entries(row).map(([k, v]) => [
      k,
      typeof v === "string" && /^-?\d+(\.\d+)?(e-?\d+)?$/i.test(v) ? Number(v) : v,
    ]),
  );

/** The INSERT … SELECT that fills decision_diff for one replay run against its baseline. */
export function diffInsertSql(o: Required<Pick<DiffOptions, "applicationId" | "runId" | "baselineRunId" | "table">>) {
  const side = (run: string, prefix: string) => `(
    SELECT source_topic, source_partition, source_offset, output_index, application_id, tenant_id, event_time,
        decision AS ${prefix}_decision, confidence AS ${prefix}_confidence, model_id AS ${prefix}_model_id,
        kb_version AS ${prefix}_kb_version
    FROM ${o.table} FINAL
    WHERE application_id = ${sqlString(o.applicationId)} AND run_id = ${sqlString(run)}
  )`;
  return `INSERT INTO decision_diff (run_id, baseline_run_id, source_topic, source_partition, source_offset,
      output_index, application_id, tenant_id, event_time, old_decision, old_confidence, old_model_id, old_kb_version,
      new_decision, new_confidence, new_model_id, new_kb_version, changed, confidence_delta)
    SELECT ${sqlString(o.runId)}, ${sqlString(o.baselineRunId)}, source_topic, source_partition, source_offset,
      output_index, application_id, tenant_id, event_time, old_decision, old_confidence, old_model_id, old_kb_version,
      new_decision, new_confidence, new_model_id, new_kb_version, toUInt8(old_decision != new_decision),
      new_confidence - old_confidence
    FROM ${side(o.runId, "new")} AS replayed
    ANY INNER JOIN ${side(o.baselineRunId, "old")} AS baseline
    USING (source_topic, source_partition, source_offset, output_index)`;
}

export async function diffReplay(url: string, options: DiffOptions): Promise<DiffReport> {
  const o = {
    applicationId: options.applicationId,
    runId: options.runId,
    baselineRunId: options.baselineRunId ?? "live",
    table: options.table ?? "agent_decisions",
  };
  const client = createClient({
    url,
    username: options.username ?? "default",
    password: options.password ?? "",
    database: options.database ?? "default",
    request_timeout: 300_000,
    log: { level: ClickHouseLogLevel.OFF },
  });
  const rows = async (query: string) =>
    ((await (await client.query({ query, format: "JSONEachRow" })).json()) as Row[]).map(num);
  const diff = `(SELECT * FROM decision_diff FINAL WHERE application_id = ${sqlString(o.applicationId)}
    AND run_id = ${sqlString(o.runId)} AND baseline_run_id = ${sqlString(o.baselineRunId)})`;
  const share = "count() AS records, sum(changed) AS changed_records, avg(changed) AS changed_share";
  try {
    const t0 = performance.now();
    await client.command({ query: diffInsertSql(o) });
    const [[counts], byClass, byTenant, transitions, movers] = await Promise.all([
      rows(`SELECT (SELECT count() FROM ${o.table} FINAL WHERE application_id = ${sqlString(o.applicationId)}
              AND run_id = ${sqlString(o.runId)}) AS replayed, count() AS compared, sum(changed) AS changed_records FROM ${diff}`),
      rows(`SELECT old_decision AS class, ${share} FROM ${diff} GROUP BY class ORDER BY class`),
      rows(
        `SELECT tenant_id, ${share} FROM ${diff} GROUP BY tenant_id ORDER BY changed_records DESC, tenant_id LIMIT 20`,
      ),
      rows(`SELECT old_decision, new_decision, count() AS records FROM ${diff} WHERE changed = 1
              GROUP BY old_decision, new_decision ORDER BY records DESC, old_decision, new_decision`),
      rows(`SELECT source_topic, source_partition, source_offset, tenant_id, old_decision, old_confidence,
              new_decision, new_confidence, confidence_delta FROM ${diff}
              ORDER BY changed DESC, abs(confidence_delta) DESC, source_topic, source_partition, source_offset
              LIMIT ${Math.max(0, Math.floor(options.movers ?? 10))}`),
    ]);
    const compared = Number(counts?.compared ?? 0);
    const changed = Number(counts?.changed_records ?? 0);
    return {
      runId: o.runId,
      baselineRunId: o.baselineRunId,
      replayed: Number(counts?.replayed ?? 0),
      compared,
      changed,
      changedShare: compared === 0 ? 0 : changed / compared,
      byClass,
      byTenant,
      transitions,
      movers,
      queryMs: performance.now() - t0,
    };
  } finally {
    await client.close();
  }
}

const cell = (v: unknown) => (typeof v === "number" && !Number.isInteger(v) ? v.toFixed(4) : String(v ?? "-"));
const table = (rows: Row[], columns: string[]) =>
  textTable(
    columns,
    rows.map((r) => columns.map((c) => cell(r[c]))),
  );

export function formatDiff(r: DiffReport): string {
  return [
    `diff of run ${r.runId} against ${r.baselineRunId}: ${r.changed} of ${r.compared} decisions changed (${(100 * r.changedShare).toFixed(2)} %)` +
      (r.replayed !== r.compared ? `; ${r.replayed - r.compared} replayed records have no baseline decision` : ""),
    "",
    "by class (the baseline's decision)",
    table(r.byClass, ["class", "records", "changed_records", "changed_share"]),
    "",
    "by tenant (most changed first)",
    table(r.byTenant, ["tenant_id", "records", "changed_records", "changed_share"]),
    "",
    "transitions",
    table(r.transitions, ["old_decision", "new_decision", "records"]),
    "",
    "largest movers (changed first, then by |confidence change|)",
    table(r.movers, [
      "source_topic",
      "source_partition",
      "source_offset",
      "tenant_id",
      "old_decision",
      "old_confidence",
      "new_decision",
      "new_confidence",
      "confidence_delta",
    ]),
    `rows in decision_diff (run_id = '${r.runId}')`,
  ].join("\n");
}
