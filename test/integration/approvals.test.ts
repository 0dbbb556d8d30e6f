/**
 * Human approval as a durable pause, on the real stack: two `sluice run` members hold 100 decisions for approval
 * (the store and its changelog), one member is killed -9, and the survivor restores its partitions. Then
 * `sluice approvals list` shows the 100, `sluice approvals approve` (60) and `reject` (40) release them, and the
 * Avro decisions topic gets exactly those 100 outcomes, once each, with their approval lineage, beside the 20
 * decisions that needed no approval. A repeated verdict is refused by the CLI. Last, 10 decisions of a rule with a
 * 3 s timeout expire (ticks every 500 ms, no other traffic) as its `onExpiry: approve` says.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import avro from "avsc";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../ops/repo-root.ts";
import type { ApprovalLineage } from "../../processors/approval-hold.ts";
import { compileTopology } from "../../topologies/compiler.ts";
import { approvalPoints, pendingApprovals } from "../../topologies/runtime/approval-requests.ts";
import { topologyKafkaClient } from "../../topologies/runtime/kafka/kafkajs-client.ts";
import { loadTopologyFile } from "../../topologies/yaml-loader.ts";
import { uniqueName } from "../helpers/services.ts";
import { killAll, type SluiceProcess, startSluice, waitFor } from "../helpers/sluice-process.ts";
import { committedOffsets, createTopics, kafka, readTopic } from "../helpers/stream-io.ts";

const processes: SluiceProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), "sluice-approvals-"));
afterAll(() => {
  killAll(processes);
  rmSync(dir, { recursive: true, force: true });
});

const decisionType = avro.Type.forSchema(
  JSON.parse(readFileSync(join(REPO_ROOT, "schemas/agent-decision.avsc"), "utf8")) as avro.Schema,
);
type Decision = {
  decision_id: string;
  event_id: string;
  decision: string;
  reason: string;
  approval: ApprovalLineage | null;
};

async function produceEvents(topic: string, from: number, count: number, amount: number): Promise<void> {
  const producer = kafka().producer();
  await producer.connect();
  try {
    const messages = Array.from({ length: count }, (_, i) => {
      const n = from + i;
      const value = {
        event_id: `e-${n}`,
        tenant_id: `tenant-${n % 7}`,
        amount,
        event_time: Date.now(),
        inference: { scores: { auto_resolve: 0.9, escalate_to_human: 0.1 }, model_id: "sha256:test" },
      };
      return { key: `customer-${n % 13}`, value: JSON.stringify(value) };
    });
    await producer.send(topic, messages);
  } finally {
    await producer.disconnect();
  }
}

/** Runs the CLI to the end: exit code and output. */
async function cli(args: string[]): Promise<{ code: number | string; output: string }> {
  const p = startSluice(args, { STATE_DIR: dir });
  processes.push(p);
  const code = await p.exited;
  return { code, output: p.output() };
}

const decode = (m: { value: Buffer | null }) => decisionType.fromBuffer((m.value as Buffer).subarray(5)) as Decision;

describe("approvals in sluice run", () => {
  it("100 held decisions survive a kill -9; approve 60 and reject 40 gives those outputs once each; expiry", async () => {
    const app = uniqueName("approvals");
    const t = { events: `${app}-events`, approvals: `${app}-approvals`, requested: `${app}-requested` };
    const decisionsTopic = `${app}-decisions`;
    await createTopics([
      { topic: t.events, partitions: 3 },
      { topic: t.approvals, partitions: 3 },
      { topic: t.requested, partitions: 3 },
      { topic: decisionsTopic, partitions: 3 },
      { topic: `${app}.dlq`, partitions: 1 },
    ]);
    const file = join(dir, `${app}.yaml`);
    writeFileSync(
      file,
      `applicationId: ${app}
kafka:
  brokers: \${KAFKA_BROKERS}
schemaRegistry:
  url: \${SCHEMA_REGISTRY_URL}
processing:
  commitIntervalMs: 300
  sessionTimeoutMs: 6000
  stateDir: \${STATE_DIR}
sources:
  - { name: events, topic: ${t.events}, value: { format: json } }
  - { name: approvals, topic: ${t.approvals}, value: { format: avro, schema: ${REPO_ROOT}/schemas/approval-event.avsc } }
processors:
  - name: decide
    type: decide
    from: [events, approvals]
    decide:
      rules:
        - name: big-refund
          when: 'value.amount > 1000.0'
          decision: auto_resolve
          requireApproval: { timeoutMs: 600000, onExpiry: reject }
        - name: quick-refund
          when: 'value.amount > 500.0'
          decision: auto_resolve
          requireApproval: { timeoutMs: 3000, onExpiry: approve }
      approval: { topic: ${t.approvals}, requests: requested, tickMs: 500 }
sinks:
  - name: decisions
    type: kafka
    from: decide
    kafka: { topic: ${decisionsTopic}, value: { format: avro, schema: ${REPO_ROOT}/schemas/agent-decision.avsc } }
  - { name: requested, type: kafka, from: decide, kafka: { topic: ${t.requested}, value: { format: json } } }
  - { name: dlq, type: dead-letter }
`,
    );
    const topology = compileTopology(loadTopologyFile(file, { env: { ...process.env, STATE_DIR: dir } }));
    const [point] = approvalPoints(topology);
    const client = topologyKafkaClient(topology);
    const pending = async () => pendingApprovals(client, point as NonNullable<typeof point>);

    const member = (name: string) => {
      const p = startSluice(["run", file, "--drain-timeout", "5000"], { STATE_DIR: join(dir, name) });
      processes.push(p);
      return p;
    };
    const a = member("a");
    const b = member("b");
    for (const m of [a, b])
      await waitFor(() => m.output().includes("partitions assigned"), 30_000, "members assigned").catch((e) => {
        throw new Error(`${String(e)}\n${m.output().slice(-2000)}`);
      });

    // 100 held (amount 2000), 20 decided at once (amount 10).
    await produceEvents(t.events, 0, 100, 2000);
    await produceEvents(t.events, 100, 20, 10);
    const committed = async () =>
      [...(await committedOffsets(app, t.events)).values()].reduce((x, y) => x + Math.max(0, y), 0);
    await waitFor(async () => (await committed()) === 120, 30_000, "every event committed");
    await waitFor(async () => (await pending()).length === 100, 20_000, "100 pending in the changelog");

    const restores = () => b.output().split("state restored").length - 1;
    const restoredBefore = restores();
    a.child.kill("SIGKILL");
    expect(await a.exited).toBe("SIGKILL");
    // The survivor takes the dead member's partitions and restores their held decisions from the changelog.
    await waitFor(() => restores() > restoredBefore, 30_000, "b restored a's partitions");

    const listed = await cli(["approvals", "list", file, "--json"]);
    expect(listed.code, listed.output).toBe(0);
    const requests = JSON.parse(listed.output.slice(listed.output.indexOf("["))) as Array<{
      requestId: string;
      rule: string;
      decision: { event_id: string };
    }>;
    expect(requests).toHaveLength(100);
    expect(new Set(requests.map((r) => r.decision.event_id)).size).toBe(100);
    expect(new Set(requests.map((r) => r.rule))).toEqual(new Set(["big-refund"]));
    const ids = requests.map((r) => r.requestId);
    const [approve, reject] = [ids.slice(0, 60), ids.slice(60)];

    const approved = await cli(["approvals", "approve", file, ...approve, "--approver", "alice", "--reason", "ok"]);
    expect(approved.code, approved.output).toBe(0);
    expect(approved.output).toContain("approved 60 requests (by alice)");
    const rejected = await cli(["approvals", "reject", file, ...reject, "--approver", "bob"]);
    expect(rejected.code, rejected.output).toBe(0);

    const outcomes = await readTopic(decisionsTopic, 120, {
      timeoutMs: 40_000,
      distinct: (m) => decode(m).decision_id,
    });
    expect(new Set(outcomes.map((m) => decode(m).decision_id)).size, b.output().slice(-2000)).toBe(120);
    await waitFor(async () => (await pending()).length === 0, 20_000, "nothing pending");
    // A verdict on a resolved request is refused, and nothing more goes out.
    const again = await cli(["approvals", "approve", file, approve[0] as string]);
    expect(again.code).toBe(1);
    expect(again.output).toContain("not pending");

    const all = (await readTopic(decisionsTopic, 1e9, { timeoutMs: 3_000 })).map(decode);
    expect(all).toHaveLength(120); // once each
    const byId = new Map(all.map((d) => [d.decision_id, d]));
    for (const id of approve) {
      const d = byId.get(id);
      expect([d?.decision, d?.approval?.status, d?.approval?.approver, d?.approval?.reason]).toEqual([
        "auto_resolve",
        "approved",
        "alice",
        "ok",
      ]);
    }
    for (const id of reject) {
      const d = byId.get(id);
      expect([d?.decision, d?.approval?.status, d?.approval?.approver]).toEqual([
        "escalate_to_human",
        "rejected",
        "bob",
      ]);
    }
    expect(
      all
        .filter((d) => d.approval === null)
        .map((d) => d.event_id)
        .sort(),
    ).toEqual(Array.from({ length: 20 }, (_, i) => `e-${100 + i}`).sort());

    // Expiry: 3 s, then approve (quick-refund), driven by the ticks alone.
    await produceEvents(t.events, 120, 10, 800);
    const expiredOut = (
      await readTopic(decisionsTopic, 130, { timeoutMs: 20_000, distinct: (m) => decode(m).decision_id })
    )
      .map(decode)
      .filter((d) => d.approval?.rule === "quick-refund");
    expect(new Set(expiredOut.map((d) => d.event_id)).size).toBe(10);
    for (const d of expiredOut) {
      const { status, approver, requested_at, resolved_at } = d.approval as ApprovalLineage;
      expect([d.decision, status, approver]).toEqual(["auto_resolve", "expired", "sluice:expiry"]);
      expect(resolved_at - requested_at).toBeGreaterThanOrEqual(3_000);
      expect(resolved_at - requested_at).toBeLessThan(3_000 + 500 + 3_000);
    }

    b.child.kill("SIGTERM");
    expect(await b.exited).toBe(0);
  }, 150_000);
});
