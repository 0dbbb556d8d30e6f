/** Secrets from files (`${file:path}`) reach the spec and the KafkaJS config, and never an error message. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../../core/errors.ts";
import { compileTopology } from "../../../topologies/compiler.ts";
import { authFailure } from "../../../topologies/runtime/kafka/kafkajs-access.ts";
import { kafkaConfig } from "../../../topologies/runtime/kafka/kafkajs-client.ts";
import { parseTopology } from "../../../topologies/yaml-loader.ts";

const dir = mkdtempSync(join(tmpdir(), "sluice-file-secrets-"));
writeFileSync(join(dir, "kafka-password"), "s3cret-from-file\n");
writeFileSync(join(dir, "ca.pem"), "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");

const yaml = (kafka: string) => `applicationId: files
kafka:
  brokers: k:9093
${kafka}
sources: [{ name: in, topic: in, value: { format: json } }]
sinks: [{ name: out, type: kafka, from: in, kafka: { topic: out, value: { format: json } } }]
`;

describe("${file:path}", () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads files relative to the topology, without the trailing newline, into ssl and sasl", () => {
    const loaded = parseTopology(
      yaml(`  ssl: { ca: "\${file:ca.pem}" }
  sasl: { mechanism: scram-sha-512, username: app, password: "\${file:kafka-password}" }`),
      { file: join(dir, "t.yaml"), env: {} },
    );
    const config = kafkaConfig(compileTopology(loaded));
    expect(config.sasl).toEqual({ mechanism: "scram-sha-512", username: "app", password: "s3cret-from-file" });
    expect(config.ssl).toEqual({
      ca: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
      rejectUnauthorized: true,
    });
  });

  it("reports an unreadable file at its line and column, naming the path", () => {
    const load = () =>
      parseTopology(yaml(`  sasl: { mechanism: plain, username: app, password: "\${file:missing}" }`), {
        file: join(dir, "t.yaml"),
        env: {},
      });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(`t.yaml:4:55 kafka.sasl.password: cannot read file ${join(dir, "missing")} (ENOENT)`);
  });
});

describe("authFailure", () => {
  const config = {
    brokers: ["127.0.0.1:9094"],
    sasl: { mechanism: "scram-sha-512" as const, username: "app", password: "pa55word" },
  };

  it("turns a KafkaJS SASL failure, however wrapped, into one message without the password", () => {
    const sasl = Object.assign(new Error("SASL SCRAM SHA512 authentication failed: bad pa55word"), {
      name: "KafkaJSSASLAuthenticationError",
    });
    const wrapped = Object.assign(new Error("retries exceeded"), { cause: sasl });
    const error = authFailure(wrapped, config);
    expect(error?.message).toBe(
      'kafka 127.0.0.1:9094: authentication failed for user "app" (SASL SCRAM-SHA-512): SASL SCRAM SHA512 authentication failed: bad [redacted]; check kafka.sasl.username and kafka.sasl.password',
    );
  });

  it("names the host of an untrusted certificate, and ignores other errors", () => {
    const tls = Object.assign(new Error("Connection error: self-signed certificate in certificate chain"), {
      name: "KafkaJSConnectionError",
      code: "SELF_SIGNED_CERT_IN_CHAIN",
      broker: "127.0.0.1:9094",
    });
    expect(authFailure(tls, config)?.message).toMatch(
      /^kafka 127\.0\.0\.1:9094: TLS handshake failed, the broker's certificate is not trusted \(SELF_SIGNED_CERT_IN_CHAIN: self-signed/,
    );
    const refused = Object.assign(new Error("Connection error: connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    expect(authFailure(refused, config)).toBeUndefined();
  });
});
