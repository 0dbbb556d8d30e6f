/**
 * `describe`: a compiled topology as a text tree (what feeds what, with each node's gist) or a Mermaid
 * flowchart. Connection settings are printed redacted.
 */
import type { CompiledNode, CompiledTopology } from "./compiler.ts";
import { redact } from "./redact.ts";

export type DescribeFormat = "text" | "mermaid";

function clip(text: string, max = 70): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function formatText(f: { format: string; schema?: string; subject?: string }): string {
  return [f.format, f.schema ?? f.subject].filter(Boolean).join(" ");
}

/** One line of what a node does. */
export function nodeGist(node: CompiledNode, topology?: CompiledTopology): string {
  if (node.kind === "source") {
    const topics = typeof node.spec.topic === "string" ? node.spec.topic : node.spec.topic.join(", ");
    return `topic ${topics} · value ${formatText(node.spec.value)} · from ${node.spec.startFrom}`;
  }
  if (node.kind === "sink") {
    const spec = node.spec;
    if (spec.type === "kafka") return `topic ${spec.kafka.topic} · value ${formatText(spec.kafka.value)}`;
    if (spec.type === "clickhouse") return `table ${spec.clickhouse.table}`;
    const dlq = spec["dead-letter"].topic ?? topology?.deadLetterTopic ?? "<applicationId>.dlq";
    return `topic ${dlq}${spec.from === undefined ? " · every dead letter" : ""}`;
  }
  const spec = node.spec;
  switch (spec.type) {
    case "filter":
      return clip(spec.filter.predicate);
    case "map":
      return clip(`{${Object.keys(spec.map.fields).join(", ")}}${spec.map.keepOthers ? " + others" : ""}`);
    case "branch":
      return clip(
        [
          ...spec.branch.routes.map((r) => `${r.when} → ${[r.to].flat().join("+")}`),
          ...(spec.branch.default === undefined ? [] : [`default → ${[spec.branch.default].flat().join("+")}`]),
        ].join("; "),
      );
    case "route": {
      const r = spec.route;
      const agents = r.agents ?? topology?.spec.agents.map((a) => a.id) ?? [];
      const fallback = r.fallback === undefined ? "" : `, fallback ${r.fallback}`;
      return clip(`${r.match} → ${agents.join(" | ")}${fallback}, maxHops ${r.maxHops}`, 110);
    }
    default:
      return node.definition.summary;
  }
}

/** One line per agent: id@version, capabilities, its chain and where it may hand off. */
function agentLines(topology: CompiledTopology): string[] {
  const agents = topology.spec.agents;
  if (agents.length === 0) return [];
  return [
    "",
    "agents:",
    ...agents.map((a) => {
      const chain = a.processors.map((step) => `${step.name} [${step.type}]`).join(" → ");
      const handoff = [...a.handoff.map((h) => h.to), ...(a.handoffField ? [`<${a.handoffField}>`] : [])];
      const tail = handoff.length > 0 ? ` · hands off to ${[...new Set(handoff)].join(", ")}` : "";
      return `  ${a.id}@${a.version} {${a.capabilities.join(", ")}}: ${chain}${tail}`;
    }),
  ];
}

function kindLabel(node: CompiledNode): string {
  return node.kind === "processor" ? node.type : node.kind === "sink" ? `${node.type} sink` : "source";
}

function describeText(topology: CompiledTopology): string {
  const { spec } = topology;
  const lines = [`${spec.applicationId}${spec.description ? ` — ${spec.description}` : ""}`];
  const p = spec.processing;
  lines.push(
    `${p.guarantee} · batch ${p.batch.maxRecords} records / ${p.batch.maxWaitMs} ms · dead letters → ${topology.deadLetterTopic}`,
  );
  const connections = redact({ kafka: spec.kafka, schemaRegistry: spec.schemaRegistry, clickhouse: spec.clickhouse });
  for (const [name, value] of Object.entries(connections))
    if (value !== undefined) lines.push(`${name}: ${JSON.stringify(value)}`);
  lines.push("");
  const printed = new Set<string>();
  const walk = (name: string, prefix: string, last: boolean, root: boolean) => {
    const node = topology.nodes.get(name)!;
    const branch = root ? "" : last ? "└── " : "├── ";
    if (printed.has(name)) {
      lines.push(`${prefix}${branch}${name}  (see above)`);
      return;
    }
    printed.add(name);
    lines.push(`${prefix}${branch}${name}  [${kindLabel(node)}] ${nodeGist(node, topology)}`);
    const childPrefix = root ? prefix : `${prefix}${last ? "    " : "│   "}`;
    for (const [i, child] of node.children.entries()) walk(child, childPrefix, i === node.children.length - 1, false);
  };
  for (const name of topology.order) {
    const node = topology.nodes.get(name)!;
    if (node.kind === "source" || (node.kind === "sink" && node.parents.length === 0)) walk(name, "", true, true);
  }
  lines.push(...agentLines(topology));
  return lines.join("\n");
}

/** A Mermaid node id for a topology name (names may hold `-` and `.`). */
export function mermaidId(name: string): string {
  return `n_${name.replace(/[^A-Za-z0-9_]/g, "_")}`;
}

function mermaidLabel(text: string): string {
  const escaped = text.replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;");
  return `"${escaped.replaceAll("#lt;br/#gt;", "<br/>")}"`;
}

function describeMermaid(topology: CompiledTopology): string {
  const lines = ["flowchart LR"];
  for (const name of topology.order) {
    const node = topology.nodes.get(name)!;
    const label = mermaidLabel(`${name}<br/>${kindLabel(node)}: ${nodeGist(node, topology)}`);
    const id = mermaidId(name);
    if (node.kind === "source") lines.push(`  ${id}([${label}])`);
    else if (node.kind === "sink") lines.push(`  ${id}[(${label})]`);
    else if (node.type === "branch") lines.push(`  ${id}{${label}}`);
    else lines.push(`  ${id}[${label}]`);
  }
  for (const name of topology.order) {
    const node = topology.nodes.get(name)!;
    for (const child of node.children) {
      let edgeLabel = "";
      if (node.kind === "processor" && node.spec.type === "branch") {
        const { routes, default: fallback } = node.spec.branch;
        const conditions = routes.filter((r) => [r.to].flat().includes(child)).map((r) => r.when);
        if (fallback !== undefined && [fallback].flat().includes(child)) conditions.push("default");
        if (conditions.length > 0) edgeLabel = `|${mermaidLabel(clip(conditions.join(" or "), 50))}|`;
      }
      lines.push(`  ${mermaidId(name)} -->${edgeLabel} ${mermaidId(child)}`);
    }
  }
  if (topology.deadLetterSink !== undefined) {
    lines.push(
      `  classDef deadLetter stroke-dasharray: 4 2`,
      `  class ${mermaidId(topology.deadLetterSink)} deadLetter`,
    );
  }
  return lines.join("\n");
}

/** The topology as text (a tree) or Mermaid (`flowchart LR`). */
export function describeTopology(topology: CompiledTopology, format: DescribeFormat = "text"): string {
  return format === "mermaid" ? describeMermaid(topology) : describeText(topology);
}
