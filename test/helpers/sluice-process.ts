/**
 * Runs `sluice` as a user does — a child process of cli/bin.mjs — and stops it by pid. Tests use it to start
 * consumer-group members, kill them (-9) or stop them (SIGTERM), and read their output.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "../../ops/repo-root.ts";

export interface SluiceProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
}

export function startSluice(args: string[], env: NodeJS.ProcessEnv = {}): SluiceProcess {
  let output = "";
  const child = spawn("node", [join(REPO_ROOT, "cli/bin.mjs"), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, SLUICE_LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | string>((resolve) => {
    child.on("exit", (code, signal) => resolve(code ?? signal ?? -1));
  });
  return { child, output: () => output, exited };
}

/** Stops every process still running (SIGKILL): for afterAll hooks. */
export function killAll(processes: SluiceProcess[]): void {
  for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** The member's `/tasks` report (each partition's state, pause reason and restore), for a failure's message. */
export async function memberTasks(p: SluiceProcess): Promise<string> {
  const port = /"port":(\d+)[^\n]*serving \/metrics/.exec(p.output())?.[1];
  if (!port) return "(no /tasks: the member logged no port)";
  try {
    const response = await fetch(`http://127.0.0.1:${port}/tasks`, { signal: AbortSignal.timeout(3000) });
    return await response.text();
  } catch (error) {
    return `(no /tasks: ${String(error)})`;
  }
}
