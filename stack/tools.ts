/**
 * The stack's tool servers: the small payments-risk HTTP service and the CRM MCP server of `ops/tools/`, each its
 * own process started by `sluice stack up` (the agent-desk example and the demo call them), stopped by pid file
 * by `stack down`. Each keeps its idempotency table in a state file under `<stack>/tools/`, so a restart of the
 * server still answers a repeated key with its first answer.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { StackConfig } from "./config.ts";
import { startProcess, waitUntil } from "./process.ts";

export type ToolServerService = "payments-risk" | "crm";

const SCRIPTS: Record<ToolServerService, string> = {
  "payments-risk": "payments-risk-server.ts",
  crm: "crm-mcp-server.ts",
};

/** Where a tool server keeps its pid, log and state file. */
export function toolServerPaths(config: StackConfig, name: ToolServerService) {
  const home = join(config.dir, "tools");
  return {
    pidFile: join(home, `${name}.pid`),
    logFile: join(home, `${name}.log`),
    stateFile: join(home, `${name}.jsonl`),
  };
}

/** The server's counters endpoint: it answers once the server accepts calls. */
export function toolServerUrl(config: StackConfig, name: ToolServerService): string {
  const port = name === "crm" ? config.tools.crmPort : config.tools.riskPort;
  return `http://${config.host}:${port}`;
}

export async function toolServerHealthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/counters`, { signal: AbortSignal.timeout(1000) });
    return response.ok;
  } catch {
    return false;
  }
}

/** Starts the tool server `name` on its port and waits until it answers. */
export async function startToolServer(config: StackConfig, name: ToolServerService): Promise<number> {
  const paths = toolServerPaths(config, name);
  const url = toolServerUrl(config, name);
  const root = fileURLToPath(new URL("..", import.meta.url));
  const pid = startProcess({
    name,
    command: process.execPath,
    args: [
      "--import",
      "tsx",
      join(root, "ops", "tools", SCRIPTS[name]),
      "--port",
      url.split(":").at(-1) ?? "0",
      "--state",
      paths.stateFile,
    ],
    cwd: root,
    pidFile: paths.pidFile,
    logFile: paths.logFile,
  });
  await waitUntil(name, () => toolServerHealthy(url), { timeoutMs: 30_000, pid, logFile: paths.logFile });
  return pid;
}
