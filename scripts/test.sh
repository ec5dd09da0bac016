#!/usr/bin/env bash
# All tests of all modules, against the real kernel. Set REACTORURING_REQUIRE=true to fail (instead of
# skip) where io_uring is unavailable; .ci/run does.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/require.sh
mvn -B -ntp verify
