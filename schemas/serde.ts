/**
 * The Serde contract: bytes on a topic ⇄ values in a topology. Avro with the Confluent wire format (magic
 * byte 0, 4-byte big-endian schema id, Avro binary), JSON and string implement it.
 */

export interface Deserialized<T> {
  value: T;
  /** Registry id of the writer schema, for Avro; recorded in lineage. */
  writerSchemaId?: number;
}

/** Encodes and decodes the keys or values of one topic format (Avro through the registry, JSON, string). */
export interface Serde<T = unknown> {
  readonly format: "avro" | "json" | "string";
  /**
   * Decodes a record's bytes. Throws `PoisonRecordError` for bytes that can never decode (bad magic byte,
   * unknown schema id, truncated data) and `TransientError` when the registry does not answer.
   */
  deserialize(topic: string, data: Buffer): Promise<Deserialized<T>>;
  /** Encodes a value; throws `PoisonRecordError` when the value does not fit the schema (naming the field). */
  serialize(topic: string, value: T): Promise<Buffer>;
  /**
   * `deserialize` without a promise, for the hot path: the same result or error when the answer needs no I/O,
   * `undefined` when it does (an Avro writer schema not fetched yet); then the caller awaits `deserialize`.
   */
  deserializeNow?(topic: string, data: Buffer): Deserialized<T> | undefined;
  /** `serialize` without a promise when it needs no I/O (the writer schema known); `undefined` otherwise. */
  serializeNow?(topic: string, value: T): Buffer | undefined;
}
