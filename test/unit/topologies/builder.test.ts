/** The typed builder and the YAML of the same topology give deep-equal specs. */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../core/errors.ts";
import { topology } from "../../../topologies/builder.ts";
import { loadTopologyFile } from "../../../topologies/yaml-loader.ts";

const EXAMPLE = fileURLToPath(new URL("../../../topologies/examples/order-routing.yaml", import.meta.url));
const ORDER = "../../schemas/example-order.avsc";
const SUMMARY = "../../schemas/example-order-summary.avsc";

describe("topology builder", () => {
  it("builds the same spec as order-routing.yaml", () => {
    const fromYaml = loadTopologyFile(EXAMPLE, { env: { CLICKHOUSE_PASSWORD: "s3cret" } }).spec;
    const summary = (label: string, large: string) => ({
      fields: {
        order_id: "value.order_id",
        customer_id: "value.customer_id",
        amount_cents: "int(value.amount * 100.0)",
        large,
        label,
      },
    });
    const built = topology("order-routing")
      .description("Routes live orders by size.")
      .kafka({ brokers: ["127.0.0.1:29092"], clientId: "order-routing" })
      .schemaRegistry({ url: "http://127.0.0.1:28081/apis/ccompat/v7" })
      .clickhouse({ url: "http://127.0.0.1:28123", password: "s3cret" })
      .processing({ batch: { maxRecords: 128, maxWaitMs: 10 } })
      .source("orders", { topic: "orders", value: { format: "avro", schema: ORDER } })
      .filter("live-orders", { predicate: 'value.status != "cancelled" && value.amount > 0.0' })
      .branch("by-size", { routes: [{ when: "value.amount >= 1000.0", to: "large" }], default: "regular" })
      .map("large", summary('"large " + value.currency', "true"))
      .to("large-orders", {
        kafka: { topic: "large-orders", keyField: "customer_id", value: { format: "avro", schema: SUMMARY } },
      })
      .map("regular", summary("value.status", "false"), { from: "by-size" })
      .to(
        "order-summaries",
        { clickhouse: { table: "order_summaries", maxRows: 5000 } },
        { from: ["large", "regular"] },
      )
      .deadLetters("dlq")
      .build();
    expect(built).toEqual(fromYaml);
    expect(built.processing.maxInFlightRecords).toBe(10_000);
  });

  it("validates what it builds and names the spec path", () => {
    const builder = topology("bad id!")
      .kafka({ brokers: "k:9092" })
      .source("in", { topic: "in", value: { format: "json" } })
      .filter("f", { predicate: "" })
      .to("out", { kafka: { topic: "out", value: { format: "json" } } });
    expect(() => builder.build()).toThrow(ConfigError);
    expect(() => builder.build()).toThrow(
      'applicationId: expected a name of letters, digits, ".", "_" or "-", got "bad id!"\nprocessors[0].filter.predicate: expected a non-empty string, got ""',
    );
  });

  it("refuses a node without an upstream", () => {
    expect(() => topology("x").filter("f", { predicate: "true" })).toThrow("f: no upstream");
  });
});
