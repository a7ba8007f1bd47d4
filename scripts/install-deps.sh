#!/usr/bin/env bash
# Installs every Debian package tether needs. Idempotent: installs only what is missing, so it
# costs a second on a machine that already has everything.
set -euo pipefail

PACKAGES=(
  # LLVM/Clang 22: compiler, clang-tidy, clangd, headers + CMake packages, lit/FileCheck/not/split-file
  clang-22 clang-tidy-22 clangd-22 libclang-22-dev llvm-22-dev llvm-22-tools libclang-rt-22-dev
  # Debian's ClangTargets.cmake names gRPC and protobuf targets (clangd's remote index)
  libgrpc++-dev libprotobuf-dev
  # build + runtime dependencies
  cmake ninja-build python3 nlohmann-json3-dev libgtest-dev libgmock-dev
  # benchmarks: Google Benchmark, and oneTBB only as a peer to compare against; valgrind for the
  # instruction counts (bench/instructions.py: hardware counters are not available in every VM)
  libbenchmark-dev libtbb-dev valgrind
  # tether check's tests validate its SARIF against the official schema
  python3-jsonschema
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "tether: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "tether: installing ${missing[*]}"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
