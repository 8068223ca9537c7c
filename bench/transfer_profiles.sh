#!/usr/bin/env bash
# Goodput of the adaptive bulk transfer (braid send's layer) with the adaptive profile
# against each fixed profile, in the simulator (virtual time): one transfer of BYTES from
# the client over the paths of each topology below. "auto" decides the mode itself (check
# interval 1 s); the others force it (datacenter: 32 streams, CUBIC; hybrid: 16, CUBIC;
# internet: 8, BBR). Each transfer is sized to last about 4 s at the paths' capacity, so the
# detector (first decision after 1 s) has time to act. The last column is auto against the
# best fixed profile.
#
#   bench/transfer_profiles.sh [path/to/braid]   (default: build/tools/braid)
# Needs python3 for reading the JSON summaries.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
braid="${1:-$here/build/tools/braid}"
[ -x "$braid" ] || { echo "no braid binary at $braid (build first)" >&2; exit 2; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# name|bytes|path lines (TOML inline tables, one per path, separated by ';')
topologies=(
  "two clean 100 Mbit/s, 10/20 ms|100000000|{ rate_mbps = 100, delay_ms = 10, queue_bytes = 400_000 };{ rate_mbps = 100, delay_ms = 20, queue_bytes = 400_000 }"
  "lossy 1% 50 Mbit/s x2, 30 ms|50000000|{ rate_mbps = 50, delay_ms = 30, loss = 0.01, queue_bytes = 400_000 };{ rate_mbps = 50, delay_ms = 30, loss = 0.01, queue_bytes = 400_000 }"
  "asymmetric 200/20 Mbit/s, 5/60 ms|110000000|{ rate_mbps = 200, delay_ms = 5, queue_bytes = 500_000 };{ rate_mbps = 20, delay_ms = 60, queue_bytes = 300_000 }"
  "long fat 500 Mbit/s, 80 ms|250000000|{ rate_mbps = 500, delay_ms = 40, queue_bytes = 5_000_000 }"
  "fast LAN 1.5 Gbit/s x2, 2.5 ms|1500000000|{ rate_mbps = 1500, delay_ms = 2.5, queue_bytes = 500_000 };{ rate_mbps = 1500, delay_ms = 2.5, queue_bytes = 500_000 }"
  "cellular trace + 20 Mbit/s|30000000|{ trace = \"Verizon-LTE-short.up\", delay_ms = 25, queue_bytes = 300_000 };{ rate_mbps = 20, delay_ms = 15, queue_bytes = 200_000 }"
)
modes=(auto datacenter hybrid internet)

echo "| topology (transfer size) | auto | datacenter | hybrid | internet | auto vs best fixed |"
echo "|---|---|---|---|---|---|"
for t in "${topologies[@]}"; do
  name="${t%%|*}"
  rest="${t#*|}"
  bytes="${rest%%|*}"
  paths="${rest#*|}"
  row="| $name ($((bytes / 1000000)) MB) |"
  declare -A g=()
  for m in "${modes[@]}"; do
    {
      echo "name = \"transfer_${m}\""
      echo "seed = 1"
      echo "time_limit_s = 300"
      echo "[[clients]]"
      echo "name = \"c\""
      echo "[clients.workload]"
      echo "kind = \"transfer\""
      echo "bytes = $bytes"
      echo "mode = \"$m\""
      echo "check_interval_s = 1.0"
      IFS=';' read -ra ps <<< "$paths"
      for p in "${ps[@]}"; do
        echo "[[clients.paths]]"
        echo "link = $p"
      done
    } > "$tmp/s.toml"
    "$braid" sim "$tmp/s.toml" --json 2>/dev/null > "$tmp/out.json" || true
    g[$m]=$(python3 -c '
import json,sys
try:
    r = json.load(open(sys.argv[1]))
    w = r["clients"][0]["workloads"][0]
    print("%.1f" % w["goodput_mbps"] if w["completed"] and w.get("corrupt_bytes", 0) == 0 else "fail")
except Exception:
    print("fail")' "$tmp/out.json")
    row="$row ${g[$m]} |"
  done
  ratio=$(python3 -c '
import sys
v = sys.argv[1:]
try:
    auto = float(v[0]); best = max(float(x) for x in v[1:] if x != "fail")
    print("%.2f" % (auto / best))
except Exception:
    print("-")' "${g[auto]}" "${g[datacenter]}" "${g[hybrid]}" "${g[internet]}")
  echo "$row $ratio |"
  unset g
done
