/**
 * Plain UTF-8 text. Invalid UTF-8 is poison rather than silently replaced with U+FFFD, so the original bytes
 * reach the dead-letter topic instead of a mangled string reaching a processor.
 */
import { PoisonRecordError } from "../core/errors.ts";
import type { Deserialized, Serde } from "./serde.ts";
import { describePosition, type RecordPosition } from "./wire-format.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

export class StringSerde implements Serde<string> {
  readonly format = "string" as const;

  async deserialize(topic: string, data: Buffer, at?: RecordPosition): Promise<Deserialized<string>> {
    return this.deserializeNow(topic, data, at);
  }

  deserializeNow(topic: string, data: Buffer, at?: RecordPosition): Deserialized<string> {
    try {
      return { value: utf8.decode(data) };
    } catch (error) {
      throw new PoisonRecordError(`decoding ${describePosition(topic, at)}: invalid UTF-8`, { cause: error });
    }
  }

  async serialize(topic: string, value: string): Promise<Buffer> {
    return this.serializeNow(topic, value);
  }

  serializeNow(topic: string, value: string): Buffer {
    if (typeof value !== "string") {
      throw new PoisonRecordError(`encoding ${topic}: expected a string value, got ${typeof value}`);
    }
    return Buffer.from(value, "utf8");
  }
}
