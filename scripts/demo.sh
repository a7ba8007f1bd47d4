#!/usr/bin/env bash
# Runs `tether check` over examples/: the leaky service (written the wrong way, so it has findings)
# and the fixed one (written with the tether runtime, so it has none). Uses the compile database of
# build/, and shows the baseline workflow on the leaky service.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${TETHER_BUILD_DIR:-$root/build}"
tether="$build/bin/tether"
cd "$root"

echo "== tether check on examples/leaky_service (written the wrong way) =="
"$tether" check -p "$build" --quiet examples/leaky_service || true
if [ -d examples/fixed_service ]; then
  echo
  echo "== tether check on examples/fixed_service (the same service on the tether runtime) =="
  if "$tether" check -p "$build" --quiet examples/fixed_service; then echo "no findings"; fi
fi

echo
echo "== adopting with a baseline: record the leaky service's findings, then only new ones fail =="
baseline="$(mktemp --suffix=.json)"
trap 'rm -f "$baseline"' EXIT
"$tether" baseline -p "$build" --quiet examples/leaky_service -o "$baseline"
echo "recorded $(grep -c '"fingerprint"' "$baseline") findings in the baseline"
if "$tether" check -p "$build" --quiet --baseline "$baseline" examples/leaky_service; then
  echo "tether check --baseline: nothing new (exit 0)"
fi
