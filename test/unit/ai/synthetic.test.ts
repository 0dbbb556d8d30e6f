/**
 * The synthetic data generator: same seed, same data; events fit schemas/enterprise-event.avsc; tenant traffic
 * is skewed; every category and decision occurs; the knowledge base covers every tenant and category.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import avro from "avsc";
import { describe, expect, it } from "vitest";
import {
  CATEGORIES,
  DECISIONS,
  generateEvents,
  generateKnowledgeBase,
  generateLabelledEvents,
} from "../../../models/synthetic.ts";
import { ROOT } from "./helpers.ts";

const eventType = avro.Type.forSchema(
  JSON.parse(readFileSync(path.join(ROOT, "schemas/enterprise-event.avsc"), "utf8")),
);

describe("synthetic data", () => {
  it("is deterministic per seed and fits the EnterpriseEvent schema", () => {
    expect(generateEvents(200, 1)).toEqual(generateEvents(200, 1));
    expect(generateEvents(5, 1)).not.toEqual(generateEvents(5, 2));
    for (const e of generateEvents(500, 3)) expect(eventType.isValid(e)).toBe(true);
  });

  it("skews tenants, covers every category and decision, and makes noisy text", () => {
    const labelled = generateLabelledEvents(5000, 4);
    const perTenant = new Map<string, number>();
    for (const l of labelled) perTenant.set(l.event.tenant_id, (perTenant.get(l.event.tenant_id) ?? 0) + 1);
    const counts = [...perTenant.values()].sort((a, b) => b - a);
    expect(counts[0]! / counts[counts.length - 1]!).toBeGreaterThan(10);
    expect(new Set(labelled.map((l) => l.category))).toEqual(new Set(CATEGORIES));
    expect(new Set(labelled.map((l) => l.decision))).toEqual(new Set(DECISIONS));
    expect(new Set(labelled.map((l) => l.event.text)).size).toBeGreaterThan(4500);
  });

  it("writes a knowledge base for every tenant and category", () => {
    const kb = generateKnowledgeBase(9, { tenants: 4, docsPerCategory: 3 });
    expect(kb).toHaveLength(4 * CATEGORIES.length * 3);
    expect(new Set(kb.map((d) => d.doc_id)).size).toBe(kb.length);
    expect(generateKnowledgeBase(9, { tenants: 4, docsPerCategory: 3 })).toEqual(kb);
  });
});
