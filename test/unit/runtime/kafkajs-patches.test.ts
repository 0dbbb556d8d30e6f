/**
 * The kafkajs hot-path patches write exactly the bytes kafkajs 2.2.4 writes: each patched piece is compared with
 * kafkajs's own source, compiled fresh here outside the module cache the patches took over.
 */
import { readFileSync } from "node:fs";
import { createRequire, Module } from "node:module";
import { dirname } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { kafkajsPatched } from "../../../topologies/runtime/kafka/kafkajs-patches.ts";

const require = createRequire(import.meta.url);
type Encoded = { buffer: Buffer };
interface EncoderApi extends Encoded {
  writeVarInt(value: number): EncoderApi;
  writeVarLong(value: unknown): EncoderApi;
  writeUVarInt(value: number): EncoderApi;
}
type EncoderCtor = (new () => EncoderApi) & { sizeOfVarLong(value: unknown): number };
type RecordFn = (fields: Record<string, unknown>) => Encoded;
type DecodeFn = (decoder: unknown, context: Record<string, unknown>) => Record<string, unknown>;
const Decoder = require("kafkajs/src/protocol/decoder.js") as new (buffer: Buffer) => unknown;

/** kafkajs's file `id`, compiled afresh; `overrides` answer its own relative requires. */
function original<T>(id: string, overrides: Record<string, unknown> = {}): T {
  const file = require.resolve(id);
  const mod = new Module(file) as Module & { _compile(source: string, file: string): void };
  mod.filename = file;
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(file));
  mod.require = ((request: string) =>
    request in overrides ? overrides[request] : Module.prototype.require.call(mod, request)) as NodeJS.Require;
  mod._compile(readFileSync(file, "utf8"), file);
  return mod.exports as T;
}

const OriginalEncoder = original<EncoderCtor>("kafkajs/src/protocol/encoder.js");
const originalHeader = original("kafkajs/src/protocol/recordBatch/header/v0/index.js", {
  "../../../encoder": OriginalEncoder,
});
const originalRecord = original<RecordFn>("kafkajs/src/protocol/recordBatch/record/v0/index.js", {
  "../../../encoder": OriginalEncoder,
  "../../header/v0": originalHeader,
});
const originalDecodeRecord = original<DecodeFn>("kafkajs/src/protocol/recordBatch/record/v0/decoder.js");
const originalMurmur2 = original<(key: unknown) => number>("kafkajs/src/producer/partitioners/default/murmur2.js");
const PatchedEncoder = require("kafkajs/src/protocol/encoder.js") as EncoderCtor;
const patchedRecord = require("kafkajs/src/protocol/recordBatch/record/v0/index.js") as RecordFn;
const patchedDecodeRecord = require("kafkajs/src/protocol/recordBatch/record/v0/decoder.js") as DecodeFn;
const patchedMurmur2 = require("kafkajs/src/producer/partitioners/default/murmur2.js") as (key: unknown) => number;

const edges = [0, 1, -1, 63, 64, -64, -65, 127, 128, 8191, 8192, 2 ** 20, 2 ** 28, -(2 ** 28), 2 ** 30, -(2 ** 30)];
const int32 = [...edges, 2 ** 31 - 1, -(2 ** 31)];
const wide = [2 ** 31, -(2 ** 31) - 1, 2 ** 33 + 5, -(2 ** 40), Date.now(), -Date.now(), "1733300000000"];

describe("kafkajs patches", () => {
  it("are in place in this process", () => {
    expect(kafkajsPatched()).toBe(true);
    expect(PatchedEncoder).not.toBe(OriginalEncoder);
  });

  it("write every varint and varlong as kafkajs does", () => {
    for (const value of int32) {
      expect(new PatchedEncoder().writeVarInt(value).buffer).toEqual(new OriginalEncoder().writeVarInt(value).buffer);
      expect(new PatchedEncoder().writeUVarInt(value).buffer).toEqual(new OriginalEncoder().writeUVarInt(value).buffer);
    }
    for (const value of [...int32, ...wide]) {
      const patched = new PatchedEncoder().writeVarLong(value).buffer;
      expect(patched).toEqual(new OriginalEncoder().writeVarLong(value).buffer);
      expect(PatchedEncoder.sizeOfVarLong(value)).toBe(OriginalEncoder.sizeOfVarLong(value));
      expect(patched.length).toBe(OriginalEncoder.sizeOfVarLong(value));
    }
  });

  it("encode records with their headers byte for byte as kafkajs does", () => {
    const cases: Record<string, unknown>[] = [
      { key: null, value: null },
      { key: "k", value: Buffer.from([0, 1, 2, 255]), offsetDelta: 7, timestampDelta: 12 },
      {
        key: Buffer.from("key"),
        value: "välue ✓",
        offsetDelta: 300,
        timestampDelta: 2 ** 33,
        headers: {
          "sluice-source-topic": "orders",
          "sluice-source-offset": "123456789",
          binary: Buffer.from([9, 8, 7]),
          many: ["a", Buffer.from("b"), "ünïcode"],
          empty: "",
        },
      },
      { key: "x".repeat(600), value: Buffer.alloc(5000, 3), offsetDelta: 999, timestampDelta: -5, headers: { h: [] } },
    ];
    for (const fields of cases) expect(patchedRecord(fields).buffer).toEqual(originalRecord(fields).buffer);
  });

  it("refuse a header value kafkajs refuses", () => {
    expect(() => originalRecord({ key: "k", value: "v", headers: { n: 5 } })).toThrow(TypeError);
    expect(() => patchedRecord({ key: "k", value: "v", headers: { n: 5 } })).toThrow(TypeError);
  });

  it("decode records as kafkajs does, headers, offsets and timestamps included", () => {
    const record = originalRecord({
      key: "k",
      value: Buffer.from("v"),
      offsetDelta: 41,
      timestampDelta: 1500,
      headers: { once: "1", twice: ["a", "b"], thrice: ["x", "y", "z"], empty: "" },
    }).buffer;
    const contexts = [
      { firstOffset: "123456789012", firstTimestamp: "1733300000000", magicByte: 2, timestampType: 0 },
      { firstOffset: "0", firstTimestamp: "-1", timestampType: 1, maxTimestamp: "1733300009999", isControlBatch: true },
      { firstOffset: "9223372036854775000", firstTimestamp: "9007199254740990", timestampType: 0 },
    ];
    for (const context of contexts) {
      const decode = (fn: DecodeFn) => {
        const decoder = new Decoder(record) as { readVarInt(): number };
        decoder.readVarInt(); // the record's length, read by the batch decoder before it calls the record decoder
        return fn(decoder, context);
      };
      const patched = decode(patchedDecodeRecord);
      expect(patched).toEqual(decode(originalDecodeRecord));
      expect(Object.keys(patched.headers as object)).toEqual(["once", "twice", "thrice", "empty"]);
    }
    // Without a batch context both fail alike (kafkajs's `Long` cannot read an absent first offset).
    const bare = (fn: DecodeFn) => () => {
      const decoder = new Decoder(record) as { readVarInt(): number };
      decoder.readVarInt();
      fn(decoder, {});
    };
    expect(bare(originalDecodeRecord)).toThrow(TypeError);
    expect(bare(patchedDecodeRecord)).toThrow(TypeError);
  });

  it("decode a header named __proto__ as its value, where kafkajs pairs it with Object.prototype", () => {
    const record = originalRecord({ key: "k", value: "v", headers: { ["__proto__"]: "p" } }).buffer;
    const decode = (fn: DecodeFn) => {
      const decoder = new Decoder(record) as { readVarInt(): number };
      decoder.readVarInt();
      return fn(decoder, { firstOffset: "0", firstTimestamp: "0" }).headers as Record<string, unknown>;
    };
    expect(Object.getOwnPropertyDescriptor(decode(patchedDecodeRecord), "__proto__")?.value).toEqual(Buffer.from("p"));
    expect(Object.getOwnPropertyDescriptor(decode(originalDecodeRecord), "__proto__")?.value).toEqual([
      Object.prototype,
      Buffer.from("p"),
    ]);
  });

  it("hash keys to the partitions kafkajs's Java-compatible murmur2 picks", () => {
    const keys: (Buffer | string)[] = ["", "a", "ab", "abc", "abcd", "customer-42", "ünïcode ✓", "x".repeat(1001)];
    let seed = 7;
    for (let i = 0; i < 2000; i++) {
      const bytes = Buffer.alloc(i % 37);
      for (let j = 0; j < bytes.length; j++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        bytes[j] = seed & 0xff;
      }
      keys.push(bytes);
    }
    for (const key of keys) expect(patchedMurmur2(key)).toBe(originalMurmur2(key));
  });

  describe("the produce request", () => {
    type Request = (args: Record<string, unknown>) => { encode(): Promise<Encoded>; apiVersion: number };
    const patchedRequest = require("kafkajs/src/protocol/requests/produce/v3/request.js") as Request;
    // kafkajs's own request over the same (patched) record and encoder: only the request's logic differs.
    const originalRequest = original<Request>("kafkajs/src/protocol/requests/produce/v3/request.js", {
      "../../../encoder": PatchedEncoder,
      "../../../recordBatch/record/v0": patchedRecord,
    });
    afterEach(() => vi.useRealTimers());

    it("encodes topics, partitions, timestamps and sequences as kafkajs does", async () => {
      vi.useFakeTimers({ toFake: ["Date"] });
      vi.setSystemTime(1_733_300_000_000);
      const message = (i: number, timestamp?: number | string | null) => ({
        key: `k${i}`,
        value: Buffer.from(`value ${i}`),
        headers: { "sluice-source-offset": String(i) },
        ...(timestamp === undefined ? {} : { timestamp }),
      });
      const args = {
        acks: -1,
        timeout: 30000,
        transactionalId: "tx-1",
        producerEpoch: 3,
        topicData: [
          {
            topic: "a",
            partitions: [
              // out of order, as text and as numbers, and one without a timestamp
              {
                partition: 0,
                firstSequence: 5,
                messages: [message(0, "1733300000500"), message(1, 1733300000100), message(2)],
              },
              { partition: 4, firstSequence: 0, messages: [message(3)] },
              // different lengths: kafkajs orders them as text ("1000" before "999")
              { partition: 2, messages: [message(4, "999"), message(5, "1000"), message(6, null)] },
            ],
          },
          {
            topic: "b",
            partitions: [{ partition: 1, messages: [message(7, 1733300000000), message(8, "1733300000000")] }],
          },
        ],
      };
      const patched = patchedRequest(args);
      const kafkajs = originalRequest(args);
      expect(patched.apiVersion).toBe(kafkajs.apiVersion);
      expect((await patched.encode()).buffer).toEqual((await kafkajs.encode()).buffer);
      const plain = {
        acks: 1,
        timeout: 1000,
        topicData: [{ topic: "c", partitions: [{ partition: 0, messages: [message(9)] }] }],
      };
      expect((await patchedRequest(plain).encode()).buffer).toEqual((await originalRequest(plain).encode()).buffer);
    });
  });
});
