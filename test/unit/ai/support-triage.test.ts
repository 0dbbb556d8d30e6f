/**
 * The reference topology file itself (topologies/examples/support-triage.yaml) through the test driver, with a
 * LanceDB knowledge base built from models/kb and the real models: every event gets a schema-valid
 * AgentDecision with full lineage, decisions mostly match the generator's ground truth, empty text is
 * dead-lettered, and a missing knowledge-base table stops it at start.
 */
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { generateLabelledEvents } from "../../../models/synthetic.ts";
import type { AgentDecision } from "../../../processors/agent-decision.ts";
import { modelIdOf } from "../../../processors/model-files.ts";
import { TopologyTestDriver } from "../../../topologies/test-driver.ts";
import { loadTopologyFile } from "../../../topologies/yaml-loader.ts";
import { CLASSIFIER_DIR, ENCODER_DIR, knowledgeBase, ROOT, sampleDocs } from "./helpers.ts";

const FILE = path.join(ROOT, "topologies/examples/support-triage.yaml");
let db: string;

const driverFor = (table = "kb") => {
  const loaded = loadTopologyFile(FILE, { env: { ...process.env, SLUICE_KB_DB: db, SLUICE_KB_TABLE: table } });
  return TopologyTestDriver.create(loaded.spec, { baseDir: loaded.baseDir, now: 1_767_225_600_000 });
};

beforeAll(async () => {
  db = await knowledgeBase(await sampleDocs(40));
});

describe("support-triage.yaml", () => {
  it("decides every event with full lineage, mostly as the ground truth says", async () => {
    const labelled = generateLabelledEvents(600, 777);
    const driver = await driverFor();
    await driver.pipeInput(
      "enterprise-events",
      labelled.map((l) => ({ value: l.event, headers: { "sluice-writer-schema-id": "7" } })),
    );
    const out = driver.readValues("agent-decisions") as AgentDecision[];
    expect(out.map((d) => d.event_id)).toEqual(labelled.map((l) => l.event.event_id));
    expect(driver.readValues("decisions-table")).toHaveLength(labelled.length);
    const [encoderId, classifierId] = [await modelIdOf(ENCODER_DIR), await modelIdOf(CLASSIFIER_DIR)];
    for (const [i, d] of out.entries()) {
      expect(d).toMatchObject({
        source_offset: i,
        writer_schema_id: 7,
        model_id: classifierId,
        encoder_model_id: encoderId,
      });
      expect(d).toMatchObject({
        model_backend: "wasm",
        kb_table: "kb",
        run_id: "live",
        tenant_id: labelled[i]?.event.tenant_id,
      });
      expect(d.retrieved_ids).toHaveLength(5);
      expect(d.stages.map((s) => s.name)).toEqual(["embed", "enrich", "classify", "decide"]);
    }
    const agree = out.filter((d, i) => d.decision === labelled[i]?.decision).length / out.length;
    expect(agree).toBeGreaterThan(0.85);
    expect(new Set(out.map((d) => d.decision))).toEqual(
      new Set(["auto_resolve", "escalate_to_human", "route_to_sales", "flag_fraud"]),
    );
    await driver.close();
  });

  it("dead-letters an event with empty text and lets its neighbours through", async () => {
    const events = generateLabelledEvents(3, 778).map((l) => l.event);
    events[1] = { ...events[1]!, text: "" };
    const driver = await driverFor();
    await driver.pipeInput(
      "enterprise-events",
      events.map((value) => ({ value })),
    );
    expect((driver.readValues("agent-decisions") as AgentDecision[]).map((d) => d.source_offset)).toEqual([0, 2]);
    const dlq = driver.readOutput("dlq");
    expect(
      dlq.map((r) => [r.source.offset, r.headers["sluice.dlq.processor"], r.headers["sluice.dlq.reason"]]),
    ).toEqual([[1, "embed", "embed: text field text is empty"]]);
    await driver.close();
  });

  it("stops at start, naming the table, when the knowledge base does not exist", async () => {
    await expect(driverFor("missing_kb")).rejects.toThrow(/knowledge-base table missing_kb does not exist/);
  });
});
