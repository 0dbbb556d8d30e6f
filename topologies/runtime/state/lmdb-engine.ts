/**
 * The on-disk `StoreEngine`: one lmdb environment per task per store under
 * `<stateDir>/<applicationId>/<taskId>/<store>/`. lmdb was chosen by measurement (bench/results/state-engine.json):
 * synchronous reads, fast ordered scans, a prebuilt binary from npm. Writes skip fsync (`noSync`): the changelog
 * is the durable copy and an engine left by an unclean stop is wiped and restored.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Database, open } from "lmdb";
import type { EngineFactory, EngineWrite, StoredValue, StoreEngine } from "./engine.ts";

export class LmdbEngine implements StoreEngine {
  private readonly db: Database<StoredValue, string>;

  constructor(readonly path: string) {
    mkdirSync(path, { recursive: true });
    // noSubdir: false, or lmdb takes a store name with a dot (`fraud.risk-journal`) for a file name.
    this.db = open<StoredValue, string>({ path, noSubdir: false, noSync: true, encoding: "msgpack" });
  }

  get(key: string): StoredValue | undefined {
    return this.db.get(key);
  }

  range(from?: string, to?: string): Array<{ key: string; value: StoredValue }> {
    const out: Array<{ key: string; value: StoredValue }> = [];
    for (const { key, value } of this.db.getRange({
      ...(from === undefined ? {} : { start: from }),
      ...(to === undefined ? {} : { end: to }),
    })) {
      out.push({ key: key as string, value });
    }
    return out;
  }

  write(writes: readonly EngineWrite[]): void {
    if (writes.length === 0) return;
    this.db.transactionSync(() => {
      for (const { key, value } of writes) {
        if (value === null) this.db.removeSync(key);
        else this.db.putSync(key, value);
      }
    });
  }

  clear(): void {
    this.db.clearSync();
  }

  size(): number {
    return this.db.getCount();
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

/** Engines under `stateDir`, one folder per application, task and store. */
export function lmdbEngines(stateDir: string, applicationId: string): EngineFactory {
  return (taskId, store) => new LmdbEngine(join(stateDir, applicationId, taskId, store));
}
