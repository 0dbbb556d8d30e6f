/**
 * Exit codes of `sluice` as a user's shell sees them: usage errors of every subcommand exit 2 (as the README and
 * `--help` say), invalid input exits 1 (`run` refusing it before connecting), help exits 0. Spawns the real `node cli/bin.mjs`; no services needed.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

function sluice(...args: string[]) {
  const r = spawnSync(process.execPath, ["cli/bin.mjs", ...args], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("sluice exit codes", () => {
  it.each([
    [["validate"], /missing required argument 'files'/],
    [["validate", "--frobnicate", "x.yaml"], /unknown option '--frobnicate'/],
    [["run"], /missing required argument 'topology'/],
    [["status", "--bogus", "x.yaml"], /unknown option '--bogus'/],
    [["kb", "info", "--table", "t", "--nope"], /unknown option '--nope'/],
  ])("%j is a usage error: exit 2 with the reason on stderr", (args, reason) => {
    const r = sluice(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(reason);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("help exits 0 on stdout", () => {
    const root = sluice("--help");
    expect(root.code).toBe(0);
    expect(root.stdout).toMatch(/^Usage: sluice/);
    expect(root.stdout).toContain("2    usage error");
  });

  it("run refuses what validate refuses, with the same file:line:column, before connecting to anything", () => {
    const file = join(tmpdir(), `sluice-run-${process.pid}.yaml`);
    writeFileSync(
      file,
      "applicationId: x\nkafka:\n  brokers: 127.0.0.1:1\nsources:\n  - name: in\n    topic: in\n    value: { format: json }\nsinks:\n  - name: rows\n    type: clickhouse\n    from: in\n    clickhouse:\n      table: t\n",
    );
    const message = `${file}:10:11 sinks[0].type: sink "rows" writes to ClickHouse, but the topology has no clickhouse: {url} section`;
    const run = sluice("run", file, "--metrics-port", "0");
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(message);
  });
});
