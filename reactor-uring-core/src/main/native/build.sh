#!/usr/bin/env bash
# Builds libreactoruring.so (JNI over a statically linked liburing) for the Maven build.
# Usage: build.sh <native-src-dir> <javac -h include dir> <output META-INF/native dir>
# Fails with one line that names what to install when the toolchain is missing.
set -euo pipefail
src=$1 include=$2 out=$3

command -v gcc >/dev/null 2>&1 || { echo "reactor-uring: gcc not found; install it: apt-get install -y gcc" >&2; exit 1; }
[ -n "${JAVA_HOME:-}" ] || JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
[ -f "$JAVA_HOME/include/jni.h" ] || { echo "reactor-uring: jni.h not found under JAVA_HOME=$JAVA_HOME; install a JDK: apt-get install -y openjdk-17-jdk-headless" >&2; exit 1; }

multiarch=$(gcc -print-multiarch 2>/dev/null || true)
liburing_a=""
for cand in "/usr/lib/$multiarch/liburing.a" /usr/lib/liburing.a /usr/local/lib/liburing.a; do
  [ -f "$cand" ] && { liburing_a=$cand; break; }
done
if [ ! -f /usr/include/liburing.h ] && [ ! -f /usr/local/include/liburing.h ] || [ -z "$liburing_a" ]; then
  echo "reactor-uring: liburing headers or static liburing.a not found; install them: apt-get install -y liburing-dev" >&2
  exit 1
fi

case "$(uname -m)" in
  x86_64) arch=linux-x86_64 ;;
  aarch64) arch=linux-aarch64 ;;
  *) arch="linux-$(uname -m)" ;;
esac
mkdir -p "$out/$arch"
gcc -O2 -g -fPIC -shared -Wall -Wextra -Werror -std=gnu11 \
  -I"$JAVA_HOME/include" -I"$JAVA_HOME/include/linux" -I"$include" \
  -o "$out/$arch/libreactoruring.so" "$src"/reactoruring.c "$liburing_a"
echo "reactor-uring: built $out/$arch/libreactoruring.so (liburing from $liburing_a)"
