/**
 * The Dockerfile and the Kubernetes Deployment agree (no Docker needed): the uid, the port, the probe path, the
 * entrypoint the Deployment's `args` are given to. test/e2e/docker-image.test.ts builds and runs the image.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const dockerfile = readFileSync(path.join(ROOT, "Dockerfile"), "utf8");
const instructions = (name: string) =>
  dockerfile
    .replace(/\\\n/g, " ")
    .split("\n")
    .filter((line) => line.startsWith(`${name} `))
    .map((line) => line.slice(name.length + 1).trim());

describe("Dockerfile", () => {
  const deployment = parseAllDocuments(readFileSync(path.join(ROOT, "ops/k8s/deployment.yaml"), "utf8"))
    .map((d) => d.toJS())
    .find((d) => d.kind === "Deployment");
  const pod = deployment.spec.template.spec;
  const main = pod.containers.find((c: { name: string }) => c.name === "sluice");

  it("builds in stages and runs as the non-root user the Deployment requires, under an init process", () => {
    expect(instructions("FROM").length).toBeGreaterThanOrEqual(2);
    expect(instructions("USER")).toEqual([`${pod.securityContext.runAsUser}:${pod.securityContext.fsGroup}`]);
    expect(instructions("ENTRYPOINT")).toEqual(['["/usr/bin/tini", "--", "node", "/app/cli/bin.mjs"]']);
    expect(main.args[0]).toBe("run");
  });

  it("checks /healthz on the port the Deployment probes", () => {
    const port = main.ports.find((p: { name: string }) => p.name === "metrics").containerPort;
    expect(instructions("EXPOSE")).toEqual([String(port)]);
    expect(dockerfile).toContain(`SLUICE_METRICS_PORT=${port}`);
    expect(main.livenessProbe.httpGet.path).toBe("/healthz");
    expect(instructions("HEALTHCHECK")[0]).toContain("/healthz");
  });
});
