/**
 * kafkajs floor: `eachBatch` consume doing nothing else (no commits), or produce in sends of 1 000 with 8 in flight,
 * acks all, idempotent (as sluice's Kafka sink). The client sluice uses today.
 */
import { Kafka, logLevel } from "kafkajs";
import { endpoints } from "../../../stack/config.ts";
import { floorArgs, Meter, produceAll } from "./floor.ts";

const args = floorArgs();
const kafka = new Kafka({ clientId: "floor-kafkajs", brokers: endpoints().kafkaBrokers, logLevel: logLevel.ERROR });

if (args.mode === "consume") {
  const consumer = kafka.consumer({ groupId: args.groupId });
  const meter = new Meter("kafkajs", "consume (eachBatch)", args.records, () => consumer.disconnect());
  await consumer.connect();
  await consumer.subscribe({ topics: [args.topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: 6,
    eachBatch: async ({ batch }) => meter.received(batch.messages.length),
  });
} else {
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 5 });
  const meter = new Meter("kafkajs", "produce", args.records, () => producer.disconnect());
  await producer.connect();
  await produceAll(args.records, args.schemaId, meter, (batch) =>
    producer.send({ topic: args.topic, acks: -1, messages: batch.map((p) => ({ key: p.key, value: p.value })) }),
  );
}
