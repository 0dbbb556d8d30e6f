/**
 * The tiers of as-of retrieval: one per knowledge-base version that events of the run ask for, each loaded
 * once and kept in an LRU of at most `maxVersions` versions whose in-memory tiers together stay within the
 * memory budget (a version over what is left is answered by LanceDB, checked out at that version). A replay
 * walks forward in time, so it mostly needs one or two versions at a time.
 */
import type * as lancedb from "@lancedb/lancedb";
import type { Logger } from "pino";
import { estimateTierBytes, MemoryTier, type MemoryTierOptions } from "./kb-memory-tier.ts";
import type { TierName } from "./kb-tiers.ts";

export interface VersionTier {
  version: number;
  tier: TierName;
  memory: MemoryTier | undefined;
  /** A handle checked out at `version` (LanceDB queries, and where the memory tier was read from). */
  table: lancedb.Table;
  bytes: number;
}

export interface VersionTiersOptions extends MemoryTierOptions {
  tableName: string;
  open: () => Promise<lancedb.Table>;
  mode: "auto" | "lancedb";
  maxBytes: number;
  /** Versions kept loaded at once. @default 4 */
  maxVersions: number;
  logger: Logger;
}

export class VersionTiers {
  /** Insertion order = recency (a hit is re-inserted). */
  private readonly loaded = new Map<number, Promise<VersionTier>>();

  constructor(private readonly o: VersionTiersOptions) {}

  async get(version: number): Promise<VersionTier> {
    const hit = this.loaded.get(version);
    if (hit) {
      this.loaded.delete(version);
      this.loaded.set(version, hit);
      return hit;
    }
    await this.evict(this.o.maxVersions - 1);
    const load = this.load(version);
    this.loaded.set(version, load);
    load.catch(() => this.loaded.get(version) === load && this.loaded.delete(version));
    return load;
  }

  async close(): Promise<void> {
    await this.evict(0);
  }

  /** Bytes held by the loaded versions other than `except` (the one loading). */
  private async bytesHeld(except: number): Promise<number> {
    let sum = 0;
    for (const [v, t] of this.loaded) if (v !== except) sum += (await t.catch(() => undefined))?.bytes ?? 0;
    return sum;
  }

  /** Drops least recently used versions until at most `keep` remain. */
  private async evict(keep: number): Promise<void> {
    while (this.loaded.size > Math.max(0, keep)) {
      const [version, oldest] = this.loaded.entries().next().value as [number, Promise<VersionTier>];
      this.loaded.delete(version);
      (await oldest.catch(() => undefined))?.table.close();
    }
  }

  private async load(version: number): Promise<VersionTier> {
    const table = await this.o.open();
    await table.checkout(version);
    if (this.o.mode === "auto") {
      const estimate = estimateTierBytes(await table.countRows(), this.o.dim);
      // Make room: older versions go before this one is refused the memory tier (it is the newest entry).
      while (this.loaded.size > 1 && estimate + (await this.bytesHeld(version)) > this.o.maxBytes) {
        await this.evict(this.loaded.size - 1);
      }
      if (estimate <= this.o.maxBytes) {
        const memory = await MemoryTier.load(table, version, this.o);
        this.o.logger.info(
          { table: this.o.tableName, version, tier: "memory", bytes: memory.bytes, rows: memory.rows },
          "enrich: as-of version loaded",
        );
        return { version, tier: "memory", memory, table, bytes: memory.bytes };
      }
    }
    this.o.logger.info({ table: this.o.tableName, version, tier: "lancedb" }, "enrich: as-of version loaded");
    return { version, tier: "lancedb", memory: undefined, table, bytes: 0 };
  }
}
