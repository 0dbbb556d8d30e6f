/**
 * Runs any consume-and-produce program (sluice, the naive kafkajs loop, the Kafka Streams jar) as processes and
 * measures it from outside the same way for all: records/s from the output topic's growth between the first
 * output record and the end, CPU-seconds of those processes over that window, peak RSS. Logs go to a file.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, openSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../../repo-root.ts";
import { procStat } from "./group-run.ts";
import { topicEnd } from "./topics.ts";

export interface Launch {
  /** Short name, used for the log file. */
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

export interface MeasuredRun {
  processes: number;
  /** Output records counted in the measured window. */
  records: number;
  seconds: number;
  recordsPerSecond: number;
  /** False when the time limit stopped it before `expected` outputs. */
  complete: boolean;
  peakRssMiB: number[];
  /** CPU-seconds of all processes between the first output and the end (start-up excluded). */
  cpuSeconds: number;
  cpuSecondsPer1000: number;
}

export const LOG_DIR = join(tmpdir(), "sluice-bench-logs");

export function sluiceLaunch(name: string, topologyFile: string, env: NodeJS.ProcessEnv = {}): Launch {
  return {
    name,
    command: "node",
    args: [join(REPO_ROOT, "cli/bin.mjs"), "run", topologyFile],
    // SLUICE_BENCH_LOG_LEVEL=info keeps the runtime's pause/resume and rebalance lines in the log (LOG_DIR).
    env: { SLUICE_LOG_LEVEL: process.env.SLUICE_BENCH_LOG_LEVEL ?? "warn", ...env },
  };
}

/** Starts the programs; returns them with a stop function (SIGTERM, then SIGKILL after 15 s). */
export function start(launches: Launch[]): { children: ChildProcess[]; stop(): Promise<void> } {
  mkdirSync(LOG_DIR, { recursive: true });
  const children = launches.map((launch, i) => {
    const log = openSync(join(LOG_DIR, `${launch.name}-${i}.log`), "w");
    return spawn(launch.command, launch.args, {
      cwd: REPO_ROOT,
      env: { ...process.env, ...launch.env },
      stdio: ["ignore", log, log],
    });
  });
  const stop = async () => {
    await Promise.all(
      children.map((child) => {
        if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        child.kill("SIGTERM");
        const kill = setTimeout(() => child.kill("SIGKILL"), 15_000);
        return exited.finally(() => clearTimeout(kill));
      }),
    );
  };
  return { children, stop };
}

const cpuTicks = (children: ChildProcess[]) =>
  children.reduce((sum, c) => sum + (c.pid ? procStat(c.pid).cpuTicks : 0), 0);

/**
 * Runs `launches` until `output` grows by `expected` records past `baseline` or `maxSeconds` of output have
 * passed (then `complete` is false), and stops them.
 */
export async function runMeasured(
  launches: Launch[],
  output: string,
  expected: number,
  options: { maxSeconds?: number; startTimeoutMs?: number; baseline?: number } = {},
): Promise<MeasuredRun> {
  const { children, stop } = start(launches);
  const baseline = options.baseline ?? 0;
  const peak = new Map<number, number>();
  const sample = () => {
    for (const c of children) if (c.pid) peak.set(c.pid, Math.max(peak.get(c.pid) ?? 0, procStat(c.pid).rssPeakKiB));
  };
  const startDeadline = Date.now() + (options.startTimeoutMs ?? 120_000);
  let first: { t: number; end: number; cpu: number } | undefined;
  let last = { t: 0, end: 0, cpu: 0 };
  try {
    for (;;) {
      sample();
      const end = (await topicEnd(output)) - baseline;
      const now = performance.now();
      if (first === undefined && end > 0) first = { t: now, end, cpu: cpuTicks(children) };
      if (first === undefined && Date.now() > startDeadline) throw new Error(`${output}: no output in time`);
      if (children.some((c) => c.exitCode !== null)) throw new Error(`${launches[0]?.name} exited early (${LOG_DIR})`);
      const limit =
        first !== undefined && options.maxSeconds !== undefined && now - first.t > options.maxSeconds * 1000;
      if (end >= expected || limit) {
        last = { t: now, end, cpu: cpuTicks(children) };
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await stop();
  }
  const f = first as NonNullable<typeof first>;
  const seconds = (last.t - f.t) / 1000;
  const records = last.end - f.end;
  const cpuSeconds = (last.cpu - f.cpu) / 100;
  return {
    processes: launches.length,
    records,
    seconds: Number(seconds.toFixed(2)),
    recordsPerSecond: Math.round(records / seconds),
    complete: last.end >= expected,
    peakRssMiB: [...peak.values()].map((kib) => Math.round(kib / 1024)),
    cpuSeconds: Number(cpuSeconds.toFixed(1)),
    cpuSecondsPer1000: Number(((cpuSeconds / records) * 1000).toFixed(3)),
  };
}
