/**
 * The checkpoint file of a task's stores: the changelog offset each local store is complete up to, written at a
 * clean close (`<stateDir>/<applicationId>/<taskId>/.checkpoint`). A task that opens its stores takes the
 * checkpoint and deletes it at once: a restart on the same disk after a clean stop restores only the changelog's
 * tail, while after a kill -9 there is no checkpoint and the stores are wiped and restored whole (the local
 * engine may hold writes that never reached the changelog).
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export type CheckpointOffsets = Record<string, number>;

interface CheckpointFile {
  version: 1;
  offsets: CheckpointOffsets;
}

export function checkpointPath(taskDir: string): string {
  return join(taskDir, ".checkpoint");
}

/** Reads and removes the checkpoint; undefined when there is none or it is unreadable. */
export function takeCheckpoint(taskDir: string): CheckpointOffsets | undefined {
  const path = checkpointPath(taskDir);
  let parsed: CheckpointFile | undefined;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8")) as CheckpointFile;
  } catch {
    parsed = undefined;
  }
  rmSync(path, { force: true });
  if (parsed?.version !== 1 || typeof parsed.offsets !== "object" || parsed.offsets === null) return undefined;
  return parsed.offsets;
}

/** Writes the checkpoint atomically (temp file + rename). */
export function writeCheckpoint(taskDir: string, offsets: CheckpointOffsets): void {
  mkdirSync(taskDir, { recursive: true });
  const path = checkpointPath(taskDir);
  const body: CheckpointFile = { version: 1, offsets };
  writeFileSync(`${path}.tmp`, JSON.stringify(body));
  renameSync(`${path}.tmp`, path);
}
