/**
 * The secure stack as a user drives it: `sluice stack up --secure` (Kafka SASL_SSL + SCRAM-SHA-512 with a
 * private CA, ClickHouse password user), `sluice run` over SASL_SSL, and the failures a user meets: a wrong
 * password and an untrusted certificate end at once with exit code 4; no password reaches any output. Runs a
 * private secure stack in a temp folder on its own ports (jars from the repo's cache); needs Java, ClickHouse, openssl.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../analytics/migrate.ts";
import type { KafkaConnection } from "../../core/kafka.ts";
import { REPO_ROOT } from "../../ops/repo-root.ts";
import { buildKnowledgeBase } from "../../processors/knowledge-base.ts";
import { produce } from "../../produce/produce.ts";
import { generate } from "../../produce/readers.ts";
import { isAlive, portOpen } from "../../stack/process.ts";
import { kafkaClientFor } from "../../topologies/runtime/kafka/kafkajs-client.ts";
import { readTopic } from "../helpers/kafka.ts";

const dir = mkdtempSync(join(tmpdir(), "sluice-secure-"));
const ports = { kafka: 24294, controller: 24295, http: 24223, tcp: 24200, metrics: 24296 };
const env: NodeJS.ProcessEnv = {
  ...process.env,
  SLUICE_STACK_DIR: dir,
  SLUICE_STACK_CACHE: join(REPO_ROOT, ".stack", "cache"),
  SLUICE_SECURE_KAFKA_PORT: String(ports.kafka),
  SLUICE_SECURE_KAFKA_CONTROLLER_PORT: String(ports.controller),
  SLUICE_CLICKHOUSE_PORT: String(ports.http),
  SLUICE_CLICKHOUSE_TCP_PORT: String(ports.tcp),
  SLUICE_LOG_LEVEL: "debug",
};
const BIN = join(REPO_ROOT, "cli/bin.mjs");

interface Result {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `sluice …` to its end (or until `stopWhen` resolves, then SIGTERM), capturing everything it prints. */
function sluice(args: string[], extraEnv: NodeJS.ProcessEnv = {}, stopWhen?: Promise<unknown>): Promise<Result> {
  const started = Date.now();
  const child = spawn("node", [BIN, ...args], { env: { ...env, ...extraEnv }, cwd: REPO_ROOT });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  void stopWhen?.then(() => child.kill("SIGTERM"));
  return new Promise((resolve) =>
    child.on("exit", (code) => resolve({ code: code ?? 1, stdout, stderr, ms: Date.now() - started })),
  );
}

function credentials(): Record<string, string> {
  const text = readFileSync(join(dir, "secure", "credentials.env"), "utf8");
  return Object.fromEntries(text.split("\n").flatMap((l) => (/^[A-Z_]+=/.test(l) ? [l.split(/=(.*)/s, 2)] : [])));
}

function topology(name: string, kafka: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `applicationId: ${name}
kafka:
${kafka}
sources: [{ name: in, topic: secure-in, value: { format: json } }]
sinks: [{ name: out, type: kafka, from: in, kafka: { topic: secure-out, value: { format: json } } }]
`,
  );
  return file;
}

let creds: Record<string, string> = {};
let upOutput = "";
let connection: KafkaConnection;
const secureKafka = () => kafkaClientFor(connection);

describe("sluice stack up --secure and sluice run over SASL_SSL", () => {
  beforeAll(async () => {
    const up = await sluice(["stack", "up", "--secure"]);
    upOutput = up.stdout + up.stderr;
    expect(up.code, upOutput).toBe(0);
    creds = credentials();
    connection = {
      brokers: [`127.0.0.1:${ports.kafka}`],
      ssl: { ca: readFileSync(creds.SLUICE_SECURE_KAFKA_CA_FILE as string, "utf8"), rejectUnauthorized: true },
      sasl: { mechanism: "scram-sha-512", username: "sluice", password: creds.SLUICE_SECURE_KAFKA_PASSWORD as string },
    };
    const admin = secureKafka().admin();
    await admin.connect();
    await admin.createTopics(["secure-in", "secure-out", "secure-copy.dlq"].map((topic) => ({ topic, partitions: 2 })));
    await admin.disconnect();
  });

  afterAll(async () => {
    const pidFile = join(dir, "secure", "kafka", "kafka.pid");
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8")) : undefined;
    await sluice(["stack", "down", "--secure"]);
    await sluice(["stack", "down", "clickhouse"]);
    if (pid !== undefined) expect(isAlive(pid)).toBe(false);
    for (const port of Object.values(ports)) expect(await portOpen(port)).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps the generated passwords private and gives ClickHouse a password user", async () => {
    expect(statSync(join(dir, "secure", "credentials.env")).mode & 0o777).toBe(0o600);
    expect(upOutput).toContain(join(dir, "secure", "credentials.env"));
    for (const key of ["SLUICE_SECURE_KAFKA_PASSWORD", "SLUICE_SECURE_CLICKHOUSE_PASSWORD"]) {
      expect(creds[key]).toMatch(/^[0-9a-f]{48}$/);
      expect(upOutput).not.toContain(creds[key]);
    }
    const query = (key: string) =>
      fetch(`${creds.SLUICE_SECURE_CLICKHOUSE_URL}/?query=SELECT%2042`, {
        headers: { "X-ClickHouse-User": "sluice", "X-ClickHouse-Key": key },
      });
    const ok = await query(creds.SLUICE_SECURE_CLICKHOUSE_PASSWORD as string);
    expect(await ok.text()).toBe("42\n");
    expect((await query("not-the-password")).status).not.toBe(200);
    const status = await sluice(["stack", "status", "--secure"]);
    expect(status.stdout).toMatch(new RegExp(`kafka-secure\\s+running\\s+SASL_SSL 127\\.0\\.0\\.1:${ports.kafka}`));
  });

  it("copies records end to end over SASL_SSL, with the password from the environment and the CA from a file", async () => {
    const count = 300;
    const producer = secureKafka().producer();
    await producer.connect();
    const messages = Array.from({ length: count }, (_, i) => ({ key: `k${i % 7}`, value: JSON.stringify({ id: i }) }));
    await producer.send("secure-in", messages);
    await producer.disconnect();

    const seen = new Set<number>();
    const stopReading = new AbortController();
    const copied = readTopic(
      secureKafka(),
      "secure-out",
      (read) => {
        for (const message of read) seen.add((JSON.parse(String(message.value)) as { id: number }).id);
        return seen.size === count;
      },
      { groupId: "secure-check", timeoutMs: 600_000, signal: stopReading.signal },
    );
    const file = topology(
      "secure-copy",
      `  brokers: \${SLUICE_SECURE_KAFKA_BROKERS}
  ssl: { ca: "\${file:${creds.SLUICE_SECURE_KAFKA_CA_FILE}}" }
  sasl: { mechanism: scram-sha-512, username: sluice, password: "\${KAFKA_PASSWORD}" }`,
    );
    const password = creds.SLUICE_SECURE_KAFKA_PASSWORD as string;
    const extra = { KAFKA_PASSWORD: password, SLUICE_SECURE_KAFKA_BROKERS: `127.0.0.1:${ports.kafka}` };
    let metrics = "";
    const scraped = copied.then(async () => {
      metrics = await (await fetch(`http://127.0.0.1:${ports.metrics}/metrics`)).text();
    });
    const args = ["run", file, "--drain-timeout", "5000", "--metrics-port", String(ports.metrics)];
    const run = await sluice(args, extra, scraped);
    stopReading.abort();
    await copied;
    expect(run.code, run.stderr).toBe(0);
    expect(seen.size).toBe(count);
    expect(run.stderr).toContain("consuming"); // logs go to stderr, at debug level here
    expect(run.stdout + run.stderr).not.toContain(password);
    expect(metrics).toContain("sluice_");
    expect(metrics).not.toContain(password);

    const described = await sluice(["describe", file], extra);
    expect(described.code).toBe(0);
    expect(described.stdout).toContain('"password":"[redacted]"');
    expect(described.stdout + described.stderr).not.toContain(password);
  });

  it("runs the reference topology end to end over SASL_SSL, into ClickHouse as the password user", async () => {
    const events = 300;
    const chUrl = creds.SLUICE_SECURE_CLICKHOUSE_URL as string;
    const chPassword = creds.SLUICE_SECURE_CLICKHOUSE_PASSWORD as string;
    await migrate(chUrl, { username: "sluice", password: chPassword });
    await buildKnowledgeBase(join(REPO_ROOT, "models/kb/docs.jsonl"), {
      db: join(dir, "lancedb"),
      table: "support_kb",
      encoder: join(REPO_ROOT, "models/encoder"),
    });
    const admin = secureKafka().admin();
    await admin.connect();
    await admin.createTopics(
      ["triage-events", "triage-decisions", "secure-triage.dlq"].map((topic) => ({ topic, partitions: 2 })),
    );
    await admin.disconnect();
    const sent = await produce(generate(events, 3), {
      kafka: secureKafka(),
      registryUrl: process.env.SCHEMA_REGISTRY_URL as string,
      topic: "triage-events",
      schemaFile: join(REPO_ROOT, "schemas/enterprise-event.avsc"),
      keyField: "tenant_id",
    });
    expect(sent.sent).toBe(events);

    let text = readFileSync(join(REPO_ROOT, "topologies/examples/support-triage.yaml"), "utf8").replaceAll(
      "../../",
      `${REPO_ROOT}/`,
    );
    text = text.replace("applicationId: support-triage", "applicationId: secure-triage");
    text = text.replace(
      /kafka:\n {2}brokers: .*\n {2}clientId: support-triage\n/,
      `kafka:
  brokers: 127.0.0.1:${ports.kafka}
  ssl: { ca: "\${file:${creds.SLUICE_SECURE_KAFKA_CA_FILE}}" }
  sasl: { mechanism: scram-sha-512, username: sluice, password: "\${KAFKA_PASSWORD}" }
`,
    );
    text = text.replace(
      /clickhouse:\n {2}url: .*\n {2}password: .*\n/,
      `clickhouse:
  url: ${chUrl}
  username: sluice
  password: "\${CH_PASSWORD}"
`,
    );
    text = text
      .replace("topic: enterprise-events", "topic: triage-events")
      .replace("topic: agent-decisions", "topic: triage-decisions");
    const file = join(dir, "secure-triage.yaml");
    writeFileSync(file, text);

    let decided = 0;
    const stopReading = new AbortController();
    const done = readTopic(
      secureKafka(),
      "triage-decisions",
      (read) => {
        decided = read.length;
        return decided >= events;
      },
      { groupId: "secure-triage-check", timeoutMs: 600_000, signal: stopReading.signal },
    );
    const secrets = { KAFKA_PASSWORD: creds.SLUICE_SECURE_KAFKA_PASSWORD as string, CH_PASSWORD: chPassword };
    const run = await sluice(
      ["run", file, "--metrics-port", "0", "--drain-timeout", "10000"],
      { ...secrets, SLUICE_KB_DB: join(dir, "lancedb") },
      done,
    );
    stopReading.abort();
    await done;
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    expect(decided).toBe(events);
    expect(run.stdout + run.stderr).not.toContain(secrets.KAFKA_PASSWORD);
    expect(run.stdout + run.stderr).not.toContain(chPassword);
    const rows = await fetch(
      `${chUrl}/?query=${encodeURIComponent("SELECT count() FROM agent_decisions FINAL WHERE source_topic = 'triage-events'")}`,
      {
        headers: { "X-ClickHouse-User": "sluice", "X-ClickHouse-Key": chPassword },
      },
    );
    expect(Number((await rows.text()).trim())).toBe(events);
  });

  it("fails fast with exit code 4 and one clear error on a wrong password, which it never prints", async () => {
    const wrong = "wrong-password-5f0c2a9e";
    const file = topology(
      "secure-wrong",
      `  brokers: 127.0.0.1:${ports.kafka}
  ssl: { ca: "\${file:${creds.SLUICE_SECURE_KAFKA_CA_FILE}}" }
  sasl: { mechanism: scram-sha-512, username: sluice, password: "\${KAFKA_PASSWORD}" }`,
    );
    const run = await sluice(["run", file], { KAFKA_PASSWORD: wrong });
    expect(run.code).toBe(4);
    expect(run.ms).toBeLessThan(15_000);
    expect(run.stderr).toMatch(
      new RegExp(
        `kafka 127\\.0\\.0\\.1:${ports.kafka}: authentication failed for user "sluice" \\(SASL SCRAM-SHA-512\\)`,
      ),
    );
    expect(run.stderr.trim().split("\n")).toHaveLength(1); // one error, no retry storm
    expect(run.stdout + run.stderr).not.toContain(wrong);
    const described = await sluice(["describe", file], { KAFKA_PASSWORD: wrong });
    expect(described.stdout + described.stderr).not.toContain(wrong);
  });

  it("names the host in a TLS error when the client does not trust the broker's CA", async () => {
    const password = creds.SLUICE_SECURE_KAFKA_PASSWORD as string;
    const file = topology(
      "secure-no-ca",
      `  brokers: 127.0.0.1:${ports.kafka}
  ssl: true
  sasl: { mechanism: scram-sha-512, username: sluice, password: "\${file:${creds.SLUICE_SECURE_KAFKA_PASSWORD_FILE}}" }`,
    );
    const run = await sluice(["run", file]);
    expect(run.code).toBe(4);
    expect(run.ms).toBeLessThan(15_000);
    expect(run.stderr).toContain(`kafka 127.0.0.1:${ports.kafka}: TLS handshake failed`);
    expect(run.stderr).toMatch(/SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
    expect(run.stdout + run.stderr).not.toContain(password);
    const described = await sluice(["describe", file]);
    expect(described.stdout).toContain('"password":"[redacted]"');
    expect(described.stdout + described.stderr).not.toContain(password);
  });
});
