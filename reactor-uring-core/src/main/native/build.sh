#!/usr/bin/env bash
# Builds libreactoruring-<version>.so (JNI over a statically linked liburing) for the Maven build.
# Usage: build.sh <native-src-dir> <javac -h include dir> <output META-INF/native dir> <project version>
# The file name carries the version so that a stale copy on java.library.path can never be taken for
# this jar's (NativeLibrary loads only the exact name); reactoruring.version next to the .so dirs tells
# NativeLibrary which name to look for.
# Fails with one line that names what to install when the toolchain is missing.
set -euo pipefail
src=$1 include=$2 out=$3 version=${4:?project version}
lib=libreactoruring-$version.so

command -v gcc >/dev/null 2>&1 || { echo "reactor-uring: gcc not found; install it: apt-get install -y gcc" >&2; exit 1; }
[ -n "${JAVA_HOME:-}" ] || JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
[ -f "$JAVA_HOME/include/jni.h" ] || { echo "reactor-uring: jni.h not found under JAVA_HOME=$JAVA_HOME; install a JDK: apt-get install -y openjdk-17-jdk-headless" >&2; exit 1; }

# One .so per Linux architecture the jar supports, in META-INF/native/linux-<arch>/. The host's is
# always built; the other one is cross-compiled when its toolchain and liburing.a are installed
# (Debian: gcc-aarch64-linux-gnu and liburing-dev:arm64, or gcc-x86-64-linux-gnu and liburing-dev:amd64).
# REACTORURING_ALL_ARCHES=true (set by .ci/run, and needed for a release) fails instead of skipping.
build_arch() { # <java arch name> <gcc> <multiarch triplet>
  local arch=$1 cc=$2 triplet=$3 liburing_a=""
  command -v "$cc" >/dev/null 2>&1 || { missing "$arch" "$cc not found"; return 0; }
  for cand in "/usr/lib/$triplet/liburing.a" /usr/lib/liburing.a /usr/local/lib/liburing.a; do
    # The unqualified paths hold the host's liburing only.
    if [ -f "$cand" ] && { [ "$cand" = "/usr/lib/$triplet/liburing.a" ] || [ "$triplet" = "$host_triplet" ]; }; then
      liburing_a=$cand; break
    fi
  done
  if [ ! -f /usr/include/liburing.h ] && [ ! -f /usr/local/include/liburing.h ] || [ -z "$liburing_a" ]; then
    missing "$arch" "liburing headers or static liburing.a for $triplet not found"; return 0
  fi
  mkdir -p "$out/linux-$arch"
  rm -f "$out/linux-$arch"/libreactoruring*.so   # an older version's file must not ship in the jar
  "$cc" -O2 -g -fPIC -shared -Wall -Wextra -Werror -std=gnu11 \
    -I"$JAVA_HOME/include" -I"$JAVA_HOME/include/linux" -I"$include" -DRR_VERSION="\"$version\"" \
    -o "$out/linux-$arch/$lib" "$src"/reactoruring.c "$liburing_a"
  echo "reactor-uring: built $out/linux-$arch/$lib (liburing from $liburing_a)"
}
missing() { # <arch> <why>
  if [ "$1" = "$host_arch" ]; then
    echo "reactor-uring: $2; install it: apt-get install -y liburing-dev gcc" >&2; exit 1
  elif [ "${REACTORURING_ALL_ARCHES:-false}" = true ]; then
    echo "reactor-uring: cannot build linux-$1 ($2); install: $cross_install" >&2; exit 1
  else
    echo "reactor-uring: linux-$1 not built ($2); the jar will fall back to NIO there. Install: $cross_install" >&2
  fi
}

case "$(uname -m)" in
  x86_64) host_arch=x86_64 host_triplet=x86_64-linux-gnu
          other=(aarch64 aarch64-linux-gnu-gcc aarch64-linux-gnu)
          cross_install="dpkg --add-architecture arm64 && apt-get update && apt-get install -y gcc-aarch64-linux-gnu liburing-dev:arm64" ;;
  aarch64) host_arch=aarch64 host_triplet=aarch64-linux-gnu
          other=(x86_64 x86_64-linux-gnu-gcc x86_64-linux-gnu)
          cross_install="dpkg --add-architecture amd64 && apt-get update && apt-get install -y gcc-x86-64-linux-gnu liburing-dev:amd64" ;;
  *) echo "reactor-uring: building on $(uname -m) is not supported (linux x86_64 and aarch64 are)" >&2; exit 1 ;;
esac
mkdir -p "$out"
printf '%s\n' "$version" > "$out/reactoruring.version"
build_arch "$host_arch" gcc "$host_triplet"
build_arch "${other[@]}"
