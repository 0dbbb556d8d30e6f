/**
 * Deterministic decisions (issue 16, item 5): the reference topology (topologies/examples/support-triage.yaml,
 * real encoder, classifier and LanceDB knowledge base) run twice over the same 1 000 events, in fresh drivers
 * and with different micro-batch boundaries (one 256-record batch size vs 37-record chunks and 64-record
 * batches), gives the same decision, reason and retrieved documents and the same scores and confidence as
 * floats, bit for bit. Only processing times (decided_at, stage timings) may differ.
 */
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { generateLabelledEvents } from "../../../models/synthetic.ts";
import type { AgentDecision } from "../../../processors/agent-decision.ts";
import { TopologyTestDriver } from "../../../topologies/test-driver.ts";
import { loadTopologyFile } from "../../../topologies/yaml-loader.ts";
import { knowledgeBase, ROOT, sampleDocs } from "../ai/helpers.ts";

const FILE = path.join(ROOT, "topologies/examples/support-triage.yaml");
let db: string;

async function decide(chunk: number, maxRecords: number): Promise<AgentDecision[]> {
  const loaded = loadTopologyFile(FILE, { env: { ...process.env, SLUICE_KB_DB: db, SLUICE_KB_TABLE: "kb" } });
  const spec = {
    ...loaded.spec,
    processing: { ...loaded.spec.processing, batch: { ...loaded.spec.processing.batch, maxRecords } },
  };
  const driver = await TopologyTestDriver.create(spec, { baseDir: loaded.baseDir, now: 1_767_225_600_000 });
  const events = generateLabelledEvents(1000, 4242).map((l) => ({ value: l.event }));
  for (let i = 0; i < events.length; i += chunk)
    await driver.pipeInput("enterprise-events", events.slice(i, i + chunk));
  const out = driver.readValues("agent-decisions") as AgentDecision[];
  await driver.close();
  return out;
}

/** What a replay must reproduce: everything but processing times. */
const reproducible = (d: AgentDecision) => ({
  decision_id: d.decision_id,
  decision: d.decision,
  reason: d.reason,
  confidence: d.confidence,
  scores: d.scores,
  model_id: d.model_id,
  encoder_model_id: d.encoder_model_id,
  kb_version: d.kb_version,
  retrieved_ids: d.retrieved_ids,
  retrieved_distances: d.retrieved_distances,
});

describe("deterministic decisions", () => {
  beforeAll(async () => {
    db = await knowledgeBase(await sampleDocs(20));
  });

  it("reproduces class and float scores bit for bit across runs and batch boundaries", async () => {
    const first = await decide(1000, 256);
    const second = await decide(37, 64);
    expect(first).toHaveLength(1000);
    expect(second.map(reproducible)).toEqual(first.map(reproducible));
    // Bit for bit, not merely close: compare the float64 bit patterns of every score.
    const bits = (x: number) => Buffer.from(new Float64Array([x]).buffer).toString("hex");
    const scoreBits = (ds: AgentDecision[]) => ds.flatMap((d) => [d.confidence, ...Object.values(d.scores)].map(bits));
    expect(scoreBits(second)).toEqual(scoreBits(first));
  }, 120_000);
});
