/**
 * Decoding a consumed message at once (`decodeMessageNow`) and through the serde's async path (`decodeMessage`)
 * gives the same record and the same poison errors, named by topic/partition@offset once.
 */
import { describe, expect, it } from "vitest";
import { PoisonRecordError } from "../../../core/errors.ts";
import type { ConsumedMessage } from "../../../core/kafka.ts";
import { JsonSerde } from "../../../schemas/json-serde.ts";
import { StringSerde } from "../../../schemas/string-serde.ts";
import { decodeMessage, decodeMessageNow } from "../../../topologies/runtime/consumed-records.ts";

const serdes = { topic: "in", partition: 0, keySerde: new StringSerde(), valueSerde: new JsonSerde() };
const message = (value: Buffer | null): ConsumedMessage => ({
  key: Buffer.from("k"),
  value,
  headers: { h: [Buffer.from("a"), Buffer.from("b")] },
  timestamp: 1_733_300_000_000,
  offset: 7,
});

describe("decoding a consumed message", () => {
  it("gives the same record at once as through the async path", async () => {
    const consumed = message(Buffer.from('{"n":1}'));
    const now = decodeMessageNow(consumed, serdes);
    expect(now).toEqual(await decodeMessage(consumed, serdes));
    expect(now?.value).toEqual({ n: 1 });
    expect(now?.key).toBe("k");
    expect(now?.headers.h).toEqual(Buffer.from("b"));
  });

  it("names a record without a value once, on both paths", async () => {
    const expected = "decoding in/0@7: the record has no value";
    expect(() => decodeMessageNow(message(null), serdes)).toThrow(new PoisonRecordError(expected));
    await expect(decodeMessage(message(null), serdes)).rejects.toThrow(new PoisonRecordError(expected));
  });

  it("names undecodable bytes with the position, on both paths", async () => {
    const bad = message(Buffer.from("{not json"));
    expect(() => decodeMessageNow(bad, serdes)).toThrow(/^decoding in\/0@7: decoding in: invalid JSON/);
    await expect(decodeMessage(bad, serdes)).rejects.toThrow(/^decoding in\/0@7: decoding in: invalid JSON/);
  });
});
