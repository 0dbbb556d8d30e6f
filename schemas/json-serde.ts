/**
 * JSON values as UTF-8 bytes. Bytes that are not JSON are poison (dead-lettered); a value JSON cannot represent
 * (a BigInt, a cycle, `undefined`) is poison on the way out.
 */
import { PoisonRecordError } from "../core/errors.ts";
import type { Deserialized, Serde } from "./serde.ts";
import { describePosition, type RecordPosition } from "./wire-format.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

export class JsonSerde<T = unknown> implements Serde<T> {
  readonly format = "json" as const;

  async deserialize(topic: string, data: Buffer, at?: RecordPosition): Promise<Deserialized<T>> {
    return this.deserializeNow(topic, data, at);
  }

  deserializeNow(topic: string, data: Buffer, at?: RecordPosition): Deserialized<T> {
    try {
      return { value: JSON.parse(utf8.decode(data)) as T };
    } catch (error) {
      const reason = error instanceof SyntaxError ? error.message : `not UTF-8 (${(error as Error).message})`;
      throw new PoisonRecordError(`decoding ${describePosition(topic, at)}: invalid JSON: ${reason}`, { cause: error });
    }
  }

  async serialize(topic: string, value: T): Promise<Buffer> {
    return this.serializeNow(topic, value);
  }

  serializeNow(topic: string, value: T): Buffer {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (error) {
      throw new PoisonRecordError(`encoding ${topic}: value is not JSON: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (text === undefined) throw new PoisonRecordError(`encoding ${topic}: value is not JSON: ${typeof value}`);
    return Buffer.from(text, "utf8");
  }
}
