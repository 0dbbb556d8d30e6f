/**
 * `npm run bench [-- --quick] [-- --only passthrough,topology,scale,memory,replay-diff]`: every benchmark of issue 7 on the
 * running local stack, one after another (never in parallel: 2 shared cores), then a table, ratios and a plot.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { REPO_ROOT } from "../repo-root.ts";
import { benchClients } from "./client-floors.ts";
import { markdownTable, plot, type Row } from "./lib/report.ts";
import { type TargetInputs, targetRows, targetsTable } from "./lib/targets.ts";
import { deleteBenchGroups } from "./lib/topics.ts";
import { benchMemory } from "./memory.ts";
import { benchPassthrough } from "./passthrough.ts";
import { benchReplayDiff } from "./replay-diff.ts";
import { benchScale } from "./scale.ts";
import { benchSoak } from "./soak.ts";
import { benchStartup } from "./startup.ts";
import { benchTopology } from "./topology.ts";

const { values } = parseArgs({ options: { quick: { type: "boolean", default: false }, only: { type: "string" } } });
const quick = values.quick ?? false;
const sections = new Set((values.only ?? "passthrough,clients,topology,scale,memory,startup,replay-diff").split(","));
const settings = quick
  ? {
      passthrough: { records: 100_000, naiveMaxSeconds: 8, latencySeconds: 6 },
      topology: { events: 3000, maxSeconds: 12, latencySeconds: 6, stageRecords: 3000 },
      scale: { records: 50_000, maxSeconds: 20 },
      memory: { backlog: 500_000, maxSeconds: 20, plateauSeconds: 6, minSeconds: 10 },
      clients: { records: 100_000 },
    }
  : {
      passthrough: { records: 1_000_000, naiveMaxSeconds: 25, latencySeconds: 30 },
      topology: { events: 20_000, maxSeconds: 60, latencySeconds: 30, stageRecords: 8192 },
      scale: { records: 1_000_000, maxSeconds: 60 },
      memory: { backlog: 5_000_000, maxSeconds: 120, plateauSeconds: 20, minSeconds: 45 },
      clients: { records: 1_000_000 },
    };

const t0 = performance.now();
const rows: Row[] = [];
const ratios: Record<string, number> = {};
const targets: TargetInputs = {};
let kafkajsFloors: Awaited<ReturnType<typeof benchPassthrough>>["kafkajsFloors"] | undefined;
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(0)} s`;

if (sections.has("passthrough")) {
  const r = await benchPassthrough(settings.passthrough);
  for (const s of r.systems) {
    const t = s.throughput;
    rows.push({
      section: "passthrough",
      run: s.system,
      recordsPerSecond: t.recordsPerSecond,
      p50Ms: s.latency.p50Ms,
      p99Ms: s.latency.p99Ms,
      other: `paced at ${s.latency.ratePerSecond}/s; ${t.cpuSecondsPer1000} CPU-s/1000 (paced: ${s.latency.cpuSecondsPer1000 ?? "?"}), RSS ${t.peakRssMiB.join("/")} MiB${t.complete ? "" : `, ${t.records} records in ${t.seconds} s`}`,
    });
  }
  const same = r.kafkaStreamsLatencyAtSluiceRate;
  rows.push({
    section: "passthrough",
    run: "kafka-streams at sluice's paced rate",
    p50Ms: same.p50Ms,
    p99Ms: same.p99Ms,
    other: `paced at ${same.ratePerSecond}/s (achieved ${same.achievedRatePerSecond}/s)`,
  });
  for (const [who, l] of Object.entries(r.latencyAtTenPercentOfSluice)) {
    rows.push({
      section: "passthrough",
      run: `${who} at 10% of sluice's saturation`,
      p50Ms: l.p50Ms,
      p99Ms: l.p99Ms,
      other: `paced at ${l.ratePerSecond}/s (achieved ${l.achievedRatePerSecond}/s)`,
    });
  }
  for (const f of [r.kafkajsFloors.consume, r.kafkajsFloors.produce]) {
    rows.push({
      section: "passthrough",
      run: `floor: kafkajs ${f.mode}`,
      recordsPerSecond: f.recordsPerSecond,
      other: `${f.cpuSecondsPer1000} CPU-s/1000`,
    });
  }
  targets.passthrough = r;
  kafkajsFloors = r.kafkajsFloors;
  const { producerPerformance: p, consumerPerformance: c } = r.broker;
  rows.push({ section: "passthrough", run: "broker: ProducerPerformance", recordsPerSecond: p.recordsPerSecond });
  rows.push({ section: "passthrough", run: "broker: ConsumerPerformance", recordsPerSecond: c.recordsPerSecond });
  Object.assign(ratios, r.ratios);
  console.error(`passthrough done at ${elapsed()}`);
}
if (sections.has("clients")) {
  const r = await benchClients(settings.clients.records, kafkajsFloors);
  for (const f of r.floors) {
    for (const m of [f.consume, f.produce]) {
      rows.push({
        section: "clients",
        run: `${f.library} ${f.version}: ${m.mode}`,
        recordsPerSecond: m.recordsPerSecond,
        other: `${m.cpuSecondsPer1000} CPU-s/1000, RSS ${m.peakRssMiB} MiB`,
      });
    }
  }
  console.error(`clients done at ${elapsed()}`);
}
if (sections.has("topology")) {
  const r = await benchTopology(settings.topology);
  const l = r.latencyAtHalfSaturation;
  rows.push({
    section: "support-triage",
    run: "topology (1 process)",
    recordsPerSecond: r.saturation.recordsPerSecond,
    p50Ms: l.p50Ms,
    p99Ms: l.p99Ms,
    other: `${r.saturation.cpuSecondsPer1000} CPU-s/1000, latency at ${l.ratePerSecond}/s`,
  });
  for (const [stage, rate] of Object.entries(r.stages.recordsPerSecond)) {
    rows.push({ section: "support-triage", run: `stage ceiling: ${stage}`, recordsPerSecond: rate });
  }
  const { name, recordsPerSecond, before, after } = r.slowestStage;
  rows.push({
    section: "support-triage",
    run: `slowest stage: ${name}`,
    recordsPerSecond,
    other: `mean of ${before} before and ${after} after the topology run`,
  });
  Object.assign(ratios, r.ratios);
  console.error(`topology done at ${elapsed()}`);
}
if (sections.has("scale")) {
  const r = await benchScale(settings.scale.records, settings.scale.maxSeconds);
  for (const run of r.runs) {
    rows.push({
      section: "scale",
      run: `${run.instances} instance(s)`,
      recordsPerSecond: run.recordsPerSecond,
      other: `${run.cpuSecondsPer1000} CPU-s/1000, RSS ${run.peakRssMiB.join("/")} MiB`,
    });
  }
  targets.scale = r;
  console.error(`scale done at ${elapsed()}`);
}
// Opt-in (`--only soak`): 20 minutes (quick: 3) of the reference topology at half its saturation rate.
if (sections.has("soak")) {
  const r = await benchSoak(
    quick
      ? { minutes: 3, warmupMinutes: 1, saturation: { events: 12_000, maxSeconds: 20 } }
      : { minutes: 20, warmupMinutes: 5, saturation: { events: 20_000, maxSeconds: 60 } },
  );
  rows.push({
    section: "soak",
    run: `${r.settings.minutes} min at ${r.settings.ratePerSecond}/s`,
    p99Ms: r.p99.medianMs,
    other: `RSS slope ${r.rssSlopeMiBPerMinute} MiB/min after warm-up, per-minute p99 spread ${Math.round(r.p99.spreadOfMedian * 100)} % of its median, lag max ${r.lag.max} (final ${r.lag.final})`,
  });
  console.error(`soak done at ${elapsed()}`);
}
if (sections.has("memory")) {
  const r = await benchMemory(settings.memory);
  rows.push({
    section: "memory",
    run: `${r.input.backlog} backlog`,
    other: `steady RSS ${r.steadyRssMiB} MiB (${r.flat ? "flat" : "growing"}), peak ${r.peakRssMiB} MiB after ${r.seconds} s, ${r.outputsAtStop} records out (${r.stopReason})`,
  });
  targets.memory = { ...r, backlog: r.input.backlog };
  console.error(`memory done at ${elapsed()}`);
}
if (sections.has("startup")) {
  const r = await benchStartup({ runs: quick ? 3 : 7 });
  const bundled = (r.esbuildBundle ?? []).map((b) => ({ ...b, command: `${b.command} (esbuild bundle)` }));
  for (const f of [...r.tsx, r.bigFile, ...bundled]) {
    const other = `median of ${r.runs}, RSS ${f.medianRssMiB} MiB`;
    rows.push({ section: "startup", run: f.command, p50Ms: f.medianMs, other });
  }
  console.error(`startup done at ${elapsed()}`);
}

if (sections.has("replay-diff")) {
  const r = await benchReplayDiff({ events: quick ? 3000 : 20_000 });
  rows.push({
    section: "replay-diff",
    run: "sluice replay --model <candidate> --diff",
    recordsPerSecond: r.replayAndDiffEventsPerSecond,
    other: `${r.events} events, ${r.changed} changed: replay ${r.replaySeconds} s (${r.replayEventsPerSecond}/s), diff ${r.diffSeconds} s, whole command ${r.commandSeconds} s`,
  });
  writeFileSync(join(REPO_ROOT, "bench/results/replay-diff.json"), `${JSON.stringify(r, null, 2)}\n`);
  console.error(`replay-diff done at ${elapsed()}`);
}

await deleteBenchGroups();
const table = `${targetsTable(targetRows(targets))}\n\n${markdownTable(rows, ratios)}`;
writeFileSync(
  join(REPO_ROOT, "bench/results/summary.md"),
  `${quick ? "quick run" : "full run"}, ${elapsed()}\n\n${table}\n`,
);
const svg = await plot(rows, "bench.svg");
console.log(`\n${table}\n\n${quick ? "quick" : "full"} run took ${elapsed()}; plot: ${svg}`);
process.exit(0);
