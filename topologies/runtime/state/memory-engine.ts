/** An in-memory `StoreEngine` for the test driver: a Map, sorted on demand for scans. */
import type { EngineFactory, EngineWrite, StoredValue, StoreEngine } from "./engine.ts";

export class MemoryEngine implements StoreEngine {
  private readonly entries = new Map<string, StoredValue>();

  get(key: string): StoredValue | undefined {
    return this.entries.get(key);
  }

  range(from?: string, to?: string): Array<{ key: string; value: StoredValue }> {
    const keys = [...this.entries.keys()]
      .filter((k) => (from === undefined || k >= from) && (to === undefined || k < to))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return keys.map((key) => ({ key, value: this.entries.get(key)! }));
  }

  write(writes: readonly EngineWrite[]): void {
    for (const { key, value } of writes) {
      if (value === null) this.entries.delete(key);
      else this.entries.set(key, value);
    }
  }

  clear(): void {
    this.entries.clear();
  }

  size(): number {
    return this.entries.size;
  }

  async close(): Promise<void> {}
}

/** A factory handing out fresh in-memory engines. */
export const memoryEngines: EngineFactory = () => new MemoryEngine();
