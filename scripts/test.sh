#!/usr/bin/env bash
# Runs the whole suite: the lit tests (checks + the four delivery routes + dogfood) and the runtime
# unit tests, then the runtime tests again under ThreadSanitizer and under ASan+UBSan.
# Installs and builds what it needs first. Ends with one line: "N passed, N failed".
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-deps.sh" || exit 1

passed=0; failed=0
# Runs ctest in a build folder and adds its counts to the totals.
run_ctest() {
  local dir="$1"; shift
  local log; log="$(mktemp)"
  (cd "$dir" && ctest --output-on-failure "$@") 2>&1 | tee "$log"
  local line; line="$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -1)"
  rm -f "$log"
  if [ -z "$line" ]; then
    echo "tether: ctest in $dir printed no summary"; failed=$((failed + 1)); return
  fi
  local f t; f="$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"$line")"
  t="$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\2/' <<<"$line")"
  passed=$((passed + t - f)); failed=$((failed + f))
}

echo "== build (checks, tools, plugin, runtime, examples) =="
if "$root/scripts/build.sh"; then
  run_ctest "$root/build"
else
  echo "tether: build failed"; failed=$((failed + 1))
fi

for san in thread address; do
  echo "== runtime under TETHER_SANITIZE=$san =="
  dir="$root/build-$san"
  if TETHER_BUILD_DIR="$dir" "$root/scripts/build.sh" -DTETHER_SANITIZE="$san" -DCMAKE_BUILD_TYPE=RelWithDebInfo; then
    run_ctest "$dir" -L runtime
  else
    echo "tether: $san build failed"; failed=$((failed + 1))
  fi
done

echo
echo "tether: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
