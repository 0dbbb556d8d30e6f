/**
 * @platformatic/kafka 1.x floor (2.x needs Node 22): its per-message stream consume doing nothing else (no
 * commits), or produce in sends of 1 000 with 8 in flight, acks all, not idempotent (see below). Installed only for the bench, in
 * ops/bench/clients/node_modules; typed here by the little of it that is used, so `tsc` passes without it.
 */
import { endpoints } from "../../../stack/config.ts";
import { floorArgs, Meter, produceAll } from "./floor.ts";

interface Stream {
  on(event: "data", listener: () => void): void;
  on(event: "error", listener: (error: unknown) => void): void;
}
interface Client {
  close(force?: boolean): Promise<void>;
}
interface Module {
  Consumer: new (options: Record<string, unknown>) => Client & { consume(options: object): Promise<Stream> };
  Producer: new (options: Record<string, unknown>) => Client & { send(options: object): Promise<unknown> };
}

const name = "@platformatic/kafka";
const kafka = (await import(name)) as Module;
const args = floorArgs();
const base = { clientId: "floor-platformatic", bootstrapBrokers: endpoints().kafkaBrokers };

if (args.mode === "consume") {
  const consumer = new kafka.Consumer({ ...base, groupId: args.groupId });
  const meter = new Meter("@platformatic/kafka", "consume (message stream)", args.records, () => consumer.close(true));
  const stream = await consumer.consume({ topics: [args.topic], mode: "earliest", autocommit: false });
  stream.on("data", () => meter.received(1));
  stream.on("error", (error) => {
    console.error(error);
    process.exit(1);
  });
} else {
  // Not idempotent: 1.35 with `idempotent: true` and several sends in flight fails with OUT_OF_ORDER_SEQUENCE_NUMBER.
  const producer = new kafka.Producer({ ...base, acks: -1 });
  const meter = new Meter("@platformatic/kafka", "produce", args.records, () => producer.close());
  const topic = args.topic;
  await produceAll(args.records, args.schemaId, meter, (batch) =>
    producer.send({ messages: batch.map((p) => ({ topic, key: Buffer.from(p.key), value: p.value })) }),
  );
}
