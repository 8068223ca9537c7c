#!/usr/bin/env bash
# Many connections against one braid server with 1 and with 2 workers: CLIENTS concurrent
# `braid client` downloads of a 10 kB file, ROUNDS alternating rounds. Prints handshakes
# per second (clients / wall time from the first start to the last exit, process start-up
# included), p50/p99 handshake latency from each client's JSON (handshake_ms), failures,
# and how the connections split over the workers.
# Usage: bench/many_connections.sh [BUILD_DIR]   (env: CLIENTS=64 ROUNDS=3)
set -euo pipefail
build=${1:-build}
braid=$build/tools/braid
clients=${CLIENTS:-64}
rounds=${ROUNDS:-3}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
source "$(dirname "$0")/lib/worker_server.sh"
head -c 10000 /dev/urandom > "$dir/f.bin"
for ((r = 0; r < rounds; ++r)); do
  for w in 1 2; do
    start_server $w
    rm -f "$dir"/c*.json
    start=$(date +%s.%N)
    pids=()
    for ((i = 0; i < clients; ++i)); do
      "$braid" client "https://127.0.0.1:$port/f.bin" --insecure --json --output /dev/null > "$dir/c$i.json" 2> /dev/null &
      pids+=($!)
    done
    failed=0
    for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
    end=$(date +%s.%N)
    stop_server
    python3 - "$dir" "$clients" "$start" "$end" "$w" "$failed" "$split" <<'PY'
import glob, json, sys
d, n, start, end, w, failed, split = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5], sys.argv[6], sys.argv[7]
hs = []
for f in glob.glob(d + "/c*.json"):
    try:
        hs.append(json.load(open(f))["handshake_ms"])
    except Exception:
        pass
hs.sort()
pct = lambda p: hs[min(len(hs) - 1, int(p * len(hs)))] if hs else float("nan")
print(f"workers={w} {n / (end - start):.0f} handshakes/s  p50 {pct(0.5):.2f} ms  p99 {pct(0.99):.2f} ms  "
      f"failed {failed}  {split}")
PY
  done
done
