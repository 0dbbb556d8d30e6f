/**
 * Long-term memory with a real embedded LanceDB under a tmp dir and the real encoder and classifier: `remember`
 * writes each routed decision (attributed: entity, agent id and version, lineage key, time; embedded) as a new
 * table version, a redelivery replaces its row instead of adding one, and `enrich`'s `recall` retrieves the
 * entity's memories (and only that entity's) next to the knowledge-base documents.
 */
import * as lancedb from "@lancedb/lancedb";
import { beforeAll, describe, expect, it } from "vitest";
import { generateLabelledEvents } from "../../../models/synthetic.ts";
import { TopologyTestDriver } from "../../../topologies/test-driver.ts";
import { parseTopology } from "../../../topologies/yaml-loader.ts";
import { knowledgeBase, ROOT, sampleDocs } from "../ai/helpers.ts";

let db: string;
beforeAll(async () => {
  db = await knowledgeBase(await sampleDocs(3));
});

const YAML = `
applicationId: memory-test
kafka: { brokers: "localhost:9092" }
sources:
  - name: events
    topic: enterprise-events
    value: { format: avro, schema: ${ROOT}/schemas/enterprise-event.avsc }
processors:
  - name: embed
    type: embed
    from: events
    embed: { model: models/encoder }
  - name: enrich
    type: enrich
    from: embed
    enrich:
      db: \${KB}
      table: kb
      filterField: tenant_id
      topK: 2
      recall: { entityField: tenant_id, topK: 5 }
  - name: classify
    type: infer
    from: enrich
    infer: { model: models/classifier }
  - name: desk
    type: route
    from: classify
    route: { match: "true" }
  - name: remember
    type: remember
    from: desk
    remember: { db: "\${KB}", encoder: models/encoder, entityField: tenant_id }
agents:
  - id: triage
    version: "1.4"
    processors:
      - name: decide
        type: decide
        decide: { fallback: escalate_to_human }
sinks:
  - name: out
    type: kafka
    from: remember
    kafka: { topic: out, value: { format: json } }
  - name: enriched
    type: kafka
    from: enrich
    kafka: { topic: enriched, value: { format: json } }
  - name: dlq
    type: dead-letter
`;

const open = () => {
  const loaded = parseTopology(YAML, { baseDir: ROOT, env: { KB: db } });
  return TopologyTestDriver.create(loaded.spec, { baseDir: ROOT, now: 1_767_225_600_000 });
};

interface Out {
  event_id: string;
  tenant_id: string;
  agent_id: string;
  memory: { table: string; version: number; memory_id: string };
}

describe("remember and recall", () => {
  const events = generateLabelledEvents(40, 5, { tenants: 3 }).map((l) => l.event);
  const tenantA = events.filter((e) => e.tenant_id === events[0]!.tenant_id).slice(0, 4);
  const tenantB = events.filter((e) => e.tenant_id !== tenantA[0]!.tenant_id).slice(0, 1);

  it("writes attributed, embedded memories and recalls them by entity next to the knowledge base", async () => {
    const writer = await open();
    await writer.pipeInput(
      "enterprise-events",
      tenantA.slice(0, 3).map((value) => ({ value })),
    );
    const written = writer.readValues("out") as Out[];
    expect(written).toHaveLength(3);
    expect(new Set(written.map((w) => w.memory.version)).size).toBe(1);
    expect(written[0]?.memory.memory_id).toBe("enterprise-events/0@0#live#triage");

    const table = await (await lancedb.connect(db)).openTable("agent_memory");
    const rows = (await table.query().toArray()) as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({
      entity: tenantA[0]!.tenant_id,
      agent_id: "triage",
      agent_version: "1.4",
      source_topic: "enterprise-events",
      created_at: 1_767_225_600_000,
    });
    expect(String(rows[0]?.summary)).toMatch(/^(auto_resolve|escalate_to_human|route_to_sales|flag_fraud): /);
    expect((rows[0]!.vector as { length: number }).length).toBe(64);
    const versionAfterFirst = await table.version();

    // The next event of the same tenant recalls the three memories; another tenant recalls none.
    await writer.pipeInput("enterprise-events", [{ value: tenantA[3]! }, { value: tenantB[0]! }]);
    const [a, b] = writer.readValues("enriched").slice(3) as Array<
      Out & { memories: { version: number; items: Array<Record<string, unknown>> } }
    >;
    expect(a?.memories.version).toBe(versionAfterFirst);
    expect(a?.memories.items.map((m) => m.memory_id).sort()).toEqual(written.map((w) => w.memory.memory_id).sort());
    expect(a?.memories.items.every((m) => m.entity === tenantA[0]!.tenant_id && m.agent_id === "triage")).toBe(true);
    expect(b?.memories.items).toEqual([]);
    expect((a as unknown as { retrieval: { ids: string[] } }).retrieval.ids).toHaveLength(2);
    await writer.close();

    // A fresh driver re-reads offsets 0.. (a redelivery): rows are replaced by memory id, not added.
    const again = await open();
    await again.pipeInput(
      "enterprise-events",
      tenantA.slice(0, 3).map((value) => ({ value })),
    );
    await table.checkoutLatest();
    expect(await table.countRows()).toBe(5);
    expect(await table.version()).toBeGreaterThan(versionAfterFirst);
    await again.close();
  });
});
