/**
 * Where the real local stack answers, for integration tests: read from the env vars test/global-setup.ts exports,
 * with the loopback defaults of `sluice stack up`.
 */
import { randomBytes } from "node:crypto";

export interface Services {
  kafkaBrokers: string[];
  schemaRegistryUrl: string;
  clickhouseUrl: string;
}

/** The service endpoints this test run uses. */
export function services(): Services {
  const env = process.env;
  return {
    kafkaBrokers: (env.KAFKA_BROKERS ?? "127.0.0.1:19092")
      .split(",")
      .map((broker) => broker.trim())
      .filter((broker) => broker.length > 0),
    schemaRegistryUrl: env.SCHEMA_REGISTRY_URL ?? "http://127.0.0.1:18081/apis/ccompat/v7",
    clickhouseUrl: env.CLICKHOUSE_URL ?? "http://127.0.0.1:18123",
  };
}

/** A name no other test (or earlier run) uses: `<prefix>-<time>-<random>`, safe for topics and subjects. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
}
