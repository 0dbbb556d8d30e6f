/**
 * `sluice stack up|down|status`: one line per service with its address, or JSON with `--json`. The stack's
 * modules load only when a stack command runs.
 */
import type { Command } from "commander";
import type { ServiceName, ServiceStatus } from "../../stack/stack.ts";
import { EXIT } from "../exit-codes.ts";

const stackModule = () => import("../../stack/stack.ts");
const secureModule = () => import("../../stack/secure.ts");
/** The Kafka port the stack's readiness checks use: the kafkajs adapter. */
const kafkaAdapter = async () => (await import("../../topologies/runtime/kafka/kafkajs-client.ts")).kafkaClientFor;

function line(s: ServiceStatus): string {
  const extra = [
    s.pid !== undefined ? `pid ${s.pid}` : undefined,
    s.rssMiB !== undefined ? `${s.rssMiB} MiB` : undefined,
    s.startMs !== undefined ? `ready in ${(s.startMs / 1000).toFixed(1)}s` : undefined,
  ].filter(Boolean);
  return `${s.name.padEnd(12)} ${s.state.padEnd(8)} ${s.address}${extra.length ? `  (${extra.join(", ")})` : ""}`;
}

function print(statuses: ServiceStatus[], json: boolean): void {
  process.stdout.write(json ? `${JSON.stringify(statuses, null, 2)}\n` : `${statuses.map(line).join("\n")}\n`);
}

export function registerStackCommand(program: Command): void {
  const stack = program
    .command("stack")
    .description("run the local stack: Kafka (KRaft), Apicurio schema registry, ClickHouse, on 127.0.0.1")
    .addHelpText(
      "after",
      "\nExamples:\n  sluice stack up\n  sluice stack status --json\n  sluice stack down\n  sluice stack up --secure\n\nPorts: SLUICE_KAFKA_PORT (29092), SLUICE_REGISTRY_PORT (28081), SLUICE_CLICKHOUSE_PORT (28123), SLUICE_SECURE_KAFKA_PORT (29094).\nState lives in .stack/ (SLUICE_STACK_DIR).",
    );

  stack
    .command("up")
    .description("start every service that is not running (idempotent) and wait until healthy")
    .option("--secure", "the secure stack instead: Kafka with SASL_SSL (SCRAM-SHA-512) and a ClickHouse password user")
    .option("--json", "print JSON")
    .action(async (options: { json?: boolean; secure?: boolean }) => {
      const { securePaths, secureStackUp } = await secureModule();
      const { stackUp } = await stackModule();
      const kafka = await kafkaAdapter();
      print(options.secure ? await secureStackUp(kafka) : await stackUp(kafka), options.json === true);
      if (options.secure && !options.json) process.stdout.write(`credentials: ${securePaths().credentials}\n`);
    });

  stack
    .command("down")
    .description("stop the services sluice started (by pid file)")
    .argument("[services...]", "kafka, registry, clickhouse, payments-risk, crm (default: all)")
    .option("--secure", "stop the secure Kafka")
    .option("--json", "print JSON")
    .action(async (services: ServiceName[], options: { json?: boolean; secure?: boolean }) => {
      const { secureStackDown } = await secureModule();
      const { stackDown } = await stackModule();
      const statuses = options.secure
        ? await secureStackDown()
        : await stackDown(undefined, services.length ? services : undefined);
      print(statuses, options.json === true);
    });

  stack
    .command("fetch")
    .description("install and download what the services need (Debian ClickHouse, Kafka and Apicurio from Maven)")
    .action(async () => {
      const { stackFetch } = await stackModule();
      stackFetch();
      process.stdout.write("stack artifacts ready\n");
    });

  stack
    .command("status")
    .description("say what is up; exit 1 when a service is down")
    .option("--secure", "the secure stack (secure Kafka and ClickHouse)")
    .option("--json", "print JSON")
    .action(async (options: { json?: boolean; secure?: boolean }) => {
      const { secureStackStatus } = await secureModule();
      const { stackStatus } = await stackModule();
      const kafka = await kafkaAdapter();
      const statuses = options.secure ? await secureStackStatus(kafka) : await stackStatus(kafka);
      print(statuses, options.json === true);
      if (statuses.some((s) => s.state === "down")) process.exitCode = EXIT.UNAVAILABLE;
    });
}
