/**
 * `sluice stack up --secure`: the secure local stack, a second Kafka with SASL_SSL (SCRAM-SHA-512, private CA)
 * and a password user `sluice` on the stack's ClickHouse. Passwords are random, made once, and kept only in
 * `<stack dir>/secure/` files of mode 0600; nothing here prints them.
 */
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { KafkaClientFactory } from "../core/kafka.ts";
import { ensureCertificates } from "./certificates.ts";
import { clickhousePaths } from "./clickhouse.ts";
import { type StackConfig, stackConfig } from "./config.ts";
import { runningPid, stopProcess, waitUntil } from "./process.ts";
import { secureKafkaHealthy, secureKafkaPaths, startSecureKafka } from "./secure-kafka.ts";
import { ensureRunning, type ServiceDef, type ServiceStatus, services, statusOf } from "./stack.ts";

/** Variables of `credentials.env`: what a client of the secure stack needs. */
export interface SecureCredentials {
  SLUICE_SECURE_KAFKA_BROKERS: string;
  SLUICE_SECURE_KAFKA_USERNAME: string;
  SLUICE_SECURE_KAFKA_PASSWORD: string;
  /** A file holding only the Kafka password, for `${file:...}` in topologies. */
  SLUICE_SECURE_KAFKA_PASSWORD_FILE: string;
  /** The CA certificate clients verify the broker with. */
  SLUICE_SECURE_KAFKA_CA_FILE: string;
  SLUICE_SECURE_KAFKA_ADMIN_PASSWORD: string;
  SLUICE_SECURE_CLICKHOUSE_URL: string;
  SLUICE_SECURE_CLICKHOUSE_USERNAME: string;
  SLUICE_SECURE_CLICKHOUSE_PASSWORD: string;
  SLUICE_SECURE_CLICKHOUSE_PASSWORD_FILE: string;
}

/** Paths and ports of the secure stack. Ports: `SLUICE_SECURE_KAFKA_PORT`, `SLUICE_SECURE_KAFKA_CONTROLLER_PORT`. */
export function securePaths(config: StackConfig = stackConfig()) {
  const dir = join(config.dir, "secure");
  const port = (name: string, fallback: number) => {
    const value = Number(process.env[name] || fallback);
    if (!Number.isInteger(value) || value <= 0 || value > 65535) throw new Error(`${name}: expected a TCP port`);
    return value;
  };
  return {
    dir,
    /** @default 29094 */
    port: port("SLUICE_SECURE_KAFKA_PORT", 29094),
    /** @default 29095 */
    controllerPort: port("SLUICE_SECURE_KAFKA_CONTROLLER_PORT", 29095),
    credentials: join(dir, "credentials.env"),
    certificates: join(dir, "tls"),
    clickhouseUser: join(clickhousePaths(config).home, "users.d", "sluice-secure.xml"),
  };
}

/** Reads `credentials.env`, or undefined when `up --secure` has not made it yet. */
export function readCredentials(config: StackConfig = stackConfig()): SecureCredentials | undefined {
  const file = securePaths(config).credentials;
  if (!existsSync(file)) return undefined;
  const entries = readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]);
  return Object.fromEntries(entries) as SecureCredentials;
}

const password = () => randomBytes(24).toString("hex");

function writePrivate(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** Makes the passwords once (a new set wipes the secure broker's storage, whose users hold the old ones). */
function ensureCredentials(config: StackConfig): SecureCredentials {
  const paths = securePaths(config);
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  const old = readCredentials(config);
  if (!old) rmSync(secureKafkaPaths(config).data, { recursive: true, force: true });
  const kafkaPasswordFile = join(paths.dir, "kafka-password");
  const clickhousePasswordFile = join(paths.dir, "clickhouse-password");
  const credentials: SecureCredentials = {
    SLUICE_SECURE_KAFKA_BROKERS: `${config.host}:${paths.port}`,
    SLUICE_SECURE_KAFKA_USERNAME: "sluice",
    SLUICE_SECURE_KAFKA_PASSWORD: old?.SLUICE_SECURE_KAFKA_PASSWORD ?? password(),
    SLUICE_SECURE_KAFKA_PASSWORD_FILE: kafkaPasswordFile,
    SLUICE_SECURE_KAFKA_CA_FILE: join(paths.certificates, "ca.pem"),
    SLUICE_SECURE_KAFKA_ADMIN_PASSWORD: old?.SLUICE_SECURE_KAFKA_ADMIN_PASSWORD ?? password(),
    SLUICE_SECURE_CLICKHOUSE_URL: `http://${config.host}:${config.clickhouse.httpPort}`,
    SLUICE_SECURE_CLICKHOUSE_USERNAME: "sluice",
    SLUICE_SECURE_CLICKHOUSE_PASSWORD: old?.SLUICE_SECURE_CLICKHOUSE_PASSWORD ?? password(),
    SLUICE_SECURE_CLICKHOUSE_PASSWORD_FILE: clickhousePasswordFile,
  };
  const header = "# The secure local stack (sluice stack up --secure). Private: mode 0600, never commit.\n";
  const body = Object.entries(credentials).map(([k, v]) => `${k}=${v}\n`);
  writePrivate(paths.credentials, header + body.join(""));
  writePrivate(kafkaPasswordFile, `${credentials.SLUICE_SECURE_KAFKA_PASSWORD}\n`);
  writePrivate(clickhousePasswordFile, `${credentials.SLUICE_SECURE_CLICKHOUSE_PASSWORD}\n`);
  return credentials;
}

/**
 * Gives the stack's ClickHouse a `sluice` user with a SHA-256 password through `users.d/` (ClickHouse merges it
 * into users.xml and reloads it while running, so the plain stack's server simply gains the user).
 */
function writeClickhouseUser(config: StackConfig, credentials: SecureCredentials): void {
  const file = securePaths(config).clickhouseUser;
  const hash = createHash("sha256").update(credentials.SLUICE_SECURE_CLICKHOUSE_PASSWORD).digest("hex");
  mkdirSync(join(file, ".."), { recursive: true });
  writePrivate(
    file,
    `<?xml version="1.0"?>
<yandex>
  <users>
    <${credentials.SLUICE_SECURE_CLICKHOUSE_USERNAME}>
      <password_sha256_hex>${hash}</password_sha256_hex>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </${credentials.SLUICE_SECURE_CLICKHOUSE_USERNAME}>
  </users>
</yandex>
`,
  );
}

/** True when ClickHouse accepts the password user. */
export async function clickhouseUserWorks(credentials: SecureCredentials): Promise<boolean> {
  const response = await fetch(`${credentials.SLUICE_SECURE_CLICKHOUSE_URL}/?query=SELECT%201`, {
    headers: {
      "X-ClickHouse-User": credentials.SLUICE_SECURE_CLICKHOUSE_USERNAME,
      "X-ClickHouse-Key": credentials.SLUICE_SECURE_CLICKHOUSE_PASSWORD,
    },
    signal: AbortSignal.timeout(2000),
  }).catch(() => undefined);
  return response?.ok === true;
}

function secureKafkaService(config: StackConfig, credentials: SecureCredentials): ServiceDef {
  const paths = securePaths(config);
  const settings = {
    port: paths.port,
    controllerPort: paths.controllerPort,
    admin: { username: "admin", password: credentials.SLUICE_SECURE_KAFKA_ADMIN_PASSWORD },
    client: {
      username: credentials.SLUICE_SECURE_KAFKA_USERNAME,
      password: credentials.SLUICE_SECURE_KAFKA_PASSWORD,
    },
  };
  const brokers = [credentials.SLUICE_SECURE_KAFKA_BROKERS];
  return {
    name: "kafka-secure",
    address: `SASL_SSL ${brokers[0]}`,
    port: paths.port,
    pidFile: secureKafkaPaths(config).pidFile,
    healthy: (kafka) =>
      secureKafkaHealthy(
        kafka,
        brokers,
        readFileSync(credentials.SLUICE_SECURE_KAFKA_CA_FILE, "utf8"),
        settings.client,
      ),
    start: (kafka) => startSecureKafka(config, settings, ensureCertificates(paths.certificates), kafka),
  };
}

function clickhouseService(config: StackConfig): ServiceDef {
  const service = services(config).find((s) => s.name === "clickhouse");
  if (!service) throw new Error("the stack has no clickhouse service");
  return service;
}

/** Starts the secure broker and ClickHouse (reusing a running one) and waits until both accept the passwords. */
export async function secureStackUp(
  kafka: KafkaClientFactory,
  config: StackConfig = stackConfig(),
): Promise<ServiceStatus[]> {
  const credentials = ensureCredentials(config);
  ensureCertificates(securePaths(config).certificates);
  writeClickhouseUser(config, credentials);
  // One after the other: formatting the broker's storage blocks the event loop, which would time out (and so
  // restart) a health check of a running ClickHouse made meanwhile.
  const clickhouse = await ensureRunning(clickhouseService(config), kafka);
  const statuses = [clickhouse, await ensureRunning(secureKafkaService(config, credentials), kafka)];
  await waitUntil("clickhouse user sluice", () => clickhouseUserWorks(credentials), { timeoutMs: 20_000 });
  return statuses;
}

/** Stops the secure broker (ClickHouse is shared with the plain stack: `sluice stack down clickhouse` stops it). */
export async function secureStackDown(config: StackConfig = stackConfig()): Promise<ServiceStatus[]> {
  const pid = await stopProcess(secureKafkaPaths(config).pidFile);
  const paths = securePaths(config);
  const address = `SASL_SSL ${config.host}:${paths.port}`;
  return [{ name: "kafka-secure", address, state: "down", ...(pid !== undefined ? { pid } : {}) }];
}

export async function secureStackStatus(
  kafka: KafkaClientFactory,
  config: StackConfig = stackConfig(),
): Promise<ServiceStatus[]> {
  const credentials = readCredentials(config);
  const clickhouse = await statusOf(clickhouseService(config), kafka);
  if (!credentials) {
    const paths = securePaths(config);
    return [clickhouse, { name: "kafka-secure", address: `SASL_SSL ${config.host}:${paths.port}`, state: "down" }];
  }
  return [clickhouse, await statusOf(secureKafkaService(config, credentials), kafka)];
}

/** The secure broker's pid while it runs: for tests that check `down --secure` left nothing behind. */
export function secureStackPid(config: StackConfig = stackConfig()): number | undefined {
  return runningPid(secureKafkaPaths(config).pidFile);
}
