#!/usr/bin/env bash
# Checks examples' HttpFileServer with curl, as a user would: full GET, `curl -r 0-99`, HEAD, 404,
# 416 and a path traversal attempt. Needs curl. Runs the server from the benchmarks jar (which bundles
# the examples with their dependencies); REACTORURING_PREBUILT=1 builds only examples and benchmarks
# against core/file/net already installed in ~/.m2; SKIP_BUILD=1 uses the jar as it is. Exits non-zero on
# the first mismatch.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v curl >/dev/null 2>&1 || { echo "http-curl-check: curl is not installed; skipped" >&2; exit 0; }
if [ "${SKIP_BUILD:-0}" = 1 ]; then :
elif [ "${REACTORURING_PREBUILT:-0}" = 1 ]; then
  mvn -B -q -o -pl examples,benchmarks package -Dmaven.test.skip=true
else
  mvn -B -q -ntp -pl benchmarks -am package -Dmaven.test.skip=true
fi

work=$(mktemp -d)
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
mkdir "$work/www"
head -c 100000 /dev/urandom > "$work/www/data.bin"
echo secret > "$work/secret.txt"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

java -cp benchmarks/target/benchmarks.jar io.reactoruring.examples.http.HttpFileServer "$work/www" "$port" > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do grep -q serving "$work/server.log" && break; sleep 0.1; done
grep -q serving "$work/server.log" || { cat "$work/server.log"; exit 1; }
url="http://127.0.0.1:$port"

fail() { echo "http-curl-check: FAILED: $*" >&2; exit 1; }
curl -sS -o "$work/full" "$url/data.bin"; cmp -s "$work/full" "$work/www/data.bin" || fail "GET content"
curl -sS -r 0-99 -o "$work/part" -D "$work/part.h" "$url/data.bin"
head -c 100 "$work/www/data.bin" | cmp -s - "$work/part" || fail "range content"
grep -qi '^HTTP/1.1 206' "$work/part.h" || fail "range status"
grep -qi '^Content-Range: bytes 0-99/100000' "$work/part.h" || fail "Content-Range"
[ "$(curl -sS -I -o /dev/null -w '%{http_code} %{size_download}' "$url/data.bin")" = "200 0" ] || fail "HEAD"
[ "$(curl -sS -o /dev/null -w '%{http_code}' "$url/nope")" = 404 ] || fail "404"
[ "$(curl -sS -o /dev/null -w '%{http_code}' -r 100000- "$url/data.bin")" = 416 ] || fail "416"
[ "$(curl -sS --path-as-is -o /dev/null -w '%{http_code}' "$url/../secret.txt")" = 403 ] || fail "traversal"
echo "http-curl-check: OK (GET, curl -r 0-99 -> 206, HEAD, 404, 416, ../ -> 403)"
