/**
 * The local stack as a user drives it: `sluice stack up && sluice stack status && sluice stack down` leaves no
 * process behind and no port taken, and schemas survive a restart (a record produced before `down`/`up` still
 * decodes). Runs a second, private stack on other ports and its own folder; needs Java, Maven and ClickHouse.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../ops/repo-root.ts";
import { isAlive, portOpen } from "../../stack/process.ts";
import { kafkaClientFor } from "../../topologies/runtime/kafka/kafkajs-client.ts";
import { readTopic } from "../helpers/kafka.ts";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "sluice-stack-"));
const ports = {
  kafka: 25092,
  controller: 25093,
  registry: 25081,
  management: 25091,
  http: 25123,
  tcp: 25000,
  risk: 25200,
  crm: 25201,
};
const env = {
  ...process.env,
  SLUICE_STACK_DIR: dir,
  SLUICE_STACK_CACHE: join(REPO_ROOT, ".stack", "cache"),
  SLUICE_KAFKA_PORT: String(ports.kafka),
  SLUICE_KAFKA_CONTROLLER_PORT: String(ports.controller),
  SLUICE_REGISTRY_PORT: String(ports.registry),
  SLUICE_REGISTRY_MANAGEMENT_PORT: String(ports.management),
  SLUICE_CLICKHOUSE_PORT: String(ports.http),
  SLUICE_CLICKHOUSE_TCP_PORT: String(ports.tcp),
  SLUICE_RISK_PORT: String(ports.risk),
  SLUICE_CRM_PORT: String(ports.crm),
};
// ClickHouse, Kafka, the registry and the two tool servers (payments-risk, crm).
const SERVICES = 5;

async function sluice(...args: string[]): Promise<{ stdout: string; code: number }> {
  try {
    const { stdout } = await run("node", [join(REPO_ROOT, "cli/bin.mjs"), ...args], { env, cwd: REPO_ROOT });
    return { stdout, code: 0 };
  } catch (error) {
    const e = error as { stdout?: string; code?: number };
    return { stdout: e.stdout ?? "", code: e.code ?? 1 };
  }
}

interface Status {
  name: string;
  state: string;
  pid?: number;
}

describe("sluice stack up/status/down", () => {
  afterAll(async () => {
    await sluice("stack", "down");
    rmSync(dir, { recursive: true, force: true });
  });

  it("starts, reports, restarts with schemas kept, and stops leaving nothing behind", async () => {
    const up = JSON.parse((await sluice("stack", "up", "--json")).stdout) as Status[];
    expect(up.map((s) => s.state)).toEqual(Array(SERVICES).fill("started"));
    const pids = up.map((s) => s.pid as number);
    for (const pid of pids) expect(isAlive(pid)).toBe(true);

    const again = JSON.parse((await sluice("stack", "up", "--json")).stdout) as Status[];
    expect(again.map((s) => s.state)).toEqual(Array(SERVICES).fill("running"));
    expect(again.map((s) => s.pid)).toEqual(pids);

    const status = await sluice("stack", "status");
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/kafka\s+running\s+127\.0\.0\.1:25092/);
    expect(status.stdout).toMatch(/payments-risk\s+running\s+http:\/\/127\.0\.0\.1:25200/);
    expect(status.stdout).toMatch(/crm\s+running\s+http:\/\/127\.0\.0\.1:25201/);

    // A record produced before a restart still decodes after it: the registry keeps its schemas on disk.
    const topic = "lifecycle";
    const brokers = [`127.0.0.1:${ports.kafka}`];
    const registryUrl = `http://127.0.0.1:${ports.registry}/apis/ccompat/v7`;
    const kafka = kafkaClientFor({ brokers });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics([{ topic, partitions: 1 }]);
    await admin.disconnect();
    const schema = { type: "record", name: "Kept", fields: [{ name: "x", type: "string" }] };
    const registry = new SchemaRegistry({ host: registryUrl });
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
      { subject: "kept" },
    );
    const producer = kafka.producer();
    await producer.connect();
    await producer.send(topic, [{ key: null, value: await registry.encode(id, { x: "survives" }) }]);
    await producer.disconnect();

    expect((await sluice("stack", "down")).code).toBe(0);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    expect((await sluice("stack", "up")).code).toBe(0);

    const [message] = await readTopic(kafkaClientFor({ brokers }), topic, (messages) => messages.length >= 1, {
      groupId: "lifecycle",
      timeoutMs: 600_000,
    });
    const value = message?.value as Buffer;
    expect(await new SchemaRegistry({ host: registryUrl }).decode(value)).toEqual({ x: "survives" });

    const down = JSON.parse((await sluice("stack", "down", "--json")).stdout) as Status[];
    for (const s of down) expect(isAlive(s.pid as number)).toBe(false);
    for (const port of Object.values(ports)) expect(await portOpen(port)).toBe(false);
    const after = await sluice("stack", "status");
    expect(after.code).toBe(3);
    expect(after.stdout).toMatch(/kafka\s+down/);
  });
});
