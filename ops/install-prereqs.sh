#!/usr/bin/env bash
# Installs what sluice needs on a fresh Debian machine, once: Maven and ClickHouse from Debian's packages
# (as root), npm packages from the lock file. Safe to run again: it skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v mvn >/dev/null || need_apt+=(maven)
[ -x /usr/bin/clickhouse-server ] || [ -x /usr/sbin/clickhouse-server ] || need_apt+=(clickhouse-server clickhouse-client)
command -v openssl >/dev/null || need_apt+=(openssl)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "sluice needs these Debian packages: ${need_apt[*]} (run: sudo apt-get install -y ${need_apt[*]})" >&2
    exit 1
  fi
  echo "installing ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi

# chDB (current ClickHouse embedded in Python) proves the modern DDL variant and the queries
# (test/integration/clickhouse-modern.test.ts, which is skipped without it).
if command -v python3 >/dev/null && ! python3 -c "import chdb" 2>/dev/null; then
  echo "installing chdb (pip)"
  python3 -m pip install --quiet chdb || echo "warning: pip install chdb failed; the chDB test will be skipped" >&2
fi
