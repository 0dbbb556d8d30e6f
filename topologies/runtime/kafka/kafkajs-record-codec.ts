/**
 * kafkajs 2.2.4's record v0 encoding and decoding, byte for byte and field for field, without its per-record
 * garbage. Installed by kafkajs-patches.ts; compared with kafkajs's own source in
 * test/unit/runtime/kafkajs-patches.test.ts.
 */

type HeaderValue = Buffer | string;
interface RecordFields {
  offsetDelta?: number;
  timestampDelta?: number;
  key?: Buffer | string | null;
  value?: Buffer | string | null;
  headers?: Record<string, HeaderValue | HeaderValue[]>;
}
interface RecordEncoder {
  buf: Buffer;
  offset: number;
  writeVarInt(value: number): RecordEncoder;
  writeInt8(value: number): RecordEncoder;
  writeVarLong(value: number): RecordEncoder;
  writeVarIntBytes(value: Buffer | string | null | undefined): RecordEncoder;
  writeVarIntString(value: string): RecordEncoder;
}
export type RecordEncoderClass = (new (
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
export function recordEncoder(Encoder: RecordEncoderClass) {
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

interface LongLike {
  toNumber(): number;
}
interface LongClass {
  fromValue(value: unknown): { add(delta: unknown): { toString(): string } };
}
interface RecordDecoderLike {
  readInt8(): number;
  readVarLong(): LongLike;
  readVarInt(): number;
  readVarIntBytes(): Buffer | null;
  readVarIntString(): string;
  readVarIntArray<T>(reader: (decoder: RecordDecoderLike) => T): T[];
}
interface BatchContext {
  firstOffset?: string;
  firstTimestamp?: string;
  magicByte?: number;
  isControlBatch?: boolean;
  timestampType?: number;
  maxTimestamp?: string;
}
const LOG_APPEND_TIME = 1;

/** `base + delta` as kafkajs's `Long` writes it, in plain numbers while both are exact (every real offset and time). */
function plus(Long: LongClass, base: string | undefined, delta: LongLike | number): string {
  const start = Number(base);
  const step = typeof delta === "number" ? delta : delta.toNumber();
  const sum = start + step;
  if (base !== undefined && Number.isSafeInteger(start) && Number.isSafeInteger(step) && Number.isSafeInteger(sum))
    return String(sum);
  return Long.fromValue(base).add(delta).toString();
}

const readHeader = (decoder: RecordDecoderLike) => ({
  key: decoder.readVarIntString(),
  value: decoder.readVarIntBytes(),
});

/**
 * kafkajs's record v0 decoding with the same result. kafkajs parses the batch's first offset and timestamp
 * from text for every record, and gathers headers with an object spread per header (quadratic in the headers:
 * sluice's own outputs carry five).
 */
export function recordDecoder(Long: LongClass) {
  return (decoder: RecordDecoderLike, batchContext: BatchContext = {}) => {
    const {
      firstOffset,
      firstTimestamp,
      magicByte,
      isControlBatch = false,
      timestampType,
      maxTimestamp,
    } = batchContext;
    const attributes = decoder.readInt8();
    const timestampDelta = decoder.readVarLong();
    const timestamp =
      timestampType === LOG_APPEND_TIME && maxTimestamp ? maxTimestamp : plus(Long, firstTimestamp, timestampDelta);
    const offset = plus(Long, firstOffset, decoder.readVarInt());
    const key = decoder.readVarIntBytes();
    const value = decoder.readVarIntBytes();
    const headers: Record<string, Buffer | null | (Buffer | null)[]> = {};
    for (const header of decoder.readVarIntArray(readHeader)) {
      const known = Object.hasOwn(headers, header.key) ? headers[header.key] : undefined;
      const merged =
        known === undefined ? header.value : Array.isArray(known) ? [...known, header.value] : [known, header.value];
      Object.defineProperty(headers, header.key, {
        value: merged,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return {
      magicByte,
      attributes,
      timestamp,
      offset,
      key,
      value,
      headers,
      isControlRecord: isControlBatch,
      batchContext,
    };
  };
}

/**
 * kafkajs's Java-compatible murmur2 (the default partitioner's hash), in 32-bit `Math.imul` arithmetic instead
 * of 64-bit `Long` objects: kafkajs keeps only the low 32 bits, which depend on nothing else.
 */
export function murmur2(key: Buffer | string): number {
  const data = Buffer.isBuffer(key) ? key : Buffer.from(String(key));
  const length = data.length;
  const m = 0x5bd1e995;
  let h = 0x9747b28c ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k =
      (data[i] as number) |
      ((data[i + 1] as number) << 8) |
      ((data[i + 2] as number) << 16) |
      ((data[i + 3] as number) << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    h = Math.imul(h, m) ^ Math.imul(k, m);
  }
  switch (length & 3) {
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: the tail bytes fall through as in Kafka's Java.
    case 3:
      h ^= (data[whole + 2] as number) << 16;
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: as above.
    case 2:
      h ^= (data[whole + 1] as number) << 8;
    case 1:
      h ^= data[whole] as number;
      h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}
