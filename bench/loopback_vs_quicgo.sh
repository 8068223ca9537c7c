#!/usr/bin/env bash
# Loopback bulk goodput: braid client <-> braid server and quic-go client <-> quic-go
# server (Debian's quic-go 0.29 through tests/interop/quicgo_peer), same file, same run.
# Goodput is file bytes over the client process's wall time (handshake included) for
# both, so the two numbers are measured the same way. Prints each run, the medians and the
# ratio. With CC set (e.g. CC=bbr), a second braid server sends with that congestion
# controller and each run also measures it, reported against braid's default (CUBIC).
#
# usage: [CC=bbr] bench/loopback_vs_quicgo.sh [SIZE_MB=200] [RUNS=3] [BUILD_DIR=build]
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb=${1:-200}
runs=${2:-3}
build=${3:-build}
braid="$build/tools/braid"
peer="$build/bench/quicgo_peer"
[ -x "$braid" ] || { echo "missing $braid: build first (cmake --build $build --target braid)" >&2; exit 2; }
bash tests/interop/build_peer.sh "$peer" "$build/gocache" >/dev/null

work=$(mktemp -d /tmp/braid-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
head -c $((size_mb * 1048576)) /dev/urandom > "$work/file"
bytes=$((size_mb * 1048576))

port_of() {  # wait for "listening on IP:PORT" in a log file
  for _ in $(seq 100); do
    p=$(grep -o 'listening on [0-9.]*:[0-9]*' "$1" 2>/dev/null | head -1 | sed 's/.*://')
    [ -n "$p" ] && { echo "$p"; return; }
    sleep 0.05
  done
  echo "server did not start: $(cat "$1")" >&2; exit 1
}
now() { date +%s.%N; }
mbps() { awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%.1f", b * 8 / s / 1e6 }'; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

"$braid" server --listen 127.0.0.1:0 --root "$work" --quiet > "$work/braid.log" 2>&1 &
bport=$(port_of "$work/braid.log")
"$peer" server -listen 127.0.0.1:0 -root "$work" > "$work/go.log" 2>&1 &
gport=$(port_of "$work/go.log")
cc=${CC:-}
if [ -n "$cc" ]; then
  "$braid" server --listen 127.0.0.1:0 --root "$work" --quiet --cc "$cc" > "$work/braid-cc.log" 2>&1 &
  cport=$(port_of "$work/braid-cc.log")
fi

: > "$work/b"; : > "$work/g"; : > "$work/c"
for i in $(seq "$runs"); do
  t0=$(now); "$braid" client "https://127.0.0.1:$bport/file" --insecure --output /dev/null > /dev/null; t1=$(now)
  b=$(mbps "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"); echo "$b" >> "$work/b"
  t0=$(now); "$peer" client -insecure -url "https://127.0.0.1:$gport/file" > /dev/null; t1=$(now)
  g=$(mbps "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"); echo "$g" >> "$work/g"
  extra=""
  if [ -n "$cc" ]; then
    t0=$(now); "$braid" client "https://127.0.0.1:$cport/file" --insecure --output /dev/null > /dev/null; t1=$(now)
    c=$(mbps "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"); echo "$c" >> "$work/c"
    extra="   braid --cc $cc $c Mbit/s"
  fi
  echo "run $i: braid $b Mbit/s   quic-go $g Mbit/s$extra"
done
bm=$(median < "$work/b"); gm=$(median < "$work/g")
echo "median over $runs runs of $size_mb MiB: braid $bm Mbit/s, quic-go $gm Mbit/s, ratio $(awk -v a="$bm" -v b="$gm" 'BEGIN { printf "%.2f", a / b }')x"
if [ -n "$cc" ]; then
  cm=$(median < "$work/c")
  echo "braid --cc $cc: median $cm Mbit/s, $(awk -v a="$cm" -v b="$bm" 'BEGIN { printf "%.2f", a / b }')x braid's default (cubic)"
fi
