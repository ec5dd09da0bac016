#!/usr/bin/env bash
# End-to-end check of the Spring WebFlux example (io.reactoruring.examples.spring.SpringFileServer):
# starts the app on a free port, checks GET/HEAD/Range/multi-range/304/404/416/traversal with curl,
# then takes a headless Chromium screenshot of the page into docs/spring-example.png.
# Not part of `mvn verify` (needs Chromium and a free port). Bounded: the whole run is killed after
# SPRING_E2E_TIMEOUT seconds (default 300); the app is killed on every exit path.
#
# Prerequisites: modules installed in ~/.m2 (mvn install -DskipTests), curl, and for the screenshot
# `apt-get install -y chromium` (skipped with a warning if absent, unless SPRING_E2E_REQUIRE_SCREENSHOT=1).
set -euo pipefail
if [[ -z "${SPRING_E2E_INNER:-}" ]]; then
    SPRING_E2E_INNER=1 exec timeout --kill-after=10 "${SPRING_E2E_TIMEOUT:-300}" "$0" "$@"
fi
cd "$(dirname "$0")/.."

WORK=$(mktemp -d /tmp/spring-e2e.XXXXXX)
source scripts/lib/spring-app.sh
cleanup() {
    stop_app 50
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

fail() { echo "FAIL: $*" >&2; echo "--- app log (tail)" >&2; tail -40 "$WORK/app.log" >&2 || true; exit 1; }
pass() { echo "ok   $*"; }

echo "== building the example classpath"
spring_app_classpath "$WORK"

PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
mkdir -p "$WORK/site"
echo "TOP-SECRET" > "$WORK/secret.txt"

echo "== starting the app on $BASE"
java -cp "$CP" io.reactoruring.examples.spring.SpringFileServer \
    --server.port="$PORT" --server.address=127.0.0.1 \
    --site.dir="$WORK/site" --site.upload-dir="$WORK/uploads" >"$WORK/app.log" 2>&1 &
APP_PID=$!
for i in $(seq 1 600); do
    curl -fsS -o /dev/null "$BASE/index.html" 2>/dev/null && break
    kill -0 "$APP_PID" 2>/dev/null || fail "app exited during startup"
    [[ $i == 600 ]] && fail "app not up after 60 s"
    sleep 0.1
done
pass "app up (pid $APP_PID)"

C=(curl -sS --max-time 20)
status() { "${C[@]}" -o /dev/null -w '%{http_code}' "$@"; }
header() { local name=$1; shift; "${C[@]}" -o /dev/null -D - "$@" | tr -d '\r' | awk -v n="$name" 'tolower($0) ~ "^"tolower(n)":" {sub(/^[^:]*: */,""); print}'; }

TONE="$WORK/site/tone.wav"
SIZE=$(stat -c %s "$TONE")

"${C[@]}" "$BASE/" | grep -q '<audio' || fail "index page has no <audio> element"
pass "GET / serves the index page with an <audio> element"

for route in "" "/uring" "/stock"; do
    "${C[@]}" -o "$WORK/get.bin" "$BASE$route/tone.wav"
    cmp -s "$WORK/get.bin" "$TONE" || fail "GET $route/tone.wav differs from the file"
done
pass "GET /tone.wav, /uring/tone.wav, /stock/tone.wav are byte-identical to the file ($SIZE bytes)"

[[ $(header content-length -I "$BASE/tone.wav") == "$SIZE" ]] || fail "HEAD Content-Length"
[[ $("${C[@]}" -I "$BASE/tone.wav" -o /dev/null -w '%{size_download}') == 0 ]] || fail "HEAD has a body"
pass "HEAD: Content-Length $SIZE, no body"

[[ $(status -H 'Range: bytes=0-3' "$BASE/tone.wav") == 206 ]] || fail "Range status"
[[ $("${C[@]}" -H 'Range: bytes=0-3' "$BASE/tone.wav") == RIFF ]] || fail "Range body"
[[ $(header content-range -H 'Range: bytes=0-3' "$BASE/tone.wav") == "bytes 0-3/$SIZE" ]] || fail "Content-Range"
"${C[@]}" -H 'Range: bytes=1000-' "$BASE/uring/tone.wav" -o "$WORK/tail.bin"
tail -c +1001 "$TONE" | cmp -s - "$WORK/tail.bin" || fail "open-ended range body"
pass "Range: 206, Content-Range bytes 0-3/$SIZE, body RIFF; bytes=1000- matches the file tail"

CT=$(header content-type -H 'Range: bytes=0-3,8-11' "$BASE/tone.wav")
[[ $CT == multipart/byteranges* ]] || fail "multi-range content type: $CT"
BODY=$("${C[@]}" -H 'Range: bytes=0-3,8-11' "$BASE/tone.wav" | tr -d '\r')
grep -q "Content-Range: bytes 0-3/$SIZE" <<<"$BODY" && grep -q "^RIFF" <<<"$BODY" \
    && grep -q "Content-Range: bytes 8-11/$SIZE" <<<"$BODY" && grep -q "^WAVE" <<<"$BODY" || fail "multi-range body"
pass "multiple ranges: 206 multipart/byteranges with both parts"

ETAG=$(header etag "$BASE/tone.wav")
LM=$(header last-modified "$BASE/tone.wav")
[[ $(status -H "If-None-Match: $ETAG" "$BASE/tone.wav") == 304 ]] || fail "If-None-Match"
[[ $(status -H "If-Modified-Since: $LM" "$BASE/tone.wav") == 304 ]] || fail "If-Modified-Since"
pass "conditional GET: 304 for ETag $ETAG and Last-Modified $LM"

[[ $(status "$BASE/missing.mp4") == 404 ]] || fail "404"
[[ $(status -H 'Range: bytes=999999-' "$BASE/tone.wav") == 416 ]] || fail "416"
[[ $(header content-range -H 'Range: bytes=999999-' "$BASE/tone.wav") == "bytes */$SIZE" ]] || fail "416 Content-Range"
pass "404 for a missing file, 416 with Content-Range bytes */$SIZE"

for p in "/../secret.txt" "/%2e%2e/secret.txt" "/..%2fsecret.txt" "/uring/%2e%2e%2f..%2fsecret.txt"; do
    code=$(status --path-as-is "$BASE$p")
    [[ $code == 4* ]] || fail "traversal $p answered $code"
    "${C[@]}" --path-as-is "$BASE$p" | grep -q TOP-SECRET && fail "traversal $p leaked the file"
done
pass "path traversal rejected (4xx, nothing leaked)"

"${C[@]}" -f -X POST --data-binary @"$TONE" "$BASE/upload/copy.wav" | grep -q "stored $SIZE bytes" || fail "upload"
cmp -s "$TONE" "$WORK/uploads/copy.wav" || fail "uploaded file differs"
pass "upload written through io_uring is identical"

"${C[@]}" "$BASE/actuator/metrics/reactor.uring.submitted" | grep -q '"COUNT"' || fail "ring metrics"
pass "ring metrics exported (/actuator/metrics/reactor.uring.submitted)"

SHOT=docs/spring-example.png
BROWSER=$(command -v chromium || command -v chromium-browser || true)
if [[ -n "$BROWSER" ]]; then
    timeout 90 "$BROWSER" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1000,640 \
        --user-data-dir="$WORK/chromium" --screenshot="$WORK/shot.png" "$BASE/" >"$WORK/chromium.log" 2>&1 \
        || fail "chromium failed: $(tail -5 "$WORK/chromium.log")"
    [[ -s "$WORK/shot.png" ]] || fail "no screenshot"
    cp "$WORK/shot.png" "$SHOT"
    pass "screenshot of $BASE/ written to $SHOT"
elif [[ "${SPRING_E2E_REQUIRE_SCREENSHOT:-0}" == 1 ]]; then
    fail "chromium not installed (apt-get install -y chromium)"
else
    echo "warn chromium not installed: no screenshot"
fi
echo "== all Spring e2e checks passed"
