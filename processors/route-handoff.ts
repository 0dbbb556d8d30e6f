/**
 * What a `route` does with an agent's outputs: emit them (stamped with the agent's id, version and path), or hand
 * each off to the agent its rules name, within `maxHops`; past the limit the record is dead-lettered, decided by
 * the fallback agent, or kept, as configured. Pure functions over one agent's results, so they test alone.
 */
import { PoisonRecordError } from "../core/errors.ts";
import type { ChainResult } from "./agent-chain.ts";
import type { AgentDefinition } from "./agents-api.ts";
import type { StreamRecord } from "./api.ts";
import type { RouteConfig, Visit } from "./route.ts";

/** Headers every routed output carries (also on values that are not objects). */
export const AGENT_ID_HEADER = "sluice-agent-id";
export const AGENT_VERSION_HEADER = "sluice-agent-version";

export interface HandoffPlan {
  emit: Array<{ visit: Visit; output: StreamRecord }>;
  /** Visits for the next round; `from` is unset when the fallback takes over past the limit. */
  next: Array<{ to: string; visit: Visit; from?: string }>;
  failed: Array<{ index: number; error: Error }>;
  /** One entry per hand-off refused by `maxHops`, naming what happened instead. */
  limited: Array<RouteConfig["onMaxHops"]>;
}

const label = (agent: AgentDefinition) => `${agent.id}@${agent.version}`;

/** The output as it leaves the route: `agent_id`, `agent_version`, `agent_path` on object values, and headers. */
export function stampAgent(output: StreamRecord, agent: AgentDefinition, path: readonly string[]): StreamRecord {
  const agentPath = [...path, label(agent)];
  const value = output.value;
  const stamped =
    value !== null && typeof value === "object" && !Array.isArray(value) && !Buffer.isBuffer(value)
      ? output.withValue({ ...value, agent_id: agent.id, agent_version: agent.version, agent_path: agentPath })
      : output;
  return stamped.withHeaders({
    ...stamped.headers,
    [AGENT_ID_HEADER]: agent.id,
    [AGENT_VERSION_HEADER]: agent.version,
  });
}

/** The record the next agent gets: the route's input with the previous agent's output under `handoffAs`. */
function handoffInput(original: StreamRecord, output: StreamRecord, agent: AgentDefinition, hops: number, as: string) {
  const value = original.value;
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new PoisonRecordError(`agent ${agent.id}: only records with object values can be handed off`);
  return original.withValue({ ...value, [as]: { from: agent.id, version: agent.version, hops, output: output.value } });
}

export function planHandoffs(
  visits: readonly Visit[],
  results: readonly ChainResult[],
  agent: AgentDefinition,
  config: RouteConfig,
  o: { target: (agent: AgentDefinition, output: StreamRecord) => string | undefined; fallback?: AgentDefinition },
): HandoffPlan {
  const plan: HandoffPlan = { emit: [], next: [], failed: [], limited: [] };
  visits.forEach((visit, k) => {
    const result = results[k]!;
    if (result.error) {
      plan.failed.push({ index: visit.index, error: result.error });
      return;
    }
    try {
      for (const output of result.outputs) {
        const to = visit.final ? undefined : o.target(agent, output);
        if (to === undefined) {
          plan.emit.push({ visit, output });
          continue;
        }
        const path = [...visit.path, label(agent)];
        const hops = path.length;
        if (hops <= config.maxHops) {
          const record = handoffInput(visit.record, output, agent, hops, config.handoffAs);
          plan.next.push({ to, from: agent.id, visit: { index: visit.index, record, path, final: false } });
          continue;
        }
        const route = `${path.join(" → ")} → ${to}`;
        if (config.onMaxHops === "keep") {
          plan.limited.push("keep");
          plan.emit.push({ visit, output });
        } else if (config.onMaxHops === "fallback" && o.fallback !== undefined) {
          plan.limited.push("fallback");
          const record = handoffInput(visit.record, output, agent, hops, config.handoffAs);
          plan.next.push({ to: o.fallback.id, visit: { index: visit.index, record, path, final: true } });
        } else {
          plan.limited.push("dead-letter");
          throw new PoisonRecordError(`hand-off limit: ${route} would exceed maxHops ${config.maxHops}`);
        }
      }
    } catch (error) {
      plan.failed.push({ index: visit.index, error: error as Error });
    }
  });
  return plan;
}
