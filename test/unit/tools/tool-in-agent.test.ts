/**
 * A `tool` step inside an agent (the agents: section): its journal store is declared for the step, its
 * idempotency key names the step, and a redelivery is answered from the journal.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { TopologyTestDriver } from "../../../topologies/test-driver.ts";
import { state } from "./fixtures/risk-module.ts";
import { RISK_SCHEMAS, sharedEngines, toolDriver } from "./helpers.ts";

const YAML = `
applicationId: agent-tools
kafka: { brokers: localhost:9092 }
sources:
  - { name: events, topic: events, value: { format: json } }
tools:
  - name: risk
${RISK_SCHEMAS}
    transport: { type: module, module: ./fixtures/risk-module.ts }
agents:
  - id: fraud
    version: "1"
    capabilities: [flag_fraud]
    processors:
      - name: risk
        type: tool
        tool: { call: risk, arguments: { account_id: value.account, amount: value.amount } }
  - id: triage
    version: "1"
    capabilities: [other]
    processors:
      - name: pass
        type: filter
        filter: { predicate: "true" }
processors:
  - name: desk
    type: route
    from: events
    route: { match: value.label in agent.capabilities, agents: [fraud, triage], fallback: triage }
sinks:
  - { name: out, type: kafka, from: desk, kafka: { topic: out, value: { format: json } } }
  - { name: dlq, type: dead-letter }
`;

describe("a tool step inside an agent", () => {
  const drivers: TopologyTestDriver[] = [];
  beforeEach(() => {
    state.calls.length = 0;
  });
  afterEach(async () => {
    for (const d of drivers.splice(0)) await d.close();
  });

  it("calls for the agent's events only, and a redelivery is answered from the step's journal", async () => {
    const engines = sharedEngines();
    const input = [
      { key: "a", value: { account: "a-1", amount: 5000, label: "flag_fraud" } },
      { key: "b", value: { account: "b-1", amount: 1, label: "other" } },
    ];
    const first = await toolDriver(YAML, { engines });
    drivers.push(first);
    await first.pipeInput("events", input);
    expect(first.deadLetters().map((d) => d.reason)).toEqual([]);
    expect(state.calls.map((c) => c.args.account_id)).toEqual(["a-1"]);
    expect(state.calls[0]?.idempotencyKey).toMatch(/^agent-tools\/events\/0@0\/.*risk\/risk$/);
    const again = await toolDriver(YAML, { engines });
    drivers.push(again);
    await again.pipeInput("events", input);
    expect(state.calls).toHaveLength(1);
    const fraud = (again.readValues("out") as Array<{ risk?: unknown; tool_calls?: Array<{ status: string }> }>).find(
      (v) => v.risk !== undefined,
    );
    expect(fraud?.tool_calls?.[0]?.status).toBe("journal");
  });
});
