/** `redact` through the TopologyTestDriver, from the YAML a user writes and from the typed builder (no services). */
import { compileTopology, loadTopologyFile, TopologyTestDriver, topology } from "sluice";
import { afterEach, describe, expect, it } from "vitest";

const here = import.meta.dirname;

describe("redact, a processor outside sluice", () => {
  let driver: TopologyTestDriver | undefined;
  afterEach(async () => driver?.close());

  it("masks e-mail addresses and phone numbers in the configured field, from topology.yaml", async () => {
    driver = await TopologyTestDriver.create(compileTopology(loadTopologyFile(`${here}/topology.yaml`, { env: {} })));
    await driver.pipeInput("tickets", [
      { key: "t-1", value: { id: 1, body: "mail me at ana.lopez@example.com or call +34 612 345 678" } },
      { key: "t-2", value: { id: 2, body: "the export button is broken" } },
    ]);
    expect(driver.readValues("clean")).toEqual([
      { id: 1, body: "mail me at [redacted] or call [redacted]" },
      { id: 2, body: "the export button is broken" },
    ]);
    expect(driver.readOutput("clean").map((r) => r.key)).toEqual(["t-1", "t-2"]);
  });

  it("dead-letters a record whose field is not text, and only that one", async () => {
    driver = await TopologyTestDriver.create(compileTopology(loadTopologyFile(`${here}/topology.yaml`, { env: {} })));
    await driver.pipeInput("tickets", [{ value: { id: 1, body: "ok" } }, { value: { id: 2, body: 42 } }]);
    expect(driver.readValues("clean")).toEqual([{ id: 1, body: "ok" }]);
    expect(driver.deadLetters().map((l) => [l.processor, l.errorClass, l.reason])).toEqual([
      ["redact", "PoisonRecordError", "field body is not text"],
    ]);
  });

  it("takes its options through the typed builder, and refuses options its schema does not allow", async () => {
    const build = (options: Record<string, unknown>) =>
      topology("redact-builder")
        .kafka({ brokers: "127.0.0.1:29092" })
        .source("tickets", { topic: "tickets", value: { format: "json" } })
        .custom("redact", { module: "./redact.ts", export: "redact", options })
        .to("clean", { kafka: { topic: "tickets.clean", value: { format: "json" } } })
        .build();
    driver = await TopologyTestDriver.create(build({ mask: "***" }), { baseDir: here });
    await driver.pipeInput("tickets", { value: { text: "write to bob@example.org" } });
    expect(driver.readValues("clean")).toEqual([{ text: "write to ***" }]);
    await driver.close();
    driver = undefined;
    await expect(TopologyTestDriver.create(build({ colour: "red" }), { baseDir: here })).rejects.toThrow(
      /redact\.ts#redact: .*colour/,
    );
  });
});
