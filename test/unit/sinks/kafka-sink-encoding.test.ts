/**
 * The Kafka sink's encoding of a batch: at once while the serdes need no I/O, through the async path otherwise.
 * A transient failure there (the registry down while a writer schema registers) rejects the whole batch before
 * anything is sent, so it is retried, never half-written; a value that cannot encode is reported by index.
 */
import { describe, expect, it } from "vitest";
import { PoisonRecordError, TransientError } from "../../../core/errors.ts";
import type { KafkaClient, OutgoingMessage, Sender } from "../../../core/kafka.ts";
import { StreamRecord } from "../../../processors/api.ts";
import type { Serde } from "../../../schemas/serde.ts";
import { StringSerde } from "../../../schemas/string-serde.ts";
import { KafkaSink } from "../../../sinks/kafka.ts";

class RecordingSender implements Sender {
  readonly sent: OutgoingMessage[][] = [];
  async send(_topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    this.sent.push([...messages]);
  }
}

/** A value serde that must register its writer schema first (no `serializeNow` answer) and fails while it cannot. */
function registeringSerde(failure: Error | undefined): Serde<string> {
  return {
    format: "avro",
    deserialize: async () => ({ value: "" }),
    serialize: async (_topic, value) => {
      if (failure) throw failure;
      return Buffer.from(value);
    },
    serializeNow: () => undefined,
  };
}

const record = (value: string, offset: number) =>
  new StreamRecord("k", value, {}, 1_733_300_000_000, { topic: "in", partition: 0, offset });

function sink(valueSerde: Serde) {
  const producer = new RecordingSender();
  const kafka = {} as KafkaClient;
  return { producer, sink: new KafkaSink({ name: "out", topic: "out", kafka, valueSerde, runId: "r", producer }) };
}

describe("KafkaSink encoding", () => {
  it("sends a batch encoded at once, lineage headers stamped", async () => {
    const { producer, sink: out } = sink(new StringSerde());
    await out.write([record("a", 1), record("b", 2)]);
    expect(producer.sent).toHaveLength(1);
    expect(producer.sent[0]?.map((m) => [m.value?.toString(), m.headers?.["sluice-source-offset"]])).toEqual([
      ["a", "1"],
      ["b", "2"],
    ]);
  });

  it("encodes through the async path while the writer schema registers", async () => {
    const { producer, sink: out } = sink(registeringSerde(undefined));
    await out.write([record("a", 1)]);
    expect(producer.sent[0]?.[0]?.value?.toString()).toBe("a");
  });

  it("rejects the whole batch, sending nothing, when the registry is down", async () => {
    const { producer, sink: out } = sink(registeringSerde(new TransientError("registry unavailable")));
    await expect(out.write([record("a", 1), record("b", 2)])).rejects.toBeInstanceOf(TransientError);
    expect(producer.sent).toEqual([]);
  });

  it("reports a value that cannot encode by index and sends the others", async () => {
    const { producer, sink: out } = sink(new StringSerde());
    const bad = new StreamRecord("k", 42 as unknown as string, {}, 0, { topic: "in", partition: 0, offset: 3 });
    const error = await out.write([record("a", 1), bad]).catch((e: unknown) => e);
    expect((error as { failures: Map<number, Error> }).failures.get(1)).toBeInstanceOf(PoisonRecordError);
    expect(producer.sent[0]?.map((m) => m.value?.toString())).toEqual(["a"]);
  });
});
