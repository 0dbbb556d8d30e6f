/** `custom` from YAML through the test driver: a user module's factory, its options, its poison records. */
import { afterEach, describe, expect, it } from "vitest";
import type { TopologyTestDriver } from "../../../topologies/test-driver.ts";
import { driverFromYaml } from "./helpers.ts";

const yaml = (custom: string) => `
applicationId: custom-test
kafka: { brokers: localhost:9092 }
sources:
  - { name: notes, topic: notes, value: { format: json } }
processors:
  - name: shout
    type: custom
    from: notes
    custom:
${custom}
sinks:
  - { name: out, type: kafka, from: shout, kafka: { topic: out, value: { format: json } } }
`;

describe("custom processor", () => {
  let driver: TopologyTestDriver;
  afterEach(() => driver?.close());

  it("loads the module export relative to the topology file and passes its options", async () => {
    driver = await driverFromYaml(
      yaml("      module: ./fixtures/upper-case.ts\n      export: upperCase\n      options: { suffix: '!' }"),
    );
    await driver.pipeInput("notes", [{ value: { text: "hi" } }, { value: { text: "ok" } }]);
    expect(driver.readValues("out")).toEqual([{ text: "HI!" }, { text: "OK!" }]);
  });

  it("dead-letters the records it rejects, only those", async () => {
    driver = await driverFromYaml(yaml("      module: ./fixtures/upper-case.ts\n      export: upperCase"));
    await driver.pipeInput("notes", [{ value: { text: "a" } }, { value: { nope: 1 } }, { value: { text: "b" } }]);
    expect(driver.readValues("out")).toEqual([{ text: "A" }, { text: "B" }]);
    expect(driver.deadLetters().map((l) => [l.processor, l.errorClass, l.reason, l.record.source.offset])).toEqual([
      ["shout", "PoisonRecordError", "text is missing", 1],
    ]);
  });

  it("a missing module file fails validation", async () => {
    await expect(driverFromYaml(yaml("      module: ./fixtures/nope.ts"))).rejects.toThrow(
      /^test\.yaml:11:15 processors\[0\]\.custom\.module: module file not found: .*fixtures\/nope\.ts$/,
    );
  });

  it("a missing or unusable export fails when the driver starts", async () => {
    await expect(
      driverFromYaml(yaml("      module: ./fixtures/upper-case.ts\n      export: lowerCase")),
    ).rejects.toThrow('./fixtures/upper-case.ts has no export "lowerCase" (exports: notAProcessor, upperCase)');
    await expect(
      driverFromYaml(yaml("      module: ./fixtures/upper-case.ts\n      export: notAProcessor")),
    ).rejects.toThrow("./fixtures/upper-case.ts#notAProcessor is neither a processor factory nor a processor");
  });
});
