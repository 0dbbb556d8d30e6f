/**
 * `route` with an `agents:` section, from YAML through the TopologyTestDriver (no services): each event reaches
 * the agent whose capabilities match, unmatched ones the fallback; hand-offs carry the previous decision and are
 * bounded by maxHops (dead letter, fallback or keep); per-agent metrics; agent_id/agent_version/agent_path in
 * the AgentDecision lineage, checked against schemas/agent-decision.avsc by the Avro sink.
 */
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { registry } from "../../../core/metrics.ts";
import { compileTopology } from "../../../topologies/compiler.ts";
import { TopologyTestDriver } from "../../../topologies/test-driver.ts";
import { parseTopology } from "../../../topologies/yaml-loader.ts";

const ROOT = path.resolve(import.meta.dirname, "../../..");

const decide = (rules: string, fallback = "escalate_to_human") => `
        type: decide
        decide:
          rules: ${rules}
          fallback: ${fallback}`;

const DESK = (route = "", agentsExtra = "") => `
applicationId: agents-test
kafka: { brokers: "localhost:9092" }
sources:
  - name: events
    topic: support-events
    value: { format: json }
processors:
  - name: desk
    type: route
    from: events
    route:
      match: value.event_type in agent.capabilities
      fallback: triage
${route}
agents:
  - id: triage
    version: "1.0.0"
    capabilities: [question, complaint]
    processors:
      - name: decide
${decide(`[{ name: mentions-chargeback, when: 'value.text.contains("chargeback")', decision: flag_fraud }, { name: upsell, when: 'value.text.contains("upgrade")', decision: route_to_sales }]`, "auto_resolve")}
    handoff:
      - { when: 'value.decision == "flag_fraud"', to: fraud }
      - { when: 'value.decision == "route_to_sales"', to: sales }
  - id: fraud
    version: 2
    capabilities: [payment_dispute, chargeback]
    processors:
      - name: big
        type: filter
        filter: { predicate: 'value.amount >= 0.0' }
      - name: decide
${decide(`[{ name: large, when: 'value.amount > 1000.0', decision: flag_fraud }, { name: after-triage, when: 'has(value.handoff) && value.handoff.from == "triage"', decision: escalate_to_human }]`, "auto_resolve")}
  - id: sales
    version: "3.1"
    capabilities: [upgrade, pricing]
    processors:
      - name: decide
${decide(`[{ name: always, when: 'true', decision: route_to_sales }]`)}
${agentsExtra}
sinks:
  - name: decisions
    type: kafka
    from: desk
    kafka: { topic: decisions, value: { format: avro, schema: ${ROOT}/schemas/agent-decision.avsc } }
  - name: dlq
    type: dead-letter
`;

const event = (id: string, event_type: string, text = "hello", amount = 10.0) => ({
  value: {
    event_id: id,
    tenant_id: "tenant-001",
    event_type,
    text,
    amount,
    event_time: 1_767_000_000_000,
    inference: {
      scores: { auto_resolve: 0.1, escalate_to_human: 0.1, route_to_sales: 0.1, flag_fraud: 0.1 },
      model_id: "sha256:clf",
    },
  },
});

interface Decision {
  event_id: string;
  decision: string;
  reason: string;
  agent_id: string | null;
  agent_version: string | null;
  agent_path: string[];
}

let driver: TopologyTestDriver | undefined;
afterEach(async () => {
  await driver?.close();
  driver = undefined;
});

async function desk(yaml: string): Promise<TopologyTestDriver> {
  const loaded = parseTopology(yaml, { file: "desk.yaml", baseDir: ROOT, env: {} });
  driver = await TopologyTestDriver.create(compileTopology(loaded), { now: 1_767_000_000_000 });
  return driver;
}

describe("route", () => {
  it("sends each event to the agent whose capabilities match, unmatched ones to the fallback", async () => {
    const d = await desk(DESK());
    await d.pipeInput("support-events", [
      event("e1", "question"),
      event("e2", "payment_dispute", "card stolen", 5000.0),
      event("e3", "pricing"),
      event("e4", "something_else"),
      event("e5", "chargeback", "small", 5.0),
    ]);
    const out = d.readValues("decisions") as Decision[];
    expect(out.map((o) => [o.event_id, o.agent_id, o.agent_version, o.decision])).toEqual([
      ["e1", "triage", "1.0.0", "auto_resolve"],
      ["e2", "fraud", "2", "flag_fraud"],
      ["e3", "sales", "3.1", "route_to_sales"],
      ["e4", "triage", "1.0.0", "auto_resolve"],
      ["e5", "fraud", "2", "auto_resolve"],
    ]);
    expect(out.map((o) => o.agent_path)).toEqual([
      ["triage@1.0.0"],
      ["fraud@2"],
      ["sales@3.1"],
      ["triage@1.0.0"],
      ["fraud@2"],
    ]);
    expect(d.readOutput("decisions")[1]?.headers["sluice-agent-id"]).toBe("fraud");
    const m = d.metrics();
    expect([m["desk.agent.triage.records"], m["desk.agent.fraud.records"], m["desk.agent.sales.records"]]).toEqual([
      2, 2, 1,
    ]);
    expect(m["desk.fallback"]).toBe(1);
    expect(m["desk.fraud.decide.decision_flag_fraud"]).toBe(1);
    const prom = await registry.getSingleMetric("sluice_agent_records_total")?.get();
    const fraud = prom?.values.find((v) => v.labels.agent === "fraud" && v.labels.topology === "agents-test");
    expect(fraud?.value).toBeGreaterThanOrEqual(2);
    const latency = await registry.getSingleMetric("sluice_agent_duration_seconds")?.get();
    const fraudLatency = latency?.values.find(
      (v) =>
        (v as { metricName?: string }).metricName === "sluice_agent_duration_seconds_count" &&
        v.labels.agent === "fraud",
    );
    expect(fraudLatency?.value).toBeGreaterThanOrEqual(1);
    expect(d.deadLetters()).toEqual([]);
  });

  it("hands a decision off to another agent, which sees the previous one; the path is the lineage", async () => {
    const d = await desk(DESK());
    await d.pipeInput("support-events", [
      event("h1", "complaint", "a chargeback is coming"),
      event("h2", "question", "I want to upgrade"),
    ]);
    const out = d.readValues("decisions") as Decision[];
    expect(out.map((o) => [o.event_id, o.agent_id, o.decision, o.reason, o.agent_path])).toEqual([
      ["h1", "fraud", "escalate_to_human", "rule:after-triage", ["triage@1.0.0", "fraud@2"]],
      ["h2", "sales", "route_to_sales", "rule:always", ["triage@1.0.0", "sales@3.1"]],
    ]);
    expect(d.metrics()["desk.agent.triage.handoffs"]).toBe(2);
    const handoffs = await registry.getSingleMetric("sluice_agent_handoffs_total")?.get();
    expect(handoffs?.values.some((v) => v.labels.from === "triage" && v.labels.to === "fraud")).toBe(true);
  });

  const PINGPONG = `
  - id: ping
    version: "1"
    capabilities: [loop]
    processors:
      - name: mark
        type: map
        map: { keepOthers: true, fields: { handoff_to: '"pong"', seen_by: '"ping"' } }
    handoffField: handoff_to
  - id: pong
    version: "1"
    capabilities: []
    processors:
      - name: mark
        type: map
        map: { keepOthers: true, fields: { handoff_to: '"ping"', seen_by: '"pong"' } }
    handoffField: handoff_to`;
  const loopSinks = (yaml: string) =>
    yaml.replace(
      /kafka: \{ topic: decisions, value: \{ format: avro[^\n]*/,
      "kafka: { topic: decisions, value: { format: json } }",
    );

  it("bounds hand-offs by maxHops: past it the record is dead-lettered with the path in the reason", async () => {
    const d = await desk(loopSinks(DESK("      maxHops: 3", PINGPONG)));
    await d.pipeInput("support-events", [event("l1", "loop"), event("ok", "question")]);
    expect((d.readValues("decisions") as Decision[]).map((o) => o.event_id)).toEqual(["ok"]);
    const [letter] = d.deadLetters();
    expect(letter?.processor).toBe("desk");
    expect(letter?.reason).toBe("hand-off limit: ping@1 → pong@1 → ping@1 → pong@1 → ping would exceed maxHops 3");
    expect(d.metrics()["desk.agent.ping.records"]).toBe(2);
    expect(d.metrics()["desk.agent.pong.records"]).toBe(2);
    expect(d.metrics()["desk.hops_exceeded_dead-letter"]).toBe(1);
  });

  it("past maxHops can let the fallback decide, or keep the last output", async () => {
    const fb = await desk(loopSinks(DESK("      maxHops: 1\n      onMaxHops: fallback", PINGPONG)));
    await fb.pipeInput("support-events", [event("l1", "loop")]);
    const [viaFallback] = fb.readValues("decisions") as Decision[];
    expect([viaFallback?.agent_id, viaFallback?.agent_path]).toEqual(["triage", ["ping@1", "pong@1", "triage@1.0.0"]]);
    expect(fb.deadLetters()).toEqual([]);
    await fb.close();

    const keep = await desk(loopSinks(DESK("      maxHops: 2\n      onMaxHops: keep", PINGPONG)));
    await keep.pipeInput("support-events", [event("l1", "loop")]);
    const [kept] = keep.readValues("decisions") as Array<Decision & { seen_by: string }>;
    expect([kept?.agent_id, kept?.seen_by, kept?.agent_path]).toEqual(["ping", "ping", ["ping@1", "pong@1", "ping@1"]]);
  });

  it("dead-letters bad data inside an agent's chain with the agent and step in the reason, neighbours go on", async () => {
    const d = await desk(DESK());
    const bad = event("b1", "chargeback");
    (bad.value as Record<string, unknown>).amount = "lots";
    await d.pipeInput("support-events", [event("g1", "question"), bad, event("g2", "pricing")]);
    expect((d.readValues("decisions") as Decision[]).map((o) => o.event_id)).toEqual(["g1", "g2"]);
    expect(d.deadLetters()[0]?.reason).toMatch(/^agent fraud@2 step big: evaluating "value.amount >= 0.0"/);
  });
});
