/**
 * The program a user would write instead of sluice: a kafkajs `eachMessage` loop that decodes with the registry
 * client, encodes again and awaits one `send` per record (headers and timestamp passed on). Baseline only.
 * Usage: node --import tsx ops/bench/naive-kafkajs.ts <input> <output> <schema.avsc> [groupId]
 */
import { readFileSync } from "node:fs";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { Kafka, logLevel } from "kafkajs";
import { endpoints } from "../../stack/config.ts";

const [input, output, schemaFile, groupId = `naive-${Date.now()}`] = process.argv.slice(2);
if (!input || !output || !schemaFile) throw new Error("usage: naive-kafkajs.ts <input> <output> <schema.avsc>");
const services = endpoints();
const registry = new SchemaRegistry({ host: services.schemaRegistryUrl });
const { id } = await registry.register(
  { type: SchemaType.AVRO, schema: readFileSync(schemaFile, "utf8") },
  { subject: `${output}-value` },
);
const kafka = new Kafka({ clientId: "naive-kafkajs", brokers: services.kafkaBrokers, logLevel: logLevel.ERROR });
const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true });
const consumer = kafka.consumer({ groupId });
await producer.connect();
await consumer.connect();
await consumer.subscribe({ topics: [input], fromBeginning: true });
await consumer.run({
  eachMessage: async ({ message }) => {
    if (message.value === null) return;
    const value = await registry.decode(message.value);
    await producer.send({
      topic: output,
      acks: -1,
      messages: [
        {
          key: message.key,
          value: await registry.encode(id, value),
          headers: message.headers ?? {},
          timestamp: message.timestamp,
        },
      ],
    });
  },
});

const shutdown = async () => {
  await consumer.disconnect().catch(() => {});
  await producer.disconnect().catch(() => {});
  process.exit(0);
};
process.once("SIGTERM", shutdown);
process.once("SIGINT", shutdown);
