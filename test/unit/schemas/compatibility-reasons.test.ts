/** Field-level reasons for an incompatible schema change, computed with avsc (Apicurio gives none). */
import avsc from "avsc";
import { describe, expect, it } from "vitest";
import { readIssues } from "../../../schemas/registry-tools.ts";

const v1 = avsc.Type.forSchema({
  type: "record",
  name: "Order",
  namespace: "shop",
  fields: [
    { name: "id", type: "string" },
    { name: "amount", type: "int" },
    { name: "customer", type: { type: "record", name: "Customer", fields: [{ name: "email", type: "string" }] } },
  ],
});

describe("readIssues", () => {
  it("finds nothing for a compatible evolution (added field with default, int promoted to long)", () => {
    const v2 = avsc.Type.forSchema({
      type: "record",
      name: "Order",
      namespace: "shop",
      fields: [
        { name: "id", type: "string" },
        { name: "amount", type: "long" },
        { name: "note", type: ["null", "string"], default: null },
        { name: "customer", type: { type: "record", name: "Customer", fields: [{ name: "email", type: "string" }] } },
      ],
    });
    expect(readIssues(v2, v1, "shop.Order")).toEqual([]);
  });

  it("names every incompatible field, nested ones by path", () => {
    const bad = avsc.Type.forSchema({
      type: "record",
      name: "Order",
      namespace: "shop",
      fields: [
        { name: "id", type: "int" },
        { name: "amount", type: "int" },
        { name: "priority", type: "int" },
        {
          name: "customer",
          type: { type: "record", name: "Customer", fields: [{ name: "email", type: "boolean" }] },
        },
      ],
    });
    expect(readIssues(bad, v1, "shop.Order")).toEqual([
      'shop.Order.id: "string" cannot be read as "int"',
      "shop.Order.priority: has no default and the writer schema lacks it",
      'shop.Order.customer.email: "string" cannot be read as "boolean"',
    ]);
  });
});
