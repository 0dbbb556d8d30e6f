/** `count` from YAML through the test driver: tumbling and hopping windows, emit modes, grace and late records. */
import { afterEach, describe, expect, it } from "vitest";
import type { TopologyTestDriver } from "../../../topologies/test-driver.ts";
import { driverFromYaml } from "../processors/helpers.ts";

const topology = (count: string) => `
applicationId: count-test
kafka: { brokers: localhost:9092 }
sources:
  - name: clicks
    topic: clicks
    value: { format: json }
processors:
  - name: per-minute
    type: count
    from: clicks
    count:
${count
  .trim()
  .split("\n")
  .map((l) => `      ${l}`)
  .join("\n")}
sinks:
  - name: out
    type: kafka
    from: per-minute
    kafka: { topic: counts, value: { format: json } }
  - name: dlq
    type: dead-letter
`;

const at = (key: string, timestamp: number) => ({ key, value: { page: "/" }, timestamp });

describe("count over windows", () => {
  let driver: TopologyTestDriver;
  afterEach(() => driver?.close());

  it("counts per key per tumbling window, emitting every update", async () => {
    driver = await driverFromYaml(topology("window: { type: tumbling, sizeMs: 60000 }"));
    await driver.pipeInput("clicks", [at("a", 1_000), at("b", 2_000), at("a", 59_999), at("a", 60_000)]);
    expect(driver.readValues("out")).toEqual([
      { key: "a", windowStart: 0, windowEnd: 60_000, count: 1 },
      { key: "b", windowStart: 0, windowEnd: 60_000, count: 1 },
      { key: "a", windowStart: 0, windowEnd: 60_000, count: 2 },
      { key: "a", windowStart: 60_000, windowEnd: 120_000, count: 1 },
    ]);
    expect(driver.readOutput("out").map((r) => r.key)).toEqual(["a", "b", "a", "a"]);
  });

  it("emits once per window at close (end + grace by stream time) and keeps accepting within grace", async () => {
    driver = await driverFromYaml(
      topology("window: { type: tumbling, sizeMs: 10000 }\ngraceMs: 5000\nemit: final\nlate: dead-letter"),
    );
    await driver.pipeInput("clicks", [at("a", 1_000), at("a", 9_000), at("b", 12_000)]);
    expect(driver.readValues("out")).toEqual([]);
    // stream time 14 000: window [0, 10 000) is still open for 1 000 ms more; a late-but-within-grace record counts
    await driver.pipeInput("clicks", [at("c", 14_000), at("a", 2_000)]);
    expect(driver.readValues("out")).toEqual([]);
    await driver.pipeInput("clicks", at("c", 15_000));
    expect(driver.readValues("out")).toEqual([{ key: "a", windowStart: 0, windowEnd: 10_000, count: 3 }]);
    // the window has closed: a record for it is late, dead-lettered with the reason and counted
    await driver.pipeInput("clicks", at("a", 3_000));
    expect(driver.deadLetters().map((d) => [d.processor, d.reason])).toEqual([
      ["per-minute", expect.stringContaining("late record: event time 3000")],
    ]);
    expect(driver.metrics()["per-minute.late_records"]).toBe(1);
    await driver.pipeInput("clicks", at("z", 40_000));
    expect(driver.readValues("out").slice(1)).toEqual([
      { key: "b", windowStart: 10_000, windowEnd: 20_000, count: 1 },
      { key: "c", windowStart: 10_000, windowEnd: 20_000, count: 2 },
    ]);
  });

  it("drops late records by default and counts them", async () => {
    driver = await driverFromYaml(topology("window: { type: tumbling, sizeMs: 1000 }"));
    await driver.pipeInput("clicks", [at("a", 5_000), at("a", 100), at("a", 4_999)]);
    expect(driver.readValues("out")).toEqual([{ key: "a", windowStart: 5_000, windowEnd: 6_000, count: 1 }]);
    expect(driver.metrics()["per-minute.late_records"]).toBe(2);
    expect(driver.deadLetters()).toEqual([]);
  });

  it("puts a record in every hopping window that holds it", async () => {
    driver = await driverFromYaml(topology("window: { type: hopping, sizeMs: 30000, advanceMs: 10000 }"));
    await driver.pipeInput("clicks", [at("a", 25_000), at("a", 31_000)]);
    expect(driver.readValues("out")).toEqual([
      { key: "a", windowStart: 0, windowEnd: 30_000, count: 1 },
      { key: "a", windowStart: 10_000, windowEnd: 40_000, count: 1 },
      { key: "a", windowStart: 20_000, windowEnd: 50_000, count: 1 },
      { key: "a", windowStart: 10_000, windowEnd: 40_000, count: 2 },
      { key: "a", windowStart: 20_000, windowEnd: 50_000, count: 2 },
      { key: "a", windowStart: 30_000, windowEnd: 60_000, count: 1 },
    ]);
  });

  it("counts per key without a window, groupBy a field, and keeps the count in its store", async () => {
    driver = await driverFromYaml(topology("groupBy: value.page"));
    await driver.pipeInput("clicks", [
      { key: "u1", value: { page: "/home" } },
      { key: "u2", value: { page: "/home" } },
      { key: "u1", value: { page: "/pricing" } },
    ]);
    expect(driver.readValues("out")).toEqual([
      { key: "/home", count: 1 },
      { key: "/home", count: 2 },
      { key: "/pricing", count: 1 },
    ]);
    const store = driver.store("per-minute");
    expect(store.kind).toBe("keyValue");
    expect(driver.changelog().some((w) => w.store === "per-minute")).toBe(true);
  });

  it("rejects a hop longer than the window, naming the field", async () => {
    await expect(driverFromYaml(topology("window: { type: hopping, sizeMs: 1000, advanceMs: 2000 }"))).rejects.toThrow(
      /advanceMs \(2000\) must not exceed sizeMs \(1000\)/,
    );
  });
});
