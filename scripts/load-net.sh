#!/usr/bin/env bash
# Loopback load comparison, in one run (about 3 to 4 minutes in total, bounded by `timeout`):
#   echo:  reactor-uring vs Reactor Netty on epoll vs Reactor Netty on Netty's io_uring transport
#   HTTP:  examples' HttpFileServer vs Reactor Netty HttpServer (epoll, io_uring) vs nginx, with wrk
# Prints markdown tables and ratios (see docs/benchmarks.md, "Net"). Extra arguments go to
# io.reactoruring.benchmarks.net.NetLoadReport (e.g. --only echo, --measure 10, --threads 2; --idle 15000
# adds the idle-connection tables, --slow-readers 500 the slow-reader rows: give those more time with
# LOAD_NET_TIMEOUT=600, the run's bound in seconds, default 280).
#
# REACTORURING_PREBUILT=1 builds only examples and benchmarks, against core/file/net already
# installed in ~/.m2 (offline); SKIP_BUILD=1 runs benchmarks/target/benchmarks.jar as it is; by default
# the whole chain is built (-am).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/require.sh

# wrk drives the HTTP section and nginx is its reference; both optional (the report says what it skipped).
if ! command -v wrk >/dev/null 2>&1 || [ ! -x /usr/sbin/nginx ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light >/dev/null 2>&1 \
      || echo "load-net: could not install wrk/nginx-light; the HTTP section may be partial" >&2
  else
    echo "load-net: for the HTTP section: sudo apt-get install -y wrk nginx-light" >&2
  fi
fi

if [ "${SKIP_BUILD:-0}" = 1 ]; then
  :
elif [ "${REACTORURING_PREBUILT:-0}" = 1 ]; then
  mvn -B -q -o -pl examples,benchmarks package -Dmaven.test.skip=true
else
  mvn -B -q -ntp -pl benchmarks -am package -Dmaven.test.skip=true
fi
exec timeout "${LOAD_NET_TIMEOUT:-280}" java -cp benchmarks/target/benchmarks.jar io.reactoruring.benchmarks.net.NetLoadReport "$@"
