/**
 * Apicurio Registry 3.x from its Maven Central distribution, serving the Confluent-compatible API at
 * `/apis/ccompat/v7`. Schemas persist in an H2 file under `.stack/` (the default in-memory H2 forgets them at
 * restart while Kafka keeps records that point at their ids). A global BACKWARD rule is set: without one,
 * `GET /config/{subject}` answers NONE and @kafkajs/confluent-schema-registry refuses to register.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { StackConfig } from "./config.ts";
import { findJava } from "./config.ts";
import { copyArtifact } from "./maven.ts";
import { startProcess, waitUntil } from "./process.ts";

export function registryPaths(config: StackConfig) {
  const home = join(config.dir, "registry");
  const version = config.registry.version;
  return {
    home,
    dist: join(config.cacheDir, `apicurio-registry-${version}`),
    database: join(home, "data", "registry"),
    pidFile: join(home, "registry.pid"),
    logFile: join(home, "registry.log"),
  };
}

/** Downloads and unpacks the registry distribution (once). */
export function fetchRegistry(config: StackConfig): string {
  const paths = registryPaths(config);
  const version = config.registry.version;
  const marker = join(paths.dist, ".complete");
  if (existsSync(marker)) return paths.dist;
  const tarball = copyArtifact(
    `io.apicurio:apicurio-registry-app:${version}:tar.gz:all`,
    config.cacheDir,
    `apicurio-registry-app-${version}-all.tar.gz`,
  );
  mkdirSync(paths.dist, { recursive: true });
  execFileSync("tar", ["xzf", tarball, "-C", paths.dist]);
  writeFileSync(marker, new Date().toISOString());
  return paths.dist;
}

export async function registryHealthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(2000) });
    return response.ok;
  } catch {
    return false;
  }
}

export async function startRegistry(config: StackConfig): Promise<number> {
  const java = findJava(21);
  if (!java) {
    throw new Error(
      "Apicurio Registry 3 needs Java 21 or newer: install a JDK >= 21 or set SLUICE_JAVA21_HOME to its home",
    );
  }
  const dist = fetchRegistry(config);
  const paths = registryPaths(config);
  mkdirSync(join(paths.home, "data"), { recursive: true });
  const { host } = config;
  const { port, managementPort } = config.registry;
  const pid = startProcess({
    name: "registry",
    command: java,
    cwd: dist,
    args: [
      "-Xms128m",
      "-Xmx384m",
      `-Dquarkus.http.host=${host}`,
      `-Dquarkus.http.port=${port}`,
      `-Dquarkus.management.host=${host}`,
      `-Dquarkus.management.port=${managementPort}`,
      "-Dapicurio.rules.global.compatibility=BACKWARD",
      `-Dapicurio.datasource.url=jdbc:h2:file:${paths.database};DB_CLOSE_ON_EXIT=FALSE`,
      "-Dquarkus.log.level=WARN",
      "-Dquarkus.http.access-log.enabled=false",
      "-jar",
      "quarkus-run.jar",
    ],
    pidFile: paths.pidFile,
    logFile: paths.logFile,
  });
  const url = `http://${host}:${port}/apis/ccompat/v7`;
  await waitUntil("schema registry", () => registryHealthy(url), { timeoutMs: 120_000, pid, logFile: paths.logFile });
  return pid;
}
