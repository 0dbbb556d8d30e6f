/**
 * Issue 12's targets, each next to what this run measured: passthrough CPU per record against the hand-written
 * loop, throughput against Kafka Streams, latency side by side with Kafka Streams at sluice's 50 % and 10 % rates,
 * steady RSS on the large backlog, CPU per record flat across 1/2/3 instances. Only figures of this run; a section
 * not run says so. Reported by `npm run bench`, never asserted in a test.
 */

export interface TargetRow {
  target: string;
  goal: string;
  measured: string;
  met: boolean | undefined;
}

interface Latency {
  ratePerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export interface TargetInputs {
  passthrough?: {
    ratios: Record<string, number>;
    systems: readonly { system: string; latency: Latency; throughput: { cpuSecondsPer1000: number } }[];
    kafkaStreamsLatencyAtSluiceRate: Latency;
    latencyAtTenPercentOfSluice: { sluice: Latency; kafkaStreams: Latency };
  };
  memory?: { steadyRssMiB: number; peakRssMiB: number; flat: boolean; backlog: number; seconds: number };
  scale?: { runs: readonly { instances: number; cpuSeconds: number; records: number }[] };
}

const notRun = (target: string, goal: string): TargetRow => ({ target, goal, measured: "not run", met: undefined });
const ms = (l: Latency) => `p50 ${l.p50Ms} / p99 ${l.p99Ms} ms`;

export function targetRows(r: TargetInputs): TargetRow[] {
  const rows: TargetRow[] = [];
  const p = r.passthrough;
  if (p) {
    const cpu = p.ratios["sluice/kafkajs-handwritten cpu-per-record"] ?? Number.NaN;
    const thr = p.ratios["sluice/kafka-streams records/s"] ?? Number.NaN;
    const p50 = p.ratios["sluice/kafka-streams p50 at sluice's 50% rate"] ?? Number.NaN;
    const p99 = p.ratios["sluice/kafka-streams p99 at sluice's 50% rate"] ?? Number.NaN;
    const sluice = p.systems.find((s) => s.system === "sluice");
    const hand = p.systems.find((s) => s.system === "kafkajs-handwritten");
    const ks = p.kafkaStreamsLatencyAtSluiceRate;
    const ten = p.latencyAtTenPercentOfSluice;
    rows.push(
      {
        target: "passthrough CPU per record vs the hand-written kafkajs loop",
        goal: "≤ 1.3×",
        measured: `${cpu}× (${sluice?.throughput.cpuSecondsPer1000} vs ${hand?.throughput.cpuSecondsPer1000} CPU-s/1000)`,
        met: cpu <= 1.3,
      },
      { target: "passthrough throughput vs Kafka Streams", goal: "≥ 0.5×", measured: `${thr}×`, met: thr >= 0.5 },
      {
        target: `latency at 50% of sluice's saturation (${ks.ratePerSecond}/s): p50 vs Kafka Streams`,
        goal: "≤ 2×",
        measured: `${p50}× (sluice ${sluice ? ms(sluice.latency) : "?"}; Kafka Streams ${ms(ks)})`,
        met: p50 <= 2,
      },
      {
        target: "… p99 vs Kafka Streams at that rate",
        goal: "≤ 1.5×",
        measured: `${p99}×`,
        met: p99 <= 1.5,
      },
      {
        target: `latency at 10% of sluice's saturation (${ten.sluice.ratePerSecond}/s), nothing should queue`,
        goal: "report",
        measured: `sluice ${ms(ten.sluice)}; Kafka Streams ${ms(ten.kafkaStreams)}`,
        met: undefined,
      },
    );
  } else rows.push(notRun("passthrough CPU, throughput and latency targets", "see issue 12"));
  const m = r.memory;
  if (m)
    rows.push({
      target: `steady RSS of one passthrough process on a ${m.backlog} backlog`,
      goal: "≤ 250 MiB, flat",
      measured: `${m.steadyRssMiB} MiB steady (peak ${m.peakRssMiB}), ${m.flat ? "flat" : "still growing"} after ${m.seconds} s`,
      met: m.steadyRssMiB <= 250 && m.flat,
    });
  else rows.push(notRun("steady RSS on the large backlog", "≤ 250 MiB, flat"));
  const one = r.scale?.runs.find((x) => x.instances === 1);
  if (r.scale && one) {
    const base = one.cpuSeconds / one.records;
    const spread = r.scale.runs.map((x) => `${x.instances}: ${((x.cpuSeconds / x.records / base) * 100).toFixed(0)}%`);
    const worst = Math.max(...r.scale.runs.map((x) => x.cpuSeconds / x.records / base));
    rows.push({
      target: "CPU per record across 1/2/3 instances (relative to 1)",
      goal: "flat (≤ 1.2×)",
      measured: spread.join(", "),
      met: worst <= 1.2,
    });
  } else rows.push(notRun("CPU per record across 1/2/3 instances", "flat"));
  return rows;
}

export function targetsTable(rows: readonly TargetRow[]): string {
  const met = (m: boolean | undefined) => (m === undefined ? "" : m ? "yes" : "**no**");
  return [
    "| target (issue 12) | goal | measured in this run | met |",
    "|---|---|---|---|",
    ...rows.map((r) => `| ${r.target} | ${r.goal} | ${r.measured} | ${met(r.met)} |`),
  ].join("\n");
}
