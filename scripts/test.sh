#!/usr/bin/env bash
# All tests of all modules against the real kernel, then the published artifacts as a separate
# consumer project uses them (scripts/consumer-test.sh). Set REACTORURING_REQUIRE=true to fail (instead of
# skip) where io_uring is unavailable; .ci/run does.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/require.sh
# install, not just verify: the consumer test below must see the artifacts a user would get.
mvn -B -ntp install
CONSUMER_TEST_INSTALLED=true bash scripts/consumer-test.sh
# The release build (sources and javadoc jars, doclint failing on warnings, signing skipped), deployed to a
# scratch directory: exactly the published modules, never the test harness, examples or benchmarks.
bash scripts/check-published.sh
# The Spring module and the Spring example also support Spring Boot 3.5: their tests again on it (-Pboot35),
# on the artifacts installed above (clean: the classes compiled against Boot 4 must not be reused).
mvn -B -ntp -Pboot35 -pl reactor-uring-spring,examples clean verify \
    -Dtest='io.reactoruring.spring.**,io.reactoruring.examples.spring.**,!UringFallbackTest' \
    -Dsurefire.failIfNoSpecifiedTests=false
