/**
 * As-of retrieval: which knowledge-base version was current when an event happened. The timeline is LanceDB's
 * own version history (`table.listVersions()`: version number and commit time); version v is current from its
 * commit time until the next version's. Clocks: the event's time is its Kafka record timestamp (CreateTime, set
 * by the producer); a version's time is the wall clock of the process that committed it. Both are compared as
 * epoch milliseconds, so the producers' and the KB writers' clocks must agree to within the gap between updates.
 * Versions removed by cleanup (`optimize({ cleanupOlderThan })`) leave gaps: an event falling in one either fails
 * (`fallback: fail`, the default: a dead letter that names the missing versions) or, when the user chose `nearest`, uses the nearest kept version, and
 * the record says which version it wanted (lineage `kb_version_wanted`).
 */
import { PoisonRecordError } from "../core/errors.ts";

export type AsOfFallback = "fail" | "nearest";

export interface AsOfSettings {
  /** Retrieve from the version current at each event's timestamp. @default false (the pinned/refreshed version) */
  enabled: boolean;
  /** What to do when that version was cleaned up. @default "fail" */
  fallback: AsOfFallback;
}

let settings: AsOfSettings = { enabled: false, fallback: "fail" };

/** Set once by `sluice replay` (on by default) or `sluice run --as-of` (and by tests) before the topology starts. */
export function configureAsOf(next: Partial<AsOfSettings>): void {
  settings = { enabled: next.enabled ?? false, fallback: next.fallback ?? "fail" };
}

export function asOfSettings(): AsOfSettings {
  return settings;
}

export interface VersionEntry {
  version: number;
  /** Commit time, epoch ms. */
  at: number;
}

/** The version an event gets: the one used, and the one it should have had when that one was cleaned up. */
export interface AsOfChoice {
  version: number;
  /** Set when `nearest` stood in for a cleaned-up (or not yet existing) version: what was wanted, in words. */
  wanted?: string;
}

/** The version an event needs is gone: the record fails (dead letter naming the version), the run goes on. */
export class KbVersionCleanedError extends PoisonRecordError {}

export class KbTimeline {
  private versions: VersionEntry[] = [];
  /** Wall time of the last listing: every version committed before it is in `versions`. */
  private listedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly table: string,
    private readonly list: () => Promise<{ version: number; timestamp: Date }[]>,
    private readonly fallback: AsOfFallback,
    private readonly now: () => number = Date.now,
  ) {}

  /** Lists the versions again when an event is newer than the last listing (a version may have come since). */
  async cover(maxEventTime: number): Promise<void> {
    if (maxEventTime < this.listedAt && this.versions.length > 0) return;
    const at = this.now();
    const listed = await this.list();
    this.versions = listed
      .map((v) => ({ version: v.version, at: v.timestamp.getTime() }))
      .sort((a, b) => a.version - b.version);
    this.listedAt = at;
  }

  get entries(): readonly VersionEntry[] {
    return this.versions;
  }

  /** The version current at `time` (epoch ms); throws KbVersionCleanedError unless the fallback is `nearest`. */
  versionAt(time: number): AsOfChoice {
    const vs = this.versions;
    // Last kept version committed at or before `time` (binary search; commit times grow with versions).
    let lo = 0;
    let hi = vs.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((vs[mid] as VersionEntry).at <= time) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const at = new Date(time).toISOString();
    if (found === -1) {
      const first = vs[0];
      if (!first) throw new KbVersionCleanedError(`knowledge-base table ${this.table} has no versions`);
      const why =
        first.version === 1
          ? `no version of knowledge-base table ${this.table} existed at ${at} (v1 was committed at ${new Date(first.at).toISOString()})`
          : `the version of knowledge-base table ${this.table} current at ${at} was cleaned up (oldest kept: v${first.version} of ${new Date(first.at).toISOString()})`;
      return this.fall(first.version, why, `before v${first.version}`);
    }
    const current = vs[found] as VersionEntry;
    const next = vs[found + 1];
    if (next && next.version > current.version + 1) {
      // Versions current.version+1 … next.version-1 were cleaned up; one of them may have been current at `time`.
      return this.fall(
        current.version,
        `knowledge-base table ${this.table}: versions ${current.version + 1}..${next.version - 1}, one of which may have been current at ${at}, were cleaned up`,
        `v${current.version + 1}..v${next.version - 1}`,
      );
    }
    return { version: current.version };
  }

  private fall(version: number, why: string, wanted: string): AsOfChoice {
    if (this.fallback === "nearest") return { version, wanted };
    throw new KbVersionCleanedError(
      `${why}; replay with --as-of-fallback nearest to use the nearest kept version (recorded in lineage)`,
    );
  }
}
