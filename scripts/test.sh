#!/usr/bin/env bash
# The test command: installs dependencies, builds braid and runs the test suite in four
# stages (about 25 minutes on 2 cores from a clean clone):
#   main  build/        RelWithDebInfo, every test including interop and the hostile load
#   asan  build-asan/   ASan + UBSan with leak detection, every test but the load timings
#   tsan  build-tsan/   ThreadSanitizer: the runtime tests and the real-socket tests that run a
#                       server on a LoopThread and use the thread-safe ConnectionHandle
#   fuzz  build-fuzz/   libFuzzer smoke, 10 s per target (scripts/fuzz.sh)
# BRAID_TEST_STAGES="main asan" picks stages; BRAID_CMAKE_ARGS is passed to the main build.
set -euo pipefail
cd "$(dirname "$0")/.."
stages=${BRAID_TEST_STAGES:-main asan tsan fuzz}
jobs=$(nproc)
bash scripts/install-deps.sh

has_stage() { [[ " $stages " == *" $1 "* ]]; }
banner() { echo "== stage $1 ($(date +%T))"; }

if has_stage main; then
  banner main
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo ${BRAID_CMAKE_ARGS:-}
  cmake --build build -j "$jobs"
  ctest --test-dir build --output-on-failure -j "$jobs" --timeout 600
fi

if has_stage asan; then
  banner asan
  # -O1 keeps the sanitized suite fast; benchmarks and the picoquic interop (a foreign
  # binary) stay in the main stage, as do the sweep of every congestion controller over
  # every scenario (Controllers/EveryController, ~2 min here; the Congestion.* tests run
  # every controller under the sanitizers) and the scheduler sweep over the failure
  # scenarios (~1.6 min; FailureDetection.* and the library test run them here), and the
  # two largest transfer simulations (200 MB at 200 Mbit/s, 3 Gbit/s paths; the resume
  # simulation and the transfer unit tests cover that code here).
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS=-O1 -DBRAID_SANITIZE=ON -DBRAID_PACKAGE=OFF \
    -DBRAID_BENCH=OFF -DBRAID_INTEROP=OFF > /dev/null
  cmake --build build-asan -j "$jobs"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j "$jobs" --timeout 900 -LE load \
      -E 'Controllers/EveryController\.|Schedulers/EveryScheduler\..*/(failover_blackhole|lossy_path_no_false|backup_dead)|SimTransfer\.(TwoHundred|ModeFollows)'
fi

if has_stage tsan; then
  banner tsan
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS=-O1 -DBRAID_TSAN=ON -DBRAID_PACKAGE=OFF \
    -DBRAID_BENCH=OFF -DBRAID_INTEROP=OFF > /dev/null
  cmake --build build-tsan -j "$jobs" --target test_io test_net
  export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
  build-tsan/tests/test_io
  # Servers on a LoopThread, clients on the test thread, the thread-safe ConnectionHandle.
  build-tsan/tests/test_net --gtest_filter='Driver.*:Multipath.*'
fi

if has_stage fuzz; then
  banner fuzz
  bash scripts/fuzz.sh 10
fi
echo "== all stages passed: $stages ($(date +%T))"
