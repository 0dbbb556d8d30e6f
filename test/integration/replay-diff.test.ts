/**
 * Replay-and-diff on the real stack (broker, registry, ClickHouse; `sluice run` and `sluice replay` as child
 * processes): a live run of the reference topology over 2 000 events, then `sluice replay --model <m> --diff`
 * twice. With the live model the diff shows 0 changes over all 2 000 records. With a candidate (the classifier
 * with its output layer re-weighted: a stand-in for a retrained model, made here), decision_diff and the
 * printed summary show exactly the changes a direct comparison finds, computed here from the decisions topic
 * (the live run's decisions beside the replay's, per lineage key): which records, by class and by tenant.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createClient } from "@clickhouse/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../analytics/migrate.ts";
import type { DiffReport } from "../../analytics/replay-diff.ts";
import { REPO_ROOT } from "../../ops/repo-root.ts";
import { endpoints } from "../../stack/config.ts";
import { uniqueName } from "../helpers/services.ts";
import { killAll, type SluiceProcess, startSluice } from "../helpers/sluice-process.ts";
import { type Decision, decisions, events, lineageKey, send, setUpTriage, type Triage } from "../helpers/triage.ts";

const N = 2_000;
const dir = mkdtempSync(join(tmpdir(), "sluice-replay-diff-"));
const processes: SluiceProcess[] = [];
const run = promisify(execFile);
let t: Triage;

/** The classifier with its output layer's biases shifted (the last 4 floats of weights.bin). */
function candidateModel(): string {
  const out = join(dir, "candidate");
  cpSync(join(REPO_ROOT, "models/classifier"), out, { recursive: true });
  const weights = readFileSync(join(out, "weights.bin"));
  const floats = new Float32Array(weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength));
  const shift = [-0.6, 0.4, 0.5, -0.2];
  shift.forEach((s, i) => {
    floats[floats.length - 4 + i] = (floats[floats.length - 4 + i] as number) + s;
  });
  writeFileSync(join(out, "weights.bin"), Buffer.from(floats.buffer));
  return out;
}

/** `sluice replay … --diff --json` as a child process (killed by its pid on timeout); the parsed summary. */
async function replayDiff(runId: string, model: string): Promise<{ diff: DiffReport; seconds: number }> {
  const args = ["replay", t.file, "--from", "earliest", "--to", "latest", "--run-id", runId, "--model", model];
  const { stdout } = await run("node", [join(REPO_ROOT, "cli/bin.mjs"), ...args, "--diff", "--json"], {
    cwd: REPO_ROOT,
    env: { ...process.env, SLUICE_KB_DB: t.kbDb },
    timeout: 90_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout);
}

beforeAll(async () => {
  await migrate(endpoints().clickhouseUrl);
  t = await setUpTriage(uniqueName("rdiff"), dir);
}, 60_000);

afterAll(() => {
  killAll(processes);
  rmSync(dir, { recursive: true, force: true });
});

describe("sluice replay --model --diff", () => {
  it("shows 0 changes with the live model and exactly the directly compared changes with a candidate", async () => {
    await send(t, await events(N, 61));
    const live = startSluice(["run", t.file, "--metrics-port", "0"], { SLUICE_KB_DB: t.kbDb });
    processes.push(live);
    await decisions(t, N);
    live.child.kill("SIGTERM");
    expect(await live.exited, live.output().slice(-2000)).toBe(0);

    const same = await replayDiff("same-model", join(REPO_ROOT, "models/classifier"));
    expect(same.diff.replayed).toBe(N);
    expect(same.diff.compared).toBe(N);
    expect(same.diff.changed).toBe(0);

    const candidate = await replayDiff("candidate", candidateModel());
    const all = await decisions(t, 3 * N);
    const byRun = (id: string) => new Map(all.filter((d) => d.run_id === id).map((d) => [lineageKey(d), d]));
    const [old, fresh] = [byRun("live"), byRun("candidate")];
    expect(old.size).toBe(N);
    expect(fresh.size).toBe(N);
    // The direct comparison: the live decision beside the candidate's, per lineage key.
    const changed = [...old].filter(([k, d]) => (fresh.get(k) as Decision).decision !== d.decision).map(([k]) => k);
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.length).toBeLessThan(N);
    expect(candidate.diff.compared).toBe(N);
    expect(candidate.diff.changed).toBe(changed.length);
    expect(candidate.diff.changedShare).toBeCloseTo(changed.length / N, 9);
    const count = (key: (d: Decision) => string) => {
      const m: Record<string, number> = {};
      for (const k of changed) m[key(old.get(k) as Decision)] = (m[key(old.get(k) as Decision)] ?? 0) + 1;
      return m;
    };
    const reported = (rows: Record<string, unknown>[], by: string) =>
      Object.fromEntries(
        rows.filter((r) => Number(r.changed_records) > 0).map((r) => [r[by], Number(r.changed_records)]),
      );
    expect(reported(candidate.diff.byClass, "class")).toEqual(count((d) => String(d.decision)));
    const byTenant = count((d) => String(d.tenant_id));
    for (const [tenant, n] of Object.entries(reported(candidate.diff.byTenant, "tenant_id")))
      expect(n).toBe(byTenant[tenant]);
    expect(candidate.diff.movers[0]?.old_decision).not.toBe(candidate.diff.movers[0]?.new_decision);

    // decision_diff holds one row per record; its changed rows are the directly compared ones, with both sides.
    const client = createClient({ url: endpoints().clickhouseUrl });
    try {
      const rows = await (
        await client.query({
          query: `SELECT source_topic, source_partition, source_offset, changed, old_decision, new_decision,
                    old_confidence, new_confidence FROM decision_diff FINAL WHERE run_id = 'candidate'
                    AND source_topic = '${t.topics.events}'`,
          format: "JSONEachRow",
        })
      ).json<Record<string, unknown>>();
      expect(rows).toHaveLength(N);
      const key = (r: Record<string, unknown>) => `${r.source_topic}/${r.source_partition}@${r.source_offset}`;
      expect(
        rows
          .filter((r) => Number(r.changed) === 1)
          .map(key)
          .sort(),
      ).toEqual([...changed].sort());
      for (const r of rows) {
        const [o, f] = [old.get(key(r)) as Decision, fresh.get(key(r)) as Decision];
        expect([r.old_decision, r.new_decision]).toEqual([o.decision, f.decision]);
        expect(Number(r.old_confidence)).toBeCloseTo(Number(o.confidence), 5);
        expect(Number(r.new_confidence)).toBeCloseTo(Number(f.confidence), 5);
      }
    } finally {
      await client.close();
    }
    process.stderr.write(
      `replay-and-diff of ${N} records: ${candidate.seconds}s replay + ${candidate.diff.queryMs.toFixed(0)} ms diff\n`,
    );
  }, 180_000);
});
