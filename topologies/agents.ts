/**
 * The `agents:` section: an agent registry inside the topology. Each agent has an id, a version, capability tags
 * and a chain of processor steps of any registered type (their configs are the processors' own schemas), plus
 * hand-off rules naming other agents. `route` processors send records to them; agents-check.ts checks them.
 */
import { z } from "zod";
import type { AgentDefinition } from "../processors/agents-api.ts";
import { processorRegistry } from "../processors/registry.ts";

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/);

/** One step of a chain: `name`, `type` and the type's config under the key named after it (no `from`: chain order). */
const stepOptions = Object.entries(processorRegistry).map(([type, definition]) =>
  z.strictObject({
    name,
    type: z.literal(type),
    description: z.string().optional(),
    [type]: (definition as { config: z.ZodType }).config,
  }),
);
/** A step as validated: its name, type and (under the key named after the type) the type's config. */
export interface AgentStepSpec {
  name: string;
  type: string;
  description?: string;
  [config: string]: unknown;
}
export const agentStepSpec = z.discriminatedUnion(
  "type",
  stepOptions as unknown as readonly [(typeof stepOptions)[number], ...(typeof stepOptions)[number][]],
) as unknown as z.ZodType<AgentStepSpec, AgentStepSpec>;

export const agentSpec = z.strictObject({
  /** The agent's id: what routes and hand-offs name, and the `agent_id` of its decisions. */
  id: name,
  /** Recorded as `agent_version` on every decision the agent makes. */
  version: z.union([z.string().min(1), z.number()]).transform(String),
  /** Tags a route's `match` expression tests (`agent.capabilities`). @default [] */
  capabilities: z.array(z.string().min(1)).default([]),
  description: z.string().optional(),
  /** The agent's chain, run in order: embed, enrich, infer, decide or any other processor type. */
  processors: z.array(agentStepSpec).min(1),
  /** Tried in order on each output of the chain; the first whose CEL `when` holds hands the record to `to`. @default [] */
  handoff: z.array(z.strictObject({ when: z.string().min(1), to: name })).default([]),
  /** Output field naming the agent to hand off to (set by a map or custom step); empty means no hand-off. @default none */
  handoffField: z.string().min(1).optional(),
});
export type AgentSpec = z.infer<typeof agentSpec>;

/** The plain definitions `route` processors receive. */
export function agentDefinitions(agents: readonly AgentSpec[]): AgentDefinition[] {
  return agents.map((a) => ({
    id: a.id,
    version: a.version,
    capabilities: a.capabilities,
    ...(a.description === undefined ? {} : { description: a.description }),
    steps: a.processors.map((s) => ({ name: s.name, type: s.type, config: s[s.type] })),
    handoff: a.handoff,
    ...(a.handoffField === undefined ? {} : { handoffField: a.handoffField }),
  }));
}
