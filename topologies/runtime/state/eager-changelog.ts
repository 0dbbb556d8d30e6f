/**
 * The changelog path of an eager store (the tool journal): each write is sent as soon as it is made, not with its
 * batch after the outputs, because it records a fact about the outside world (a call that happened) that no retry
 * or abort can undo. Writes are group-committed: while one send is in flight the next writes queue, and go out
 * together when it is acknowledged, so a burst of concurrent calls costs one round trip, not one each. A failed
 * send is kept at the head of the queue and retried (its waiters wait); `close()` gives up and rejects them.
 */
import type { ChangelogWrite } from "./task-stores.ts";

interface Waiting {
  readonly write: ChangelogWrite;
  resolve(): void;
  reject(error: unknown): void;
}

export class EagerChangelog {
  private queue: Waiting[] = [];
  private sending: Promise<void> | undefined;
  private closed = false;
  /** Why the last send failed, while it is being retried. */
  lastError: unknown;

  constructor(
    /** Sends writes in order; resolves once acknowledged (the task's changelog writer). */
    private readonly send: (writes: readonly ChangelogWrite[]) => Promise<unknown>,
    /** Wait before a failed send is retried. @default 200 */
    private readonly retryMs = 200,
  ) {}

  /** Queues `write`; resolves once it is in the changelog. */
  append(write: ChangelogWrite): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`store ${write.store}: changelog closed`));
    const done = new Promise<void>((resolve, reject) => this.queue.push({ write, resolve, reject }));
    this.kick();
    return done;
  }

  /** Writes queued or in flight. */
  get pending(): number {
    return this.queue.length;
  }

  /** Resolves once every write appended so far is acknowledged (or the log was closed). */
  async drain(): Promise<void> {
    while (this.sending) await this.sending;
  }

  /** Stops sending; writes not yet acknowledged are rejected (their task is being dropped). */
  close(): void {
    this.closed = true;
    const error = new Error("changelog closed before the write was acknowledged");
    for (const w of this.queue.splice(0)) w.reject(error);
  }

  private kick(): void {
    if (this.sending || this.closed) return;
    this.sending = this.loop().finally(() => {
      this.sending = undefined;
      // A write appended while the loop was finishing.
      if (this.queue.length > 0) this.kick();
    });
  }

  private async loop(): Promise<void> {
    while (this.queue.length > 0 && !this.closed) {
      const batch = this.queue.splice(0);
      try {
        await this.send(batch.map((w) => w.write));
        this.lastError = undefined;
        for (const w of batch) w.resolve();
      } catch (error) {
        this.lastError = error;
        if (this.closed) {
          for (const w of batch) w.reject(error);
          return;
        }
        this.queue.unshift(...batch);
        await new Promise((resolve) => setTimeout(resolve, this.retryMs));
      }
    }
  }
}
