/**
 * The stateful example (topologies/examples/tenant-activity.yaml) through the test driver: dedupe, a
 * stream-table join and a windowed count emitted at close; and the typed builder giving the same spec.
 */
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { topology } from "../../../topologies/builder.ts";
import { compileTopology } from "../../../topologies/compiler.ts";
import { TopologyTestDriver } from "../../../topologies/test-driver.ts";
import { loadTopologyFile } from "../../../topologies/yaml-loader.ts";

const EXAMPLE = fileURLToPath(new URL("../../../topologies/examples/tenant-activity.yaml", import.meta.url));
const load = () => loadTopologyFile(EXAMPLE, { env: {} });

const event = (id: string, tenant: string, customer: string, timestamp: number) => ({
  key: customer,
  timestamp,
  value: {
    event_id: id,
    tenant_id: tenant,
    event_type: "support_ticket",
    customer_id: customer,
    customer_tier: "pro",
    text: "help",
    amount: null,
    currency: "USD",
    prior_tickets: 0,
    sentiment: 0,
    account_age_days: 10,
    event_time: timestamp,
    embedding: null,
  },
});

describe("tenant-activity example", () => {
  let driver: TopologyTestDriver;
  afterEach(() => driver?.close());

  it("counts de-duplicated events per tenant and type per 5-minute window, once at close", async () => {
    driver = await TopologyTestDriver.create(compileTopology(load()), { now: 0 });
    await driver.pipeInput("customer-profiles", { key: "c1", value: { segment: "smb" } });
    await driver.pipeInput("enterprise-events", [
      event("e1", "acme", "c1", 10_000),
      event("e1", "acme", "c1", 10_500), // a repeat of e1
      event("e2", "acme", "c2", 20_000),
      event("e3", "globex", "c1", 299_999),
    ]);
    expect(driver.readValues("activity")).toEqual([]);
    await driver.pipeInput("enterprise-events", event("e4", "acme", "c1", 360_000));
    expect(driver.readValues("activity")).toEqual([
      { key: "acme/support_ticket", windowStart: 0, windowEnd: 300_000, count: 2 },
      { key: "globex/support_ticket", windowStart: 0, windowEnd: 300_000, count: 1 },
    ]);
    await driver.pipeInput("enterprise-events", event("e5", "acme", "c1", 100));
    expect(driver.deadLetters().map((d) => d.processor)).toEqual(["per-tenant"]);
    expect(driver.metrics()["once.duplicates"]).toBe(1);
  });

  it("is the spec the builder gives", () => {
    const fromYaml = load().spec;
    const built = topology("tenant-activity")
      .kafka({ brokers: ["127.0.0.1:29092"] })
      .schemaRegistry({ url: "http://127.0.0.1:28081/apis/ccompat/v7" })
      .processing({ stateDir: ".sluice/state" })
      .source("events", {
        topic: "enterprise-events",
        value: { format: "avro", schema: "../../schemas/enterprise-event.avsc" },
      })
      .source("profiles", { topic: "customer-profiles", value: { format: "json" } })
      .dedupe("once", { withinMs: 3_600_000, by: "value.event_id" }, { from: "events" })
      .join(
        "with-profile",
        { table: { topic: "customer-profiles" }, kind: "left", as: "profile" },
        { from: ["once", "profiles"] },
      )
      .count("per-tenant", {
        groupBy: 'value.tenant_id + "/" + value.event_type',
        window: { type: "tumbling", sizeMs: 300_000 },
        graceMs: 60_000,
        emit: "final",
        late: "dead-letter",
      })
      .to("activity", { kafka: { topic: "tenant-activity", value: { format: "json" } } })
      .deadLetters("dlq")
      .build();
    expect(built).toEqual(fromYaml);
    expect(
      topology("t")
        .kafka({ brokers: ["127.0.0.1:29092"] })
        .store("memory", { kind: "window" })
        .source("s", { topic: "s", value: { format: "json" } })
        .to("o", { kafka: { topic: "o", value: { format: "json" } } })
        .build().stores,
    ).toEqual([{ name: "memory", kind: "window", changelog: true }]);
  });
});
