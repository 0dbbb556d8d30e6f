/**
 * `recent` (short-term memory) from YAML through the TopologyTestDriver: each record carries the last N earlier
 * events of its key, newest first, across separate inputs; keys do not mix; inside an agent's chain the store is
 * `<agent>.<step>` and a decide rule reads the memory.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { KeyValueStore } from "../../../processors/api.ts";
import type { RecentEvent } from "../../../processors/recent.ts";
import { compileTopology } from "../../../topologies/compiler.ts";
import { TopologyTestDriver } from "../../../topologies/test-driver.ts";
import { parseTopology } from "../../../topologies/yaml-loader.ts";

const base = (processors: string, from: string, agents = "") => `
applicationId: recent-test
kafka: { brokers: "localhost:9092" }
sources:
  - name: events
    topic: events
    value: { format: json }
processors:
${processors}
sinks:
  - name: out
    type: kafka
    from: ${from}
    kafka: { topic: out, value: { format: json } }
  - name: dlq
    type: dead-letter
${agents}`;

let driver: TopologyTestDriver | undefined;
afterEach(async () => {
  await driver?.close();
  driver = undefined;
});
const open = async (yaml: string) => {
  driver = await TopologyTestDriver.create(compileTopology(parseTopology(yaml, { file: "recent.yaml", env: {} })));
  return driver;
};
const ev = (customer: string, n: number, type = "question") => ({
  value: { customer, n, event_type: type, text: "t" },
});

describe("recent", () => {
  it("holds the last N events per key across records, newest first, keys apart", async () => {
    const d = await open(
      base(
        `  - name: history
    type: recent
    from: events
    recent: { size: 2, by: value.customer, fields: [n, event_type] }`,
        "history",
      ),
    );
    await d.pipeInput("events", [ev("a", 1), ev("b", 1)]);
    await d.pipeInput("events", [ev("a", 2)]);
    await d.pipeInput("events", [ev("a", 3), ev("a", 4), ev("b", 2)]);
    const out = d.readValues("out") as Array<{ customer: string; n: number; recent: RecentEvent[] }>;
    expect(out.map((o) => [o.customer, o.n, o.recent.map((r) => (r.event as { n: number }).n)])).toEqual([
      ["a", 1, []],
      ["b", 1, []],
      ["a", 2, [1]],
      ["a", 3, [2, 1]],
      ["a", 4, [3, 2]],
      ["b", 2, [1]],
    ]);
    expect(out[3]?.recent[0]).toMatchObject({ topic: "events", offset: 2, event: { n: 2, event_type: "question" } });
    const store = d.store("history") as KeyValueStore<RecentEvent[]>;
    expect(store.get("a")?.map((e) => e.offset)).toEqual([4, 3]);
  });

  it("gives an agent memory: a decide rule flags the third dispute of a customer", async () => {
    const agents = `agents:
  - id: fraud
    version: 1
    capabilities: [payment_dispute]
    processors:
      - name: history
        type: recent
        recent: { size: 5, by: value.customer, fields: [event_type] }
      - name: decide
        type: decide
        decide:
          rules:
            - name: repeated-disputes
              when: 'value.recent.filter(r, r.event.event_type == "payment_dispute").size() >= 2'
              decision: flag_fraud
          fallback: auto_resolve`;
    const d = await open(
      base(
        `  - name: desk
    type: route
    from: events
    route: { match: value.event_type in agent.capabilities, fallback: fraud }`,
        "desk",
        agents,
      ),
    );
    const dispute = (customer: string) => {
      const e = ev(customer, 0, "payment_dispute");
      return { value: { ...e.value, event_time: 1, inference: { scores: { auto_resolve: 0.9 }, model_id: "m" } } };
    };
    for (const customer of ["x", "x", "y", "x"]) await d.pipeInput("events", [dispute(customer)]);
    const out = d.readValues("out") as Array<{ decision: string; agent_id: string }>;
    expect(out.map((o) => o.decision)).toEqual(["auto_resolve", "auto_resolve", "auto_resolve", "flag_fraud"]);
    expect((d.store("fraud.history") as KeyValueStore<RecentEvent[]>).get("x")).toHaveLength(3);
  });
});
