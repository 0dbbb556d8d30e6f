/**
 * End-to-end latency at a paced rate (a backlog would only measure queueing): records are produced at `rate`/s
 * stamped with their send time (CreateTime and a `bench-sent-at` header, which every program under test passes
 * on), the output topic uses LogAppendTime, so latency = output log-append time − input record timestamp, both
 * read from one machine's clock.
 */
import { procStat } from "./group-run.ts";
import { benchClient, readWholeTopic, topicEnd } from "./topics.ts";

export const SENT_AT_HEADER = "bench-sent-at";
const PHASE_HEADER = "bench-phase";

export interface LatencyResult {
  ratePerSecond: number;
  achievedRatePerSecond: number;
  seconds: number;
  sent: number;
  received: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** CPU-seconds per 1 000 records of the processes under test during the paced phase (small fetches). */
  cpuSecondsPer1000?: number;
}

export interface Payload {
  key: string;
  value: Buffer;
}

/** Nearest-rank percentile of sorted numbers. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/** Produces `payloads` (cycled) at `rate`/s for `seconds`, tagged with `phase`; returns how many were sent. */
async function pace(topic: string, payloads: readonly Payload[], rate: number, seconds: number, phase: string) {
  // The port's producer: idempotent, acks from every in-sync replica (the local broker's one replica).
  const producer = benchClient().producer();
  await producer.connect();
  const t0 = performance.now();
  let sent = 0;
  try {
    while (performance.now() - t0 < seconds * 1000) {
      const due = Math.floor((rate * (performance.now() - t0)) / 1000) - sent;
      if (due > 0) {
        const now = Date.now();
        const messages = Array.from({ length: due }, (_, i) => {
          const p = payloads[(sent + i) % payloads.length] as Payload;
          return {
            key: p.key,
            value: p.value,
            timestamp: now,
            headers: { [SENT_AT_HEADER]: String(now), [PHASE_HEADER]: phase },
          };
        });
        // One request stays under the broker's message.max.bytes however far behind the pacer fell.
        for (let i = 0; i < messages.length; i += 1000) {
          await producer.send(topic, messages.slice(i, i + 1000));
        }
        sent += due;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    await producer.disconnect();
  }
  return { sent, seconds: (performance.now() - t0) / 1000 };
}

async function waitFor(topic: string, count: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let end = await topicEnd(topic);
  while (end < count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    end = await topicEnd(topic);
  }
  return end;
}

/** Reads the whole output topic: latency of each record of the `measure` phase. */
async function readLatencies(topic: string): Promise<number[]> {
  const latencies: number[] = [];
  await readWholeTopic(topic, `bench-latency-reader-${Date.now()}`, 120_000, (m) => {
    if (m.headers[PHASE_HEADER]?.toString() !== "measure") return;
    const sentAt = Number(m.headers[SENT_AT_HEADER]?.toString());
    // The record timestamp: the output topic's LogAppendTime.
    if (Number.isFinite(sentAt)) latencies.push(m.timestamp - sentAt);
  });
  return latencies.sort((a, b) => a - b);
}

/**
 * With the program under test already consuming `input` → `output` (`stop` ends it): a warm-up at `rate` until
 * outputs flow, then `seconds` of paced input, then waits up to `drainMs` for the outputs and reads them.
 */
export async function pacedLatency(
  input: string,
  output: string,
  payloads: readonly Payload[],
  rate: number,
  seconds: number,
  options: {
    warmupSeconds?: number;
    startTimeoutMs?: number;
    drainMs?: number;
    /** Processes whose CPU time to count during the paced phase. */
    pids?: readonly (number | undefined)[];
    stop(): Promise<void>;
  },
): Promise<LatencyResult> {
  try {
    const warm = await pace(input, payloads, rate, options.warmupSeconds ?? 2, "warmup");
    if ((await waitFor(output, warm.sent, options.startTimeoutMs ?? 120_000)) < warm.sent)
      throw new Error(`${output}: the warm-up records did not come out`);
    const cpu = () => (options.pids ?? []).reduce<number>((sum, pid) => sum + (pid ? procStat(pid).cpuTicks : 0), 0);
    const cpuBefore = cpu();
    const measured = await pace(input, payloads, rate, seconds, "measure");
    await waitFor(output, warm.sent + measured.sent, options.drainMs ?? 60_000);
    const cpuSeconds = (cpu() - cpuBefore) / 100;
    await options.stop();
    const latencies = await readLatencies(output);
    return {
      ratePerSecond: Math.round(rate),
      achievedRatePerSecond: Math.round(measured.sent / measured.seconds),
      seconds: Number(measured.seconds.toFixed(1)),
      sent: measured.sent,
      received: latencies.length,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: latencies[latencies.length - 1] ?? Number.NaN,
      ...(options.pids ? { cpuSecondsPer1000: Number(((cpuSeconds / measured.sent) * 1000).toFixed(3)) } : {}),
    };
  } finally {
    await options.stop();
  }
}
