/**
 * `enrich` with as-of retrieval through the test driver, against a real LanceDB table in a temp folder: each
 * record is answered by the version current at its timestamp (two versions in one micro-batch, grouped), and
 * after cleanup removed the old versions, a record from their time fails (a dead letter naming them), or, with the `nearest`
 * fallback, is answered by the oldest kept version and says which version it wanted.
 */
import * as lancedb from "@lancedb/lancedb";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { generateLabelledEvents } from "../../../models/synthetic.ts";
import { configureAsOf } from "../../../processors/kb-as-of.ts";
import { updateKnowledgeBase } from "../../../processors/knowledge-base.ts";
import { TopologyTestDriver } from "../../../topologies/test-driver.ts";
import { parseTopology } from "../../../topologies/yaml-loader.ts";
import { ENCODER_DIR, knowledgeBase, ROOT, sampleDocs } from "./helpers.ts";

let db: string;
const versions: { version: number; at: number }[] = [];
const events = generateLabelledEvents(10, 5, { tenants: 2 }).map((e) => e.event);

const listVersions = async () => {
  const table = await (await lancedb.connect(db)).openTable("kb");
  const list = (await table.listVersions()).map((v) => ({ version: v.version, at: v.timestamp.getTime() }));
  table.close();
  return list;
};

beforeAll(async () => {
  db = await knowledgeBase(await sampleDocs(2));
  await new Promise((r) => setTimeout(r, 30));
  const copy = {
    doc_id: "as-of-doc",
    tenant_id: events[0]?.tenant_id,
    category: "billing",
    title: "new",
    text: events[0]?.text,
  };
  await updateKnowledgeBase([copy], { db, table: "kb", encoder: ENCODER_DIR });
  versions.push(...(await listVersions()));
});

afterEach(() => configureAsOf({ enabled: false }));

async function enrich(timestamps: number[]) {
  const loaded = parseTopology(
    `applicationId: as-of-test
kafka: { brokers: "localhost:9092" }
processing: { batch: { maxRecords: 64, maxWaitMs: 5 } }
sources: [{ name: events, topic: enterprise-events, value: { format: avro, schema: ${ROOT}/schemas/enterprise-event.avsc } }]
processors:
  - { name: embed, type: embed, from: events, embed: { model: models/encoder } }
  - { name: enrich, type: enrich, from: embed, enrich: { db: "${db}", table: kb, filterField: tenant_id, topK: 3 } }
sinks:
  - { name: out, type: kafka, from: enrich, kafka: { topic: out, value: { format: json } } }
  - { name: dlq, type: dead-letter }
`,
    { baseDir: ROOT, env: process.env },
  );
  const driver = await TopologyTestDriver.create(loaded.spec, { baseDir: loaded.baseDir });
  try {
    await driver.pipeInput(
      "enterprise-events",
      timestamps.map((timestamp) => ({ value: events[0], timestamp })),
    );
    const out = driver.readValues("out") as {
      retrieval: { version: number; ids: string[]; version_wanted?: string };
    }[];
    return { out, deadLetters: driver.deadLetters().map((d) => d.reason) };
  } finally {
    await driver.close();
  }
}

describe("enrich as-of", () => {
  it("answers each record from the version current at its timestamp, two versions in one batch", async () => {
    configureAsOf({ enabled: true });
    const last = versions.at(-1) as { version: number; at: number };
    const before = versions.filter((v) => v.version < last.version).at(-1) as { version: number; at: number };
    const { out } = await enrich([before.at + 1, last.at + 1, before.at + 2]);
    expect(out.map((o) => o.retrieval.version)).toEqual([before.version, last.version, before.version]);
    expect(out.map((o) => o.retrieval.ids.includes("as-of-doc"))).toEqual([false, true, false]);
  });

  it("after cleanup: fails for a cleaned-up version, or falls back to the nearest kept one when chosen", async () => {
    const table = await (await lancedb.connect(db)).openTable("kb");
    await table.optimize({ cleanupOlderThan: new Date(), deleteUnverified: true });
    table.close();
    const kept = await listVersions();
    const oldest = kept[0] as { version: number; at: number };
    expect(oldest.version).toBeGreaterThan(1);
    const early = (versions[0] as { at: number }).at + 1;
    configureAsOf({ enabled: true, fallback: "fail" });
    const failed = await enrich([early, Date.now()]);
    expect(failed.out.map((o) => o.retrieval.version)).toEqual([kept.at(-1)?.version]);
    expect(failed.deadLetters).toHaveLength(1);
    expect(failed.deadLetters[0]).toMatch(/cleaned up.*--as-of-fallback nearest/);
    configureAsOf({ enabled: true, fallback: "nearest" });
    const [fallen] = (await enrich([early])).out;
    expect(fallen?.retrieval.version).toBe(oldest.version);
    expect(fallen?.retrieval.version_wanted).toBe(`before v${oldest.version}`);
  });
});
