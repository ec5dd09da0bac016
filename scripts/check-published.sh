#!/usr/bin/env bash
# The release build (sources and javadoc jars with doclint failing on warnings, signing skipped), deployed
# into a scratch directory instead of a remote repository, and a check of what would be published: the
# parent POM, the BOM, and core, file, net and spring each with jar, sources and javadoc. Nothing else:
# not the tests' harness (reactor-uring-test-harness), not examples or benchmarks, no test-jar.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(mktemp -d)
trap 'rm -rf "$repo"' EXIT
mvn -B -ntp -q -P release -DskipTests deploy -DaltDeploymentRepository=scratch::file://"$repo"
# io/reactoruring/<artifactId>/<version>/<artifactId>-<version or timestamp>[-<classifier>].<ext>
actual=$(cd "$repo/io/reactoruring" && find . -name '*.jar' -o -name '*.pom' | while read -r f; do
  a=$(cut -d/ -f2 <<<"$f"); n=$(basename "$f")
  c=$(sed -E 's/.*-(sources|javadoc|tests)\.jar$/\1/; t; s/.*\.(jar|pom)$/\1/' <<<"$n")
  echo "$a:$c"
done | sort | tr '\n' ' ')
expected=""
for a in reactor-uring-bom reactor-uring-parent; do expected+="$a:pom "; done
for m in core file net spring; do
  for c in jar javadoc pom sources; do expected+="reactor-uring-$m:$c "; done
done
expected=$(tr ' ' '\n' <<<"$expected" | sed '/^$/d' | sort | tr '\n' ' ')
if [ "$actual" != "$expected" ]; then
  echo "check-published: the release would publish" >&2
  echo "  $actual" >&2
  echo "expected" >&2
  echo "  $expected" >&2
  exit 1
fi
echo "check-published: ok ($expected)"
