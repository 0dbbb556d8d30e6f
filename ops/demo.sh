#!/usr/bin/env bash
# The README's first quick-start command: installs what is missing, brings up the local stack and runs
# sluice's main job on it. (Until the reference topology lands, the job is the smoke pipeline:
# Avro events → Kafka → consumer group → ClickHouse, with a summary queried back.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash ops/install-prereqs.sh
node cli/bin.mjs stack up
node --import tsx ops/smoke-pipeline.ts "$@"
