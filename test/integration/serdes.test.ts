/**
 * Avro serde and registry tools against the real Apicurio registry (Confluent-compatible API): wire format,
 * reader/writer resolution across registered versions, poison vs transient classification, and
 * `sluice schemas register|check`. Needs the local stack (test/global-setup.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, PoisonRecordError, TransientError } from "../../core/errors.ts";
import { AvroSerde } from "../../schemas/avro-serde.ts";
import { checkCompatibility, registerSchemas } from "../../schemas/registry-tools.ts";
import { wireHeader } from "../../schemas/wire-format.ts";
import { services, uniqueName } from "../helpers/services.ts";

const registryUrl = services().schemaRegistryUrl;

const orderV1 = {
  type: "record",
  name: "Order",
  namespace: "sluice.test",
  fields: [
    { name: "id", type: "string" },
    { name: "amount", type: "int" },
    { name: "customer", type: { type: "record", name: "Customer", fields: [{ name: "email", type: "string" }] } },
  ],
};
/** BACKWARD-compatible evolution: int → long, a new optional field with a default. */
const orderV2 = {
  ...orderV1,
  fields: [
    { name: "id", type: "string" },
    { name: "amount", type: "long" },
    { name: "customer", type: { type: "record", name: "Customer", fields: [{ name: "email", type: "string" }] } },
    { name: "note", type: ["null", "string"], default: null },
  ],
};
const order = { id: "o-1", amount: 1200, customer: { email: "a@example.com" } };

async function latest(subject: string): Promise<{ id: number; version: number }> {
  const response = await fetch(`${registryUrl}/subjects/${subject}/versions/latest`);
  expect(response.status).toBe(200);
  return (await response.json()) as { id: number; version: number };
}

/** A TCP port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("AvroSerde on the real registry", () => {
  it("writes the Confluent wire format: magic byte 0, then the id the registry holds for the subject", async () => {
    const topic = uniqueName("orders");
    const serde = new AvroSerde({ registryUrl, schema: orderV1 });
    const bytes = await serde.serialize(topic, order);
    const registered = await latest(`${topic}-value`);
    expect(bytes[0]).toBe(0);
    expect(bytes.readUInt32BE(1)).toBe(registered.id);
    expect(await serde.writerSchemaId(topic)).toBe(registered.id);
    const decoded = await new AvroSerde({ registryUrl, schema: orderV1 }).deserialize(topic, bytes);
    expect(decoded).toEqual({ value: order, writerSchemaId: registered.id });
    // A value larger than the encoder's scratch buffer still round-trips whole.
    const big = { ...order, id: "x".repeat(200_000) };
    const bigBytes = await serde.serialize(topic, big);
    expect((await serde.deserialize(topic, bigBytes)).value).toEqual(big);
    expect((await serde.deserialize(topic, await serde.serialize(topic, order))).value).toEqual(order);
  });

  it("reads records written with an older schema into the newer reader schema", async () => {
    const topic = uniqueName("orders");
    const oldBytes = await new AvroSerde({ registryUrl, schema: orderV1 }).serialize(topic, order);
    const v2 = new AvroSerde({ registryUrl, schema: orderV2 });
    const newBytes = await v2.serialize(topic, { ...order, id: "o-2", amount: 2 ** 40, note: "big" });
    const versions = await (await fetch(`${registryUrl}/subjects/${topic}-value/versions`)).json();
    expect(versions).toEqual([1, 2]);
    expect(oldBytes.readUInt32BE(1)).not.toBe(newBytes.readUInt32BE(1));

    expect((await v2.deserialize(topic, oldBytes)).value).toEqual({ ...order, note: null });
    expect((await v2.deserialize(topic, newBytes)).value).toMatchObject({ amount: 2 ** 40, note: "big" });
    // Without a reader schema, values keep their writer's shape.
    const writerShaped = await new AvroSerde({ registryUrl }).deserialize(topic, oldBytes);
    expect(writerShaped.value).toEqual(order);
    // An old reader cannot read a long as an int: that record is poison, not a crash.
    const old = new AvroSerde({ registryUrl, schema: orderV1 });
    await expect(old.deserialize(topic, newBytes)).rejects.toThrow(/cannot be read as sluice.test.Order/);
  });

  it("classifies bytes that can never decode as poison, naming topic/partition@offset and the cause", async () => {
    const topic = uniqueName("orders");
    const serde = new AvroSerde({ registryUrl, schema: orderV1 });
    const good = await serde.serialize(topic, order);
    const at = { partition: 2, offset: 1234 };
    const cases: [Buffer, RegExp][] = [
      [Buffer.concat([wireHeader(2_000_000_017), good.subarray(5)]), /: unknown schema id 2000000017$/],
      [Buffer.from('{"id":"o-1"}'), /: bad magic byte 0x7b/],
      [good.subarray(0, 3), /: truncated header/],
      [good.subarray(0, good.length - 4), /: undecodable body for schema id \d+: truncated buffer/],
    ];
    for (const [bytes, reason] of cases) {
      const error = await serde.deserialize(topic, bytes, at).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PoisonRecordError);
      expect((error as Error).message).toMatch(new RegExp(`^decoding ${topic}/2@1234`));
      expect((error as Error).message).toMatch(reason);
    }
  });

  it("does not dead-letter when the registry URL is not a Confluent API (a 404 without error code 40403)", async () => {
    const topic = uniqueName("orders");
    const good = await new AvroSerde({ registryUrl, schema: orderV1 }).serialize(topic, order);
    const wrongPath = new URL(registryUrl).origin; // Apicurio's root: 404 for /schemas/ids/N, but not Confluent's
    const error = await new AvroSerde({ registryUrl: wrongPath }).deserialize(topic, good).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/without the Confluent error code 40403/);
  });

  it("refuses a value that does not fit the schema, naming the offending fields", async () => {
    const serde = new AvroSerde({ registryUrl, schema: orderV1 });
    const bad = { id: "o-3", amount: "12", customer: { email: 42 } };
    const error = await serde.serialize(uniqueName("orders"), bad as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoisonRecordError);
    expect((error as Error).message).toMatch(/field amount: "12" is not a valid int/);
    expect((error as Error).message).toMatch(/field customer.email: 42 is not a valid string/);
  });

  it("fails with a ConfigError when registering an incompatible writer schema", async () => {
    const topic = uniqueName("orders");
    await new AvroSerde({ registryUrl, schema: orderV1 }).serialize(topic, order);
    const incompatible = { ...orderV1, fields: [...orderV1.fields, { name: "priority", type: "int" }] };
    const serde = new AvroSerde({ registryUrl, schema: incompatible });
    await expect(serde.serialize(topic, { ...order, priority: 1 })).rejects.toBeInstanceOf(ConfigError);
  });
});

describe("AvroSerde when the registry does not answer", () => {
  const held: Socket[] = [];
  let silent: Server;
  beforeAll(async () => {
    // Accepts connections and never answers, like a registry process stopped with SIGSTOP.
    silent = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  });
  afterAll(async () => {
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it("is transient when the connection is refused, for decode and for encode", async () => {
    const serde = new AvroSerde({ registryUrl: `http://127.0.0.1:${await closedPort()}`, schema: orderV1 });
    const framed = Buffer.concat([wireHeader(3), Buffer.from([2, 0x61])]);
    const error = await serde.deserialize("orders", framed, { partition: 0, offset: 5 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toMatch(/^decoding orders\/0@5: schema registry did not answer for id 3/);
    await expect(serde.serialize("orders", order)).rejects.toBeInstanceOf(TransientError);
  });

  it("is transient when the registry accepts but never answers", async () => {
    const { port } = silent.address() as { port: number };
    const serde = new AvroSerde({ registryUrl: `http://127.0.0.1:${port}`, schema: orderV1, timeoutMs: 300 });
    const framed = Buffer.concat([wireHeader(3), Buffer.from([2, 0x61])]);
    await expect(serde.deserialize("orders", framed)).rejects.toBeInstanceOf(TransientError);
    await expect(serde.serialize("orders", order)).rejects.toThrow(/did not answer: timeout/);
  });
});

describe("AvroSerde registry traffic", () => {
  it("asks the registry once per schema id and subject, and asks again after a failure", async () => {
    // A counting proxy in front of the real registry that can play "down" (503).
    const upstream = new URL(registryUrl);
    const seen: string[] = [];
    let down = false;
    const proxy = createHttpServer(async (req, res) => {
      seen.push(`${req.method} ${req.url}`);
      if (down) return void res.writeHead(503).end("down for maintenance");
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const answer = await fetch(`${upstream.origin}${upstream.pathname}${req.url}`, {
        method: req.method ?? "GET",
        headers: { "content-type": "application/vnd.schemaregistry.v1+json" },
        ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
      });
      res.writeHead(answer.status, { "content-type": "application/json" }).end(await answer.text());
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = proxy.address() as { port: number };
      const serde = new AvroSerde({ registryUrl: `http://127.0.0.1:${port}`, schema: orderV1, clientRetries: 0 });
      const topic = uniqueName("orders");
      const encoded = await Promise.all(
        Array.from({ length: 20 }, (_, i) => serde.serialize(topic, { ...order, id: `o-${i}` })),
      );
      const decoded = await Promise.all(encoded.map((bytes) => serde.deserialize(topic, bytes)));
      expect(decoded.map((d) => (d.value as { id: string }).id)).toEqual(encoded.map((_, i) => `o-${i}`));
      const id = encoded[0]!.readUInt32BE(1);
      expect(seen).toEqual([`POST /subjects/${topic}-value/versions`, `GET /schemas/ids/${id}`]);

      // A cold reader while the registry is down: transient, not cached; works once it is back.
      const reader = new AvroSerde({ registryUrl: `http://127.0.0.1:${port}`, schema: orderV1, clientRetries: 0 });
      down = true;
      await expect(reader.deserialize(topic, encoded[0]!)).rejects.toBeInstanceOf(TransientError);
      down = false;
      expect((await reader.deserialize(topic, encoded[1]!)).value).toMatchObject({ id: "o-1" });
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});

describe("registry tools", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "sluice-schemas-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("registers every .avsc under its mapped subject, idempotently, then checks changes before deploy", async () => {
    const subject = uniqueName("orders-value");
    writeFileSync(join(dir, "order.avsc"), JSON.stringify(orderV1, null, 2));
    writeFileSync(join(dir, "subjects.json"), JSON.stringify({ "order.avsc": subject }));
    expect(await checkCompatibility(dir, registryUrl)).toEqual([
      { file: "order.avsc", subject, level: "BACKWARD", registered: false, compatible: true, reasons: [] },
    ]);
    const [first] = await registerSchemas(dir, registryUrl);
    expect(first).toEqual({ file: "order.avsc", subject, id: (await latest(subject)).id });
    expect(await registerSchemas(dir, registryUrl)).toEqual([first]);

    writeFileSync(join(dir, "order.avsc"), JSON.stringify(orderV2));
    expect((await checkCompatibility(dir, registryUrl))[0]).toMatchObject({ registered: true, compatible: true });

    const broken = {
      ...orderV1,
      fields: [
        { name: "id", type: "long" },
        { name: "amount", type: "int" },
        { name: "priority", type: "int" },
      ],
    };
    writeFileSync(join(dir, "order.avsc"), JSON.stringify(broken));
    const [result] = await checkCompatibility(dir, registryUrl);
    expect(result?.compatible).toBe(false);
    expect(result?.reasons).toEqual([
      'v1: new schema cannot read old data: sluice.test.Order.id: "string" cannot be read as "long"',
      "v1: new schema cannot read old data: sluice.test.Order.priority: has no default and the writer schema lacks it",
    ]);
    const error = await registerSchemas(dir, registryUrl).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/Order.priority: has no default/);
  });

  it("defaults the subject to the record's full name", async () => {
    const name = uniqueName("Evt").replaceAll("-", "_");
    const own = mkdtempSync(join(tmpdir(), "sluice-schemas-"));
    try {
      writeFileSync(
        join(own, "evt.avsc"),
        JSON.stringify({ type: "record", name, namespace: "sluice.test", fields: [] }),
      );
      const [registered] = await registerSchemas(own, registryUrl);
      expect(registered?.subject).toBe(`sluice.test.${name}`);
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });
});
