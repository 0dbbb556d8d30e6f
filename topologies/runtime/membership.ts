/**
 * What a group member may trust about its partitions across rebalances. A member that was evicted (paused past
 * its session timeout, a long GC pause, a network partition) rejoins under a new member id: every partition it
 * held was someone else's meanwhile, so none of its task state may be committed, even for partitions it is given
 * back. Partitions it kept are checked against the group's committed offsets (someone else committing beyond what
 * this member committed means it lost the partition in between). Until a new assignment is verified — or after a
 * commit failed with a generation error — nothing is committed, and committed offsets never move backwards.
 */
import type { Logger } from "pino";

/** The group's committed offset per `topic:partition` (-1 when none). */
export type FetchCommitted = (topics: string[]) => Promise<Map<string, number>>;

/** What the member holds for one partition: the offset it last committed. */
export interface HeldPartition {
  committedOffset: number;
}

/** One fetch of the group's offsets; commits wait for it, so a hung request (a broker stopped) must not hold them. */
const FETCH_TIMEOUT_MS = 10_000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class GroupMembership {
  private memberId: string | undefined;
  private verified: Promise<void> = Promise.resolve();
  private pending = 0;
  private suspended = false;
  /** Counts assignments: a commit failure reported for an earlier one says nothing about the current one. */
  private assignments = 0;
  /** Per partition, the highest committed offset known (the group's at assignment, or ours since). */
  private readonly floors = new Map<string, number>();

  constructor(
    private readonly fetchCommitted: FetchCommitted,
    private readonly logger: Logger,
  ) {}

  /** True when commits may be sent now. */
  get canCommit(): boolean {
    return this.pending === 0 && !this.suspended;
  }

  /** Which assignment is current: pass it back to `commitFailed` with a commit's failure. */
  get epoch(): number {
    return this.assignments;
  }

  /** Resolves once the latest assignment is verified (tasks are created only after it). */
  settled(): Promise<void> {
    return this.verified;
  }

  /**
   * A new assignment arrived. Drops at once (before any commit can run) the held partitions that are no longer
   * owned, or all of them when this member was evicted; drops the kept ones another member committed meanwhile
   * once the group's committed offsets are fetched. Commits wait for that check. Returns true when this member
   * was evicted (it rejoined under a new member id).
   */
  assigned(
    memberId: string,
    owned: ReadonlySet<string>,
    held: ReadonlyMap<string, HeldPartition>,
    drop: (id: string) => void,
  ): boolean {
    const evicted = this.memberId !== undefined && this.memberId !== memberId;
    this.memberId = memberId;
    this.assignments++;
    this.suspended = false;
    const dropNow = [...held.keys()].filter((id) => evicted || !owned.has(id));
    if (evicted) {
      this.logger.warn(
        { partitions: dropNow },
        "this member was evicted from the group (paused past its session timeout?): its partitions' state is dropped",
      );
    }
    for (const id of dropNow) drop(id);
    const kept = [...held].filter(([id]) => !dropNow.includes(id));
    this.pending++;
    this.verified = this.checkFloors(owned, kept).then(
      (stale) => {
        for (const id of stale) drop(id);
      },
      () => {},
    );
    void this.verified.finally(() => this.pending--);
    return evicted;
  }

  private async checkFloors(owned: ReadonlySet<string>, kept: [string, HeldPartition][]): Promise<string[]> {
    const topics = [...new Set([...owned].map((id) => id.slice(0, id.lastIndexOf(":"))))];
    let committed: Map<string, number> | undefined;
    for (let attempt = 0; attempt < 3 && !committed; attempt++) {
      committed = await withTimeout(this.fetchCommitted(topics), FETCH_TIMEOUT_MS).catch((error: unknown) => {
        this.logger.warn({ err: error, attempt }, "fetching the group's committed offsets failed");
        return undefined;
      });
    }
    // Without the group's offsets, kept state can't be trusted: drop it (redone from the committed offset).
    if (!committed) return kept.map(([id]) => id);
    for (const id of owned) this.raiseFloor(id, committed.get(id) ?? -1);
    const stale = kept.filter(([id, held]) => (committed.get(id) ?? -1) > held.committedOffset).map(([id]) => id);
    if (stale.length > 0) {
      this.logger.warn({ partitions: stale }, "another member committed these partitions meanwhile: state dropped");
    }
    return stale;
  }

  /** The offset a new task of the partition starts its commit tracking at. */
  floor(id: string): number {
    return this.floors.get(id) ?? -1;
  }

  /** An offset this member committed (or saw committed). */
  raiseFloor(id: string, offset: number): void {
    this.floors.set(id, Math.max(this.floors.get(id) ?? -1, offset));
  }

  /** Offsets at or below the floor are never sent: committed offsets must not go backwards. */
  admits(id: string, offset: number): boolean {
    return offset > this.floor(id);
  }

  /**
   * A commit sent under assignment `epoch` failed. When the failure says the member's generation is gone, nothing
   * is committed until the next assignment; a commit of an earlier assignment that fails only after the member
   * rejoined (it waited on a coordinator that was down) does not block the new one.
   */
  commitFailed(error: unknown, epoch = this.assignments): void {
    if (epoch !== this.assignments) return;
    const type = (error as { type?: string } | undefined)?.type ?? "";
    const message = error instanceof Error ? error.message : String(error);
    if (
      /UNKNOWN_MEMBER_ID|ILLEGAL_GENERATION|REBALANCE_IN_PROGRESS|FENCED_INSTANCE_ID/.test(type) ||
      /not aware of this member|generation|rebalanc/i.test(message)
    ) {
      this.suspended = true;
    }
  }
}
