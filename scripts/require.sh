#!/usr/bin/env bash
# Checks (and as root on Debian/Ubuntu, installs) what building reactor-uring needs:
# a JDK 17+, Maven, gcc and liburing-dev (headers + static liburing.a). Sourced by demo.sh/test.sh.
set -euo pipefail

missing=()
command -v javac >/dev/null 2>&1 || missing+=("openjdk-17-jdk-headless")
command -v mvn >/dev/null 2>&1 || missing+=("maven")
command -v gcc >/dev/null 2>&1 || missing+=("gcc")
multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
{ [ -f /usr/include/liburing.h ] && [ -f "/usr/lib/$multiarch/liburing.a" ]; } || missing+=("liburing-dev")
# The HTTP example's tests run real curl and wget clients (HttpStrictServerTest).
command -v curl >/dev/null 2>&1 || missing+=("curl")
command -v wget >/dev/null 2>&1 || missing+=("wget")

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "reactor-uring: installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "reactor-uring: missing packages: ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

disabled=$(cat /proc/sys/kernel/io_uring_disabled 2>/dev/null || echo 0)
if [ "$disabled" != 0 ]; then
  echo "reactor-uring: warning: kernel.io_uring_disabled=$disabled; io_uring tests will be skipped (set it to 0)" >&2
fi
