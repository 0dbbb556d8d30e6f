/**
 * What `sluice replay` does (cli/commands/replay.ts declares it; imported only when it runs): a bounded backfill.
 * Offsets are resolved once at start; the topology runs under a fresh consumer group and run id, starts at the
 * planned offsets, stops by itself at the end offsets, and tags every output with the run id. The live group's
 * committed offsets are never touched.
 */

import { diffReplay, formatDiff } from "../../analytics/replay-diff.ts";
import { ConfigError } from "../../core/errors.ts";
import { createLogger } from "../../core/logger.ts";
import { type AsOfFallback, configureAsOf } from "../../processors/kb-as-of.ts";
import { configureToolReplay, replayModeOf } from "../../processors/tools/replay-mode.ts";
import type { ReplayMode } from "../../processors/tools/tool-spec.ts";
import { compileForRun } from "../../topologies/compiler-services.ts";
import { useReplayModel } from "../../topologies/replay-model.ts";
import { Application } from "../../topologies/runtime/application.ts";
import { formatPlan, planReplay } from "../../topologies/runtime/replay-plan.ts";
import { TopologyResources } from "../../topologies/runtime/resources.ts";
import { loadTopologyFile } from "../../topologies/yaml-loader.ts";
import { progress } from "../progress.ts";

export interface ReplayOptions {
  from: string;
  to: string;
  runId?: string;
  dryRun?: boolean;
  json?: boolean;
  keepGroup?: boolean;
  /** Every tool's mode in this replay. @default each tool's `replay:` */
  tools?: string;
  allowSideEffects?: boolean;
  /** Candidate id of the infer node, or a model folder, scoring every record instead of the primary. */
  model?: string;
  /** Write decision_diff (run against `baseline`) and print the summary. */
  diff?: boolean;
  /** The run whose decisions are the diff's "old" side. @default "live" */
  baseline?: string;
  /** Enrich from the KB version current at each event's timestamp. @default true (`--no-as-of` turns it off) */
  asOf?: boolean;
  /** `fail` or `nearest` when that version was cleaned up. @default "fail" */
  asOfFallback?: string;
}

/** Sets as-of retrieval from the flags (a replay is as-of unless `--no-as-of`). */
export function asOfFromFlags(
  enabled: boolean,
  fallback: string | undefined,
): { enabled: boolean; fallback: AsOfFallback } {
  if (fallback !== undefined && fallback !== "fail" && fallback !== "nearest")
    throw new ConfigError(`--as-of-fallback ${fallback}: expected fail or nearest`);
  const settings = { enabled, fallback: (fallback ?? "fail") as AsOfFallback };
  configureAsOf(settings);
  return settings;
}

const TOOL_MODES: readonly ReplayMode[] = ["journal", "dry-run", "live"];

/** Sets the tools' replay modes from the flags; returns each tool's mode (for the audit log), or throws. */
function toolModes(spec: { tools: ReadonlyArray<Parameters<typeof replayModeOf>[0]> }, options: ReplayOptions) {
  if (options.tools !== undefined && !TOOL_MODES.includes(options.tools as ReplayMode)) {
    throw new ConfigError(`--tools ${options.tools}: expected one of ${TOOL_MODES.join(", ")}`);
  }
  configureToolReplay({
    ...(options.tools ? { mode: options.tools as ReplayMode } : {}),
    allowSideEffects: options.allowSideEffects === true,
  });
  return Object.fromEntries(spec.tools.map((tool) => [tool.name, replayModeOf(tool)]));
}

/** The decisions table the topology's ClickHouse sink writes (the diff joins the two runs there). */
function diffTableOf(spec: { sinks: ReadonlyArray<{ type: string; clickhouse?: unknown }> }): string {
  const tables = spec.sinks
    .filter((s) => s.type === "clickhouse")
    .map((s) => (s.clickhouse as { table: string }).table);
  const table = tables.find((t) => t === "agent_decisions") ?? (tables.length === 1 ? tables[0] : undefined);
  if (!table)
    throw new ConfigError(
      `--diff: the topology needs a ClickHouse sink into agent_decisions (has: ${tables.join(", ") || "none"})`,
    );
  return table;
}

function defaultRunId(): string {
  return `replay-${new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "").replace("T", "-")}`;
}

export async function replayTopology(file: string, options: ReplayOptions): Promise<void> {
  const loaded = loadTopologyFile(file);
  const model = options.model === undefined ? undefined : useReplayModel(loaded, options.model);
  const asOf = asOfFromFlags(options.asOf !== false, options.asOfFallback);
  const decisionsTable = options.diff ? diffTableOf(loaded.spec) : undefined;
  const topology = compileForRun(loaded);
  const { spec } = topology;
  const runId = options.runId ?? defaultRunId();
  if (runId === "live") throw new ConfigError('--run-id "live" is the live run; a replay needs its own');
  const groupId = `${spec.applicationId}.replay.${runId}`;
  const tools = toolModes(spec, options);
  const topics = spec.sources.flatMap((s) => (Array.isArray(s.topic) ? s.topic : [s.topic]));
  const logger = createLogger({ base: { topology: spec.applicationId, runId } });
  const resources = new TopologyResources(topology, { runId, logger });
  const admin = resources.client.admin();
  await admin.connect();
  try {
    const plan = await planReplay(admin, topics, options.from, options.to);
    const report = {
      runId,
      groupId,
      ...(spec.tools.length > 0 ? { tools } : {}),
      ...(model ? { model } : {}),
      asOf,
      ...plan,
    };
    if (options.dryRun || plan.records === 0) {
      process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatPlan(plan)}\n`);
      if (!options.dryRun) process.stdout.write("nothing to replay\n");
      return;
    }
    if ((await admin.describeGroup(groupId)).state !== "Dead")
      throw new ConfigError(`consumer group ${groupId} already exists: pick another --run-id`);
    for (const topic of topics) {
      const starts = plan.partitions.filter((p) => p.topic === topic);
      await admin.setGroupOffsets(
        groupId,
        topic,
        starts.map((p) => ({ partition: p.partition, offset: p.start })),
      );
    }
    if (!options.json) process.stderr.write(`${formatPlan(plan)}\nrun id ${runId}, group ${groupId}\n`);
    const endOffsets = new Map(
      plan.partitions.filter((p) => p.records > 0).map((p) => [`${p.topic}:${p.partition}`, p.end]),
    );
    const bar = progress(`replay ${runId}`, plan.records);
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      const app = new Application({
        topology,
        resources,
        logger,
        runId,
        groupId,
        endOffsets,
        auditDetails: {
          ...(spec.tools.length > 0 ? { tools, allowSideEffects: options.allowSideEffects === true } : {}),
          ...(model ? { model } : {}),
          asOf,
        },
        onCaughtUp: () => void app.stop().then(() => resolve(), reject),
        onFatal: (error) => void app.stop().finally(() => reject(error)),
      });
      const timer = setInterval(() => bar.update(Math.min(app.recordsIn, plan.records)), 500);
      const stopOnSignal = () => void app.stop().then(() => resolve(), reject);
      process.once("SIGTERM", stopOnSignal);
      process.once("SIGINT", stopOnSignal);
      app.start().catch(reject);
      void new Promise(() => {}).finally(() => clearInterval(timer));
      const clear = () => clearInterval(timer);
      app.state.onChange((_, to) => {
        if (to === "stopped" || to === "failed") clear();
      });
    });
    bar.update(plan.records);
    bar.stop();
    const seconds = (performance.now() - started) / 1000;
    if (!options.keepGroup) await admin.deleteGroup(groupId).catch(() => {});
    const diff = decisionsTable
      ? await diffReplay(spec.clickhouse?.url ?? process.env.CLICKHOUSE_URL ?? "http://127.0.0.1:28123", {
          applicationId: spec.applicationId,
          runId,
          baselineRunId: options.baseline ?? "live",
          table: decisionsTable,
          ...(spec.clickhouse
            ? {
                username: spec.clickhouse.username,
                password: spec.clickhouse.password,
                database: spec.clickhouse.database,
              }
            : {}),
        })
      : undefined;
    const summary = { ...report, seconds: Number(seconds.toFixed(1)), ...(diff ? { diff } : {}) };
    process.stdout.write(
      options.json
        ? `${JSON.stringify(summary, null, 2)}\n`
        : `replayed ${plan.records} records as run ${runId} in ${seconds.toFixed(1)}s\n${diff ? `${formatDiff(diff)}\n` : ""}`,
    );
  } finally {
    await admin.disconnect();
  }
}
