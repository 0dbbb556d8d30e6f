/**
 * `sluice eval <topology>`: online evaluation of the topology's decisions against their outcomes (analytics/
 * eval.ts): precision and recall per class, the confusion matrix, time to outcome and the decisions with no
 * outcome, per model (or `--by` variant, agent, tenant, day), and shadow candidates against the primary.
 * `sluice rollout promote|rollback <topology> --model <id>`: moves canary weights through the control topic.
 * Both thin: the work is in analytics/ and topologies/runtime/rollout.ts; evaluation-tools.ts loads this file
 * only when one of them runs.
 */

import { EVAL_DIMENSIONS, type EvalDimension } from "../../analytics/eval-queries.ts";
import { ConfigError } from "../../core/errors.ts";
import { EXIT } from "../exit-codes.ts";
import { type CommandResult, clickhouseExitCode } from "./sql.ts";

const DIMENSIONS = Object.keys(EVAL_DIMENSIONS) as EvalDimension[];

/** `2026-01-01`, an ISO time, or a span back from now: `7d`, `12h`, `30m`. */
export function parseSince(text: string, now = Date.now()): number {
  const span = /^(\d+)([dhm])$/.exec(text);
  if (span) return now - Number(span[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[span[2] as "d" | "h" | "m"];
  const at = Date.parse(text);
  if (Number.isNaN(at)) throw new ConfigError(`--since ${text}: give a date, an ISO time or a span like 7d`);
  return at;
}

export interface EvalCommandOptions {
  since?: string;
  model?: string;
  by?: string;
  runId?: string;
  json?: boolean;
}

export async function evalCommand(file: string, o: EvalCommandOptions): Promise<CommandResult> {
  const { loadTopologyFile } = await import("../../topologies/yaml-loader.ts");
  const { runEval, formatEval } = await import("../../analytics/eval.ts");
  const { spec } = loadTopologyFile(file);
  const by = (o.by ?? "model").split(",").map((d) => d.trim());
  const bad = by.filter((d) => !DIMENSIONS.includes(d as never));
  if (bad.length > 0)
    return { exitCode: EXIT.INVALID, output: `sluice eval: --by ${bad.join(",")}: use ${DIMENSIONS.join(", ")}` };
  const ch = spec.clickhouse;
  const url = ch?.url ?? process.env.CLICKHOUSE_URL ?? "http://127.0.0.1:28123";
  try {
    const report = await runEval(url, {
      applicationId: spec.applicationId,
      by: by as EvalDimension[],
      ...(o.since ? { sinceMs: parseSince(o.since) } : {}),
      ...(o.model ? { model: o.model } : {}),
      ...(o.runId ? { runId: o.runId } : {}),
      ...(ch ? { username: ch.username, password: ch.password, database: ch.database } : {}),
    });
    process.stderr.write(`eval queries took ${report.queryMs.toFixed(0)} ms\n`);
    return { exitCode: EXIT.OK, output: o.json ? JSON.stringify(report, null, 2) : formatEval(report) };
  } catch (error) {
    if (error instanceof ConfigError) return { exitCode: EXIT.INVALID, output: `sluice eval: ${error.message}` };
    return { exitCode: clickhouseExitCode(error), output: `sluice eval ${file}: ${(error as Error).message}` };
  }
}

export async function rolloutCommand(
  action: "promote" | "rollback",
  file: string,
  o: { model: string; weight?: string; processor?: string; json?: boolean },
): Promise<CommandResult> {
  const { loadTopologyFile } = await import("../../topologies/yaml-loader.ts");
  const { compileTopology } = await import("../../topologies/compiler.ts");
  const { publishRollout } = await import("../../topologies/runtime/rollout.ts");
  try {
    const weight = o.weight === undefined ? undefined : Number(o.weight);
    if (weight !== undefined && !(weight >= 0 && weight <= 1)) throw new ConfigError(`--weight ${o.weight}: give 0..1`);
    const topology = compileTopology(loadTopologyFile(file));
    const result = await publishRollout(topology, {
      action,
      model: o.model,
      ...(weight !== undefined ? { weight } : {}),
      ...(o.processor ? { processor: o.processor } : {}),
    });
    const text = `${action} ${o.model} on ${result.processor}: ${JSON.stringify(result.previous)} → ${JSON.stringify(result.weights)} (${result.topic}@${result.offset}; running members apply it at their next batch)`;
    return { exitCode: EXIT.OK, output: o.json ? JSON.stringify(result, null, 2) : text };
  } catch (error) {
    const code = error instanceof ConfigError ? EXIT.INVALID : EXIT.UNAVAILABLE;
    return { exitCode: code, output: `sluice rollout ${action}: ${(error as Error).message}` };
  }
}
