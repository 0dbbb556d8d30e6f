/**
 * From a consumed Kafka message to what the task works with: the decoded StreamRecord (lineage set once, the
 * writer schema id in a header) or, when it cannot be processed, the dead letter carrying its original bytes.
 */

import { isRetriable, PoisonRecordError, TransientError } from "../../core/errors.ts";
import type { ConsumedHeaders, ConsumedMessage } from "../../core/kafka.ts";
import { StreamRecord } from "../../processors/api.ts";
import type { Deserialized, Serde } from "../../schemas/serde.ts";
import type { DeadLetterMessage } from "../../sinks/dead-letter.ts";

/** Header carrying the registry id of the writer schema of the consumed value (lineage). */
export const WRITER_SCHEMA_HEADER = "sluice-writer-schema-id";

export interface PartitionSerdes {
  topic: string;
  partition: number;
  keySerde: Serde;
  valueSerde: Serde;
}

/** A Kafka header's value (the last one when it is repeated). */
export function lastHeader(value: ConsumedHeaders[string]): Buffer | string | undefined {
  return Array.isArray(value) ? value[value.length - 1] : value;
}

/** Decodes a message; errors say where (`decoding orders/2@1234: …`) and stay poison or transient. */
export async function decodeMessage(message: ConsumedMessage, serdes: PartitionSerdes): Promise<StreamRecord> {
  const value = await serdes.valueSerde
    .deserialize(serdes.topic, valueBytes(message, serdes))
    .catch((error: unknown) => {
      throw withContext(error, `decoding ${where(message, serdes)}`);
    });
  return toRecord(message, serdes, value);
}

/**
 * `decodeMessage` without a promise (the hot path): the record, or `undefined` when its serde needs I/O first
 * (then await `decodeMessage`). Throws the same poison errors.
 */
export function decodeMessageNow(message: ConsumedMessage, serdes: PartitionSerdes): StreamRecord | undefined {
  const data = valueBytes(message, serdes);
  let value: Deserialized<unknown> | undefined;
  try {
    value = serdes.valueSerde.deserializeNow?.(serdes.topic, data);
  } catch (error) {
    throw withContext(error, `decoding ${where(message, serdes)}`);
  }
  return value === undefined ? undefined : toRecord(message, serdes, value);
}

const where = (message: ConsumedMessage, serdes: PartitionSerdes) =>
  `${serdes.topic}/${serdes.partition}@${message.offset}`;

function valueBytes(message: ConsumedMessage, serdes: PartitionSerdes): Buffer {
  if (message.value === null)
    throw new PoisonRecordError(`decoding ${where(message, serdes)}: the record has no value`);
  return message.value;
}

function toRecord(message: ConsumedMessage, serdes: PartitionSerdes, value: Deserialized<unknown>): StreamRecord {
  const { topic, partition } = serdes;
  let key: Buffer | string | null = message.key;
  if (message.key !== null && serdes.keySerde.format === "string") key = message.key.toString("utf8");
  const headers: Record<string, Buffer | string | undefined> = {};
  for (const name in message.headers) headers[name] = lastHeader(message.headers[name]);
  if (value.writerSchemaId !== undefined) headers[WRITER_SCHEMA_HEADER] = String(value.writerSchemaId);
  return new StreamRecord(key, value.value, headers, message.timestamp, { topic, partition, offset: message.offset });
}

/** The dead letter of a consumed message: its original key, value and headers, and why it failed where. */
export function deadLetterMessage(
  message: ConsumedMessage,
  error: unknown,
  processor: string,
  at: { topic: string; partition: number },
): DeadLetterMessage {
  return {
    key: message.key,
    value: message.value,
    headers: message.headers,
    timestamp: message.timestamp,
    source: { topic: at.topic, partition: at.partition, offset: message.offset },
    error: error instanceof Error ? error : new Error(String(error)),
    processor,
  };
}

/** `decoding orders/2@1234: unknown schema id 17`, keeping the class (poison vs transient) and the cause. */
function withContext(error: unknown, context: string): Error {
  const message = `${context}: ${error instanceof Error ? error.message : String(error)}`;
  return isRetriable(error)
    ? new TransientError(message, { cause: error })
    : new PoisonRecordError(message, { cause: error });
}
