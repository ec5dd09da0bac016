#!/usr/bin/env bash
# The published artifacts as a user gets them: installs the BOM and the modules into the local Maven
# repository, then builds consumer-test/ (a separate project that sees only those artifacts and the
# BOM) against reactor-core 3.7 and 3.8, compiles every java block of README.md verbatim, and runs
# the blocks and a smoke program on JDK 17 and on JDK 25 (where one is installed).
set -euo pipefail
cd "$(dirname "$0")/.."
# scripts/test.sh has just installed them (after running every test); alone, install them here.
if [ "${CONSUMER_TEST_INSTALLED:-false}" != true ]; then
  mvn -B -ntp -q install -DskipTests -pl reactor-uring-bom,reactor-uring-core,reactor-uring-file,reactor-uring-net -am
fi

gen=consumer-test/src/main/java/consumer/readme/ReadmeExamples.java
blocks=$(java scripts/ReadmeExamples.java README.md "$gen")

jdk25=$(ls -d /usr/lib/jvm/*25* 2>/dev/null | head -1 || true)
javas=("$(command -v java)")
if [ -n "$jdk25" ] && [ -x "$jdk25/bin/java" ]; then
  javas+=("$jdk25/bin/java")
else
  echo "consumer-test: no JDK 25 under /usr/lib/jvm; running on $(java -version 2>&1 | head -1) only" >&2
fi

for reactor in 3.7.9 3.8.7; do
  (cd consumer-test && mvn -B -ntp -q clean compile dependency:build-classpath \
      -Dreactor.version=$reactor -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime)
  cp="consumer-test/target/classes:$(cat consumer-test/target/classpath.txt)"
  grep -q "reactor-core-$reactor.jar" <<<"$cp" || { echo "consumer-test: reactor-core $reactor not on the class path" >&2; exit 1; }
  for java in "${javas[@]}"; do
    # The README's documented flag: needed on JDK 22+ (System.load is restricted), accepted since 17.
    flags=(--enable-native-access=ALL-UNNAMED)
    echo "consumer-test: reactor-core $reactor on $("$java" -version 2>&1 | head -1)"
    out=$("$java" "${flags[@]}" -cp "$cp" consumer.Smoke 2>&1) || { echo "$out"; exit 1; }
    echo "$out" | sed 's/^/  /'
    if [ "${REACTORURING_REQUIRE:-false}" = true ] && ! grep -q "io_uring available" <<<"$out"; then
      echo "consumer-test: io_uring required but unavailable" >&2; exit 1
    fi
    if grep -qi "warning: .*native" <<<"$out"; then
      echo "consumer-test: the JDK warned about native access although the documented flag was given" >&2; exit 1
    fi
    for n in $(seq 1 "$blocks"); do
      (cd consumer-test/target && "$java" "${flags[@]}" -cp "$(cd ../.. && pwd)/consumer-test/target/classes:$(cat classpath.txt)" \
          consumer.readme.ReadmeExamples "$n" >/dev/null) || { echo "consumer-test: README java block $n failed" >&2; exit 1; }
    done
    echo "  README: $blocks java blocks compiled and ran"
  done
  # The same smoke program as a named module on the module path, with the module-path flag.
  mp="$(cat consumer-test/target/classpath.txt)"
  rm -rf consumer-test/target/modular && mkdir -p consumer-test/target/modular
  javac -d consumer-test/target/modular --module-path "$mp" \
      consumer-test/modular/module-info.java consumer-test/src/main/java/consumer/Smoke.java
  if javac -d consumer-test/target/modular-negative --module-path "$mp" consumer-test/modular/module-info.java \
      consumer-test/modular-negative/consumer/UsesInternal.java >consumer-test/target/negative.txt 2>&1; then
    echo "consumer-test: a modular consumer could use io.reactoruring.core.internal; it must not be exported to it" >&2; exit 1
  fi
  grep -q "not visible\|does not export" consumer-test/target/negative.txt \
      || { cat consumer-test/target/negative.txt; echo "consumer-test: unexpected javac failure above" >&2; exit 1; }
  for java in "${javas[@]}"; do
    echo "consumer-test: module path, reactor-core $reactor on $("$java" -version 2>&1 | head -1)"
    out=$("$java" --enable-native-access=io.reactoruring.core -p "consumer-test/target/modular:$mp" \
        -m consumer/consumer.Smoke 2>&1) || { echo "$out"; exit 1; }
    echo "$out" | sed 's/^/  /'
    if [ "${REACTORURING_REQUIRE:-false}" = true ] && ! grep -q "io_uring available" <<<"$out"; then
      echo "consumer-test: io_uring required but unavailable on the module path" >&2; exit 1
    fi
    if grep -qi "warning: .*native" <<<"$out"; then
      echo "consumer-test: native-access warning on the module path although --enable-native-access=io.reactoruring.core was given" >&2; exit 1
    fi
  done
  echo "  module path: internals hidden, smoke ran as a named module"
done
echo "consumer-test: ok"
