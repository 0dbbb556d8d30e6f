/**
 * The ClickHouse sink against the real local server (Debian 18.16 from the stack): 200 000 decisions from
 * concurrent tasks land exactly once even when 50 000 are redelivered; an outage (a cut TCP proxy in front of
 * the server, and a dead port) rejects with TransientError, opens the breaker and acknowledges nothing early;
 * a bad row fails only itself. Each test works in its own database, dropped at the end.
 */
import { randomBytes } from "node:crypto";
import net from "node:net";
import { type ClickHouseClient, createClient } from "@clickhouse/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../analytics/migrate.ts";
import { BatchError, ConfigError, TransientError } from "../../core/errors.ts";
import { decisionRecords } from "../../ops/clickhouse/sample-decisions.ts";
import type { StreamRecord } from "../../processors/api.ts";
import { ClickHouseSink, type ClickHouseSinkOptions, clickhouseSinkConfig } from "../../sinks/clickhouse.ts";
import { untilDelivered } from "../../topologies/runtime/delivery.ts";

const url = process.env.CLICKHOUSE_URL ?? "http://127.0.0.1:28123";
const database = `t_${randomBytes(4).toString("hex")}`;
let admin: ClickHouseClient;

function sink(overrides: Partial<ClickHouseSinkOptions> & { table?: string } = {}): ClickHouseSink {
  const { table, ...rest } = overrides;
  return new ClickHouseSink({
    name: "decisions",
    config: clickhouseSinkConfig.parse({
      table: table ?? `${database}.agent_decisions`,
      maxRows: 10_000,
      maxWaitMs: 50,
    }),
    runId: "live",
    url,
    ...rest,
  });
}

/** count() FINAL and distinct lineage keys of one source topic. */
async function figures(topic: string): Promise<{ rows: number; keys: number }> {
  const result = await admin.query({
    query: `SELECT count() AS rows, uniqExact(source_topic, source_partition, source_offset, output_index, run_id) AS keys
            FROM ${database}.agent_decisions FINAL WHERE source_topic = '${topic}'`,
    format: "JSONEachRow",
  });
  const [row] = await result.json<{ rows: string; keys: string }>();
  return { rows: Number(row?.rows), keys: Number(row?.keys) };
}

/** Writes `records` in micro-batches from one simulated task, up to `inFlight` writes at once, retrying like the runtime. */
async function task(target: ClickHouseSink, records: StreamRecord[], batch: number, inFlight = 4, onAck?: () => void) {
  const running = new Set<Promise<void>>();
  for (let i = 0; i < records.length; i += batch) {
    const chunk = records.slice(i, i + batch);
    const write = untilDelivered(
      () => target.write(chunk),
      { onFailure: () => {}, onRecovered: () => {} },
      new AbortController().signal,
      {
        initialDelayMs: 50,
        maxDelayMs: 400,
      },
    ).then(() => onAck?.());
    const tracked = write.finally(() => running.delete(tracked));
    running.add(tracked);
    if (running.size >= inFlight) await Promise.race(running);
  }
  await Promise.all(running);
}

/** A TCP proxy in front of the real server that a test can cut (every connection reset) and restore. */
async function cuttableProxy(target: URL) {
  let down = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (down) return client.destroy();
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {});
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    cut() {
      down = true;
      for (const s of sockets) s.destroy();
    },
    restore() {
      down = false;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("ClickHouse sink on the local server", () => {
  beforeAll(async () => {
    admin = createClient({ url });
    await migrate(url, { database });
  });
  afterAll(async () => {
    await admin.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    await admin.close();
  });

  it("lands 200 000 decisions from concurrent tasks exactly once, and redelivery does not double count", async () => {
    const target = sink();
    await target.start();
    const tasks = 8;
    const perTask = 25_000;
    await Promise.all(
      Array.from({ length: tasks }, (_, p) => task(target, decisionRecords("bulk", p, 0, perTask), 500)),
    );
    expect(await figures("bulk")).toEqual({ rows: 200_000, keys: 200_000 });
    // Redeliver 50 000 of them (as after a crash or a rebalance), in other batch boundaries.
    await Promise.all(
      Array.from({ length: 4 }, (_, p) => task(target, decisionRecords("bulk", p, 10_000, 12_500), 700)),
    );
    await target.close();
    expect(await figures("bulk")).toEqual({ rows: 200_000, keys: 200_000 });
  });

  it("rejects TransientError while ClickHouse is unreachable, opens the breaker, then lands every row once", async () => {
    const proxy = await cuttableProxy(new URL(url));
    const target = sink({ url: proxy.url, breakerThreshold: 3, halfOpenAfterMs: 500, attempts: 2, initialDelayMs: 20 });
    await target.start();
    let acked = 0;
    const writers = Promise.all(
      Array.from({ length: 4 }, (_, p) =>
        task(target, decisionRecords("outage", p, 0, 5_000), 250, 2, () => {
          acked++;
        }),
      ),
    );
    while (acked < 10) await new Promise((r) => setTimeout(r, 10));
    proxy.cut();
    await new Promise((r) => setTimeout(r, 300)); // inserts acknowledged before the cut settle
    const ackedAtCut = acked;
    const direct = await target.write(decisionRecords("outage-probe", 0, 0, 10)).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(direct).toBeInstanceOf(TransientError);
    while (target.isHealthy()) await new Promise((r) => setTimeout(r, 20));
    const fast = await target.write(decisionRecords("outage-probe", 0, 0, 10)).catch((error: unknown) => error);
    expect(fast).toBeInstanceOf(TransientError);
    expect((fast as Error).message).toMatch(/circuit open/);
    await new Promise((r) => setTimeout(r, 1500));
    expect(acked).toBe(ackedAtCut); // nothing acknowledged while the server was unreachable
    proxy.restore();
    await writers;
    expect(target.isHealthy()).toBe(true);
    await target.close();
    await proxy.close();
    expect(acked).toBe(4 * (5_000 / 250));
    expect(await figures("outage")).toEqual({ rows: 20_000, keys: 20_000 });
    expect(await figures("outage-probe")).toEqual({ rows: 0, keys: 0 });

    const dead = sink({ url: "http://127.0.0.1:9", attempts: 1 });
    await expect(dead.start()).rejects.toBeInstanceOf(TransientError);
    await dead.close();
  });

  it("fails only the bad rows of a batch (BatchError indices), the neighbours land", async () => {
    const target = sink();
    await target.start();
    const records = decisionRecords("bad-rows", 0, 0, 100).map((r, i) => {
      if (i === 17) return r.withValue({ ...(r.value as object), confidence: "not a number" });
      if (i === 42) return r.withValue({ ...(r.value as object), event_time: 9e15 });
      return r;
    });
    const error = await target.write(records).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BatchError);
    expect([...(error as BatchError).failures.keys()].sort((a, b) => a - b)).toEqual([17, 42]);
    expect((error as BatchError).failures.get(17)?.message).toMatch(/confidence/);
    await target.close();
    expect(await figures("bad-rows")).toEqual({ rows: 98, keys: 98 });
  });

  it("fails start() with a ConfigError naming a missing table", async () => {
    const target = sink({ table: `${database}.no_such_table` });
    await expect(target.start()).rejects.toThrow(ConfigError);
    await expect(target.start()).rejects.toThrow(`${database}.no_such_table`);
    await target.close();
  });
});
