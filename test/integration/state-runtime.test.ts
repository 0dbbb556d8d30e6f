/**
 * State stores in `sluice run`, on the real local stack (Kafka, ClickHouse): a windowed count survives a kill -9
 * of one of two members and equals an exact count computed by ClickHouse over the same input; a partition with a
 * long changelog restores while the others run; a stream-table join picks up table updates, session windows
 * merge and split, and a late record is dead-lettered with its reason.
 * `SLUICE_STATE_EVENTS` sets the input size (default 200 000, to keep `npm test` short; `SLUICE_STATE_EVENTS=1000000` runs the size).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@clickhouse/client";
import { afterAll, describe, expect, it } from "vitest";
import { DLQ_HEADERS } from "../../sinks/dead-letter.ts";
import { endpoints } from "../../stack/config.ts";
import { uniqueName } from "../helpers/services.ts";
import { killAll, memberTasks, type SluiceProcess, startSluice, waitFor } from "../helpers/sluice-process.ts";
import { committedOffsets, createTopics, kafka, readTopic } from "../helpers/stream-io.ts";

const EVENTS = Number(process.env.SLUICE_STATE_EVENTS ?? 200_000);
const KEYS = 5_000;
/** The longest each step of the big count may take (about 2 ms per event on this 2-core machine, loaded). */
const WAIT_MS = Math.max(240_000, EVENTS * 2);
const WINDOW_MS = 60_000;
/** Recent event times: the broker's retention would delete records (and outputs) stamped months ago. */
const T0 = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - 30 * WINDOW_MS;
const processes: SluiceProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), "sluice-state-run-"));

afterAll(() => {
  killAll(processes);
  rmSync(dir, { recursive: true, force: true });
});

/** Event i: key k-(i mod KEYS), event time spread over 20 one-minute windows, in order per key. */
const event = (i: number) => ({ key: `k-${i % KEYS}`, timestamp: T0 + Math.floor((i / EVENTS) * 20 * WINDOW_MS) });

async function produceEvents(topic: string, count: number): Promise<void> {
  const producer = kafka().producer();
  await producer.connect();
  try {
    for (let i = 0; i < count; i += 10_000) {
      const messages = [];
      for (let j = i; j < Math.min(count, i + 10_000); j++) {
        const e = event(j);
        messages.push({ key: e.key, value: JSON.stringify({ n: j }), timestamp: e.timestamp });
      }
      await producer.send(topic, messages);
    }
  } finally {
    await producer.disconnect();
  }
}

function countTopology(app: string, input: string, output: string, guarantee = "at_least_once"): string {
  const file = join(dir, `${app}.yaml`);
  writeFileSync(
    file,
    `applicationId: ${app}
kafka:
  brokers: \${KAFKA_BROKERS}
processing:
  commitIntervalMs: 1000
  # A killed member's partitions move after 6 s, not the default 30 s.
  sessionTimeoutMs: 6000
  guarantee: ${guarantee}
  stateDir: \${STATE_DIR}
sources:
  - name: events
    topic: ${input}
    value: { format: json }
processors:
  - name: per-key
    type: count
    from: events
    count:
      window: { type: tumbling, sizeMs: ${WINDOW_MS} }
      graceMs: 3600000
      emit: update
sinks:
  - name: counts
    type: kafka
    from: per-key
    kafka: { topic: ${output}, value: { format: json } }
`,
  );
  return file;
}

function member(file: string, name: string, env: NodeJS.ProcessEnv = {}): SluiceProcess {
  const p = startSluice(["run", file, "--drain-timeout", "20000"], { STATE_DIR: join(dir, name), ...env });
  processes.push(p);
  return p;
}

/** The exact count per key and window, by ClickHouse over the produced events. */
async function exactCounts(count: number): Promise<Map<string, number>> {
  const client = createClient({ url: endpoints().clickhouseUrl });
  const table = uniqueName("state_input").replaceAll("-", "_");
  try {
    await client.command({ query: `CREATE TABLE ${table} (key String, ts UInt64) ENGINE = Memory` });
    const rows = Array.from({ length: count }, (_, i) => ({ key: event(i).key, ts: event(i).timestamp }));
    await client.insert({ table, values: rows, format: "JSONEachRow" });
    const result = await client.query({
      query: `SELECT key, intDiv(ts, ${WINDOW_MS}) * ${WINDOW_MS} AS start, count() AS n FROM ${table} GROUP BY key, start`,
      format: "JSONEachRow",
    });
    const out = new Map<string, number>();
    for (const r of await result.json<{ key: string; start: string; n: string }>()) {
      out.set(`${r.key}@${r.start}`, Number(r.n));
    }
    return out;
  } finally {
    await client.command({ query: `DROP TABLE IF EXISTS ${table}` }).catch(() => {});
    await client.close();
  }
}

/** Per key and window, the highest count emitted (updates only grow; a redone record repeats a value). */
function emittedCounts(messages: { value: Buffer | null }[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of messages) {
    const v = JSON.parse(String(m.value)) as { key: string; windowStart: number; count: number };
    const id = `${v.key}@${v.windowStart}`;
    out.set(id, Math.max(out.get(id) ?? 0, v.count));
  }
  return out;
}

describe("state stores in sluice run", () => {
  it(
    `a windowed count over ${EVENTS} keyed events, one of 2 members killed -9 midway, equals ClickHouse's exact count`,
    async () => {
      const app = uniqueName("state-count");
      const input = `${app}-in`;
      const output = `${app}-out`;
      await createTopics([
        { topic: input, partitions: 6 },
        { topic: output, partitions: 6 },
        { topic: `${app}.dlq`, partitions: 1 },
      ]);
      await produceEvents(input, EVENTS);
      const exact = await exactCounts(EVENTS);
      const file = countTopology(app, input, output);
      const a = member(file, "a");
      const b = member(file, "b");
      // Kill one member once about a third of the updates are out: its partitions move, their stores are restored.
      await readTopic(output, Math.floor(EVENTS / 3), { timeoutMs: WAIT_MS });
      b.child.kill("SIGKILL");
      expect(await b.exited).toBe("SIGKILL");
      const committed = async () => [...(await committedOffsets(app, input)).values()].reduce((x, y) => x + y, 0);
      await waitFor(async () => (await committed()) === EVENTS, WAIT_MS, "every input committed").catch(
        async (error: unknown) => {
          const offsets = JSON.stringify([...(await committedOffsets(app, input))]);
          throw new Error(
            `${String(error)}\ncommitted ${offsets}\ntasks ${await memberTasks(a)}\n${a.output().slice(-3000)}`,
          );
        },
      );
      const emitted = emittedCounts(await readTopic(output, Number.MAX_SAFE_INTEGER, { timeoutMs: 15_000 }));
      const wrong = [...exact].filter(([id, n]) => emitted.get(id) !== n);
      expect(wrong.slice(0, 5).map(([id, n]) => [id, n, emitted.get(id)])).toEqual([]);
      // Never more than exact: nothing counted twice after the restore.
      expect([...emitted].filter(([id, n]) => n > (exact.get(id) ?? 0))).toEqual([]);
      expect(emitted.size).toBe(exact.size);
      expect(a.output()).toMatch(/state restored/);
      a.child.kill("SIGTERM");
      expect(await a.exited).toBe(0);
    },
    2 * WAIT_MS + 120_000,
  );

  it("exactly-once: the count's changelog writes commit in the chunk's transaction; after a kill -9 every update appears once", async () => {
    const app = uniqueName("state-eos");
    const input = `${app}-in`;
    const output = `${app}-out`;
    const events = 30_000;
    await createTopics([
      { topic: input, partitions: 6 },
      { topic: output, partitions: 6 },
      { topic: `${app}.dlq`, partitions: 1 },
    ]);
    await produceEvents(input, events);
    const file = countTopology(app, input, output, "exactly_once");
    const a = member(file, "eos-a");
    const b = member(file, "eos-b");
    await readTopic(output, 8_000, { timeoutMs: 240_000, isolation: "read_committed" });
    b.child.kill("SIGKILL");
    expect(await b.exited).toBe("SIGKILL");
    await waitFor(
      async () => [...(await committedOffsets(app, input)).values()].reduce((x, y) => x + y, 0) === events,
      240_000,
      "every input committed",
    );
    const updates = (await readTopic(output, events, { timeoutMs: 60_000, isolation: "read_committed" })).map(
      (m) => JSON.parse(String(m.value)) as { key: string; windowStart: number; count: number },
    );
    // One update per input record, none repeated: count n of a window appears exactly once for n = 1..final.
    const seen = new Set(updates.map((u) => `${u.key}@${u.windowStart}#${u.count}`));
    expect(updates.length).toBe(events);
    expect(seen.size).toBe(events);
    a.child.kill("SIGTERM");
    expect(await a.exited).toBe(0);
  });

  it("a partition with a long changelog restores in the background while the other partitions run", async () => {
    const app = uniqueName("state-restore");
    const input = `${app}-in`;
    const output = `${app}-out`;
    const changelog = `${app}-per-key-changelog`;
    await createTopics([
      { topic: input, partitions: 6 },
      { topic: output, partitions: 6 },
      { topic: `${app}.dlq`, partitions: 1 },
    ]);
    // Partition 0's changelog holds 300 000 earlier entries: restoring it takes seconds.
    const admin = kafka().admin();
    await admin.connect();
    await admin.createTopics([{ topic: changelog, partitions: 6, configs: { "cleanup.policy": "compact" } }]);
    await admin.disconnect();
    const producer = kafka().producer();
    await producer.connect();
    for (let i = 0; i < 300_000; i += 10_000) {
      const messages = Array.from({ length: 10_000 }, (_, j) => ({
        partition: 0,
        key: `w\u0000old-${i + j}\u00000000000000000`,
        value: JSON.stringify({ v: { key: `old-${i + j}`, start: 0, end: 60_000, value: 1 } }),
      }));
      await producer.send(changelog, messages);
    }
    // 100 records on each of partitions 1–5, 100 on partition 0.
    const now = Date.now();
    const messages = Array.from({ length: 600 }, (_, i) => ({
      partition: i % 6,
      key: `k-${i}`,
      value: JSON.stringify({ n: i }),
      timestamp: now,
    }));
    await producer.send(input, messages);
    await producer.disconnect();
    const file = countTopology(app, input, output);
    const a = member(file, "restore", { SLUICE_ADVERTISED_HOST: "127.0.0.1" });
    const restored0 = () => /"partition":0,[^\n]*"msg":"state restored"/.test(a.output());
    // `sluice status` asks the member (its endpoint is in the group metadata) while partition 0 restores.
    const status = (async () => {
      await waitFor(() => /"partition":0,[^\n]*"msg":"restoring state"/.test(a.output()), 120_000, "restore start");
      const s = startSluice(["status", file, "--json"], { STATE_DIR: join(dir, "restore") });
      processes.push(s);
      expect(await s.exited, s.output()).toBe(0);
      return { restoredBefore: restored0(), json: JSON.parse(s.output().slice(s.output().indexOf("{"))) };
    })();
    // The other five partitions' 500 records are counted (output keys k-i with i mod 6 ≠ 0) while partition 0
    // is still restoring.
    const others = await readTopic(output, 500, { timeoutMs: 120_000 });
    const stillRestoring = !restored0();
    const { restoredBefore, json } = await status;
    const tasks = (
      json.members as { tasks?: { topic: string; partition: number; state: string; restore?: unknown[] }[] }[]
    )
      .flatMap((m) => m.tasks ?? [])
      .filter((t) => t.topic === input);
    expect(tasks.map((t) => t.partition).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    if (!restoredBefore) {
      // Still restoring when status returned: it showed partition 0 restoring, with the store's progress.
      const p0 = tasks.find((t) => t.partition === 0);
      expect(p0?.state).toBe("restoring");
      expect(p0?.restore).toEqual([{ store: "per-key", restored: expect.any(Number), total: 300_000 }]);
    }
    const keys = new Set(others.map((m) => String(m.key)));
    expect([...keys].filter((k) => Number(k.slice(2)) % 6 === 0)).toEqual([]);
    expect(keys.size).toBe(500);
    expect(stillRestoring, a.output().slice(-2000)).toBe(true);
    // Then partition 0 catches up too.
    await waitFor(restored0, 120_000, "partition 0 restored");
    const all = await readTopic(output, 600, { timeoutMs: 60_000 });
    expect(new Set(all.map((m) => String(m.key))).size).toBe(600);
    a.child.kill("SIGTERM");
    expect(await a.exited).toBe(0);
  });

  it("a stream-table join picks up table updates; session windows merge and split; a late record is dead-lettered", async () => {
    const app = uniqueName("state-join");
    const [events, profiles, joinedTopic, sessions, dlq] = ["events", "profiles", "joined", "sessions", "dlq"].map(
      (t) => (t === "dlq" ? `${app}.dlq` : `${app}-${t}`),
    ) as [string, string, string, string, string];
    await createTopics([
      { topic: events, partitions: 2 },
      { topic: profiles, partitions: 2 },
      { topic: joinedTopic, partitions: 2 },
      { topic: sessions, partitions: 2 },
      { topic: dlq, partitions: 1 },
    ]);
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
  - name: events
    topic: ${events}
    value: { format: json }
  - name: profiles
    topic: ${profiles}
    value: { format: json }
processors:
  - name: with-profile
    type: join
    from: [events, profiles]
    join: { table: { topic: ${profiles} }, kind: left, as: profile }
  - name: per-session
    type: count
    from: events
    count:
      window: { type: session, gapMs: 60000 }
      graceMs: 120000
      emit: update
      late: dead-letter
sinks:
  - name: joined
    type: kafka
    from: with-profile
    kafka: { topic: ${joinedTopic}, value: { format: json } }
  - name: sessions
    type: kafka
    from: per-session
    kafka: { topic: ${sessions}, value: { format: json } }
  - name: dlq
    type: dead-letter
`,
    );
    const a = member(file, "join");
    const producer = kafka().producer();
    await producer.connect();
    const t0 = Math.floor(Date.now() / 1000) * 1000 - 600_000;
    const send = async (topic: string, key: string, value: unknown, ts = Date.now()) => {
      await producer.send(topic, [{ key, value: JSON.stringify(value), timestamp: ts }]);
    };
    /** Waits until the group committed `count` records of `topic` in all (so the next record sees their effect). */
    const processed = async (topic: string, count: number) =>
      waitFor(
        async () => [...(await committedOffsets(app, topic)).values()].reduce((x, y) => x + Math.max(0, y), 0) >= count,
        120_000,
        `${count} records of ${topic} processed`,
      );
    try {
      await send(profiles, "c1", { tier: "gold" });
      await processed(profiles, 1);
      await send(events, "c1", { n: 1 }, t0);
      await processed(events, 1);
      await send(profiles, "c1", { tier: "platinum" });
      await processed(profiles, 2);
      // Sessions of c1 (gap 60 s, closed 60 s + 120 s of grace after their end by stream time): t0 (above),
      // t0+100 s apart from it, then t0+50 s bridges both into one.
      await send(events, "c1", { n: 2 }, t0 + 100_000);
      await processed(events, 2);
      await send(events, "c1", { n: 3 }, t0 + 50_000);
      await processed(events, 3);
      await send(events, "c1", { n: 4 }, t0 + 300_000); // a new session; stream time passes t0+280 s, the merged one's close
      await processed(events, 4);
      await send(events, "c1", { n: 5 }, t0 + 20_000); // late: its session closed at t0+280 s
      await processed(events, 5);
    } finally {
      await producer.disconnect();
    }
    const joined = (await readTopic(joinedTopic, 5, { timeoutMs: 30_000 })).map(
      (m) => JSON.parse(String(m.value)) as { n: number; profile: { tier: string } | null },
    );
    const tiers = new Map(joined.map((j) => [j.n, j.profile?.tier]));
    expect([tiers.get(1), tiers.get(2), tiers.get(3), tiers.get(4)]).toEqual([
      "gold",
      "platinum",
      "platinum",
      "platinum",
    ]);
    // The session table after every update: merged sessions removed, the bridge counted once.
    const table = new Map<number, { end: number; count: number }>();
    for (const m of await readTopic(sessions, 7, { timeoutMs: 30_000 })) {
      const v = JSON.parse(String(m.value)) as {
        windowStart: number;
        windowEnd: number;
        count?: number;
        removed?: boolean;
      };
      if (v.removed) table.delete(v.windowStart);
      else table.set(v.windowStart, { end: v.windowEnd, count: v.count ?? 0 });
    }
    expect([...table].sort(([x], [y]) => x - y)).toEqual([
      [t0, { end: t0 + 100_000, count: 3 }],
      [t0 + 300_000, { end: t0 + 300_000, count: 1 }],
    ]);
    const letters = await readTopic(dlq, 1, { timeoutMs: 30_000 });
    expect(letters).toHaveLength(1);
    expect(String(letters[0]?.headers?.[DLQ_HEADERS.errorMessage])).toMatch(/late record/);
    expect(JSON.parse(String(letters[0]?.value))).toEqual({ n: 5 });
    a.child.kill("SIGTERM");
    expect(await a.exited).toBe(0);
  });
});
