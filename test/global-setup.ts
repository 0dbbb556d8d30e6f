/**
 * Integration and e2e tests run against real services. This starts the local stack once (or reuses a running
 * one, or uses external services named by KAFKA_BROKERS / SCHEMA_REGISTRY_URL / CLICKHOUSE_URL), exports the
 * endpoints to the test workers, and at the end stops only what it started.
 */
import { externalEndpoints, localEndpoints } from "../stack/config.ts";
import { type ServiceName, stackDown, stackUp } from "../stack/stack.ts";
import { kafkaClientFor } from "../topologies/runtime/kafka/kafkajs-client.ts";

export default async function setup(): Promise<() => Promise<void>> {
  const external = externalEndpoints();
  if (external) {
    return async () => {};
  }
  const statuses = await stackUp(kafkaClientFor);
  const started = statuses.filter((s) => s.state === "started").map((s) => s.name as ServiceName);
  const local = localEndpoints();
  process.env.KAFKA_BROKERS = local.kafkaBrokers.join(",");
  process.env.SCHEMA_REGISTRY_URL = local.schemaRegistryUrl;
  process.env.CLICKHOUSE_URL = local.clickhouseUrl;
  process.env.SLUICE_STACK_STARTED_BY_TESTS = started.join(",");
  return async () => {
    if (started.length > 0 && process.env.SLUICE_KEEP_STACK !== "1") await stackDown(undefined, started);
  };
}
