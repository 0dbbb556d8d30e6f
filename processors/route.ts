/**
 * `route`: sends each record to the first agent (of the `agents:` section) whose capabilities match a CEL
 * condition, else to a fallback agent, and runs that agent's chain in place (agent-chain.ts): one topology, no
 * workflow engine. An agent's output may hand the record off to another agent (a hand-off rule or field), which
 * gets the original record with the previous agent's output under `handoffAs`; hops are bounded by `maxHops`.
 * Outputs carry `agent_id`, `agent_version` and `agent_path` (lineage); per-agent metrics in core/metrics.ts.
 */
import { z } from "zod";
import { BatchError, ConfigError, PoisonRecordError } from "../core/errors.ts";
import { metrics } from "../core/metrics.ts";
import { AgentChain } from "./agent-chain.ts";
import type { AgentDefinition } from "./agents-api.ts";
import type { ProcessorContext, StreamRecord } from "./api.ts";
import { type CompiledExpression, compileExpression, evaluatePredicate, recordVariables, toCel } from "./cel.ts";
import { defineProcessor, processOneByBatch } from "./define.ts";
import { readPath } from "./feature-vector.ts";
import { AGENT_ID_HEADER, AGENT_VERSION_HEADER, planHandoffs, stampAgent } from "./route-handoff.ts";

const agentId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/);

export const routeConfig = z.strictObject({
  /**
   * CEL condition tried against each candidate agent in order: the record's variables plus `agent`
   * (`{id, version, capabilities}`), e.g. `value.event_type in agent.capabilities`. The first agent it holds for
   * gets the record.
   */
  match: z.string().min(1),
  /** Candidate agent ids, in the order they are tried. @default every agent, in the order of `agents:` */
  agents: z.array(agentId).min(1).optional(),
  /** Agent for records no candidate matches. @default none: such records are dead-lettered */
  fallback: agentId.optional(),
  /** Hand-offs one record may make (0 disables hand-offs). @default 3 */
  maxHops: z.number().int().nonnegative().default(3),
  /**
   * A hand-off past `maxHops`: `dead-letter` (with the path in the reason), `fallback` (the fallback agent decides,
   * with no further hand-off) or `keep` (the last agent's output stands). @default "dead-letter"
   */
  onMaxHops: z.enum(["dead-letter", "fallback", "keep"]).default("dead-letter"),
  /** Field of a handed-off record holding the previous agent's output (`{from, version, hops, output}`). @default "handoff" */
  handoffAs: z.string().min(1).default("handoff"),
});
export type RouteConfig = z.infer<typeof routeConfig>;

/** Every agent id a route config names, for the compiler's check. */
export function routeTargets(config: RouteConfig): Array<{ path: string; target: string }> {
  const out = (config.agents ?? []).map((target, i) => ({ path: `agents[${i}]`, target }));
  if (config.fallback !== undefined) out.push({ path: "fallback", target: config.fallback });
  return out;
}

/** One record on its way through the agents: the route input it descends from and the agents it went through. */
export interface Visit {
  index: number;
  record: StreamRecord;
  path: string[];
  /** Set when the fallback took over past `maxHops`: its hand-offs are ignored. */
  final: boolean;
}

export const routeProcessor = defineProcessor({
  type: "route",
  summary: "sends records to the agent whose capabilities match (fallback, bounded hand-offs), running its chain",
  config: routeConfig,
  create: (config, env) => {
    const all = env.agents ?? [];
    const byId = new Map(all.map((a) => [a.id, a]));
    // Unknown ids are the compiler's to report (at their line); a route built without that check refuses to start.
    const unknown = routeTargets(config).filter(({ target }) => !byId.has(target));
    const candidates = (config.agents ?? all.map((a) => a.id)).flatMap((id) => byId.get(id) ?? []);
    const match = compileExpression(config.match, "match", undefined, "agent");
    const agentVars = new Map(
      all.map((a) => [a.id, toCel({ id: a.id, version: a.version, capabilities: a.capabilities })]),
    );
    const rules = new Map<string, CompiledExpression[]>();
    for (const a of all)
      rules.set(
        a.id,
        a.handoff.map((r, i) => compileExpression(r.when, `agents.${a.id}.handoff[${i}].when`)),
      );
    const chains = new Map<string, AgentChain>();
    let ctx: ProcessorContext;

    const pick = (record: StreamRecord): AgentDefinition => {
      const variables = recordVariables(record);
      for (const agent of candidates) {
        if (evaluatePredicate(match, { ...variables, agent: agentVars.get(agent.id) } as never)) return agent;
      }
      if (config.fallback === undefined)
        throw new PoisonRecordError(`${ctx.processorName}: no agent matches and no fallback is set`);
      ctx.metrics.count("fallback");
      metrics.agentFallbacks.inc({ topology: ctx.applicationId, router: ctx.processorName });
      return byId.get(config.fallback) as AgentDefinition;
    };

    const handoffTarget = (agent: AgentDefinition, output: StreamRecord): string | undefined => {
      const compiled = rules.get(agent.id) ?? [];
      if (compiled.length > 0) {
        const variables = recordVariables(output);
        for (const [i, rule] of compiled.entries()) if (evaluatePredicate(rule, variables)) return agent.handoff[i]!.to;
      }
      if (agent.handoffField === undefined) return undefined;
      const named = readPath(output.value as Record<string, unknown>, agent.handoffField);
      if (named === undefined || named === null || named === "") return undefined;
      if (typeof named !== "string" || !byId.has(named))
        throw new PoisonRecordError(
          `agent ${agent.id}: ${agent.handoffField} names unknown agent ${JSON.stringify(named)}`,
        );
      return named;
    };

    const labels = (agent: AgentDefinition) => ({
      topology: ctx.applicationId,
      router: ctx.processorName,
      agent: agent.id,
      version: agent.version,
    });

    const processBatch = async (records: readonly StreamRecord[]) => {
      const failures = new BatchError(`${ctx.processorName}: some records could not be routed`);
      const emitted: Array<{ index: number; record: StreamRecord }> = [];
      let pending = new Map<string, Visit[]>();
      const enqueue = (agent: string, visit: Visit) => pending.set(agent, [...(pending.get(agent) ?? []), visit]);
      records.forEach((record, index) => {
        try {
          const agent = pick(record);
          enqueue(agent.id, { index, record, path: [], final: false });
        } catch (error) {
          failures.failed(index, error as Error);
        }
      });
      while (pending.size > 0) {
        const current = pending;
        pending = new Map();
        for (const [id, visits] of current) {
          const agent = byId.get(id) as AgentDefinition;
          const t0 = performance.now();
          // Steps see who they work for in headers (the value fields are stamped on the way out).
          const inputs = visits.map((v) =>
            v.record.withHeaders({ ...v.record.headers, [AGENT_ID_HEADER]: id, [AGENT_VERSION_HEADER]: agent.version }),
          );
          const results = await (chains.get(id) as AgentChain).run(inputs);
          const seconds = (performance.now() - t0) / 1000;
          metrics.agentRecords.inc(labels(agent), visits.length);
          metrics.agentLatency.observe(labels(agent), seconds);
          ctx.metrics.count(`agent.${id}.records`, visits.length);
          ctx.metrics.observe(`agent.${id}.batch_ms`, seconds * 1000);
          const plan = planHandoffs(visits, results, agent, config, {
            target: handoffTarget,
            fallback: config.fallback === undefined ? undefined : byId.get(config.fallback),
          });
          for (const { index, error } of plan.failed) failures.failed(index, error);
          for (const { visit, output } of plan.emit)
            emitted.push({ index: visit.index, record: stampAgent(output, agent, visit.path) });
          for (const { to, visit, from } of plan.next) {
            if (from !== undefined) {
              metrics.agentHandoffs.inc({ topology: ctx.applicationId, router: ctx.processorName, from, to });
              ctx.metrics.count(`agent.${from}.handoffs`);
            }
            enqueue(to, visit);
          }
          for (const event of plan.limited) {
            metrics.agentHopsExceeded.inc({ topology: ctx.applicationId, router: ctx.processorName, outcome: event });
            ctx.metrics.count(`hops_exceeded_${event}`);
          }
        }
      }
      emitted.sort((a, b) => a.index - b.index);
      for (const { record } of emitted) ctx.forward(record);
      if (failures.failures.size > 0) throw failures;
    };

    return {
      async init(context) {
        ctx = context;
        if (unknown.length > 0)
          throw new ConfigError(unknown.map(({ path, target }) => ({ path, message: `unknown agent "${target}"` })));
        for (const agent of all) {
          const chain = new AgentChain(agent, env);
          await chain.init(context);
          chains.set(agent.id, chain);
        }
      },
      processBatch,
      process: processOneByBatch(processBatch),
      async close() {
        for (const chain of chains.values()) await chain.close();
      },
    };
  },
});
