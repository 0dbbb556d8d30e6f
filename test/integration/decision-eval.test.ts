/**
 * Online evaluation and rollouts on the real stack (broker, registry, ClickHouse 18.16), in a database of its
 * own. (1) 10 000 decisions written by the ClickHouse sink with a known confusion matrix, outcomes for 8 200 of
 * them on a Kafka topic (500 first with a wrong outcome that a later one supersedes), `sluice run` of the
 * outcomes topology, then `sluice eval --json`: the precision, recall, confusion matrix and no-outcome count it
 * prints equal the ones computed here from the matrix. (2) A live member with a 50 % canary; `sluice rollout
 * rollback` is one command, the member applies it at a batch boundary, and across it every input record gives
 * exactly one decision; a member started afterwards starts on the rolled-back weights; the rollback is in
 * audit_log.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createClient } from "@clickhouse/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../analytics/migrate.ts";
import { sampleDecision } from "../../ops/clickhouse/sample-decisions.ts";
import { REPO_ROOT } from "../../ops/repo-root.ts";
import { DECISIONS } from "../../processors/agent-decision.ts";
import { StreamRecord } from "../../processors/api.ts";
import { ClickHouseSink, clickhouseSinkConfig } from "../../sinks/clickhouse.ts";
import { endpoints } from "../../stack/config.ts";
import { uniqueName } from "../helpers/services.ts";
import { killAll, type SluiceProcess, startSluice, waitFor } from "../helpers/sluice-process.ts";
import { createTopics, kafka, produce, readTopic, registerSchema } from "../helpers/stream-io.ts";

const run = promisify(execFile);
const app = uniqueName("eval");
const database = app.replaceAll("-", "_");
const dir = mkdtempSync(join(tmpdir(), "sluice-eval-"));
const processes: SluiceProcess[] = [];
const services = endpoints();

/** Decided (row) × actual (column), in DECISIONS order: 8 200 decisions with an outcome. */
const MATRIX = [
  [2000, 300, 100, 50],
  [200, 2500, 100, 100],
  [100, 200, 1500, 50],
  [50, 50, 0, 900],
];
/** The classes the matrix covers (DECISIONS also holds `budget_exhausted`, which no decision here takes). */
const CLASSES = DECISIONS.slice(0, MATRIX.length);
const NO_OUTCOME = 1800;
const LABEL: Record<string, string> = {
  auto_resolve: "resolved",
  escalate_to_human: "reopened",
  route_to_sales: "sale_won",
  flag_fraud: "fraud_confirmed",
};

async function clickhouse(query: string): Promise<Record<string, unknown>[]> {
  const client = createClient({ url: services.clickhouseUrl, database });
  try {
    return await (await client.query({ query, format: "JSONEachRow" })).json();
  } finally {
    await client.close();
  }
}

/** The member's first warnings and errors (its log lines of level 40 and up), for a failure message. */
const problems = (member: SluiceProcess) =>
  member
    .output()
    .split("\n")
    .filter((line) => /"level":[45]\d/.test(line))
    .slice(0, 5)
    .join("\n");

/** Waits up to 60 s for `check`, failing at once (with the member's log) when the member exited. */
async function until(member: SluiceProcess, check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  await waitFor(
    async () => {
      if (member.child.exitCode !== null) throw new Error(`the member exited: ${member.output().slice(-3000)}`);
      return check();
    },
    60_000,
    what,
  ).catch((error: unknown) => {
    throw new Error(`${error}\n${member.output().slice(-3000)}`);
  });
}

/** A copy of an example with this test's application id, topics and database. */
function topology(example: string, edits: [string, string][]): string {
  let text = readFileSync(join(REPO_ROOT, "topologies/examples", example), "utf8").replaceAll(
    "../../",
    `${REPO_ROOT}/`,
  );
  text = text.replace(
    "  password: ${CLICKHOUSE_PASSWORD:-}",
    `  password: \${CLICKHOUSE_PASSWORD:-}\n  database: ${database}`,
  );
  for (const [from, to] of edits) text = text.replace(from, to);
  const file = join(dir, `${example.replace(".yaml", "")}-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  return file;
}

beforeAll(async () => {
  const admin = createClient({ url: services.clickhouseUrl });
  await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  await admin.close();
  await migrate(services.clickhouseUrl, { database });
});

afterAll(async () => {
  killAll(processes);
  const admin = createClient({ url: services.clickhouseUrl });
  await admin.command({ query: `DROP DATABASE IF EXISTS ${database}` }).catch(() => {});
  await admin.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("decision outcomes and sluice eval", () => {
  it("prints the precision and recall of a known confusion matrix over 10 000 decisions", async () => {
    const eventsTopic = `${app}-events`;
    const outcomesTopic = `${app}-outcomes`;
    // The decisions, as the triage topology's ClickHouse sink writes them.
    const decided: { id: string; decided: string; actual: string | null }[] = [];
    for (const [p, row] of MATRIX.entries()) {
      for (const [a, n] of row.entries()) {
        for (let i = 0; i < n; i++) decided.push({ id: "", decided: DECISIONS[p]!, actual: DECISIONS[a]! });
      }
    }
    for (let i = 0; i < NO_OUTCOME; i++) decided.push({ id: "", decided: DECISIONS[i % 4]!, actual: null });
    const now = Date.now() - 3_600_000;
    const records = decided.map((d, offset) => {
      const value = { ...sampleDecision(eventsTopic, 0, offset), decision: d.decided, application_id: app };
      Object.assign(value, { model_id: "sha256:eval-model", decided_at: now + offset, event_time: now + offset });
      d.id = value.decision_id;
      return new StreamRecord(value.tenant_id, value, {}, now, { topic: eventsTopic, partition: 0, offset });
    });
    const sink = new ClickHouseSink({
      name: "decisions",
      config: clickhouseSinkConfig.parse({ table: "agent_decisions" }),
      runId: "live",
      url: services.clickhouseUrl,
      database,
    });
    await sink.start();
    await sink.write(records);
    await sink.flush();
    await sink.close();

    // Outcomes: 500 first say "resolved" and are superseded by the right outcome later; every 5th names its class.
    await createTopics([
      { topic: outcomesTopic, partitions: 3 },
      { topic: `${app}-outcomes.dlq`, partitions: 1 },
    ]);
    const schemaId = await registerSchema("ticket-outcome.avsc", `${outcomesTopic}-value`);
    const withOutcome = decided.filter((d) => d.actual !== null);
    const outcome = (d: (typeof decided)[number], i: number, id: string, label: string | null, at: number) => ({
      key: `tenant-${i % 7}`,
      value: {
        outcome_id: id,
        decision_id: d.id,
        tenant_id: `tenant-${i % 7}`,
        outcome: label ?? "handled",
        actual_decision: label === null ? d.actual : null,
        occurred_at: at,
      },
    });
    await produce(
      outcomesTopic,
      schemaId,
      withOutcome.slice(0, 500).map((d, i) => outcome(d, i, `early-${i}`, "resolved", now + 60_000)),
    );
    const outcomes = topology("ticket-outcomes.yaml", [
      ["applicationId: ticket-outcomes", `applicationId: ${app}-outcomes`],
      ["topic: ticket-outcomes", `topic: ${outcomesTopic}`],
    ]);
    const member = startSluice(["run", outcomes, "--metrics-port", "0"]);
    processes.push(member);
    const finalCount = async (prefix: string) =>
      Number(
        (await clickhouse(`SELECT count() AS n FROM decision_outcomes FINAL WHERE outcome_id LIKE '${prefix}%'`))[0]?.n,
      );
    await until(member, async () => (await finalCount("early-")) === 500, "the early outcomes");
    await produce(
      outcomesTopic,
      schemaId,
      withOutcome.map((d, i) =>
        outcome(d, i, `final-${i}`, i % 5 === 0 ? null : (LABEL[d.actual as string] as string), now + 120_000 + i),
      ),
    );
    await until(member, async () => (await finalCount("final-")) === withOutcome.length, "every final outcome");
    member.child.kill("SIGTERM");
    expect(await member.exited).toBe(0);

    const decisionsFile = topology("support-triage.yaml", [["applicationId: support-triage", `applicationId: ${app}`]]);
    const { stdout } = await run("node", [join(REPO_ROOT, "cli/bin.mjs"), "eval", decisionsFile, "--json"], {
      cwd: REPO_ROOT,
      maxBuffer: 16 << 20,
    });
    const report = JSON.parse(stdout) as {
      summary: Record<string, number>[];
      classes: { class: string; precision: number; recall: number; true_positives: number }[];
      confusion: { decided: string; actual_class: string; decisions: number }[];
    };
    expect(report.summary).toEqual([
      expect.objectContaining({
        model: "sha256:eval-model",
        decisions: 10_000,
        with_outcome: 8200,
        no_outcome: NO_OUTCOME,
      }),
    ]);
    for (const [c, name] of CLASSES.entries()) {
      const tp = MATRIX[c]![c]!;
      const predicted = MATRIX[c]!.reduce((a, b) => a + b, 0);
      const actual = MATRIX.reduce((sum, row) => sum + row[c]!, 0);
      const line = report.classes.find((r) => r.class === name);
      expect(line?.true_positives).toBe(tp);
      expect(line?.precision).toBeCloseTo(tp / predicted, 12);
      expect(line?.recall).toBeCloseTo(tp / actual, 12);
    }
    const matrix = CLASSES.map((p) =>
      CLASSES.map((a) => report.confusion.find((r) => r.decided === p && r.actual_class === a)?.decisions ?? 0),
    );
    expect(matrix).toEqual(MATRIX);
  });
});

describe("sluice rollout", () => {
  it("rolls a 50% canary back with one command; every record gets exactly one decision across it", async () => {
    const input = `${app}-features`;
    const output = `${app}-decided`;
    await createTopics([
      { topic: input, partitions: 2 },
      { topic: output, partitions: 2 },
      { topic: `${app}-canary.dlq`, partitions: 1 },
    ]);
    const yaml = `
applicationId: ${app}-canary
kafka: { brokers: "${services.kafkaBrokers.join(",")}" }
clickhouse: { url: ${services.clickhouseUrl}, database: ${database} }
processing: { batch: { maxRecords: 200, maxWaitMs: 20 } }
sources:
  - { name: events, topic: ${input}, value: { format: json } }
processors:
  - name: classify
    type: infer
    from: events
    infer:
      model: ${REPO_ROOT}/models/classifier
      inputField: features
      candidates: [{ id: v2, model: ${REPO_ROOT}/models/classifier, mode: canary, weight: 0.5 }]
  - { name: decide, type: decide, from: classify, decide: {} }
sinks:
  - { name: out, type: kafka, from: decide, kafka: { topic: ${output}, value: { format: json } } }
`;
    const file = join(dir, "canary.yaml");
    writeFileSync(file, yaml);
    const send = async (from: number, n: number) => {
      const producer = kafka().producer();
      await producer.connect();
      const messages = Array.from({ length: n }, (_, i) => ({
        key: `customer-${from + i}`,
        value: JSON.stringify({
          event_id: `e${from + i}`,
          features: Array.from({ length: 80 }, (_, j) => Math.sin(from + i + j)),
        }),
      }));
      for (let i = 0; i < n; i += 250) await producer.send(input, messages.slice(i, i + 250));
      await producer.disconnect();
    };
    const member = startSluice(["run", file, "--metrics-port", "0"]);
    processes.push(member);
    await send(0, 2000);
    const first = await readTopic(output, 2000, { timeoutMs: 60_000 });
    expect(first.length, problems(member)).toBe(2000);

    const rollback = await run(
      "node",
      [join(REPO_ROOT, "cli/bin.mjs"), "rollout", "rollback", file, "--model", "v2", "--json"],
      { cwd: REPO_ROOT },
    );
    expect(JSON.parse(rollback.stdout)).toMatchObject({
      processor: "classify",
      previous: { v2: 0.5 },
      weights: { v2: 0 },
    });
    await until(member, () => member.output().includes("rollout applied"), "the member to apply the rollback");
    await send(2000, 2000);
    const all = await readTopic(output, 4000, { timeoutMs: 60_000 });
    member.child.kill("SIGTERM");
    expect(await member.exited).toBe(0);

    const decisions = all.map(
      (m) =>
        JSON.parse(String(m.value)) as {
          source_partition: number;
          source_offset: number;
          model_variant: string;
          event_id: string;
        },
    );
    expect(decisions).toHaveLength(4000);
    const n = (d: (typeof decisions)[number]) => Number(d.event_id.slice(1));
    expect(new Set(decisions.map((d) => `${d.source_partition}@${d.source_offset}`)).size).toBe(4000);
    const before = decisions.filter((d) => n(d) < 2000);
    const after = decisions.filter((d) => n(d) >= 2000);
    expect(before).toHaveLength(2000);
    expect(after).toHaveLength(2000);
    const canaryShare = before.filter((d) => d.model_variant === "v2").length / 2000;
    expect(canaryShare).toBeGreaterThan(0.4);
    expect(canaryShare).toBeLessThan(0.6);
    expect(after.every((d) => d.model_variant === "primary")).toBe(true);
    // A member started after the rollback reads it from the control topic before its first record: the file
    // still says 50 %, the control topic says 0.
    const restarted = startSluice(["run", file, "--metrics-port", "0"]);
    processes.push(restarted);
    await send(4000, 500);
    const later = (await readTopic(output, 4500, { timeoutMs: 60_000 }))
      .map((m) => JSON.parse(String(m.value)) as { event_id: string; model_variant: string })
      .filter((d) => Number(d.event_id.slice(1)) >= 4000);
    restarted.child.kill("SIGTERM");
    expect(await restarted.exited).toBe(0);
    expect(later).toHaveLength(500);
    expect(later.every((d) => d.model_variant === "primary")).toBe(true);
    const audit = await clickhouse(
      `SELECT event, details FROM audit_log WHERE application_id = '${app}-canary' AND event LIKE 'rollout%'`,
    );
    expect(audit.map((a) => a.event)).toEqual(["rollout_rollback"]);
    expect(JSON.parse(String(audit[0]?.details))).toMatchObject({ model: "v2", weights: { v2: 0 } });
  });
});
