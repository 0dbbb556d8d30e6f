/**
 * The AgentDecision schema's agent fields (agent_id, agent_version, agent_path) have defaults: a decision written
 * before they existed decodes with the new schema (null, null, []), and one written with them keeps them.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import avro from "avsc";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const schema = JSON.parse(readFileSync(path.join(ROOT, "schemas/agent-decision.avsc"), "utf8")) as {
  fields: Array<{ name: string }>;
};
const AGENT_FIELDS = ["agent_id", "agent_version", "agent_path"];
const current = avro.Type.forSchema(schema as avro.Schema);
const before = avro.Type.forSchema({
  ...schema,
  fields: schema.fields.filter((f) => !AGENT_FIELDS.includes(f.name)),
} as avro.Schema);

const decision = {
  decision_id: "t/0@1#live",
  event_id: "e1",
  tenant_id: "tenant-001",
  decision: "flag_fraud",
  confidence: 0.9,
  reason: "rule:large",
  scores: {},
  source_topic: "t",
  source_partition: 0,
  source_offset: 1,
  writer_schema_id: null,
  application_id: "a",
  run_id: "live",
  model_id: "m",
  model_backend: "wasm",
  encoder_model_id: null,
  kb_table: null,
  kb_version: null,
  kb_tier: null,
  kb_version_wanted: null,
  retrieved_ids: [],
  retrieved_distances: [],
  event_time: 1_767_000_000_000,
  decided_at: 1_767_000_000_001,
  stages: [],
};

describe("AgentDecision agent lineage", () => {
  it("decodes a decision written before the agent fields with their defaults", () => {
    const old = before.toBuffer(decision);
    const read = current.fromBuffer(old, current.createResolver(before)) as Record<string, unknown>;
    expect([read.agent_id, read.agent_version, read.agent_path]).toEqual([null, null, []]);
    expect(read.event_id).toBe("e1");
  });

  it("round-trips the agent fields", () => {
    const routed = { ...decision, agent_id: "fraud", agent_version: "2", agent_path: ["triage@1", "fraud@2"] };
    const read = current.fromBuffer(current.toBuffer(routed)) as Record<string, unknown>;
    expect([read.agent_id, read.agent_version, read.agent_path]).toEqual(["fraud", "2", ["triage@1", "fraud@2"]]);
  });
});
