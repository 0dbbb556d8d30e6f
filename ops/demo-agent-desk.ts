/**
 * The demo's second part: the agent-desk example (topologies/examples/agent-desk.yaml) on the same stack. A
 * router hands support events to the triage, fraud and sales agents; the fraud agent calls the payments-risk
 * tool over HTTP, the sales agent the CRM over MCP — both real servers that `sluice stack up` started. Checks, from
 * ClickHouse and from the servers' own counters: decisions per agent, and one call (one side effect, no repeated
 * request) per event that reached the agent calling that tool.
 */
import { createClient } from "@clickhouse/client";
import { endpoints, stackConfig } from "../stack/config.ts";
import { toolServerUrl } from "../stack/tools.ts";
import type { ServerCounters } from "../test/helpers/tool-servers.ts";
import { kafkaClientFor } from "../topologies/runtime/kafka/kafkajs-client.ts";
import { runUntilDrained, step } from "./demo-steps.ts";

const TOPOLOGY = "topologies/examples/agent-desk.yaml";
const TOPIC = "support-events";

async function counters(name: "payments-risk" | "crm"): Promise<ServerCounters> {
  const response = await fetch(`${toolServerUrl(stackConfig(), name)}/counters`);
  if (!response.ok) throw new Error(`${name} tool server: GET /counters answered ${response.status}`);
  return (await response.json()) as ServerCounters;
}

async function ensureTopics(): Promise<void> {
  const admin = kafkaClientFor({ clientId: "sluice-demo", brokers: endpoints().kafkaBrokers }).admin();
  await admin.connect();
  await admin
    .createTopics([
      { topic: TOPIC, partitions: 3 },
      { topic: "agent-desk-decisions", partitions: 3 },
      { topic: "agent-desk.dlq", partitions: 1 },
    ])
    .finally(() => admin.disconnect());
}

/** Runs the agent desk over `events` new support events and checks its decisions and tool calls. */
export async function agentDesk(events: number): Promise<void> {
  const since = Date.now() - 1000;
  await ensureTopics();
  const before = { risk: await counters("payments-risk"), crm: await counters("crm") };
  step(
    `produce ${events} support events for the agent desk`,
    "produce",
    "--topic",
    TOPIC,
    "--generate",
    String(events),
    "--key",
    "tenant_id",
    "--seed",
    String((Date.now() + 7) % 100_000),
  );
  await runUntilDrained(TOPOLOGY, 1, "run the agent desk (router → triage, fraud, sales agents) until drained");
  const after = { risk: await counters("payments-risk"), crm: await counters("crm") };
  const client = createClient({ url: endpoints().clickhouseUrl });
  const window = `source_topic = '${TOPIC}' AND decided_at >= toDateTime(${Math.floor(since / 1000)}) AND run_id = 'live'`;
  const query = async (sql: string) =>
    (await client.query({ query: sql, format: "JSONEachRow" })).json<Record<string, string | number>>();
  const byAgent = await query(
    `SELECT agent_id, decision, count() AS decisions FROM agent_decisions FINAL WHERE ${window}
     GROUP BY agent_id, decision ORDER BY agent_id, decisions DESC`,
  );
  const [visits] = await query(
    `SELECT count() AS rows,
            countIf(arrayExists(p -> like(p, 'fraud@%'), agent_path)) AS fraud_visits,
            countIf(arrayExists(p -> like(p, 'sales@%'), agent_path)) AS sales_visits
     FROM agent_decisions FINAL WHERE ${window}`,
  );
  await client.close();
  process.stdout.write("\n▶ agent desk decisions in ClickHouse (agent_decisions FINAL, this demo's support events)\n");
  console.table(byAgent);
  const delta = (a: ServerCounters, b: ServerCounters) => ({
    requests: b.requests - a.requests,
    effects: b.effects - a.effects,
  });
  const risk = delta(before.risk, after.risk);
  const crm = delta(before.crm, after.crm);
  const fraudVisits = Number(visits?.fraud_visits ?? 0);
  const salesVisits = Number(visits?.sales_visits ?? 0);
  process.stdout.write(
    `${visits?.rows} decisions; payments-risk (HTTP): ${risk.requests} requests, ${risk.effects} effects for ${fraudVisits} events the fraud agent saw; ` +
      `crm (MCP): ${crm.requests} requests, ${crm.effects} effects for ${salesVisits} events the sales agent saw\n`,
  );
  const failures = [
    Number(visits?.rows ?? 0) === 0 ? "no agent-desk decisions in ClickHouse" : "",
    risk.effects !== fraudVisits ? `payments-risk effects ${risk.effects} ≠ fraud agent events ${fraudVisits}` : "",
    crm.effects !== salesVisits ? `crm effects ${crm.effects} ≠ sales agent events ${salesVisits}` : "",
    risk.requests !== risk.effects ? `payments-risk saw ${risk.requests - risk.effects} repeated requests` : "",
    crm.requests !== crm.effects ? `crm saw ${crm.requests - crm.effects} repeated requests` : "",
  ].filter((f) => f !== "");
  if (failures.length > 0) {
    process.stderr.write(`demo: agent desk check failed: ${failures.join("; ")}\n`);
    process.exit(1);
  }
}
