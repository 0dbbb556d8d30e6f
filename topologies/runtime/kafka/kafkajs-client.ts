/**
 * The kafkajs client of a topology, and the Kafka port's kafkajs adapter: the group consumer and the admin in
 * sluice's terms. The one place that builds kafkajs clients for the product.
 */
// Before kafkajs loads: its per-partition grouping of a send is quadratic (see the module).
import "./kafkajs-patches.ts";
import { Kafka, type KafkaConfig, logLevel } from "kafkajs";
import type { Logger } from "pino";
import type {
  GroupConsumer,
  GroupConsumerOptions,
  KafkaAdmin,
  KafkaClient,
  KafkaConnection,
  Producer,
  ProducerSettings,
  TransactionalProducer,
} from "../../../core/kafka.ts";
import type { CompiledTopology } from "../../compiler.ts";
import { KafkajsAdmin } from "./kafkajs-admin.ts";
import { KafkajsGroupConsumer } from "./kafkajs-consumer.ts";
import { kafkaLogCreator } from "./kafkajs-logging.ts";
import { KafkajsProducer, KafkajsTransactionalProducer } from "./kafkajs-producer.ts";

/**
 * Client-level retries of every KafkaJS client of a topology (consumer, producers, admin): short steps (250 ms
 * doubling to 2 s) for about a minute. A broker restart then passes without the consumer crashing: a crashed
 * consumer rejoins as a new member, and the restarted coordinator waits out the old member's session timeout
 * before it assigns anything (measured: 7.5–10.5 s to catch up after a restart with KafkaJS's defaults, 2–3 s
 * with these). Sends keep their own, shorter retries (./kafkajs-producer.ts).
 */
export const KAFKA_CLIENT_RETRY = { initialRetryTime: 250, maxRetryTime: 2000, retries: 30 } as const;

/**
 * The KafkaJS client config of a topology. TLS verifies the broker unless the topology says otherwise;
 * secrets arrive already resolved from `${VAR}` / `${file:…}` by the loader.
 */
export function kafkaConfig(topology: CompiledTopology, logger?: Logger): KafkaConfig {
  const k = topology.spec.kafka;
  const ssl = typeof k.ssl === "object" ? { ...k.ssl, rejectUnauthorized: k.ssl.rejectUnauthorized ?? true } : k.ssl;
  return {
    clientId: k.clientId ?? topology.spec.applicationId,
    brokers: k.brokers,
    logLevel: logger ? logLevel.WARN : logLevel.ERROR,
    retry: { ...KAFKA_CLIENT_RETRY },
    ...(logger ? { logCreator: kafkaLogCreator(logger) } : {}),
    ...(ssl !== undefined ? { ssl } : {}),
    ...(k.sasl !== undefined ? { sasl: k.sasl as KafkaConfig["sasl"] } : {}),
    ...(k.connectionTimeout !== undefined ? { connectionTimeout: k.connectionTimeout } : {}),
    ...(k.requestTimeout !== undefined ? { requestTimeout: k.requestTimeout } : {}),
  };
}

/** The Kafka port of a topology's connection (logs through `logger` when given). */
export function topologyKafkaClient(topology: CompiledTopology, logger?: Logger): KafkajsClient {
  return new KafkajsClient(new Kafka(kafkaConfig(topology, logger)));
}

export type { KafkaConnection } from "../../../core/kafka.ts";

/**
 * The Kafka port on a plain connection (`sluice produce`, the stack's readiness checks, tools, tests), quiet:
 * kafkajs logs nothing, the caller reports errors. TLS verifies the broker unless `rejectUnauthorized: false`.
 */
export function kafkaClientFor(connection: KafkaConnection): KafkajsClient {
  const { brokers, clientId = "sluice", ssl, sasl, connectionTimeoutMs, retry = {} } = connection;
  const tls = typeof ssl === "object" ? { ...ssl, rejectUnauthorized: ssl.rejectUnauthorized ?? true } : ssl;
  return new KafkajsClient(
    new Kafka({
      clientId,
      brokers: [...brokers],
      logLevel: logLevel.NOTHING,
      retry: {
        retries: retry.retries ?? KAFKA_CLIENT_RETRY.retries,
        initialRetryTime: retry.initialRetryTimeMs ?? KAFKA_CLIENT_RETRY.initialRetryTime,
        maxRetryTime: retry.maxRetryTimeMs ?? KAFKA_CLIENT_RETRY.maxRetryTime,
      },
      ...(tls !== undefined ? { ssl: tls } : {}),
      ...(sasl !== undefined ? { sasl: { ...sasl } as KafkaConfig["sasl"] } : {}),
      ...(connectionTimeoutMs !== undefined ? { connectionTimeout: connectionTimeoutMs } : {}),
    }),
  );
}

export class KafkajsClient implements KafkaClient {
  constructor(readonly kafka: Kafka) {}

  consumer(options: GroupConsumerOptions): GroupConsumer {
    return new KafkajsGroupConsumer(this.kafka, options);
  }

  admin(): KafkaAdmin {
    return new KafkajsAdmin(this.kafka);
  }

  producer(settings?: ProducerSettings): Producer {
    return new KafkajsProducer(this.kafka, settings);
  }

  transactionalProducer(
    transactionalId: string,
    settings?: ProducerSettings & { timeoutMs?: number },
  ): TransactionalProducer {
    return new KafkajsTransactionalProducer(this.kafka, transactionalId, settings);
  }
}
