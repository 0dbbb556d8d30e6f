/** `branch` from YAML through the test driver: first-match and all-match routing, default, poison records. */
import { afterEach, describe, expect, it } from "vitest";
import type { TopologyTestDriver } from "../../../topologies/test-driver.ts";
import { driverFromYaml } from "./helpers.ts";

const yaml = (mode: string) => `
applicationId: branch-test
kafka: { brokers: localhost:9092 }
sources:
  - { name: events, topic: events, value: { format: json } }
processors:
  - name: route
    type: branch
    from: events
    branch:
      mode: ${mode}
      routes:
        - when: value.kind == "fraud"
          to: fraud
        - when: value.amount > 100
          to: [big, audit]
      default: rest
sinks:
  - { name: fraud, type: kafka, from: route, kafka: { topic: fraud, value: { format: json } } }
  - { name: big, type: kafka, from: route, kafka: { topic: big, value: { format: json } } }
  - { name: audit, type: clickhouse, from: route, clickhouse: { table: audit } }
  - { name: rest, type: kafka, from: route, kafka: { topic: rest, value: { format: json } } }
`;

const keys = (driver: TopologyTestDriver, sink: string) => driver.readOutput(sink).map((r) => r.key);

describe("branch processor", () => {
  let driver: TopologyTestDriver;
  afterEach(() => driver?.close());

  it("first mode sends each record to the first matching route, else to the default", async () => {
    driver = await driverFromYaml(yaml("first"));
    await driver.pipeInput("events", [
      { key: "f", value: { kind: "fraud", amount: 500 } },
      { key: "b", value: { kind: "sale", amount: 500 } },
      { key: "s", value: { kind: "sale", amount: 5 } },
    ]);
    expect(keys(driver, "fraud")).toEqual(["f"]);
    expect(keys(driver, "big")).toEqual(["b"]);
    expect(keys(driver, "audit")).toEqual(["b"]);
    expect(keys(driver, "rest")).toEqual(["s"]);
  });

  it("all mode sends a record down every matching route", async () => {
    driver = await driverFromYaml(yaml("all"));
    await driver.pipeInput("events", { key: "f", value: { kind: "fraud", amount: 500 } });
    expect(keys(driver, "fraud")).toEqual(["f"]);
    expect(keys(driver, "big")).toEqual(["f"]);
    expect(keys(driver, "rest")).toEqual([]);
  });

  it("a record its conditions cannot evaluate is dead-lettered", async () => {
    driver = await driverFromYaml(yaml("first"));
    await driver.pipeInput("events", [
      { key: "x", value: { kind: "sale" } },
      { key: "y", value: { kind: "sale", amount: 1 } },
    ]);
    expect(keys(driver, "rest")).toEqual(["y"]);
    expect(driver.deadLetters().map((l) => [l.record.key, l.processor, l.reason])).toEqual([
      ["x", "route", 'evaluating "value.amount > 100": No such key: amount'],
    ]);
  });
});
