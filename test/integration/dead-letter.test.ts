/**
 * The dead-letter writer against the real broker: a record that failed to decode lands on `<app>.dlq` with its
 * original key/value bytes and headers, byte for byte, plus headers saying why. Needs the local stack.
 */
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, PoisonRecordError } from "../../core/errors.ts";
import { AvroSerde } from "../../schemas/avro-serde.ts";
import { DeadLetterWriter, DLQ_HEADERS } from "../../sinks/dead-letter.ts";
import { createTopics, deleteTopics, headerText, readTopic, testKafka } from "../helpers/kafka.ts";
import { services, uniqueName } from "../helpers/services.ts";

const kafka = testKafka("dead-letter-test");
const client = kafka;
const created: string[] = [];

async function application(): Promise<{ applicationId: string; dlq: string }> {
  const applicationId = uniqueName("app");
  const dlq = `${applicationId}.dlq`;
  await createTopics(kafka, [dlq], 2);
  created.push(dlq);
  return { applicationId, dlq };
}

afterAll(async () => {
  await deleteTopics(kafka, created);
});

describe("DeadLetterWriter", () => {
  it("keeps the original bytes and headers of an undecodable record and says why", async () => {
    const { applicationId, dlq } = await application();
    const serde = new AvroSerde({ registryUrl: services().schemaRegistryUrl });
    const value = Buffer.from([0x7b, 0xff, 0x00, 0x80, 0x22]); // not the wire format, not even UTF-8
    const key = Buffer.from([0x01, 0xfe]);
    const source = { topic: "enterprise-events", partition: 2, offset: 1234 };
    const error = (await serde.deserialize(source.topic, value, source).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(PoisonRecordError);

    const writer = new DeadLetterWriter({
      applicationId,
      runId: "live",
      kafka: client,
      now: () => Date.UTC(2026, 0, 2),
    });
    expect(writer.topic).toBe(dlq);
    await writer.start();
    await writer.write([
      {
        key,
        value,
        headers: { "content-type": Buffer.from("avro"), "x-bin": Buffer.from([0, 1, 2]) },
        timestamp: 1700000000000,
        source,
        error,
        processor: "decode",
      },
    ]);
    await writer.close();

    const letter = (await readTopic(kafka, dlq, (messages) => messages.length >= 1))[0]!;
    expect(letter.key).toEqual(key);
    expect(letter.value).toEqual(value);
    expect(letter.headers?.["x-bin"]).toEqual(Buffer.from([0, 1, 2]));
    expect(headerText(letter.headers, "content-type")).toBe("avro");
    expect(letter.timestamp).toBe(1_700_000_000_000);
    const why = Object.fromEntries(Object.values(DLQ_HEADERS).map((h) => [h, headerText(letter.headers, h)]));
    expect(why).toEqual({
      "sluice-dlq-error-class": "PoisonRecordError",
      "sluice-dlq-error-message": "decoding enterprise-events/2@1234: bad magic byte 0x7b (expected 0x00)",
      "sluice-dlq-processor": "decode",
      "sluice-dlq-source-topic": "enterprise-events",
      "sluice-dlq-source-partition": "2",
      "sluice-dlq-source-offset": "1234",
      "sluice-dlq-time": "2026-01-02T00:00:00.000Z",
      "sluice-dlq-run-id": "live",
    });
  });

  it("writes null keys and processor rejections, inside the runtime's transaction", async () => {
    const { applicationId, dlq } = await application();
    const txn = kafka.transactionalProducer(uniqueName("txn"));
    await txn.connect();
    const writer = new DeadLetterWriter({ applicationId, runId: "replay-7", kafka: client, producer: txn });
    try {
      await writer.start();
      await txn.begin();
      await writer.write([
        {
          key: null,
          value: Buffer.from("tombstone-ish"),
          source: { topic: "in", partition: 0, offset: 9 },
          error: new PoisonRecordError("rule rejected: amount < 0"),
          processor: "decide",
        },
      ]);
      await txn.commit();
    } finally {
      await writer.close();
      await txn.disconnect();
    }
    const letter = (await readTopic(kafka, dlq, (messages) => messages.length >= 1))[0]!;
    expect(letter.key).toBeNull();
    expect(letter.value?.toString()).toBe("tombstone-ish");
    expect(headerText(letter.headers, DLQ_HEADERS.processor)).toBe("decide");
    expect(headerText(letter.headers, DLQ_HEADERS.errorMessage)).toBe("rule rejected: amount < 0");
    expect(headerText(letter.headers, DLQ_HEADERS.runId)).toBe("replay-7");
  });

  it("refuses to start when the dead-letter topic does not exist", async () => {
    const writer = new DeadLetterWriter({ applicationId: uniqueName("nodlq"), runId: "live", kafka: client });
    await expect(writer.start()).rejects.toBeInstanceOf(ConfigError);
    await writer.close();
  });
});
