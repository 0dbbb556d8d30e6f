/**
 * Human approval as a durable pause, through the test driver from the YAML a user writes: a `decide` rule with
 * `requireApproval` holds its decision (only a request goes out), a verdict on the approvals topic releases it
 * once (approved as decided, or the rejected outcome), a repeated verdict or a redelivered input is dropped, a
 * tick past the timeout expires it as configured, an unknown request is dead-lettered, and a bad `approval`
 * config fails at compile time with its position.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../../core/errors.ts";
import type { ApprovalLineage, ApprovalRequest } from "../../../processors/approval-hold.ts";
import { compileTopology } from "../../../topologies/compiler.ts";
import type { TopologyTestDriver } from "../../../topologies/test-driver.ts";
import { parseTopology } from "../../../topologies/yaml-loader.ts";
import { driverFromYaml } from "../processors/helpers.ts";

const yaml = (requests = "requests") => `
applicationId: approvals-test
kafka: { brokers: localhost:9092 }
sources:
  - { name: events, topic: events, value: { format: json } }
  - { name: approvals, topic: approvals, value: { format: json } }
processors:
  - name: decide
    type: decide
    from: [events, approvals]
    decide:
      rules:
        - name: refund
          when: 'value.amount > 1000.0'
          decision: auto_resolve
          requireApproval: { timeoutMs: 60000, onExpiry: reject }
        - name: refund-vip
          when: 'value.amount > 500.0'
          decision: auto_resolve
          requireApproval: { timeoutMs: 30000, onExpiry: approve }
        - name: fraud
          when: 'value.amount > 100.0'
          decision: flag_fraud
          requireApproval: { timeoutMs: 10000, onExpiry: dead-letter }
      approval: { topic: approvals, requests: ${requests}, expired: expired, rejectedDecision: escalate_to_human }
sinks:
  - { name: decisions, type: kafka, from: decide, kafka: { topic: decisions, value: { format: json } } }
  - { name: requests, type: kafka, from: decide, kafka: { topic: approvals-requested, value: { format: json } } }
  - { name: expired, type: kafka, from: decide, kafka: { topic: approvals-expired, value: { format: json } } }
  - { name: dlq, type: dead-letter }
`;

const T = 1_767_225_600_000;
const event = (id: string, amount: number) => ({
  key: `tenant-${id}`,
  value: {
    event_id: id,
    tenant_id: `tenant-${id}`,
    amount,
    event_time: T,
    inference: { scores: { auto_resolve: 0.7, escalate_to_human: 0.3 }, model_id: "sha256:m" },
  },
});
const verdict = (requestId: string, v: string, approver = "alice", reason = "") => ({
  key: "any",
  value: { request_id: requestId, verdict: v, approver, reason, decided_at: T + 5 },
});
type Out = { decision: string; event_id: string; reason: string; approval?: ApprovalLineage };

describe("approvals", () => {
  let driver: TopologyTestDriver;
  afterEach(() => driver?.close());

  it("holds a decision, sends its request, and releases it once on approve or as the rejected outcome on reject", async () => {
    driver = await driverFromYaml(yaml(), T);
    await driver.pipeInput("events", [event("a", 2000), event("b", 2000), event("small", 10)]);
    expect((driver.readValues("decisions") as Out[]).map((d) => d.event_id)).toEqual(["small"]);
    const requests = driver.readValues("requests") as ApprovalRequest[];
    expect(requests.map((r) => [r.decision.event_id, r.rule, r.expires_at - r.requested_at, r.on_expiry])).toEqual([
      ["a", "refund", 60_000, "reject"],
      ["b", "refund", 60_000, "reject"],
    ]);
    expect(requests[0]?.request_id).toBe(requests[0]?.decision.decision_id);
    expect(driver.readOutput("requests")[0]?.key).toBe("tenant-a");
    const [a, b] = requests.map((r) => r.request_id) as [string, string];
    driver.clear();
    await driver.pipeInput("approvals", [verdict(a, "approve", "alice", "ok"), verdict(b, "reject", "bob", "no")]);
    await driver.pipeInput("approvals", [verdict(a, "approve"), verdict(b, "approve")]); // repeats: dropped
    const out = driver.readOutput("decisions");
    expect(out.map((r) => r.key)).toEqual(["tenant-a", "tenant-b"]);
    // Lineage is the held input's, not the verdict's.
    expect(out.map((r) => r.source.topic)).toEqual(["events", "events"]);
    const values = out.map((r) => r.value as Out);
    expect(values.map((d) => [d.event_id, d.decision, d.approval?.status, d.approval?.approver])).toEqual([
      ["a", "auto_resolve", "approved", "alice"],
      ["b", "escalate_to_human", "rejected", "bob"],
    ]);
    expect(values[1]?.reason).toMatch(/^approval_rejected:refund \(held: auto_resolve/);
    expect(driver.deadLetters()).toEqual([]);
    expect(driver.metrics()).toMatchObject({
      "decide.approval_requested": 2,
      "decide.approval_approve": 1,
      "decide.approval_reject": 1,
      "decide.approval_repeated": 2,
    });
  });

  it("a redelivered input is not held twice; pending requests live in the store (and its changelog)", async () => {
    driver = await driverFromYaml(yaml(), T);
    await driver.pipeInput("events", event("a", 2000));
    const store = driver.store("decide");
    expect(store.kind === "keyValue" && store.get("m\u0000pending")).toBe(1);
    expect(driver.changelog().length).toBeGreaterThan(0);
    expect(driver.readValues("requests")).toHaveLength(1);
  });

  it("expires on a tick past the timeout: reject, approve or dead-letter as each rule says", async () => {
    driver = await driverFromYaml(yaml(), T);
    await driver.pipeInput("events", [event("r", 2000), event("a", 800), event("d", 200)]);
    const tick = { key: null, value: { request_id: "", verdict: "tick", approver: "sluice", decided_at: T } };
    driver.advanceTime(9_000);
    await driver.pipeInput("approvals", tick);
    expect(driver.readValues("decisions")).toEqual([]);
    driver.advanceTime(2_000); // 11 s: the fraud rule's 10 s passed
    await driver.pipeInput("approvals", tick);
    const expired = driver.readValues("expired") as Out[];
    expect(expired.map((d) => [d.event_id, d.decision, d.approval?.status, d.approval?.approver])).toEqual([
      ["d", "flag_fraud", "expired", "sluice:expiry"],
    ]);
    driver.advanceTime(60_000);
    await driver.pipeInput("approvals", tick);
    const out = driver.readValues("decisions") as Out[];
    expect(out.map((d) => [d.event_id, d.decision, d.approval?.status])).toEqual([
      ["a", "auto_resolve", "expired"],
      ["r", "escalate_to_human", "expired"],
    ]);
    // A verdict after expiry is a repeat: nothing more goes out.
    const id = (driver.readValues("requests") as ApprovalRequest[])[0]?.request_id as string;
    await driver.pipeInput("approvals", verdict(id, "approve"));
    expect(driver.readValues("decisions")).toHaveLength(2);
    expect(driver.metrics()).toMatchObject({
      "decide.approval_expired_reject": 1,
      "decide.approval_expired_approve": 1,
      "decide.approval_expired_dead_letter": 1,
    });
  });

  it("dead-letters a verdict for a request this partition does not hold, and a verdict that is not approve|reject", async () => {
    driver = await driverFromYaml(yaml(), T);
    await driver.pipeInput("approvals", [verdict("events/0@99#live", "approve"), verdict("x", "maybe")]);
    expect(driver.deadLetters().map((d) => d.reason)).toEqual([
      expect.stringMatching(/no pending approval request "events\/0@99#live" in partition 0/),
      expect.stringMatching(/verdict "maybe" is not approve\|reject/),
    ]);
  });

  it("rejects at compile time, with the position, a requests child that does not exist and a rule without approval", () => {
    const compile = (text: string) => () =>
      compileTopology(parseTopology(text, { file: "t.yaml", baseDir: process.cwd(), env: {} }));
    expect(compile(yaml("nowhere"))).toThrow(ConfigError);
    expect(compile(yaml("nowhere"))).toThrow(
      /t\.yaml:\d+:\d+ processors\[0\]\.decide\.approval\.requests: "nowhere" is not a child/,
    );
    const noApproval = yaml().replace(/ {6}approval: .*\n/, "");
    expect(compile(noApproval)).toThrow(/requireApproval needs the node's `approval/);
  });
});
