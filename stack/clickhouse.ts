/**
 * ClickHouse server from Debian's `clickhouse-server` package (18.16 on these machines), run as a process with
 * its config, data and logs under `.stack/clickhouse`, HTTP on a loopback port.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { StackConfig } from "./config.ts";
import { startProcess, waitUntil } from "./process.ts";

const SERVER_BINARIES = ["/usr/bin/clickhouse-server", "/usr/sbin/clickhouse-server", "/usr/bin/clickhouse"];

export function clickhousePaths(config: StackConfig) {
  const home = join(config.dir, "clickhouse");
  return {
    home,
    config: join(home, "config.xml"),
    users: join(home, "users.xml"),
    data: join(home, "data"),
    pidFile: join(home, "clickhouse.pid"),
    logFile: join(home, "log", "stdout.log"),
  };
}

/** The server binary; installs Debian's package when missing and we are root (as on CI machines). */
export function findClickhouseServer(): { command: string; args: string[] } {
  let binary = SERVER_BINARIES.find((path) => existsSync(path));
  if (!binary && process.getuid?.() === 0) {
    execFileSync("bash", ["-c", "apt-get update -qq && apt-get install -y -qq clickhouse-server clickhouse-client"], {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    binary = SERVER_BINARIES.find((path) => existsSync(path));
  }
  if (!binary) {
    throw new Error("clickhouse-server is not installed: apt-get install -y clickhouse-server (or set CLICKHOUSE_URL)");
  }
  return binary.endsWith("/clickhouse") ? { command: binary, args: ["server"] } : { command: binary, args: [] };
}

function configXml(config: StackConfig, paths: ReturnType<typeof clickhousePaths>): string {
  const logs = join(paths.home, "log");
  return `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${logs}/server.log</log><errorlog>${logs}/server.err.log</errorlog><size>100M</size><count>2</count></logger>
  <http_port>${config.clickhouse.httpPort}</http_port>
  <tcp_port>${config.clickhouse.tcpPort}</tcp_port>
  <listen_host>${config.host}</listen_host>
  <max_connections>1024</max_connections>
  <keep_alive_timeout>10</keep_alive_timeout>
  <max_concurrent_queries>100</max_concurrent_queries>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <mark_cache_size>268435456</mark_cache_size>
  <path>${paths.data}/</path>
  <tmp_path>${paths.data}/tmp/</tmp_path>
  <user_files_path>${paths.data}/user_files/</user_files_path>
  <format_schema_path>${paths.data}/format_schemas/</format_schema_path>
  <users_config>${paths.users}</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mlock_executable>false</mlock_executable>
</yandex>
`;
}

function usersXml(): string {
  return `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users>
    <default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`;
}

export async function clickhouseHealthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(2000) });
    return response.ok;
  } catch {
    return false;
  }
}

export async function startClickhouse(config: StackConfig): Promise<number> {
  const server = findClickhouseServer();
  const paths = clickhousePaths(config);
  mkdirSync(join(paths.home, "log"), { recursive: true });
  mkdirSync(paths.data, { recursive: true });
  writeFileSync(paths.config, configXml(config, paths));
  writeFileSync(paths.users, usersXml());
  const pid = startProcess({
    name: "clickhouse",
    command: server.command,
    args: [...server.args, `--config-file=${paths.config}`],
    cwd: paths.home,
    pidFile: paths.pidFile,
    logFile: paths.logFile,
  });
  const url = `http://${config.host}:${config.clickhouse.httpPort}`;
  await waitUntil("clickhouse", () => clickhouseHealthy(url), {
    timeoutMs: 60_000,
    pid,
    logFile: [paths.logFile, join(paths.home, "log", "server.err.log")],
  });
  return pid;
}
