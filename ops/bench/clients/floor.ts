/**
 * What every client-floor program shares: its arguments, and a meter that times a consume or produce run from
 * inside the process (CPU from `process.cpuUsage()`, which counts every thread, librdkafka's included) and prints
 * one JSON line on stdout. A floor is what the bare client costs with nothing else to do.
 * Usage of a floor program: node --import tsx ops/bench/clients/<client>.ts <consume|produce> <topic> <records> <schemaId>
 */
import type { Payload } from "../lib/latency.ts";
import { orderPayloads } from "../lib/topics.ts";

export interface FloorArgs {
  mode: "consume" | "produce";
  topic: string;
  /** consume: how many records the topic holds; produce: how many to send. */
  records: number;
  schemaId: number;
  groupId: string;
}

export function floorArgs(): FloorArgs {
  const [mode, topic, records, schemaId] = process.argv.slice(2);
  if ((mode !== "consume" && mode !== "produce") || !topic || !records || !schemaId)
    throw new Error("usage: <client>.ts <consume|produce> <topic> <records> <schemaId>");
  return {
    mode,
    topic,
    records: Number(records),
    schemaId: Number(schemaId),
    groupId: `bench-floor-${Date.now().toString(36)}`,
  };
}

/** Times the window from the first record (consume) or first send (produce) to the last; prints it and exits. */
export class Meter {
  private t0 = 0;
  private cpu0: NodeJS.CpuUsage | undefined;
  private counted = 0;
  private total = 0;
  private finished = false;

  constructor(
    private readonly client: string,
    private readonly mode: string,
    private readonly expected: number,
    private readonly onDone: () => Promise<void> = async () => {},
  ) {}

  /** Consume: `n` more records arrived. The first arrival starts the window (its records are left out of it). */
  received(n: number): void {
    if (this.cpu0 === undefined) this.start();
    else this.counted += n;
    this.total += n;
    if (this.total >= this.expected) void this.finish();
  }

  /** Produce: the window starts before the first send. */
  start(): void {
    this.t0 = performance.now();
    this.cpu0 = process.cpuUsage();
  }

  /** Produce: `n` more records were acknowledged. */
  acked(n: number): void {
    this.counted += n;
    this.total += n;
    if (this.total >= this.expected) void this.finish();
  }

  private async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    const seconds = (performance.now() - this.t0) / 1000;
    const cpu = process.cpuUsage(this.cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const result = {
      client: this.client,
      mode: this.mode,
      records: this.counted,
      seconds: Number(seconds.toFixed(2)),
      recordsPerSecond: Math.round(this.counted / seconds),
      cpuSeconds: Number(cpuSeconds.toFixed(2)),
      cpuSecondsPer1000: Number(((cpuSeconds / this.counted) * 1000).toFixed(4)),
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    await Promise.race([this.onDone().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 5000))]);
    process.exit(0);
  }
}

export const SEND_SIZE = 1000;
export const IN_FLIGHT = 8;

/**
 * Sends `records` order payloads (10 000 distinct ones, cycled) in sends of 1 000 with 8 in flight, counting
 * acknowledgements on `meter`.
 */
export async function produceAll(
  records: number,
  schemaId: number,
  meter: Meter,
  send: (batch: readonly Payload[]) => Promise<unknown>,
): Promise<void> {
  const payloads = orderPayloads(schemaId, 0, 10_000);
  const inFlight = new Set<Promise<unknown>>();
  meter.start();
  for (let sent = 0; sent < records; sent += SEND_SIZE) {
    const n = Math.min(SEND_SIZE, records - sent);
    const batch = Array.from({ length: n }, (_, i) => payloads[(sent + i) % payloads.length] as Payload);
    const p = send(batch).then(() => {
      inFlight.delete(p);
      meter.acked(n);
    });
    inFlight.add(p);
    if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
}
