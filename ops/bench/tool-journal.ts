/**
 * Calls/s through the `tool` processor with its journal and without it (`journal: {enabled: false}`), in process
 * through the TopologyTestDriver (memory stores, no broker): against the payments-risk HTTP server of ops/tools/
 * (its own process) and against a local-module tool (no network: the journal's own cost shows), plus a
 * redelivery of the same records answered from the journal.
 *
 *   node --import tsx ops/bench/tool-journal.ts [--records 3000] [--rounds 3]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { compileTopology } from "../../topologies/compiler.ts";
import type { EngineFactory, StoreEngine } from "../../topologies/runtime/state/engine.ts";
import { MemoryEngine } from "../../topologies/runtime/state/memory-engine.ts";
import { TopologyTestDriver } from "../../topologies/test-driver.ts";
import { parseTopology } from "../../topologies/yaml-loader.ts";
import { REPO_ROOT } from "../repo-root.ts";

const { values } = parseArgs({
  options: { records: { type: "string", default: "3000" }, rounds: { type: "string", default: "3" } },
});
const N = Number(values.records);
const ROUNDS = Number(values.rounds);

function engines(): EngineFactory {
  const kept = new Map<string, StoreEngine>();
  return (task, store) => {
    const key = `${task}/${store}`;
    if (!kept.has(key)) kept.set(key, new MemoryEngine());
    return kept.get(key)!;
  };
}

function yaml(transport: string, journal: boolean): string {
  return `applicationId: bench-tools
kafka: { brokers: localhost:9092 }
processing: { batch: { maxRecords: 64 } }
sources:
  - { name: payments, topic: payments, value: { format: json } }
tools:
  - name: risk
    input: { type: object, required: [account_id, amount] }
    output: { type: object, required: [score] }
    transport: ${transport}
    concurrency: { perTool: 32 }
processors:
  - name: risk
    type: tool
    from: payments
    tool: { call: risk, arguments: { account_id: value.account, amount: value.amount }, journal: { enabled: ${journal} } }
sinks:
  - { name: out, type: kafka, from: risk, kafka: { topic: scored, value: { format: json } } }
`;
}

const records = Array.from({ length: N }, (_, i) => ({ key: `a-${i}`, value: { account: `a-${i}`, amount: i % 900 } }));

async function pass(driver: TopologyTestDriver): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < N; i += 500) await driver.pipeInput("payments", records.slice(i, i + 500));
  return N / ((performance.now() - started) / 1000);
}

async function measure(name: string, transport: string): Promise<void> {
  const baseDir = join(REPO_ROOT, "ops/bench");
  const open = (journal: boolean, e: EngineFactory) =>
    TopologyTestDriver.create(compileTopology(parseTopology(yaml(transport, journal), { baseDir, env: {} })), {
      engines: e,
    });
  const once = async (journal: boolean, e: EngineFactory = engines()) => {
    const driver = await open(journal, e);
    try {
      return await pass(driver);
    } finally {
      await driver.close();
    }
  };
  await once(false); // warm-up (JIT, connections), not reported
  // Alternating rounds, best of each: a shared machine's load swings more than the difference measured.
  let noJournal = 0;
  let withJournal = 0;
  let redelivered = 0;
  for (let round = 0; round < ROUNDS; round++) {
    noJournal = Math.max(noJournal, await once(false));
    const shared = engines();
    withJournal = Math.max(withJournal, await once(true, shared));
    redelivered = Math.max(redelivered, await once(true, shared));
  }
  const f = (n: number) => n.toFixed(0).padStart(8);
  console.log(`${name.padEnd(22)} ${f(noJournal)} ${f(withJournal)} ${f(redelivered)}`);
}

async function startServer(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn("node", ["--import", "tsx", join(REPO_ROOT, "ops/tools/payments-risk-server.ts"), "--port", "0"]);
  const port = await new Promise<number>((resolve) => {
    let out = "";
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /"listening":(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

const server = await startServer();
try {
  console.log(`${N} records per pass; records/s                      no journal  journal  redelivery (journal hits)`);
  await measure("http (payments-risk)", `{ type: http, url: "${server.url}/risk" }`);
  await measure("local module", "{ type: module, module: ./tool-journal-fixture.ts }");
} finally {
  if (server.child.pid) process.kill(server.child.pid, "SIGTERM");
}
