/**
 * Three hot-path fixes to kafkajs 2.2.4 (no longer released upstream), put into the CommonJS module cache before
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
 */
import { createRequire, Module } from "node:module";

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
const file = require.resolve("kafkajs/src/producer/groupMessagesPerPartition.js");
if (require.cache[file] === undefined) {
  const linear = new Module(file);
  linear.filename = file;
  linear.loaded = true;
  linear.exports = groupMessagesPerPartition;
  require.cache[file] = linear;
}

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

type HeaderValue = Buffer | string;
interface RecordFields {
  offsetDelta?: number;
  timestampDelta?: number;
  key?: Buffer | string | null;
  value?: Buffer | string | null;
  headers?: Record<string, HeaderValue | HeaderValue[]>;
}
interface RecordEncoder extends EncoderLike {
  writeVarInt(value: number): RecordEncoder;
  writeInt8(value: number): RecordEncoder;
  writeVarLong(value: number): RecordEncoder;
  writeVarIntBytes(value: Buffer | string | null | undefined): RecordEncoder;
  writeVarIntString(value: string): RecordEncoder;
}
type RecordEncoderClass = (new (
  initialSize?: number,
) => RecordEncoder) & {
  sizeOfVarInt(value: number): number;
  sizeOfVarLong(value: number): number;
  sizeOfVarIntBytes(value: Buffer | string | null | undefined): number;
};

/** The size of one header as kafkajs counts it (`Buffer.byteLength` throws on a value that is not text or bytes). */
function headerSize(Encoder: RecordEncoderClass, name: string, value: HeaderValue): number {
  const keySize = Buffer.byteLength(name);
  const valueSize = Buffer.byteLength(value);
  return Encoder.sizeOfVarInt(keySize) + keySize + Encoder.sizeOfVarInt(valueSize) + valueSize;
}

/** kafkajs's record v0 encoding, byte for byte, with the headers written straight into the record's encoder. */
function recordEncoder(Encoder: RecordEncoderClass) {
  return ({ offsetDelta = 0, timestampDelta = 0, key, value, headers = {} }: RecordFields): RecordEncoder => {
    const names = Object.keys(headers);
    let count = 0;
    let headersSize = 0;
    for (const name of names) {
      const header = headers[name] as HeaderValue | HeaderValue[];
      if (!Array.isArray(header)) {
        count += 1;
        headersSize += headerSize(Encoder, name, header);
      } else {
        count += header.length;
        for (const item of header) headersSize += headerSize(Encoder, name, item);
      }
    }
    const sizeOfBody =
      1 +
      Encoder.sizeOfVarLong(timestampDelta) +
      Encoder.sizeOfVarInt(offsetDelta) +
      Encoder.sizeOfVarIntBytes(key) +
      Encoder.sizeOfVarIntBytes(value) +
      Encoder.sizeOfVarInt(count) +
      headersSize;
    const encoder = new Encoder(sizeOfBody + 5)
      .writeVarInt(sizeOfBody)
      .writeInt8(0)
      .writeVarLong(timestampDelta)
      .writeVarInt(offsetDelta)
      .writeVarIntBytes(key)
      .writeVarIntBytes(value)
      .writeVarInt(count);
    for (const name of names) {
      const header = headers[name] as HeaderValue | HeaderValue[];
      if (!Array.isArray(header)) encoder.writeVarIntString(name).writeVarIntBytes(header);
      else for (const item of header) encoder.writeVarIntString(name).writeVarIntBytes(item);
    }
    return encoder;
  };
}

const recordFile = require.resolve("kafkajs/src/protocol/recordBatch/record/v0/index.js");
let inlineRecord: ReturnType<typeof recordEncoder> | undefined;
if (require.cache[recordFile] === undefined) {
  inlineRecord = recordEncoder(require(encoderFile) as RecordEncoderClass);
  const record = new Module(recordFile);
  record.filename = recordFile;
  record.loaded = true;
  record.exports = inlineRecord;
  require.cache[recordFile] = record;
}

/** True when kafkajs runs with all three fixes (false if kafkajs was loaded before this module). */
export const kafkajsPatched = (): boolean =>
  require.cache[file]?.exports === groupMessagesPerPartition &&
  pooledEncoder !== undefined &&
  require.cache[encoderFile]?.exports === pooledEncoder &&
  inlineRecord !== undefined &&
  require.cache[recordFile]?.exports === inlineRecord;
