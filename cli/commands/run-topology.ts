/**
 * What `sluice run` does (cli/commands/run.ts declares it): join the topology's consumer group and process its
 * partitions until SIGTERM/SIGINT, or start `--instances N` such processes. Imported only when `run` runs, so the
 * Kafka client, the sinks and the AI stages never load for `--help`, `validate` or `describe`.
 */
import { fork } from "node:child_process";
import type { Server } from "node:http";
import { hostname } from "node:os";
import type { Logger } from "pino";
import { ConfigError } from "../../core/errors.ts";
import { createLogger } from "../../core/logger.ts";
import { compileForRun } from "../../topologies/compiler-services.ts";
import { Application } from "../../topologies/runtime/application.ts";
import { startControlReader } from "../../topologies/runtime/control-reader.ts";
import { type HealthSource, startHttpServer } from "../../topologies/runtime/http-server.ts";
import { authFailure, checkKafkaAccess } from "../../topologies/runtime/kafka/kafkajs-access.ts";
import { kafkaConfig } from "../../topologies/runtime/kafka/kafkajs-client.ts";
import { TopologyResources } from "../../topologies/runtime/resources.ts";
import { startTracingSdk } from "../../topologies/runtime/tracing.ts";
import { loadTopologyFile } from "../../topologies/yaml-loader.ts";
import { EXIT } from "../exit-codes.ts";
import { asOfFromFlags } from "./replay-topology.ts";

export interface RunOptions {
  instances: number;
  runId: string;
  drainTimeout: number;
  /**
   * Port of /metrics, /healthz, /readyz; 0 turns the server off. Given explicitly, a port in use is an error;
   * by default 9464 (or SLUICE_METRICS_PORT) is tried, then the next free one, so local instances coexist.
   */
  metricsPort?: number;
  /** Enrich from the knowledge-base version current at each event's timestamp. @default false */
  asOf?: boolean;
  /** `fail` or `nearest` when that version was cleaned up. @default "fail" */
  asOfFallback?: string;
}

export async function runTopology(file: string, options: RunOptions): Promise<number> {
  // A stop asked for before the member exists (a pod stopped while it starts): nothing was consumed, exit 0.
  const early = () => process.exit(EXIT.OK);
  process.once("SIGTERM", early);
  process.once("SIGINT", early);
  // cli/bin.mjs covered the module loading the same way: this handler replaces its.
  dropLoadingHandler();
  const asOf = asOfFromFlags(options.asOf === true, options.asOfFallback);
  const topology = compileForRun(loadTopologyFile(file)); // the checks `sluice validate` makes, before connecting
  await checkKafkaAccess(kafkaConfig(topology)); // a wrong password or certificate: AuthError (exit 4), no retries
  const logger = createLogger({ base: { topology: topology.spec.applicationId, runId: options.runId } });
  const resources = new TopologyResources(topology, { runId: options.runId, logger });
  let fatal: unknown;
  let app: Application | undefined;
  const health = {
    live: () => fatal === undefined && app?.state.is("failed") !== true,
    notReady: () => app?.notReady() ?? ["starting"],
    tasks: () => app?.report(),
  };
  const server = await serveHealth(options.metricsPort, health, logger);
  const endpoint = advertisedEndpoint(server);
  await startTracingSdk(logger);
  // Rollouts (`sluice rollout`): the control topic's latest weights before the first record, then as they change.
  const control = await startControlReader(topology, logger);
  const done = new Promise<void>((resolve) => {
    app = new Application({
      topology,
      resources,
      logger,
      runId: options.runId,
      ...(endpoint ? { endpoint } : {}),
      ...(asOf.enabled ? { auditDetails: { asOf } } : {}),
      onFatal: (error) => {
        fatal = error;
        logger.error({ err: error }, "stopping after a fatal error");
        void app?.stop(options.drainTimeout).finally(resolve);
      },
    });
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        logger.warn({ signal }, "second signal: exiting now");
        process.exit(EXIT.INTERRUPTED);
      }
      logger.info({ signal }, "stopping: draining in-flight records");
      void app?.stop(options.drainTimeout).then((drained) => {
        logger.info({ drained }, "stopped");
        resolve();
      });
    };
    process.off("SIGTERM", early);
    process.off("SIGINT", early);
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
    app.start().catch((error: unknown) => {
      fatal = error;
      resolve();
    });
  });
  await done;
  await control?.stop().catch(() => {});
  server?.close();
  // Everything is drained, committed and closed: a client handle left open must not keep a stopped member alive.
  setTimeout(() => process.exit(process.exitCode ?? (fatal === undefined ? 0 : 1)), 3000).unref();
  if (fatal !== undefined) throw authFailure(fatal, kafkaConfig(topology)) ?? fatal;
  return EXIT.OK;
}

/**
 * Where other processes reach this member's HTTP server: SLUICE_ADVERTISED_HOST (in Kubernetes the pod IP, from
 * the downward API), else the host name.
 */
function advertisedEndpoint(server: Server | undefined): string | undefined {
  const address = server?.address();
  if (!address || typeof address === "string") return undefined;
  return `http://${process.env.SLUICE_ADVERTISED_HOST || hostname()}:${address.port}`;
}

async function serveHealth(port: number | undefined, health: HealthSource, logger: Logger) {
  if (port === 0) return undefined;
  if (port !== undefined) return startHttpServer(port, health);
  const base = Number(process.env.SLUICE_METRICS_PORT ?? 9464);
  if (base === 0) return undefined;
  for (let candidate = base; candidate < base + 32; candidate++) {
    try {
      const server = await startHttpServer(candidate, health);
      logger.info({ port: candidate }, "serving /metrics, /healthz, /readyz");
      return server;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
    }
  }
  logger.warn({ from: base }, "no free port for /metrics near the default: metrics are off");
  return undefined;
}

/** Starts `count` child `sluice run` processes and forwards SIGTERM/SIGINT to them. */
/** Removes cli/bin.mjs' stop-while-loading handler (exit 0 at once), which must not outlive the loading. */
function dropLoadingHandler(): void {
  const loading = (globalThis as { sluiceStopWhileLoading?: () => void }).sluiceStopWhileLoading;
  if (loading) {
    process.off("SIGTERM", loading);
    process.off("SIGINT", loading);
  }
}

export async function runInstances(file: string, options: RunOptions): Promise<number> {
  // The parent must forward a stop to its children, not exit at once leaving them running.
  dropLoadingHandler();
  const children = Array.from({ length: options.instances }, (_, i) =>
    fork(
      process.argv[1] as string,
      [
        "run",
        file,
        "--run-id",
        options.runId,
        "--drain-timeout",
        String(options.drainTimeout),
        ...(options.asOf ? ["--as-of", "--as-of-fallback", options.asOfFallback ?? "fail"] : []),
        ...(options.metricsPort === undefined
          ? []
          : ["--metrics-port", String(options.metricsPort > 0 ? options.metricsPort + i : 0)]),
      ],
      {
        env: { ...process.env, SLUICE_INSTANCE: String(i) },
        stdio: "inherit",
      },
    ),
  );
  const forward = (signal: NodeJS.Signals) => {
    for (const child of children) if (child.exitCode === null) child.kill(signal);
  };
  process.on("SIGTERM", forward);
  process.on("SIGINT", forward);
  const codes = await Promise.all(
    children.map((child) => new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? 1)))),
  );
  return codes.find((code) => code !== 0) ?? EXIT.OK;
}
