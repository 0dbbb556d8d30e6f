/**
 * Apache Kafka 4.x in KRaft mode (one combined broker + controller) from the Maven Central jars, on loopback,
 * with topic auto-creation off: sluice and its tests create the topics they use.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { KafkaClientFactory, KafkaConnection } from "../core/kafka.ts";
import type { StackConfig } from "./config.ts";
import { copyDependencies } from "./maven.ts";
import { type ServiceProcess, startProcess, waitUntil } from "./process.ts";

export function kafkaPaths(config: StackConfig) {
  const home = join(config.dir, "kafka");
  return {
    home,
    jars: join(config.cacheDir, `kafka-${config.kafka.version}`),
    data: join(home, "data"),
    properties: join(home, "server.properties"),
    pidFile: join(home, "kafka.pid"),
    logFile: join(home, "kafka.log"),
  };
}

/** Resolves the broker's jars from Maven Central (once). */
export function fetchKafka(config: StackConfig): string {
  return copyDependencies(join(import.meta.dirname, "kafka"), kafkaPaths(config).jars, {
    "kafka.version": config.kafka.version,
  });
}

function serverProperties(config: StackConfig, data: string): string {
  const { host } = config;
  const { port, controllerPort } = config.kafka;
  return [
    "process.roles=broker,controller",
    "node.id=1",
    `controller.quorum.voters=1@${host}:${controllerPort}`,
    `listeners=PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://${host}:${port}`,
    "controller.listener.names=CONTROLLER",
    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    "inter.broker.listener.name=PLAINTEXT",
    ...singleNodeSettings(data),
    "log.retention.hours=168",
    "log.segment.bytes=268435456",
    "",
  ].join("\n");
}

/** Storage and internal-topic settings of a one-node KRaft cluster, shared by the plain and the secure broker. */
export function singleNodeSettings(data: string): string[] {
  return [
    `log.dirs=${data}`,
    "num.partitions=1",
    "auto.create.topics.enable=false",
    "offsets.topic.replication.factor=1",
    "offsets.topic.num.partitions=10",
    "transaction.state.log.replication.factor=1",
    "transaction.state.log.min.isr=1",
    "transaction.state.log.num.partitions=10",
    "group.initial.rebalance.delay.ms=0",
  ];
}

/** `java` arguments running a Kafka main class on the cached jars, without log4j configuration noise. */
export function kafkaJava(jars: string, mainClass: string, args: string[]): string[] {
  return ["-cp", `${jars}/*`, "-Dlog4j2.configurationFile=none", mainClass, ...args];
}

/** Writes server.properties and formats the storage once, with a random cluster id. */
function prepare(config: StackConfig): ReturnType<typeof kafkaPaths> {
  const paths = kafkaPaths(config);
  mkdirSync(paths.data, { recursive: true });
  writeFileSync(paths.properties, serverProperties(config, paths.data));
  if (!existsSync(join(paths.data, "meta.properties"))) {
    const tool = "kafka.tools.StorageTool";
    const clusterId = execFileSync("java", kafkaJava(paths.jars, tool, ["random-uuid"]), { encoding: "utf8" })
      .trim()
      .split("\n")
      .pop();
    execFileSync("java", kafkaJava(paths.jars, tool, ["format", "-t", clusterId ?? "", "-c", paths.properties]), {
      stdio: ["ignore", "pipe", "pipe"],
    });
  }
  return paths;
}

/**
 * True when the cluster behind `connection` answers with at least one broker and a controller. One quiet try (no
 * retries, a short connection timeout): the caller polls. `kafka` makes the client (the CLI hands the kafkajs
 * adapter's `kafkaClientFor`); the stack depends on the Kafka port only.
 */
export async function clusterReady(kafka: KafkaClientFactory, connection: KafkaConnection): Promise<boolean> {
  const admin = kafka({ ...connection, retry: { retries: 0 } }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers > 0 && cluster.controller !== null;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

export function kafkaHealthy(kafka: KafkaClientFactory, brokers: string[]): Promise<boolean> {
  return clusterReady(kafka, { brokers, connectionTimeoutMs: 1000 });
}

export async function startKafka(config: StackConfig, kafka: KafkaClientFactory): Promise<number> {
  fetchKafka(config);
  const paths = prepare(config);
  const service: ServiceProcess = {
    name: "kafka",
    command: "java",
    args: ["-Xms256m", "-Xmx512m", "-XX:+UseG1GC", ...kafkaJava(paths.jars, "kafka.Kafka", [paths.properties])],
    pidFile: paths.pidFile,
    logFile: paths.logFile,
  };
  const pid = startProcess(service);
  const brokers = [`${config.host}:${config.kafka.port}`];
  await waitUntil("kafka", () => kafkaHealthy(kafka, brokers), { timeoutMs: 90_000, pid, logFile: paths.logFile });
  return pid;
}
