/**
 * Outages of a private service started by a test (never the shared stack): stopped gracefully (SIGTERM, waited
 * for), killed (SIGKILL) or hung (SIGSTOP, then SIGCONT), then brought back; and the time until writing resumes.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { isAlive, runningPid, stopProcess } from "../../stack/process.ts";

/** How a dependency goes away. */
export type StopMode = "graceful" | "SIGKILL" | "SIGSTOP";

/** A service the test started itself: its pid file and how to start it again on the same data. */
export interface PrivateService {
  name: string;
  pidFile: string;
  /** Starts the service and resolves once it is healthy. */
  start(): Promise<unknown>;
}

/**
 * Takes `service` away by `mode`, runs `whileDown` (e.g. producing records that must wait), keeps it away for at
 * least `downMs`, brings it back and resolves with the moment it was healthy again (`Date.now()`).
 */
export async function outage(
  service: PrivateService,
  mode: StopMode,
  downMs: number,
  whileDown: () => Promise<void> = async () => {},
): Promise<number> {
  const pid = runningPid(service.pidFile);
  if (pid === undefined) throw new Error(`${service.name} is not running (pid file ${service.pidFile})`);
  const since = Date.now();
  if (mode === "graceful") {
    await stopProcess(service.pidFile, 60_000);
  } else if (mode === "SIGKILL") {
    process.kill(pid, "SIGKILL");
    while (isAlive(pid)) await sleep(50);
  } else {
    process.kill(pid, "SIGSTOP");
  }
  try {
    await whileDown();
    const left = downMs - (Date.now() - since);
    if (left > 0) await sleep(left);
  } finally {
    if (mode === "SIGSTOP") process.kill(pid, "SIGCONT");
  }
  if (mode !== "SIGSTOP") await service.start();
  return Date.now();
}

/** Seconds from `returnedAt` until `progress()` exceeds `baseline`, polling; throws after `limitMs`. */
export async function secondsUntilProgress(
  progress: () => Promise<number>,
  baseline: number,
  returnedAt: number,
  limitMs: number,
): Promise<number> {
  for (;;) {
    const value = await progress().catch(() => baseline);
    if (value > baseline) return (Date.now() - returnedAt) / 1000;
    if (Date.now() - returnedAt > limitMs) {
      throw new Error(`no progress past ${baseline} within ${limitMs / 1000} s of the return (at ${value})`);
    }
    await sleep(100);
  }
}

/** One measured recovery, for the table the tests print. */
export interface Recovery {
  dependency: string;
  mode: StopMode;
  downSeconds: number;
  recoverySeconds: number;
}

/** Prints the recoveries as a table on stdout (the test output), one line per outage. */
export function printRecoveries(recoveries: readonly Recovery[]): void {
  const lines = recoveries.map(
    (r) =>
      `${r.dependency.padEnd(12)} ${r.mode.padEnd(9)} down ${r.downSeconds.toFixed(1).padStart(5)} s  caught up/resumed ${r.recoverySeconds.toFixed(1).padStart(5)} s after the return`,
  );
  console.log(`recovery after each outage:\n${lines.join("\n")}`);
}
