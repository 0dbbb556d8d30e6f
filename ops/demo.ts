/**
 * `npm run demo`: sluice's main job on the local stack, as a new user would run it step by step with the CLI —
 * stack up, ClickHouse tables, schemas, knowledge base, 20 000 synthetic events, the reference topology as 2
 * consumer-group instances until the topic is drained, then a decisions summary queried from ClickHouse; then the
 * agent-desk example (router → triage, fraud, sales agents calling the stack's tool servers), see demo-agent-desk.ts.
 * Usage: node --import tsx ops/demo.ts [events=20000]
 */
import { createClient } from "@clickhouse/client";
import { endpoints } from "../stack/config.ts";
import { kafkaClientFor } from "../topologies/runtime/kafka/kafkajs-client.ts";
import { agentDesk } from "./demo-agent-desk.ts";
import { runUntilDrained, step } from "./demo-steps.ts";

const EVENTS = Number(process.argv[2] ?? 20_000);
const TOPOLOGY = "topologies/examples/support-triage.yaml";

async function ensureTopics(): Promise<void> {
  const admin = kafkaClientFor({ clientId: "sluice-demo", brokers: endpoints().kafkaBrokers }).admin();
  await admin.connect();
  await admin
    .createTopics([
      { topic: "enterprise-events", partitions: 6 },
      { topic: "agent-decisions", partitions: 6 },
      { topic: "support-triage.dlq", partitions: 1 },
    ])
    .finally(() => admin.disconnect());
  process.stdout.write(`\n▶ topics: enterprise-events (6 partitions), agent-decisions (6), support-triage.dlq\n`);
}

async function summary(since: number): Promise<void> {
  const client = createClient({ url: endpoints().clickhouseUrl });
  const query = async (sql: string) =>
    (await client.query({ query: sql, format: "JSONEachRow" })).json<Record<string, unknown>>();
  const window = `decided_at >= toDateTime(${Math.floor(since / 1000)}) AND run_id = 'live'`;
  const byDecision = await query(
    `SELECT decision, count() AS decisions, round(avg(confidence), 3) AS avg_confidence, uniqExact(tenant_id) AS tenants
     FROM agent_decisions FINAL WHERE ${window} GROUP BY decision ORDER BY decisions DESC`,
  );
  const byTenant = await query(
    `SELECT tenant_id, count() AS decisions, round(countIf(decision = 'escalate_to_human') / count(), 3) AS escalation_rate
     FROM agent_decisions FINAL WHERE ${window} GROUP BY tenant_id ORDER BY decisions DESC LIMIT 5`,
  );
  const [lineage] = await query(
    `SELECT count() AS rows, uniqExact(source_topic, source_partition, source_offset, output_index, run_id) AS lineage_keys,
            any(model_id) AS model, any(model_backend) AS backend, any(kb_table) AS kb, max(kb_version) AS kb_version
     FROM agent_decisions FINAL WHERE ${window}`,
  );
  await client.close();
  process.stdout.write("\n▶ decisions in ClickHouse (agent_decisions FINAL, this demo's events)\n");
  console.table(byDecision);
  process.stdout.write("top tenants\n");
  console.table(byTenant);
  process.stdout.write(
    `${lineage?.rows} decisions, ${lineage?.lineage_keys} distinct lineage keys; model ${lineage?.model} on ${lineage?.backend}; knowledge base ${lineage?.kb} v${lineage?.kb_version}\n` +
      "more: sluice sql analytics/queries/escalation_rate_trend.sql   ·   sluice status topologies/examples/support-triage.yaml\n",
  );
}

const since = Date.now() - 1000;
step(
  "start the local stack (Kafka KRaft, Apicurio Registry, ClickHouse, the payments-risk and CRM tool servers)",
  "stack",
  "up",
);
step("create sluice's ClickHouse tables", "migrate");
step("register the Avro schemas", "schemas", "register");
await ensureTopics();
step(
  "build the knowledge base (LanceDB, embedded with the TF.js encoder)",
  "kb",
  "build",
  "--from",
  "models/kb/docs.jsonl",
  "--table",
  "support_kb",
);
step(
  `produce ${EVENTS} synthetic enterprise events`,
  "produce",
  "--topic",
  "enterprise-events",
  "--generate",
  String(EVENTS),
  "--key",
  "tenant_id",
  "--seed",
  String(Date.now() % 100_000),
);
await runUntilDrained(
  TOPOLOGY,
  2,
  "run the reference topology as 2 consumer-group instances until the topic is drained",
);
await summary(since);
await agentDesk(Math.max(200, Math.floor(EVENTS / 10)));
