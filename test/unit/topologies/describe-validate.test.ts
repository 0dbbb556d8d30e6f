/** `describe` (text tree and Mermaid, checked structurally) and `validate` as the CLI runs them. */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { describeCommand } from "../../../cli/commands/describe.ts";
import { validateCommand } from "../../../cli/commands/validate.ts";
import { mermaidId } from "../../../topologies/describe.ts";

const EXAMPLES = fileURLToPath(new URL("../../../topologies/examples/", import.meta.url));
const ROUTING = join(EXAMPLES, "order-routing.yaml");
const PASSTHROUGH = join(EXAMPLES, "passthrough.yaml");

describe("describe", () => {
  it("draws a Mermaid flowchart with one node per topology node and one edge per wire", () => {
    const { exitCode, output } = describeCommand(ROUTING, { format: "mermaid", env: {} });
    expect(exitCode).toBe(0);
    const lines = output.split("\n");
    expect(lines[0]).toBe("flowchart LR");
    const nodeIds = lines.map((l) => /^ {2}(n_\w+)[[({]/.exec(l)?.[1]).filter(Boolean);
    const names = ["orders", "live-orders", "by-size", "large", "regular", "large-orders", "order-summaries", "dlq"];
    expect(new Set(nodeIds)).toEqual(new Set(names.map(mermaidId)));
    const edges = lines
      .map((l) => /^ {2}(n_\w+) -->(?:\|"([^"]*)"\|)? (n_\w+)$/.exec(l))
      .filter((m) => m !== null)
      .map((m) => `${m[1]}>${m[3]}${m[2] ? `:${m[2]}` : ""}`);
    expect(edges.sort()).toEqual(
      [
        "n_orders>n_live_orders",
        "n_live_orders>n_by_size",
        "n_by_size>n_large:value.amount #gt;= 1000.0",
        "n_by_size>n_regular:default",
        "n_large>n_large_orders",
        "n_large>n_order_summaries",
        "n_regular>n_order_summaries",
      ].sort(),
    );
    expect(lines).toContain(
      '  n_orders(["orders<br/>source: topic orders · value avro ../../schemas/example-order.avsc · from earliest"])',
    );
  });

  it("prints a text tree with secrets redacted", () => {
    const { exitCode, output } = describeCommand(ROUTING, { env: { CLICKHOUSE_PASSWORD: "hunter2" } });
    expect(exitCode).toBe(0);
    expect(output).not.toContain("hunter2");
    expect(output).toContain('"password":"[redacted]"');
    expect(output).toContain('└── live-orders  [filter] value.status != "cancelled" && value.amount > 0.0');
    expect(output).toContain("            └── order-summaries  (see above)");
  });

  it("rejects an unknown format", () => {
    expect(describeCommand(ROUTING, { format: "dot" })).toEqual({
      exitCode: 1,
      output: 'sluice describe: unknown format "dot" (text or mermaid)',
    });
  });
});

describe("validate", () => {
  it("exits 0 on the examples", () => {
    const result = validateCommand([PASSTHROUGH, ROUTING], { env: {} });
    expect(result.exitCode).toBe(0);
    expect(result.output).toBe(`${PASSTHROUGH}: valid (2 nodes)\n${ROUTING}: valid (8 nodes)`);
  });

  it("exits 1 with every error of every bad file, as text and JSON", () => {
    const dir = tmpdir();
    const bad = join(dir, `sluice-bad-${process.pid}.yaml`);
    writeFileSync(
      bad,
      "applicationId: x\nkafka: { brokers: k:9092 }\nsources: []\nsinks:\n  - { name: s, type: kafak }\n",
    );
    const result = validateCommand([PASSTHROUGH, bad, join(dir, "does-not-exist.yaml")], { env: {} });
    expect(result.exitCode).toBe(1);
    const lines = result.output.split("\n");
    expect(lines).toContain(`${bad}:3:10 sources: expected at least 1 item, got 0`);
    expect(lines).toContain(
      `${bad}:5:22 sinks[0].type: unknown sink type "kafak", did you mean "kafka"? (expected "kafka" | "clickhouse" | "dead-letter")`,
    );
    expect(lines).toContain(`${bad}: 2 problems`);
    expect(lines.some((l) => l.startsWith(`${join(dir, "does-not-exist.yaml")} cannot read topology file`))).toBe(true);

    const json = JSON.parse(validateCommand([bad], { json: true, env: {} }).output);
    expect(json.valid).toBe(false);
    expect(json.files[0].issues).toHaveLength(2);
    expect(json.files[0].issues[0]).toMatchObject({ line: 3, column: 10, path: "sources" });
  });
});
