/** JSON and string serdes: round trips, and bad bytes or values classified as poison. */
import { describe, expect, it } from "vitest";
import { PoisonRecordError } from "../../../core/errors.ts";
import { JsonSerde } from "../../../schemas/json-serde.ts";
import { createSerde } from "../../../schemas/serde-factory.ts";
import { StringSerde } from "../../../schemas/string-serde.ts";

describe("JsonSerde", () => {
  const serde = new JsonSerde<Record<string, unknown>>();

  it("round-trips a value as UTF-8 JSON", async () => {
    const value = { id: "e-1", amount: 12.5, tags: ["a", "é"], nested: { ok: true } };
    const bytes = await serde.serialize("t", value);
    expect(bytes.toString("utf8")).toBe(JSON.stringify(value));
    expect((await serde.deserialize("t", bytes)).value).toEqual(value);
  });

  it("names topic, partition and offset when bytes are not JSON", async () => {
    const error = await serde
      .deserialize("orders", Buffer.from("{nope"), { partition: 2, offset: 1234 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(PoisonRecordError);
    expect(error.message).toMatch(/^decoding orders\/2@1234: invalid JSON/);
  });

  it("treats invalid UTF-8 as poison", async () => {
    await expect(serde.deserialize("t", Buffer.from([0x22, 0xff, 0x22]))).rejects.toThrow(/not UTF-8/);
  });

  it("refuses values JSON cannot carry", async () => {
    await expect(serde.serialize("t", { n: 1n } as never)).rejects.toBeInstanceOf(PoisonRecordError);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    await expect(serde.serialize("t", cycle)).rejects.toThrow(/encoding t: value is not JSON/);
    await expect(serde.serialize("t", undefined as never)).rejects.toBeInstanceOf(PoisonRecordError);
  });
});

describe("StringSerde", () => {
  const serde = new StringSerde();

  it("round-trips text", async () => {
    const bytes = await serde.serialize("t", "héllo ✓");
    expect(bytes).toEqual(Buffer.from("héllo ✓", "utf8"));
    expect((await serde.deserialize("t", bytes)).value).toBe("héllo ✓");
  });

  it("treats invalid UTF-8 as poison instead of replacing it", async () => {
    const error = await serde.deserialize("t", Buffer.from([0x61, 0xc3]), { partition: 0, offset: 7 }).catch((e) => e);
    expect(error).toBeInstanceOf(PoisonRecordError);
    expect(error.message).toBe("decoding t/0@7: invalid UTF-8");
  });

  it("refuses a non-string value", async () => {
    await expect(serde.serialize("t", 42 as never)).rejects.toThrow(/expected a string value, got number/);
  });
});

describe("createSerde", () => {
  it("builds json and string serdes", () => {
    expect(createSerde({ format: "json" }).format).toBe("json");
    expect(createSerde({ format: "string" }).format).toBe("string");
  });

  it("fails at build time for an Avro serde without a registry or with a missing schema file", () => {
    expect(() => createSerde({ format: "avro" })).toThrow(/needs a schema registry URL/);
    expect(() =>
      createSerde({ format: "avro", schemaFile: "no-such.avsc" }, { registryUrl: "http://x", baseDir: "/tmp" }),
    ).toThrow(/no-such.avsc.*cannot read schema file/);
  });
});
