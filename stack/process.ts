/**
 * Starting and stopping the stack's services as plain background processes, tracked by pid files: `down`
 * stops exactly what `up` started, by pid, never by name.
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export interface ServiceProcess {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  pidFile: string;
  logFile: string;
}

/** True when a process with this pid exists (and is not a zombie). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return true;
  }
}

/** The pid recorded in a pid file, if that process still runs. */
export function runningPid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
}

/** Starts a detached process writing to its log file and records its pid. */
export function startProcess(service: ServiceProcess): number {
  mkdirSync(dirname(service.pidFile), { recursive: true });
  mkdirSync(dirname(service.logFile), { recursive: true });
  const log = openSync(service.logFile, "a");
  const child = spawn(service.command, service.args, {
    cwd: service.cwd,
    env: { ...process.env, ...service.env },
    detached: true,
    stdio: ["ignore", log, log],
  });
  closeSync(log);
  if (child.pid === undefined) throw new Error(`${service.name}: could not start ${service.command}`);
  child.unref();
  writeFileSync(service.pidFile, `${child.pid}\n`);
  return child.pid;
}

/** Stops the process of a pid file: SIGTERM, then SIGKILL after `graceMs`. Returns the pid it stopped. */
export async function stopProcess(pidFile: string, graceMs = 15_000): Promise<number | undefined> {
  const pid = runningPid(pidFile);
  if (pid !== undefined) {
    process.kill(pid, "SIGTERM");
    const deadline = Date.now() + graceMs;
    while (isAlive(pid) && Date.now() < deadline) await sleep(100);
    if (isAlive(pid)) {
      process.kill(pid, "SIGKILL");
      while (isAlive(pid)) await sleep(50);
    }
  }
  rmSync(pidFile, { force: true });
  return pid;
}

/** True when something accepts TCP connections on host:port. */
export function portOpen(port: number, host = "127.0.0.1", timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** Polls `check` until it is true; fails with the service's log tail if the process dies or time runs out. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  options: { timeoutMs: number; pid?: number; logFile?: string | string[] },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    if (options.pid !== undefined && !isAlive(options.pid)) {
      throw new Error(`${what} exited during start-up${logTail(options.logFile)}`);
    }
    await sleep(250);
  }
  throw new Error(`${what} was not healthy after ${options.timeoutMs / 1000}s${logTail(options.logFile)}`);
}

function logTail(logFiles: string | string[] | undefined): string {
  const files = (Array.isArray(logFiles) ? logFiles : [logFiles]).filter((f): f is string => !!f && existsSync(f));
  return files
    .map((file) => {
      const lines = readFileSync(file, "utf8").trimEnd().split("\n").slice(-15);
      return `; last lines of ${file}:\n${lines.join("\n")}`;
    })
    .join("");
}

/** Resident memory of a process in MiB, from /proc. */
export function rssMiB(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    return Number.isFinite(kb) ? Math.round(kb / 1024) : undefined;
  } catch {
    return undefined;
  }
}
