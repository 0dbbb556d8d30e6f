/**
 * Peak RSS of one sluice process working through a large passthrough backlog: VmHWM sampled every 500 ms; the
 * run stops at its time limit or once VmHWM has grown < 1 % over `plateauSeconds`. Writes bench/results/memory.json.
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
}

export async function benchMemory(s: MemorySettings) {
  const input = `bench-pt-in-${s.backlog}`;
  await ensureInput(input, s.backlog);
  const app = `bench-mem-${Date.now().toString(36)}`;
  const output = `${app}-out`;
  await createTopic(output, 6);
  await createTopic(`${app}.dlq`, 1);
  const samples: { seconds: number; vmHwmMiB: number; outputs: number }[] = [];
  let stopReason = "time limit";
  const running = start([sluiceLaunch(app, writeTopology(app, passthroughYaml(app, input, output)))]);
  const pid = running.children[0]?.pid ?? 0;
  const t0 = performance.now();
  try {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const seconds = (performance.now() - t0) / 1000;
      const vmHwmMiB = Math.round(procStat(pid).rssPeakKiB / 1024);
      const outputs = samples.length % 4 === 0 ? await topicEnd(output) : (samples.at(-1)?.outputs ?? 0);
      samples.push({ seconds: Number(seconds.toFixed(1)), vmHwmMiB, outputs });
      const before = samples.find((x) => x.seconds >= seconds - s.plateauSeconds);
      const flowing = samples.some((x) => x.outputs > 0 && x.seconds < seconds - s.plateauSeconds);
      if (flowing && before && vmHwmMiB < before.vmHwmMiB * 1.01) {
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
  const result = {
    input: { topic: input, backlog: s.backlog, partitions: 6 },
    method: `one sluice passthrough process from the start of the backlog; VmHWM every 0.5 s; stop: ${stopReason}`,
    peakRssMiB: Math.max(...samples.map((x) => x.vmHwmMiB)),
    seconds: last?.seconds ?? 0,
    outputsAtStop: last?.outputs ?? 0,
    stopReason,
    samples: samples.filter((_, i) => i % 4 === 0),
  };
  console.error(`memory: peak ${result.peakRssMiB} MiB after ${result.seconds} s (${stopReason})`);
  writeResult("memory", result);
  return result;
}
