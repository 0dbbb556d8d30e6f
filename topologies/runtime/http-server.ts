/**
 * The HTTP endpoints `sluice run` serves for its platform: `/metrics` (Prometheus text), `/healthz` (the process
 * is alive and not failed), `/readyz` (consuming, every sink healthy, no state restoring) and `/tasks` (JSON:
 * each assigned partition's state and restore progress, read by `sluice status`). Kubernetes probes and the KEDA
 * scaler read these; a port already in use is a clear error at start.
 */
import { createServer, type Server } from "node:http";
import { ConfigError } from "../../core/errors.ts";
import { registry } from "../../core/metrics.ts";

export interface HealthSource {
  /** Alive: not failed. */
  live(): boolean;
  /** Ready: consuming and sinks connected. Returns the reasons when not. */
  notReady(): string[];
  /** The member's tasks (`/tasks`); absent before the member exists. */
  tasks?(): unknown;
}

export async function startHttpServer(port: number, health: HealthSource, host = "0.0.0.0"): Promise<Server> {
  const server = createServer((request, response) => {
    const url = request.url ?? "/";
    if (url.startsWith("/metrics")) {
      registry
        .metrics()
        .then((text) => {
          response.writeHead(200, { "content-type": registry.contentType });
          response.end(text);
        })
        .catch((error: unknown) => {
          response.writeHead(500);
          response.end(String(error));
        });
      return;
    }
    if (url.startsWith("/healthz")) {
      const ok = health.live();
      response.writeHead(ok ? 200 : 503, { "content-type": "text/plain" });
      response.end(ok ? "ok\n" : "failed\n");
      return;
    }
    if (url.startsWith("/tasks")) {
      const report = health.tasks?.();
      response.writeHead(report === undefined ? 503 : 200, { "content-type": "application/json" });
      response.end(`${JSON.stringify(report ?? { state: "starting", tasks: [] })}\n`);
      return;
    }
    if (url.startsWith("/readyz")) {
      const reasons = health.notReady();
      response.writeHead(reasons.length === 0 ? 200 : 503, { "content-type": "text/plain" });
      response.end(reasons.length === 0 ? "ready\n" : `${reasons.join("\n")}\n`);
      return;
    }
    response.writeHead(404);
    response.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "EADDRINUSE"
          ? new ConfigError(`metrics port ${port} is already in use: pick another with --metrics-port (0 turns it off)`)
          : error,
      );
    });
    server.listen(port, host, () => resolve());
  });
  return server;
}
