/**
 * Where the local stack lives and listens. Everything binds 127.0.0.1; data, logs, pid files and downloaded
 * artifacts stay under `.stack/` in the working directory (or `SLUICE_STACK_DIR`), never beside the installed
 * package, so an installed `sluice` and a checkout each find their own stack.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0 || value > 65535) {
    throw new Error(`${name}=${raw}: expected a TCP port between 1 and 65535`);
  }
  return value;
}

export interface StackConfig {
  /** Root of all local state. @default `.stack` in the working directory (`SLUICE_STACK_DIR`) */
  dir: string;
  /** Downloaded jars and distributions. @default `<dir>/cache` (`SLUICE_STACK_CACHE`) */
  cacheDir: string;
  host: "127.0.0.1";
  kafka: { version: string; port: number; controllerPort: number };
  registry: { version: string; port: number; managementPort: number };
  clickhouse: { httpPort: number; tcpPort: number };
  /** The tool servers of `ops/tools/` (agent-desk example, demo). */
  tools: { riskPort: number; crmPort: number };
}

/** Reads the stack layout; ports come from `SLUICE_*_PORT` variables with non-standard defaults. */
export function stackConfig(): StackConfig {
  const dir = resolve(process.env.SLUICE_STACK_DIR ?? join(process.cwd(), ".stack"));
  return {
    dir,
    cacheDir: resolve(process.env.SLUICE_STACK_CACHE ?? join(dir, "cache")),
    host: "127.0.0.1",
    kafka: {
      version: process.env.SLUICE_KAFKA_VERSION ?? "4.1.1",
      port: port("SLUICE_KAFKA_PORT", 29092),
      controllerPort: port("SLUICE_KAFKA_CONTROLLER_PORT", 29093),
    },
    registry: {
      version: process.env.SLUICE_REGISTRY_VERSION ?? "3.3.3",
      port: port("SLUICE_REGISTRY_PORT", 28081),
      managementPort: port("SLUICE_REGISTRY_MANAGEMENT_PORT", 28091),
    },
    clickhouse: {
      httpPort: port("SLUICE_CLICKHOUSE_PORT", 28123),
      tcpPort: port("SLUICE_CLICKHOUSE_TCP_PORT", 29000),
    },
    tools: {
      riskPort: port("SLUICE_RISK_PORT", 28200),
      crmPort: port("SLUICE_CRM_PORT", 28201),
    },
  };
}

/** Service addresses as clients use them. */
export interface ServiceEndpoints {
  kafkaBrokers: string[];
  schemaRegistryUrl: string;
  clickhouseUrl: string;
}

export function localEndpoints(config: StackConfig = stackConfig()): ServiceEndpoints {
  return {
    kafkaBrokers: [`${config.host}:${config.kafka.port}`],
    schemaRegistryUrl: `http://${config.host}:${config.registry.port}/apis/ccompat/v7`,
    clickhouseUrl: `http://${config.host}:${config.clickhouse.httpPort}`,
  };
}

/** External services named by `KAFKA_BROKERS`, `SCHEMA_REGISTRY_URL`, `CLICKHOUSE_URL`, when all three are set. */
export function externalEndpoints(env: NodeJS.ProcessEnv = process.env): ServiceEndpoints | undefined {
  const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL, CLICKHOUSE_URL } = env;
  if (!KAFKA_BROKERS || !SCHEMA_REGISTRY_URL || !CLICKHOUSE_URL) return undefined;
  return {
    kafkaBrokers: KAFKA_BROKERS.split(",").map((b) => b.trim()),
    schemaRegistryUrl: SCHEMA_REGISTRY_URL,
    clickhouseUrl: CLICKHOUSE_URL,
  };
}

/** The endpoints to use: external ones when configured, else the local stack's. */
export function endpoints(): ServiceEndpoints {
  return externalEndpoints() ?? localEndpoints();
}

/**
 * A Java runtime of at least `minimum` major version: `SLUICE_JAVA<minimum>_HOME`, `JAVA_HOME`, then the JDKs
 * under /usr/lib/jvm (Temurin 25 sits beside the default Java 17 on these machines).
 */
export function findJava(minimum: number): string | undefined {
  const candidates = [process.env[`SLUICE_JAVA${minimum}_HOME`], process.env.JAVA_HOME];
  if (existsSync("/usr/lib/jvm")) {
    const jdks = readdirSync("/usr/lib/jvm")
      .map((name) => ({ name, version: Number(/(\d+)/.exec(name)?.[1] ?? 0) }))
      .sort((a, b) => b.version - a.version);
    candidates.push(...jdks.filter((j) => j.version >= minimum).map((j) => join("/usr/lib/jvm", j.name)));
  }
  for (const home of candidates) {
    if (!home) continue;
    const java = join(home, "bin", "java");
    if (existsSync(java) && javaMajor(home) >= minimum) return java;
  }
  return undefined;
}

function javaMajor(home: string): number {
  const release = join(home, "release");
  if (existsSync(release)) {
    const match = /JAVA_VERSION="(\d+)/.exec(readFileSync(release, "utf8"));
    if (match?.[1]) return Number(match[1]);
  }
  return Number(/(\d+)/.exec(home.split("/").pop() ?? "")?.[1] ?? 0);
}
