/**
 * Where benchmark results go: `bench/results/<name>.json`, each with the environment it was measured in (git
 * commit, Node/Java versions, library versions, inference backend, nproc, memory), so ratios can be compared
 * across runs and machines.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, freemem, totalmem } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../../repo-root.ts";

function quiet(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  } catch (error) {
    const e = error as { stderr?: string };
    return (e.stderr ?? "").trim().split("\n")[0] ?? "unknown";
  }
}

function packageVersion(name: string): string {
  try {
    return (
      JSON.parse(readFileSync(join(REPO_ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string }
    ).version;
  } catch {
    return "not installed";
  }
}

export function environment(extra: Record<string, unknown> = {}) {
  return {
    commit: quiet("git", ["-C", REPO_ROOT, "rev-parse", "--short", "HEAD"]),
    /** Uncommitted changes were present: the figures are of the working tree, not only of `commit`. */
    worktreeDirty: quiet("git", ["-C", REPO_ROOT, "status", "--porcelain", "--untracked-files=no"]).length > 0,
    measuredAt: new Date().toISOString(),
    node: process.version,
    // `java -version` writes to stderr.
    java: spawnSync("java", ["-version"], { encoding: "utf8" }).stderr.split("\n")[0] ?? "unknown",
    nproc: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    freeMemoryGiB: Math.round(freemem() / 2 ** 30),
    libraries: Object.fromEntries(
      [
        "kafkajs",
        "@kafkajs/confluent-schema-registry",
        "avsc",
        "@clickhouse/client",
        "@lancedb/lancedb",
        "@tensorflow/tfjs",
      ].map((name) => [name, packageVersion(name)]),
    ),
    ...extra,
  };
}

/** Writes `bench/results/<name>.json` and returns its path. */
export function writeResult(
  name: string,
  result: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): string {
  const dir = join(REPO_ROOT, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify({ name, environment: environment(extra), ...result }, null, 2)}\n`);
  return file;
}
