/**
 * As-of retrieval on the real stack (broker, registry, ClickHouse; `sluice run` and `sluice replay` as child
 * processes): knowledge base v1, 5 000 events, an update to v2 at time T (LanceDB's commit time), 5 000 more
 * events, all decided by a live member given `--as-of`; then a replay of everything (as-of by default). Per lineage, every event before T used v1 and every
 * event after T used v2, in the replay as in the live run, and the replay's decisions (decision, confidence,
 * scores, retrieved ids and distances, versions) equal the live run's bit for bit for all 10 000 events.
 * The knowledge base lives in a temp folder.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as lancedb from "@lancedb/lancedb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../analytics/migrate.ts";
import { updateKnowledgeBase } from "../../processors/knowledge-base.ts";
import { endpoints } from "../../stack/config.ts";
import { uniqueName } from "../helpers/services.ts";
import { killAll, type SluiceProcess, startSluice } from "../helpers/sluice-process.ts";
import {
  type Decision,
  decisions,
  ENCODER,
  events,
  lineageKey,
  send,
  setUpTriage,
  type Triage,
} from "../helpers/triage.ts";

const HALF = 5_000;
const dir = mkdtempSync(join(tmpdir(), "sluice-as-of-"));
const processes: SluiceProcess[] = [];
let t: Triage;

beforeAll(async () => {
  await migrate(endpoints().clickhouseUrl);
  t = await setUpTriage(uniqueName("asof"), dir, [
    ["refresh: { policy: interval, intervalMs: 60000 }", "refresh: { policy: interval, intervalMs: 300 }"],
  ]);
}, 60_000);

afterAll(() => {
  killAll(processes);
  rmSync(dir, { recursive: true, force: true });
});

/** What must be equal bit for bit between two runs' decisions of one event (everything but run-specific fields). */
const decided = (d: Decision) =>
  JSON.stringify([
    d.event_id,
    d.decision,
    d.confidence,
    d.reason,
    d.scores,
    d.model_id,
    d.kb_table,
    d.kb_version,
    d.retrieved_ids,
    d.retrieved_distances,
  ]);

describe("as-of retrieval in a replay", () => {
  it("uses the version current at each event's time and reproduces the live decisions bit for bit", async () => {
    const before = await events(HALF, 31);
    const after = await events(HALF, 32);
    const live = startSluice(["run", t.file, "--metrics-port", "0", "--as-of"], { SLUICE_KB_DB: t.kbDb });
    processes.push(live);
    await send(t, before);
    const first = await decisions(t, HALF);
    const v1 = first[0]?.kb_version as number;
    expect(first.every((d) => d.kb_version === v1)).toBe(true);

    // The update: documents with exactly the text of 40 coming events (their nearest neighbour under v2).
    const copies = after.slice(0, 40).map((e, i) => ({
      doc_id: `asof-v2-${i}`,
      tenant_id: e.tenant_id,
      category: "billing",
      title: `Added at T ${i}`,
      text: e.text,
    }));
    const v2 = (await updateKnowledgeBase(copies, { db: t.kbDb, table: "support_kb", encoder: ENCODER })).version;
    const db = await lancedb.connect(t.kbDb);
    const table = await db.openTable("support_kb");
    const T = (await table.listVersions()).find((v) => v.version === v2)?.timestamp.getTime() as number;
    table.close();
    expect(T).toBeGreaterThan(Math.max(...first.map((d) => Number(d.event_time))));
    await send(t, after);
    const liveDecisions = await decisions(t, 2 * HALF);
    live.child.kill("SIGTERM");
    expect(await live.exited).toBe(0);

    const replay = startSluice(
      ["replay", t.file, "--from", "earliest", "--to", "latest", "--run-id", "asof-replay", "--json"],
      { SLUICE_KB_DB: t.kbDb },
    );
    processes.push(replay);
    expect(await replay.exited, replay.output().slice(-3000)).toBe(0);
    const all = await decisions(t, 4 * HALF);
    const byRun = (run: string) => new Map(all.filter((d) => d.run_id === run).map((d) => [lineageKey(d), d]));
    const [liveRun, replayRun] = [byRun("live"), byRun("asof-replay")];
    expect(liveRun.size).toBe(2 * HALF);
    expect(replayRun.size).toBe(2 * HALF);
    expect(liveDecisions.length).toBeGreaterThanOrEqual(2 * HALF);

    const beforeIds = new Set(before.map((e) => e.event_id));
    const afterIds = new Set(after.map((e) => e.event_id));
    let differing = 0;
    for (const [key, l] of liveRun) {
      const r = replayRun.get(key) as Decision;
      expect(r, key).toBeDefined();
      const expected = beforeIds.has(l.event_id as string) ? v1 : afterIds.has(l.event_id as string) ? v2 : -1;
      expect(l.kb_version, `live ${key}`).toBe(expected);
      expect(r.kb_version, `replay ${key}`).toBe(expected);
      if (decided(l) !== decided(r)) differing++;
    }
    expect(differing).toBe(0);
    // The update's documents were retrieved (under v2 only), so v1 and v2 really answered differently.
    const withCopies = [...replayRun.values()].filter((d) => (d.retrieved_ids as string[])[0]?.startsWith("asof-v2-"));
    expect(withCopies.length).toBeGreaterThanOrEqual(40); // generated texts repeat: more events find them
    expect(withCopies.every((d) => d.kb_version === v2)).toBe(true);
    expect(replay.output()).toContain("as-of retrieval");
  }, 180_000);
});
