/** The Confluent wire-format header, parsed and written without a registry. */
import { describe, expect, it } from "vitest";
import {
  describePosition,
  frame,
  HEADER_SIZE,
  parseWireHeader,
  WireFormatError,
  wireHeader,
} from "../../../schemas/wire-format.ts";

describe("wire format header", () => {
  it("writes magic byte 0 and the id big-endian", () => {
    expect([...wireHeader(17)]).toEqual([0, 0, 0, 0, 17]);
    expect([...wireHeader(0x01020304)]).toEqual([0, 1, 2, 3, 4]);
  });

  it("reads back the id of a framed message", () => {
    const message = frame(wireHeader(4_000_000_001), Buffer.from([2, 0x61]));
    expect(parseWireHeader(message)).toEqual({ schemaId: 4_000_000_001, bodyOffset: HEADER_SIZE });
    expect(message.subarray(HEADER_SIZE)).toEqual(Buffer.from([2, 0x61]));
  });

  it("reads a header from a slice of a larger buffer", () => {
    const big = Buffer.concat([Buffer.from("junk"), wireHeader(42), Buffer.from([0])]);
    expect(parseWireHeader(big.subarray(4)).schemaId).toBe(42);
  });

  it("refuses a bad magic byte, naming it", () => {
    expect(() => parseWireHeader(Buffer.from([0x7b, 0, 0, 0, 1]))).toThrow(/bad magic byte 0x7b/);
  });

  it("refuses empty and truncated headers", () => {
    expect(() => parseWireHeader(Buffer.alloc(0))).toThrow(WireFormatError);
    expect(() => parseWireHeader(Buffer.from([0, 0, 1]))).toThrow(/truncated header: 3 bytes/);
  });

  it("refuses ids that do not fit 4 bytes", () => {
    expect(() => wireHeader(-1)).toThrow(RangeError);
    expect(() => wireHeader(2 ** 32)).toThrow(RangeError);
  });

  it("names a record as topic/partition@offset", () => {
    expect(describePosition("orders", { partition: 2, offset: "1234" })).toBe("orders/2@1234");
    expect(describePosition("orders")).toBe("orders");
  });
});
