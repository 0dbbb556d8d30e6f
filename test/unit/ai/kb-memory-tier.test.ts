/**
 * The in-memory exact tier of `enrich` against LanceDB on the reference knowledge base (models/kb, 2,880 docs of
 * 40 tenants, built by the real encoder into a temp folder): for 1,000 encoded events, the tenant's top-5 has the
 * same ids in the same order as LanceDB's exact (index-bypassing) search, distances within 1e-5; a table over the
 * memory budget is answered by LanceDB, and the processor says so in its log and in `sluice_kb_tier_bytes`.
 */
import { Writable } from "node:stream";
import * as lancedb from "@lancedb/lancedb";
import { pino } from "pino";
import { beforeAll, describe, expect, it } from "vitest";
import { registry } from "../../../core/metrics.ts";
import { generateLabelledEvents } from "../../../models/synthetic.ts";
import { groupKey, MemoryTier } from "../../../processors/kb-memory-tier.ts";
import { loadTextEncoder } from "../../../processors/text-encoder.ts";
import { TopologyTestDriver } from "../../../topologies/test-driver.ts";
import { parseTopology } from "../../../topologies/yaml-loader.ts";
import { ENCODER_DIR, KB_DOCS, knowledgeBase, ROOT } from "./helpers.ts";

const QUERIES = 1000;
const K = 5;
let db: string;
const events = generateLabelledEvents(QUERIES, 23, { tenants: 40 }).map((e) => e.event);

beforeAll(async () => {
  const { readDocsJsonl } = await import("../../../processors/kb-docs.ts");
  db = await knowledgeBase(await readDocsJsonl(KB_DOCS));
});

describe("in-memory knowledge-base tier", () => {
  it("returns LanceDB's exact top-5 for 1,000 queries: same ids, same order, distances within 1e-5", async () => {
    const table = await (await lancedb.connect(db)).openTable("kb");
    const version = await table.version();
    const tier = await MemoryTier.load(table, version, {
      idColumn: "doc_id",
      filterColumn: "tenant_id",
      fields: ["category"],
      dim: 64,
    });
    expect(tier.rows).toBe(2880);
    const encoder = await loadTextEncoder(ENCODER_DIR);
    const vectors = encoder.encode(events.map((e) => e.text));
    let ties = 0;
    for (const [i, event] of events.entries()) {
      const v = vectors[i] as Float32Array;
      const [mine] = tier.search([v], groupKey(event.tenant_id), K);
      const exact = (await table
        .vectorSearch(Array.from(v))
        .distanceType("cosine")
        .where(`tenant_id = '${event.tenant_id}'`)
        .bypassVectorIndex()
        .limit(K)
        .select(["doc_id", "category", "_distance"])
        .toArray()) as { doc_id: string; category: string; _distance: number }[];
      expect(mine?.ids).toHaveLength(exact.length);
      exact.forEach((row, r) => {
        expect(Math.abs((mine?.distances[r] as number) - row._distance)).toBeLessThan(1e-5);
      });
      // Ties: documents at the same distance (within float32 rounding) may come in either order; compare each run
      // of equal distances as a set, except a run cut by k, whose members need only tie with the boundary.
      const runs: number[][] = [];
      exact.forEach((row, r) => {
        const last = runs.at(-1);
        if (last && Math.abs(row._distance - (exact[last[0] as number]?._distance as number)) < 1e-6) last.push(r);
        else runs.push([r]);
      });
      for (const run of runs) {
        const want = run.map((r) => exact[r]?.doc_id);
        const got = run.map((r) => mine?.ids[r]);
        if (run.length === 1) expect(got).toEqual(want);
        else {
          ties++;
          if (run.at(-1) !== K - 1) expect(new Set(got)).toEqual(new Set(want));
        }
      }
      expect(mine?.fields.category).toHaveLength(exact.length);
    }
    expect(ties).toBeLessThan(QUERIES / 10); // ties are rare: the order check above covers almost every query
    table.close();
  });

  it("falls back to LanceDB over its memory budget, and says so in the log and the metric", async () => {
    const lines: string[] = [];
    const logger = pino(
      { level: "info" },
      new Writable({
        write(chunk, _enc, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const yaml = (maxBytes: number) => `
applicationId: ai-kb-tier
kafka: { brokers: "localhost:9092" }
processing: { batch: { maxRecords: 64, maxWaitMs: 5 } }
sources:
  - { name: events, topic: enterprise-events, value: { format: json } }
processors:
  - { name: embed, type: embed, from: events, embed: { model: models/encoder } }
  - name: enrich-${maxBytes}
    type: enrich
    from: embed
    enrich: { db: "${db}", table: kb, filterField: tenant_id, memory: { maxBytes: ${maxBytes} } }
sinks:
  - { name: out, type: kafka, from: enrich-${maxBytes}, kafka: { topic: out, value: { format: json } } }
`;
    const tiersOf = async (maxBytes: number) => {
      const loaded = parseTopology(yaml(maxBytes), { baseDir: ROOT, env: process.env });
      const driver = await TopologyTestDriver.create(loaded.spec, { baseDir: loaded.baseDir, logger });
      await driver.pipeInput(
        "enterprise-events",
        events.slice(0, 20).map((value) => ({ value })),
      );
      const out = driver.readValues("out") as { retrieval: { tier: string; ids: string[] } }[];
      const gauge = await registry.getSingleMetric("sluice_kb_tier_bytes")?.get();
      const series = gauge?.values.filter((s) => s.labels.processor === `enrich-${maxBytes}`) ?? [];
      return { out, series, driver };
    };
    const small = await tiersOf(100_000);
    expect(new Set(small.out.map((o) => o.retrieval.tier))).toEqual(new Set(["lancedb"]));
    expect(small.series.map((s) => [s.labels.tier, s.value])).toEqual([["lancedb", 0]]);
    expect(lines.join("")).toMatch(/over enrich.memory.maxBytes \(100000\): querying LanceDB instead/);
    const big = await tiersOf(256 * 1024 * 1024);
    expect(new Set(big.out.map((o) => o.retrieval.tier))).toEqual(new Set(["memory"]));
    expect(big.series.map((s) => s.labels.tier)).toEqual(["memory"]);
    expect(big.series[0]?.value).toBeGreaterThan(2880 * 64 * 4);
    expect(big.out.map((o) => o.retrieval.ids)).toEqual(small.out.map((o) => o.retrieval.ids));
    for (const d of [small.driver, big.driver]) await d.close();
  });
});
