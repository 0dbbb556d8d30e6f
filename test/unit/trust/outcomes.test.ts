/**
 * Outcomes joined to decisions (topologies/examples/decision-outcomes.yaml's processors, JSON in place of Avro)
 * through the test driver: a decision and its outcome pair by decision id within the window, whichever arrives
 * first, never with another decision of the same key; a decision without an outcome gives no row (decision_eval
 * counts it); an outcome label that maps to no class is dead-lettered; the stateless form gives the same rows.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { TopologyTestDriver } from "../../../topologies/test-driver.ts";
import { driverFromYaml } from "../processors/helpers.ts";

const LABELS = "{ resolved: auto_resolve, reopened: escalate_to_human, fraud_confirmed: flag_fraud }";
const joined = `
applicationId: outcomes-test
kafka: { brokers: localhost:9092 }
sources:
  - { name: decisions, topic: agent-decisions, value: { format: json } }
  - { name: outcomes, topic: ticket-outcomes, value: { format: json } }
processors:
  - name: paired
    type: join
    from: [decisions, outcomes]
    join: { window: { topic: ticket-outcomes, withinMs: 86400000, on: decision_id }, as: outcome }
  - name: evaluated
    type: outcome
    from: paired
    outcome: { joinedField: outcome, labels: ${LABELS} }
sinks:
  - { name: out, type: kafka, from: evaluated, kafka: { topic: out, value: { format: json } } }
  - { name: dlq, type: dead-letter }
`;
const stateless = `
applicationId: outcomes-test
kafka: { brokers: localhost:9092 }
sources:
  - { name: outcomes, topic: ticket-outcomes, value: { format: json } }
processors:
  - { name: evaluated, type: outcome, from: outcomes, outcome: { labels: ${LABELS} } }
sinks:
  - { name: out, type: kafka, from: evaluated, kafka: { topic: out, value: { format: json } } }
  - { name: dlq, type: dead-letter }
`;

const T = 1_767_225_600_000;
const decisionOf = (id: string, decision: string, at: number) => ({
  key: "tenant-1",
  timestamp: at,
  value: {
    decision_id: id,
    tenant_id: "tenant-1",
    decision,
    model_id: "sha256:m1",
    model_variant: "primary",
    application_id: "triage",
    decided_at: at,
  },
});
const outcomeOf = (id: string, decisionId: string, outcome: string, at: number, actual?: string) => ({
  key: "tenant-1",
  timestamp: at,
  value: {
    outcome_id: id,
    decision_id: decisionId,
    tenant_id: "tenant-1",
    outcome,
    occurred_at: at,
    ...(actual ? { actual_decision: actual } : {}),
  },
});

describe("decision outcomes", () => {
  let driver: TopologyTestDriver;
  afterEach(() => driver?.close());

  it("pairs each outcome with its own decision by id, whichever comes first, and maps it to the actual class", async () => {
    driver = await driverFromYaml(joined, T);
    await driver.pipeInput("agent-decisions", [
      decisionOf("d1", "auto_resolve", T),
      decisionOf("d2", "flag_fraud", T + 10),
    ]);
    await driver.pipeInput("ticket-outcomes", outcomeOf("o3", "d3", "reopened", T + 20)); // before its decision
    await driver.pipeInput("ticket-outcomes", [
      outcomeOf("o1", "d1", "reopened", T + 60_000),
      outcomeOf("o2", "d2", "resolved", T + 120_000, "route_to_sales"), // the event's own class wins
    ]);
    await driver.pipeInput("agent-decisions", decisionOf("d3", "escalate_to_human", T + 30));
    await driver.pipeInput("agent-decisions", decisionOf("d4", "auto_resolve", T + 40)); // never gets one
    const rows = driver.readValues("out") as Record<string, unknown>[];
    expect(rows.map((r) => [r.decision_id, r.decision, r.actual_decision, r.outcome, r.time_to_outcome_ms])).toEqual([
      ["d1", "auto_resolve", "escalate_to_human", "reopened", 60_000],
      ["d2", "flag_fraud", "route_to_sales", "resolved", 119_990],
      ["d3", "escalate_to_human", "escalate_to_human", "reopened", -10],
    ]);
    expect(rows[0]).toMatchObject({
      joined: 1,
      model_id: "sha256:m1",
      model_variant: "primary",
      application_id: "triage",
      outcome_ms: T + 60_000,
    });
  });

  it("dead-letters an outcome whose label maps to no class; outcomes past the window find no decision", async () => {
    driver = await driverFromYaml(joined, T);
    await driver.pipeInput("agent-decisions", [
      decisionOf("d1", "auto_resolve", T),
      decisionOf("d2", "auto_resolve", T),
    ]);
    await driver.pipeInput("ticket-outcomes", outcomeOf("o1", "d1", "mystery", T + 1000));
    await driver.pipeInput("ticket-outcomes", outcomeOf("o2", "d2", "resolved", T + 86_400_001));
    expect(driver.readValues("out")).toEqual([]);
    expect(driver.deadLetters().map((l) => [l.processor, l.reason])).toEqual([
      ["evaluated", expect.stringMatching(/outcome "mystery" maps to no decision/)],
    ]);
  });

  it("the stateless form writes the same outcome facts, leaving the decision side to decision_eval", async () => {
    driver = await driverFromYaml(stateless, T);
    await driver.pipeInput("ticket-outcomes", [
      outcomeOf("o1", "d1", "reopened", T + 5),
      outcomeOf("o2", "d2", "fraud_confirmed", T + 6),
    ]);
    expect(driver.readValues("out")).toEqual([
      expect.objectContaining({
        decision_id: "d1",
        outcome_id: "o1",
        actual_decision: "escalate_to_human",
        joined: 0,
        decision: "",
        time_to_outcome_ms: null,
      }),
      expect.objectContaining({ decision_id: "d2", outcome_id: "o2", actual_decision: "flag_fraud", joined: 0 }),
    ]);
  });
});
