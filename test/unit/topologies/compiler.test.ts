/**
 * Every compiler rejection, each with its position and message, plus the shape of a compiled DAG (parents,
 * children, topological order, schemas carried through filter and branch).
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ConfigError, formatIssue } from "../../../core/errors.ts";
import { compileTopology } from "../../../topologies/compiler.ts";
import { parseTopology } from "../../../topologies/yaml-loader.ts";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const HEAD = `applicationId: graph
kafka: { brokers: localhost:9092 }
sources:
  - { name: in, topic: in, value: { format: avro, schema: ../../../schemas/example-order.avsc } }
`;

function compileYaml(body: string) {
  return compileTopology(parseTopology(HEAD + body, { file: "graph.yaml", baseDir: HERE, env: {} }));
}

function problems(body: string): string[] {
  try {
    compileYaml(body);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.map(formatIssue);
  }
  return [];
}

describe("compiler rejections", () => {
  it("unknown upstream, with a suggestion", () => {
    expect(
      problems(
        "processors:\n  - { name: a, type: filter, from: inn, filter: { predicate: 'true' } }\nsinks:\n  - { name: s, type: kafka, from: a, kafka: { topic: o, value: { format: json } } }\n",
      ),
    ).toEqual(['graph.yaml:6:36 processors[0].from: unknown upstream "inn", did you mean "in"?']);
  });

  it("reading from a sink", () => {
    expect(
      problems(
        "sinks:\n  - { name: s, type: kafka, from: in, kafka: { topic: o, value: { format: json } } }\n  - { name: t, type: kafka, from: s, kafka: { topic: p, value: { format: json } } }\n",
      ),
    ).toEqual(['graph.yaml:7:35 sinks[1].from: "s" is a sink: sinks have no downstream']);
  });

  it("duplicate names", () => {
    expect(
      problems(
        "processors:\n  - { name: in, type: filter, from: in, filter: { predicate: 'true' } }\nsinks:\n  - { name: s, type: kafka, from: in, kafka: { topic: o, value: { format: json } } }\n",
      ),
    ).toEqual(['graph.yaml:6:13 processors[0].name: duplicate name "in": sources[0] already uses it']);
  });

  it("cycles, and nodes unreachable behind them", () => {
    const body = `processors:
  - { name: a, type: filter, from: [in, b], filter: { predicate: 'true' } }
  - { name: b, type: filter, from: a, filter: { predicate: 'true' } }
  - { name: c, type: filter, from: b, filter: { predicate: 'true' } }
sinks:
  - { name: s, type: kafka, from: c, kafka: { topic: o, value: { format: json } } }
`;
    expect(problems(body)).toEqual([
      "graph.yaml:6:36 processors[0].from: cycle: a → b → a",
      'graph.yaml:8:36 processors[2].from: "c" is unreachable from any source (its upstream is in a cycle)',
      'graph.yaml:10:35 sinks[0].from: "s" is unreachable from any source (its upstream is in a cycle)',
    ]);
  });

  it("a sink with no upstream", () => {
    expect(problems("sinks:\n  - { name: s, type: kafka, kafka: { topic: o, value: { format: json } } }\n")).toEqual([
      'graph.yaml:4:13 sources[0].name: source "in" has no downstream: its records would go nowhere',
      'graph.yaml:6:5 sinks[0]: kafka sink "s" has no upstream: add from: <node>',
    ]);
  });

  it("a processor whose records go nowhere", () => {
    expect(
      problems(
        "processors:\n  - { name: a, type: filter, from: in, filter: { predicate: 'true' } }\nsinks:\n  - { name: s, type: kafka, from: in, kafka: { topic: o, value: { format: json } } }\n",
      ),
    ).toEqual(['graph.yaml:6:13 processors[0].name: processor "a" has no downstream: its records would go nowhere']);
  });

  it("missing and invalid Avro schema files", () => {
    const body = `sinks:
  - { name: s, type: kafka, from: in, kafka: { topic: o, value: { format: avro, schema: missing.avsc } } }
  - { name: t, type: kafka, from: in, kafka: { topic: p, value: { format: avro, schema: fixtures/bad.avsc } } }
`;
    const found = problems(body);
    expect(found).toHaveLength(2);
    expect(found[0]).toBe(`graph.yaml:6:89 sinks[0].kafka.value.schema: schema file not found: ${HERE}missing.avsc`);
    expect(found[1]).toMatch(
      /^graph\.yaml:7:89 sinks\[1\]\.kafka\.value\.schema: schema file .*bad\.avsc is not a valid Avro schema: .*strnig/,
    );
  });

  it("a branch route to a node that is not its child", () => {
    const body = `processors:
  - name: split
    type: branch
    from: in
    branch:
      routes: [{ when: value.amount > 5.0, to: bigg }]
      default: small
  - { name: big, type: filter, from: split, filter: { predicate: 'true' } }
  - { name: small, type: filter, from: split, filter: { predicate: 'true' } }
sinks:
  - { name: s, type: kafka, from: [big, small], kafka: { topic: o, value: { format: json } } }
`;
    expect(problems(body)).toEqual([
      'graph.yaml:10:48 processors[0].branch.routes[0].to: "bigg" is not a child of branch "split", did you mean "big"? (children: big, small)',
    ]);
  });

  it("two sources reading one topic, and two catch-all dead-letter sinks", () => {
    const body = `  - { name: again, topic: in, value: { format: json } }
sinks:
  - { name: s, type: kafka, from: [in, again], kafka: { topic: o, value: { format: json } } }
  - { name: d1, type: dead-letter }
  - { name: d2, type: dead-letter }
`;
    expect(problems(body)).toEqual([
      'graph.yaml:5:27 sources[1].topic: topic "in" is already read by source "in"',
      'graph.yaml:9:5 sinks[2]: only one dead-letter sink may collect all dead letters ("d1" does)',
    ]);
  });

  it("an unknown processor type in a spec built in code", () => {
    const spec = {
      applicationId: "x",
      kafka: { brokers: ["k:9092"] },
      sources: [{ name: "in", topic: "in", value: { format: "json" } }],
      processors: [{ name: "p", type: "classify", from: "in", classify: {} }],
      sinks: [{ name: "s", type: "kafka", from: "p", kafka: { topic: "o", value: { format: "json" } } }],
    };
    expect(() => compileTopology(spec)).toThrow(
      'processors[0].type: unknown processor type "classify" (expected "filter" | "map" | "branch" | "embed" | "enrich" | "infer" | "decide" | "custom" | "count" | "aggregate" | "reduce" | "join" | "dedupe" | "route" | "recent" | "remember" | "outcome" | "tool")',
    );
  });
});

describe("a compiled topology", () => {
  it("links parents and children, orders nodes topologically and carries the Avro schema through filters", () => {
    const compiled = compileYaml(`processors:
  - { name: live, type: filter, from: in, filter: { predicate: value.status != "cancelled" } }
  - { name: pick, type: map, from: live, map: { fields: { id: value.order_id } } }
sinks:
  - { name: s, type: kafka, from: [pick, live], kafka: { topic: o, value: { format: json } } }
  - { name: dlq, type: dead-letter }
`);
    expect(compiled.order).toEqual(["in", "dlq", "live", "pick", "s"]);
    expect(compiled.nodes.get("live")?.children).toEqual(["pick", "s"]);
    expect(compiled.nodes.get("s")?.parents).toEqual(["pick", "live"]);
    expect(compiled.nodes.get("pick")?.inputSchema?.name).toBe("dev.sluice.examples.ExampleOrder");
    expect(compiled.nodes.get("s")?.inputSchema).toBeUndefined();
    expect(compiled.deadLetterTopic).toBe("graph.dlq");
    expect(compiled.deadLetterSink).toBe("dlq");
    expect(compiled.sourceByTopic.get("in")).toBe("in");
  });
});
