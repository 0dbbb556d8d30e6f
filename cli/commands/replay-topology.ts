/**
 * What `sluice replay` does (cli/commands/replay.ts declares it; imported only when it runs): a bounded backfill.
 * Offsets are resolved once at start; the topology runs under a fresh consumer group and run id, starts at the
 * planned offsets, stops by itself at the end offsets, and tags every output with the run id. The live group's
 * committed offsets are never touched.
 */
import { ConfigError } from "../../core/errors.ts";
import { createLogger } from "../../core/logger.ts";
import { configureToolReplay, replayModeOf } from "../../processors/tools/replay-mode.ts";
import type { ReplayMode } from "../../processors/tools/tool-spec.ts";
import { compileForRun } from "../../topologies/compiler-services.ts";
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

function defaultRunId(): string {
  return `replay-${new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "").replace("T", "-")}`;
}

export async function replayTopology(file: string, options: ReplayOptions): Promise<void> {
  const topology = compileForRun(loadTopologyFile(file));
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
    const report = { runId, groupId, ...(spec.tools.length > 0 ? { tools } : {}), ...plan };
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
        ...(spec.tools.length > 0
          ? { auditDetails: { tools, allowSideEffects: options.allowSideEffects === true } }
          : {}),
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
    const summary = { ...report, seconds: Number(seconds.toFixed(1)) };
    process.stdout.write(
      options.json
        ? `${JSON.stringify(summary, null, 2)}\n`
        : `replayed ${plan.records} records as run ${runId} in ${seconds.toFixed(1)}s\n`,
    );
  } finally {
    await admin.disconnect();
  }
}
