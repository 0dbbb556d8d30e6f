/**
 * State stores as processors see them (Kafka Streams' `state/KeyValueStore.java`, `WindowStore.java`): typed,
 * synchronous, reached through `ctx.store(name)`. The engine behind them (lmdb on disk per task, or memory in
 * the test driver), the changelog and restoration live in `topologies/runtime/state/`; nothing here knows them.
 */

/** One entry of a range or prefix scan. */
export interface StoreEntry<V> {
  readonly key: string;
  readonly value: V;
}

/** Options of one write. */
export interface PutOptions {
  /** The entry disappears this many milliseconds after the write (by the task's clock). @default never */
  ttlMs?: number;
}

/**
 * A per-task key-value store. Reads see the writes made so far, including this micro-batch's; the writes of a
 * batch become durable together (local engine + changelog) once the batch succeeded, and are dropped if it is
 * retried after a transient error, so a retry never applies a write twice.
 */
export interface KeyValueStore<V = unknown> {
  readonly kind: "keyValue";
  readonly name: string;
  get(key: string): V | undefined;
  put(key: string, value: V, options?: PutOptions): void;
  delete(key: string): void;
  /** Entries with `from <= key < to` in key order (UTF-8 byte order); open ends when omitted. */
  range(from?: string, to?: string): StoreEntry<V>[];
  /** Entries whose key starts with `prefix`, in key order. */
  prefix(prefix: string): StoreEntry<V>[];
  /**
   * Eager stores only (declared `eager: true`): resolves once every write made so far is in the changelog.
   * Absent on batch stores, whose writes become durable with their batch.
   */
  persisted?(): Promise<void>;
}

/** A window of one key: `[start, end)` in event-time milliseconds (for sessions, `end` is the last record's time). */
export interface StoredWindow<V> {
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly value: V;
}

/**
 * A per-task store of values per key per window, indexed by key and by window end so that closing windows by
 * stream time is a range scan.
 */
export interface WindowStore<V = unknown> {
  readonly kind: "window";
  readonly name: string;
  fetch(key: string, start: number): StoredWindow<V> | undefined;
  put(window: StoredWindow<V>): void;
  remove(key: string, start: number): void;
  /** Every window of `key`, by start. */
  windowsOf(key: string): StoredWindow<V>[];
  /** Every window (any key) whose end is `<= end`, by end. */
  endingBy(end: number): StoredWindow<V>[];
}

/** A store a processor reaches with `ctx.store(name)`: key-value or windowed (its `kind` says which). */
export type StateStore = KeyValueStore | WindowStore;

/** What a topology declares (or a DSL operator implies): a store's name and kind. */
export interface StoreDeclaration {
  readonly name: string;
  readonly kind: "keyValue" | "window";
  /** Write every change to `<applicationId>-<name>-changelog`. @default true */
  readonly changelog?: boolean;
  /**
   * Key-value stores only: each write goes to the engine and the changelog at once instead of with its batch
   * (after the batch's outputs), and survives a retry of the batch. For facts about the outside world that
   * must outlive a crash of the batch that learnt them (the tool journal). @default false
   */
  readonly eager?: boolean;
}

/** Hands a processor the stores of its task. */
export interface StoreProvider {
  /** The declared store `name`; throws naming the declared stores when there is none of that name. */
  store(name: string): StateStore;
}

/** Fixed-width, sortable text for a time or offset, so that key order is time order. */
export function sortableNumber(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not a sortable non-negative integer: ${n}`);
  return n.toString(16).padStart(14, "0");
}

/** A record key as store key text: UTF-8 for bytes, "" for null. */
export function storeKey(key: Buffer | string | null): string {
  if (key === null) return "";
  return typeof key === "string" ? key : key.toString("utf8");
}

/** The store methods of a context that has no stores (hand-built contexts in benchmarks and tests). */
export const noStores = {
  store(name: string): never {
    throw new Error(`no state store named "${name}": this context has no stores`);
  },
  keyValueStore(name: string): never {
    throw new Error(`no state store named "${name}": this context has no stores`);
  },
  windowStore(name: string): never {
    throw new Error(`no state store named "${name}": this context has no stores`);
  },
};
