/**
 * Collects items handed over one at a time into batches closed by size or by a maximum wait, runs batches one
 * after another (so outputs keep arrival order) and settles each item's promise with its own outcome.
 */

export interface MicroBatcherOptions {
  /** A batch closes when it holds this many items. */
  maxBatch: number;
  /** A batch closes this long after its first item arrived, full or not (ms). */
  maxWaitMs: number;
}

interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** `run` handles a batch and returns, per index, the error of each item that failed. */
export type BatchRunner<T> = (items: T[]) => Promise<Map<number, unknown> | undefined>;

export class MicroBatcher<T> {
  private pending: Pending<T>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: MicroBatcherOptions,
    private readonly run: BatchRunner<T>,
  ) {}

  /** Resolves when the item's batch has been handled; rejects with the item's own error. */
  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.options.maxBatch) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.options.maxWaitMs);
    });
  }

  /** Closes the current batch now; resolves when every batch so far is handled. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length > 0) {
      this.chain = this.chain.then(async () => {
        try {
          const failures = await this.run(batch.map((p) => p.item));
          batch.forEach((p, i) => {
            if (failures?.has(i)) p.reject(failures.get(i));
            else p.resolve();
          });
        } catch (error) {
          for (const p of batch) p.reject(error);
        }
      });
    }
    return this.chain;
  }
}
