/**
 * Peak and steady RSS of one sluice process working through a large passthrough backlog: VmHWM and VmRSS sampled
 * every 500 ms; the run stops at its time limit, at the end of the backlog, or (after `minSeconds`) once VmHWM has
 * grown < 1 % over `plateauSeconds`. Steady RSS = median VmRSS over that last window; flat = VmHWM grew < 5 %
 * over the second half of the time outputs flowed. Writes bench/results/memory.json.
 */
import { procStat, writeTopology } from "./lib/group-run.ts";
import { sluiceLaunch, start } from "./lib/processes.ts";
import { writeResult } from "./lib/results.ts";
import { createTopic, deleteTopics, ensureInput, topicEnd } from "./lib/topics.ts";
import { passthroughYaml } from "./passthrough.ts";

export interface MemorySettings {
  backlog: number;
  maxSeconds: number;
  plateauSeconds: number;
  /** Run at least this long before a plateau may stop it (so the plateau is not only the start-up). */
  minSeconds?: number;
}

export async function benchMemory(s: MemorySettings) {
  const input = `bench-pt-in-${s.backlog}`;
  await ensureInput(input, s.backlog);
  const app = `bench-mem-${Date.now().toString(36)}`;
  const output = `${app}-out`;
  await createTopic(output, 6);
  await createTopic(`${app}.dlq`, 1);
  const samples: { seconds: number; vmHwmMiB: number; vmRssMiB: number; outputs: number }[] = [];
  let stopReason = "time limit";
  const running = start([sluiceLaunch(app, writeTopology(app, passthroughYaml(app, input, output)))]);
  const pid = running.children[0]?.pid ?? 0;
  const t0 = performance.now();
  try {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const seconds = (performance.now() - t0) / 1000;
      const stat = procStat(pid);
      const [vmHwmMiB, vmRssMiB] = [Math.round(stat.rssPeakKiB / 1024), Math.round(stat.rssKiB / 1024)];
      const outputs = samples.length % 4 === 0 ? await topicEnd(output) : (samples.at(-1)?.outputs ?? 0);
      samples.push({ seconds: Number(seconds.toFixed(1)), vmHwmMiB, vmRssMiB, outputs });
      const before = samples.find((x) => x.seconds >= seconds - s.plateauSeconds);
      const flowing = samples.some((x) => x.outputs > 0 && x.seconds < seconds - s.plateauSeconds);
      if (flowing && before && seconds >= (s.minSeconds ?? 0) && vmHwmMiB < before.vmHwmMiB * 1.01) {
        stopReason = `VmHWM grew < 1% over the last ${s.plateauSeconds} s`;
        break;
      }
      if (outputs >= s.backlog) {
        stopReason = "backlog consumed";
        break;
      }
      if (seconds > s.maxSeconds) break;
    }
  } finally {
    await running.stop();
    await deleteTopics([output, `${app}.dlq`]);
  }
  const last = samples.at(-1);
  const end = last?.seconds ?? 0;
  const window = samples.filter((x) => x.seconds >= end - s.plateauSeconds).map((x) => x.vmRssMiB);
  const steadyRssMiB = window.sort((a, b) => a - b)[Math.floor(window.length / 2)] ?? 0;
  const flowStart = samples.find((x) => x.outputs > 0)?.seconds ?? end;
  const mid = samples.find((x) => x.seconds >= (flowStart + end) / 2);
  const secondHalfGrowthPercent = mid ? ((last?.vmHwmMiB ?? 0) / mid.vmHwmMiB - 1) * 100 : Number.NaN;
  const result = {
    input: { topic: input, backlog: s.backlog, partitions: 6 },
    method: `one sluice passthrough process from the start of the backlog; VmHWM every 0.5 s; stop: ${stopReason}`,
    peakRssMiB: Math.max(...samples.map((x) => x.vmHwmMiB)),
    steadyRssMiB,
    secondHalfGrowthPercent: Number(secondHalfGrowthPercent.toFixed(1)),
    flat: secondHalfGrowthPercent < 5,
    seconds: last?.seconds ?? 0,
    outputsAtStop: last?.outputs ?? 0,
    stopReason,
    samples: samples.filter((_, i) => i % 4 === 0),
  };
  console.error(
    `memory: steady ${steadyRssMiB} MiB, peak ${result.peakRssMiB} MiB after ${result.seconds} s (${stopReason})`,
  );
  writeResult("memory", result);
  return result;
}
