/**
 * A soak of the reference topology (support-triage): its saturation rate measured first on a backlog (the same
 * minutes, the same machine load), then one `sluice run` fed at 50 % of it for 20 minutes (`--quick`: 3), each
 * record stamped with its send time; reports the RSS slope after warm-up (least squares, MiB/min), p50/p99
 * latency per minute (output LogAppendTime − send time) and the group's lag over time.
 * Targets (issue 17): slope < 1 MiB/min, per-minute p99 within 20 % of its median. Writes bench/results/soak.json.
 * `node --import tsx ops/bench/soak.ts [--quick] [--rate N]`, or `npm run bench -- --only soak`.
 */
import { rm } from "node:fs/promises";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { createClient } from "@clickhouse/client";
import { migrate } from "../../analytics/migrate.ts";
import { partitionId } from "../../core/kafka.ts";
import { endpoints } from "../../stack/config.ts";
import { procStat, writeTopology } from "./lib/group-run.ts";
import { percentile, SENT_AT_HEADER } from "./lib/latency.ts";
import { runMeasured, sluiceLaunch, start } from "./lib/processes.ts";
import { writeResult } from "./lib/results.ts";
import { benchClient, createTopic, deleteTopics, LOG_APPEND_TIME, readWholeTopic, topicEnd } from "./lib/topics.ts";
import { ensureEvents, eventPayloads, KB_TABLE, knowledgeBase, registerEvents, triageYaml } from "./lib/triage.ts";

export interface SoakSettings {
  minutes: number;
  /** Minutes left out of the RSS slope and the p99 flatness (start-up, JIT, caches filling). */
  warmupMinutes: number;
  /** Events of the backlog the saturation rate is measured on, and the longest that run may take. */
  saturation: { events: number; maxSeconds: number };
  /** Records/s fed. @default half of the saturation rate measured first */
  rate?: number;
}

/** Records/s of one `sluice run` of the reference topology through a backlog of `events` (as topology.ts does). */
async function measureSaturation(s: SoakSettings["saturation"], database: string, env: NodeJS.ProcessEnv) {
  const input = `bench-triage-in-${s.events}`;
  await ensureEvents(input, s.events);
  const app = `bench-soaksat-${Date.now().toString(36)}`;
  const output = `${app}-out`;
  await createTopic(output, 6, LOG_APPEND_TIME);
  await createTopic(`${app}.dlq`, 1);
  try {
    const launch = sluiceLaunch(app, writeTopology(app, triageYaml(app, input, output, database)), env);
    return await runMeasured([launch], output, s.events, { maxSeconds: s.maxSeconds, startTimeoutMs: 180_000 });
  } finally {
    await deleteTopics([output, `${app}.dlq`]);
  }
}

/** Least-squares slope of y over x. */
function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const num = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const den = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return num / den;
}

async function groupLag(groupId: string, topic: string): Promise<number> {
  const admin = benchClient().admin();
  await admin.connect();
  try {
    const ends = await admin.topicOffsets(topic);
    const at = await admin.groupOffsets(groupId, [topic]); // -1 where the group committed nothing
    return ends.reduce((sum, p) => sum + p.high - Math.max(0, at.get(partitionId(topic, p.partition)) ?? 0), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Latency of every output record, by the minute (since `t0`) its input was sent. */
async function latenciesByMinute(topic: string, t0: number): Promise<Map<number, number[]>> {
  const byMinute = new Map<number, number[]>();
  await readWholeTopic(topic, `bench-soak-reader-${Date.now()}`, 300_000, (m) => {
    const sentAt = Number(m.headers[SENT_AT_HEADER]?.toString());
    if (!Number.isFinite(sentAt)) return;
    const minute = Math.floor((sentAt - t0) / 60_000);
    const list = byMinute.get(minute) ?? [];
    list.push(m.timestamp - sentAt); // the record timestamp: the output topic's LogAppendTime
    byMinute.set(minute, list);
  });
  return byMinute;
}

export async function benchSoak(s: SoakSettings) {
  const db = await knowledgeBase();
  const database = `sluice_soak_${Date.now().toString(36)}`;
  await migrate(endpoints().clickhouseUrl, { database });
  const env = { SLUICE_KB_DB: db, SLUICE_KB_TABLE: KB_TABLE };
  const measured = s.rate === undefined ? await measureSaturation(s.saturation, database, env) : undefined;
  const saturation = measured?.recordsPerSecond ?? (s.rate as number) * 2;
  const rate = Math.max(1, Math.round(saturation / 2));
  console.error(`soak: saturation ${saturation} records/s, feeding ${rate}/s for ${s.minutes} min`);
  const app = `bench-soak-${Date.now().toString(36)}`;
  const [input, output, dlq] = [`${app}-in`, `${app}-out`, `${app}.dlq`];
  await createTopic(input, 6);
  await createTopic(output, 6, LOG_APPEND_TIME);
  await createTopic(dlq, 1);
  const payloads = eventPayloads(await registerEvents(input), 5000, 991);
  const running = start([sluiceLaunch(app, writeTopology(app, triageYaml(app, input, output, database)), env)]);
  const pid = running.children[0]?.pid ?? 0;
  // The port's producer: idempotent, acks from every in-sync replica (the local broker's one replica).
  const producer = benchClient().producer();
  await producer.connect();
  const rss: { minute: number; rssMiB: number; load1: number }[] = [];
  const lag: { minute: number; lag: number }[] = [];
  let sent = 0;
  let t0 = 0;
  try {
    // Outputs flowing first: the soak's clock starts once the topology has loaded its models and joined.
    await producer.send(input, payloads.slice(0, 10));
    const deadline = Date.now() + 180_000;
    while ((await topicEnd(output)) < 10) {
      if (Date.now() > deadline) throw new Error(`${output}: no output within 180 s`);
      if (running.children[0]?.exitCode !== null) throw new Error(`${app} exited during start-up`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    t0 = Date.now();
    let nextSample = t0;
    while (Date.now() - t0 < s.minutes * 60_000) {
      if (running.children[0]?.exitCode !== null) throw new Error(`${app} exited during the soak`);
      const now = Date.now();
      const due = Math.floor((rate * (now - t0)) / 1000) - sent;
      if (due > 0) {
        const messages = Array.from({ length: due }, (_, i) => {
          const p = payloads[(sent + i) % payloads.length] as (typeof payloads)[number];
          return { key: p.key, value: p.value, timestamp: now, headers: { [SENT_AT_HEADER]: String(now) } };
        });
        for (let i = 0; i < messages.length; i += 1000) {
          await producer.send(input, messages.slice(i, i + 1000));
        }
        sent += due;
      }
      if (now >= nextSample) {
        const minute = Number(((now - t0) / 60_000).toFixed(3));
        rss.push({ minute, rssMiB: Number((procStat(pid).rssKiB / 1024).toFixed(1)), load1: loadavg()[0] ?? 0 });
        lag.push({ minute, lag: await groupLag(app, input) });
        nextSample += 10_000;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const drainDeadline = Date.now() + 120_000;
    while ((await topicEnd(output)) < sent + 10 && Date.now() < drainDeadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await new Promise((resolve) => setTimeout(resolve, 3000)); // a last commit interval
    lag.push({ minute: Number(((Date.now() - t0) / 60_000).toFixed(3)), lag: await groupLag(app, input) });
  } finally {
    await producer.disconnect();
    await running.stop();
  }
  const byMinute = await latenciesByMinute(output, t0);
  await deleteTopics([input, output, dlq]);
  await rm(db, { recursive: true, force: true });
  const client = createClient({ url: endpoints().clickhouseUrl });
  await client.command({ query: `DROP DATABASE IF EXISTS ${database}` }).finally(() => client.close());

  const perMinute = [...byMinute.entries()]
    .filter(([minute]) => minute >= 0 && minute < s.minutes)
    .sort((a, b) => a[0] - b[0])
    .map(([minute, list]) => {
      const sorted = list.sort((a, b) => a - b);
      return { minute, records: sorted.length, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
    });
  const steady = perMinute.filter((m) => m.minute >= s.warmupMinutes);
  const p99s = steady.map((m) => m.p99Ms).sort((a, b) => a - b);
  const medianP99 = percentile(p99s, 50);
  // Flatness needs two steady minutes at least; a minute whose records never came out makes it unmeasurable.
  const spread = p99s.length > 1 ? ((p99s.at(-1) as number) - (p99s[0] as number)) / medianP99 : Number.NaN;
  const rssSlope = slope(rss.filter((r) => r.minute >= s.warmupMinutes).map((r) => ({ x: r.minute, y: r.rssMiB })));
  const received = perMinute.reduce((sum, m) => sum + m.records, 0);
  const result = {
    topology: "topologies/examples/support-triage.yaml on benchmark topics and a ClickHouse database of the run",
    settings: { ...s, saturationRecordsPerSecond: saturation, ratePerSecond: rate },
    saturationRun: measured,
    sent,
    received,
    /** Every record fed came out within the soak and its drain: the topology kept up. */
    keptUp: received === sent,
    rssSlopeMiBPerMinute: Number(rssSlope.toFixed(3)),
    rssMiB: { first: rss[0]?.rssMiB, last: rss.at(-1)?.rssMiB, max: Math.max(...rss.map((r) => r.rssMiB)) },
    p99: { medianMs: medianP99, spreadOfMedian: Number(spread.toFixed(3)) },
    lag: { max: Math.max(...lag.map((l) => l.lag)), final: lag.at(-1)?.lag },
    targets: { rssSlopeBelow1MiBPerMinute: rssSlope < 1, p99FlatWithin20Percent: spread <= 0.2 && received === sent },
    latencyPerMinute: perMinute,
    rssSamples: rss,
    lagSamples: lag,
  };
  writeResult("soak", result);
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { quick: { type: "boolean" }, rate: { type: "string" } } });
  const quick = values.quick ?? false;
  const r = await benchSoak({
    minutes: quick ? 3 : 20,
    warmupMinutes: quick ? 1 : 5,
    // A backlog long enough that its rate is the steady one: 12 000 events came out in a few sink bursts, and
    // measured 10.9k/s where the topology sustains about a third of that.
    saturation: quick ? { events: 60_000, maxSeconds: 40 } : { events: 150_000, maxSeconds: 90 },
    ...(values.rate ? { rate: Number(values.rate) } : {}),
  });
  const { latencyPerMinute, rssSamples, lagSamples, ...summary } = r;
  console.log(JSON.stringify({ ...summary, latencyPerMinute }, null, 2));
  process.exit(0);
}
