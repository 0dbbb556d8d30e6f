/**
 * A key-value store whose writes skip the batch: each `put`/`delete` is applied to the engine and handed to the
 * changelog at once (`eager-changelog.ts`), is kept when the batch is retried or its outputs never arrive, and
 * `persisted()` resolves once the changelog acknowledged every write made so far. For facts about the outside
 * world that must survive a crash of the batch that learnt them: the tool journal (a call that really happened).
 * Expired TTL entries read as absent and are deleted when seen.
 */
import type { KeyValueStore, PutOptions, StoreEntry } from "../../../processors/stores.ts";
import type { EagerChangelog } from "./eager-changelog.ts";
import { prefixEnd, type StoredValue, type StoreEngine } from "./engine.ts";

export class EagerStore<V = unknown> implements KeyValueStore<V> {
  readonly kind = "keyValue" as const;
  private last: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    readonly engine: StoreEngine,
    private readonly now: () => number,
    /** Where the writes go; none (the test driver): the engine alone. */
    private readonly log?: EagerChangelog,
  ) {}

  private write(key: string, value: StoredValue | null): void {
    this.engine.write([{ key, value }]);
    if (this.log === undefined) return;
    const acked = this.log.append({ store: this.name, key, value });
    acked.catch(() => {});
    this.last = acked;
  }

  private live(key: string, stored: StoredValue | undefined): StoredValue | undefined {
    if (stored === undefined) return undefined;
    if (stored.x !== undefined && stored.x <= this.now()) {
      this.write(key, null);
      return undefined;
    }
    return stored;
  }

  get(key: string): V | undefined {
    return this.live(key, this.engine.get(key))?.v as V | undefined;
  }

  put(key: string, value: V, options: PutOptions = {}): void {
    if (value === undefined) throw new TypeError(`store ${this.name}: cannot put undefined under "${key}"`);
    this.write(key, options.ttlMs === undefined ? { v: value } : { v: value, x: this.now() + options.ttlMs });
  }

  delete(key: string): void {
    this.write(key, null);
  }

  range(from?: string, to?: string): StoreEntry<V>[] {
    const out: StoreEntry<V>[] = [];
    for (const { key, value } of this.engine.range(from, to)) {
      const live = this.live(key, value);
      if (live !== undefined) out.push({ key, value: live.v as V });
    }
    return out;
  }

  prefix(prefix: string): StoreEntry<V>[] {
    return this.range(prefix, prefixEnd(prefix));
  }

  /** Resolves once every write so far is in the changelog; rejects if the changelog was closed first. */
  persisted(): Promise<void> {
    return this.last;
  }
}
