/**
 * As-of retrieval for one `enrich` node: the version timeline (kb-as-of.ts) plus the per-version tiers
 * (kb-version-tiers.ts). `plan` groups a micro-batch by the version current at each record's timestamp, so enrich
 * answers each version group in one pass; what each record used goes into its lineage.
 */
import type * as lancedb from "@lancedb/lancedb";
import type { Logger } from "pino";
import { type AsOfChoice, type AsOfFallback, KbTimeline } from "./kb-as-of.ts";
import type { MemoryTierOptions } from "./kb-memory-tier.ts";
import { type VersionTier, VersionTiers } from "./kb-version-tiers.ts";

export interface AsOfRetrievalOptions extends MemoryTierOptions {
  tableName: string;
  fallback: AsOfFallback;
  mode: "auto" | "lancedb";
  maxBytes: number;
  logger: Logger;
}

/** Versions kept loaded at once by one enrich node. */
const MAX_VERSIONS = 4;

export class AsOfRetrieval {
  private constructor(
    private readonly probe: lancedb.Table,
    private readonly timeline: KbTimeline,
    private readonly tiers: VersionTiers,
  ) {}

  static async open(db: lancedb.Connection, o: AsOfRetrievalOptions): Promise<AsOfRetrieval> {
    const open = () => db.openTable(o.tableName);
    const probe = await open();
    const timeline = new KbTimeline(o.tableName, () => probe.listVersions(), o.fallback);
    return new AsOfRetrieval(probe, timeline, new VersionTiers({ ...o, open, maxVersions: MAX_VERSIONS }));
  }

  /**
   * Each item's version by its time (epoch ms): item indices grouped by version, and each item's choice. An item
   * whose version was cleaned up (fallback `fail`) is reported through `onFail` and left out.
   */
  async plan(
    items: readonly { index: number; time: number }[],
    onFail: (index: number, error: Error) => void,
  ): Promise<{ groups: Map<number, number[]>; choices: Map<number, AsOfChoice> }> {
    let newest = Number.NEGATIVE_INFINITY;
    for (const item of items) newest = Math.max(newest, item.time);
    await this.timeline.cover(newest);
    const groups = new Map<number, number[]>();
    const choices = new Map<number, AsOfChoice>();
    for (const { index, time } of items) {
      let choice: AsOfChoice;
      try {
        choice = this.timeline.versionAt(time);
      } catch (error) {
        onFail(index, error as Error);
        continue;
      }
      choices.set(index, choice);
      const list = groups.get(choice.version);
      if (list) list.push(index);
      else groups.set(choice.version, [index]);
    }
    return { groups, choices };
  }

  tier(version: number): Promise<VersionTier> {
    return this.tiers.get(version);
  }

  async close(): Promise<void> {
    await this.tiers.close();
    this.probe.close();
  }
}
