/**
 * The `agents:` section is validated like the rest of a topology: an unknown step type, a bad step config, a
 * duplicate agent id, a route or a hand-off naming an unknown agent, a route nested in an agent are each reported
 * at file:line:column with the spec path, all at once.
 */
import { describe, expect, it } from "vitest";
import { ConfigError, formatIssue } from "../../../core/errors.ts";
import { compileTopology } from "../../../topologies/compiler.ts";
import { parseTopology } from "../../../topologies/yaml-loader.ts";

const topology = (route: string, agents: string) => `applicationId: agents-validate
kafka: { brokers: "localhost:9092" }
sources:
  - name: events
    topic: events
    value: { format: json }
processors:
  - name: desk
    type: route
    from: events
    route:
${route}
sinks:
  - name: out
    type: kafka
    from: desk
    kafka: { topic: out, value: { format: json } }
agents:
${agents}`;

const OK_AGENT = `  - id: triage
    version: 1
    capabilities: [question]
    processors:
      - name: tag
        type: map
        map: { keepOthers: true, fields: { seen: "true" } }`;

function problems(text: string): string[] {
  try {
    compileTopology(parseTopology(text, { file: "desk.yaml", env: {} }));
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map(formatIssue);
    throw error;
  }
  return [];
}

describe("agents: validation", () => {
  it("accepts a valid registry", () => {
    expect(problems(topology("      match: value.t in agent.capabilities\n      fallback: triage", OK_AGENT))).toEqual(
      [],
    );
  });

  it("names an unknown step type at its line and column, with a suggestion", () => {
    const agents = `${OK_AGENT}
  - id: fraud
    version: 1
    processors:
      - name: score
        type: decied
        decied: {}`;
    const [issue] = problems(topology("      match: 'true'", agents));
    expect(issue).toMatch(
      /^desk\.yaml:30:15 agents\[1\]\.processors\[0\]\.type: unknown processor type "decied", did you mean "decide"\?/,
    );
  });

  it("reports a duplicate id, unknown agents in route and hand-off, a bad step expression and a nested route together", () => {
    const agents = `${OK_AGENT}
    handoff:
      - { when: 'value.seen', to: fruad }
  - id: triage
    version: 2
    processors:
      - name: check
        type: filter
        filter: { predicate: 'value.amount >' }
      - name: inner
        type: route
        route: { match: 'true' }`;
    expect(
      problems(
        topology(
          "      match: value.t in agent.capabilities\n      agents: [triage, sales]\n      fallback: nobody",
          agents,
        ),
      ),
    ).toEqual([
      'desk.yaml:13:24 processors[0].route.agents[1]: unknown agent "sales" (agents: triage, triage)',
      'desk.yaml:14:17 processors[0].route.fallback: unknown agent "nobody" (agents: triage, triage)',
      'desk.yaml:29:35 agents[0].handoff[0].to: unknown agent "fruad" (agents: triage, triage)',
      'desk.yaml:30:9 agents[1].id: duplicate agent id "triage": agents[0] already uses it',
      expect.stringMatching(/^desk\.yaml:35:45 agents\[1\]\.processors\[0\]\.filter\.predicate: invalid CEL/),
      "desk.yaml:37:15 agents[1].processors[1].type: a route cannot be a step of an agent: hand off instead",
    ]);
  });

  it("refuses onMaxHops: fallback without a fallback agent", () => {
    expect(problems(topology("      match: 'true'\n      onMaxHops: fallback", OK_AGENT))).toEqual([
      "desk.yaml:13:18 processors[0].route.onMaxHops: onMaxHops: fallback needs a fallback agent: add fallback: <agent id>",
    ]);
  });

  it("refuses a route when the topology has no agents", () => {
    const text = topology("      match: 'true'", "").replace("agents:\n", "");
    expect(problems(text)).toEqual(["desk.yaml:9:11 processors[0].type: a route needs agents: add an agents: section"]);
  });

  it("checks the route's match expression, which may use `agent`", () => {
    const [issue] = problems(topology("      match: 'agent.capabilities.exists(c, c == value.t) &&'", OK_AGENT));
    expect(issue).toMatch(/^desk\.yaml:12:\d+ processors\[0\]\.route\.match: invalid CEL/);
  });
});
