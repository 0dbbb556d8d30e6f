/**
 * The `tool` processor from YAML through the TopologyTestDriver, with a local-module tool: results merged and
 * lineage appended, the journal answering a redelivery with no call, poison (refusal, schema-failing output) to
 * the DLQ with the reason, transient failures retried, budgets, and the replay modes.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../../core/errors.ts";
import { configureToolReplay } from "../../../processors/tools/replay-mode.ts";
import type { TopologyTestDriver } from "../../../topologies/test-driver.ts";
import { failNext, state } from "./fixtures/risk-module.ts";
import { payment, paymentsTopology, RISK_ARGUMENTS, RISK_SCHEMAS, sharedEngines, toolDriver } from "./helpers.ts";

const moduleTool = (extra = "") => `  - name: risk
    description: Scores a payment's risk
${RISK_SCHEMAS}
    transport: { type: module, module: ./fixtures/risk-module.ts }
    retry: { attempts: 3, initialDelayMs: 5, maxDelayMs: 10 }
${extra}`;

const YAML = paymentsTopology(moduleTool(), RISK_ARGUMENTS);

describe("tool processor with a local-module tool", () => {
  const drivers: TopologyTestDriver[] = [];
  const open = async (...args: Parameters<typeof toolDriver>) => {
    const driver = await toolDriver(...args);
    drivers.push(driver);
    return driver;
  };
  beforeEach(() => {
    state.calls.length = 0;
    failNext(0);
    configureToolReplay({});
  });
  afterEach(async () => {
    for (const d of drivers.splice(0)) await d.close();
  });

  it("merges the result, appends the call to the lineage, and sends an idempotency key from the lineage key", async () => {
    const driver = await open(YAML);
    await driver.pipeInput("payments", [payment("a-1", 50), payment("a-2", 5000)]);
    const values = driver.readValues("out") as Array<Record<string, unknown>>;
    expect(values.map((v) => v.risk)).toEqual([
      { score: 0.1, level: "low" },
      { score: 0.9, level: "high" },
    ]);
    expect(values[0]?.tool_calls).toEqual([
      expect.objectContaining({ tool: "risk", status: "ok", cost: 0, args_hash: expect.stringMatching(/^sha256:/) }),
    ]);
    expect(state.calls.map((c) => c.idempotencyKey)).toEqual([
      "payments/payments/0@0/risk/risk",
      "payments/payments/0@1/risk/risk",
    ]);
  });

  it("a redelivery of the same records (task restarted over its restored journal) makes 0 calls", async () => {
    const engines = sharedEngines();
    const first = await open(YAML, { engines });
    await first.pipeInput("payments", [payment("a-1", 50), payment("a-2", 5000), payment("a-3", 7)]);
    expect(state.calls).toHaveLength(3);
    const again = await open(YAML, { engines });
    await again.pipeInput("payments", [payment("a-1", 50), payment("a-2", 5000), payment("a-3", 7)]);
    expect(state.calls).toHaveLength(3);
    const values = again.readValues("out") as Array<Record<string, unknown>>;
    expect(values.map((v) => (v.risk as { level: string }).level)).toEqual(["low", "high", "low"]);
    expect(values.map((v) => (v.tool_calls as Array<{ status: string }>)[0]?.status)).toEqual([
      "journal",
      "journal",
      "journal",
    ]);
  });

  it("a refusal and a result failing the output schema go to the DLQ with the reason, once", async () => {
    const engines = sharedEngines();
    const driver = await open(YAML, { engines });
    await driver.pipeInput("payments", [payment("a-1", -5), payment("malformed-1", 10), payment("a-2", 10)]);
    expect(driver.readValues("out")).toHaveLength(1);
    const reasons = driver.deadLetters().map((d) => d.reason);
    expect(reasons).toEqual([
      expect.stringContaining("amount -5 is negative"),
      expect.stringMatching(/result fails the output schema: .*\/score must be number/),
    ]);
    expect(state.calls).toHaveLength(3);
    // Redelivered, the refused record is dead-lettered again from the journal, without a call.
    const again = await open(YAML, { engines });
    await again.pipeInput("payments", [payment("a-1", -5)]);
    expect(again.deadLetters().map((d) => d.reason)).toEqual([expect.stringContaining("amount -5 is negative")]);
    expect(state.calls).toHaveLength(3);
  });

  it("arguments failing the input schema are poison and no call is made", async () => {
    const driver = await open(YAML);
    await driver.pipeInput("payments", [{ key: "x", value: { account: "a-1", amount: "lots", tenant_id: "t" } }]);
    expect(driver.deadLetters()[0]?.reason).toMatch(/arguments fail the input schema: \/amount must be number/);
    expect(state.calls).toHaveLength(0);
  });

  it("transient failures are retried with backoff; past the attempts the batch fails as transient", async () => {
    const driver = await open(YAML);
    failNext(2);
    await driver.pipeInput("payments", [payment("a-1", 50)]);
    expect(driver.readValues("out")).toHaveLength(1);
    expect(state.calls).toHaveLength(3);
    failNext(3);
    await expect(driver.pipeInput("payments", [payment("a-2", 50)])).rejects.toThrow(/risk module is down/);
  });

  it("an exhausted budget makes no call and marks the record (decision) or dead-letters it", async () => {
    const budget = (onExhausted: string) =>
      `    cost: 0.5\n    budget: { perTenant: 1, windowMs: 60000, onExhausted: ${onExhausted} }`;
    const marked = await open(paymentsTopology(moduleTool(budget("decision")), RISK_ARGUMENTS, "budget-a"));
    await marked.pipeInput("payments", [
      payment("a-1", 1),
      payment("a-2", 1),
      payment("a-3", 1),
      payment("b-1", 1, "other"),
    ]);
    expect(state.calls.map((c) => c.args.account_id)).toEqual(["a-1", "a-2", "b-1"]);
    const values = marked.readValues("out") as Array<Record<string, unknown>>;
    expect(values.map((v) => (v.tool_calls as Array<{ status: string }>)[0]?.status)).toEqual([
      "ok",
      "ok",
      "budget_exhausted",
      "ok",
    ]);
    expect(values[2]?.risk).toBeNull();
    state.calls.length = 0;
    const dead = await open(paymentsTopology(moduleTool(budget("dead-letter")), RISK_ARGUMENTS, "budget-b"));
    await dead.pipeInput("payments", [payment("a-1", 1), payment("a-2", 1), payment("a-3", 1)]);
    expect(state.calls).toHaveLength(2);
    expect(dead.deadLetters().map((d) => d.reason)).toEqual([
      expect.stringContaining('budget of tenant "acme" exhausted'),
    ]);
  });

  it("replays: journal answers from the journal and calls nothing; dry-run calls nothing; live needs the flag", async () => {
    const engines = sharedEngines();
    const live = await open(YAML, { engines });
    await live.pipeInput("payments", [payment("a-1", 50), payment("a-2", 5000)]);
    expect(state.calls).toHaveLength(2);

    const journal = await open(YAML, { engines, runId: "replay-1" });
    await journal.pipeInput("payments", [payment("a-1", 50), payment("a-2", 5000), payment("a-3", 1)]);
    const statuses = (d: TopologyTestDriver) =>
      (d.readValues("out") as Array<Record<string, unknown>>).map(
        (v) => (v.tool_calls as Array<{ status: string }>)[0]?.status,
      );
    expect(statuses(journal)).toEqual(["journal", "journal", "not_journaled"]);
    expect(state.calls).toHaveLength(2);

    configureToolReplay({ mode: "dry-run" });
    const dry = await open(YAML, { engines, runId: "replay-2" });
    await dry.pipeInput("payments", [payment("a-1", 50), { key: "x", value: { account: "a", amount: "x" } }]);
    expect(statuses(dry)).toEqual(["dry_run"]);
    expect(dry.deadLetters()[0]?.reason).toMatch(/input schema/);
    expect(state.calls).toHaveLength(2);

    configureToolReplay({ mode: "live" });
    await expect(open(YAML, { engines, runId: "replay-3" })).rejects.toThrow(ConfigError);
    configureToolReplay({ mode: "live", allowSideEffects: true });
    const allowed = await open(YAML, { engines, runId: "replay-4" });
    await allowed.pipeInput("payments", [payment("a-1", 50)]);
    expect(state.calls.at(-1)?.idempotencyKey).toBe("payments/payments/0@0/risk/risk#replay-4");
  });

  it("reports a tool the topology does not declare, and a bad JSON Schema, at their line and column", async () => {
    const bad = paymentsTopology(
      moduleTool().replace("required: [score, level]", "required: 7"),
      RISK_ARGUMENTS.replace("call: risk", "call: riks"),
    );
    const error = await open(bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const text = (error as ConfigError).message;
    expect(text).toMatch(/tools\.yaml:\d+:\d+ tools\[0\]\.output: not a valid JSON Schema/);
    expect(text).toMatch(
      /tools\.yaml:\d+:\d+ processors\[0\]\.tool\.call: no tool named "riks" in tools: \(declared: risk\)/,
    );
  });
});
