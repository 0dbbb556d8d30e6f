/**
 * Rollouts of candidate models (`sluice rollout promote|rollback`): the new canary weights of one `infer` node,
 * computed from the topology's own weights overlaid with the control topic's latest record, written as the next
 * record of `<applicationId>-control` (compacted) and recorded in ClickHouse `audit_log`. Running members apply
 * it at their next micro-batch (control-reader.ts); no consumer restarts, so no record is lost or redone, and
 * each record is scored under exactly one set of weights.
 */
import { z } from "zod";
import { ConfigError } from "../../core/errors.ts";
import type { CandidateConfig } from "../../processors/model-set.ts";
import { controlTopic, rolloutKey } from "../../processors/rollout-state.ts";
import { ClickHouseSink, clickhouseSinkConfig } from "../../sinks/clickhouse.ts";
import type { CompiledTopology } from "../compiler.ts";
import { auditFacts, writeAuditEvent } from "./audit.ts";
import {
  type ControlConnection,
  controlConnection,
  tailControlTopic,
  writeControlRecord,
} from "./kafka/kafkajs-control.ts";

/** A control record's value for a rollout. */
export const rolloutRecord = z.object({
  action: z.enum(["promote", "rollback"]),
  processor: z.string(),
  model: z.string(),
  /** Candidate id → canary weight after this rollout, every candidate of the node listed. */
  weights: z.record(z.string(), z.number().min(0).max(1)),
  at: z.number(),
  by: z.string().optional(),
});
export type RolloutRecord = z.infer<typeof rolloutRecord>;

export interface RolloutRequest {
  action: "promote" | "rollback";
  /** Candidate id. */
  model: string;
  /** Promote only: the candidate's new share of keys. @default 1 (every key; the other canaries go to 0) */
  weight?: number;
  /** The `infer` node. @default the only infer node with candidates */
  processor?: string;
}

export interface RolloutResult {
  topic: string;
  processor: string;
  previous: Record<string, number>;
  weights: Record<string, number>;
  offset: number;
}

/** The infer node a rollout is about, and its candidates. Throws `ConfigError` naming what is wrong. */
export function rolloutTarget(
  topology: CompiledTopology,
  request: RolloutRequest,
): { processor: string; candidates: CandidateConfig[] } {
  const nodes = [...topology.nodes.values()].flatMap((n) =>
    n.kind === "processor" && n.definition.type === "infer"
      ? [{ processor: n.name, candidates: (n.config as { candidates: CandidateConfig[] }).candidates }]
      : [],
  );
  const withCandidates = nodes.filter((n) => n.candidates.length > 0);
  const target = request.processor
    ? nodes.find((n) => n.processor === request.processor)
    : withCandidates.length === 1
      ? withCandidates[0]
      : undefined;
  if (!target) {
    throw new ConfigError(
      request.processor
        ? `no infer node named ${request.processor}`
        : `name the infer node with --processor (infer nodes with candidates: ${withCandidates.map((n) => n.processor).join(", ") || "none"})`,
    );
  }
  if (!target.candidates.some((c) => c.id === request.model)) {
    throw new ConfigError(
      `infer node ${target.processor} has no candidate ${request.model} (candidates: ${target.candidates.map((c) => c.id).join(", ") || "none"})`,
    );
  }
  return target;
}

/** The topology's own weights of a node's candidates (shadows 0). */
export const configuredWeights = (candidates: readonly CandidateConfig[]) =>
  Object.fromEntries(candidates.map((c) => [c.id, c.mode === "canary" ? c.weight : 0]));

/** The weights after `request`, from `current`. Throws when a promote would give more than every key away. */
export function nextWeights(current: Record<string, number>, request: RolloutRequest): Record<string, number> {
  const next = { ...current };
  if (request.action === "rollback") {
    next[request.model] = 0;
    return next;
  }
  const weight = request.weight ?? 1;
  if (weight === 1) for (const id of Object.keys(next)) next[id] = 0;
  next[request.model] = weight;
  const total = Object.values(next).reduce((a, b) => a + b, 0);
  if (total > 1 + 1e-9) {
    throw new ConfigError(`weights would add up to ${total.toFixed(3)} (> 1): lower another canary first`);
  }
  return next;
}

/** Reads the node's latest rollout from the control topic (undefined when there is none). */
async function latestRollout(
  kafka: ControlConnection,
  topic: string,
  processor: string,
): Promise<RolloutRecord | undefined> {
  let latest: RolloutRecord | undefined;
  const tail = await tailControlTopic(kafka, topic, (record) => {
    if (record.key !== rolloutKey(processor)) return;
    const parsed = rolloutRecord.safeParse(record.value);
    latest = parsed.success ? parsed.data : undefined;
  });
  try {
    await tail.caughtUp;
  } finally {
    await tail.stop();
  }
  return latest;
}

/** Applies a rollout: control record first (what members act on), then the audit event. */
export async function publishRollout(topology: CompiledTopology, request: RolloutRequest): Promise<RolloutResult> {
  const { processor, candidates } = rolloutTarget(topology, request);
  if (request.weight !== undefined && request.action === "rollback")
    throw new ConfigError("rollback takes no --weight");
  const kafka = controlConnection(topology);
  const topic = controlTopic(topology.spec.applicationId);
  const latest = await latestRollout(kafka, topic, processor);
  const previous = { ...configuredWeights(candidates), ...(latest?.weights ?? {}) };
  const weights = nextWeights(previous, request);
  const value: RolloutRecord = {
    action: request.action,
    processor,
    model: request.model,
    weights,
    at: Date.now(),
    ...(process.env.USER ? { by: process.env.USER } : {}),
  };
  const offset = await writeControlRecord(kafka, topic, rolloutKey(processor), value);
  const result = { topic, processor, previous, weights, offset };
  const ch = topology.spec.clickhouse;
  if (ch) {
    const audit = new ClickHouseSink({
      name: "audit-log",
      config: clickhouseSinkConfig.parse({ table: "audit_log", maxWaitMs: 0 }),
      runId: "live",
      url: ch.url,
      username: ch.username,
      password: ch.password,
      database: ch.database,
      lineage: false,
    });
    await audit.start();
    try {
      await writeAuditEvent(audit, `rollout_${request.action}`, {
        applicationId: topology.spec.applicationId,
        runId: "live",
        groupId: topology.spec.applicationId,
        facts: await auditFacts(topology),
        details: { ...result, model: request.model },
      });
      await audit.flush();
    } finally {
      await audit.close();
    }
  }
  return result;
}
