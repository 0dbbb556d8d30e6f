/** `join` (stream-table, stream-stream) and `dedupe` from YAML through the test driver. */
import { afterEach, describe, expect, it } from "vitest";
import type { TopologyTestDriver } from "../../../topologies/test-driver.ts";
import { driverFromYaml } from "../processors/helpers.ts";

const joinTopology = (join: string) => `
applicationId: join-test
kafka: { brokers: localhost:9092 }
sources:
  - name: events
    topic: events
    value: { format: json }
  - name: other
    topic: profiles
    value: { format: json }
processors:
  - name: enriched
    type: join
    from: [events, other]
    join: ${join}
sinks:
  - name: out
    type: kafka
    from: enriched
    kafka: { topic: out, value: { format: json } }
`;

describe("stream-table join", () => {
  let driver: TopologyTestDriver;
  afterEach(() => driver?.close());

  it("joins each event with the table's value at that moment and picks up updates and deletes", async () => {
    driver = await driverFromYaml(joinTopology("{ table: { topic: profiles }, as: profile }"));
    await driver.pipeInput("events", { key: "c1", value: { kind: "ticket" } });
    await driver.pipeInput("profiles", { key: "c1", value: { tier: "pro" } });
    await driver.pipeInput("events", { key: "c1", value: { kind: "ticket" } });
    await driver.pipeInput("profiles", { key: "c1", value: { tier: "enterprise" } });
    await driver.pipeInput("events", [
      { key: "c1", value: { kind: "refund" } },
      { key: "c2", value: { kind: "ticket" } },
    ]);
    expect(driver.readValues("out")).toEqual([
      { kind: "ticket", profile: { tier: "pro" } },
      { kind: "refund", profile: { tier: "enterprise" } },
    ]);
    expect(driver.metrics()["enriched.join_misses"]).toBe(2);
    expect(driver.metrics()["enriched.table_updates"]).toBe(2);
  });

  it("left join forwards events without a table row with null", async () => {
    driver = await driverFromYaml(joinTopology("{ table: { topic: profiles }, kind: left }"));
    await driver.pipeInput("events", { key: "c9", value: { kind: "ticket" } });
    expect(driver.readValues("out")).toEqual([{ kind: "ticket", joined: null }]);
  });

  it("needs exactly one of table or window", async () => {
    await expect(driverFromYaml(joinTopology("{ as: x }"))).rejects.toThrow(/exactly one of `table`/);
  });
});

describe("stream-stream join", () => {
  let driver: TopologyTestDriver;
  afterEach(() => driver?.close());

  it("pairs records of the two streams with the same key within the window, whichever comes first", async () => {
    driver = await driverFromYaml(joinTopology("{ window: { topic: profiles, withinMs: 1000 }, as: outcome }"));
    await driver.pipeInput("events", { key: "d1", value: { decision: "escalate" }, timestamp: 10_000 });
    await driver.pipeInput("profiles", { key: "d1", value: { outcome: "resolved" }, timestamp: 10_500 });
    await driver.pipeInput("profiles", { key: "d2", value: { outcome: "reopened" }, timestamp: 10_600 });
    await driver.pipeInput("events", { key: "d2", value: { decision: "auto_resolve" }, timestamp: 11_000 });
    // too far apart: no pair
    await driver.pipeInput("profiles", { key: "d1", value: { outcome: "late" }, timestamp: 11_001 });
    expect(driver.readValues("out")).toEqual([
      { decision: "escalate", outcome: { outcome: "resolved" } },
      { decision: "auto_resolve", outcome: { outcome: "reopened" } },
    ]);
  });

  it("forgets records older than the window by stream time", async () => {
    driver = await driverFromYaml(joinTopology("{ window: { topic: profiles, withinMs: 1000 } }"));
    await driver.pipeInput("events", { key: "d1", value: { n: 1 }, timestamp: 1_000 });
    await driver.pipeInput("events", { key: "zz", value: { n: 2 }, timestamp: 5_000 });
    const store = driver.store("enriched");
    if (store.kind !== "keyValue") throw new Error("expected a key-value store");
    expect(store.prefix("l\u0000d1\u0000")).toEqual([]);
    await driver.pipeInput("profiles", { key: "d1", value: { x: 1 }, timestamp: 1_500 });
    expect(driver.readValues("out")).toEqual([]);
    expect(driver.metrics()["enriched.late_records"]).toBe(1);
  });
});

describe("dedupe", () => {
  let driver: TopologyTestDriver;
  afterEach(() => driver?.close());

  it("forwards the first record of an id within the window and drops the repeats", async () => {
    driver = await driverFromYaml(`
applicationId: dedupe-test
kafka: { brokers: localhost:9092 }
sources:
  - name: events
    topic: events
    value: { format: json }
processors:
  - name: once
    type: dedupe
    from: events
    dedupe: { withinMs: 60000, by: value.eventId }
sinks:
  - name: out
    type: kafka
    from: once
    kafka: { topic: out, value: { format: json } }
`);
    await driver.pipeInput("events", [
      { value: { eventId: "e1", n: 1 }, timestamp: 1_000 },
      { value: { eventId: "e2", n: 2 }, timestamp: 2_000 },
      { value: { eventId: "e1", n: 3 }, timestamp: 30_000 },
    ]);
    // the entry expires with the window, by the driver's clock
    driver.advanceTime(61_000);
    await driver.pipeInput("events", { value: { eventId: "e1", n: 4 }, timestamp: 70_000 });
    expect(driver.readValues("out")).toEqual([
      { eventId: "e1", n: 1 },
      { eventId: "e2", n: 2 },
      { eventId: "e1", n: 4 },
    ]);
    expect(driver.metrics()["once.duplicates"]).toBe(1);
  });
});
