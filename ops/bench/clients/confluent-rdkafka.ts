/**
 * @confluentinc/kafka-javascript 1.10 floor through its lower-level, node-rdkafka-style API: `consume(1000, cb)`
 * in a loop doing nothing else (no commits), or `produce()` per record with delivery reports, at most 8 000
 * unacknowledged (the 8 sends of 1 000 the other floors keep in flight), acks all, idempotent.
 */

import { endpoints } from "../../../stack/config.ts";
import type { Payload } from "../lib/latency.ts";
import { orderPayloads } from "../lib/topics.ts";
import { floorArgs, IN_FLIGHT, Meter, SEND_SIZE } from "./floor.ts";

interface Native {
  connect(): void;
  disconnect(cb?: () => void): void;
  isConnected(): boolean;
  on(event: string, listener: (...args: never[]) => void): void;
}
interface RdKafka {
  KafkaConsumer: new (
    config: object,
    topicConfig: object,
  ) => Native & {
    subscribe(topics: string[]): void;
    consume(count: number, cb: (error: unknown, messages: unknown[] | undefined) => void): void;
  };
  Producer: new (
    config: object,
  ) => Native & {
    produce(topic: string, partition: null, value: Buffer, key: string): void;
    setPollInterval(ms: number): void;
  };
}

const name = "@confluentinc/kafka-javascript";
const loaded = (await import(name)) as RdKafka & { default?: RdKafka };
const rd = (loaded.default ?? loaded) as RdKafka;
const args = floorArgs();
const brokers = endpoints().kafkaBrokers.join(",");
const ready = (client: Native) =>
  new Promise<void>((resolve, reject) => {
    client.on("ready", () => resolve());
    client.on("event.error", (error: never) => reject(error));
    client.connect();
  });
const disconnect = (client: Native) => new Promise<void>((resolve) => client.disconnect(() => resolve()));

if (args.mode === "consume") {
  const consumer = new rd.KafkaConsumer(
    { "group.id": args.groupId, "metadata.broker.list": brokers, "enable.auto.commit": false },
    { "auto.offset.reset": "earliest" },
  );
  const meter = new Meter("@confluentinc/kafka-javascript", "consume (rdkafka API, consume(1000))", args.records, () =>
    disconnect(consumer),
  );
  await ready(consumer);
  consumer.subscribe([args.topic]);
  const loop = () =>
    consumer.consume(1000, (error, messages) => {
      if (!consumer.isConnected()) return; // the meter finished and disconnected
      if (error) console.error(error);
      if (messages?.length) meter.received(messages.length);
      setImmediate(loop);
    });
  loop();
} else {
  const producer = new rd.Producer({
    "metadata.broker.list": brokers,
    dr_cb: true,
    acks: "all",
    "enable.idempotence": true,
  });
  const meter = new Meter("@confluentinc/kafka-javascript", "produce (rdkafka API)", args.records, () =>
    disconnect(producer),
  );
  await ready(producer);
  let acked = 0;
  let wake: (() => void) | undefined;
  producer.on("delivery-report", () => {
    acked++;
    meter.acked(1);
    wake?.();
  });
  producer.setPollInterval(5);
  const payloads = orderPayloads(args.schemaId, 0, 10_000);
  meter.start();
  for (let sent = 0; sent < args.records; ) {
    const n = Math.min(SEND_SIZE, args.records - sent);
    for (let i = 0; i < n; i++) {
      const p = payloads[(sent + i) % payloads.length] as Payload;
      producer.produce(args.topic, null, p.value, p.key);
    }
    sent += n;
    while (sent - acked >= IN_FLIGHT * SEND_SIZE) await new Promise<void>((resolve) => (wake = resolve));
  }
}
