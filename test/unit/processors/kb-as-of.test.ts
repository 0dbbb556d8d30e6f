/**
 * The as-of timeline (processors/kb-as-of.ts) over version lists as LanceDB's `listVersions()` returns them:
 * the version current at a time, gaps left by cleanup (fail, or the nearest kept version when chosen), times
 * before the first version, and a new listing when an event is newer than the last one.
 */
import { describe, expect, it } from "vitest";
import { KbTimeline, KbVersionCleanedError } from "../../../processors/kb-as-of.ts";

const v = (version: number, at: number) => ({ version, timestamp: new Date(at) });

describe("knowledge-base as-of timeline", () => {
  it("picks the version committed last at or before each time", async () => {
    const t = new KbTimeline(
      "kb",
      async () => [v(3, 3000), v(1, 1000), v(2, 2000)],
      "fail",
      () => 10_000,
    );
    await t.cover(5000);
    expect([1000, 1999, 2000, 2500, 3000, 9000].map((time) => t.versionAt(time).version)).toEqual([1, 1, 2, 2, 3, 3]);
    expect(() => t.versionAt(999)).toThrow(/no version of knowledge-base table kb existed/);
  });

  it("fails in a gap left by cleanup unless nearest was chosen, which says what was wanted", async () => {
    const list = async () => [v(1, 1000), v(4, 4000), v(5, 5000)];
    const strict = new KbTimeline("kb", list, "fail", () => 10_000);
    await strict.cover(0);
    expect(() => strict.versionAt(2000)).toThrow(KbVersionCleanedError);
    expect(() => strict.versionAt(2000)).toThrow(/versions 2\.\.3.*cleaned up.*--as-of-fallback nearest/);
    expect(strict.versionAt(4500)).toEqual({ version: 4 });
    const nearest = new KbTimeline("kb", list, "nearest", () => 10_000);
    await nearest.cover(0);
    expect(nearest.versionAt(2000)).toEqual({ version: 1, wanted: "v2..v3" });
    const oldCleaned = new KbTimeline(
      "kb",
      async () => [v(7, 7000)],
      "nearest",
      () => 10_000,
    );
    await oldCleaned.cover(0);
    expect(oldCleaned.versionAt(100)).toEqual({ version: 7, wanted: "before v7" });
  });

  it("lists again only when an event is newer than the last listing", async () => {
    let calls = 0;
    let now = 1000;
    const versions = [v(1, 500)];
    const t = new KbTimeline(
      "kb",
      async () => {
        calls++;
        return [...versions];
      },
      "fail",
      () => now,
    );
    await t.cover(900);
    await t.cover(999);
    expect(calls).toBe(1);
    versions.push(v(2, 1500));
    now = 2000;
    await t.cover(1600);
    expect(calls).toBe(2);
    expect(t.versionAt(1600).version).toBe(2);
  });
});
