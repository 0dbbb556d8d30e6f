/** CEL semantics as topologies use them: numbers by Avro type, null and missing fields, strings, has(), errors. */
import avro from "avsc";
import { describe, expect, it } from "vitest";
import { ConfigError, PoisonRecordError } from "../../../core/errors.ts";
import { StreamRecord } from "../../../processors/api.ts";
import { compileExpression, evaluatePredicate, recordVariables, toAvroType } from "../../../processors/cel.ts";

const schema = avro.Type.forSchema({
  type: "record",
  name: "Order",
  fields: [
    { name: "id", type: "string" },
    { name: "amount", type: "double" },
    { name: "items", type: "int" },
    { name: "note", type: ["null", "string"], default: null },
    {
      name: "customer",
      type: ["null", { type: "record", name: "Customer", fields: [{ name: "tier", type: "string" }] }],
    },
    { name: "tags", type: { type: "array", items: "string" } },
  ],
});

const order = { id: "o-1", amount: 20, items: 3, note: null, customer: { tier: "gold" }, tags: ["eu", "vip"] };
const record = new StreamRecord("k1", order, { trace: "t" }, 5000, { topic: "orders", partition: 2, offset: 41 });

function run(expression: string, value: unknown = order, typed = true): unknown {
  const compiled = compileExpression(expression, "expr", typed ? schema : undefined);
  return compiled.evaluate(recordVariables(record.withValue(value), typed ? toAvroType(schema) : undefined));
}

describe("CEL in sluice", () => {
  it("treats Avro double fields as doubles even when the value is integral", () => {
    expect(run("value.amount * 1.5")).toBe(30);
    expect(run("value.amount > 10.0")).toBe(true);
  });

  it("treats Avro int fields as ints, and rejects int + double", () => {
    expect(run("value.items + 1")).toBe(4);
    expect(() => run("value.items + 0.5")).toThrow(PoisonRecordError);
    expect(run("double(value.items) + 0.5")).toBe(3.5);
  });

  it("without a schema, integral numbers are ints", () => {
    expect(run("value.amount + 1", order, false)).toBe(21);
  });

  it("null fields compare to null; missing fields are errors unless guarded by has()", () => {
    expect(run("value.note == null")).toBe(true);
    expect(run("has(value.note)")).toBe(true);
    expect(run("has(value.customer.tier)")).toBe(true);
    expect(run("has(value.extra)", { ...order, extra: 1 }, false)).toBe(true);
    expect(run("has(value.extra)", order, false)).toBe(false);
    expect(() => run("value.extra == 1", order, false)).toThrow(/evaluating "value.extra == 1": No such key: extra/);
  });

  it("string functions", () => {
    expect(run("value.id.startsWith('o-') && value.id.endsWith('1')")).toBe(true);
    expect(run("value.id.contains('-')")).toBe(true);
    expect(run("size(value.id)")).toBe(3);
    expect(run("value.id.matches('^o-[0-9]+$')")).toBe(true);
    expect(run("'vip' in value.tags")).toBe(true);
  });

  it("sees the record's key, headers, timestamp and lineage", () => {
    expect(run("key + '/' + headers.trace + '/' + topic")).toBe("k1/t/orders");
    expect(run("partition == 2 && offset == 41 && timestamp == 5000")).toBe(true);
  });

  it("builds objects for map projections", () => {
    expect(run("{'id': value.id, 'cents': int(value.amount * 100.0)}")).toEqual({ id: "o-1", cents: 2000 });
  });

  it("a predicate that is not a boolean is bad data", () => {
    const compiled = compileExpression("value.id", "predicate", schema);
    expect(() => evaluatePredicate(compiled, recordVariables(record, toAvroType(schema)))).toThrow(
      '"value.id" gave "o-1", not a boolean',
    );
  });

  it("syntax and type errors are config errors with an offset", () => {
    const error = (() => {
      try {
        compileExpression("value.amount >", "predicate");
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.issues[0]).toEqual({ path: "predicate", offset: 14, message: "invalid CEL: Unexpected token: EOF" });
    expect(() => compileExpression("1 + 2.0", "x")).toThrow("x: invalid CEL: no such overload: int + double");
  });

  it("field references are checked against the schema, through nullable unions, with offsets", () => {
    try {
      compileExpression("value.customer.teir == 'gold' || value.amnt > 1.0", "when", schema);
      expect.unreachable();
    } catch (e) {
      expect((e as ConfigError).issues).toEqual([
        {
          path: "when",
          offset: 15,
          message: 'value.customer.teir is not a field of the input schema Customer, did you mean "tier"?',
        },
        {
          path: "when",
          offset: 39,
          message: 'value.amnt is not a field of the input schema Order, did you mean "amount"?',
        },
      ]);
    }
    expect(() =>
      compileExpression("value['id'] == 'x' && value.tags.exists(t, t == 'eu')", "ok", schema),
    ).not.toThrow();
  });
});
