#!/usr/bin/env bash
# The README's first quick-start command: installs what is missing (Debian packages, npm packages; the stack
# fetches Kafka and Apicurio from Maven Central on first use), then runs sluice's main job on the local stack:
# the reference topology over 20 000 synthetic events, summarised from ClickHouse. See ops/demo.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ops/install-prereqs.sh
exec node --import tsx ops/demo.ts "$@"
