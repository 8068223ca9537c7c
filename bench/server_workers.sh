#!/usr/bin/env bash
# braid server --workers 1 against --workers 2: CLIENTS parallel downloads of SIZE_MB each
# from one server on loopback, ROUNDS alternating rounds; prints each round's aggregate
# goodput, the server's CPU seconds, how the connections split over the workers, and the
# ratio of the medians. Clients run on the same machine and compete for the same cores.
# Usage: bench/server_workers.sh [BUILD_DIR]   (env: CLIENTS=8 SIZE_MB=50 ROUNDS=4)
set -euo pipefail
build=${1:-build}
braid=$build/tools/braid
clients=${CLIENTS:-8}
size_mb=${SIZE_MB:-50}
rounds=${ROUNDS:-4}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
source "$(dirname "$0")/lib/worker_server.sh"
head -c $((size_mb * 1000000)) /dev/urandom > "$dir/f.bin"
declare -A results
for ((r = 0; r < rounds; ++r)); do
  for w in 1 2; do
    start_server $w
    start=$(date +%s.%N)
    pids=()
    for ((i = 0; i < clients; ++i)); do
      "$braid" client "https://127.0.0.1:$port/f.bin" --insecure --output /dev/null > /dev/null 2>&1 & pids+=($!)
    done
    wait "${pids[@]}"
    end=$(date +%s.%N)
    cpu=$(awk '{print ($14 + $15) / 100}' /proc/$spid/stat)
    stop_server
    mbps=$(echo "$clients * $size_mb * 8 / ($end - $start)" | bc)
    echo "workers=$w round=$r ${mbps} Mbit/s server CPU ${cpu} s $split"
    results[$w]+="$mbps "
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
m1=$(echo "${results[1]}" | median)
m2=$(echo "${results[2]}" | median)
echo "median: 1 worker $m1 Mbit/s, 2 workers $m2 Mbit/s, ratio $(echo "scale=2; $m2 / $m1" | bc)"
