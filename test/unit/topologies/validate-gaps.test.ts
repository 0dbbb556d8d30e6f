/**
 * `sluice validate` catches what `sluice run` would refuse, says where, and never echoes big or binary input:
 * missing `clickhouse:` / `schemaRegistry:` sections, a misspelt `type:` key, a 5 MB scalar, binary garbage,
 * undefined aliases and alias bombs, and a long chain of processors (validated whole). No services needed.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { validateCommand } from "../../../cli/commands/validate.ts";

const SCHEMAS = fileURLToPath(new URL("../../../schemas/", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "sluice-validate-"));
let counter = 0;

function validate(text: string | Buffer) {
  const file = join(dir, `t${counter++}.yaml`);
  writeFileSync(file, text);
  const result = validateCommand([file], { env: {} });
  return { ...result, file, lines: result.output.split("\n") };
}

const HEAD = `applicationId: demo
kafka:
  brokers: 127.0.0.1:1
`;
const REGISTRY = "schemaRegistry:\n  url: http://127.0.0.1:1\n";
const CLICKHOUSE = "clickhouse:\n  url: http://127.0.0.1:1\n";
const JSON_SOURCE = "sources:\n  - name: in\n    topic: in\n    value: { format: json }\n";
const KAFKA_SINK =
  "sinks:\n  - name: out\n    type: kafka\n    from: in\n    kafka:\n      topic: out\n      value: { format: json }\n";

describe("validate: the services run needs", () => {
  it("a ClickHouse sink without a clickhouse: section is refused at the sink's type", () => {
    const sinks = "sinks:\n  - name: rows\n    type: clickhouse\n    from: in\n    clickhouse:\n      table: t\n";
    const r = validate(HEAD + JSON_SOURCE + sinks);
    expect(r.exitCode).toBe(1);
    expect(r.lines[0]).toBe(
      `${r.file}:10:11 sinks[0].type: sink "rows" writes to ClickHouse, but the topology has no clickhouse: {url} section`,
    );
    expect(validate(HEAD + CLICKHOUSE + JSON_SOURCE + sinks).exitCode).toBe(0);
  });

  it("an Avro source or sink without schemaRegistry: is refused at its format", () => {
    const source = `sources:\n  - name: in\n    topic: in\n    value: { format: avro, schema: ${SCHEMAS}example-order.avsc }\n`;
    const r = validate(HEAD + source + KAFKA_SINK);
    expect(r.exitCode).toBe(1);
    expect(r.lines[0]).toBe(
      `${r.file}:7:22 sources[0].value.format: the value of source "in" is Avro, which needs a schema registry: add a schemaRegistry: {url} section`,
    );
    expect(validate(HEAD + REGISTRY + source + KAFKA_SINK).exitCode).toBe(0);

    const avroSink = KAFKA_SINK.replace("{ format: json }", "{ format: avro, subject: out-value }");
    const s = validate(HEAD + JSON_SOURCE + avroSink);
    expect(s.lines.slice(0, 2)).toEqual([
      `${s.file}:14:24 sinks[0].kafka.value.format: the value of sink "out" is Avro, which needs a schema registry: add a schemaRegistry: {url} section`,
      `${s.file}:14:24 sinks[0].kafka.value.format: the value of sink "out" is Avro without a schema: add schema: <file.avsc> to encode with`,
    ]);
  });
});

describe("validate: what it says about bad input", () => {
  it('a misspelt type: key is an unknown key with "did you mean", at the key', () => {
    const processors =
      "processors:\n  - name: f\n    tpye: filter\n    from: in\n    filter:\n      predicate: 'true'\n";
    const r = validate(HEAD + JSON_SOURCE + processors + KAFKA_SINK.replace("from: in", "from: f"));
    expect(r.lines[0]).toBe(`${r.file}:10:5 processors[0].tpye: unknown key "tpye", did you mean "type"?`);
  });

  it("a 5 MB scalar where a mapping belongs is quoted as a short excerpt with its length", () => {
    const r = validate(`applicationId: x\nkafka: ${"A".repeat(5_000_000)}\n${JSON_SOURCE}${KAFKA_SINK}`);
    expect(r.exitCode).toBe(1);
    expect(r.lines[0]).toBe(`${r.file}:2:8 kafka: expected a mapping, got "${"A".repeat(60)}…" (5000000 characters)`);
    expect(r.output.length).toBeLessThan(1000);
  });

  it("a 2 MB name in from: is quoted as an excerpt too", () => {
    const name = "A".repeat(2_000_000);
    const r = validate(HEAD + JSON_SOURCE + KAFKA_SINK.replace("from: in", `from: ${name}`));
    expect(r.lines[0]).toBe(
      `${r.file}:11:11 sinks[0].from: unknown upstream "${"A".repeat(60)}…" (2000000 characters)`,
    );
    expect(r.output.length).toBeLessThan(1000);
  });

  it("binary garbage is reported without echoing raw bytes", () => {
    const bytes = Buffer.alloc(4096);
    let seed = 7;
    for (let i = 0; i < bytes.length; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      bytes[i] = seed >> 16;
    }
    const r = validate(bytes);
    expect(r.exitCode).toBe(1);
    expect(r.output.length).toBeLessThan(1000);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting that no control byte is echoed
    expect(r.output.replace(/\n/g, "")).not.toMatch(/[\u0000-\u001f\u007f\ufffd]/);
  });

  it("an undefined alias is reported at the alias", () => {
    const r = validate("applicationId: x\nkafka:\n  brokers: *nope\n");
    expect(r.lines[0]).toBe(`${r.file}:3:12 undefined YAML alias *nope: no anchor &nope before it`);
  });

  it("an alias bomb is refused at the alias that expands the most", () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x]"];
    for (const [name, prev] of [
      ["b", "a"],
      ["c", "b"],
      ["d", "c"],
    ]) {
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(", ")}]`);
    }
    const r = validate(`applicationId: x\n${levels.join("\n")}\nkafka:\n  brokers: *d\n`);
    expect(r.exitCode).toBe(1);
    expect(r.lines[0]).toMatch(
      new RegExp(`^${r.file}:7:12 YAML aliases expand too often .*\\*d alone expands to 7381`),
    );
  });

  it("a chain of 2,000 processors validates whole", () => {
    const processors = ["processors:"];
    let from = "in";
    for (let i = 0; i < 2000; i++) {
      processors.push(
        `  - name: p${i}\n    type: filter\n    from: ${from}\n    filter:\n      predicate: value.n > ${i}`,
      );
      from = `p${i}`;
    }
    const r = validate(
      `${HEAD}${JSON_SOURCE}${processors.join("\n")}\n${KAFKA_SINK.replace("from: in", `from: ${from}`)}`,
    );
    expect(r.output).toBe(`${r.file}: valid (2002 nodes)`);
  });
});
