#!/usr/bin/env bash
# braid send of a large file over two loopback paths through braid netem, with path 1 cut
# at CUT_S and restored at RESTORE_S; verifies SHA-256 at the receiver and scrapes the
# sender's /metrics every 200 ms, printing path 1's health as it changes.
#
#   bench/send_netem_cut.sh [path/to/braid] [SIZE_MB] [RATE] [CUT_S] [RESTORE_S]
#   (defaults: build/tools/braid, 1024, 400M per path, 3, 5)
# Loopback only; everything it starts is stopped at the end. Needs curl.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
braid="${1:-$here/build/tools/braid}"
size_mb="${2:-1024}"
rate="${3:-400M}"
cut_s="${4:-3}"
restore_s="${5:-5}"
[ -x "$braid" ] || { echo "no braid binary at $braid (build first)" >&2; exit 2; }
command -v curl > /dev/null || { echo "needs curl" >&2; exit 2; }
tmp="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
mkdir -p "$tmp/out"
head -c $((size_mb * 1048576)) /dev/urandom > "$tmp/file.bin"
want=$(sha256sum "$tmp/file.bin" | cut -d' ' -f1)

"$braid" receive --listen 127.0.0.1:0 --dir "$tmp/out" --once --duration 300s > "$tmp/recv.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q "listening on" "$tmp/recv.log" && break; sleep 0.1; done
port=$(grep -o "listening on 127.0.0.1:[0-9]*" "$tmp/recv.log" | cut -d: -f2)
"$braid" netem --path "127.0.0.1:0=127.0.0.1:$port,rate=$rate,delay=5ms" \
  --path "127.0.0.1:0=127.0.0.1:$port,rate=$rate,delay=5ms" --no-stdin --duration 300s \
  --control "unix:$tmp/ctl" > "$tmp/netem.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q "path 1:" "$tmp/netem.log" && break; sleep 0.1; done
link0=$(grep -o "path 0: 127.0.0.1:[0-9]*" "$tmp/netem.log" | cut -d' ' -f3)
link1=$(grep -o "path 1: 127.0.0.1:[0-9]*" "$tmp/netem.log" | cut -d' ' -f3)

start=$(date +%s.%N)
"$braid" send "$tmp/file.bin" "quic://$link0" --insecure --no-progress --path "127.0.0.3=$link1" \
  --metrics 127.0.0.1:0 --json > "$tmp/send.json" 2> "$tmp/send.err" &
spid=$!
pids+=($spid)
for _ in $(seq 50); do grep -q "metrics: http" "$tmp/send.err" && break; sleep 0.1; done
murl=$(grep -o "http://127.0.0.1:[0-9]*/metrics" "$tmp/send.err")
send_ctl() { python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.sendto(sys.argv[2].encode(), sys.argv[1])' "$tmp/ctl" "$1"; }
cut=0 restored=0 last=""
while kill -0 $spid 2> /dev/null; do
  now=$(python3 -c "print($(date +%s.%N) - $start)")
  if [ $cut = 0 ] && python3 -c "import sys; sys.exit(0 if $now >= $cut_s else 1)"; then send_ctl "down 1"; cut=1; echo "t=${now%.*}s: path 1 cut"; fi
  if [ $restored = 0 ] && python3 -c "import sys; sys.exit(0 if $now >= $restore_s else 1)"; then send_ctl "up 1"; restored=1; echo "t=${now%.*}s: path 1 restored"; fi
  h=$(curl -s --max-time 1 "$murl" | grep '^braid_path_health{role="client",path_id="1"' | grep ' 1$' | sed 's/.*health="\([a-z]*\)".*/\1/' || true)
  if [ -n "$h" ] && [ "$h" != "$last" ]; then printf 't=%.2fs: metrics say path 1 %s\n' "$now" "$h"; last=$h; fi
  sleep 0.2
done
wait $spid && rc=0 || rc=$?
got=$(sha256sum "$tmp/out/file.bin" 2> /dev/null | cut -d' ' -f1 || echo missing)
python3 - "$tmp/send.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
print("send: ok=%s, %.0f MB in %.2f s, %.0f Mbit/s, mode %s, %s, %d chunks, longest stall %.0f ms"
      % (j["ok"], j["bytes"] / 1e6, j["total_s"], j["goodput_mbps"], j["mode"], j["congestion_controller"],
         j["chunks"], j["longest_stall_ms"]))
for p in j["paths"]:
    print("  path %d: %.0f MB of stream data" % (p["path_id"], p["stream_bytes_sent"] / 1e6))
PY
[ "$got" = "$want" ] && echo "SHA-256 verified at the receiver: $got" || { echo "SHA-256 MISMATCH: $got vs $want"; exit 1; }
exit $rc
