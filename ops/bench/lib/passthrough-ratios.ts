/**
 * The passthrough's ratios, all from one run: sluice against the hand-written kafkajs loop (the headline: CPU per
 * record), Kafka Streams (throughput; latency at the same paced rate), the naive loop, kafkajs's bare floors and
 * the broker's ceiling. CPU ratios use CPU-seconds over records, not the rounded per-1 000 figures.
 */
import type { FloorResult } from "./floors.ts";
import type { LatencyResult } from "./latency.ts";
import type { MeasuredRun } from "./processes.ts";

interface System {
  system: string;
  throughput: MeasuredRun;
  latency: LatencyResult;
}

const round = (value: number, digits = 2) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : Number.NaN);

export function passthroughRatios(
  systems: readonly System[],
  streamsAtSluiceRate: LatencyResult,
  floors: { consume: FloorResult; produce: FloorResult },
  ceilingRecordsPerSecond: number,
): Record<string, number> {
  const get = (name: string) => systems.find((x) => x.system === name)?.throughput;
  const rate = (name: string) => get(name)?.recordsPerSecond ?? Number.NaN;
  const cpu = (name: string) => {
    const t = get(name);
    return t ? t.cpuSeconds / t.records : Number.NaN;
  };
  const sluiceLatency = systems.find((x) => x.system === "sluice")?.latency;
  const floorCpu =
    floors.consume.cpuSeconds / floors.consume.records + floors.produce.cpuSeconds / floors.produce.records;
  return {
    "sluice/kafkajs-handwritten cpu-per-record": round(cpu("sluice") / cpu("kafkajs-handwritten")),
    "sluice/kafkajs-handwritten records/s": round(rate("sluice") / rate("kafkajs-handwritten")),
    "sluice/kafka-streams records/s": round(rate("sluice") / rate("kafka-streams")),
    "sluice/kafka-streams p50 at sluice's 50% rate": round(
      (sluiceLatency?.p50Ms ?? Number.NaN) / streamsAtSluiceRate.p50Ms,
    ),
    "sluice/kafka-streams p99 at sluice's 50% rate": round(
      (sluiceLatency?.p99Ms ?? Number.NaN) / streamsAtSluiceRate.p99Ms,
    ),
    "sluice/kafkajs-naive records/s": round(rate("sluice") / rate("kafkajs-naive")),
    "sluice/kafkajs floors (consume + produce) cpu-per-record": round(cpu("sluice") / floorCpu),
    "kafkajs-handwritten/kafkajs floors cpu-per-record": round(cpu("kafkajs-handwritten") / floorCpu),
    "sluice/broker-ceiling": round(rate("sluice") / ceilingRecordsPerSecond, 3),
  };
}
