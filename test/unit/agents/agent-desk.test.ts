/**
 * The example topology file itself (topologies/examples/agent-desk.yaml) through the test driver, with a real
 * LanceDB knowledge base in a tmp dir and the real models: every event gets a schema-valid AgentDecision from
 * the agent whose capabilities hold its classifier's top class (or a hand-off from triage), with agent_id,
 * agent_version and agent_path; every decision is remembered and recalled for the tenant's next events. The fraud
 * and sales agents call the real tool servers of ops/tools/ (payments-risk over HTTP, the CRM over MCP), started
 * here as processes: each server counts one call per event its agent saw.
 */
import path from "node:path";
import * as lancedb from "@lancedb/lancedb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateLabelledEvents } from "../../../models/synthetic.ts";
import type { AgentDecision } from "../../../processors/agent-decision.ts";
import { TopologyTestDriver } from "../../../topologies/test-driver.ts";
import { loadTopologyFile } from "../../../topologies/yaml-loader.ts";
import { startToolServer, type ToolServer } from "../../helpers/tool-servers.ts";
import { knowledgeBase, ROOT, sampleDocs } from "../ai/helpers.ts";

const FILE = path.join(ROOT, "topologies/examples/agent-desk.yaml");
let db: string;
let risk: ToolServer;
let crm: ToolServer;

beforeAll(async () => {
  db = await knowledgeBase(await sampleDocs(10));
  risk = await startToolServer("payments-risk-server");
  crm = await startToolServer("crm-mcp-server");
});

afterAll(async () => {
  await risk?.stop();
  await crm?.stop();
});

type Routed = AgentDecision & { agent_id: string; agent_version: string; agent_path: string[] };
const OWNER: Record<string, string> = { flag_fraud: "fraud", route_to_sales: "sales" };

describe("agent-desk.yaml", () => {
  it("routes every event to the agent of its top class, hands off from triage, remembers every decision", async () => {
    const env = { SLUICE_KB_DB: db, SLUICE_KB_TABLE: "kb", SLUICE_RISK_URL: risk.url, SLUICE_CRM_URL: crm.url };
    const loaded = loadTopologyFile(FILE, { env: { ...process.env, ...env } });
    const driver = await TopologyTestDriver.create(loaded.spec, { baseDir: loaded.baseDir, now: 1_767_225_600_000 });
    const events = generateLabelledEvents(300, 4242, { tenants: 10 }).map((l) => l.event);
    await driver.pipeInput(
      "support-events",
      events.map((value) => ({ value })),
    );
    const out = driver.readValues("agent-decisions") as Routed[];
    expect(driver.deadLetters()).toEqual([]);
    expect(out.map((d) => d.event_id)).toEqual(events.map((e) => e.event_id));
    const agents = new Map<string, number>();
    for (const d of out) {
      const top = Object.entries(d.scores).reduce((a, b) => (b[1] > a[1] ? b : a))[0];
      const first = d.agent_path[0]?.split("@")[0];
      expect(first).toBe(OWNER[top] ?? "triage");
      expect(d.agent_path.at(-1)).toBe(`${d.agent_id}@1.0.0`);
      expect(d.agent_version).toBe("1.0.0");
      if (d.agent_path.length > 1) {
        expect(first).toBe("triage");
        expect(["fraud@1.0.0", "sales@1.0.0"]).toContain(d.agent_path[1]);
      }
      agents.set(d.agent_id, (agents.get(d.agent_id) ?? 0) + 1);
    }
    expect(out.filter((d) => d.agent_path.length > 1).length).toBeGreaterThan(0);
    // All three agents decided something, and the per-agent counters add up to the visits.
    expect([...agents.keys()].sort()).toEqual(["fraud", "sales", "triage"]);
    const m = driver.metrics();
    const visits = out.reduce((n, d) => n + d.agent_path.length, 0);
    expect(
      (m["desk.agent.triage.records"] ?? 0) +
        (m["desk.agent.fraud.records"] ?? 0) +
        (m["desk.agent.sales.records"] ?? 0),
    ).toBe(visits);

    // One call per event an agent with a tool saw, each with its own idempotency key.
    const saw = (agent: string) => out.filter((d) => d.agent_path.some((p) => p.startsWith(`${agent}@`))).length;
    const [riskCalls, crmCalls] = [await risk.counters(), await crm.counters()];
    expect([riskCalls.requests, riskCalls.effects]).toEqual([saw("fraud"), saw("fraud")]);
    expect([crmCalls.requests, crmCalls.effects]).toEqual([saw("sales"), saw("sales")]);

    const table = await (await lancedb.connect(db)).openTable("agent_memory");
    expect(await table.countRows()).toBe(events.length);
    await driver.close();
  });
});
