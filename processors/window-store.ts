/**
 * A `WindowStore` as a view over a key-value store: `k\0<key>\0<start>` holds each window, `e\0<end>\0<start>\0<key>`
 * indexes it by end, so closing windows by stream time is one range scan and a key's windows are one prefix scan.
 * An aggregation without windows (one window per key that never closes) keeps no index: that halves its store
 * writes and changelog records.
 */
import { type KeyValueStore, type StoredWindow, sortableNumber, type WindowStore } from "./stores.ts";

interface Held {
  end: number;
  value: unknown;
}

let lastStart = -1;
let lastStartText = "";
/** A start's sortable text, remembered for the last start (nearly every record falls in the same window). */
function startText(start: number): string {
  if (start !== lastStart) [lastStart, lastStartText] = [start, sortableNumber(start)];
  return lastStartText;
}
const at = (key: string, start: number) => `k\u0000${key}\u0000${startText(start)}`;
const byEnd = (end: number, start: number, key: string) =>
  `e\u0000${sortableNumber(end)}\u0000${sortableNumber(start)}\u0000${key}`;

export class KeyValueWindowStore<V = unknown> implements WindowStore<V> {
  readonly kind = "window" as const;

  /** @param indexByEnd keep the by-end index (`endingBy`); off for windows that never close. @default true */
  constructor(
    private readonly kv: KeyValueStore,
    private readonly indexByEnd = true,
  ) {}

  get name(): string {
    return this.kv.name;
  }

  fetch(key: string, start: number): StoredWindow<V> | undefined {
    const held = this.kv.get(at(key, start)) as Held | undefined;
    return held === undefined ? undefined : { key, start, end: held.end, value: held.value as V };
  }

  /** Stores `window`; `previous` is what `fetch` just returned for it (saves reading it again). */
  put(window: StoredWindow<V>, previous?: { end: number } | null): void {
    if (this.indexByEnd) {
      const old = previous === undefined ? (this.kv.get(at(window.key, window.start)) as Held | undefined) : previous;
      if (old && old.end !== window.end) this.kv.delete(byEnd(old.end, window.start, window.key));
    }
    this.kv.put(at(window.key, window.start), { end: window.end, value: window.value });
    if (this.indexByEnd) this.kv.put(byEnd(window.end, window.start, window.key), 1);
  }

  remove(key: string, start: number): void {
    const old = this.kv.get(at(key, start)) as Held | undefined;
    if (old === undefined) return;
    this.kv.delete(at(key, start));
    if (this.indexByEnd) this.kv.delete(byEnd(old.end, start, key));
  }

  windowsOf(key: string): StoredWindow<V>[] {
    const prefix = `k\u0000${key}\u0000`;
    return this.kv.prefix(prefix).map(({ key: k, value }) => {
      const held = value as Held;
      return { key, start: Number.parseInt(k.slice(prefix.length), 16), end: held.end, value: held.value as V };
    });
  }

  endingBy(end: number): StoredWindow<V>[] {
    if (!this.indexByEnd) throw new Error(`window store ${this.name}: kept without its by-end index`);
    const out: StoredWindow<V>[] = [];
    if (end < 0) return out;
    for (const { key: k } of this.kv.range("e\u0000", `e\u0000${sortableNumber(end + 1)}`)) {
      const [, , startText, key] = splitIndex(k);
      const window = this.fetch(key, Number.parseInt(startText, 16));
      if (window !== undefined) out.push(window);
    }
    return out;
  }
}

function splitIndex(k: string): [string, string, string, string] {
  const first = k.indexOf("\u0000");
  const second = k.indexOf("\u0000", first + 1);
  const third = k.indexOf("\u0000", second + 1);
  return [k.slice(0, first), k.slice(first + 1, second), k.slice(second + 1, third), k.slice(third + 1)];
}
