/**
 * Tool calls in the decision's lineage: a `tool` node before `decide`, its calls carried into the AgentDecision
 * (`tool_calls`: tool, arguments hash, status, latency, cost, idempotency key) and encoded with
 * schemas/agent-decision.avsc; an exhausted budget turned into a `budget_exhausted` decision by a decide rule.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AgentDecision } from "../../../processors/agent-decision.ts";
import type { TopologyTestDriver } from "../../../topologies/test-driver.ts";
import { state } from "./fixtures/risk-module.ts";
import { RISK_SCHEMAS, toolDriver } from "./helpers.ts";

const YAML = `
applicationId: lineage
kafka: { brokers: localhost:9092 }
sources:
  - name: events
    topic: events
    value: { format: json }
tools:
  - name: risk
${RISK_SCHEMAS}
    transport: { type: module, module: ./fixtures/risk-module.ts }
    cost: 0.25
    budget: { perTenant: 0.5, windowMs: 60000, onExhausted: decision }
processors:
  - name: risk
    type: tool
    from: events
    tool: { call: risk, arguments: { account_id: value.event_id, amount: value.amount } }
  - name: decide
    type: decide
    from: risk
    decide:
      rules:
        - { name: no-risk-budget, when: 'value.tool_calls.exists(c, c.status == "budget_exhausted")', decision: budget_exhausted }
        - { name: risky, when: 'value.risk.level == "high"', decision: flag_fraud }
sinks:
  - name: out
    type: kafka
    from: decide
    kafka: { topic: decisions, value: { format: avro, schema: ../../../schemas/agent-decision.avsc } }
  - name: dlq
    type: dead-letter
`;

const event = (id: string, amount: number) => ({
  value: {
    event_id: id,
    tenant_id: "tenant-1",
    amount,
    event_time: 1_767_000_000_000,
    inference: { scores: { auto_resolve: 0.9, escalate_to_human: 0.1 }, model_id: "sha256:clf", backend: "cpu" },
  },
});

describe("tool calls in the decision's lineage", () => {
  let driver: TopologyTestDriver | undefined;
  beforeEach(() => {
    state.calls.length = 0;
  });
  afterEach(async () => {
    await driver?.close();
  });

  it("carries each call into the AgentDecision, and an exhausted budget decides budget_exhausted", async () => {
    driver = await toolDriver(YAML);
    await driver.pipeInput("events", [event("e-1", 10), event("e-2", 5000), event("e-3", 10)]);
    expect(driver.deadLetters()).toEqual([]);
    const out = driver.readValues("out") as AgentDecision[];
    expect(out.map((d) => [d.event_id, d.decision, d.reason])).toEqual([
      ["e-1", "auto_resolve", "threshold:auto_resolve 0.900 >= 0.5"],
      ["e-2", "flag_fraud", "rule:risky"],
      ["e-3", "budget_exhausted", "rule:no-risk-budget"],
    ]);
    expect(out[0]?.tool_calls).toEqual([
      {
        tool: "risk",
        args_hash: expect.stringMatching(/^sha256:[0-9a-f]{16}$/),
        status: "ok",
        latency_ms: expect.any(Number),
        cost: 0.25,
        idempotency_key: "lineage/events/0@0/risk/risk",
      },
    ]);
    expect(out[2]?.tool_calls.map((c) => [c.status, c.cost])).toEqual([["budget_exhausted", 0]]);
    expect(state.calls).toHaveLength(2);
  });
});
