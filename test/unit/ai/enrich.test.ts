/**
 * `enrich` against a real LanceDB table built by the real encoder: tenant-filtered top-k of the right category,
 * batched results equal per-record ones, the cache answers repeats, the version is pinned, bad vectors are
 * dead-lettered and a missing table or a mismatched encoder stops the topology at start.
 */
import { cp, mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { generateLabelledEvents } from "../../../models/synthetic.ts";
import { updateKnowledgeBase } from "../../../processors/knowledge-base.ts";
import { driverFor, ENCODER_DIR, knowledgeBase, sampleDocs } from "./helpers.ts";

const TENANTS = 3;
let db: string;
const events = generateLabelledEvents(400, 11, { tenants: TENANTS }).slice(0, 60);

const KB_REF = "${KB}";
const PIPELINE = (enrich: Record<string, unknown> = {}) => `
  - name: embed
    type: embed
    from: events
    embed: { model: models/encoder }
  - name: enrich
    type: enrich
    from: embed
    enrich: ${JSON.stringify({ db: KB_REF, table: "kb", filterField: "tenant_id", fields: ["category", "tenant_id"], encoder: "models/encoder", ...enrich })}`;

interface Retrieval {
  table: string;
  version: number;
  ids: string[];
  distances: number[];
  fields: { category: string[]; tenant_id: string[] };
}
const run = async (enrich: Record<string, unknown>, values: unknown[] = events.map((e) => e.event)) => {
  const driver = await driverFor(PIPELINE(enrich), { sinkFrom: "enrich", env: { KB: db } });
  await driver.pipeInput(
    "enterprise-events",
    values.map((value) => ({ value })),
  );
  return driver;
};

beforeAll(async () => {
  db = await knowledgeBase(await sampleDocs(TENANTS));
});

describe("enrich", () => {
  it("returns the tenant's top-k documents, mostly of the event's category, with the pinned version", async () => {
    const driver = await run({ topK: 5 });
    const out = driver.readValues("out") as { tenant_id: string; retrieval: Retrieval }[];
    expect(out).toHaveLength(events.length);
    let right = 0;
    out.forEach((o, i) => {
      expect(o.retrieval.ids).toHaveLength(5);
      expect(o.retrieval.fields.tenant_id.every((t) => t === o.tenant_id)).toBe(true);
      expect([...o.retrieval.distances].sort((a, b) => a - b)).toEqual(o.retrieval.distances);
      expect(o.retrieval).toMatchObject({ table: "kb", version: out[0]?.retrieval.version });
      right += o.retrieval.fields.category.filter((c) => c === events[i]?.category).length / 5;
    });
    expect(right / out.length).toBeGreaterThan(0.85);
    await driver.close();
  });

  it("gives the same answers with one query per micro-batch and one per record; repeats hit the cache", async () => {
    const lancedb = { tier: "lancedb" };
    const batched = await run({ batchQuery: true, cache: { maxEntries: 0 }, memory: lancedb });
    const single = await run({ batchQuery: false, cache: { maxEntries: 0 }, memory: lancedb });
    const memory = await run({ cache: { maxEntries: 0 } });
    const strip = (d: typeof batched) =>
      (d.readValues("out") as { retrieval: Retrieval }[]).map((o) => o.retrieval.ids);
    expect(strip(batched)).toEqual(strip(single));
    expect(strip(memory)).toEqual(strip(single));
    const tiers = (d: typeof batched) =>
      (d.readValues("out") as { retrieval: { tier: string } }[]).map((o) => o.retrieval.tier);
    expect(new Set(tiers(memory))).toEqual(new Set(["memory"]));
    expect(new Set(tiers(batched))).toEqual(new Set(["lancedb"]));
    const cached = await run({ topK: 3, memory: lancedb });
    await cached.pipeInput(
      "enterprise-events",
      events.map((e) => ({ value: e.event })),
    );
    expect(cached.metrics()["enrich.cache_hits"]).toBe(events.length);
    for (const d of [batched, single, memory, cached]) await d.close();
  });

  it("keeps the version pinned at start unless refresh is latest (LanceDB at once, memory once reloaded)", async () => {
    const localDb = await knowledgeBase(await sampleDocs(1));
    const tenantOne = events
      .filter((e) => e.event.tenant_id === "tenant-001")
      .slice(0, 3)
      .map((e) => ({ value: e.event }));
    const make = (policy: string, tier = "auto") =>
      driverFor(PIPELINE({ refresh: { policy }, memory: { tier } }), { sinkFrom: "enrich", env: { KB: localDb } });
    const pinned = await make("pinned");
    const latest = await make("latest", "lancedb");
    const latestMemory = await make("latest");
    const newDoc = {
      doc_id: "kb-new-1",
      tenant_id: "tenant-001",
      category: "billing",
      title: "New",
      text: "charged twice refund invoice",
    };
    const updated = await updateKnowledgeBase([newDoc], { db: localDb, table: "kb", encoder: ENCODER_DIR });
    for (const d of [pinned, latest]) await d.pipeInput("enterprise-events", tenantOne);
    const versions = (d: typeof pinned) =>
      (d.readValues("out") as { retrieval: Retrieval }[]).map((o) => o.retrieval.version);
    expect(versions(latest)).toEqual([updated.version, updated.version, updated.version]);
    expect(versions(pinned).every((v) => v < updated.version)).toBe(true);
    // The memory tier keeps answering with the old version while the new one loads, then swaps it in whole.
    for (let i = 0; i < 50 && versions(latestMemory).at(-1) !== updated.version; i++) {
      await latestMemory.pipeInput("enterprise-events", tenantOne.slice(0, 1));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const seen = versions(latestMemory);
    expect(seen.at(-1)).toBe(updated.version);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    // …and answers as LanceDB does at the new version.
    const last = (d: typeof pinned) => d.readValues("out") as { retrieval: Retrieval }[];
    expect(last(latestMemory).at(-1)?.retrieval.ids).toEqual(last(latest)[0]?.retrieval.ids);
    for (const d of [pinned, latest, latestMemory]) await d.close();
  });

  it("dead-letters a vector of the wrong dimension, naming the field", async () => {
    const bad = { ...events[0]!.event, embedding: [0.1, 0.2, 0.3] };
    const driver = await driverFor(
      `  - name: enrich
    type: enrich
    from: events
    enrich: { db: "\${KB}", table: kb, vectorField: embedding }`,
      { sinkFrom: "enrich", env: { KB: db } },
    );
    await driver.pipeInput("enterprise-events", [{ value: bad }]);
    expect(driver.readValues("out")).toEqual([]);
    expect(driver.deadLetters()[0]?.reason).toMatch(/vector field embedding has dimension 3, table kb has 64/);
    await driver.close();
  });

  it("stops at start when the table is missing or was built by another encoder", async () => {
    await expect(driverFor(PIPELINE({ table: "nope" }), { sinkFrom: "enrich", env: { KB: db } })).rejects.toThrow(
      /knowledge-base table nope does not exist/,
    );
    const other = await mkdtemp(path.join(os.tmpdir(), "sluice-other-encoder-"));
    await cp(ENCODER_DIR, other, { recursive: true });
    await writeFile(path.join(other, "encoder.json"), JSON.stringify({ dim: 32, normalize: "l2", distance: "cosine" }));
    await expect(driverFor(PIPELINE({ encoder: other }), { sinkFrom: "enrich", env: { KB: db } })).rejects.toThrow(
      /table kb holds 64-d vectors but encoder .* makes 32-d/,
    );
  });
});
