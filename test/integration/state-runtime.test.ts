/**
 * State stores in `sluice run`, on the real local stack (Kafka, ClickHouse): a windowed count survives a kill -9
 * of one of two members and equals an exact count computed by ClickHouse over the same input; a restarted member
 * restores its stores from the changelogs; a partition with a long changelog restores while the others run.
 * `SLUICE_STATE_EVENTS` sets the input size (default 300 000; the figure is 1 000 000).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@clickhouse/client";
import { afterAll, describe, expect, it } from "vitest";
import { endpoints } from "../../stack/config.ts";
import { uniqueName } from "../helpers/services.ts";
import { killAll, type SluiceProcess, startSluice, waitFor } from "../helpers/sluice-process.ts";
import { committedOffsets, createTopics, kafka, readTopic } from "../helpers/stream-io.ts";

const EVENTS = Number(process.env.SLUICE_STATE_EVENTS ?? 300_000);
const KEYS = 5_000;
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
  const producer = kafka().producer({ idempotent: true });
  await producer.connect();
  try {
    for (let i = 0; i < count; i += 10_000) {
      const messages = [];
      for (let j = i; j < Math.min(count, i + 10_000); j++) {
        const e = event(j);
        messages.push({ key: e.key, value: JSON.stringify({ n: j }), timestamp: String(e.timestamp) });
      }
      await producer.send({ topic, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
}

function countTopology(app: string, input: string, output: string): string {
  const file = join(dir, `${app}.yaml`);
  writeFileSync(
    file,
    `applicationId: ${app}
kafka:
  brokers: \${KAFKA_BROKERS}
processing:
  commitIntervalMs: 1000
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

function member(file: string, name: string): SluiceProcess {
  const p = startSluice(["run", file, "--drain-timeout", "20000"], { STATE_DIR: join(dir, name) });
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
  it(`a windowed count over ${EVENTS} keyed events, one of 2 members killed -9 midway, equals ClickHouse's exact count`, async () => {
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
    await readTopic(output, Math.floor(EVENTS / 3), { timeoutMs: 240_000 });
    b.child.kill("SIGKILL");
    expect(await b.exited).toBe("SIGKILL");
    const committed = async () => [...(await committedOffsets(app, input)).values()].reduce((x, y) => x + y, 0);
    await waitFor(async () => (await committed()) === EVENTS, 240_000, "every input committed").catch(
      (error: unknown) => {
        throw new Error(`${String(error)}\n${a.output().slice(-3000)}`);
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
  });
});
