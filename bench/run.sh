#!/usr/bin/env bash
# One command for every tether benchmark (docs/performance.md):
#   1. builds build-bench/ (Release, -O2, no sanitizers, runtime + benchmarks only) with scripts/build.sh;
#   2. runs the runtime benchmarks with repetitions, randomly interleaved, JSON into build-bench/results/;
#   3. prints ratio tables against the peers measured in the same run (bench/report.py);
#   4. counts instructions per operation under callgrind (bench/instructions.py; load-independent);
#   5. profiles the tether clang-tidy checks (bench/tidy_profile.py) if build/bin/tether-tidy exists.
#
#   bench/run.sh [--quick] [--no-tidy] [--no-instructions] [--filter REGEX]
#
# Environment: REPS (repetitions, default 5; --quick: 2), MIN_TIME (seconds per repetition, default 0.2;
# --quick: 0.05), TETHER_BENCH_DIR (default build-bench), TETHER_MAIN_BUILD (default build, for tidy),
# TIDY_FILES (generated files per corpus size for tidy_profile.py, default 6).
# 7-15 minutes on the loaded 2-core bench machine, plus 2-4 for tidy_profile; --quick about 3.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bdir="${TETHER_BENCH_DIR:-$root/build-bench}"
main_build="${TETHER_MAIN_BUILD:-$root/build}"
reps="${REPS:-5}"
min_time="${MIN_TIME:-0.2}"
tidy=1
instructions=1
filter="."
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) reps="${REPS:-2}"; min_time="${MIN_TIME:-0.05}" ;;
    --no-tidy) tidy=0 ;;
    --no-instructions) instructions=0 ;;
    --filter) filter="$2"; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

start=$SECONDS
echo "== build $bdir (Release -O2, benchmarks only) =="
TETHER_BUILD_DIR="$bdir" "$root/scripts/build.sh" \
  -DTETHER_BUILD_BENCHMARKS=ON -DTETHER_BUILD_CHECKS=OFF -DTETHER_BUILD_TESTS=OFF \
  -DTETHER_BUILD_EXAMPLES=OFF -DTETHER_SANITIZE= -DCMAKE_BUILD_TYPE=Release \
  "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG"

out="$bdir/results"
rm -rf "$out"
mkdir -p "$out"
{
  echo "date: $(date -u +%FT%TZ)"
  echo "commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet HEAD 2>/dev/null || echo ' (dirty)')"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "compiler: $(clang++-22 --version | head -1)"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out/machine.txt"

for b in safe_go task_group worker_pool bounded_map metrics; do
  # Three times the repetitions where the target is tight: safe_go (1.1x, cheap per repetition) and
  # worker_pool (1.0x; with three busy threads on two cores its times are bimodal, and a median of 5 put the
  # same build at 0.64x and at 1.06x of the mutex pool; docs/performance.md, "worker_pool").
  r="$reps"; case "$b" in safe_go|worker_pool) r=$((reps * 3)) ;; esac
  echo "== bench_$b (repetitions $r, min_time ${min_time}s, interleaved) =="
  # Console output shows progress; the JSON keeps only the aggregates (median, cv, ...).
  "$bdir/bin/bench_$b" \
    --benchmark_filter="$filter" \
    --benchmark_repetitions="$r" \
    --benchmark_min_time="$min_time" \
    --benchmark_min_warmup_time=0.02 \
    --benchmark_enable_random_interleaving=true \
    --benchmark_report_aggregates_only=true \
    --benchmark_out="$out/$b.json" --benchmark_out_format=json \
    | grep --line-buffered -E '_median|^Load|^Run on'
  rc=${PIPESTATUS[0]}
  if [ "$rc" -ne 0 ]; then echo "run.sh: bench_$b failed (exit $rc)" >&2; exit 1; fi
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/machine.txt"

jsons=()
for b in safe_go task_group worker_pool bounded_map metrics; do [ -s "$out/$b.json" ] && jsons+=("$out/$b.json"); done
echo
echo "== ratios (real time) =="
python3 "$root/bench/report.py" "${jsons[@]}" | tee "$out/report.md"
echo
echo "== ratios (CPU time: process CPU for safe_go / task_group, summed thread CPU for bounded_map) =="
python3 "$root/bench/report.py" --cpu "${jsons[@]}" | tee "$out/report-cpu.md"

if [ "$instructions" = 1 ]; then
  echo
  echo "== instructions per operation (callgrind; L1 data misses simulated for bounded_map) =="
  if command -v valgrind >/dev/null; then
    python3 "$root/bench/instructions.py" --bin "$bdir/bin" --cache | tee "$out/instructions.md"
  else
    echo "skipped: valgrind not installed (apt-get install valgrind)"
  fi
fi

if [ "$tidy" = 1 ]; then
  echo
  echo "== clang-tidy check profile (bench/tidy_profile.py against $main_build) =="
  if [ -x "$main_build/bin/tether-tidy" ] && [ -f "$main_build/compile_commands.json" ]; then
    # 6 generated files per corpus size (default 12) keeps the whole run near 10 minutes on 2 cores.
    python3 "$root/bench/tidy_profile.py" --build "$main_build" --files "${TIDY_FILES:-6}" \
      --json "$out/tidy_profile.json" \
      | tee "$out/tidy_profile.md"
  else
    echo "skipped: $main_build/bin/tether-tidy not found. Build it with scripts/build.sh (needs LLVM 22;"
    echo "scripts/install-deps.sh installs it), then rerun, or run: bench/tidy_profile.py --build $main_build"
  fi
fi
echo
echo "results in $out (JSON, report.md, report-cpu.md, instructions.md, machine.txt); total $((SECONDS - start)) s"
