/** Builds TopologyTestDriver instances for the tool tests from YAML, with store engines that outlive a driver. */
import { fileURLToPath } from "node:url";
import { compileTopology } from "../../../topologies/compiler.ts";
import type { EngineFactory, StoreEngine } from "../../../topologies/runtime/state/engine.ts";
import { MemoryEngine } from "../../../topologies/runtime/state/memory-engine.ts";
import { TopologyTestDriver } from "../../../topologies/test-driver.ts";
import { parseTopology } from "../../../topologies/yaml-loader.ts";

export const TOOL_TESTS = fileURLToPath(new URL(".", import.meta.url));

/**
 * Engines kept per task and store across drivers: a second driver over the same engines is the same task
 * restarted (or moved) after its stores were restored, so it sees the first one's journal.
 */
export function sharedEngines(): EngineFactory {
  const engines = new Map<string, StoreEngine>();
  return (task, store) => {
    const key = `${task}/${store}`;
    let engine = engines.get(key);
    if (engine === undefined) {
      engine = new MemoryEngine();
      engines.set(key, engine);
    }
    return engine;
  };
}

export async function toolDriver(
  yaml: string,
  options: { engines?: EngineFactory; runId?: string; env?: Record<string, string> } = {},
): Promise<TopologyTestDriver> {
  const loaded = parseTopology(yaml, { file: "tools.yaml", baseDir: TOOL_TESTS, env: options.env ?? {} });
  return TopologyTestDriver.create(compileTopology(loaded), {
    now: 1_000_000,
    ...(options.engines ? { engines: options.engines } : {}),
    ...(options.runId ? { runId: options.runId } : {}),
  });
}

/** A topology reading JSON payments, calling `tools` (YAML list items) through a `tool` node configured by `node`. */
export function paymentsTopology(tools: string, node: string, app = "payments"): string {
  return `
applicationId: ${app}
kafka: { brokers: localhost:9092 }
processing: { batch: { maxRecords: 16 } }
sources:
  - name: payments
    topic: payments
    value: { format: json }
tools:
${tools}
processors:
  - name: risk
    type: tool
    from: payments
    tool:
${node}
sinks:
  - name: out
    type: kafka
    from: risk
    kafka: { topic: scored, value: { format: json } }
  - name: dlq
    type: dead-letter
`;
}

export const RISK_SCHEMAS = `    input:
      type: object
      required: [account_id, amount]
      properties: { account_id: { type: string }, amount: { type: number } }
    output:
      type: object
      required: [score, level]
      properties: { score: { type: number }, level: { enum: [low, medium, high] } }`;

export const RISK_ARGUMENTS = `      call: risk
      arguments: { account_id: value.account, amount: value.amount }
      into: risk`;

export const payment = (account: string, amount: number, tenant = "acme") => ({
  key: account,
  value: { account, amount, tenant_id: tenant },
});
