#!/usr/bin/env bash
# Builds the libFuzzer targets (clang-16, ASan + UBSan, in build-fuzz/) and runs each for
# SECONDS (default 60) on a copy of its committed seed corpus, in turn. Crashes are written
# to build-fuzz/crashes/<target>/ and end the script with exit status 1; turn each into a
# regression test. See docs/security.md.
#
# usage: scripts/fuzz.sh [SECONDS] [TARGET...]
#        BRAID_FUZZ_RUNS=N scripts/fuzz.sh SECONDS   stop each target at N executions or
#                                                   SECONDS, whichever comes first (campaigns)
#        scripts/fuzz.sh --seeds        rewrite the binary seed corpora (tests/fuzz/corpus)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BRAID_FUZZ_BUILD:-build-fuzz}

bash scripts/install-deps.sh clang-16 libclang-rt-16-dev

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-16 \
  -DBRAID_FUZZ=ON -DBRAID_TESTS=OFF -DBRAID_BENCH=OFF -DBRAID_PACKAGE=OFF > /dev/null
targets_all=(fuzz_frames fuzz_packet_header fuzz_transport_params fuzz_endpoint fuzz_connection fuzz_scenario
             fuzz_netem_control fuzz_hq_request)
cmake --build "$build" -j "$(nproc)" --target "${targets_all[@]}" fuzz_make_seeds

if [ "${1:-}" = "--seeds" ]; then
  "$build/tests/fuzz/fuzz_make_seeds" tests/fuzz/corpus
  exit 0
fi
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${targets_all[@]}")

runs=()
[ -n "${BRAID_FUZZ_RUNS:-}" ] && runs=(-runs="$BRAID_FUZZ_RUNS")

status=0
for t in "${targets[@]}"; do
  work="$build/corpus/$t"
  crashes="$build/crashes/$t"
  mkdir -p "$work" "$crashes"
  [ -d "tests/fuzz/corpus/$t" ] && cp -n tests/fuzz/corpus/"$t"/* "$work"/ 2>/dev/null || true
  echo "== $t: $seconds s${runs:+ or ${BRAID_FUZZ_RUNS} runs}"
  # -rss_limit_mb: a target that leaks or balloons fails; -timeout: one input may not hang.
  if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
       "$build/tests/fuzz/$t" -max_total_time="$seconds" "${runs[@]}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$crashes/" "$work" 2> "$build/$t.log"; then
    echo "   CRASH: see $build/$t.log and $crashes/"
    tail -30 "$build/$t.log"
    status=1
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb|cov: |Done " "$build/$t.log" | tail -4 | sed 's/^/   /'
done
exit $status
