/** The demo's steps as a user would type them: one `sluice` command each, and a run until its topic is drained. */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "./repo-root.ts";

const sluiceBin = join(REPO_ROOT, "cli/bin.mjs");

export function step(title: string, ...args: string[]): void {
  process.stdout.write(`\n▶ ${title}\n  $ sluice ${args.join(" ")}\n`);
  const result = spawnSync("node", [sluiceBin, ...args], { cwd: REPO_ROOT, stdio: "inherit" });
  if (result.status !== 0) {
    process.stderr.write(`demo: "sluice ${args.join(" ")}" failed with exit code ${result.status}\n`);
    process.exit(result.status ?? 1);
  }
}

function lag(topology: string): number | undefined {
  const out = spawnSync("node", [sluiceBin, "status", topology, "--json"], { cwd: REPO_ROOT, encoding: "utf8" });
  if (out.status !== 0) return undefined;
  const status = JSON.parse(out.stdout) as { totalLag: number; partitions: { committed: number | null }[] };
  return status.partitions.some((p) => p.committed === null) ? undefined : status.totalLag;
}

/** Runs `topology` as `instances` consumer-group members until its lag stays 0 for 2 s, then stops them. */
export async function runUntilDrained(topology: string, instances: number, title: string): Promise<void> {
  process.stdout.write(`\n▶ ${title}\n  $ sluice run ${topology} --instances ${instances}\n`);
  const run: ChildProcess = spawn("node", [sluiceBin, "run", topology, "--instances", String(instances)], {
    cwd: REPO_ROOT,
    env: { ...process.env, SLUICE_LOG_LEVEL: "warn" },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const exited = new Promise<number | null>((resolve) => run.on("exit", resolve));
  const started = Date.now();
  let zeroSince: number | undefined;
  while (Date.now() - started < 15 * 60_000) {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const current = lag(topology);
    if (current !== undefined) process.stdout.write(`  lag ${current}\n`);
    if (current === 0) {
      zeroSince ??= Date.now();
      if (Date.now() - zeroSince >= 2000) break;
    } else zeroSince = undefined;
    if (run.exitCode !== null) throw new Error(`sluice run exited early with code ${run.exitCode}`);
  }
  run.kill("SIGTERM");
  const code = await exited;
  process.stdout.write(
    `  drained in ${((Date.now() - started) / 1000).toFixed(0)}s; instances stopped (exit ${code})\n`,
  );
}
