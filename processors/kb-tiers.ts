/**
 * Which retrieval tier answers `enrich` for which table version. The in-memory exact tier (kb-memory-tier.ts)
 * when the version fits the memory budget, else LanceDB (ANN + scalar index, batched calls). A new version seen
 * under the refresh policy is loaded in the background while the current tier keeps answering with its own
 * version, then swapped in whole, so a record's retrieval and its recorded version always belong together.
 */
import type * as lancedb from "@lancedb/lancedb";
import type { Logger } from "pino";
import { estimateTierBytes, MemoryTier, type MemoryTierOptions } from "./kb-memory-tier.ts";

export type TierName = "memory" | "lancedb";

/** The tier answering now: its version, and the loaded vectors when it is the memory tier. */
export interface ActiveTier {
  version: number;
  tier: TierName;
  memory: MemoryTier | undefined;
  /** Bytes held in memory (0 for LanceDB). */
  bytes: number;
}

export interface KbTiersOptions extends MemoryTierOptions {
  /** Database URI and table name: with the version and options, what identifies a shareable tier. */
  uri: string;
  tableName: string;
  /** `auto`: memory when it fits `maxBytes`; `lancedb`: never load into memory. */
  mode: "auto" | "lancedb";
  maxBytes: number;
  logger: Logger;
  /** Called on every tier that becomes active, with whether the previous one was freed (metrics). */
  onActive(next: ActiveTier, previous: ActiveTier | undefined, previousFreed: boolean): void;
}

/** Memory tiers loaded in this process, shared by the tasks that pin the same table version with the same options. */
const shared = new Map<string, { tier: Promise<MemoryTier>; refs: number }>();

function acquire(key: string, load: () => Promise<MemoryTier>): Promise<MemoryTier> {
  let entry = shared.get(key);
  if (!entry) {
    entry = { tier: load(), refs: 0 };
    const e = entry;
    e.tier.catch(() => shared.get(key) === e && shared.delete(key));
    shared.set(key, entry);
  }
  entry.refs++;
  return entry.tier;
}

/** Drops one task's hold on a shared tier; true when it was the last (the tier is freed). */
function release(key: string): boolean {
  const entry = shared.get(key);
  if (!entry) return false;
  if (--entry.refs > 0) return false;
  shared.delete(key);
  return true;
}

export class KbTiers {
  private active: ActiveTier | undefined;
  private loading: Promise<void> | undefined;
  private probe: lancedb.Table | undefined;

  /**
   * @param query the handle LanceDB-tier queries go to, checked out at the active version.
   * @param open opens a fresh handle on the table (for probing the latest version and loading a new one).
   */
  constructor(
    readonly queryTable: lancedb.Table,
    private readonly open: () => Promise<lancedb.Table>,
    private readonly o: KbTiersOptions,
  ) {}

  get current(): ActiveTier {
    if (!this.active) throw new Error(`knowledge-base table ${this.o.tableName}: tier not started`);
    return this.active;
  }

  /** Loads `version` and makes it active, waiting for it (task start). */
  async start(version: number): Promise<void> {
    await this.queryTable.checkout(version);
    this.activate(await this.build(this.queryTable, version));
  }

  /**
   * Looks for a newer version (the refresh policy said it is due). A LanceDB tier switches before this resolves
   * (a checkout); a memory tier keeps answering with its own version while the new one loads in the background.
   */
  async refresh(): Promise<void> {
    if (this.loading) return;
    this.probe ??= await this.open();
    await this.probe.checkoutLatest();
    const latest = await this.probe.version();
    if (latest === this.current.version) return;
    this.loading = (async () => {
      const handle = await this.open();
      try {
        await handle.checkout(latest);
        const next = await this.build(handle, latest);
        if (next.tier === "lancedb") await this.queryTable.checkout(latest);
        this.activate(next);
      } catch (error) {
        this.o.logger.warn(
          { table: this.o.tableName, version: latest, err: (error as Error).message },
          "enrich: loading a new knowledge-base version failed; the current one keeps answering",
        );
      } finally {
        handle.close();
        this.loading = undefined;
      }
    })();
    if (this.current.tier === "lancedb") await this.loading;
  }

  /** Resolves when no new version is loading (tests and shutdown). */
  async settled(): Promise<void> {
    await this.loading;
  }

  /** Waits for a load in flight, then lets go of the tier; returns it when this process holds it no more. */
  async close(): Promise<ActiveTier | undefined> {
    await this.loading;
    this.probe?.close();
    this.queryTable.close();
    const last = this.active;
    this.active = undefined;
    if (!last) return undefined;
    return last.tier !== "memory" || release(this.keyOf(last.version)) ? last : undefined;
  }

  private async build(table: lancedb.Table, version: number): Promise<ActiveTier> {
    const lancedbTier: ActiveTier = { version, tier: "lancedb", memory: undefined, bytes: 0 };
    if (this.o.mode === "lancedb") return lancedbTier;
    const estimate = estimateTierBytes(await table.countRows(), this.o.dim);
    if (estimate <= this.o.maxBytes) {
      const key = this.keyOf(version);
      const memory = await acquire(key, () => MemoryTier.load(table, version, this.o));
      if (memory.bytes <= this.o.maxBytes) return { version, tier: "memory", memory, bytes: memory.bytes };
      release(key);
    }
    this.o.logger.warn(
      { table: this.o.tableName, version, bytes: estimate, maxBytes: this.o.maxBytes },
      `enrich: knowledge-base table ${this.o.tableName} v${version} needs ~${estimate} bytes in memory, over enrich.memory.maxBytes (${this.o.maxBytes}): querying LanceDB instead`,
    );
    return lancedbTier;
  }

  private keyOf(version: number): string {
    const { uri, tableName, idColumn, filterColumn, fields } = this.o;
    return JSON.stringify([uri, tableName, version, idColumn, filterColumn ?? null, fields]);
  }

  private activate(next: ActiveTier): void {
    const previous = this.active;
    this.active = next;
    const freed = previous?.tier === "memory" ? release(this.keyOf(previous.version)) : previous !== undefined;
    this.o.onActive(next, previous, freed);
    this.o.logger.info(
      { table: this.o.tableName, version: next.version, tier: next.tier, bytes: next.bytes, rows: next.memory?.rows },
      "enrich: knowledge-base tier active",
    );
  }
}
