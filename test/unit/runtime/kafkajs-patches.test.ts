/**
 * The kafkajs hot-path patches write exactly the bytes kafkajs 2.2.4 writes: each patched piece is compared with
 * kafkajs's own source, compiled fresh here outside the module cache the patches took over.
 */
import { readFileSync } from "node:fs";
import { createRequire, Module } from "node:module";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
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
const PatchedEncoder = require("kafkajs/src/protocol/encoder.js") as EncoderCtor;
const patchedRecord = require("kafkajs/src/protocol/recordBatch/record/v0/index.js") as RecordFn;

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
});
