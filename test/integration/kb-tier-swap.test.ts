/**
 * A knowledge-base update while the reference topology runs (real broker, registry and ClickHouse; one `sluice run`
 * process): the in-memory tier is rebuilt for the new table version in the background and swapped in, and every
 * decision records the version and tier that answered it: before the update v1, after it v2, and a document
 * added by the update is only ever retrieved by decisions that say v2. Builds its own knowledge base in a temp folder.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@clickhouse/client";
import avsc from "avsc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../analytics/migrate.ts";
import { REPO_ROOT } from "../../ops/repo-root.ts";
import { buildKnowledgeBase, updateKnowledgeBase } from "../../processors/knowledge-base.ts";
import { produce } from "../../produce/produce.ts";
import { generate, type InputRecord } from "../../produce/readers.ts";
import { endpoints } from "../../stack/config.ts";
import { kafkaClientFor } from "../../topologies/runtime/kafka/kafkajs-client.ts";
import { uniqueName } from "../helpers/services.ts";
import { killAll, type SluiceProcess, startSluice } from "../helpers/sluice-process.ts";
import { createTopics, readTopic } from "../helpers/stream-io.ts";

const BEFORE = 400;
const AFTER = 400;
const dir = mkdtempSync(join(tmpdir(), "sluice-kb-swap-"));
const kbDb = join(dir, "lancedb");
const app = uniqueName("kbswap");
const topics = { events: `${app}-events`, decisions: `${app}-decisions` };
const decisionType = avsc.Type.forSchema(
  JSON.parse(readFileSync(join(REPO_ROOT, "schemas/agent-decision.avsc"), "utf8")),
);
const processes: SluiceProcess[] = [];
let topologyFile: string;

async function events(count: number, seed: number): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const r of generate(count, seed)) if ("value" in r) out.push(r.value);
  return out;
}

async function send(values: readonly Record<string, unknown>[]): Promise<void> {
  async function* records(): AsyncGenerator<InputRecord> {
    for (const [i, value] of values.entries()) yield { line: i + 1, raw: "", value };
  }
  const services = endpoints();
  const summary = await produce(records(), {
    kafka: kafkaClientFor({ brokers: services.kafkaBrokers }),
    registryUrl: services.schemaRegistryUrl,
    topic: topics.events,
    schemaFile: join(REPO_ROOT, "schemas/enterprise-event.avsc"),
    keyField: "tenant_id",
  });
  expect(summary.sent).toBe(values.length);
}

const decode = (value: unknown) => decisionType.fromBuffer((value as Buffer).subarray(5)) as Record<string, unknown>;

/** The decisions topic from the start until `count` distinct decisions (a redelivery counts once). */
async function decisions(count: number): Promise<Record<string, unknown>[]> {
  const out = await readTopic(topics.decisions, count, {
    timeoutMs: 120_000,
    distinct: (m) => String(decode(m.value).decision_id),
  });
  return out.map((m) => decode(m.value));
}

beforeAll(async () => {
  await migrate(endpoints().clickhouseUrl);
  await buildKnowledgeBase(join(REPO_ROOT, "models/kb/docs.jsonl"), {
    db: kbDb,
    table: "support_kb",
    encoder: join(REPO_ROOT, "models/encoder"),
  });
  await createTopics([
    { topic: topics.events, partitions: 3 },
    { topic: topics.decisions, partitions: 3 },
    { topic: `${app}.dlq`, partitions: 1 },
  ]);
  let text = readFileSync(join(REPO_ROOT, "topologies/examples/support-triage.yaml"), "utf8");
  text = text.replaceAll("../../", `${REPO_ROOT}/`);
  text = text.replace("applicationId: support-triage", `applicationId: ${app}`);
  text = text.replace("topic: enterprise-events", `topic: ${topics.events}`);
  text = text.replace("topic: agent-decisions", `topic: ${topics.decisions}`);
  text = text.replace(
    "refresh: { policy: interval, intervalMs: 60000 }",
    "refresh: { policy: interval, intervalMs: 500 }",
  );
  expect(text).toContain("intervalMs: 500");
  topologyFile = join(dir, "support-triage.yaml");
  writeFileSync(topologyFile, text);
});

afterAll(() => {
  killAll(processes);
  rmSync(dir, { recursive: true, force: true });
});

describe("knowledge-base update mid-run", () => {
  it("swaps the in-memory tier to the new version; decisions before and after record the right one", async () => {
    const before = await events(BEFORE, 101);
    const after = await events(AFTER, 202);
    const member = startSluice(["run", topologyFile], { SLUICE_KB_DB: kbDb });
    processes.push(member);
    await send(before);
    const first = await decisions(BEFORE);
    const v1 = first[0]?.kb_version as number;
    expect(first.every((d) => d.kb_version === v1 && d.kb_tier === "memory")).toBe(true);

    // The update adds, for 40 of the coming events, a document with exactly the event's text: its nearest neighbour.
    const copies = after.slice(0, 40).map((e, i) => ({
      doc_id: `kb-v2-${i}`,
      tenant_id: e.tenant_id,
      category: "billing",
      title: `Added by the update ${i}`,
      text: e.text,
    }));
    const updated = await updateKnowledgeBase(copies, {
      db: kbDb,
      table: "support_kb",
      encoder: join(REPO_ROOT, "models/encoder"),
    });
    expect(updated.version).toBeGreaterThan(v1);
    // A first wave after the update starts the background rebuild (it may still be answered by v1) …
    await send(after.slice(AFTER / 2));
    await decisions(BEFORE + AFTER / 2);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // … the second wave, carrying the copied texts, is answered by v2.
    await send(after.slice(0, AFTER / 2));
    const all = await decisions(BEFORE + AFTER);
    member.child.kill("SIGTERM");
    expect(await member.exited).toBe(0);

    const ids = (d: Record<string, unknown>) => d.retrieved_ids as string[];
    const byEvent = new Map(all.map((d) => [d.event_id, d]));
    expect(byEvent.size).toBe(BEFORE + AFTER);
    for (const e of before) expect(byEvent.get(e.event_id)?.kb_version).toBe(v1);
    for (const e of after.slice(0, AFTER / 2)) expect(byEvent.get(e.event_id)?.kb_version).toBe(updated.version);
    for (const d of all) {
      expect(d.kb_tier).toBe("memory");
      expect([v1, updated.version]).toContain(d.kb_version);
      if (ids(d).some((id) => id.startsWith("kb-v2-"))) expect(d.kb_version).toBe(updated.version);
    }
    copies.forEach((c, i) => {
      expect(ids(byEvent.get(after[i]?.event_id) as Record<string, unknown>)[0]).toBe(c.doc_id);
    });

    // ClickHouse has the tier and version of every decision too.
    const client = createClient({ url: endpoints().clickhouseUrl });
    try {
      const rows = await (
        await client.query({
          query: `SELECT kb_version, kb_tier, count() AS n FROM agent_decisions FINAL
                  WHERE source_topic = '${topics.events}' GROUP BY kb_version, kb_tier ORDER BY kb_version`,
          format: "JSONEachRow",
        })
      ).json<{ kb_version: number | string; kb_tier: string; n: number | string }>();
      expect(rows.map((r) => r.kb_tier)).toEqual(rows.map(() => "memory"));
      expect(rows.reduce((s, r) => s + Number(r.n), 0)).toBe(BEFORE + AFTER);
      expect(rows.map((r) => Number(r.kb_version))).toEqual([v1, updated.version]);
    } finally {
      await client.close();
    }
  });
});
