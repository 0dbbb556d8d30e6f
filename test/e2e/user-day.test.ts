/**
 * A user's day with the CLI, each step a child process as a user runs it: produce 10 000 synthetic events in two
 * waves → run the reference topology as 2 instances → `status` shows lag 0 → replay the second wave's time
 * window under a new run id → ClickHouse holds the replayed rows tagged with that run id, the live rows are
 * unchanged, and the live group's committed offsets are identical before and after the replay.
 * Needs the local stack (test/global-setup.ts).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createClient } from "@clickhouse/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../analytics/migrate.ts";
import { REPO_ROOT } from "../../ops/repo-root.ts";
import { buildKnowledgeBase } from "../../processors/knowledge-base.ts";
import { endpoints } from "../../stack/config.ts";
import { uniqueName } from "../helpers/services.ts";
import { killAll, type SluiceProcess, startSluice, waitFor } from "../helpers/sluice-process.ts";
import { createTopics } from "../helpers/stream-io.ts";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "sluice-day-"));
const app = uniqueName("day");
const topics = { events: `${app}-events`, decisions: `${app}-decisions`, dlq: `${app}.dlq` };
const file = join(dir, "support-triage.yaml");
const env = { ...process.env, SLUICE_KB_DB: join(dir, "lancedb"), SLUICE_LOG_LEVEL: "warn" };
const processes: SluiceProcess[] = [];

async function sluice(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run("node", [join(REPO_ROOT, "cli/bin.mjs"), ...args], {
      env,
      cwd: REPO_ROOT,
      maxBuffer: 32 << 20,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

async function count(where: string): Promise<number> {
  const client = createClient({ url: endpoints().clickhouseUrl });
  try {
    const rows = await (
      await client.query({
        query: `SELECT count() AS n FROM agent_decisions FINAL WHERE source_topic = '${topics.events}' AND ${where}`,
        format: "JSONEachRow",
      })
    ).json<{ n: string }>();
    return Number(rows[0]?.n);
  } finally {
    await client.close();
  }
}

interface Status {
  totalLag: number;
  partitions: { partition: number; committed: number | null; end: number }[];
}

beforeAll(async () => {
  await migrate(endpoints().clickhouseUrl);
  await buildKnowledgeBase(join(REPO_ROOT, "models/kb/docs.jsonl"), {
    db: join(dir, "lancedb"),
    table: "support_kb",
    encoder: join(REPO_ROOT, "models/encoder"),
  });
  await createTopics([
    { topic: topics.events, partitions: 4 },
    { topic: topics.decisions, partitions: 4 },
    { topic: topics.dlq, partitions: 1 },
  ]);
  let text = readFileSync(join(REPO_ROOT, "topologies/examples/support-triage.yaml"), "utf8").replaceAll(
    "../../",
    `${REPO_ROOT}/`,
  );
  text = text.replace("applicationId: support-triage", `applicationId: ${app}`);
  text = text
    .replace("topic: enterprise-events", `topic: ${topics.events}`)
    .replace("topic: agent-decisions", `topic: ${topics.decisions}`);
  writeFileSync(file, text);
});

afterAll(() => {
  killAll(processes);
  rmSync(dir, { recursive: true, force: true });
});

describe("the user's day", () => {
  it("produce → run 2 instances → status lag 0 → replay a window under a new run id", async () => {
    const first = await sluice(
      "produce",
      "--topic",
      topics.events,
      "--generate",
      "5000",
      "--key",
      "tenant_id",
      "--seed",
      "1",
    );
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/sent 5000 records/);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const windowStart = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const second = await sluice(
      "produce",
      "--topic",
      topics.events,
      "--generate",
      "5000",
      "--key",
      "tenant_id",
      "--seed",
      "2",
    );
    expect(second.code, second.stderr).toBe(0);
    const windowEnd = new Date(Date.now() + 1000).toISOString();

    const live = startSluice(["run", file, "--instances", "2"], { SLUICE_KB_DB: join(dir, "lancedb") });
    processes.push(live);
    let status: Status | undefined;
    await waitFor(
      async () => {
        const result = await sluice("status", file, "--json");
        if (result.code !== 0) return false;
        status = JSON.parse(result.stdout) as Status;
        return status.totalLag === 0 && status.partitions.every((p) => p.committed !== null && p.committed === p.end);
      },
      420_000,
      "lag 0",
    );
    live.child.kill("SIGTERM");
    expect(await live.exited).toBe(0);
    expect(await count("run_id = 'live'")).toBe(10_000);
    const text = await sluice("status", file);
    expect(text.stdout).toMatch(/lag 0/);
    const before = (JSON.parse((await sluice("status", file, "--json")).stdout) as Status).partitions;

    const plan = await sluice(
      "replay",
      file,
      "--from",
      windowStart,
      "--to",
      windowEnd,
      "--run-id",
      "backfill-e2e",
      "--dry-run",
      "--json",
    );
    expect(plan.code, plan.stderr).toBe(0);
    expect((JSON.parse(plan.stdout) as { records: number }).records).toBe(5000);
    const replay = await sluice("replay", file, "--from", windowStart, "--to", windowEnd, "--run-id", "backfill-e2e");
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toMatch(/replayed 5000 records as run backfill-e2e/);

    expect(await count("run_id = 'backfill-e2e'")).toBe(5000);
    expect(await count("run_id = 'live'")).toBe(10_000);
    const after = (JSON.parse((await sluice("status", file, "--json")).stdout) as Status).partitions;
    expect(after).toEqual(before);

    const bad = await sluice("replay", file, "--from", windowEnd, "--to", windowStart);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--from .* is not before --to/);
  });
});
