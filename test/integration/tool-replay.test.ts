/**
 * `sluice replay` sandboxes tools, on the real local stack (Kafka) with the payments-risk server of ops/tools/ as
 * its own process: after a live run, a replay of the whole input in `journal` mode and one in `dry-run` mode make
 * 0 calls at the server; the journal replay's outputs carry the journaled results.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { uniqueName } from "../helpers/services.ts";
import { killAll, type SluiceProcess, startSluice, waitFor } from "../helpers/sluice-process.ts";
import { committedOffsets, createTopics, kafka, readTopic } from "../helpers/stream-io.ts";
import { startToolServer, type ToolServer } from "../helpers/tool-servers.ts";

const processes: SluiceProcess[] = [];
const servers: ToolServer[] = [];
const dir = mkdtempSync(join(tmpdir(), "sluice-tool-replay-"));

afterAll(async () => {
  killAll(processes);
  for (const s of servers) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("tools under sluice replay", () => {
  it("journal and dry-run replays of the whole input make 0 calls", async () => {
    const N = 300;
    const app = uniqueName("tool-replay");
    const [input, output] = [`${app}-in`, `${app}-out`];
    await createTopics([
      { topic: input, partitions: 2 },
      { topic: output, partitions: 2 },
      { topic: `${app}.dlq`, partitions: 1 },
    ]);
    const producer = kafka().producer();
    await producer.connect();
    await producer.send(
      input,
      Array.from({ length: N }, (_, i) => ({
        key: `acct-${i}`,
        value: JSON.stringify({ account: `acct-${i}`, amount: i }),
      })),
    );
    await producer.disconnect();
    const server = await startToolServer("payments-risk-server");
    servers.push(server);
    const file = join(dir, `${app}.yaml`);
    writeFileSync(
      file,
      `applicationId: ${app}
kafka:
  brokers: \${KAFKA_BROKERS}
processing:
  commitIntervalMs: 500
  stateDir: \${STATE_DIR}
sources:
  - { name: payments, topic: ${input}, value: { format: json } }
tools:
  - name: risk
    output: { type: object, required: [score, level] }
    transport: { type: http, url: "${server.url}/risk" }
processors:
  - name: risk
    type: tool
    from: payments
    tool: { call: risk, arguments: { account_id: value.account, amount: value.amount } }
sinks:
  - { name: scored, type: kafka, from: risk, kafka: { topic: ${output}, value: { format: json } } }
`,
    );
    const env = { STATE_DIR: join(dir, "state") };
    const live = startSluice(["run", file, "--metrics-port", "0"], env);
    processes.push(live);
    await waitFor(
      async () => [...(await committedOffsets(app, input)).values()].reduce((a, b) => a + Math.max(0, b), 0) === N,
      60_000,
      "the live run committed everything",
    ).catch((e) => {
      throw new Error(`${String(e)}\n${live.output().slice(-2000)}`);
    });
    live.child.kill("SIGTERM");
    expect(await live.exited).toBe(0);
    const calls = (await server.counters()).requests;
    expect(calls).toBe(N);

    for (const mode of ["journal", "dry-run"]) {
      const replay = startSluice(
        ["replay", file, "--from", "earliest", "--to", "latest", "--run-id", `r-${mode}`, "--tools", mode, "--json"],
        env,
      );
      processes.push(replay);
      expect(await replay.exited, replay.output().slice(-2000)).toBe(0);
      expect((await server.counters()).requests).toBe(calls);
    }
    const replayed = (await readTopic(output, 3 * N, { timeoutMs: 30_000 }))
      .filter((m) => String(m.headers?.["sluice-run-id"] ?? "") === "r-journal")
      .map((m) => JSON.parse(String(m.value)) as { risk: unknown; tool_calls: Array<{ status: string }> });
    expect(replayed).toHaveLength(N);
    expect(replayed.every((v) => v.tool_calls[0]?.status === "journal" && v.risk !== null)).toBe(true);
  }, 120_000);
});
