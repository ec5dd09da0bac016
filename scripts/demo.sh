#!/usr/bin/env bash
# The demo: reads a file and echoes it through a socket, all through io_uring, printing what it did.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/require.sh
mvn -B -q -ntp install -DskipTests -pl examples -am
mvn -B -q -ntp -pl examples exec:exec
