/**
 * Malformed topologies, each checked for the exact `file:line:column path: message` a user sees. The base
 * topology is valid; each case changes a few lines of it.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ConfigError, formatIssue } from "../../../core/errors.ts";
import { compileTopology } from "../../../topologies/compiler.ts";
import { parseTopology } from "../../../topologies/yaml-loader.ts";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));

const BASE = `applicationId: demo
kafka:
  brokers: localhost:9092
sources:
  - name: orders
    topic: orders
    value: { format: avro, schema: schemas/example-order.avsc }
processors:
  - name: big
    type: filter
    from: orders
    filter:
      predicate: value.amount > 10.0
sinks:
  - name: out
    type: kafka
    from: big
    kafka:
      topic: out
      value: { format: json }
`;

/** Replaces `from` (which must occur in BASE) with `to`. */
function edit(...changes: Array<[string, string]>): string {
  let text = BASE;
  for (const [from, to] of changes) {
    if (!text.includes(from)) throw new Error(`test bug: ${from} not in BASE`);
    text = text.replace(from, to);
  }
  return text;
}

function problems(text: string, env: Record<string, string> = {}): string[] {
  try {
    compileTopology(parseTopology(text, { file: "bad.yaml", baseDir: REPO, env }));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.map(formatIssue);
  }
  return [];
}

describe("malformed topologies report file:line:column, path and what was expected", () => {
  it("accepts the base topology", () => {
    expect(problems(BASE)).toEqual([]);
  });

  const cases: Array<[string, string, string[]]> = [
    [
      "YAML syntax: an unclosed flow mapping",
      edit(["{ format: json }\n", "{ format: json\n"]),
      ["bad.yaml:21:1 invalid YAML: Flow map in block collection must be sufficiently indented and end with a }"],
    ],
    [
      "YAML duplicate key",
      edit(["  brokers: localhost:9092\n", "  brokers: localhost:9092\n  brokers: other:9092\n"]),
      ["bad.yaml:4:3 invalid YAML: Map keys must be unique"],
    ],
    [
      "misspelt top-level key, reported with the missing one",
      edit(["applicationId: demo", "applicationID: demo"]),
      [
        "bad.yaml:1:1 applicationId: expected a string, got nothing",
        'bad.yaml:1:1 applicationID: unknown key "applicationID", did you mean "applicationId"?',
      ],
    ],
    [
      "application id with a space",
      edit(["applicationId: demo", "applicationId: my demo"]),
      ['bad.yaml:1:16 applicationId: expected a name of letters, digits, ".", "_" or "-", got "my demo"'],
    ],
    [
      "brokers of the wrong type",
      edit(["brokers: localhost:9092", "brokers: 9092"]),
      ["bad.yaml:3:12 kafka.brokers: expected a non-empty string or a list of non-empty strings, got 9092"],
    ],
    [
      "SASL without its password",
      edit(["  brokers: localhost:9092\n", "  brokers: localhost:9092\n  sasl: { mechanism: plain, username: app }\n"]),
      ["bad.yaml:4:9 kafka.sasl.password: expected a string, got nothing"],
    ],
    [
      "unknown SASL mechanism",
      edit([
        "  brokers: localhost:9092\n",
        "  brokers: localhost:9092\n  sasl: { mechanism: scram, username: a, password: b }\n",
      ]),
      [
        'bad.yaml:4:22 kafka.sasl.mechanism: unknown mechanism "scram" (expected "plain" | "scram-sha-256" | "scram-sha-512")',
      ],
    ],
    [
      "unset environment variable",
      edit(["brokers: localhost:9092", "brokers: ${KAFKA_BROKERS}"]),
      [
        "bad.yaml:3:12 kafka.brokers: environment variable KAFKA_BROKERS is not set and has no default (write ${KAFKA_BROKERS:-default})",
      ],
    ],
    [
      "unset variable inside a quoted string",
      edit(["brokers: localhost:9092", 'brokers: "kafka-${REGION}:9092"']),
      [
        "bad.yaml:3:19 kafka.brokers: environment variable REGION is not set and has no default (write ${REGION:-default})",
      ],
    ],
    [
      "schema registry URL that is not a URL",
      edit(["kafka:\n", "schemaRegistry: { url: registry }\nkafka:\n"]),
      ['bad.yaml:2:24 schemaRegistry.url: expected a URL, got "registry"'],
    ],
    [
      "processing limit of the wrong type",
      edit(["kafka:\n", "processing: { maxInFlightRecords: many }\nkafka:\n"]),
      ['bad.yaml:2:35 processing.maxInFlightRecords: expected a positive integer, got "many"'],
    ],
    [
      "batch size zero",
      edit(["kafka:\n", "processing:\n  batch: { maxRecords: 0 }\nkafka:\n"]),
      ["bad.yaml:3:24 processing.batch.maxRecords: expected a positive number, got 0"],
    ],
    [
      "misspelt guarantee",
      edit(["kafka:\n", "processing: { guarantee: exactly-once }\nkafka:\n"]),
      [
        'bad.yaml:2:26 processing.guarantee: expected "at_least_once" | "exactly_once", got "exactly-once", did you mean "exactly_once"?',
      ],
    ],
    [
      "no sources",
      edit([
        "sources:\n  - name: orders\n    topic: orders\n    value: { format: avro, schema: schemas/example-order.avsc }\n",
        "sources: []\n",
      ]),
      ["bad.yaml:4:10 sources: expected at least 1 item, got 0"],
    ],
    [
      "source without a value format",
      edit(["    value: { format: avro, schema: schemas/example-order.avsc }\n", ""]),
      ["bad.yaml:5:5 sources[0].value: expected a mapping, got nothing"],
    ],
    [
      "unknown value format",
      edit(["value: { format: avro, schema: schemas/example-order.avsc }", "value: { format: protobuf }"]),
      ['bad.yaml:7:22 sources[0].value.format: unknown format "protobuf" (expected "avro" | "json" | "string")'],
    ],
    [
      "misspelt Avro key",
      edit(["format: avro, schema: schemas", "format: avro, schme: schemas"]),
      ['bad.yaml:7:28 sources[0].value.schme: unknown key "schme", did you mean "schema"?'],
    ],
    [
      "bad start position",
      edit(["    topic: orders\n", "    topic: orders\n    startFrom: newest\n"]),
      ['bad.yaml:7:16 sources[0].startFrom: expected "earliest" | "latest", got "newest"'],
    ],
    [
      "unknown processor type",
      edit(["type: filter", "type: filtr"]),
      [
        'bad.yaml:10:11 processors[0].type: unknown processor type "filtr", did you mean "filter"? (expected "filter" | "map" | "branch" | "embed" | "enrich" | "infer" | "decide" | "custom" | "count" | "aggregate" | "reduce" | "join" | "dedupe" | "route" | "recent" | "remember" | "outcome" | "tool")',
      ],
    ],
    [
      "processor without from",
      edit(["    from: orders\n", ""]),
      ["bad.yaml:9:5 processors[0].from: expected a string or a list of strings, got nothing"],
    ],
    [
      "predicate of the wrong type",
      edit(["predicate: value.amount > 10.0", "predicate: 3"]),
      ["bad.yaml:13:18 processors[0].filter.predicate: expected a non-empty string, got 3"],
    ],
    [
      "misspelt processor config key",
      edit(["predicate: value.amount > 10.0", "predicat: value.amount > 10.0"]),
      [
        "bad.yaml:13:7 processors[0].filter.predicate: expected a non-empty string, got nothing",
        'bad.yaml:13:7 processors[0].filter.predicat: unknown key "predicat", did you mean "predicate"?',
      ],
    ],
    [
      "CEL syntax error, column inside the expression",
      edit(["predicate: value.amount > 10.0", "predicate: value.amount >> 10.0"]),
      ["bad.yaml:13:32 processors[0].filter.predicate: invalid CEL: Unexpected token: GT"],
    ],
    [
      "CEL field the input schema lacks",
      edit(["predicate: value.amount > 10.0", "predicate: value.amount > 10.0 && value.stauts == 'paid'"]),
      [
        'bad.yaml:13:47 processors[0].filter.predicate: value.stauts is not a field of the input schema dev.sluice.examples.ExampleOrder, did you mean "status"?',
      ],
    ],
    [
      "CEL error in a block scalar",
      edit([
        "predicate: value.amount > 10.0",
        "predicate: |\n        value.amount > 10.0 &&\n          value.itemz > 1",
      ]),
      [
        'bad.yaml:15:17 processors[0].filter.predicate: value.itemz is not a field of the input schema dev.sluice.examples.ExampleOrder, did you mean "items"?',
      ],
    ],
    [
      "unknown sink type",
      edit(["type: kafka", "type: kafak"]),
      [
        'bad.yaml:16:11 sinks[0].type: unknown sink type "kafak", did you mean "kafka"? (expected "kafka" | "clickhouse" | "dead-letter")',
      ],
    ],
    [
      "misspelt sink key",
      edit(["      topic: out\n", "      topic: out\n      keyfield: id\n"]),
      ['bad.yaml:20:7 sinks[0].kafka.keyfield: unknown key "keyfield", did you mean "keyField"?'],
    ],
    [
      "ClickHouse batch size as a word",
      edit([
        "    type: kafka\n    from: big\n    kafka:\n      topic: out\n      value: { format: json }\n",
        "    type: clickhouse\n    from: big\n    clickhouse:\n      table: out\n      maxRows: five\n",
      ]),
      ['bad.yaml:20:16 sinks[0].clickhouse.maxRows: expected a positive integer, got "five"'],
    ],
    [
      "every problem at once, in file order",
      edit(["type: filter", "type: filtr"], ["brokers: localhost:9092", "brokers: 9092"], ["topic: out", "topic: 7"]),
      [
        "bad.yaml:3:12 kafka.brokers: expected a non-empty string or a list of non-empty strings, got 9092",
        'bad.yaml:10:11 processors[0].type: unknown processor type "filtr", did you mean "filter"? (expected "filter" | "map" | "branch" | "embed" | "enrich" | "infer" | "decide" | "custom" | "count" | "aggregate" | "reduce" | "join" | "dedupe" | "route" | "recent" | "remember" | "outcome" | "tool")',
        "bad.yaml:19:14 sinks[0].kafka.topic: expected a non-empty string, got 7",
      ],
    ],
  ];

  it.each(cases)("%s", (_name, text, expected) => {
    expect(problems(text)).toEqual(expected);
  });

  it("has at least 25 malformed cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });
});
