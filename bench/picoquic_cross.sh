#!/usr/bin/env bash
# braid against picoquic (../shared/peers/picoquic/picoquicdemo) on loopback, all pairs in
# one run: handshake time of each client/server pair (many short connections: median and
# worst), then bulk goodput single-path and over two paths (127.0.0.1 + 127.0.0.2).
#
# Handshake time is the client's: braid's handshake_ms from its JSON report; for the
# picoquic client, from its qlog, the first Initial sent to its first Handshake packet
# sent (its Finished). One RTT on loopback is well under a millisecond, so anything near
# 200 ms or more is a PTO. Goodput is file bytes over the client process's wall time
# (handshake included), measured the same way for every pair.
#
# usage: bench/picoquic_cross.sh [SIZE_MB=200] [RUNS=3] [HANDSHAKES=20] [BUILD_DIR=build]
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb=${1:-200}
runs=${2:-3}
handshakes=${3:-20}
build=${4:-build}
braid="$build/tools/braid"
pq=${PICOQUIC:-../shared/peers/picoquic/picoquicdemo}
[ -x "$braid" ] || { echo "missing $braid: build first (cmake --build $build --target braid)" >&2; exit 2; }
[ -x "$pq" ] || { echo "missing $pq (set PICOQUIC=path/to/picoquicdemo)" >&2; exit 2; }

work=$(mktemp -d /tmp/braid-pq-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/www" "$work/out"
head -c $((size_mb * 1048576)) /dev/urandom > "$work/www/file"
echo "hi" > "$work/www/small"
bytes=$((size_mb * 1048576))
# picoquic's OpenSSL backend needs a key file: an EC P-256 key and a self-signed cert.
if command -v openssl > /dev/null; then
  openssl ecparam -name prime256v1 -genkey -noout -out "$work/key.pem" 2>/dev/null
  openssl req -new -x509 -key "$work/key.pem" -out "$work/cert.pem" -days 2 -subj /CN=localhost 2>/dev/null
elif command -v certtool > /dev/null; then
  certtool --generate-privkey --ecc --curve secp256r1 --outfile "$work/key.pem" 2>/dev/null
  printf 'cn = localhost\nexpiration_days = 2\n' > "$work/cert.tmpl"
  certtool --generate-self-signed --load-privkey "$work/key.pem" --template "$work/cert.tmpl" --outfile "$work/cert.pem" 2>/dev/null
else
  echo "need openssl or certtool (gnutls-bin) to make picoquic's certificate" >&2; exit 2
fi

port_of() {  # wait for "listening on IP:PORT" in a log file
  for _ in $(seq 100); do
    p=$(grep -o 'listening on [0-9.]*:[0-9]*' "$1" 2>/dev/null | head -1 | sed 's/.*://')
    [ -n "$p" ] && { echo "$p"; return; }
    sleep 0.05
  done
  echo "server did not start: $(cat "$1")" >&2; exit 1
}
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
mbps() { awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%.1f", b * 8 / s / 1e6 }'; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
maxof() { sort -n | tail -1; }

"$braid" server --listen 127.0.0.1:0 --root "$work/www" --quiet > "$work/braid.log" 2>&1 &
bport=$(port_of "$work/braid.log")
pport=$(free_port)
(cd "$work" && exec "$OLDPWD/$pq" -p "$pport" -w "$work/www" -c "$work/cert.pem" -k "$work/key.pem" -M > "$work/pq.log" 2>&1) &
sleep 0.5

# ---------------------------------------------------------------- handshakes
braid_hs() {  # port -> handshake ms of one braid client connection
  "$braid" client "https://127.0.0.1:$1/small" --insecure --output /dev/null --json 2>/dev/null |
    /usr/bin/python3 -c 'import json,sys; print("%.3f" % json.load(sys.stdin)["handshake_ms"])'
}
pq_hs() {  # port -> handshake ms of one picoquic client connection (from its qlog)
  rm -rf "$work/q" && mkdir -p "$work/q"
  (cd "$work" && "$OLDPWD/$pq" -q "$work/q" -D -a hq-interop 127.0.0.1 "$1" /small > /dev/null 2>&1)
  /usr/bin/python3 - "$work"/q/*.qlog <<'EOF'
import re, sys
first_initial = first_hs = None
for line in open(sys.argv[1]):
    m = re.match(r'\[(\d+), "transport", "packet_sent", \{ "packet_type": "(\w+)"', line)
    if not m: continue
    t, kind = int(m.group(1)), m.group(2)
    if kind == "initial" and first_initial is None: first_initial = t
    if kind == "handshake" and first_hs is None: first_hs = t
print("%.3f" % ((first_hs - first_initial) / 1000.0))
EOF
}
echo "handshakes ($handshakes connections each, client's handshake time in ms):"
for pair in "braid-braid braid_hs $bport" "braid-client->picoquic-server braid_hs $pport" \
            "picoquic-client->braid-server pq_hs $bport" "picoquic-picoquic pq_hs $pport"; do
  set -- $pair
  : > "$work/hs"
  for _ in $(seq "$handshakes"); do $2 "$3" >> "$work/hs"; done
  printf "  %-32s median %7s ms   worst %7s ms\n" "$1" "$(median < "$work/hs")" "$(maxof < "$work/hs")"
done

# ---------------------------------------------------------------- goodput
run_pair() {  # name, then the client command; prints Mbit/s of each run and the median
  local name=$1; shift
  : > "$work/g"
  for _ in $(seq "$runs"); do
    t0=$(now); (cd "$work" && "$@" > /dev/null 2>&1); t1=$(now)
    mbps "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" >> "$work/g"; echo >> "$work/g"
  done
  printf "  %-44s %s   median %s Mbit/s\n" "$name" "$(tr '\n' ' ' < "$work/g")" "$(grep . "$work/g" | median)"
}
B="$PWD/$braid"; P="$PWD/$pq"
echo "goodput, $size_mb MiB, $runs runs (Mbit/s):"
run_pair "braid -> braid" "$B" client "https://127.0.0.1:$bport/file" --insecure --output /dev/null
run_pair "braid client -> picoquic server" "$B" client "https://127.0.0.1:$pport/file" --insecure --output /dev/null
run_pair "picoquic client -> braid server" "$P" -D -a hq-interop 127.0.0.1 "$bport" /file
run_pair "picoquic -> picoquic" "$P" -D -a hq-interop 127.0.0.1 "$pport" /file
run_pair "braid -> braid, 2 paths" "$B" client "https://127.0.0.1:$bport/file" --insecure --output /dev/null --path 127.0.0.2
run_pair "braid client -> picoquic server, 2 paths" "$B" client "https://127.0.0.1:$pport/file" --insecure --output /dev/null --path 127.0.0.2
run_pair "picoquic client -> braid server, 2 paths" "$P" -M -A 127.0.0.2/1 -D -a hq-interop 127.0.0.1 "$bport" /file
run_pair "picoquic -> picoquic, 2 paths" "$P" -M -A 127.0.0.2/1 -D -a hq-interop 127.0.0.1 "$pport" /file
