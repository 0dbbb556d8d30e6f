/**
 * What a `route` processor knows of the topology's `agents:` section: each agent's identity, capabilities, its
 * chain of processor steps and its hand-off rules. The spec (topologies/agents.ts) validates the YAML and hands
 * these plain objects to the processors through `ProcessorEnvironment.agents`.
 */

/** One step of an agent's chain: a processor of any registered type with its validated config. */
export interface AgentStep {
  /** Unique within the agent; the step's processor runs as `<agent id>.<name>` (metrics, stores, dead letters). */
  readonly name: string;
  readonly type: string;
  readonly config: unknown;
}

/** A hand-off rule: when `when` (CEL over the agent's output) holds, the record goes on to agent `to`. */
export interface AgentHandoffRule {
  readonly when: string;
  readonly to: string;
}

export interface AgentDefinition {
  readonly id: string;
  readonly version: string;
  readonly capabilities: readonly string[];
  readonly description?: string;
  readonly steps: readonly AgentStep[];
  /** Tried in order on each output of the chain; the first that holds hands the record off. */
  readonly handoff: readonly AgentHandoffRule[];
  /** Output value field naming the agent to hand off to (empty or absent: no hand-off). */
  readonly handoffField?: string;
}

/** The processor name an agent's step runs under. */
export function agentStepName(agentId: string, step: string): string {
  return `${agentId}.${step}`;
}
