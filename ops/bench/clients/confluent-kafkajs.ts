/**
 * @confluentinc/kafka-javascript 1.10 floor through its KafkaJS-compatible API (librdkafka underneath):
 * `eachBatch` consume doing nothing else (no commits), or produce in sends of 1 000 with 8 in flight, acks all,
 * idempotent. Installed only for the bench (native add-on built from source); typed by the little used here.
 */
import { endpoints } from "../../../stack/config.ts";
import { floorArgs, Meter, produceAll } from "./floor.ts";

interface Client {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}
interface KafkaJSApi {
  Kafka: new (
    config: object,
  ) => {
    consumer(config: object): Client & {
      subscribe(options: object): Promise<void>;
      run(options: {
        partitionsConsumedConcurrently?: number;
        eachBatch(payload: { batch: { messages: unknown[] } }): Promise<void>;
      }): Promise<void>;
    };
    producer(config: object): Client & { send(record: object): Promise<unknown> };
  };
  logLevel: { ERROR: number };
}

const name = "@confluentinc/kafka-javascript";
const loaded = (await import(name)) as { KafkaJS?: KafkaJSApi; default?: { KafkaJS: KafkaJSApi } };
const api = (loaded.KafkaJS ?? loaded.default?.KafkaJS) as KafkaJSApi;
const args = floorArgs();
const kafka = new api.Kafka({
  kafkaJS: { clientId: "floor-confluent", brokers: endpoints().kafkaBrokers, logLevel: api.logLevel.ERROR },
});

if (args.mode === "consume") {
  // Batches of up to 1 000 (the default, 32, would mostly measure the per-batch overhead).
  const consumer = kafka.consumer({
    kafkaJS: { groupId: args.groupId, fromBeginning: true, autoCommit: false },
    "js.consumer.max.batch.size": 1000,
  });
  const meter = new Meter("@confluentinc/kafka-javascript", "consume (KafkaJS API, eachBatch)", args.records, () =>
    consumer.disconnect(),
  );
  await consumer.connect();
  await consumer.subscribe({ topics: [args.topic] });
  await consumer.run({
    partitionsConsumedConcurrently: 6,
    eachBatch: async ({ batch }) => meter.received(batch.messages.length),
  });
} else {
  const producer = kafka.producer({ kafkaJS: { acks: -1, idempotent: true } });
  const meter = new Meter("@confluentinc/kafka-javascript", "produce (KafkaJS API)", args.records, () =>
    producer.disconnect(),
  );
  await producer.connect();
  await produceAll(args.records, args.schemaId, meter, (batch) =>
    producer.send({ topic: args.topic, messages: batch.map((p) => ({ key: p.key, value: p.value })) }),
  );
}
