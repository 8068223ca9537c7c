#!/usr/bin/env bash
# Load and soak against one `braid server` on loopback (docs/benchmarks.md, "Load"):
#   1. burst: N connections (default 1000) started at once by one `braid load` process, each
#      downloading 1 MB and then held open; handshakes/s, handshake p50/p99, failures, and
#      the server's RSS with all of them open and after they closed;
#   2. steps: server RSS with 0, 100, 500 and 1000 idle connections held (per connection);
#   3. soak: SOAK seconds (default 60) of connections at a fixed rate, RSS sampled every
#      10 s and after the soak; flat means no leak.
# usage: bench/load.sh [BUILD_DIR]      env: N=1000 SOAK=60 SOAK_RATE=50 SOAK_OPEN=50
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
braid="$build/tools/braid"
[ -x "$braid" ] || { echo "no $braid: build first (cmake --build $build)" >&2; exit 1; }
n=${N:-1000}
soak=${SOAK:-60}
soak_rate=${SOAK_RATE:-50}
soak_open=${SOAK_OPEN:-50}
work=$(mktemp -d /tmp/braid-load.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/root"
head -c 1000000 /dev/urandom > "$work/root/1m"
: > "$work/root/empty"

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
wait_file() { for _ in $(seq 1 1200); do [ -s "$1" ] && return 0; sleep 0.1; done; echo "timed out waiting for $1" >&2; return 1; }

"$braid" server --listen 127.0.0.1:0 --root "$work/root" --quiet > "$work/server.out" 2> "$work/server.err" &
server=$!
pids+=("$server")
for _ in $(seq 1 100); do grep -q "listening on" "$work/server.out" 2>/dev/null && break; sleep 0.05; done
port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/server.out")
[ -n "$port" ] || { cat "$work/server.err" >&2; exit 1; }
url="https://127.0.0.1:$port"
echo "braid server on port $port (pid $server), $(nproc) cores, $(uname -r)"
sleep 0.5
rss0=$(rss_kb "$server")

# 1. burst
"$braid" load "$url/1m" -k -n "$n" --rate 0 --hold 15s --timeout 60s --json --ready-file "$work/burst.ready" \
  > "$work/burst.json" 2> "$work/burst.err" &
load=$!
pids+=("$load")
wait_file "$work/burst.ready"
rss_burst=$(rss_kb "$server")
wait "$load" || true
sleep 1
rss_after_burst=$(rss_kb "$server")
python3 - "$work/burst.json" "$n" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
print(f"burst: {j['connections']} connections x 1 MB at once: {j['succeeded']} ok, {j['failed']} failed in "
      f"{j['seconds']:.2f} s; {j['handshakes_per_second']:.0f} handshakes/s; handshake p50 "
      f"{j['handshake_ms']['p50']:.1f} ms, p99 {j['handshake_ms']['p99']:.1f} ms, max {j['handshake_ms']['max']:.1f} ms; "
      f"{j['goodput_mbps']:.0f} Mbit/s in all")
for e in j.get('errors', []): print("  error:", e)
EOF
echo "server RSS: ${rss0} KB before, ${rss_burst} KB with $n open, ${rss_after_burst} KB after they closed"

# 2. steps of idle connections (each step is one more `braid load` process holding its own)
echo "idle connections held  server RSS (KB)  per connection (KB)"
printf "%22d  %15d  %19s\n" 0 "$rss_after_burst" "-"
held=0
base=$rss_after_burst
for step in 100 400 500; do
  "$braid" load "$url/empty" -k -n "$step" --rate 500 --hold 600s --ready-file "$work/step$step.ready" \
    > "$work/step$step.out" 2>&1 &
  pids+=("$!")
  wait_file "$work/step$step.ready"
  read -r ok failed < "$work/step$step.ready"
  held=$((held + ok))
  sleep 0.5
  r=$(rss_kb "$server")
  printf "%22d  %15d  %19.1f%s\n" "$held" "$r" "$(awk -v r="$r" -v b="$base" -v h="$held" 'BEGIN {print (r - b) / h}')" \
    "$([ "$failed" = 0 ] || echo "  ($failed failed)")"
done
for p in "${pids[@]:2}"; do kill -INT "$p" 2>/dev/null || true; done
sleep 8
echo "after the idle connections closed: $(rss_kb "$server") KB"

# 3. soak
"$braid" load "$url/1m" -k -n "$soak_open" --rate "$soak_rate" --duration "${soak}s" --json > "$work/soak.json" 2> "$work/soak.err" &
soaker=$!
pids+=("$soaker")
samples=()
for _ in $(seq 10 10 "$soak"); do
  sleep 10
  samples+=("$(rss_kb "$server")")
done
wait "$soaker" || true
sleep 2
rss_soak_end=$(rss_kb "$server")
python3 - "$work/soak.json" "$soak" "$soak_rate" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
print(f"soak: {sys.argv[2]} s at {sys.argv[3]} connections/s: {j['connections']} connections, {j['succeeded']} ok, "
      f"{j['failed']} failed; handshake p50 {j['handshake_ms']['p50']:.1f} ms, p99 {j['handshake_ms']['p99']:.1f} ms")
EOF
echo "server RSS during the soak every 10 s: ${samples[*]} KB; ${rss_soak_end} KB after it"
