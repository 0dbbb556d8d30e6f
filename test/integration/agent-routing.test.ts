/**
 * A routing topology on the real stack: `sluice run` reads JSON support events from Kafka, a `route` sends each to
 * the triage, fraud or sales agent by capability (unmatched ones to triage, large amounts handed off from triage
 * to fraud) and the decisions land in ClickHouse `agent_decisions` with agent_id, agent_version and agent_path
 * (migration 0007), exactly once per lineage key. Needs the local stack (test/global-setup.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@clickhouse/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../analytics/migrate.ts";
import { endpoints } from "../../stack/config.ts";
import { uniqueName } from "../helpers/services.ts";
import { killAll, type SluiceProcess, startSluice } from "../helpers/sluice-process.ts";
import { createTopics, kafka, readTopic } from "../helpers/stream-io.ts";

const EVENTS = 300;
const dir = mkdtempSync(join(tmpdir(), "sluice-agents-"));
const app = uniqueName("agents");
const topics = { events: `${app}-events`, decisions: `${app}-decisions`, dlq: `${app}.dlq` };
const processes: SluiceProcess[] = [];
const file = join(dir, "agent-routing.yaml");

const TOPOLOGY = `
applicationId: ${app}
kafka: { brokers: "${endpoints().kafkaBrokers.join(",")}" }
clickhouse: { url: "${endpoints().clickhouseUrl}" }
processing: { commitIntervalMs: 1000, batch: { maxRecords: 64, maxWaitMs: 10 } }
sources:
  - name: events
    topic: ${topics.events}
    value: { format: json }
processors:
  - name: desk
    type: route
    from: events
    route: { match: value.event_type in agent.capabilities, fallback: triage, maxHops: 1 }
agents:
  - id: triage
    version: "1.0.0"
    capabilities: [question, complaint]
    processors:
      - name: decide
        type: decide
        decide:
          rules: [{ name: large-amount, when: 'value.amount > 1000.0', decision: flag_fraud }]
          fallback: auto_resolve
    handoff: [{ when: 'value.decision == "flag_fraud"', to: fraud }]
  - id: fraud
    version: "2.0.0"
    capabilities: [payment_dispute]
    processors:
      - name: decide
        type: decide
        decide:
          rules: [{ name: disputes, when: 'true', decision: flag_fraud }]
  - id: sales
    version: "3.0.0"
    capabilities: [upgrade]
    processors:
      - name: decide
        type: decide
        decide:
          rules: [{ name: leads, when: 'true', decision: route_to_sales }]
sinks:
  - name: decisions
    type: kafka
    from: desk
    kafka: { topic: ${topics.decisions}, value: { format: json } }
  - name: decisions-table
    type: clickhouse
    from: desk
    clickhouse: { table: agent_decisions }
  - name: dlq
    type: dead-letter
`;

const TYPES = ["question", "complaint", "payment_dispute", "upgrade", "other"] as const;
const event = (i: number) => ({
  event_id: `${app}-${i}`,
  tenant_id: `tenant-${i % 7}`,
  event_type: TYPES[i % TYPES.length],
  amount: i % 10 === 0 ? 5000.0 : 10.5,
  event_time: 1_767_225_600_000 + i,
  inference: { scores: { auto_resolve: 0.5, escalate_to_human: 0.5 }, model_id: "rules-only" },
});
/** Which agent should decide event i, and through which agents. */
function expected(i: number): string[] {
  const e = event(i);
  if (e.event_type === "payment_dispute") return ["fraud@2.0.0"];
  if (e.event_type === "upgrade") return ["sales@3.0.0"];
  return e.amount > 1000 ? ["triage@1.0.0", "fraud@2.0.0"] : ["triage@1.0.0"];
}

/** A port nothing listens on now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  await migrate(endpoints().clickhouseUrl);
  await createTopics([
    { topic: topics.events, partitions: 3 },
    { topic: topics.decisions, partitions: 3 },
    { topic: topics.dlq, partitions: 1 },
  ]);
  writeFileSync(file, TOPOLOGY);
});

afterAll(() => {
  killAll(processes);
  rmSync(dir, { recursive: true, force: true });
});

describe("agent routing on Kafka and ClickHouse", () => {
  it("sends each event to the right agent and records agent_id, agent_version and agent_path per row", async () => {
    const producer = kafka().producer();
    await producer.connect();
    await producer.send(
      topics.events,
      Array.from({ length: EVENTS }, (_, i) => ({ key: `tenant-${i % 7}`, value: JSON.stringify(event(i)) })),
    );
    await producer.disconnect();

    const port = await freePort();
    const member = startSluice(["run", file, "--metrics-port", String(port)]);
    processes.push(member);
    const out = await readTopic(topics.decisions, EVENTS, {
      timeoutMs: 45_000,
      distinct: (m) => JSON.parse(String(m.value)).event_id,
    });
    // Per-agent metrics on the member's /metrics: every event counted once by the agent(s) that saw it.
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const count = (agent: string) =>
      Number(
        new RegExp(`^sluice_agent_records_total\\{[^}]*agent="${agent}"[^}]*\\} (\\d+)`, "m").exec(text)?.[1] ?? 0,
      );
    const visits = Array.from({ length: EVENTS }, (_, i) => expected(i)).flat();
    const seen = (id: string) => visits.filter((v) => v.startsWith(`${id}@`)).length;
    expect([count("triage"), count("fraud"), count("sales")]).toEqual([seen("triage"), seen("fraud"), seen("sales")]);
    expect(text).toMatch(/sluice_agent_handoffs_total\{[^}]*from="triage"[^}]*to="fraud"[^}]*\} [1-9]/);
    member.child.kill("SIGTERM");
    expect(await member.exited, member.output()).toBe(0);
    expect(new Set(out.map((m) => JSON.parse(String(m.value)).event_id)).size).toBe(EVENTS);

    const client = createClient({ url: endpoints().clickhouseUrl });
    try {
      const rows = await (
        await client.query({
          query: `SELECT event_id, decision, agent_id, agent_version, agent_path FROM agent_decisions FINAL
                  WHERE source_topic = '${topics.events}'`,
          format: "JSONEachRow",
        })
      ).json<{ event_id: string; decision: string; agent_id: string; agent_version: string; agent_path: string[] }>();
      expect(rows).toHaveLength(EVENTS);
      const byEvent = new Map(rows.map((r) => [r.event_id, r]));
      for (let i = 0; i < EVENTS; i++) {
        const row = byEvent.get(`${app}-${i}`);
        const path = expected(i);
        const [id, version] = (path.at(-1) as string).split("@");
        expect(row, `event ${i}`).toMatchObject({ agent_id: id, agent_version: version, agent_path: path });
      }
      const agents = new Set(rows.map((r) => r.agent_id));
      expect([...agents].sort()).toEqual(["fraud", "sales", "triage"]);
    } finally {
      await client.close();
    }
  }, 90_000);
});
