/**
 * The runtime on the real broker and registry: `sluice run` processes as consumer-group members. Every input
 * reaches the output topic with per-key order kept; a kill -9 loses nothing; poison goes to the DLQ with its
 * reason; SIGTERM then restart gives no gaps and no duplicates; a stalled registry makes records wait, not fail.
 * Needs the local stack (test/global-setup.ts).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import avsc from "avsc";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../ops/repo-root.ts";
import { stackConfig } from "../../stack/config.ts";
import { runningPid } from "../../stack/process.ts";
import { registryPaths } from "../../stack/registry.ts";
import { headerText } from "../helpers/kafka.ts";
import { uniqueName } from "../helpers/services.ts";
import { killAll, type SluiceProcess, startSluice, waitFor } from "../helpers/sluice-process.ts";
import {
  committedOffsets,
  createTopics,
  produce,
  type ReadMessage,
  readTopic,
  registerSchema,
} from "../helpers/stream-io.ts";

const ORDER_SCHEMA = join(REPO_ROOT, "schemas/example-order.avsc");
const orderType = avsc.Type.forSchema(JSON.parse(readFileSync(ORDER_SCHEMA, "utf8")));
const processes: SluiceProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), "sluice-runtime-"));

afterAll(() => killAll(processes));

interface Scenario {
  app: string;
  input: string;
  output: string;
  dlq: string;
  file: string;
  schemaId: number;
}

async function scenario(
  name: string,
  options: { reject?: boolean; guarantee?: "at_least_once" | "exactly_once" } = {},
): Promise<Scenario> {
  const app = uniqueName(name);
  const s = { app, input: `${app}-in`, output: `${app}-out`, dlq: `${app}.dlq`, file: join(dir, `${app}.yaml`) };
  await createTopics([
    { topic: s.input, partitions: 6 },
    { topic: s.output, partitions: 6 },
    { topic: s.dlq, partitions: 1 },
  ]);
  const schemaId = await registerSchema("example-order.avsc", `${s.input}-value`);
  const processors = options.reject
    ? `processors:\n  - name: gate\n    type: custom\n    from: orders\n    custom: { module: ${join(REPO_ROOT, "test/fixtures/reject-processor.ts")} }\n`
    : "";
  writeFileSync(
    s.file,
    `applicationId: ${app}
kafka:
  brokers: \${KAFKA_BROKERS}
schemaRegistry:
  url: \${SCHEMA_REGISTRY_URL}
processing:
  commitIntervalMs: 1000
  guarantee: ${options.guarantee ?? "at_least_once"}
sources:
  - name: orders
    topic: ${s.input}
    value: { format: avro, schema: ${ORDER_SCHEMA} }
${processors}sinks:
  - name: copy
    type: kafka
    from: ${options.reject ? "gate" : "orders"}
    kafka:
      topic: ${s.output}
      value: { format: avro, schema: ${ORDER_SCHEMA} }
`,
  );
  return { ...s, schemaId };
}

/** Keyed orders: 200 keys, a per-key sequence number in `items`, the global index in `order_id`. */
function orders(count: number, from = 0) {
  return Array.from({ length: count }, (_, j) => {
    const i = from + j;
    const key = `k-${i % 200}`;
    return {
      key,
      value: {
        order_id: `o-${i}`,
        customer_id: key,
        status: "paid",
        amount: i,
        currency: "EUR",
        items: Math.floor(i / 200),
        note: null,
      },
    };
  });
}

function decodeAll(messages: ReadMessage[]): { key: string; order_id: string; items: number }[] {
  return messages.map((m) => {
    const value = orderType.fromBuffer((m.value as Buffer).subarray(5)) as { order_id: string; items: number };
    return { key: String(m.key), order_id: value.order_id, items: value.items };
  });
}

/** Per key, the sequence of first occurrences must increase: order is kept even where a redo repeated some. */
function expectPerKeyOrder(rows: { key: string; items: number }[]): void {
  const seen = new Map<string, Set<number>>();
  const last = new Map<string, number>();
  for (const row of rows) {
    const s = seen.get(row.key) ?? new Set();
    seen.set(row.key, s);
    if (s.has(row.items)) continue;
    s.add(row.items);
    expect(row.items, `key ${row.key}`).toBeGreaterThan(last.get(row.key) ?? -1);
    last.set(row.key, row.items);
  }
}

function run(s: Scenario): SluiceProcess {
  const p = startSluice(["run", s.file, "--drain-timeout", "20000"]);
  processes.push(p);
  return p;
}

/** Reads the output topic until it holds `distinct` different inputs (order ids), or time runs out. */
async function outputCount(s: Scenario, distinct: number, timeoutMs = 120_000): Promise<ReadMessage[]> {
  const messages = await readTopic(s.output, distinct, { timeoutMs, distinct: (m) => orderIdOf(m) });
  if (new Set(messages.map(orderIdOf)).size < distinct && distinct !== Number.MAX_SAFE_INTEGER) {
    const logs = processes.map(
      (p, i) => `--- process ${i} (exit ${p.child.exitCode ?? p.child.signalCode}):\n${p.output().slice(-3000)}`,
    );
    throw new Error(
      `${s.output}: ${messages.length} messages, fewer than ${distinct} distinct inputs\n${logs.join("\n")}`,
    );
  }
  return messages;
}

function orderIdOf(m: ReadMessage): string {
  return (orderType.fromBuffer((m.value as Buffer).subarray(5)) as { order_id: string }).order_id;
}

describe("sluice run", () => {
  it("3 processes copy 100 000 keyed Avro records on 6 partitions, every one, per-key order kept", async () => {
    const s = await scenario("rt-three");
    await produce(s.input, s.schemaId, orders(100_000));
    const members = [run(s), run(s), run(s)];
    const out = await outputCount(s, 100_000, 240_000);
    const rows = decodeAll(out);
    expect(new Set(rows.map((r) => r.order_id)).size).toBe(100_000);
    expectPerKeyOrder(rows);
    for (const m of members) m.child.kill("SIGTERM");
    for (const m of members) expect(await m.exited).toBe(0);
    const committed = await committedOffsets(s.app, s.input);
    const logs = () => processes.map((p, i) => `--- process ${i}:\n${p.output().slice(-4000)}`).join("\n");
    expect(
      [...committed.values()].reduce((a, b) => a + b, 0),
      logs(),
    ).toBe(100_000);
  });

  it("kill -9 of one of 3 processes half way: after the rebalance no input is missing", async () => {
    const s = await scenario("rt-kill");
    await produce(s.input, s.schemaId, orders(100_000));
    const members = [run(s), run(s), run(s)];
    await outputCount(s, 50_000, 240_000);
    members[1]?.child.kill("SIGKILL");
    const out = await outputCount(s, 100_000, 240_000);
    await waitFor(
      async () => new Set(decodeAll(await outputCount(s, 100_000, 30_000)).map((r) => r.order_id)).size === 100_000,
      120_000,
      "every input on the output topic",
    );
    expectPerKeyOrder(decodeAll(out));
    for (const m of [members[0], members[2]]) m?.child.kill("SIGTERM");
  });

  it("exactly-once: kill -9 half way, read_committed output has zero missing and zero duplicates", async () => {
    const s = await scenario("rt-eos", { guarantee: "exactly_once" });
    await produce(s.input, s.schemaId, orders(30_000));
    const members = [run(s), run(s), run(s)];
    await outputCount(s, 15_000, 240_000);
    members[0]?.child.kill("SIGKILL");
    await outputCount(s, 30_000, 240_000);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const all = decodeAll(await readTopic(s.output, Number.MAX_SAFE_INTEGER, { timeoutMs: 15_000 }));
    expect(all).toHaveLength(30_000);
    expect(new Set(all.map((r) => r.order_id)).size).toBe(30_000);
    expectPerKeyOrder(all);
    for (const m of [members[1], members[2]]) m?.child.kill("SIGTERM");
  });

  it("1% poison records each reach the DLQ with their reason; every other record is processed", async () => {
    const s = await scenario("rt-poison", { reject: true });
    const good = orders(9_900);
    const encodedBadId = Buffer.concat([Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0]), orderType.toBuffer(good[0]?.value)]);
    const bad = [
      ...Array.from({ length: 25 }, (_, i) => ({ key: `bad-${i}`, value: Buffer.from([9, 1, 2, 3, 4, 5, 6]) })),
      ...Array.from({ length: 25 }, (_, i) => ({ key: `unknown-${i}`, value: encodedBadId })),
      ...Array.from({ length: 25 }, (_, i) => ({ key: `trunc-${i}`, value: Buffer.from([0, 0, 0]) })),
      ...orders(25, 50_000).map((o) => ({ ...o, value: { ...o.value, note: "reject" } })),
    ];
    const mixed: { key: string; value: unknown }[] = [...good];
    for (const [i, b] of bad.entries()) mixed.splice((i * 97) % mixed.length, 0, b);
    await produce(s.input, s.schemaId, mixed);
    const member = run(s);
    const out = await outputCount(s, 9_900, 120_000);
    expect(new Set(decodeAll(out).map((r) => r.order_id)).size).toBe(9_900);
    const letters = await readTopic(s.dlq, 100, { timeoutMs: 60_000 });
    expect(letters).toHaveLength(100);
    const byClass = new Map<string, number>();
    for (const l of letters) {
      const cls = headerText(l.headers, "sluice-dlq-error-class") ?? "?";
      byClass.set(cls, (byClass.get(cls) ?? 0) + 1);
      expect(headerText(l.headers, "sluice-dlq-error-message")).toBeTruthy();
      expect(headerText(l.headers, "sluice-dlq-source-topic")).toBe(s.input);
    }
    expect(byClass.get("PoisonRecordError")).toBe(100);
    const processors = new Set(letters.map((l) => headerText(l.headers, "sluice-dlq-processor")));
    expect(processors).toEqual(new Set(["decode", "gate"]));
    const reasons = letters.map((l) => headerText(l.headers, "sluice-dlq-error-message") ?? "");
    expect(reasons.filter((r) => /magic byte/i.test(r))).toHaveLength(25);
    expect(reasons.filter((r) => /schema id|not found|404/i.test(r)).length).toBeGreaterThanOrEqual(25);
    expect(reasons.filter((r) => /note=reject/.test(r))).toHaveLength(25);
    member.child.kill("SIGTERM");
    expect(await member.exited).toBe(0);
    const committed = await committedOffsets(s.app, s.input);
    expect([...committed.values()].reduce((a, b) => a + b, 0)).toBe(10_000);
  });

  it("SIGTERM drains and commits; a restart continues with no gaps and no duplicates", async () => {
    const s = await scenario("rt-restart");
    await produce(s.input, s.schemaId, orders(50_000));
    const first = run(s);
    await outputCount(s, 20_000, 120_000);
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    const second = run(s);
    const out = await outputCount(s, 50_000, 120_000);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
    const all = decodeAll(await outputCount(s, Number.MAX_SAFE_INTEGER, 10_000));
    expect(out.length).toBeGreaterThanOrEqual(50_000);
    expect(all).toHaveLength(50_000);
    expect(new Set(all.map((r) => r.order_id)).size).toBe(50_000);
  });

  it("a registry that stops answering for 10 s makes records wait: none on the DLQ, none lost", async () => {
    const pid = runningPid(registryPaths(stackConfig()).pidFile);
    if (pid === undefined) return; // external registry: nothing of ours to stop
    const s = await scenario("rt-registry");
    await produce(s.input, s.schemaId, orders(1_000));
    const member = run(s);
    await outputCount(s, 1_000, 60_000);
    // A second writer schema the runtime has never seen: decoding it needs the registry.
    const v2 = JSON.parse(readFileSync(ORDER_SCHEMA, "utf8"));
    v2.fields.push({ name: "channel", type: "string", default: "web" });
    const { SchemaRegistry, SchemaType } = await import("@kafkajs/confluent-schema-registry");
    const registry = new SchemaRegistry({ host: process.env.SCHEMA_REGISTRY_URL as string });
    const { id: v2Id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(v2) },
      { subject: `${s.input}-value` },
    );
    const v2Type = avsc.Type.forSchema(v2);
    const header = Buffer.alloc(5);
    header.writeInt32BE(v2Id, 1);
    process.kill(pid, "SIGSTOP");
    try {
      await produce(
        s.input,
        0,
        orders(1_000, 1_000).map((o) => ({
          key: o.key,
          value: Buffer.concat([header, v2Type.toBuffer({ ...o.value, channel: "app" })]),
        })),
      );
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      expect((await readTopic(s.dlq, 1, { timeoutMs: 3_000 })).length).toBe(0);
    } finally {
      process.kill(pid, "SIGCONT");
    }
    const out = await outputCount(s, 2_000, 120_000);
    expect(new Set(decodeAll(out).map((r) => r.order_id)).size).toBe(2_000);
    expect((await readTopic(s.dlq, 1, { timeoutMs: 3_000 })).length).toBe(0);
    member.child.kill("SIGTERM");
    expect(await member.exited).toBe(0);
  });
});
