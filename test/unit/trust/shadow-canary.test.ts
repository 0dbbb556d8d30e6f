/**
 * Shadow and canary models through the test driver, from the YAML a user writes: a canary at 10 % acts for
 * 10 % ± 1 % of 10 000 keys, always the same keys; a shadow leaves the acted-on decisions bit for bit what a
 * run without it decides, while each decision records the shadow's own verdict; a rollout applied between
 * batches moves keys back to the primary with no record lost or doubled.
 */
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { DECISIONS } from "../../../models/synthetic.ts";
import type { AgentDecision } from "../../../processors/agent-decision.ts";
import { modelIdOf, saveLayersModel } from "../../../processors/model-files.ts";
import { keyBucket } from "../../../processors/model-split.ts";
import { rollouts } from "../../../processors/rollout-state.ts";
import { selectBackend } from "../../../processors/tfjs-backend.ts";
import { CLASSIFIER_DIR, driverFor } from "../ai/helpers.ts";

const WIDTH = 80;
const row = (seed: number) => Array.from({ length: WIDTH }, (_, i) => Math.sin(seed * 31 + i) * 2);
let candidateDir: string;

/** A "retrained" candidate: same inputs and labels, other weights (seeded). */
async function candidateModel(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "sluice-candidate-"));
  const model = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [WIDTH], units: DECISIONS.length, activation: "softmax" })],
  });
  model.setWeights([tf.randomNormal([WIDTH, DECISIONS.length], 0, 1, "float32", 42), tf.zeros([DECISIONS.length])]);
  await saveLayersModel(model, dir, { "labels.json": [...DECISIONS] });
  return dir;
}

const pipeline = (candidates: string) => `
  - name: classify
    type: infer
    from: events
    infer:
      model: models/classifier
      inputField: features
      candidates: ${candidates}
  - name: decide
    type: decide
    from: classify
    decide:
      thresholds: { auto_resolve: 0.4, escalate_to_human: 0.3, route_to_sales: 0.4, flag_fraud: 0.4 }`;

const events = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({
    key: `customer-${from + i}`,
    value: { tenant_id: `tenant-${(from + i) % 7}`, event_id: `e${from + i}`, features: row(from + i) },
  }));

describe("shadow and canary models", () => {
  beforeAll(async () => {
    await selectBackend();
    candidateDir = await candidateModel();
  });
  afterEach(() => rollouts.reset());

  it("a canary at 10% acts for 10% ± 1% of 10 000 keys, the same keys every time", async () => {
    const driver = await driverFor(pipeline(`[{ id: v2, model: ${candidateDir}, mode: canary, weight: 0.1 }]`), {
      sinkFrom: "decide",
      source: "json",
      batch: 500,
    });
    await driver.pipeInput("enterprise-events", events(10_000));
    await driver.pipeInput("enterprise-events", events(10_000)); // every key again
    const out = driver.readValues("out") as AgentDecision[];
    expect(out).toHaveLength(20_000);
    const first = out.slice(0, 10_000);
    const canary = first.filter((d) => d.model_variant === "v2");
    expect(canary.length).toBeGreaterThanOrEqual(900);
    expect(canary.length).toBeLessThanOrEqual(1100);
    const candidateId = await modelIdOf(candidateDir);
    const primaryId = await modelIdOf(CLASSIFIER_DIR);
    for (const d of first) expect(d.model_id).toBe(d.model_variant === "v2" ? candidateId : primaryId);
    // Sticky: the second record of each key went to the same version, and the split follows the key's hash.
    expect(out.slice(10_000).map((d) => d.model_variant)).toEqual(first.map((d) => d.model_variant));
    for (const [i, d] of first.entries()) expect(d.model_variant === "v2").toBe(keyBucket(`customer-${i}`) < 1000);
    await driver.close();
  });

  it("splits by a value field when asked (a customer across keys stays on one version)", async () => {
    const driver = await driverFor(
      pipeline(`[{ id: v2, model: ${candidateDir}, mode: canary, weight: 0.3 }]`).replace(
        "inputField: features",
        "inputField: features\n      splitField: customer_id",
      ),
      { sinkFrom: "decide", source: "json", batch: 100 },
    );
    const input = Array.from({ length: 600 }, (_, i) => ({
      key: `tenant-${i % 3}`,
      value: { customer_id: `c${i % 200}`, features: row(i) },
    }));
    await driver.pipeInput("enterprise-events", input);
    const out = driver.readValues("out") as AgentDecision[];
    expect(out).toHaveLength(600);
    const variants = new Map<string, Set<string>>();
    for (const [i, d] of out.entries()) {
      const customer = `c${i % 200}`;
      variants.set(customer, (variants.get(customer) ?? new Set()).add(d.model_variant));
    }
    expect([...variants.values()].every((v) => v.size === 1)).toBe(true);
    for (const [customer, v] of variants) expect(v.has("v2")).toBe(keyBucket(customer) < 3000);
    await driver.close();
  });

  it("a shadow leaves the acted-on decisions identical to a run without it and records its own verdict", async () => {
    const plain = await driverFor(pipeline("[]"), { sinkFrom: "decide", source: "json", batch: 256 });
    const shadowed = await driverFor(pipeline(`[{ id: v2-shadow, model: ${candidateDir}, mode: shadow }]`), {
      sinkFrom: "decide",
      source: "json",
      batch: 256,
    });
    const input = events(3000);
    await plain.pipeInput("enterprise-events", input);
    await shadowed.pipeInput("enterprise-events", input);
    const acted = (d: AgentDecision) => ({
      decision_id: d.decision_id,
      decision: d.decision,
      confidence: d.confidence,
      reason: d.reason,
      scores: d.scores,
      model_id: d.model_id,
      model_variant: d.model_variant,
    });
    const a = plain.readValues("out") as AgentDecision[];
    const b = shadowed.readValues("out") as AgentDecision[];
    expect(b).toHaveLength(3000);
    expect(b.map(acted)).toEqual(a.map(acted)); // toEqual on floats: bit for bit (Object.is per number)
    for (const d of a) expect(d.shadow).toEqual([]);
    const candidateId = await modelIdOf(candidateDir);
    let disagreements = 0;
    for (const d of b) {
      expect(d.shadow).toHaveLength(1);
      const s = d.shadow[0]!;
      expect(s).toMatchObject({ candidate_id: "v2-shadow", model_id: candidateId });
      expect(Object.keys(s.scores)).toEqual([...DECISIONS]);
      expect(DECISIONS).toContain(s.decision);
      if (s.decision !== d.decision) disagreements++;
    }
    // A different model: it disagrees somewhere, and the disagreement never reached the acted-on decision.
    expect(disagreements).toBeGreaterThan(0);
    await plain.close();
    await shadowed.close();
  });

  it("a rollout applied between batches moves the canary's keys back, with no record lost or doubled", async () => {
    const driver = await driverFor(pipeline(`[{ id: v2, model: ${candidateDir}, mode: canary, weight: 0.5 }]`), {
      sinkFrom: "decide",
      source: "json",
      batch: 250,
    });
    await driver.pipeInput("enterprise-events", events(2000));
    expect(rollouts.apply("ai-test", "classify", { weights: { v2: 0 }, version: 7 })).toBe(true);
    expect(rollouts.apply("ai-test", "classify", { weights: { v2: 0.9 }, version: 3 })).toBe(false); // older: ignored
    await driver.pipeInput("enterprise-events", events(2000, 2000));
    const out = driver.readValues("out") as AgentDecision[];
    expect(out.map((d) => d.source_offset)).toEqual(Array.from({ length: 4000 }, (_, i) => i));
    const before = out.slice(0, 2000).filter((d) => d.model_variant === "v2").length;
    expect(before).toBeGreaterThan(800);
    expect(before).toBeLessThan(1200);
    expect(out.slice(2000).every((d) => d.model_variant === "primary")).toBe(true);
    await driver.close();
  });
});
