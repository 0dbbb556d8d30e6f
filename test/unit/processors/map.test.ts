/** `map` from YAML through the test driver: projections, keepOthers, re-keying, lineage kept, poison records. */
import { afterEach, describe, expect, it } from "vitest";
import type { TopologyTestDriver } from "../../../topologies/test-driver.ts";
import { driverFromYaml } from "./helpers.ts";

const yaml = (map: string) => `
applicationId: map-test
kafka: { brokers: localhost:9092 }
sources:
  - { name: orders, topic: orders, value: { format: avro, schema: ../../../schemas/example-order.avsc } }
processors:
  - name: project
    type: map
    from: orders
    map:
${map}
sinks:
  - name: out
    type: kafka
    from: project
    kafka: { topic: out, value: { format: json } }
`;

const order = (id: string, amount: number) => ({
  order_id: id,
  customer_id: "c-9",
  status: "paid",
  amount,
  currency: "EUR",
  items: 2,
  note: null,
});

describe("map processor", () => {
  let driver: TopologyTestDriver;
  afterEach(() => driver?.close());

  it("projects fields through CEL and re-keys, keeping lineage", async () => {
    driver = await driverFromYaml(
      yaml(`      key: value.customer_id
      fields:
        id: value.order_id
        cents: int(value.amount * 100.0)
        big: value.amount >= 100.0
        seen_at: timestamp`),
    );
    await driver.pipeInput("orders", [
      { value: order("o-1", 12.5), timestamp: 42 },
      { value: order("o-2", 250), timestamp: 43 },
    ]);
    const out = driver.readOutput("out");
    expect(out.map((r) => r.value)).toEqual([
      { id: "o-1", cents: 1250, big: false, seen_at: 42 },
      { id: "o-2", cents: 25000, big: true, seen_at: 43 },
    ]);
    expect(out.map((r) => r.key)).toEqual(["c-9", "c-9"]);
    expect(out[1]?.source).toEqual({ topic: "orders", partition: 0, offset: 1 });
  });

  it("keepOthers adds fields on top of the input value", async () => {
    driver = await driverFromYaml(yaml("      keepOthers: true\n      fields: { status: '\"seen\"' }"));
    await driver.pipeInput("orders", { value: order("o-1", 1) });
    expect(driver.readValues("out")).toEqual([{ ...order("o-1", 1), status: "seen" }]);
  });

  it("dead-letters a record whose projection fails, and the next one goes through", async () => {
    driver = await driverFromYaml(
      yaml("      fields: { per_item: value.amount / double(value.items) , first: 'value.order_id.substring(0, 3)' }"),
    );
    await driver.pipeInput("orders", [{ value: { ...order("x", 1) } }, { value: { ...order("o-77", 9), items: 3 } }]);
    expect(driver.readValues("out")).toEqual([{ per_item: 3, first: "o-7" }]);
    const [letter] = driver.deadLetters();
    expect(letter?.processor).toBe("project");
    expect(letter?.errorClass).toBe("PoisonRecordError");
    expect(letter?.reason).toMatch(/^evaluating "value.order_id.substring\(0, 3\)": /);
    expect(letter?.record.source.offset).toBe(0);
  });

  it("rejects at validation a projection naming a field the Avro schema lacks", async () => {
    await expect(driverFromYaml(yaml("      fields: { id: value.orderId }"))).rejects.toThrow(
      'test.yaml:11:27 processors[0].map.fields.id: value.orderId is not a field of the input schema dev.sluice.examples.ExampleOrder, did you mean "order_id"?',
    );
  });
});
