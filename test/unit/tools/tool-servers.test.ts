/**
 * The `tool` processor against the real tool servers of ops/tools/, each started as its own process (and stopped
 * by pid): the payments-risk HTTP server (Idempotency-Key, bearer auth from ${VAR}, 4xx and schema failures to
 * the DLQ, the rate limit counted per second at the server, the journal, dry-run, the circuit opening while the
 * server is down) and the CRM MCP server (tool and schemas listed from the server, `_meta.idempotencyKey`).
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { TransientError } from "../../../core/errors.ts";
import { registry } from "../../../core/metrics.ts";
import { REPO_ROOT } from "../../../ops/repo-root.ts";
import { configureToolReplay } from "../../../processors/tools/replay-mode.ts";
import { compileTopology } from "../../../topologies/compiler.ts";
import { TopologyTestDriver } from "../../../topologies/test-driver.ts";
import { parseTopology } from "../../../topologies/yaml-loader.ts";
import { startToolServer, type ToolServer } from "../../helpers/tool-servers.ts";
import { payment, paymentsTopology, RISK_ARGUMENTS, RISK_SCHEMAS, sharedEngines, toolDriver } from "./helpers.ts";

const httpTool = (extra = "") => `  - name: risk
    description: Scores a payment's risk
${RISK_SCHEMAS}
    transport:
      type: http
      method: POST
      url: \${RISK_URL}/risk/{account_id}
      auth:
        bearer: \${RISK_TOKEN}
    timeoutMs: 1000
    retry: { attempts: 2, initialDelayMs: 20, maxDelayMs: 50 }
    circuitBreaker: { consecutiveFailures: 2, halfOpenAfterMs: 500 }
${extra}`;

async function circuitOpen(app: string, tool: string): Promise<number | undefined> {
  const metric = await registry.getSingleMetric("sluice_tool_circuit_open")?.get();
  return metric?.values.find((v) => v.labels.topology === app && v.labels.tool === tool)?.value;
}

describe("tool processor with the payments-risk HTTP server", () => {
  let server: ToolServer;
  const drivers: TopologyTestDriver[] = [];
  const open = async (yaml: string, options: Parameters<typeof toolDriver>[1] = {}) => {
    const env = { RISK_URL: server.url, RISK_TOKEN: "s3cret" };
    const driver = await toolDriver(yaml, { ...options, env });
    drivers.push(driver);
    return driver;
  };
  beforeAll(async () => {
    server = await startToolServer("payments-risk-server", ["--token", "s3cret"]);
  });
  afterEach(async () => {
    configureToolReplay({});
    for (const d of drivers.splice(0)) await d.close();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("calls once per record with its Idempotency-Key; a redelivery makes 0 calls; 4xx and bad output go to the DLQ", async () => {
    const before = await server.counters();
    const engines = sharedEngines();
    const records = [payment("a-1", 1), payment("blocked-1", 10), payment("malformed-1", 10), payment("a-2", 5e4)];
    const first = await open(paymentsTopology(httpTool(), RISK_ARGUMENTS, "http-journal"), { engines });
    await first.pipeInput("payments", records);
    const out = first.readValues("out") as Array<{ risk: { level: string } }>;
    expect(out.map((v) => v.risk.level)).toEqual(["low", "high"]);
    expect(first.deadLetters().map((d) => d.reason)).toEqual([
      expect.stringMatching(/tool risk answered 422: .*account blocked-1 is blocked/),
      expect.stringMatching(/result fails the output schema/),
    ]);
    const after = await server.counters();
    expect(after.requests - before.requests).toBe(4);
    expect(after.missingKey).toBe(0);
    expect(after.keys).toContain("http-journal/payments/0@0/risk/risk");

    const again = await open(paymentsTopology(httpTool(), RISK_ARGUMENTS, "http-journal"), { engines });
    await again.pipeInput("payments", records);
    expect((await server.counters()).requests).toBe(after.requests);
    expect(again.readValues("out")).toEqual(
      first.readValues("out").map((v) => expect.objectContaining({ risk: (v as { risk: unknown }).risk })),
    );
    expect(again.deadLetters()).toHaveLength(2);
  });

  it("a wrong bearer token is a 401: poison, with the reason", async () => {
    const driver = await toolDriver(paymentsTopology(httpTool(), RISK_ARGUMENTS, "http-auth"), {
      env: { RISK_URL: server.url, RISK_TOKEN: "wrong" },
    });
    drivers.push(driver);
    await driver.pipeInput("payments", [payment("a-1", 1)]);
    expect(driver.deadLetters()[0]?.reason).toMatch(/answered 401/);
  });

  it("the per-tool rate limit holds, counted per second at the server", async () => {
    const limited = httpTool("    rateLimit: { perTool: { perSecond: 5, burst: 1 } }");
    const driver = await open(paymentsTopology(limited, RISK_ARGUMENTS, "http-rate"));
    const before = await server.counters();
    const started = Date.now();
    await driver.pipeInput(
      "payments",
      Array.from({ length: 16 }, (_, i) => payment(`r-${i}`, i)),
    );
    const seconds = (Date.now() - started) / 1000;
    const after = await server.counters();
    expect(after.requests - before.requests).toBe(16);
    // Requests per wall-clock second at the server, this test's only (earlier tests' are subtracted).
    const perSecond = Object.entries(after.perSecond).map(([s, n]) => n - (before.perSecond[s] ?? 0));
    expect(perSecond.reduce((a, b) => a + b, 0)).toBe(16);
    expect(Math.max(...perSecond)).toBeLessThanOrEqual(6);
    expect(seconds).toBeGreaterThanOrEqual(2.8);
  });

  it("dry-run in a replay validates and records the calls but makes none", async () => {
    configureToolReplay({ mode: "dry-run" });
    const driver = await open(paymentsTopology(httpTool(), RISK_ARGUMENTS, "http-dry"), { runId: "replay-dry" });
    const before = await server.counters();
    await driver.pipeInput("payments", [payment("a-1", 1), payment("a-2", 2)]);
    expect((await server.counters()).requests).toBe(before.requests);
    const values = driver.readValues("out") as Array<{ tool_calls: Array<{ status: string }> }>;
    expect(values.map((v) => v.tool_calls[0]?.status)).toEqual(["dry_run", "dry_run"]);
  });

  it("with the server down the batch fails as transient and the circuit opens; it closes once the server is back", async () => {
    const down = await startToolServer("payments-risk-server", ["--token", "s3cret"]);
    let back: ToolServer | undefined;
    try {
      const port = down.port;
      const env = { RISK_URL: down.url, RISK_TOKEN: "s3cret" };
      const driver = await toolDriver(paymentsTopology(httpTool(), RISK_ARGUMENTS, "http-down"), { env });
      drivers.push(driver);
      await driver.pipeInput("payments", [payment("a-0", 1)]);
      await down.stop();
      const failure = await driver.pipeInput("payments", [payment("a-1", 1)]).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(TransientError);
      expect(await circuitOpen("http-down", "risk")).toBe(1);
      const open = await driver.pipeInput("payments", [payment("a-2", 1)]).catch((e: unknown) => e);
      expect((open as Error).message).toMatch(/circuit open/);
      back = await startToolServer("payments-risk-server", ["--token", "s3cret", "--port", String(port)]);
      await new Promise((r) => setTimeout(r, 600));
      await driver.pipeInput("payments", [payment("a-3", 1)]);
      expect(await circuitOpen("http-down", "risk")).toBe(0);
      expect((await back.counters()).requests).toBe(1);
    } finally {
      await down.stop();
      await back?.stop();
    }
  });
});

describe("tool processor with the CRM MCP server", () => {
  let server: ToolServer;
  const drivers: TopologyTestDriver[] = [];
  beforeAll(async () => {
    server = await startToolServer("crm-mcp-server");
  });
  afterEach(async () => {
    for (const d of drivers.splice(0)) await d.close();
  });
  afterAll(async () => {
    await server?.stop();
  });

  const YAML = `
applicationId: crm-test
kafka: { brokers: localhost:9092 }
sources:
  - name: tickets
    topic: tickets
    value: { format: json }
tools:
  - name: crm
    transport: { type: mcp, url: "\${CRM_URL}/mcp", tool: crm_lookup }
processors:
  - name: lookup
    type: tool
    from: tickets
    tool: { call: crm, arguments: { customer_id: value.customer } }
sinks:
  - name: out
    type: kafka
    from: lookup
    kafka: { topic: enriched, value: { format: json } }
  - name: dlq
    type: dead-letter
`;

  it("lists the tool and its schemas from the server, calls it with _meta.idempotencyKey, journals the result", async () => {
    const engines = sharedEngines();
    const env = { CRM_URL: server.url };
    const first = await toolDriver(YAML, { engines, env });
    drivers.push(first);
    await first.pipeInput("tickets", [
      { key: "c1", value: { customer: "cust-1" } },
      { key: "c2", value: { customer: "unknown-9" } },
      { key: "c3", value: { customer: 42 } },
    ]);
    const out = first.readValues("out") as Array<{ crm: Record<string, unknown> }>;
    expect(out).toHaveLength(1);
    expect(out[0]?.crm).toEqual(expect.objectContaining({ customer_id: "cust-1", tier: expect.any(String) }));
    const reasons = first.deadLetters().map((d) => d.reason);
    expect(reasons[0]).toMatch(/returned an error: .*no customer unknown-9/);
    // The input schema came from the server's tools/list: a number is refused before any call.
    expect(reasons[1]).toMatch(/arguments fail the input schema: \/customer_id must be string/);
    const counters = await server.counters();
    expect(counters.requests).toBe(2);
    expect(counters.keys).toEqual(["crm-test/tickets/0@0/lookup/crm"]);

    const again = await toolDriver(YAML, { engines, env });
    drivers.push(again);
    await again.pipeInput("tickets", [{ key: "c1", value: { customer: "cust-1" } }]);
    expect((await server.counters()).requests).toBe(2);
    expect((again.readValues("out")[0] as { crm: unknown }).crm).toEqual(out[0]?.crm);
  });
});

describe("tool processor with the CRM MCP server over stdio", () => {
  it("starts the server as its child, lists and calls the tool, and stops the child when the topology closes", async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    const server = join(REPO_ROOT, "ops/tools/crm-mcp-server.ts");
    const yaml = `
applicationId: crm-stdio
kafka: { brokers: localhost:9092 }
sources:
  - { name: tickets, topic: tickets, value: { format: json } }
tools:
  - name: crm
    transport: { type: mcp, tool: crm_lookup, command: [node, --import, tsx, "${server}", --stdio, --port, "${port}"] }
processors:
  - name: lookup
    type: tool
    from: tickets
    tool: { call: crm, arguments: { customer_id: value.customer } }
sinks:
  - { name: out, type: kafka, from: lookup, kafka: { topic: enriched, value: { format: json } } }
`;
    const driver = await toolDriver(yaml);
    let pid = 0;
    try {
      await driver.pipeInput("tickets", [{ key: "c1", value: { customer: "cust-7" } }]);
      expect((driver.readValues("out")[0] as { crm: { customer_id: string } }).crm.customer_id).toBe("cust-7");
      const counters = (await (await fetch(`http://127.0.0.1:${port}/counters`)).json()) as {
        keys: string[];
        pid: number;
      };
      expect(counters.keys).toEqual(["crm-stdio/tickets/0@0/lookup/crm"]);
      pid = counters.pid;
    } finally {
      await driver.close();
    }
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 50 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
    if (alive()) process.kill(pid, "SIGKILL");
    expect(alive()).toBe(false);
  });
});

describe("topologies/examples/payments-risk.yaml", () => {
  it("scores over HTTP and looks up over MCP, against both real servers", async () => {
    const risk = await startToolServer("payments-risk-server");
    const crm = await startToolServer("crm-mcp-server");
    let driver: TopologyTestDriver | undefined;
    try {
      const file = join(REPO_ROOT, "topologies/examples/payments-risk.yaml");
      const loaded = parseTopology(readFileSync(file, "utf8"), {
        file,
        baseDir: join(REPO_ROOT, "topologies/examples"),
        env: { RISK_URL: risk.url, CRM_URL: crm.url },
      });
      driver = await TopologyTestDriver.create(compileTopology(loaded));
      await driver.pipeInput("payments", [
        { key: "p1", value: { account: "acct-1", customer: "cust-1", amount: 120, tenant_id: "t1" } },
        { key: "p2", value: { account: "blocked-2", customer: "cust-2", amount: 5, tenant_id: "t1" } },
      ]);
      const [scored] = driver.readValues("scored") as Array<{ risk: { level: string }; crm: { tier: string } }>;
      expect(scored?.risk.level).toMatch(/low|medium|high/);
      expect(scored?.crm.tier).toMatch(/free|pro|enterprise/);
      expect(driver.deadLetters().map((d) => d.processor)).toEqual(["risk"]);
      expect((await risk.counters()).requests).toBe(2);
      expect((await crm.counters()).requests).toBe(1);
    } finally {
      await driver?.close();
      await risk.stop();
      await crm.stop();
    }
  });
});
