/**
 * The reference topology (topologies/examples/support-triage.yaml) on the real broker and registry: N synthetic
 * enterprise events in, N agent decisions out on the decisions topic, each with full lineage (source offsets,
 * writer schema id, model id and backend, KB table and version, retrieved ids, run id, per-stage times).
 * Needs the local stack (test/global-setup.ts); builds its own knowledge base in a temp folder.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@clickhouse/client";
import avsc from "avsc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../analytics/migrate.ts";
import { runSqlFile } from "../../analytics/sql.ts";
import { REPO_ROOT } from "../../ops/repo-root.ts";
import { buildKnowledgeBase } from "../../processors/knowledge-base.ts";
import { produce } from "../../produce/produce.ts";
import { generate, type InputRecord } from "../../produce/readers.ts";
import { endpoints } from "../../stack/config.ts";
import { kafkaClientFor } from "../../topologies/runtime/kafka/kafkajs-client.ts";
import { uniqueName } from "../helpers/services.ts";
import { killAll, type SluiceProcess, startSluice } from "../helpers/sluice-process.ts";
import { createTopics, readTopic } from "../helpers/stream-io.ts";

const EVENTS = 2000;
const POISON = 20;

/** Every 101st event gets an empty text: poison for the embed stage. */
async function* withEmptyTexts(records: AsyncIterable<InputRecord>): AsyncGenerator<InputRecord> {
  let i = 0;
  for await (const record of records) {
    if ("value" in record && i++ % 101 === 50) yield { ...record, value: { ...record.value, text: "" } };
    else yield record;
  }
}
const dir = mkdtempSync(join(tmpdir(), "sluice-triage-"));
const app = uniqueName("triage");
const topics = { events: `${app}-events`, decisions: `${app}-decisions`, dlq: `${app}.dlq` };
const decisionType = avsc.Type.forSchema(
  JSON.parse(readFileSync(join(REPO_ROOT, "schemas/agent-decision.avsc"), "utf8")),
);
const processes: SluiceProcess[] = [];
let topologyFile: string;

/** The example as shipped, pointed at this test's topics and knowledge base. */
function topologyText(): string {
  let text = readFileSync(join(REPO_ROOT, "topologies/examples/support-triage.yaml"), "utf8");
  text = text.replaceAll("../../", `${REPO_ROOT}/`);
  text = text.replace("applicationId: support-triage", `applicationId: ${app}`);
  text = text.replace("topic: enterprise-events", `topic: ${topics.events}`);
  return text.replace("topic: agent-decisions", `topic: ${topics.decisions}`);
}

async function clickhouse(query: string): Promise<Record<string, unknown>[]> {
  const client = createClient({ url: endpoints().clickhouseUrl });
  try {
    return await (await client.query({ query, format: "JSONEachRow" })).json();
  } finally {
    await client.close();
  }
}

beforeAll(async () => {
  await migrate(endpoints().clickhouseUrl);
  await buildKnowledgeBase(join(REPO_ROOT, "models/kb/docs.jsonl"), {
    db: join(dir, "lancedb"),
    table: "support_kb",
    encoder: join(REPO_ROOT, "models/encoder"),
  });
  await createTopics([
    { topic: topics.events, partitions: 3 },
    { topic: topics.decisions, partitions: 3 },
    { topic: topics.dlq, partitions: 1 },
  ]);
  topologyFile = join(dir, "support-triage.yaml");
  writeFileSync(topologyFile, topologyText());
});

afterAll(() => {
  killAll(processes);
  rmSync(dir, { recursive: true, force: true });
});

describe("support-triage on Kafka", () => {
  it("turns N events into N decisions with full lineage", async () => {
    const services = endpoints();
    const summary = await produce(withEmptyTexts(generate(EVENTS + POISON, 7)), {
      kafka: kafkaClientFor({ brokers: services.kafkaBrokers }),
      registryUrl: services.schemaRegistryUrl,
      topic: topics.events,
      schemaFile: join(REPO_ROOT, "schemas/enterprise-event.avsc"),
      keyField: "tenant_id",
    });
    expect(summary.sent).toBe(EVENTS + POISON);
    const member = startSluice(["run", topologyFile], { SLUICE_KB_DB: join(dir, "lancedb") });
    processes.push(member);
    const out = await readTopic(topics.decisions, EVENTS, { timeoutMs: 240_000 });
    member.child.kill("SIGTERM");
    expect(await member.exited).toBe(0);

    const decisions = out.map((m) => ({
      key: String(m.key),
      value: decisionType.fromBuffer((m.value as Buffer).subarray(5)) as Record<string, unknown>,
    }));
    expect(new Set(decisions.map((d) => d.value.event_id)).size).toBe(EVENTS);
    const offsets = new Set(decisions.map((d) => `${d.value.source_partition}@${d.value.source_offset}`));
    expect(offsets.size).toBe(EVENTS);
    for (const { key, value } of decisions) {
      expect(key).toBe(value.tenant_id);
      expect(value.source_topic).toBe(topics.events);
      expect(["auto_resolve", "escalate_to_human", "route_to_sales", "flag_fraud"]).toContain(value.decision);
      expect(value.reason).toBeTruthy();
      expect(value.application_id).toBe(app);
      expect(value.run_id).toBe("live");
      expect(value.writer_schema_id).toBeTypeOf("number");
      expect(value.model_id).toMatch(/^sha256:[0-9a-f]{16}$/);
      expect(value.encoder_model_id).toMatch(/^sha256:/);
      expect(value.model_backend).toBe("wasm");
      expect(value.kb_table).toBe("support_kb");
      expect(value.kb_version).toBeTypeOf("number");
      expect((value.retrieved_ids as string[]).length).toBe(5);
      expect((value.retrieved_distances as number[]).length).toBe(5);
      expect((value.stages as unknown[]).length).toBeGreaterThanOrEqual(4);
    }
    const decided = new Set(decisions.map((d) => d.value.decision));
    expect(decided.size).toBeGreaterThanOrEqual(3);
    // Events with an empty text are poison for the embed stage: dead-lettered with the reason, nothing else lost.
    const letters = await readTopic(topics.dlq, POISON, { timeoutMs: 30_000 });
    expect(letters).toHaveLength(POISON);
    for (const letter of letters) expect(String(letter.headers?.["sluice-dlq-processor"])).toBe("embed");
    const [dead] = await clickhouse(
      `SELECT count() AS n FROM dead_letters FINAL WHERE source_topic = '${topics.events}'`,
    );
    expect(Number(dead?.n)).toBe(POISON);

    // The same decisions in ClickHouse, exactly once per lineage key, with the audit trail of the run.
    const [rows] = await clickhouse(
      `SELECT count() AS n, uniqExact(source_topic, source_partition, source_offset, output_index, run_id) AS keys,
              uniqExact(model_id) AS models FROM agent_decisions FINAL WHERE source_topic = '${topics.events}'`,
    );
    expect(Number(rows?.n)).toBe(EVENTS);
    expect(Number(rows?.keys)).toBe(EVENTS);
    expect(Number(rows?.models)).toBe(1);
    const audit = await clickhouse(
      `SELECT event, model_ids, kb_table FROM audit_log WHERE application_id = '${app}' ORDER BY at`,
    );
    expect(audit.map((a) => a.event)).toEqual(["start", "stop"]);
    expect(audit[0]?.kb_table).toBe("support_kb");
    expect(audit[0]?.model_ids).toHaveLength(2);
    // Every analytics query of analytics/queries/ answers with rows on what this run wrote (18.16 here).
    for (const query of readdirSync(join(REPO_ROOT, "analytics/queries")).filter((f) => f.endsWith(".sql"))) {
      const answer = JSON.parse(
        await runSqlFile(endpoints().clickhouseUrl, join(REPO_ROOT, "analytics/queries", query), {
          format: "json",
        }),
      ) as unknown[];
      expect(answer.length, query).toBeGreaterThan(0);
    }
    const [metrics] = await clickhouse(
      `SELECT sum(records_in) AS n FROM pipeline_metrics WHERE application_id = '${app}'`,
    );
    expect(Number(metrics?.n)).toBe(EVENTS + POISON);
  });
});
