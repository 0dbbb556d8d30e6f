/**
 * The ops files are configuration nobody runs in CI, so they are checked here: every ops/k8s manifest parses and
 * agrees with the reference topology, and the Grafana dashboard only queries metrics core/metrics.ts defines.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Histogram } from "prom-client";
import { describe, expect, it } from "vitest";
import { parseAllDocuments, parse as parseYaml } from "yaml";
import { metrics } from "../../../core/metrics.ts";
import { secretPaths } from "../../../topologies/redact.ts";
import { parseTopology } from "../../../topologies/yaml-loader.ts";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const K8S = path.join(ROOT, "ops/k8s");
const REFERENCE = path.join(ROOT, "topologies/examples/support-triage.yaml");
// biome-ignore lint/suspicious/noExplicitAny: manifests are free-form YAML
type Doc = any;

const docs: Doc[] = readdirSync(K8S)
  .filter((f) => f.endsWith(".yaml"))
  .flatMap((file) =>
    parseAllDocuments(readFileSync(path.join(K8S, file), "utf8")).map((d) => {
      expect(d.errors, file).toEqual([]);
      return d.toJS();
    }),
  );
const byKind = (kind: string): Doc => {
  const found = docs.filter((d) => d.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0];
};
const reference = parseYaml(readFileSync(REFERENCE, "utf8"));
const kustomization = byKind("Kustomization");
const deployment = byKind("Deployment");
const container = deployment.spec.template.spec.containers[0];
const topologyFile = path.join(K8S, kustomization.configMapGenerator[0].files[0].split("=")[1]);
const topologyText = readFileSync(topologyFile, "utf8");
const literals: Record<string, string> = Object.fromEntries(
  kustomization.configMapGenerator
    .flatMap((g: Doc) => g.literals ?? [])
    .map((l: string) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
);
const argAfter = (flag: string) => container.args[container.args.indexOf(flag) + 1];

describe("ops/k8s", () => {
  it("every file is valid YAML of known kinds, and the kustomization lists the manifests that exist", () => {
    expect(docs.map((d) => d.kind).sort()).toEqual(
      ["Deployment", "Kustomization", "ScaledObject", "Service", "TriggerAuthentication"].sort(),
    );
    for (const d of docs) expect(d.apiVersion, d.kind).toMatch(/\w/);
    const manifests = readdirSync(K8S).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml");
    expect([...kustomization.resources].sort()).toEqual(manifests.sort());
  });

  it("KEDA scales the topology's consumer group on its input topic, capped at the partition count", () => {
    const scaled = byKind("ScaledObject");
    const trigger = scaled.spec.triggers[0];
    expect(trigger.type).toBe("kafka");
    expect(trigger.metadata.consumerGroup).toBe(reference.applicationId);
    expect(trigger.metadata.topic).toBe(reference.sources[0].topic);
    expect(scaled.spec.scaleTargetRef.name).toBe(deployment.metadata.name);
    const demo = readFileSync(path.join(ROOT, "ops/demo.ts"), "utf8");
    const partitions = /topic: "enterprise-events", partitions: (\d+)/.exec(demo)?.[1];
    expect(scaled.spec.maxReplicaCount).toBe(Number(partitions));
    expect(scaled.spec.minReplicaCount).toBeLessThanOrEqual(scaled.spec.maxReplicaCount);
    expect(literals[trigger.metadata.bootstrapServersFromEnv]).toBeDefined();
    expect(trigger.authenticationRef.name).toBe(byKind("TriggerAuthentication").metadata.name);
  });

  it("probes and scraping use the metrics port sluice is told to serve, and the grace period outlasts the drain", () => {
    const port = container.ports.find((p: Doc) => p.name === "metrics").containerPort;
    expect(Number(argAfter("--metrics-port"))).toBe(port);
    expect(container.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "metrics" });
    expect(container.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "metrics" });
    const pod = deployment.spec.template;
    expect(pod.metadata.annotations["prometheus.io/port"]).toBe(String(port));
    expect(pod.spec.terminationGracePeriodSeconds).toBeGreaterThan(Number(argAfter("--drain-timeout")) / 1000);
    const service = byKind("Service");
    expect(service.spec.ports[0].targetPort).toBe("metrics");
    for (const [k, v] of Object.entries(service.spec.selector)) expect(pod.metadata.labels[k]).toBe(v);
  });

  it("the deployed topology is the reference one with SASL_SSL, and validates with the Deployment's env", () => {
    const deployed = parseYaml(topologyText);
    expect({ ...deployed, kafka: undefined }).toEqual({ ...reference, kafka: undefined });
    const fromSecret = container.env.filter((e: Doc) => e.valueFrom?.secretKeyRef).map((e: Doc) => e.name);
    const provided = new Set([...Object.keys(literals), ...container.env.map((e: Doc) => e.name)]);
    for (const [, name, fallback] of topologyText.matchAll(/\$\{(?!file:)([A-Za-z_]\w*)(:-[^}]*)?\}/g)) {
      if (fallback === undefined) expect(provided, `\${${name}} is never set`).toContain(name);
    }
    expect(deployed.kafka.sasl.password).toMatch(/^\$\{[A-Z_]+\}$/);
    expect(fromSecret).toContain(deployed.kafka.sasl.password.slice(2, -1));
    expect(secretPaths()).toContain("kafka.sasl.password");
    const dir = mkdtempSync(path.join(tmpdir(), "sluice-k8s-"));
    writeFileSync(path.join(dir, "ca.crt"), "-----BEGIN CERTIFICATE-----\n");
    const env = { ...literals, ...Object.fromEntries(fromSecret.map((n: string) => [n, "from-secret"])) };
    const text = topologyText.replace("/etc/sluice/kafka-ca/ca.crt", path.join(dir, "ca.crt"));
    const loaded = parseTopology(text, { file: topologyFile, baseDir: path.dirname(REFERENCE), env });
    expect(loaded.spec.applicationId).toBe(reference.applicationId);
    expect(loaded.spec.kafka.brokers).toEqual([literals.KAFKA_BROKERS]);
  });
});

describe("ops/grafana/sluice-dashboard.json", () => {
  const dashboard = JSON.parse(readFileSync(path.join(ROOT, "ops/grafana/sluice-dashboard.json"), "utf8"));
  // Prometheus targets (`expr`); the decision-quality panels query ClickHouse (`rawSql`).
  const exprs: string[] = dashboard.panels.flatMap((p: Doc) =>
    (p.targets ?? []).filter((t: Doc) => t.expr !== undefined).map((t: Doc) => t.expr),
  );
  const defined = new Map(
    Object.values(metrics).map((m) => {
      const { name, labelNames } = m as unknown as { name: string; labelNames: string[] };
      return [name, { histogram: m instanceof Histogram, labels: new Set(labelNames) }];
    }),
  );

  it("queries only metrics core/metrics.ts defines, with their own labels", () => {
    expect(exprs.length).toBeGreaterThan(15);
    const used = new Set<string>();
    for (const expr of exprs) {
      for (const [, name, suffix, matchers] of expr.matchAll(
        /\b(sluice_[a-z0-9_]+?)(_bucket|_sum|_count)?\b(\{[^}]*\})?/g,
      )) {
        const metric = defined.get(name as string);
        expect(metric, `${name} in ${expr}`).toBeDefined();
        if (suffix !== undefined) expect(metric?.histogram, `${name}${suffix}`).toBe(true);
        for (const [, label] of (matchers ?? "").matchAll(/(\w+)\s*=~?/g)) expect(metric?.labels).toContain(label);
        for (const [, list] of expr.matchAll(/by \(([^)]*)\)/g)) {
          for (const label of (list as string).split(",").map((l) => l.trim())) {
            if (label !== "le") expect(metric?.labels, `${label} of ${name}`).toContain(label);
          }
        }
        used.add(name as string);
      }
    }
    // The dashboard covers every metric sluice exports.
    expect([...used].sort()).toEqual([...defined.keys()].sort());
  });
});
