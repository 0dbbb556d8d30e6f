/**
 * Runs a topology as N `sluice run` processes over a pre-produced input and measures it from outside, as a user
 * would: records/s from the output topic's growth, peak RSS and CPU seconds of each process from /proc.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../../repo-root.ts";
import { topicEnd } from "./topics.ts";

export interface GroupRunResult {
  instances: number;
  records: number;
  seconds: number;
  recordsPerSecond: number;
  peakRssMiB: number[];
  cpuSeconds: number;
  cpuSecondsPer1000: number;
}

/** Peak and current RSS (VmHWM, VmRSS, KiB) and user+system CPU ticks (1/100 s) of a live process; zeros once gone. */
export function procStat(pid: number): { rssPeakKiB: number; rssKiB: number; cpuTicks: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return {
      rssPeakKiB: Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0),
      rssKiB: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0),
      cpuTicks: Number(stat[11] ?? 0) + Number(stat[12] ?? 0),
    };
  } catch {
    return { rssPeakKiB: 0, rssKiB: 0, cpuTicks: 0 };
  }
}

/** Writes a topology file to a temp folder and returns its path. */
export function writeTopology(name: string, yaml: string): string {
  const file = join(tmpdir(), `sluice-bench-${name}-${process.pid}.yaml`);
  writeFileSync(file, yaml);
  return file;
}

/** Starts `instances` processes, waits until `output` holds `expected` records, stops them (SIGTERM). */
export async function runGroup(
  file: string,
  output: string,
  expected: number,
  instances: number,
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<GroupRunResult> {
  const children: ChildProcess[] = [];
  const stats = new Map<number, ReturnType<typeof procStat>>();
  for (let i = 0; i < instances; i++) {
    children.push(
      spawn("node", [join(REPO_ROOT, "cli/bin.mjs"), "run", file], {
        cwd: REPO_ROOT,
        env: { ...process.env, SLUICE_LOG_LEVEL: "warn", ...options.env },
        stdio: ["ignore", "ignore", "inherit"],
      }),
    );
  }
  const deadline = Date.now() + (options.timeoutMs ?? 900_000);
  let first: number | undefined;
  let last = 0;
  while (Date.now() < deadline) {
    for (const child of children) if (child.pid) stats.set(child.pid, procStat(child.pid));
    const end = await topicEnd(output);
    if (end > 0 && first === undefined) first = performance.now();
    if (end >= expected) {
      last = performance.now();
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  for (const child of children) if (child.pid) stats.set(child.pid, procStat(child.pid));
  await Promise.all(
    children.map((child) => {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      return exited;
    }),
  );
  if (first === undefined || last === 0) throw new Error(`${output} did not reach ${expected} records in time`);
  const seconds = (last - first) / 1000;
  const cpuSeconds = [...stats.values()].reduce((sum, s) => sum + s.cpuTicks, 0) / 100;
  return {
    instances,
    records: expected,
    seconds: Number(seconds.toFixed(2)),
    recordsPerSecond: Math.round(expected / seconds),
    peakRssMiB: [...stats.values()].map((s) => Math.round(s.rssPeakKiB / 1024)),
    cpuSeconds: Number(cpuSeconds.toFixed(1)),
    cpuSecondsPer1000: Number(((cpuSeconds / expected) * 1000).toFixed(3)),
  };
}
