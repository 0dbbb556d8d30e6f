/**
 * Starts the tool servers of ops/tools/ (payments-risk over HTTP, the CRM over MCP) as child processes, reads the
 * port they print, reads their counters, and stops them by pid.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "../../ops/repo-root.ts";

export interface ServerCounters {
  requests: number;
  effects: number;
  duplicateKeys: number;
  missingKey: number;
  rejected: number;
  maxPerSecond: number;
  perSecond: Record<string, number>;
  keys: string[];
}

export interface ToolServer {
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  counters(): Promise<ServerCounters>;
  /** SIGTERM by pid, then SIGKILL after 5 s; resolves once the process exited. */
  stop(): Promise<void>;
  /** kill -9 by pid. */
  kill(): Promise<void>;
}

export type ToolServerName = "payments-risk-server" | "crm-mcp-server";

export async function startToolServer(name: ToolServerName, args: string[] = []): Promise<ToolServer> {
  const child: ChildProcess = spawn("node", ["--import", "tsx", join(REPO_ROOT, `ops/tools/${name}.ts`), ...args], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let output = "";
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in 20 s: ${output}`)), 20_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /\{"listening":(\d+)\}/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}: ${output}`));
    });
  });
  const pid = child.pid!;
  const url = `http://127.0.0.1:${port}`;
  const signal = async (sig: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    process.kill(pid, sig);
    const timer = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) process.kill(pid, "SIGKILL");
    }, 5000);
    await exited;
    clearTimeout(timer);
  };
  return {
    pid,
    port,
    url,
    counters: async () => (await (await fetch(`${url}/counters`)).json()) as ServerCounters,
    stop: () => signal("SIGTERM"),
    kill: () => signal("SIGKILL"),
  };
}
