/**
 * The window store over a key-value store: windows that close keep a by-end index for `endingBy`; the single
 * window per key of an aggregation without windows keeps none, so each update is one store write.
 */
import { describe, expect, it } from "vitest";
import { KeyValueWindowStore } from "../../../processors/window-store.ts";
import { BufferedStore } from "../../../topologies/runtime/state/buffered-store.ts";
import { MemoryEngine } from "../../../topologies/runtime/state/memory-engine.ts";

const store = () => new BufferedStore("counts", new MemoryEngine(), () => 0);

describe("KeyValueWindowStore", () => {
  it("indexes windows by end, moves the index when a window's end changes, and closes by stream time", () => {
    const kv = store();
    const windows = new KeyValueWindowStore<number>(kv);
    windows.put({ key: "a", start: 0, end: 10, value: 1 });
    windows.put({ key: "b", start: 0, end: 20, value: 2 });
    windows.put({ key: "a", start: 0, end: 15, value: 3 }, windows.fetch("a", 0));
    expect(kv.prefix("e\u0000").length).toBe(2);
    expect(windows.endingBy(14)).toEqual([]);
    expect(windows.endingBy(15)).toEqual([{ key: "a", start: 0, end: 15, value: 3 }]);
    windows.remove("a", 0);
    expect(kv.prefix("e\u0000").map((e) => e.key)).toEqual([expect.stringContaining("\u0000b")]);
  });

  it("keeps one entry per window and no index when its windows never close", () => {
    const kv = store();
    const windows = new KeyValueWindowStore<number>(kv, false);
    const end = Number.MAX_SAFE_INTEGER;
    windows.put({ key: "a", start: 0, end, value: 1 }, null);
    windows.put({ key: "a", start: 0, end, value: 2 }, windows.fetch("a", 0));
    windows.put({ key: "b", start: 0, end, value: 5 });
    expect(kv.flush().map((w) => w.key)).toEqual(["k\u0000a\u000000000000000000", "k\u0000b\u000000000000000000"]);
    expect(windows.fetch("a", 0)).toEqual({ key: "a", start: 0, end, value: 2 });
    expect(windows.windowsOf("b")).toEqual([{ key: "b", start: 0, end, value: 5 }]);
    windows.remove("a", 0);
    expect(windows.fetch("a", 0)).toBeUndefined();
    expect(() => windows.endingBy(10)).toThrow(/by-end index/);
  });
});
