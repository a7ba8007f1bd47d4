#!/usr/bin/env bash
# Configures and builds tether into build/ (or $TETHER_BUILD_DIR) with clang++-22.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${TETHER_BUILD_DIR:-$root/build}"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 "$@" >/dev/null
cmake --build "$build" -j"$(nproc)"
