/**
 * What a platform team watches, on the real stack: after 10 000 records through `sluice run`, the /metrics
 * counters add up to 10 000 in, the dead-lettered count matches the DLQ topic, and consumer lag reaches 0; a
 * record produced with a W3C traceparent yields an output whose traceparent continues the same trace.
 * Needs the local stack (test/global-setup.ts).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import avsc from "avsc";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../ops/repo-root.ts";
import { headerText } from "../helpers/kafka.ts";
import { uniqueName } from "../helpers/services.ts";
import { killAll, type SluiceProcess, startSluice, waitFor } from "../helpers/sluice-process.ts";
import { createTopics, produce, readTopic, registerSchema } from "../helpers/stream-io.ts";

const ORDER_SCHEMA = join(REPO_ROOT, "schemas/example-order.avsc");
const orderType = avsc.Type.forSchema(JSON.parse(readFileSync(ORDER_SCHEMA, "utf8")));
const dir = mkdtempSync(join(tmpdir(), "sluice-obs-"));
const processes: SluiceProcess[] = [];
const port = 39_400 + Math.floor(Math.random() * 500);

afterAll(() => {
  killAll(processes);
  rmSync(dir, { recursive: true, force: true });
});

/** Sums the samples of a metric in Prometheus text, optionally only those whose labels match. */
function sum(text: string, metric: string, match = ""): number {
  return text
    .split("\n")
    .filter((line) => line.startsWith(`${metric}{`) && line.includes(match))
    .reduce((total, line) => total + Number(line.split(" ").pop()), 0);
}

describe("metrics and traces", () => {
  it("counts 10 000 in, dead letters as on the DLQ, lag 0, and continues traces", async () => {
    const app = uniqueName("obs");
    const input = `${app}-in`;
    const output = `${app}-out`;
    await createTopics([
      { topic: input, partitions: 3 },
      { topic: output, partitions: 3 },
      { topic: `${app}.dlq`, partitions: 1 },
    ]);
    const id = await registerSchema("example-order.avsc", `${input}-value`);
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const records = Array.from({ length: 10_000 }, (_, i) => ({
      key: `c-${i % 50}`,
      value: {
        order_id: `o-${i}`,
        customer_id: `c-${i % 50}`,
        status: "paid",
        amount: i,
        currency: "EUR",
        items: 1,
        note: i % 100 === 7 ? "reject" : null,
      },
      ...(i === 42 ? { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } } : {}),
    }));
    await produce(input, id, records);
    const file = join(dir, "topology.yaml");
    writeFileSync(
      file,
      `applicationId: ${app}
kafka: { brokers: "\${KAFKA_BROKERS}" }
schemaRegistry: { url: "\${SCHEMA_REGISTRY_URL}" }
processing: { commitIntervalMs: 1000 }
sources:
  - { name: orders, topic: ${input}, value: { format: avro, schema: ${ORDER_SCHEMA} } }
processors:
  - { name: gate, type: custom, from: orders, custom: { module: ${join(REPO_ROOT, "test/fixtures/reject-processor.ts")} } }
sinks:
  - { name: copy, type: kafka, from: gate, kafka: { topic: ${output}, value: { format: avro, schema: ${ORDER_SCHEMA} } } }
`,
    );
    const member = startSluice(["run", file, "--metrics-port", String(port)]);
    processes.push(member);
    let text = "";
    await waitFor(
      async () => {
        text = await fetch(`http://127.0.0.1:${port}/metrics`)
          .then((r) => r.text())
          .catch(() => "");
        const lagged = text.split("\n").filter((l) => l.startsWith("sluice_consumer_lag_records{"));
        return (
          sum(text, "sluice_records_in_total") === 10_000 &&
          lagged.length === 3 &&
          sum(text, "sluice_consumer_lag_records") === 0
        );
      },
      120_000,
      "10 000 records in and lag 0 on /metrics",
    );
    expect(sum(text, "sluice_records_out_total", 'sink="copy"')).toBe(9_900);
    const deadLettered = sum(text, "sluice_records_dead_lettered_total");
    expect(deadLettered).toBe(100);
    expect((await readTopic(`${app}.dlq`, 100, { timeoutMs: 30_000 })).length).toBe(deadLettered);
    expect(sum(text, "sluice_records_processed_total", 'processor="gate"')).toBe(10_000);
    expect(text).toMatch(/sluice_processor_duration_seconds_bucket\{/);
    expect(await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status)).toBe(200);

    const out = await readTopic(output, 9_900, { timeoutMs: 60_000 });
    const traced = out.find(
      (m) => (orderType.fromBuffer((m.value as Buffer).subarray(5)) as { order_id: string }).order_id === "o-42",
    );
    const traceparent = headerText(traced?.headers, "traceparent");
    expect(traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(traceparent).not.toContain("00f067aa0ba902b7");
    member.child.kill("SIGTERM");
    expect(await member.exited).toBe(0);
  });
});
