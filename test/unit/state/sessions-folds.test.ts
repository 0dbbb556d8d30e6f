/** Session windows (merge, split, close) and the `aggregate` / `reduce` folds, from YAML through the test driver. */
import { afterEach, describe, expect, it } from "vitest";
import type { TopologyTestDriver } from "../../../topologies/test-driver.ts";
import { driverFromYaml } from "../processors/helpers.ts";

const topology = (type: string, config: string) => `
applicationId: fold-test
kafka: { brokers: localhost:9092 }
sources:
  - name: orders
    topic: orders
    value: { format: json }
processors:
  - name: op
    type: ${type}
    from: orders
    ${type}: ${config}
sinks:
  - name: out
    type: kafka
    from: op
    kafka: { topic: out, value: { format: json } }
  - name: dlq
    type: dead-letter
`;

const order = (key: string, timestamp: number, amount = 1) => ({ key, value: { amount }, timestamp });

describe("session windows", () => {
  let driver: TopologyTestDriver;
  afterEach(() => driver?.close());

  it("splits records further apart than the gap into separate sessions", async () => {
    driver = await driverFromYaml(topology("count", "{ window: { type: session, gapMs: 1000 } }"));
    await driver.pipeInput("orders", [order("a", 0), order("a", 900), order("a", 5_000), order("b", 5_100)]);
    expect(driver.readValues("out")).toEqual([
      { key: "a", windowStart: 0, windowEnd: 0, count: 1 },
      { key: "a", windowStart: 0, windowEnd: 900, count: 2 },
      { key: "a", windowStart: 5_000, windowEnd: 5_000, count: 1 },
      { key: "b", windowStart: 5_100, windowEnd: 5_100, count: 1 },
    ]);
  });

  it("merges two sessions a record bridges, retracting the later one", async () => {
    driver = await driverFromYaml(topology("count", "{ window: { type: session, gapMs: 1000 }, graceMs: 10000 }"));
    await driver.pipeInput("orders", [order("a", 0), order("a", 1_800), order("a", 900)]);
    expect(driver.readValues("out")).toEqual([
      { key: "a", windowStart: 0, windowEnd: 0, count: 1 },
      { key: "a", windowStart: 1_800, windowEnd: 1_800, count: 1 },
      { key: "a", windowStart: 1_800, windowEnd: 1_800, removed: true },
      { key: "a", windowStart: 0, windowEnd: 1_800, count: 3 },
    ]);
  });

  it("emits a closed session once, after gap + grace of stream time, with merged folds", async () => {
    driver = await driverFromYaml(
      topology(
        "aggregate",
        "{ window: { type: session, gapMs: 1000 }, graceMs: 1000, emit: final, fields: { total: { op: sum, of: value.amount }, biggest: { op: max, of: value.amount }, mean: { op: avg, of: value.amount }, n: { op: count }, firstAmount: { op: first, of: value.amount } } }",
      ),
    );
    await driver.pipeInput("orders", [order("a", 0, 5), order("a", 1_800, 7), order("a", 900, 3)]);
    await driver.pipeInput("orders", order("b", 3_799));
    expect(driver.readValues("out")).toEqual([]);
    await driver.pipeInput("orders", order("b", 3_800));
    expect(driver.readValues("out")).toEqual([
      { key: "a", windowStart: 0, windowEnd: 1_800, total: 15, biggest: 7, mean: 5, n: 3, firstAmount: 5 },
    ]);
  });
});

describe("aggregate and reduce", () => {
  let driver: TopologyTestDriver;
  afterEach(() => driver?.close());

  it("reduces per key per tumbling window", async () => {
    driver = await driverFromYaml(
      topology("reduce", "{ window: { type: tumbling, sizeMs: 1000 }, of: value.amount, reducer: max }"),
    );
    await driver.pipeInput("orders", [order("a", 10, 4), order("a", 20, 9), order("a", 30, 2), order("a", 1_000, 1)]);
    expect(driver.readValues("out").map((v) => (v as { value: number }).value)).toEqual([4, 9, 9, 1]);
  });

  it("dead-letters a record whose folded field is not a number and keeps the running result", async () => {
    driver = await driverFromYaml(topology("aggregate", "{ fields: { total: { op: sum, of: value.amount } } }"));
    await driver.pipeInput("orders", [
      order("a", 1, 2),
      { key: "a", value: { amount: "x" }, timestamp: 2 },
      order("a", 3, 5),
    ]);
    expect(driver.readValues("out")).toEqual([
      { key: "a", total: 2 },
      { key: "a", total: 7 },
    ]);
    expect(driver.deadLetters()[0]?.reason).toMatch(/value.amount.*not a number/);
  });
});
