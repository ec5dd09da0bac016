#!/usr/bin/env bash
# Stock Spring vs reactor-uring-spring, side by side in one run, on loopback with wrk.
# One app (examples' SpringFileServer) per scenario serves the same files under
#   /stock/**  stock Spring (RouterFunctions.resources -> ResourceHttpMessageWriter / DataBufferUtils)
#   /**        UringResources, ZeroCopy.AUTO (sendfile on plain HTTP, io_uring under TLS/gzip)
#   /uring/**  UringResources, ZeroCopy.NEVER (always io_uring reads)
# Scenarios: plain HTTP, HTTPS (self-signed cert made with keytool at run time), gzip compression.
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
trap 'stop_app; rm -rf "$WORK"' EXIT INT TERM

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
keytool -genkeypair -alias bench -keyalg EC -groupname secp256r1 -dname CN=localhost -validity 2 \
    -storetype PKCS12 -keystore "$WORK/bench.p12" -storepass benchpw -keypass benchpw >/dev/null 2>&1

start_app() { # scenario
    local extra=()
    case $1 in
        https) extra=(--server.ssl.enabled=true --server.ssl.key-store="$WORK/bench.p12"
                      --server.ssl.key-store-password=benchpw --server.ssl.key-store-type=PKCS12) ;;
        gzip) extra=(--server.compression.enabled=true --server.compression.mime-types=text/plain
                     --server.compression.min-response-size=1024) ;;
    esac
    PORT=$(free_port)
    java -Xmx1g -cp "$CP" io.reactoruring.examples.spring.SpringFileServer --server.port="$PORT" \
        --server.address=127.0.0.1 --site.dir="$WORK/site" --site.upload-dir="$WORK/up" \
        --logging.level.root=WARN "${extra[@]}" >"$WORK/app-$1.log" 2>&1 &
    APP_PID=$!
    SCHEME=http; [[ $1 == https ]] && SCHEME=https
    for i in $(seq 1 600); do
        curl -ksf -o /dev/null "$SCHEME://127.0.0.1:$PORT/f4k.txt" && return 0
        kill -0 "$APP_PID" 2>/dev/null || { tail -30 "$WORK/app-$1.log" >&2; return 1; }
        sleep 0.1
    done
    return 1
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$APP_PID/stat"; }

# run <scenario> <variant> <path> <file> <rep>: one wrk run, appends a result line
run() {
    local scenario=$1 variant=$2 path=$3 file=$4 rep=$5 conns=16
    [[ $file == f100m.txt ]] && conns=2
    local before after
    before=$(cpu_ticks)
    wrk -t2 -c"$conns" -d"${DURATION}s" --latency --timeout 30s "${HDR[@]+"${HDR[@]}"}" \
        "$SCHEME://127.0.0.1:$PORT$path$file" >"$WORK/wrk.out" 2>&1 || true
    after=$(cpu_ticks)
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

for scenario in $SCENARIOS; do
    HDR=()
    [[ $scenario == gzip ]] && HDR=(-H "Accept-Encoding: gzip")
    start_app "$scenario" || { echo "app failed to start for $scenario" >&2; exit 1; }
    variants=("stock /stock/" "uring /")
    [[ $scenario == plain ]] && variants+=("uring-never /uring/")
    for file in f4k.txt f100m.txt; do
        for v in "${variants[@]}"; do  # warm-up (JIT) with the measured load, results dropped
            set -- $v; wrk -t2 -c16 -d"${WARMUP:-8}s" "${HDR[@]+"${HDR[@]}"}" "$SCHEME://127.0.0.1:$PORT$2$file" >/dev/null 2>&1 || true
        done
        for rep in $(seq 1 "$REPS"); do
            for v in "${variants[@]}"; do
                set -- $v; run "$scenario" "$1" "$2" "$file" "$rep"
            done
        done
    done
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
