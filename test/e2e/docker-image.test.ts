/**
 * The Dockerfile, end to end where a Docker engine exists: builds the image, runs the passthrough topology in it
 * against the real local stack (host network), checks every record is copied, the HEALTHCHECK reports healthy,
 * the process runs as a non-root user, and SIGTERM (through tini) drains and exits 0. Without a Docker engine the
 * test is skipped and says why.
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../ops/repo-root.ts";
import { endpoints } from "../../stack/config.ts";
import { uniqueName } from "../helpers/services.ts";
import { waitFor } from "../helpers/sluice-process.ts";
import { createTopics, produce, readTopic, registerSchema } from "../helpers/stream-io.ts";

const run = promisify(execFile);

function dockerUnavailable(): string | undefined {
  try {
    execFileSync("docker", ["version", "--format", "{{.Server.Version}}"], { stdio: "pipe", timeout: 10_000 });
    return undefined;
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === "ENOENT" ? "no docker command" : "no Docker engine answers";
    return `${reason} on this machine`;
  }
}

const unavailable = dockerUnavailable();
if (unavailable)
  console.warn(`docker-image.test.ts skipped: ${unavailable} (the image is built and run where one exists)`);

describe.skipIf(unavailable !== undefined)("the sluice image", () => {
  const tag = `sluice-test:${Date.now()}`;
  const dir = mkdtempSync(join(tmpdir(), "sluice-image-"));
  const container = uniqueName("sluice-image");
  afterAll(async () => {
    await run("docker", ["rm", "-f", container]).catch(() => {});
    await run("docker", ["rmi", "-f", tag]).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs the passthrough topology as a non-root member, healthy, and stops cleanly on SIGTERM", async () => {
    await run("docker", ["build", "-t", tag, REPO_ROOT], { maxBuffer: 64 * 1024 * 1024, timeout: 900_000 });

    const input = uniqueName("image-in");
    const output = uniqueName("image-out");
    await createTopics([
      { topic: input, partitions: 3 },
      { topic: output, partitions: 3 },
    ]);
    const schemaId = await registerSchema("example-order.avsc", `${input}-value`);
    const records = Array.from({ length: 2000 }, (_, i) => ({
      key: `k-${i % 20}`,
      value: {
        order_id: `o-${i}`,
        customer_id: `c-${i % 20}`,
        status: "paid",
        amount: i,
        currency: "EUR",
        items: 1,
        note: null,
      },
    }));
    await produce(input, schemaId, records);
    // The reference passthrough topology, on this test's topics and group; its schema paths resolve inside the image.
    const passthrough = readFileSync(join(REPO_ROOT, "topologies/examples/passthrough.yaml"), "utf8")
      .replace("applicationId: passthrough", `applicationId: ${uniqueName("image-app")}`)
      .replace("topic: orders-copy", `topic: ${output}`)
      .replace("topic: orders", `topic: ${input}`);
    writeFileSync(join(dir, "passthrough.yaml"), passthrough);

    const { kafkaBrokers, schemaRegistryUrl } = endpoints();
    await run("docker", [
      ...["run", "-d", "--name", container, "--network", "host", "--read-only", "--tmpfs", "/tmp"],
      ...["-e", `KAFKA_BROKERS=${kafkaBrokers.join(",")}`, "-e", `SCHEMA_REGISTRY_URL=${schemaRegistryUrl}`],
      ...["-e", "SLUICE_METRICS_PORT=19464", "-v", `${dir}:/app/topologies/deployed:ro`],
      ...[tag, "run", "topologies/deployed/passthrough.yaml", "--metrics-port", "19464"],
    ]);

    const copied = await readTopic(output, records.length, { timeoutMs: 180_000 });
    expect(new Set(copied.map((m) => String(m.key))).size).toBe(20);
    expect(copied.length).toBeGreaterThanOrEqual(records.length);
    const inspect = async (format: string) =>
      (await run("docker", ["inspect", "--format", format, container])).stdout.trim();
    await waitFor(
      async () => (await inspect("{{.State.Health.Status}}")) === "healthy",
      120_000,
      "a healthy container",
    );
    expect((await run("docker", ["exec", container, "id", "-u"])).stdout.trim()).toBe("10001");

    await run("docker", ["stop", "--time", "60", container]);
    expect(await inspect("{{.State.ExitCode}}")).toBe("0");
  });
});
