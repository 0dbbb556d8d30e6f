/**
 * `sluice stack up|down|status`: the local stack of real services (Kafka KRaft, Apicurio Registry,
 * ClickHouse, and the tool servers of ops/tools/: payments-risk over HTTP, the CRM over MCP) as processes on loopback. `up` is idempotent and reuses what runs; `down` stops exactly the
 * processes `up` started, by pid file.
 */

import type { KafkaClientFactory } from "../core/kafka.ts";
import { clickhouseHealthy, clickhousePaths, findClickhouseServer, startClickhouse } from "./clickhouse.ts";
import { type StackConfig, stackConfig } from "./config.ts";
import { fetchKafka, kafkaHealthy, kafkaPaths, startKafka } from "./kafka.ts";
import { isAlive, portOpen, rssMiB, runningPid, stopProcess } from "./process.ts";
import { fetchRegistry, registryHealthy, registryPaths, startRegistry } from "./registry.ts";
import { startToolServer, type ToolServerService, toolServerHealthy, toolServerPaths, toolServerUrl } from "./tools.ts";

export type ServiceName = "kafka" | "registry" | "clickhouse" | "kafka-secure" | ToolServerService;

export interface ServiceStatus {
  name: ServiceName;
  address: string;
  /** `started` by this call, `running` (started earlier by sluice), `foreign` (someone else's), `down`. */
  state: "started" | "running" | "foreign" | "down";
  pid?: number;
  rssMiB?: number;
  startMs?: number;
}

/**
 * One service `up`/`down`/`status` manage (the secure stack in secure.ts defines its own). `kafka` makes the
 * Kafka clients a check needs (the stack knows the Kafka port only; the CLI hands it the kafkajs adapter).
 */
export interface ServiceDef {
  name: ServiceName;
  address: string;
  port: number;
  pidFile: string;
  healthy(kafka: KafkaClientFactory): Promise<boolean>;
  start(kafka: KafkaClientFactory): Promise<number>;
}

export function services(config: StackConfig): ServiceDef[] {
  const { host } = config;
  const kafkaAddress = `${host}:${config.kafka.port}`;
  const registryUrl = `http://${host}:${config.registry.port}/apis/ccompat/v7`;
  const clickhouseUrl = `http://${host}:${config.clickhouse.httpPort}`;
  return [
    {
      name: "clickhouse",
      address: clickhouseUrl,
      port: config.clickhouse.httpPort,
      pidFile: clickhousePaths(config).pidFile,
      healthy: () => clickhouseHealthy(clickhouseUrl),
      start: () => startClickhouse(config),
    },
    {
      name: "kafka",
      address: kafkaAddress,
      port: config.kafka.port,
      pidFile: kafkaPaths(config).pidFile,
      healthy: (kafka) => kafkaHealthy(kafka, [kafkaAddress]),
      start: (kafka) => startKafka(config, kafka),
    },
    {
      name: "registry",
      address: registryUrl,
      port: config.registry.port,
      pidFile: registryPaths(config).pidFile,
      healthy: () => registryHealthy(registryUrl),
      start: () => startRegistry(config),
    },
    ...(["payments-risk", "crm"] as const).map((name) => ({
      name,
      address: name === "crm" ? `${toolServerUrl(config, name)}/mcp` : `${toolServerUrl(config, name)}/risk`,
      port: name === "crm" ? config.tools.crmPort : config.tools.riskPort,
      pidFile: toolServerPaths(config, name).pidFile,
      healthy: () => toolServerHealthy(toolServerUrl(config, name)),
      start: () => startToolServer(config, name),
    })),
  ];
}

export async function statusOf(service: ServiceDef, kafka: KafkaClientFactory): Promise<ServiceStatus> {
  const pid = runningPid(service.pidFile);
  if (pid !== undefined) {
    return { name: service.name, address: service.address, state: "running", pid, rssMiB: rssMiB(pid) };
  }
  const foreign = (await portOpen(service.port)) && (await service.healthy(kafka));
  return { name: service.name, address: service.address, state: foreign ? "foreign" : "down" };
}

/** Installs and downloads what the services need (once; free afterwards). */
export function stackFetch(config: StackConfig = stackConfig()): void {
  findClickhouseServer();
  fetchKafka(config);
  fetchRegistry(config);
}

/** Starts what is not running, in parallel; waits until every service is healthy. */
export async function stackUp(
  kafka: KafkaClientFactory,
  config: StackConfig = stackConfig(),
): Promise<ServiceStatus[]> {
  stackFetch(config); // first, so start-up times measure start-up only
  return Promise.all(services(config).map((service) => ensureRunning(service, kafka)));
}

/** Reuses the service when it runs and is healthy, else starts it (refusing a port taken by someone else). */
export async function ensureRunning(service: ServiceDef, kafka: KafkaClientFactory): Promise<ServiceStatus> {
  const current = await statusOf(service, kafka);
  if (current.state === "running") {
    if (await service.healthy(kafka)) return current;
    await stopProcess(service.pidFile);
  }
  if (current.state === "foreign") return current;
  if (await portOpen(service.port)) {
    throw new Error(`${service.name}: port ${service.port} is taken by another process that is not ${service.name}`);
  }
  const started = Date.now();
  const pid = await service.start(kafka);
  return {
    name: service.name,
    address: service.address,
    state: "started" as const,
    pid,
    rssMiB: rssMiB(pid),
    startMs: Date.now() - started,
  };
}

/** Stops the services sluice started (by pid file); `only` limits it to some of them. */
export async function stackDown(config: StackConfig = stackConfig(), only?: ServiceName[]): Promise<ServiceStatus[]> {
  const chosen = services(config).filter((s) => !only || only.includes(s.name));
  return Promise.all(
    chosen.map(async (service) => {
      const pid = await stopProcess(service.pidFile);
      return {
        name: service.name,
        address: service.address,
        state: "down" as const,
        ...(pid !== undefined ? { pid } : {}),
      };
    }),
  );
}

export async function stackStatus(
  kafka: KafkaClientFactory,
  config: StackConfig = stackConfig(),
): Promise<ServiceStatus[]> {
  return Promise.all(services(config).map((service) => statusOf(service, kafka)));
}

/** Pids of every service sluice started that still runs: for tests that check `down` left nothing behind. */
export function stackPids(config: StackConfig = stackConfig()): number[] {
  return services(config)
    .map((s) => runningPid(s.pidFile))
    .filter((pid): pid is number => pid !== undefined && isAlive(pid));
}
