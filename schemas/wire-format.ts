/**
 * The Confluent wire format header: magic byte 0, then the writer schema's registry id as a 4-byte big-endian
 * integer, then the Avro binary body. Kept apart so the header can be parsed and tested without a registry.
 */

/** The only magic byte the Confluent wire format defines. */
export const MAGIC_BYTE = 0;
/** Magic byte plus the 4-byte schema id. */
export const HEADER_SIZE = 5;

export interface WireHeader {
  schemaId: number;
  /** Offset of the first byte of the Avro body. Always {@link HEADER_SIZE}. */
  bodyOffset: number;
}

/** Why some bytes are not in the wire format; the message is meant to follow `decoding topic/p@o: `. */
export class WireFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Reads the header of a wire-format message; throws {@link WireFormatError} for bytes that can never decode. */
export function parseWireHeader(data: Uint8Array): WireHeader {
  if (data.length === 0) throw new WireFormatError("empty value (no magic byte)");
  if (data[0] !== MAGIC_BYTE) {
    throw new WireFormatError(`bad magic byte 0x${data[0]!.toString(16).padStart(2, "0")} (expected 0x00)`);
  }
  if (data.length < HEADER_SIZE) {
    throw new WireFormatError(`truncated header: ${data.length} bytes, need ${HEADER_SIZE}`);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return { schemaId: view.getUint32(1, false), bodyOffset: HEADER_SIZE };
}

/** The 5 header bytes for a schema id. */
export function wireHeader(schemaId: number): Buffer {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0xffffffff) {
    throw new RangeError(`schema id ${schemaId} does not fit in 4 unsigned bytes`);
  }
  const header = Buffer.alloc(HEADER_SIZE);
  header.writeUInt8(MAGIC_BYTE, 0);
  header.writeUInt32BE(schemaId, 1);
  return header;
}

/** Header + body in one buffer. */
export function frame(header: Buffer, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(header.length + body.length);
  header.copy(out, 0);
  body.copy(out, header.length);
  return out;
}

/** `orders/2@1234` when partition and offset are known, else `orders`. */
export function describePosition(topic: string, at?: RecordPosition): string {
  if (!at) return topic;
  return `${topic}/${at.partition}@${at.offset}`;
}

/** Where a record sits, to name it in error messages. */
export interface RecordPosition {
  partition: number;
  offset: number | string;
}
