#!/usr/bin/env bash
# Runs tether over examples/: the leaky service (written the wrong way, so it has findings) and the
# fixed one (written with the tether runtime, so it has none). Uses the compile database of build/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${TETHER_BUILD_DIR:-$root/build}"
tidy="$build/bin/tether-tidy"

echo "== tether on examples/leaky_service (written the wrong way) =="
"$tidy" -p "$build" --quiet "$root"/examples/leaky_service/*.cpp 2>/dev/null || true
if [ -d "$root/examples/fixed_service" ]; then
  echo
  echo "== tether on examples/fixed_service (the same service on the tether runtime) =="
  out=$("$tidy" -p "$build" --quiet "$root"/examples/fixed_service/*.cpp 2>/dev/null || true)
  if [ -z "$out" ]; then echo "no findings"; else echo "$out"; fi
fi
