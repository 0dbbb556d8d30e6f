/**
 * `node --import tsx ops/bench/replay-diff.ts [--events 20000]`: replay-and-diff throughput on the running local
 * stack. The reference topology (support-triage) decides N generated events live (`sluice run`), then
 * `sluice replay --from earliest --to latest --model <candidate> --diff --json` replays them with a candidate (the
 * classifier with shifted output biases) and joins the two runs in ClickHouse. Reports events/s of the replay
 * (records / its processing seconds), of replay + diff, and of the whole command (process start included).
 * `--pinned` replays with `--no-as-of` (the pinned KB version) to show what as-of retrieval costs.
 */
import { execFile, spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs, promisify } from "node:util";
import { migrate } from "../../analytics/migrate.ts";
import { buildKnowledgeBase } from "../../processors/knowledge-base.ts";
import { produce } from "../../produce/produce.ts";
import { generate } from "../../produce/readers.ts";
import { endpoints } from "../../stack/config.ts";
import { kafkaClientFor } from "../../topologies/runtime/kafka/kafkajs-client.ts";
import { REPO_ROOT } from "../repo-root.ts";
import { createTopic, deleteTopics, topicEnd } from "./lib/topics.ts";

export interface ReplayDiffResult {
  events: number;
  retrieval: "as-of" | "pinned";
  changed: number;
  replaySeconds: number;
  diffSeconds: number;
  commandSeconds: number;
  replayEventsPerSecond: number;
  replayAndDiffEventsPerSecond: number;
  commandEventsPerSecond: number;
}

export async function benchReplayDiff(o: { events: number; pinned?: boolean }): Promise<ReplayDiffResult> {
  const dir = mkdtempSync(join(tmpdir(), "sluice-bench-replay-diff-"));
  const app = `bench-rdiff-${Date.now().toString(36)}`;
  const topics = { events: `${app}-events`, decisions: `${app}-decisions` };
  const env = { ...process.env, SLUICE_KB_DB: join(dir, "lancedb"), SLUICE_LOG_LEVEL: "warn" };
  const cli = join(REPO_ROOT, "cli/bin.mjs");

  await migrate(endpoints().clickhouseUrl);
  await buildKnowledgeBase(join(REPO_ROOT, "models/kb/docs.jsonl"), {
    db: env.SLUICE_KB_DB,
    table: "support_kb",
    encoder: join(REPO_ROOT, "models/encoder"),
  });
  await createTopic(topics.events, 3);
  await createTopic(topics.decisions, 3);
  await createTopic(`${app}.dlq`, 1);
  let text = readFileSync(join(REPO_ROOT, "topologies/examples/support-triage.yaml"), "utf8").replaceAll(
    "../../",
    `${REPO_ROOT}/`,
  );
  text = text
    .replace("applicationId: support-triage", `applicationId: ${app}`)
    .replace("topic: enterprise-events", `topic: ${topics.events}`)
    .replace("topic: agent-decisions", `topic: ${topics.decisions}`);
  const file = join(dir, "triage.yaml");
  writeFileSync(file, text);
  const candidate = join(dir, "candidate");
  cpSync(join(REPO_ROOT, "models/classifier"), candidate, { recursive: true });
  const w = readFileSync(join(candidate, "weights.bin"));
  const floats = new Float32Array(w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength));
  [-0.6, 0.4, 0.5, -0.2].forEach((s, i) => {
    floats[floats.length - 4 + i] = (floats[floats.length - 4 + i] as number) + s;
  });
  writeFileSync(join(candidate, "weights.bin"), Buffer.from(floats.buffer));

  const sent = await produce(generate(o.events, 7), {
    kafka: kafkaClientFor({ brokers: endpoints().kafkaBrokers }),
    registryUrl: endpoints().schemaRegistryUrl,
    topic: topics.events,
    schemaFile: join(REPO_ROOT, "schemas/enterprise-event.avsc"),
    keyField: "tenant_id",
  });
  const live = spawn("node", [cli, "run", file, "--metrics-port", "0"], { env, stdio: "ignore" });
  const deadline = Date.now() + 300_000;
  while ((await topicEnd(topics.decisions)) < sent.sent) {
    if (Date.now() > deadline) throw new Error("the live run did not decide every event within 300 s");
    await new Promise((r) => setTimeout(r, 500));
  }
  live.kill("SIGTERM");
  await new Promise((r) => live.once("exit", r));

  const t0 = performance.now();
  const args = ["replay", file, "--from", "earliest", "--to", "latest", "--run-id", "bench", "--model", candidate];
  if (o.pinned) args.push("--no-as-of"); // the pinned version instead of as-of retrieval, for comparison
  const { stdout } = await promisify(execFile)("node", [cli, ...args, "--diff", "--json"], {
    env,
    timeout: 600_000,
    maxBuffer: 64 << 20,
  });
  const wall = (performance.now() - t0) / 1000;
  const s = JSON.parse(stdout) as { records: number; seconds: number; diff: { queryMs: number; changed: number } };
  const result: ReplayDiffResult = {
    events: s.records,
    retrieval: o.pinned ? "pinned" : "as-of",
    changed: s.diff.changed,
    replaySeconds: s.seconds,
    diffSeconds: Number((s.diff.queryMs / 1000).toFixed(2)),
    commandSeconds: Number(wall.toFixed(1)),
    replayEventsPerSecond: Math.round(s.records / s.seconds),
    replayAndDiffEventsPerSecond: Math.round(s.records / (s.seconds + s.diff.queryMs / 1000)),
    commandEventsPerSecond: Math.round(s.records / wall),
  };
  if (!o.pinned)
    writeFileSync(join(REPO_ROOT, "bench/results/replay-diff.json"), `${JSON.stringify(result, null, 2)}\n`);
  await deleteTopics([topics.events, topics.decisions, `${app}.dlq`]);
  rmSync(dir, { recursive: true, force: true });
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { events: { type: "string", default: "20000" }, pinned: { type: "boolean", default: false } },
  });
  const result = await benchReplayDiff({ events: Number(values.events), pinned: values.pinned ?? false });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (!values.pinned)
    writeFileSync(join(REPO_ROOT, "bench/results/replay-diff.json"), `${JSON.stringify(result, null, 2)}\n`);
}
