/**
 * The client chosen by measurement (issue 12, item 6): what each Node Kafka client costs with nothing else to do —
 * consume alone and produce alone on the passthrough input — and which has what sluice needs. kafkajs is in the
 * product's dependencies; the others are installed only for the bench, on demand, into ops/bench/clients/
 * (git-ignored node_modules, its own package.json), so `npm ci` stays as it is. Writes bench/results/clients.json.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../repo-root.ts";
import { CLIENTS_DIR, clientFloors, type FloorResult, PRODUCE_FLOOR_RECORDS } from "./lib/floors.ts";
import { writeResult } from "./lib/results.ts";
import { ensureInput } from "./lib/topics.ts";

const CONFLUENT = "@confluentinc/kafka-javascript";
const PLATFORMATIC = "@platformatic/kafka";

/** The floor programs, each with the client library and API it measures. */
const PROGRAMS = [
  { program: "kafkajs.ts", library: "kafkajs", api: "eachBatch / send" },
  {
    program: "platformatic.ts",
    library: PLATFORMATIC,
    api: "message stream / send",
    note: "produce not idempotent: with idempotent: true and 8 sends in flight it fails (OUT_OF_ORDER_SEQUENCE_NUMBER)",
  },
  { program: "confluent-kafkajs.ts", library: CONFLUENT, api: "KafkaJS-compatible eachBatch / send" },
  { program: "confluent-rdkafka.ts", library: CONFLUENT, api: "node-rdkafka-style consume(n) / produce()" },
] as const;

/**
 * What sluice needs of a client, per library, from each one's documentation and typings at the version measured
 * (checked in the installed package where a typing exists). `partial` says what is missing.
 */
export const FEATURES = {
  kafkajs: {
    consumerGroupsWithRebalance: "yes (GROUP_JOIN, eager protocol only)",
    manualCommits: "yes (commitOffsets, resolveOffset)",
    pauseResumePerPartition: "yes (consumer.pause([{ topic, partitions }]))",
    transactionsWithSendOffsets: "yes (transaction.sendOffsets)",
    saslScramOverTls: "yes (ssl + sasl scram-sha-256/512)",
  },
  [PLATFORMATIC]: {
    consumerGroupsWithRebalance: "yes (consumer:group:rebalance event; classic and KIP-848 protocols)",
    manualCommits: "yes (message.commit(), consumer.commit({ offsets }))",
    pauseResumePerPartition: "partial: pause()/resume() of the whole message stream, no per-partition pause in 1.x",
    transactionsWithSendOffsets: "yes (producer.beginTransaction(); transaction.addOffset / addConsumer)",
    saslScramOverTls: "yes (SCRAM-SHA-256/512, tls options)",
  },
  [CONFLUENT]: {
    consumerGroupsWithRebalance: "yes (librdkafka rebalance callback; cooperative-sticky available)",
    manualCommits: "yes (commitOffsets / commit)",
    pauseResumePerPartition: "yes (pause / resume of topic-partitions)",
    transactionsWithSendOffsets: "yes (transaction.sendOffsets in the KafkaJS API; sendOffsetsToTransaction)",
    saslScramOverTls: "yes (librdkafka SASL_SSL with SCRAM; needs libsasl2/OpenSSL at build)",
  },
} as const;

function installedVersion(name: string): string | undefined {
  const file = join(CLIENTS_DIR, "node_modules", name, "package.json");
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version : undefined;
}

function kafkajsVersion(): string {
  const file = join(REPO_ROOT, "node_modules/kafkajs/package.json");
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

/** The native add-on really loads: librdkafka's version, or throws with the loader's message. */
function confluentAddon(): string {
  return execFileSync(
    "node",
    ["-e", `import("${CONFLUENT}").then((m) => console.log((m.default ?? m).librdkafkaVersion))`],
    { cwd: CLIENTS_DIR, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
  ).trim();
}

/**
 * Installs the bench-only clients into ops/bench/clients when missing (the Confluent client builds librdkafka
 * from source: Debian's libsasl2-dev libzstd-dev liblz4-dev, about 90 s on 2 cores), and checks the add-on loads.
 */
export function ensureClients(): { installed: boolean; seconds: number; librdkafka: string } {
  let loads: string | undefined;
  try {
    loads = installedVersion(PLATFORMATIC) && installedVersion(CONFLUENT) ? confluentAddon() : undefined;
  } catch {
    loads = undefined;
  }
  if (loads) return { installed: false, seconds: 0, librdkafka: loads };
  console.error(`clients: installing ${PLATFORMATIC} and ${CONFLUENT} into ${CLIENTS_DIR} (builds librdkafka, ~90 s)`);
  const t0 = performance.now();
  const env = { ...process.env, CKJS_LINKING: "dynamic", npm_config_nodedir: "/usr" };
  const npm = (args: string[]) => execFileSync("npm", args, { cwd: CLIENTS_DIR, env, stdio: ["ignore", 2, 2] });
  npm(["install", "--no-audit", "--no-fund", "--foreground-scripts"]);
  try {
    loads = confluentAddon();
  } catch {
    // npm 11 may skip install scripts awaiting approval: run the add-on's build explicitly.
    npm(["rebuild", CONFLUENT, "--foreground-scripts"]);
    loads = confluentAddon();
  }
  return { installed: true, seconds: Math.round((performance.now() - t0) / 1000), librdkafka: loads };
}

export interface ClientFloor {
  library: string;
  version: string;
  api: string;
  note?: string;
  consume: FloorResult;
  produce: FloorResult;
}

/**
 * Every client's floors on the passthrough input of `records`; `kafkajs` reuses the kafkajs floors the passthrough
 * section measured earlier in the same run instead of measuring them twice.
 */
export async function benchClients(records: number, kafkajs?: { consume: FloorResult; produce: FloorResult }) {
  const install = ensureClients();
  console.error(
    `clients: librdkafka ${install.librdkafka}${install.installed ? `, installed in ${install.seconds} s` : ""}`,
  );
  const input = `bench-pt-in-${records}`;
  const schemaId = await ensureInput(input, records);
  const floors: ClientFloor[] = [];
  for (const { program, library, api, ...rest } of PROGRAMS) {
    const version = library === "kafkajs" ? kafkajsVersion() : (installedVersion(library) ?? "?");
    const measured = library === "kafkajs" && kafkajs ? kafkajs : await clientFloors(program, input, records, schemaId);
    floors.push({ library, version, api, ...rest, ...measured });
  }
  const base = floors[0] as ClientFloor;
  const vsKafkajs = Object.fromEntries(
    floors.slice(1).map((f) => [
      `${f.library} (${f.api})`,
      {
        consumeRecordsPerSecond: Number((f.consume.recordsPerSecond / base.consume.recordsPerSecond).toFixed(2)),
        consumeCpuPer1000: Number((f.consume.cpuSecondsPer1000 / base.consume.cpuSecondsPer1000).toFixed(2)),
        produceRecordsPerSecond: Number((f.produce.recordsPerSecond / base.produce.recordsPerSecond).toFixed(2)),
        produceCpuPer1000: Number((f.produce.cpuSecondsPer1000 / base.produce.cpuSecondsPer1000).toFixed(2)),
      },
    ]),
  );
  const result = {
    input: { topic: input, records, produced: Math.min(records, PRODUCE_FLOOR_RECORDS), partitions: 6 },
    method:
      "each client alone in its own process: consume the whole input from the beginning (fresh group, no commits), " +
      "produce `input.produced` records of the input's size into a fresh 6-partition topic (1 000 per send, 8 in flight, " +
      "acks all, idempotent); window from the first record / first send to the last; CPU from process.cpuUsage()",
    install,
    floors,
    vsKafkajs,
    features: FEATURES,
  };
  writeResult("clients", result);
  return result;
}
