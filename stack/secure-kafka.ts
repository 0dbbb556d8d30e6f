/**
 * The secure local broker: a second Kafka (KRaft, same Maven jars) whose only client listener is SASL_SSL with
 * SCRAM-SHA-512 users created at storage format. It shares nothing with the plain broker but the jars.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { KafkaClientFactory } from "../core/kafka.ts";
import type { CertificatePaths } from "./certificates.ts";
import type { StackConfig } from "./config.ts";
import { clusterReady, fetchKafka, kafkaJava, kafkaPaths, singleNodeSettings } from "./kafka.ts";
import { startProcess, waitUntil } from "./process.ts";

/** Where the secure broker keeps its state, under `<stack dir>/secure/kafka`. */
export function secureKafkaPaths(config: StackConfig) {
  const home = join(config.dir, "secure", "kafka");
  return {
    home,
    data: join(home, "data"),
    properties: join(home, "server.properties"),
    pidFile: join(home, "kafka.pid"),
    logFile: join(home, "kafka.log"),
  };
}

/** The secure broker's ports and users. */
export interface SecureKafkaSettings {
  /** SASL_SSL client listener. @default 29094 (`SLUICE_SECURE_KAFKA_PORT`) */
  port: number;
  /** PLAINTEXT controller listener on loopback. @default 29095 (`SLUICE_SECURE_KAFKA_CONTROLLER_PORT`) */
  controllerPort: number;
  /** The user the broker itself authenticates as (inter-broker traffic, e.g. transaction markers). */
  admin: { username: string; password: string };
  /** The user topologies and tests connect as. */
  client: { username: string; password: string };
}

function serverProperties(config: StackConfig, s: SecureKafkaSettings, certs: CertificatePaths, data: string): string {
  const { host } = config;
  const jaas = `org.apache.kafka.common.security.scram.ScramLoginModule required username="${s.admin.username}" password="${s.admin.password}";`;
  return [
    "process.roles=broker,controller",
    "node.id=1",
    `controller.quorum.voters=1@${host}:${s.controllerPort}`,
    `listeners=SASL_SSL://${host}:${s.port},CONTROLLER://${host}:${s.controllerPort}`,
    `advertised.listeners=SASL_SSL://${host}:${s.port}`,
    "controller.listener.names=CONTROLLER",
    "listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT",
    "inter.broker.listener.name=SASL_SSL",
    "sasl.enabled.mechanisms=SCRAM-SHA-512",
    "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512",
    `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=${jaas}`,
    "ssl.keystore.type=PEM",
    `ssl.keystore.location=${certs.keystore}`,
    "ssl.truststore.type=PEM",
    `ssl.truststore.location=${certs.ca}`,
    "ssl.client.auth=none",
    "ssl.endpoint.identification.algorithm=https",
    ...singleNodeSettings(data),
    "",
  ].join("\n");
}

/**
 * Writes server.properties (mode 0600: it holds the broker's own SCRAM password) and formats the storage once,
 * creating both SCRAM-SHA-512 users in the cluster metadata.
 */
function prepare(config: StackConfig, settings: SecureKafkaSettings, certs: CertificatePaths) {
  const paths = secureKafkaPaths(config);
  const jars = kafkaPaths(config).jars;
  mkdirSync(paths.data, { recursive: true, mode: 0o700 });
  writeFileSync(paths.properties, serverProperties(config, settings, certs, paths.data), { mode: 0o600 });
  chmodSync(paths.properties, 0o600);
  if (existsSync(join(paths.data, "meta.properties"))) return paths;
  const tool = "kafka.tools.StorageTool";
  const clusterId = execFileSync("java", kafkaJava(jars, tool, ["random-uuid"]), { encoding: "utf8" })
    .trim()
    .split("\n")
    .pop();
  const scram = [settings.admin, settings.client].flatMap((u) => [
    "--add-scram",
    `SCRAM-SHA-512=[name=${u.username},password=${u.password}]`,
  ]);
  try {
    execFileSync("java", kafkaJava(jars, tool, ["format", "-t", clusterId ?? "", "-c", paths.properties, ...scram]), {
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (error) {
    // The command line holds passwords: report the tool's own output only.
    const out = error as { stdout?: Buffer; stderr?: Buffer };
    const text = `${out.stdout?.toString() ?? ""}${out.stderr?.toString() ?? ""}`.trim().split("\n").slice(-10);
    throw new Error(`formatting the secure broker's storage failed:\n${text.join("\n")}`);
  }
  return paths;
}

/** True when the broker answers a SASL_SSL client with these credentials and CA. */
export function secureKafkaHealthy(
  kafka: KafkaClientFactory,
  brokers: string[],
  ca: string,
  user: SecureKafkaSettings["client"],
): Promise<boolean> {
  return clusterReady(kafka, {
    brokers,
    ssl: { ca, rejectUnauthorized: true },
    sasl: { mechanism: "scram-sha-512", username: user.username, password: user.password },
    connectionTimeoutMs: 2000,
  });
}

/** Starts the secure broker and waits until a SASL_SSL client gets in. Returns its pid. */
export async function startSecureKafka(
  config: StackConfig,
  settings: SecureKafkaSettings,
  certs: CertificatePaths,
  kafka: KafkaClientFactory,
): Promise<number> {
  fetchKafka(config);
  const paths = prepare(config, settings, certs);
  const jars = kafkaPaths(config).jars;
  const pid = startProcess({
    name: "kafka-secure",
    command: "java",
    args: ["-Xms256m", "-Xmx512m", "-XX:+UseG1GC", ...kafkaJava(jars, "kafka.Kafka", [paths.properties])],
    pidFile: paths.pidFile,
    logFile: paths.logFile,
  });
  const brokers = [`${config.host}:${settings.port}`];
  const ca = readFileSync(certs.ca, "utf8");
  await waitUntil("secure kafka", () => secureKafkaHealthy(kafka, brokers, ca, settings.client), {
    timeoutMs: 90_000,
    pid,
    logFile: paths.logFile,
  });
  return pid;
}
