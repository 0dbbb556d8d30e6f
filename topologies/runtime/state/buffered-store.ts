/**
 * A `KeyValueStore` over one engine with a write buffer: reads see the buffer first, `flush()` applies it to the
 * engine atomically and returns the changes (one per key, last write wins) for the changelog, `discard()` drops
 * it (a batch retried after a transient error). Expired TTL entries read as absent and are deleted when seen.
 */
import type { KeyValueStore, PutOptions, StoreEntry } from "../../../processors/stores.ts";
import { type EngineWrite, prefixEnd, type StoredValue, type StoreEngine } from "./engine.ts";

export class BufferedStore<V = unknown> implements KeyValueStore<V> {
  readonly kind = "keyValue" as const;
  private buffer = new Map<string, StoredValue | null>();

  constructor(
    readonly name: string,
    readonly engine: StoreEngine,
    private readonly now: () => number,
  ) {}

  private live(key: string, stored: StoredValue | null | undefined): StoredValue | undefined {
    if (stored === null || stored === undefined) return undefined;
    if (stored.x !== undefined && stored.x <= this.now()) {
      this.buffer.set(key, null);
      return undefined;
    }
    return stored;
  }

  get(key: string): V | undefined {
    const buffered = this.buffer.get(key);
    const stored = buffered === undefined && !this.buffer.has(key) ? this.engine.get(key) : buffered;
    return this.live(key, stored)?.v as V | undefined;
  }

  put(key: string, value: V, options: PutOptions = {}): void {
    if (value === undefined) throw new TypeError(`store ${this.name}: cannot put undefined under "${key}"`);
    const stored: StoredValue =
      options.ttlMs === undefined ? { v: value } : { v: value, x: this.now() + options.ttlMs };
    this.buffer.set(key, stored);
  }

  delete(key: string): void {
    this.buffer.set(key, null);
  }

  range(from?: string, to?: string): StoreEntry<V>[] {
    const merged = new Map<string, StoredValue | null>();
    for (const { key, value } of this.engine.range(from, to)) merged.set(key, value);
    for (const [key, value] of this.buffer) {
      if ((from === undefined || key >= from) && (to === undefined || key < to)) merged.set(key, value);
    }
    const keys = [...merged.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const out: StoreEntry<V>[] = [];
    for (const key of keys) {
      const live = this.live(key, merged.get(key));
      if (live !== undefined) out.push({ key, value: live.v as V });
    }
    return out;
  }

  prefix(prefix: string): StoreEntry<V>[] {
    return this.range(prefix, prefixEnd(prefix));
  }

  /** Whether this batch wrote anything. */
  get dirty(): boolean {
    return this.buffer.size > 0;
  }

  /** Applies the buffer to the engine and returns what changed. */
  flush(): EngineWrite[] {
    const writes = [...this.buffer].map(([key, value]) => ({ key, value }));
    this.engine.write(writes);
    this.buffer = new Map();
    return writes;
  }

  discard(): void {
    this.buffer = new Map();
  }
}
