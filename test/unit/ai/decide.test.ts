/**
 * `decide` from YAML: the first matching CEL rule wins, else the top class decides when it reaches its
 * threshold, else the fallback; the output is a valid AgentDecision with lineage; a NaN score is dead-lettered.
 */
import { describe, expect, it } from "vitest";
import type { AgentDecision } from "../../../processors/agent-decision.ts";
import { driverFor } from "./helpers.ts";

const DECIDE = `
  - name: decide
    type: decide
    from: events
    decide:
      rules:
        - { name: big-fraud-signal, when: 'value.amount != null && value.amount > 5000.0 && value.inference.scores.flag_fraud > 0.2', decision: flag_fraud }
        - { name: vip-angry, when: 'value.customer_tier == "enterprise" && value.sentiment < -0.8', decision: escalate_to_human, confidence: 0.9 }
      thresholds: { auto_resolve: 0.8 }
      fallback: escalate_to_human`;

const scores = (auto: number, esc: number, sales: number, fraud: number) => ({
  auto_resolve: auto,
  escalate_to_human: esc,
  route_to_sales: sales,
  flag_fraud: fraud,
});
const event = (id: string, extra: Record<string, unknown>, s: Record<string, number>) => ({
  event_id: id,
  tenant_id: "tenant-001",
  customer_tier: "pro",
  amount: null,
  sentiment: 0,
  event_time: 1_767_000_000_000,
  embedding_model_id: "sha256:enc",
  inference: { label: "x", scores: s, model_id: "sha256:clf", backend: "wasm" },
  retrieval: { table: "support_kb", version: 3, ids: ["kb-1", "kb-2"], distances: [0.1, 0.2] },
  _stages: [{ name: "embed", started_at: 1_767_000_000_100, duration_ms: 1.5, batch_size: 2 }],
  ...extra,
});

describe("decide", () => {
  it("applies rules in order, then thresholds, then the fallback, with the reason", async () => {
    const driver = await driverFor(DECIDE, {
      sinkFrom: "decide",
      source: "json",
      sinkSchema: "schemas/agent-decision.avsc",
    });
    await driver.pipeInput("enterprise-events", [
      {
        value: event(
          "rule-1",
          { amount: 9000, customer_tier: "enterprise", sentiment: -0.9 },
          scores(0.1, 0.3, 0.3, 0.3),
        ),
      },
      { value: event("rule-2", { customer_tier: "enterprise", sentiment: -0.95 }, scores(0.9, 0.05, 0.03, 0.02)) },
      { value: event("threshold", {}, scores(0.05, 0.05, 0.85, 0.05)) },
      { value: event("below", {}, scores(0.7, 0.2, 0.05, 0.05)) },
    ]);
    const out = driver.readValues("out") as AgentDecision[];
    expect(out.map((d) => [d.event_id, d.decision, d.reason, d.confidence])).toEqual([
      ["rule-1", "flag_fraud", "rule:big-fraud-signal", 0.3],
      ["rule-2", "escalate_to_human", "rule:vip-angry", 0.9],
      ["threshold", "route_to_sales", "threshold:route_to_sales 0.850 >= 0.5", 0.85],
      ["below", "escalate_to_human", "below_threshold:auto_resolve 0.700 < 0.8", 0.2],
    ]);
    await driver.close();
  });

  it("writes full lineage on the decision and dead-letters a NaN score", async () => {
    const driver = await driverFor(DECIDE, {
      sinkFrom: "decide",
      source: "json",
      sinkSchema: "schemas/agent-decision.avsc",
    });
    await driver.pipeInput("enterprise-events", [
      { value: event("ok", {}, scores(0.9, 0.05, 0.03, 0.02)), headers: { "sluice-writer-schema-id": "42" } },
      { value: event("nan", {}, scores(Number.NaN, 0.05, 0.03, 0.02)) },
    ]);
    const [decision] = driver.readValues("out") as AgentDecision[];
    expect(decision).toMatchObject({
      decision_id: "enterprise-events/0@0#live",
      source_topic: "enterprise-events",
      source_partition: 0,
      source_offset: 0,
      writer_schema_id: 42,
      application_id: "ai-test",
      run_id: "live",
      model_id: "sha256:clf",
      model_backend: "wasm",
      encoder_model_id: "sha256:enc",
      kb_table: "support_kb",
      kb_version: 3,
      retrieved_ids: ["kb-1", "kb-2"],
      retrieved_distances: [0.1, 0.2],
      event_time: 1_767_000_000_000,
      decided_at: driver.now(),
    });
    expect(decision?.stages.map((s) => s.name)).toEqual(["embed", "decide"]);
    expect(driver.deadLetters().map((l) => [l.record.source.offset, l.reason])).toEqual([
      [1, expect.stringMatching(/inference.scores is missing or has a NaN score/)],
    ]);
    await driver.close();
  });

  it("rejects an invalid rule when the topology is compiled", async () => {
    await expect(
      driverFor(DECIDE.replace("value.sentiment < -0.8", "value.sentiment <<< 1"), {
        sinkFrom: "decide",
        source: "json",
      }),
    ).rejects.toThrow(/rules\[1\]\.when.*invalid CEL/);
  });
});
