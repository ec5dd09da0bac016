#!/usr/bin/env bash
# Stock Spring vs reactor-uring-spring, side by side in one run, on loopback with wrk.
# One app (examples' SpringFileServer) per scenario serves the same files under
#   /stock/**  stock Spring (RouterFunctions.resources -> ResourceHttpMessageWriter / DataBufferUtils)
#   /**        UringResources, ZeroCopy.AUTO (sendfile on plain HTTP, io_uring under TLS/gzip)
#   /uring/**  UringResources, ZeroCopy.NEVER (always io_uring reads)
# Scenarios: plain HTTP, HTTPS (self-signed cert made with keytool at run time), gzip compression;
#   gz: precompressed .gz files (spring.web.resources.chain.compressed) through Boot's own static
#       resources (the app with --site.routes=false), two apps side by side, reactor-uring's static
#       resources off in one (stock: EncodedResourceResolver) and on in the other (variant uring);
#   <scenario>+iouring (e.g. plain+iouring, https+iouring): the same with Netty's io_uring transport on
#       the class path (netty-transport-native-io_uring of the app's Netty version), which Reactor Netty
#       1.3 (Boot 4) then uses instead of epoll; checked from the app's thread names.
# Files: 4 KiB and 100 MiB. Each variant runs REPS times interleaved; medians are reported.
# Output: a markdown table on stdout (requests/s, MB/s, p99, app CPU ms per request, ratio vs stock).
# Bounded: whole run killed after SPRING_BENCH_TIMEOUT s (default 1500); the app is killed on exit.
set -euo pipefail
if [[ -z "${SPRING_BENCH_INNER:-}" ]]; then
    SPRING_BENCH_INNER=1 exec timeout --kill-after=10 "${SPRING_BENCH_TIMEOUT:-1500}" "$0" "$@"
fi
cd "$(dirname "$0")/.."
DURATION=${DURATION:-8}
REPS=${REPS:-3}
SCENARIOS=${SCENARIOS:-"plain https gzip"}

WORK=$(mktemp -d /tmp/spring-bench.XXXXXX)
source scripts/lib/spring-app.sh
GZ_PIDS=()
trap 'stop_app; for APP_PID in "${GZ_PIDS[@]+"${GZ_PIDS[@]}"}"; do stop_app; done; rm -rf "$WORK"' EXIT INT TERM

spring_app_classpath "$WORK"

mkdir -p "$WORK/site"
# Text content (base64 of random bytes) so the gzip scenario really compresses; same files everywhere.
python3 - "$WORK/site" <<'PY'
import base64, os, sys
for name, size in (("f4k.txt", 4096), ("f100m.txt", 100 * 1024 * 1024)):
    with open(os.path.join(sys.argv[1], name), "wb") as f:
        left = size
        while left:
            chunk = base64.encodebytes(os.urandom(3 * 1024 * 1024 // 4))[:min(left, 1024 * 1024)]
            f.write(chunk)
            left -= len(chunk)
PY
# Precompressed variants for the gz scenario (the originals stay: Spring serves them to clients without gzip).
gzip -k -6 "$WORK/site/f4k.txt" "$WORK/site/f100m.txt"

# Netty's io_uring transport, same version as the app's Netty (from the local repository, fetched if missing).
NETTY_VERSION=$(tr ':' '\n' <<<"$CP" | sed -n 's#.*/netty-transport-\([0-9][^/]*\)\.jar$#\1#p' | head -1)
M2=${MAVEN_REPO:-$HOME/.m2/repository}/io/netty
IOURING_CP="$M2/netty-transport-classes-io_uring/$NETTY_VERSION/netty-transport-classes-io_uring-$NETTY_VERSION.jar"
IOURING_CP="$IOURING_CP:$M2/netty-transport-native-io_uring/$NETTY_VERSION/netty-transport-native-io_uring-$NETTY_VERSION-linux-$(uname -m | sed 's/aarch64/aarch_64/').jar"
if [[ $SCENARIOS == *+iouring* ]]; then
    for j in ${IOURING_CP//:/ }; do
        [[ -f $j ]] || mvn -B -q -ntp org.apache.maven.plugins:maven-dependency-plugin:3.8.1:get \
            -Dartifact="io.netty:$(basename "$(dirname "$(dirname "$j")")"):$NETTY_VERSION$([[ $j == *native* ]] && echo ":jar:linux-$(uname -m | sed 's/aarch64/aarch_64/')")" >&2
    done
fi

keytool -genkeypair -alias bench -keyalg EC -groupname secp256r1 -dname CN=localhost -validity 2 \
    -storetype PKCS12 -keystore "$WORK/bench.p12" -storepass benchpw -keypass benchpw >/dev/null 2>&1

start_app() { # scenario [extra app arguments...]
    local scenario=$1 base=${1%%+*} cp=$CP extra=()
    shift
    case $base in
        https) extra=(--server.ssl.enabled=true --server.ssl.key-store="$WORK/bench.p12"
                      --server.ssl.key-store-password=benchpw --server.ssl.key-store-type=PKCS12) ;;
        gzip) extra=(--server.compression.enabled=true --server.compression.mime-types=text/plain
                     --server.compression.min-response-size=1024) ;;
    esac
    [[ $scenario == *+iouring ]] && cp="$CP:$IOURING_CP"
    PORT=$(free_port)
    java -Xmx1g -cp "$cp" io.reactoruring.examples.spring.SpringFileServer --server.port="$PORT" \
        --server.address=127.0.0.1 --site.dir="$WORK/site" --site.upload-dir="$WORK/up" \
        --logging.level.root=WARN "${extra[@]+"${extra[@]}"}" "$@" >"$WORK/app-$scenario.log" 2>&1 &
    APP_PID=$!
    SCHEME=http; [[ $base == https ]] && SCHEME=https
    for i in $(seq 1 600); do
        if curl -ksf -o /dev/null "$SCHEME://127.0.0.1:$PORT/f4k.txt"; then
            local threads
            threads=$(jcmd "$APP_PID" Thread.print 2>/dev/null | grep -o '"reactor-http-[a-z_]*' | sort -u | tr '\n' ' ')
            echo "$scenario $*: Reactor Netty threads: $threads" >&2
            if [[ $scenario == *+iouring && $threads != *io_uring* ]]; then
                echo "Netty's io_uring transport is not in use" >&2; return 1
            fi
            return 0
        fi
        kill -0 "$APP_PID" 2>/dev/null || { tail -30 "$WORK/app-$scenario.log" >&2; return 1; }
        sleep 0.1
    done
    return 1
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# run <scenario> <variant> <path> <file> <rep> <port> <pid>: one wrk run against the app on <port>
# (process <pid>, whose CPU time is counted), appends a result line
run() {
    local scenario=$1 variant=$2 path=$3 file=$4 rep=$5 port=$6 pid=$7 conns=16
    [[ $file == f100m.txt ]] && conns=2
    local before after
    before=$(cpu_ticks "$pid")
    wrk -t2 -c"$conns" -d"${DURATION}s" --latency --timeout 30s "${HDR[@]+"${HDR[@]}"}" \
        "$SCHEME://127.0.0.1:$port$path$file" >"$WORK/wrk.out" 2>&1 || true
    after=$(cpu_ticks "$pid")
    python3 - "$scenario" "$variant" "$file" "$rep" "$((after - before))" "$(getconf CLK_TCK)" "$WORK/wrk.out" \
        >>"$WORK/results.tsv" <<'PY'
import re, sys
scenario, variant, file, rep, ticks, hz, out = sys.argv[1:]
text = open(out).read()
def unit(v, u):
    return float(v) * {'': 1, 'B': 1, 'K': 1e3, 'KB': 1024, 'M': 1e6, 'MB': 1024**2, 'GB': 1024**3,
                       'us': 1e-3, 'ms': 1.0, 's': 1e3, 'm': 6e4}[u]
rps = float(re.search(r'Requests/sec:\s+([\d.]+)', text).group(1)) if 'Requests/sec' in text else 0.0
m = re.search(r'Transfer/sec:\s+([\d.]+)(\w+)', text)
mbs = unit(m.group(1), m.group(2)) / 1e6 if m else 0.0
m = re.search(r'^\s+99%\s+([\d.]+)(\w+)', text, re.M)
p99 = unit(m.group(1), m.group(2)) if m else float('nan')
m = re.search(r'(\d+) requests in', text)
reqs = int(m.group(1)) if m else 0
errors = 'Non-2xx' in text or 'Socket errors' in text
cpu_ms = int(ticks) * 1000.0 / int(hz) / reqs if reqs else float('nan')
print('\t'.join(map(str, [scenario, variant, file, rep, rps, mbs, p99, cpu_ms, int(errors)])))
PY
}

# measure <scenario> <"variant path [port pid]">...: warm-up, then REPS interleaved runs of each variant,
# per file. A variant without port and pid is served by the current app ($PORT, $APP_PID).
measure() {
    local scenario=$1 v
    shift
    local variants=("$@")
    for file in f4k.txt f100m.txt; do
        for v in "${variants[@]}"; do  # warm-up (JIT) with the measured load, results dropped
            set -- $v; wrk -t2 -c16 -d"${WARMUP:-8}s" "${HDR[@]+"${HDR[@]}"}" "$SCHEME://127.0.0.1:${3:-$PORT}$2$file" >/dev/null 2>&1 || true
        done
        for rep in $(seq 1 "$REPS"); do
            for v in "${variants[@]}"; do
                set -- $v; run "$scenario" "$1" "$2" "$file" "$rep" "${3:-$PORT}" "${4:-$APP_PID}"
            done
        done
    done
}

for scenario in $SCENARIOS; do
    HDR=()
    base=${scenario%%+*}
    [[ $base == gzip || $base == gz ]] && HDR=(-H "Accept-Encoding: gzip")
    if [[ $base == gz ]]; then
        # Boot's static resources only, with precompressed variants: stock, then reactor-uring.
        gz=(--site.routes=false --spring.web.resources.static-locations="file:$WORK/site/"
            --spring.web.resources.chain.enabled=true --spring.web.resources.chain.compressed=true)
        # Two apps at once, reactor-uring's static resources off in one and on in the other, measured
        # alternately like the other scenarios' variants (the idle one costs no CPU meanwhile).
        gzvariants=()
        for variant in stock uring; do
            enabled=false; [[ $variant == uring ]] && enabled=true
            start_app "$scenario" "${gz[@]}" --reactor-uring.static-resources.enabled=$enabled \
                || { echo "app failed to start for $scenario $variant" >&2; exit 1; }
            enc=$(curl -s -o /dev/null -D - -H 'Accept-Encoding: gzip' "http://127.0.0.1:$PORT/f4k.txt" \
                | tr -d '\r' | sed -n 's/^[Cc]ontent-[Ee]ncoding: //p')
            [[ $enc == gzip ]] || { echo "$scenario $variant: no Content-Encoding: gzip" >&2; exit 1; }
            gzvariants+=("$variant / $PORT $APP_PID")
            GZ_PIDS+=("$APP_PID")
            APP_PID=""
        done
        measure "$scenario" "${gzvariants[@]}"
        for APP_PID in "${GZ_PIDS[@]}"; do stop_app; done
        GZ_PIDS=()
        continue
    fi
    start_app "$scenario" || { echo "app failed to start for $scenario" >&2; exit 1; }
    variants=("stock /stock/" "uring /")
    [[ $base == plain ]] && variants+=("uring-never /uring/")
    measure "$scenario" "${variants[@]}"
    stop_app
done

python3 - "$WORK/results.tsv" <<'PY'
import statistics, sys, collections
rows = collections.defaultdict(list)
err = collections.defaultdict(int)
for line in open(sys.argv[1]):
    s, v, f, rep, rps, mbs, p99, cpu, e = line.rstrip('\n').split('\t')
    rows[(s, f, v)].append((float(rps), float(mbs), float(p99), float(cpu)))
    err[(s, f, v)] += int(e)
med = {k: [statistics.median(x[i] for x in vals) for i in range(4)] for k, vals in rows.items()}
print('| scenario | file | variant | req/s | MB/s | p99 ms | app CPU ms/req | MB/s vs stock | runs |')
print('|---|---|---|---:|---:|---:|---:|---:|---|')
def num(x, fmt):
    return 'n/a' if x != x or x == 0 else format(x, fmt)
for (s, f, v), (rps, mbs, p99, cpu) in sorted(med.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] != 'stock', kv[0][2])):
    base = med.get((s, f, 'stock'), [0, 0])[1]
    ratio = f'{mbs / base:.2f}x' if base else 'n/a'
    note = f"{len(rows[(s, f, v)])}" + (f" ({err[(s, f, v)]} with errors)" if err[(s, f, v)] else '')
    print(f"| {s} | {f} | {v} | {num(rps, ',.1f' if rps < 100 else ',.0f')} | {mbs:,.1f} | {num(p99, '.1f')} | {num(cpu, '.3f')} | {ratio} | {note} |")
PY
