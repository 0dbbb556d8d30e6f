/**
 * The executor's ProcessorContext semantics through the test driver: micro-batches, BatchError.failed(i),
 * whole-batch poison isolation, transient errors not dead-lettered, output indices and lineage, named children,
 * controllable time, Avro checks at the source and the sink.
 */
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TransientError } from "../../../core/errors.ts";
import { compileTopology } from "../../../topologies/compiler.ts";
import { TopologyExecutor } from "../../../topologies/executor.ts";
import { TopologyTestDriver } from "../../../topologies/test-driver.ts";
import { parseTopology } from "../../../topologies/yaml-loader.ts";
import { batchSizes } from "./fixtures/batch-processors.ts";

const HERE = fileURLToPath(new URL(".", import.meta.url));

function compile(exportName: string, options = "{}", extra = "") {
  const yaml = `
applicationId: driver-test
kafka: { brokers: localhost:9092 }
processing: { batch: { maxRecords: 3 } }
sources:
  - { name: in, topic: in, value: { format: json } }
processors:
  - name: step
    type: custom
    from: in
    custom: { module: ./fixtures/batch-processors.ts, export: ${exportName}, options: ${options} }
${extra}
sinks:
  - { name: a, type: kafka, from: step, kafka: { topic: a, value: { format: json } } }
  - { name: b, type: clickhouse, from: step, clickhouse: { table: b } }
`;
  return compileTopology(parseTopology(yaml, { file: "driver.yaml", baseDir: HERE, env: {} }));
}

const orders = (...amounts: number[]) => amounts.map((amount, i) => ({ key: `k${i}`, value: { id: `o${i}`, amount } }));

describe("TopologyTestDriver", () => {
  let driver: TopologyTestDriver;
  beforeEach(() => {
    batchSizes.length = 0;
  });
  afterEach(() => driver?.close());

  it("hands processBatch micro-batches of processing.batch.maxRecords; BatchError.failed(i) dead-letters only i", async () => {
    driver = await TopologyTestDriver.create(compile("rejectNegative"));
    await driver.pipeInput("in", orders(1, -2, 3, 4, -5, 6, 7));
    expect(batchSizes).toEqual([3, 3, 1]);
    expect(driver.readOutput("a").map((r) => r.key)).toEqual(["k0", "k2", "k3", "k5", "k6"]);
    expect(driver.readOutput("b").map((r) => r.value)).toContainEqual({ id: "o0", amount: 1, checked: true });
    expect(driver.deadLetters().map((l) => [l.record.key, l.reason, l.errorClass, l.processor])).toEqual([
      ["k1", "negative amount -2", "PoisonRecordError", "step"],
      ["k4", "negative amount -5", "PoisonRecordError", "step"],
    ]);
  });

  it("isolates the culprit when a whole batch fails on bad data", async () => {
    driver = await TopologyTestDriver.create(compile("wholeBatchPoison"));
    await driver.pipeInput("in", [
      { value: { id: "a", amount: 1 } },
      { value: { id: "bad", amount: 1 } },
      { value: { id: "c", amount: 1 } },
    ]);
    expect(driver.readValues("a")).toEqual([
      { id: "a", amount: 1 },
      { id: "c", amount: 1 },
    ]);
    expect(driver.deadLetters().map((l) => l.reason)).toEqual(["record 1 is bad"]);
  });

  it("a transient error is not a dead letter: the call fails and may be retried", async () => {
    driver = await TopologyTestDriver.create(compile("flaky"));
    await expect(
      driver.pipeInput("in", [{ value: { id: "up", amount: 1 } }, { value: { id: "down", amount: 1 } }]),
    ).rejects.toBeInstanceOf(TransientError);
    expect(driver.deadLetters()).toEqual([]);
    expect(driver.readOutput("a")).toEqual([]);
  });

  it("numbers every output of an input and keeps its lineage; ctx.now() follows advanceTime", async () => {
    driver = await TopologyTestDriver.create(compile("stampTwice"), { now: 1000 });
    await driver.pipeInput("in", { value: { id: "x", amount: 1 }, partition: 3 });
    driver.advanceTime(500);
    await driver.pipeInput("in", { value: { id: "y", amount: 1 }, partition: 3 });
    expect(driver.readValues("a").map((v) => (v as { at: number }).at)).toEqual([1000, 1000, 1500, 1500]);
    expect(driver.readOutput("b").map((r) => r.source)).toEqual([
      { topic: "in", partition: 3, offset: 0 },
      { topic: "in", partition: 3, offset: 0 },
      { topic: "in", partition: 3, offset: 1 },
      { topic: "in", partition: 3, offset: 1 },
    ]);
    expect(() => driver.advanceTime(-1)).toThrow(RangeError);
  });

  it("the executor reports per input its outputs with distinct output indices", async () => {
    const executor = await TopologyExecutor.create(compile("stampTwice"), { partition: 0, now: () => 7 });
    const driverless = (await import("../../../processors/api.ts")).StreamRecord;
    const record = new driverless(null, { id: "x", amount: 1 }, {}, 0, { topic: "in", partition: 0, offset: 9 });
    const [outcome] = await executor.run([{ source: "in", record }]);
    expect(outcome?.input).toEqual({ topic: "in", partition: 0, offset: 9 });
    expect(outcome?.outputs.map((o) => [o.sink, o.outputIndex, (o.record.value as { copy: number }).copy])).toEqual([
      ["a", 0, 1],
      ["b", 1, 1],
      ["a", 2, 2],
      ["b", 3, 2],
    ]);
    await executor.close();
  });

  it("forward(record, child) reaches only that child", async () => {
    driver = await TopologyTestDriver.create(compile("toNamedChild", "{ child: b }"));
    await driver.pipeInput("in", orders(1, 2));
    expect(driver.readOutput("a")).toEqual([]);
    expect(driver.readOutput("b")).toHaveLength(2);
  });

  it("rejects input for a topic no source reads, and an unknown sink name", async () => {
    driver = await TopologyTestDriver.create(compile("flaky"));
    await expect(driver.pipeInput("nope", orders(1))).rejects.toThrow('no source reads topic "nope" (topics: in)');
    expect(() => driver.readOutput("zzz")).toThrow('no sink named "zzz"');
  });
});

describe("TopologyTestDriver with Avro schemas", () => {
  it("dead-letters values that do not fit the source schema or the Kafka sink's schema", async () => {
    const spec = {
      applicationId: "avro-test",
      kafka: { brokers: ["k:9092"] },
      sources: [{ name: "orders", topic: "orders", value: { format: "avro", schema: "schemas/example-order.avsc" } }],
      processors: [
        {
          name: "strip",
          type: "map",
          from: "orders",
          map: { fields: { order_id: "value.order_id" }, keepOthers: false },
        },
      ],
      sinks: [
        {
          name: "out",
          type: "kafka",
          from: "strip",
          kafka: { topic: "out", value: { format: "avro", schema: "schemas/example-order.avsc" } },
        },
      ],
    };
    const driver = await TopologyTestDriver.create(spec, {
      baseDir: fileURLToPath(new URL("../../../", import.meta.url)),
    });
    const good = { order_id: "o", customer_id: "c", status: "paid", amount: 1, currency: "EUR", items: 1, note: null };
    await driver.pipeInput("orders", [{ value: { ...good, status: "lost" } }, { value: good }]);
    expect(driver.readOutput("out")).toEqual([]);
    expect(driver.deadLetters().map((l) => [l.processor, l.reason])).toEqual([
      ["orders", 'decoding orders/0@0: value does not match schema dev.sluice.examples.ExampleOrder: status = "lost"'],
      [
        "out",
        "encoding for out: value does not match schema dev.sluice.examples.ExampleOrder: customer_id = undefined, status = undefined, amount = undefined",
      ],
    ]);
    await driver.close();
  });
});
