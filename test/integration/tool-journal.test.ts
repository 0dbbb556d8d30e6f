/**
 * Tool side effects exactly once in effect, on the real local stack (Kafka) with the payments-risk server of
 * ops/tools/ as its own process: a `sluice run` member killed -9 mid-run (at-least-once, and exactly-once) leaves
 * every record with exactly one side effect at the server (counted by Idempotency-Key), at most the tool's
 * concurrency of repeated requests, and the journal lineage in the outputs; the server stopped
 * for 30 s pauses the partitions and opens the circuit (metrics), and after it returns nothing is lost, nothing
 * is called twice, and writing resumes within 10 s.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { uniqueName } from "../helpers/services.ts";
import { killAll, type SluiceProcess, startSluice, waitFor } from "../helpers/sluice-process.ts";
import { committedOffsets, createTopics, kafka, readTopic } from "../helpers/stream-io.ts";
import { startToolServer, type ToolServer } from "../helpers/tool-servers.ts";

const processes: SluiceProcess[] = [];
const servers: ToolServer[] = [];
const dir = mkdtempSync(join(tmpdir(), "sluice-tool-journal-"));

afterAll(async () => {
  killAll(processes);
  for (const s of servers) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === "object" && address ? address.port : 0;
}

async function produceAccounts(topic: string, from: number, count: number): Promise<void> {
  const producer = kafka().producer();
  await producer.connect();
  try {
    const messages = Array.from({ length: count }, (_, i) => ({
      key: `acct-${from + i}`,
      value: JSON.stringify({ account: `acct-${from + i}`, amount: (from + i) % 900, tenant_id: `t-${i % 3}` }),
    }));
    await producer.send(topic, messages);
  } finally {
    await producer.disconnect();
  }
}

/** Records a task holds unacknowledged. */
const IN_FLIGHT = 100;
/** The tool's concurrency per process: also the most calls a kill -9 can make the server see twice (see below). */
const CONCURRENCY = 8;

function topology(app: string, input: string, output: string, riskUrl: string, guarantee = "at_least_once"): string {
  const file = join(dir, `${app}.yaml`);
  writeFileSync(
    file,
    `applicationId: ${app}
kafka:
  brokers: \${KAFKA_BROKERS}
processing:
  guarantee: ${guarantee}
  commitIntervalMs: 500
  sessionTimeoutMs: 6000
  maxInFlightRecords: ${IN_FLIGHT}
  stateDir: \${STATE_DIR}
sources:
  - name: payments
    topic: ${input}
    value: { format: json }
tools:
  - name: risk
    input: { type: object, required: [account_id, amount] }
    output: { type: object, required: [score, level] }
    transport: { type: http, url: "${riskUrl}/risk" }
    timeoutMs: 5000
    concurrency: { perTool: ${CONCURRENCY} }
    retry: { attempts: 2, initialDelayMs: 50, maxDelayMs: 200 }
    circuitBreaker: { consecutiveFailures: 3, halfOpenAfterMs: 2000 }
processors:
  - name: risk
    type: tool
    from: payments
    tool: { call: risk, arguments: { account_id: value.account, amount: value.amount } }
sinks:
  - name: scored
    type: kafka
    from: risk
    kafka: { topic: ${output}, value: { format: json } }
`,
  );
  return file;
}

function member(file: string, name: string, metricsPort = 0): SluiceProcess {
  const p = startSluice(["run", file, "--drain-timeout", "10000", "--metrics-port", String(metricsPort)], {
    STATE_DIR: join(dir, name),
  });
  processes.push(p);
  return p;
}

const committed = async (app: string, topic: string) =>
  [...(await committedOffsets(app, topic)).values()].reduce((x, y) => x + Math.max(0, y), 0);

interface Scored {
  account: string;
  tool_calls: Array<{ status: string; idempotency_key: string }>;
}
const scored = (messages: Array<{ value: Buffer | null }>) =>
  messages.map((m) => JSON.parse(String(m.value)) as Scored);

describe("tool journal in sluice run", () => {
  it.each([
    ["at_least_once", 4000],
    ["exactly_once", 1500],
  ])(
    "%s, kill -9 of a member mid-run: one side effect per record at the server (by Idempotency-Key), repeated calls at most the tool's concurrency",
    async (guarantee, N) => {
      const app = uniqueName("tool-kill");
      const [input, output] = [`${app}-in`, `${app}-out`];
      await createTopics([
        { topic: input, partitions: 4 },
        { topic: output, partitions: 4 },
        { topic: `${app}.dlq`, partitions: 1 },
      ]);
      const server = await startToolServer("payments-risk-server", ["--delay-ms", "2"]);
      servers.push(server);
      const file = topology(app, input, output, server.url, guarantee);
      const a = member(file, `a-${guarantee}`);
      const b = member(file, `b-${guarantee}`);
      // Both members in the group before the records arrive: the kill is the only fault measured.
      await waitFor(async () => b.output().includes("partitions assigned"), 60_000, "b assigned").catch((e) => {
        throw new Error(`${String(e)}\n${b.output().slice(-2000)}`);
      });
      await produceAccounts(input, 0, N);
      await waitFor(async () => (await server.counters()).effects >= N / 3, 60_000, "a third of the calls").catch(
        (e) => {
          throw new Error(`${String(e)}\n${a.output().slice(-2000)}`);
        },
      );
      b.child.kill("SIGKILL");
      expect(await b.exited).toBe("SIGKILL");
      await waitFor(async () => (await committed(app, input)) === N, 60_000, "every input committed").catch((e) => {
        throw new Error(`${String(e)}\n${a.output().slice(-3000)}`);
      });
      const counters = await server.counters();
      expect(counters.missingKey).toBe(0);
      expect(counters.effects).toBe(N);
      expect(new Set(counters.keys).size).toBe(N);
      // A call's journal entry reaches the changelog as soon as the call returns, while the call still holds its
      // concurrency slot: only calls in flight at b's death (at most the tool's concurrency) can reach the server
      // again. Exactly-once: the entry is written outside the chunk's transaction, so b's aborted transaction does
      // not take the journal of its calls with it. The server answers a repeat from its idempotency table: no second effect.
      console.log(
        `${guarantee} kill -9: ${counters.requests} requests, ${counters.effects} effects, ${counters.duplicateKeys} repeated keys`,
      );
      expect(counters.requests - new Set(counters.keys).size).toBe(counters.duplicateKeys);
      expect(counters.duplicateKeys).toBeLessThanOrEqual(CONCURRENCY);
      const out = scored(await readTopic(output, N, { timeoutMs: 30_000, distinct: (m) => String(m.key) }));
      expect(new Set(out.map((v) => v.account)).size).toBe(N);
      const keys = new Set(out.map((v) => v.tool_calls[0]?.idempotency_key));
      expect(keys.size).toBe(N);
      expect(out.every((v) => ["ok", "journal"].includes(v.tool_calls[0]?.status ?? ""))).toBe(true);
      a.child.kill("SIGTERM");
      expect(await a.exited).toBe(0);
    },
    120_000,
  );

  it("the server stopped 30 s: partitions pause, the circuit opens; then 0 lost, 0 repeated, writing resumes within 10 s", async () => {
    const app = uniqueName("tool-outage");
    const [input, output] = [`${app}-in`, `${app}-out`];
    await createTopics([
      { topic: input, partitions: 2 },
      { topic: output, partitions: 2 },
      { topic: `${app}.dlq`, partitions: 1 },
    ]);
    const port = await freePort();
    const metricsPort = await freePort();
    let server = await startToolServer("payments-risk-server", ["--port", String(port)]);
    servers.push(server);
    const a = member(topology(app, input, output, server.url), "outage", metricsPort);
    await produceAccounts(input, 0, 500);
    await waitFor(async () => (await committed(app, input)) === 500, 60_000, "the first 500 committed").catch((e) => {
      throw new Error(`${String(e)}\n${a.output().slice(-2000)}`);
    });
    const before = await server.counters();
    await server.stop();
    const stopped = Date.now();
    await produceAccounts(input, 500, 500);
    const metric = async (name: string) => {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      return text.split("\n").filter((l) => l.startsWith(name) && l.includes(app));
    };
    await waitFor(
      async () => (await metric("sluice_tool_circuit_open")).some((l) => l.endsWith(" 1")),
      20_000,
      "circuit open",
    );
    await waitFor(
      async () => (await metric("sluice_partition_paused")).some((l) => l.endsWith(" 1")),
      20_000,
      "a partition paused",
    );
    await new Promise((r) => setTimeout(r, Math.max(0, 30_000 - (Date.now() - stopped))));
    const stalled = await committed(app, input);
    expect(stalled).toBeLessThan(1000);
    server = await startToolServer("payments-risk-server", ["--port", String(port)]);
    servers.push(server);
    const back = Date.now();
    // Offsets advance only once the records' outputs are acknowledged: the first advance is writing resumed.
    await waitFor(async () => (await committed(app, input)) > stalled, 20_000, "offsets advancing again");
    const resumedMs = Date.now() - back;
    console.log(`outage: writing resumed ${resumedMs} ms after the server returned`);
    expect(resumedMs).toBeLessThan(10_000);
    await waitFor(async () => (await committed(app, input)) === 1000, 60_000, "every input committed");
    const after = await server.counters();
    expect(before.effects + after.effects).toBe(1000);
    expect(after.duplicateKeys).toBe(0);
    expect(after.missingKey).toBe(0);
    const out = scored(await readTopic(output, 1000, { timeoutMs: 20_000, distinct: (m) => String(m.key) }));
    expect(new Set(out.map((v) => v.account)).size).toBe(1000);
    expect((await metric("sluice_tool_circuit_open")).every((l) => l.endsWith(" 0"))).toBe(true);
    a.child.kill("SIGTERM");
    expect(await a.exited).toBe(0);
  }, 150_000);
});
