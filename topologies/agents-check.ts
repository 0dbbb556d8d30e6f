/**
 * The compiler's checks of the `agents:` section: duplicate agent ids and step names, nested routes, agent ids a
 * route or a hand-off names that do not exist, and every step built once so its config and expressions are
 * checked; each problem at its spec path (so at its file:line:column).
 */
import { ConfigError } from "../core/errors.ts";
import type { ProcessorEnvironment } from "../processors/api.ts";
import { didYouMean } from "../processors/did-you-mean.ts";
import { processorDefinition, processorTypes } from "../processors/registry.ts";
import { routeTargets } from "../processors/route.ts";
import type { AgentStepSpec } from "./agents.ts";
import type { TopologySpec } from "./spec.ts";
import { excerpt, parsePath } from "./spec-issues.ts";

type Report = (path: Array<string | number>, message: string, extra?: { offset?: number }) => void;

/**
 * Duplicate agent and step ids, nested routes, agent ids a route or a hand-off names that do not exist, and
 * (with `build`) every step built once so its config and expressions are checked.
 */
export function checkAgents(spec: TopologySpec, env: ProcessorEnvironment, report: Report, build = true): void {
  const agents = spec.agents ?? [];
  const ids = agents.map((a) => a.id);
  const firstAt = new Map<string, number>();
  agents.forEach((agent, i) => {
    const first = firstAt.get(agent.id);
    if (first !== undefined)
      report(["agents", i, "id"], `duplicate agent id ${excerpt(agent.id)}: agents[${first}] already uses it`);
    else firstAt.set(agent.id, i);
    const steps = new Map<string, number>();
    agent.processors.forEach((step, j) => {
      const path = ["agents", i, "processors", j];
      const other = steps.get(step.name);
      if (other !== undefined)
        report([...path, "name"], `duplicate step name ${excerpt(step.name)} in agent ${agent.id}`);
      steps.set(step.name, j);
      if (step.type === "route") report([...path, "type"], "a route cannot be a step of an agent: hand off instead");
      else if (build) buildStep(step, path, env, report);
    });
    agent.handoff.forEach((rule, j) => {
      if (!ids.includes(rule.to))
        report(
          ["agents", i, "handoff", j, "to"],
          `unknown agent ${excerpt(rule.to)}${didYouMean(rule.to, ids)} (agents: ${ids.join(", ")})`,
        );
    });
  });
  spec.processors.forEach((processor, index) => {
    if (processor.type !== "route") return;
    if (ids.length === 0) report(["processors", index, "type"], "a route needs agents: add an agents: section");
    if (processor.route.onMaxHops === "fallback" && processor.route.fallback === undefined)
      report(
        ["processors", index, "route", "onMaxHops"],
        "onMaxHops: fallback needs a fallback agent: add fallback: <agent id>",
      );
    for (const { path, target } of routeTargets(processor.route)) {
      if (ids.includes(target)) continue;
      report(
        ["processors", index, "route", ...parsePath(path)],
        `unknown agent ${excerpt(target)}${didYouMean(target, ids)} (agents: ${ids.join(", ") || "none: add an agents: section"})`,
      );
    }
  });
}

function buildStep(step: AgentStepSpec, path: Array<string | number>, env: ProcessorEnvironment, report: Report) {
  const definition = processorDefinition(step.type);
  if (definition === undefined) {
    report([...path, "type"], `unknown processor type "${step.type}"${didYouMean(step.type, processorTypes)}`);
    return;
  }
  const base = [...path, step.type];
  try {
    definition.create(step[step.type] as never, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) {
      report(base, `cannot build ${step.type} processor: ${(error as Error).message}`);
      return;
    }
    for (const issue of error.issues) {
      const offset = (issue as { offset?: unknown }).offset;
      report(
        issue.path ? [...base, ...parsePath(issue.path)] : base,
        issue.message,
        typeof offset === "number" ? { offset } : {},
      );
    }
  }
}
