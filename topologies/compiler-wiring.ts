/**
 * The compiler's wiring checks: every `from` names an existing source or processor, sinks have an upstream,
 * there are no cycles, every node is reachable from a source and feeds something, branch routes name children.
 */
import { branchTargets } from "../processors/branch.ts";
import { didYouMean } from "../processors/did-you-mean.ts";
import type { CompiledNode } from "./compiler-nodes.ts";
import type { TopologySpec } from "./spec.ts";
import { excerpt, parsePath } from "./spec-issues.ts";

type Report = (path: Array<string | number>, message: string) => void;

function upstreams(from: string | string[] | undefined): Array<{ name: string; index?: number }> {
  if (from === undefined) return [];
  return typeof from === "string" ? [{ name: from }] : from.map((name, index) => ({ name, index }));
}

function link(
  nodes: Map<string, CompiledNode>,
  node: CompiledNode,
  from: string | string[] | undefined,
  report: Report,
): boolean {
  let ok = true;
  for (const { name, index } of upstreams(from)) {
    const path = [...node.specPath, "from", ...(index === undefined ? [] : [index])];
    const parent = nodes.get(name);
    if (parent === undefined) {
      const candidates = [...nodes.values()].filter((n) => n.kind !== "sink").map((n) => n.name);
      report(path, `unknown upstream ${excerpt(name)}${didYouMean(name, candidates)}`);
      ok = false;
    } else if (parent.kind === "sink") {
      report(path, `${excerpt(name)} is a sink: sinks have no downstream`);
      ok = false;
    } else if (!node.parents.includes(name)) {
      node.parents.push(name);
      parent.children.push(node.name);
    }
  }
  return ok;
}

/** A cycle as `a → b → a`, long ones shortened (a cycle through 40,000 nodes must not make a 40,000-name line). */
function cyclePath(cycle: readonly string[]): string {
  const names = cycle.map((name) => (name.length <= 60 ? name : excerpt(name)));
  if (names.length <= 12) return names.join(" → ");
  return `${names.slice(0, 10).join(" → ")} → … (${names.length - 11} more) → ${names.at(-1)}`;
}

/** Finds one cycle through `start` following parent links, as a list of names. */
function cycleThrough(start: string, nodes: Map<string, CompiledNode>): string[] | undefined {
  const stack: string[] = [];
  const seen = new Set<string>();
  const dfs = (name: string): string[] | undefined => {
    stack.push(name);
    for (const parent of nodes.get(name)?.parents ?? []) {
      if (parent === start) return [...stack, start].reverse();
      if (seen.has(parent)) continue;
      seen.add(parent);
      const found = dfs(parent);
      if (found) return found;
    }
    stack.pop();
    return undefined;
  };
  return dfs(start);
}

/** Links parents/children and checks the graph; returns a topological order and the topic → source map. */
export function checkWiring(spec: TopologySpec, nodes: Map<string, CompiledNode>, report: Report) {
  const sourceByTopic = new Map<string, string>();
  spec.sources.forEach((source, i) => {
    for (const topic of typeof source.topic === "string" ? [source.topic] : source.topic) {
      const other = sourceByTopic.get(topic);
      if (other !== undefined)
        report(["sources", i, "topic"], `topic ${excerpt(topic)} is already read by source ${excerpt(other)}`);
      else sourceByTopic.set(topic, source.name);
    }
  });
  /** Nodes with a `from` that did not resolve: their own error says enough, so no knock-on errors. */
  const broken = new Set<string>();
  for (const node of nodes.values()) {
    if (node.kind === "source") continue;
    if (!link(nodes, node, node.spec.from, report)) broken.add(node.name);
    if (node.kind !== "sink") continue;
    if (node.spec.from === undefined && node.type !== "dead-letter") {
      report([...node.specPath], `${node.type} sink ${excerpt(node.name)} has no upstream: add from: <node>`);
    }
  }
  const catchAll = spec.sinks.filter((s) => s.type === "dead-letter" && s.from === undefined);
  if (catchAll.length > 1) {
    const index = spec.sinks.indexOf(catchAll[1]!);
    report(
      ["sinks", index],
      `only one dead-letter sink may collect all dead letters (${excerpt(catchAll[0]!.name)} does)`,
    );
  }

  // Kahn's algorithm; `order` doubles as the queue (an index instead of shift(), a set for membership), so the
  // whole check stays linear in the number of nodes: a chain of 40,000 processors validates in a second or two.
  const remaining = new Map([...nodes.values()].map((n) => [n.name, n.parents.length]));
  const ready = [...nodes.values()].filter((n) => n.kind === "source" || (n.kind === "sink" && n.parents.length === 0));
  const order = ready.map((n) => n.name);
  for (let next = 0; next < order.length; next++) {
    for (const child of nodes.get(order[next]!)!.children) {
      const left = remaining.get(child)! - 1;
      remaining.set(child, left);
      if (left === 0) order.push(child);
    }
  }
  const ordered = new Set(order);
  const reported = new Set<string>();
  const downstreamOfBroken = (name: string, seen = new Set<string>()): boolean => {
    if (broken.has(name)) return true;
    seen.add(name);
    return (nodes.get(name)?.parents ?? []).some((p) => !seen.has(p) && downstreamOfBroken(p, seen));
  };
  for (const node of nodes.values()) {
    if (ordered.has(node.name) || reported.has(node.name)) continue;
    const cycle = cycleThrough(node.name, nodes);
    if (cycle) {
      for (const name of cycle) reported.add(name);
      report([...node.specPath, "from"], `cycle: ${cyclePath(cycle)}`);
    }
  }
  for (const node of nodes.values()) {
    if (ordered.has(node.name) || reported.has(node.name) || downstreamOfBroken(node.name)) continue;
    report(
      [...node.specPath, "from"],
      `${excerpt(node.name)} is unreachable from any source (its upstream is in a cycle)`,
    );
  }
  for (const node of nodes.values()) {
    if (node.kind !== "sink" && node.children.length === 0 && broken.size === 0) {
      report(
        [...node.specPath, "name"],
        `${node.kind} ${excerpt(node.name)} has no downstream: its records would go nowhere`,
      );
    }
    if (node.kind === "processor" && node.spec.type === "branch") {
      for (const { path, target } of branchTargets(node.spec.branch)) {
        if (node.children.includes(target)) continue;
        report(
          [...node.specPath, "branch", ...parsePath(path)],
          `${excerpt(target)} is not a child of branch ${excerpt(node.name)}${didYouMean(target, node.children)} (children: ${node.children.join(", ") || "none"})`,
        );
      }
    }
  }
  return { order, sourceByTopic };
}
