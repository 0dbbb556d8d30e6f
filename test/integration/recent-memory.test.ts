/**
 * Short-term memory end to end on the real stack (Kafka): a `recent` step (the last 3 events per customer, in a
 * state store with its changelog) under `sluice run` with two members, one killed -9 mid-run. After the survivor
 * restored the dead member's partitions and finished, one probe event per customer shows what the store holds:
 * its `recent` field must equal the customer's last 3 events of the input, newest first (a replay of the input).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { uniqueName } from "../helpers/services.ts";
import { killAll, type SluiceProcess, startSluice, waitFor } from "../helpers/sluice-process.ts";
import { committedOffsets, createTopics, kafka, readTopic } from "../helpers/stream-io.ts";

const processes: SluiceProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), "sluice-recent-"));
afterAll(() => {
  killAll(processes);
  rmSync(dir, { recursive: true, force: true });
});

const CUSTOMERS = 20;
const SIZE = 3;

async function produceEvents(topic: string, from: number, count: number): Promise<void> {
  const producer = kafka().producer();
  await producer.connect();
  try {
    const messages = Array.from({ length: count }, (_, i) => {
      const n = from + i;
      const customer = `c-${n % CUSTOMERS}`;
      return {
        key: customer,
        value: JSON.stringify({ customer, n, text: `event ${n}` }),
        timestamp: Date.now(),
      };
    });
    await producer.send(topic, messages);
  } finally {
    await producer.disconnect();
  }
}

describe("recent (short-term memory) in sluice run", () => {
  it("after a kill -9 and a restore, each customer's remembered events equal a replay of the input", async () => {
    const app = uniqueName("recent");
    const [input, output] = [`${app}-in`, `${app}-out`];
    await createTopics([
      { topic: input, partitions: 4 },
      { topic: output, partitions: 4 },
      { topic: `${app}.dlq`, partitions: 1 },
    ]);
    const file = join(dir, `${app}.yaml`);
    writeFileSync(
      file,
      `applicationId: ${app}
kafka:
  brokers: \${KAFKA_BROKERS}
processing:
  commitIntervalMs: 300
  sessionTimeoutMs: 6000
  maxInFlightRecords: 50
  batch: { maxRecords: 20 }
  stateDir: \${STATE_DIR}
sources:
  - { name: events, topic: ${input}, value: { format: json } }
processors:
  - name: memory
    type: recent
    from: events
    recent: { size: ${SIZE}, by: value.customer, fields: [n] }
sinks:
  - name: out
    type: kafka
    from: memory
    kafka: { topic: ${output}, value: { format: json } }
`,
    );
    const member = (name: string) => {
      const p = startSluice(["run", file, "--drain-timeout", "5000"], { STATE_DIR: join(dir, name) });
      processes.push(p);
      return p;
    };
    const a = member("a");
    const b = member("b");
    await waitFor(() => b.output().includes("partitions assigned"), 30_000, "b assigned").catch((e) => {
      throw new Error(`${String(e)}\n${b.output().slice(-2000)}`);
    });
    const N = 2000;
    await produceEvents(input, 0, N);
    const committed = async () =>
      [...(await committedOffsets(app, input)).values()].reduce((x, y) => x + Math.max(0, y), 0);
    await waitFor(async () => (await committed()) >= N / 4, 30_000, "a quarter committed");
    b.child.kill("SIGKILL");
    expect(await b.exited).toBe("SIGKILL");
    await waitFor(async () => (await committed()) === N, 30_000, "every event committed").catch((e) => {
      throw new Error(`${String(e)}\n${a.output().slice(-2000)}`);
    });
    // One probe per customer: what it remembers is what the (restored) store held.
    await produceEvents(input, N, CUSTOMERS);
    // Count input events, not output values: a record redone after the kill may see a store restored past its
    // committed offset, so its repeat can differ from the first output, and distinct values would stop the read early.
    const out = await readTopic(output, N + CUSTOMERS, {
      timeoutMs: 30_000,
      distinct: (m) => String((JSON.parse(String(m.value)) as { n: number }).n),
    });
    const probes = out
      .map(
        (m) => JSON.parse(String(m.value)) as { customer: string; n: number; recent: Array<{ event: { n: number } }> },
      )
      .filter((v) => v.n >= N);
    expect(new Set(probes.map((p) => p.n)).size).toBe(CUSTOMERS);
    for (const probe of probes) {
      const c = Number(probe.customer.slice(2));
      // The customer's earlier events, newest first: n = c + k·CUSTOMERS below N.
      const expected = Array.from({ length: SIZE }, (_, k) => N - CUSTOMERS + c - k * CUSTOMERS);
      const seen = new Set(probes.filter((p) => p.n === probe.n).map((p) => JSON.stringify(p.recent)));
      expect(seen.size, `probe ${probe.n}`).toBe(1);
      expect(
        probe.recent.map((r) => r.event.n),
        `customer ${probe.customer}`,
      ).toEqual(expected);
    }
    a.child.kill("SIGTERM");
    expect(await a.exited).toBe(0);
  }, 60_000);
});
