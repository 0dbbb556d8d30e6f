/**
 * Per-partition commit watermark. An input offset may be committed only when every output of it — and of every
 * earlier offset — has been acknowledged by its sink. The tracker keeps inputs in offset order and advances a
 * contiguous watermark as their outputs are acknowledged, whatever order acknowledgements arrive in.
 */

interface Entry {
  offset: number;
  bytes: number;
  /** Outputs handed to sinks and not yet acknowledged. */
  pending: number;
  /** Processing of the input finished: no more outputs will be added. */
  sealed: boolean;
}

export class PartitionCommitTracker {
  private readonly entries: Entry[] = [];
  private head = 0;
  private readonly byOffset = new Map<number, Entry>();
  /** Next offset to commit (Kafka commits "the next offset to read"). -1 until something is done. */
  private committable = -1;
  private lastCommitted = -1;
  private inFlightBytes = 0;
  /** Everything below this offset has been seen by the task. */
  private endOfSeen = -1;

  /**
   * @param committedOffset the group's committed offset when the task was created: the tracker never offers an
   *   offset at or below it, so a task can never move its partition's committed offset backwards. @default -1
   */
  constructor(committedOffset = -1) {
    this.lastCommitted = committedOffset;
  }

  /** Registers an input record as it enters the task; offsets must arrive in increasing order. */
  track(offset: number, bytes = 0): void {
    const last = this.entries[this.entries.length - 1];
    if (last && offset <= last.offset) {
      throw new Error(`commit tracker: offset ${offset} arrived after ${last.offset}`);
    }
    const entry: Entry = { offset, bytes, pending: 0, sealed: false };
    this.entries.push(entry);
    this.byOffset.set(offset, entry);
    this.inFlightBytes += bytes;
  }

  /** `count` more outputs of `offset` were handed to sinks. */
  addPending(offset: number, count = 1): void {
    const entry = this.entry(offset);
    if (entry.sealed) throw new Error(`commit tracker: outputs added to sealed offset ${offset}`);
    entry.pending += count;
  }

  /** One output of `offset` was acknowledged (durable). */
  ack(offset: number, count = 1): void {
    const entry = this.byOffset.get(offset);
    if (!entry) return; // already released: an ack of an abandoned task's output
    entry.pending -= count;
    if (entry.pending < 0) throw new Error(`commit tracker: offset ${offset} acknowledged more than it produced`);
    this.advance();
  }

  /** Processing of `offset` finished; once its pending outputs are acknowledged it is done. */
  seal(offset: number): void {
    this.entry(offset).sealed = true;
    this.advance();
  }

  /**
   * Everything below `nextOffset` has been seen (e.g. the end of a batch whose last offsets were control
   * records or were filtered before tracking): the watermark may move there once all tracked inputs are done.
   */
  seenUpTo(nextOffset: number): void {
    this.endOfSeen = Math.max(this.endOfSeen, nextOffset);
    this.advance();
  }

  private advance(): void {
    while (this.head < this.entries.length) {
      const entry = this.entries[this.head] as Entry;
      if (!entry.sealed || entry.pending > 0) break;
      this.committable = entry.offset + 1;
      this.inFlightBytes -= entry.bytes;
      this.byOffset.delete(entry.offset);
      this.head++;
    }
    if (this.head === this.entries.length && this.endOfSeen > this.committable) this.committable = this.endOfSeen;
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
  }

  private entry(offset: number): Entry {
    const entry = this.byOffset.get(offset);
    if (!entry) throw new Error(`commit tracker: offset ${offset} is not tracked`);
    return entry;
  }

  /** The offset to commit now, or undefined when nothing new is committable. */
  toCommit(): number | undefined {
    return this.committable > this.lastCommitted ? this.committable : undefined;
  }

  /** Records that `offset` was committed to Kafka. */
  committed(offset: number): void {
    this.lastCommitted = Math.max(this.lastCommitted, offset);
  }

  /** The highest offset known to be committed, or -1. */
  get committedOffset(): number {
    return this.lastCommitted;
  }

  /** Inputs not yet done (processing or awaiting acknowledgements). */
  get inFlightRecords(): number {
    return this.entries.length - this.head;
  }

  get inFlightBytesTotal(): number {
    return this.inFlightBytes;
  }

  /** The lowest offset whose outputs are not all acknowledged, if any. */
  get lowestPending(): number | undefined {
    return this.entries[this.head]?.offset;
  }
}
