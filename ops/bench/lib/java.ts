/**
 * The Java side of the comparison: Kafka's own perf tools from the stack's jars (the broker's ceiling) and the
 * Kafka Streams baseline jar, built with Maven from ops/bench/kafka-streams-baseline when its sources changed.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { endpoints, stackConfig } from "../../../stack/config.ts";
import { REPO_ROOT } from "../../repo-root.ts";
import type { Launch } from "./processes.ts";

const run = promisify(execFile);
const BASELINE = join(REPO_ROOT, "ops/bench/kafka-streams-baseline");
export const BASELINE_JAR = join(BASELINE, "target/kafka-streams-baseline.jar");

function newestSource(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((newest, entry) => {
    const path = join(dir, entry.name);
    return Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }, 0);
}

/** `mvn -q -B package` unless the jar is newer than pom.xml and src/. Returns the seconds it took (0 if skipped). */
export async function buildBaseline(): Promise<number> {
  const sources = Math.max(statSync(join(BASELINE, "pom.xml")).mtimeMs, newestSource(join(BASELINE, "src")));
  if (existsSync(BASELINE_JAR) && statSync(BASELINE_JAR).mtimeMs > sources) return 0;
  const t0 = performance.now();
  await run("mvn", ["-q", "-B", "package"], { cwd: BASELINE, maxBuffer: 16 * 1024 * 1024 });
  return Number(((performance.now() - t0) / 1000).toFixed(1));
}

export function kafkaStreamsLaunch(name: string, input: string, output: string, schemaFile: string): Launch {
  const services = endpoints();
  return {
    name,
    command: "java",
    args: ["-jar", BASELINE_JAR],
    env: {
      BENCH_APP_ID: name,
      BENCH_INPUT: input,
      BENCH_OUTPUT: output,
      BENCH_SCHEMA: schemaFile,
      KAFKA_BROKERS: services.kafkaBrokers.join(","),
      SCHEMA_REGISTRY_URL: services.schemaRegistryUrl,
    },
  };
}

const kafkaClasspath = () => join(stackConfig().cacheDir, `kafka-${stackConfig().kafka.version}`, "*");

async function kafkaTool(main: string, args: string[]): Promise<string> {
  const { stdout } = await run("java", ["-cp", kafkaClasspath(), main, ...args], { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

export interface ProducerPerf {
  recordsPerSecond: number;
  mbPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * ProducerPerformance, acks=all (as the programs under test), `records` × `recordSize` B into `topic`, with larger
 * batches than the tool's defaults (linger.ms=10, batch.size=128 KiB): a ceiling, not a default-settings run.
 */
export async function producerPerformance(topic: string, records: number, recordSize: number): Promise<ProducerPerf> {
  const out = await kafkaTool("org.apache.kafka.tools.ProducerPerformance", [
    ...["--topic", topic, "--num-records", String(records), "--record-size", String(recordSize)],
    ...[
      "--throughput",
      "-1",
      "--producer-props",
      `bootstrap.servers=${endpoints().kafkaBrokers.join(",")}`,
      "acks=all",
    ],
  ]);
  // "100000 records sent, 81234.5 records/sec (23.24 MB/sec), 12.3 ms avg latency, ..., 5 ms 50th, ... 30 ms 99th, ..."
  const summary = out.trim().split("\n").pop() ?? "";
  const num = (re: RegExp) => Number(re.exec(summary)?.[1] ?? Number.NaN);
  return {
    recordsPerSecond: Math.round(num(/([\d.]+) records\/sec/)),
    mbPerSecond: num(/\(([\d.]+) MB\/sec\)/),
    p50Ms: num(/(\d+) ms 50th/),
    p99Ms: num(/(\d+) ms 99th/),
  };
}

/** ConsumerPerformance over `records` of `topic`; fetch.nMsg.sec leaves the group join out. */
export async function consumerPerformance(topic: string, records: number): Promise<{ recordsPerSecond: number }> {
  const out = await kafkaTool("org.apache.kafka.tools.ConsumerPerformance", [
    ...["--bootstrap-server", endpoints().kafkaBrokers.join(","), "--topic", topic],
    ...["--messages", String(records), "--group", `bench-consumer-perf-${Date.now()}`],
  ]);
  const lines = out.trim().split("\n");
  const header = (lines.find((l) => l.includes("nMsg.sec")) ?? "").split(",").map((s) => s.trim());
  const values = (lines[lines.length - 1] ?? "").split(",").map((s) => s.trim());
  const at = header.indexOf("fetch.nMsg.sec");
  return { recordsPerSecond: Math.round(Number(values[at >= 0 ? at : header.indexOf("nMsg.sec")])) };
}

export async function javaVersion(): Promise<string> {
  const { stderr } = await run("java", ["-version"]);
  return stderr.split("\n")[0] ?? "unknown";
}
