/** `filter` from YAML through the test driver: keeps matches, drops the rest, dead-letters what it cannot judge. */
import { afterEach, describe, expect, it } from "vitest";
import type { TopologyTestDriver } from "../../../topologies/test-driver.ts";
import { driverFromYaml } from "./helpers.ts";

const YAML = `
applicationId: filter-test
kafka: { brokers: localhost:9092 }
sources:
  - name: tickets
    topic: tickets
    value: { format: json }
processors:
  - name: urgent
    type: filter
    from: tickets
    filter:
      predicate: value.priority >= 3 && value.text.contains("refund")
sinks:
  - name: out
    type: kafka
    from: urgent
    kafka: { topic: urgent-tickets, value: { format: json } }
  - name: dlq
    type: dead-letter
`;

describe("filter processor", () => {
  let driver: TopologyTestDriver;
  afterEach(() => driver?.close());

  it("forwards records matching the predicate and drops the others", async () => {
    driver = await driverFromYaml(YAML);
    await driver.pipeInput("tickets", [
      { key: "a", value: { priority: 4, text: "refund please" } },
      { key: "b", value: { priority: 1, text: "refund please" } },
      { key: "c", value: { priority: 5, text: "hello" } },
      { key: "d", value: Buffer.from('{"priority": 3, "text": "a refund"}') },
    ]);
    const out = driver.readOutput("out");
    expect(out.map((r) => r.key)).toEqual(["a", "d"]);
    expect(out[1]?.value).toEqual({ priority: 3, text: "a refund" });
    expect(out[1]?.source).toEqual({ topic: "tickets", partition: 0, offset: 3 });
    expect(driver.metrics()).toEqual({ "urgent.filtered_out": 2 });
    expect(driver.deadLetters()).toEqual([]);
  });

  it("dead-letters a poison record (missing field, bad JSON) and moves on", async () => {
    driver = await driverFromYaml(YAML);
    await driver.pipeInput("tickets", [
      { key: "bad", value: { priority: 4 } },
      { key: "junk", value: Buffer.from("{not json") },
      { key: "good", value: { priority: 3, text: "refund" } },
    ]);
    expect(driver.readOutput("out").map((r) => r.key)).toEqual(["good"]);
    const letters = driver.deadLetters();
    expect(letters.map((l) => [l.record.key, l.processor, l.errorClass])).toEqual([
      ["junk", "tickets", "PoisonRecordError"],
      ["bad", "urgent", "PoisonRecordError"],
    ]);
    expect(letters[1]?.reason).toBe(
      'evaluating "value.priority >= 3 && value.text.contains(\\"refund\\")": No such key: text',
    );
    const dlq = driver.readOutput("dlq");
    expect(dlq.map((r) => r.headers["sluice.dlq.processor"])).toEqual(["tickets", "urgent"]);
    expect(dlq[1]?.headers["sluice.dlq.source"]).toBe("tickets/0@0");
  });
});
