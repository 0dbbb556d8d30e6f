/**
 * `sluice … | head`: a reader that closes the pipe early must end the command quietly (exit 0, no EPIPE stack
 * trace), whatever the command. Spawns the real `node cli/bin.mjs` and closes its stdout before it writes.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** Runs sluice with stdout a pipe whose reading end is closed at once, as `head` does once it has its lines. */
function sluiceIntoClosedPipe(...args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ["cli/bin.mjs", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.destroy();
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stderr })));
}

describe("a closed stdout pipe", () => {
  it.each([
    [["--help"]],
    [["describe", "topologies/examples/order-routing.yaml", "--format", "mermaid"]],
    [["validate", "topologies/examples/passthrough.yaml", "--json"]],
  ])("sluice %j exits 0 without a stack trace", async (args) => {
    const { code, stderr } = await sluiceIntoClosedPipe(...args);
    expect(stderr).not.toContain("EPIPE");
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(code).toBe(0);
  });
});
