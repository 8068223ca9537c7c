#!/usr/bin/env bash
# Detection time and failover stall per failure detector, in the simulator (virtual time):
# two 20 Mbit/s paths of equal RTT (20, 40, 100, 300 ms), a 30 MB download, and at 3 s the
# path that carried the most data is blackholed both ways for good. For each detector the
# table gives when the sending server's failure detection called the path suspect and
# failed, and the longest stall of in-order data the application saw.
#
#   bench/failover_detectors.sh [path/to/braid]        (default: build/tools/braid)
# Needs python3 for reading the JSON summaries.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
braid="${1:-$here/build/tools/braid}"
[ -x "$braid" ] || { echo "no braid binary at $braid (build first)" >&2; exit 2; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "| path RTT | detector | suspect after | failed after | longest stall |"
echo "|---|---|---|---|---|"
for rtt in 20 40 100 300; do
  one_way=$((rtt / 2))
  # About one bandwidth-delay product of queue, at least 64 KB.
  queue=$(( 20000000 / 8 * rtt / 1000 ))
  [ "$queue" -lt 65536 ] && queue=65536
  for det in fast pf phi off; do
    cat > "$tmp/s.toml" <<TOML
name = "failover_${rtt}ms_${det}"
seed = 1
time_limit_s = 120
[transport]
failure_detector = "$det"
[[clients]]
name = "client"
[[clients.paths]]
name = "a"
link = { rate_mbps = 20, delay_ms = $one_way, queue_bytes = $queue }
[[clients.paths]]
name = "b"
link = { rate_mbps = 20, delay_ms = $one_way, queue_bytes = $queue }
[clients.workload]
kind = "bulk_download"
bytes = 30_000_000
[[triggers]]
kind = "outage_busiest"
at_s = 3.0
TOML
    "$braid" sim "$tmp/s.toml" --json 2>/dev/null > "$tmp/out.json" || true
    python3 - "$tmp/out.json" "$rtt" "$det" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
c = r["clients"][0]
cut = c["outages"][0]["from_s"] if c["outages"] else 3.0
path = c["outages"][0]["path"] if c["outages"] else 0
def first(what):
    for h in c["health"]:
        if h["side"] == "server" and h["path"] == path and h["what"] == what and h["at_s"] >= cut:
            return f'{(h["at_s"] - cut) * 1000:.0f} ms'
    return "-"
done = "" if c["completed"] else " (not completed)"
print(f'| {sys.argv[2]} ms | {sys.argv[3]} | {first("suspect")} | {first("failed")} | '
      f'{c["longest_stall_s"] * 1000:.0f} ms{done} |')
PY
  done
done
