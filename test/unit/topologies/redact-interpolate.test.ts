/** Secrets are found from the spec schema and redacted; `${VAR}` interpolation rules. */
import { describe, expect, it } from "vitest";
import { interpolate } from "../../../topologies/interpolate.ts";
import { REDACTED, redact, secretPaths } from "../../../topologies/redact.ts";
import { parseTopology } from "../../../topologies/yaml-loader.ts";

describe("secrets", () => {
  it("are the fields the spec marks secret", () => {
    expect(secretPaths()).toEqual([
      "clickhouse.password",
      "kafka.sasl.password",
      "kafka.ssl.key",
      "kafka.ssl.passphrase",
      "schemaRegistry.auth.password",
      "tools.*.transport.auth.basic.password",
      "tools.*.transport.auth.bearer",
      "tools.*.transport.headers",
    ]);
  });

  it("are redacted in a loaded spec, and nothing else is", () => {
    const { spec } = parseTopology(
      `applicationId: s
kafka:
  brokers: k:9092
  sasl:
    mechanism: scram-sha-512
    username: app
    password: \${KAFKA_PASSWORD}
  ssl: { key: "-----BEGIN KEY-----", passphrase: pp }
sources: [{ name: in, topic: in, value: { format: json } }]
sinks: [{ name: out, type: kafka, from: in, kafka: { topic: out, value: { format: json } } }]
`,
      { env: { KAFKA_PASSWORD: "pa55" } },
    );
    expect(spec.kafka.sasl?.password).toBe("pa55");
    const safe = redact(spec);
    expect(safe.kafka.sasl).toEqual({ mechanism: "scram-sha-512", username: "app", password: REDACTED });
    expect(safe.kafka.ssl).toEqual({ key: REDACTED, passphrase: REDACTED });
    expect(JSON.stringify(safe)).not.toMatch(/pa55|BEGIN KEY|"pp"/);
    expect(safe.sources).toEqual(spec.sources);
  });
});

describe("interpolation", () => {
  it("substitutes variables, defaults, and escapes", () => {
    expect(interpolate("${A}-${B:-two}-$${C}", { A: "one" })).toEqual({
      text: "one-two-${C}",
      changed: true,
      problems: [],
    });
    expect(interpolate("${EMPTY:-fallback}", { EMPTY: "" }).text).toBe("fallback");
    expect(interpolate("x ${MISSING} y", {}).problems).toEqual([{ variable: "MISSING", offset: 2 }]);
  });

  it("re-types whole plain scalars, keeps quoted ones as text", () => {
    const { spec } = parseTopology(
      `applicationId: t
kafka: { brokers: k:9092 }
processing:
  commitIntervalMs: \${COMMIT_MS:-2500}
  batch:
    maxRecords: \${BATCH}
sources: [{ name: in, topic: "\${TOPIC}", value: { format: json } }]
sinks: [{ name: out, type: kafka, from: in, kafka: { topic: out, value: { format: json } } }]
`,
      { env: { BATCH: "32", TOPIC: "123" } },
    );
    expect(spec.processing.commitIntervalMs).toBe(2500);
    expect(spec.processing.batch.maxRecords).toBe(32);
    expect(spec.sources[0]?.topic).toBe("123");
  });
});
