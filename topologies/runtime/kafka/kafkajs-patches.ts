/**
 * Hot-path fixes to kafkajs 2.2.4 (no longer released upstream), put into the CommonJS module cache before
 * kafkajs loads its producer; this module must be imported before anything imports kafkajs (it is the first
 * import of the adapter, the CLI and index.ts). Found with `node --cpu-prof` on a count-by-key topology, where
 * each input record makes an output and a changelog record:
 * - src/producer/groupMessagesPerPartition.js groups a send's messages with `[...current, message]` in a
 *   reduce: quadratic in the messages per partition of one send (a changelog flush or a lingered sink batch
 *   holds thousands), 8% of CPU self time plus its garbage. Replaced by a linear grouping with the same result
 *   (the same partitioner calls, in order).
 * - src/protocol/encoder.js allocates a zero-filled 512-byte `Buffer.alloc` for every record it encodes (8% of
 *   CPU in `FastBuffer`, and garbage). The replacement takes its buffers from Node's pool (`allocUnsafe`): the
 *   encoder writes sequentially and hands out only `buf.slice(0, offset)`, so no unwritten byte is ever read.
 *   It also writes varints in place: kafkajs builds an array and a `Buffer.from` for each (17 per record with
 *   sluice's headers), and does 64-bit `Long` arithmetic for every timestamp delta.
 * - src/protocol/recordBatch/record/v0/index.js encodes each record header into an encoder of its own (another
 *   512-byte buffer per header, a `{key, value}` object per header, then a copy into the record). sluice stamps
 *   five headers on every output, so a passthrough spent 38% of its CPU in produce encoding against the
 *   hand-written loop's 18%. The replacement writes the same bytes into one encoder sized for the record.
 * - its decoder parses the batch's first offset and timestamp from text for each record and gathers headers
 *   with a spread per header; src/producer/partitioners/default/murmur2.js hashes every key in 64-bit `Long`
 *   objects (3% of a passthrough). Both are replaced in kafkajs-record-codec.ts, with the same results.
 * - src/protocol/requests/produce/v3/request.js sorts each partition's timestamps and spreads every message
 *   into a new object: kafkajs-produce-request.ts writes the same request in one pass.
 */
import { createRequire, Module } from "node:module";
import { produceRequest } from "./kafkajs-produce-request.ts";
import { murmur2, type RecordEncoderClass, recordDecoder, recordEncoder } from "./kafkajs-record-codec.ts";

type Partitioner = (args: { topic: string; partitionMetadata: unknown[]; message: unknown }) => number;

function groupMessagesPerPartition({
  topic,
  partitionMetadata,
  messages,
  partitioner,
}: {
  topic: string;
  partitionMetadata: unknown[];
  messages: unknown[];
  partitioner: Partitioner;
}): Record<number, unknown[]> {
  if (partitionMetadata.length === 0) return {};
  const result: Record<number, unknown[]> = {};
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    const list = result[partition];
    if (list === undefined) result[partition] = [message];
    else list.push(message);
  }
  return result;
}

const require = createRequire(import.meta.url);
/** Puts `exports` into the module cache as kafkajs's file `id`, unless kafkajs already loaded it. */
function replace<T>(id: string, exports: () => T): T | undefined {
  const target = require.resolve(id);
  if (require.cache[target] !== undefined) return undefined;
  const replacement = new Module(target);
  replacement.filename = target;
  replacement.loaded = true;
  replacement.exports = exports();
  require.cache[target] = replacement;
  return replacement.exports as T;
}

const linearGrouping = replace("kafkajs/src/producer/groupMessagesPerPartition.js", () => groupMessagesPerPartition);

interface EncoderLike {
  buf: Buffer;
  offset: number;
}
type EncoderClass = (new (
  initialSize?: number,
) => EncoderLike & { writeVarLong(value: unknown): EncoderLike }) & {
  nextPowerOfTwo(value: number): number;
  sizeOfVarInt(value: number): number;
  sizeOfVarLong(value: unknown): number;
};

const isInt32 = (value: unknown): value is number =>
  typeof value === "number" && Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff;

const encoderFile = require.resolve("kafkajs/src/protocol/encoder.js");
let pooledEncoder: EncoderClass | undefined;
if (require.cache[encoderFile] === undefined) {
  const Encoder = require(encoderFile) as EncoderClass;
  pooledEncoder = class PooledEncoder extends Encoder {
    constructor(initialSize = 511) {
      super(0);
      this.buf = Buffer.allocUnsafe(Encoder.nextPowerOfTwo(initialSize));
    }

    ensureAvailable(length: number): void {
      if (this.offset + length > this.buf.length) {
        const grown = Buffer.allocUnsafe(Encoder.nextPowerOfTwo(this.offset + length));
        this.buf.copy(grown, 0, 0, this.offset);
        this.buf = grown;
      }
    }

    /** The same LEB128 bytes, written in place instead of through an array and a `Buffer.from` per varint. */
    writeUVarInt(value: number): this {
      this.ensureAvailable(5);
      let rest = value;
      while ((rest & 0xffffff80) !== 0) {
        this.buf[this.offset++] = (rest & 0x7f) | 0x80;
        rest >>>= 7;
      }
      this.buf[this.offset++] = rest & 0x7f;
      return this;
    }

    /** A varlong within int32 (every timestamp delta and offset delta) has the 32-bit zigzag's bytes. */
    override writeVarLong(value: unknown): EncoderLike {
      if (isInt32(value)) return this.writeUVarInt((value << 1) ^ (value >> 31));
      return super.writeVarLong(value);
    }

    static override sizeOfVarLong(value: unknown): number {
      return isInt32(value) ? Encoder.sizeOfVarInt(value) : Encoder.sizeOfVarLong(value);
    }
  };
  const loaded: Record<string, NodeJS.Module | undefined> = require.cache;
  const cached = loaded[encoderFile];
  if (cached) cached.exports = pooledEncoder;
}

const inlineRecord = replace("kafkajs/src/protocol/recordBatch/record/v0/index.js", () =>
  recordEncoder(require(encoderFile) as RecordEncoderClass),
);
const plainDecoder = replace("kafkajs/src/protocol/recordBatch/record/v0/decoder.js", () =>
  recordDecoder(require("kafkajs/src/utils/long.js")),
);
const leanProduce = replace("kafkajs/src/protocol/requests/produce/v3/request.js", () =>
  produceRequest({
    Long: require("kafkajs/src/utils/long.js"),
    Encoder: require(encoderFile),
    apiKey: require("kafkajs/src/protocol/requests/apiKeys.js").Produce,
    compressionNone: require("kafkajs/src/protocol/message/compression/index.js").Types.None,
    Record: require("kafkajs/src/protocol/recordBatch/record/v0/index.js"),
    RecordBatch: require("kafkajs/src/protocol/recordBatch/v0/index.js").RecordBatch,
  }),
);
const fastMurmur2 = replace("kafkajs/src/producer/partitioners/default/murmur2.js", () => murmur2);
const patched = (id: string, exports: unknown) =>
  exports !== undefined && require.cache[require.resolve(id)]?.exports === exports;

/** True when kafkajs runs with all its fixes (false if kafkajs was loaded before this module). */
export const kafkajsPatched = (): boolean =>
  patched("kafkajs/src/producer/groupMessagesPerPartition.js", linearGrouping) &&
  pooledEncoder !== undefined &&
  require.cache[encoderFile]?.exports === pooledEncoder &&
  patched("kafkajs/src/protocol/recordBatch/record/v0/index.js", inlineRecord) &&
  patched("kafkajs/src/protocol/recordBatch/record/v0/decoder.js", plainDecoder) &&
  patched("kafkajs/src/producer/partitioners/default/murmur2.js", fastMurmur2) &&
  patched("kafkajs/src/protocol/requests/produce/v3/request.js", leanProduce);
