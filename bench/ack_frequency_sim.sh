#!/usr/bin/env bash
# ACK packets per MB with ack frequency on and off, in the simulator (virtual time, so the
# numbers do not depend on the machine's load). For each scenario, runs it twice with
# `[transport] ack_frequency` forced on and off and prints goodput and the client's packets
# per MB of the download (the client sends nothing but ACKs in these scenarios).
# Scenarios: clean and 1%-loss 100 Mbit/s single path (BBR and CUBIC), two paths
# (aggregation_20_10, wifi_lte).
# Usage: bench/ack_frequency_sim.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
braid=$build/tools/braid
here=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

lossy=$here/scenarios/cc_lossy_100mbit.toml
sed 's/^down = .*/down = { loss = 0.0 }/' "$lossy" > "$dir/clean_bbr.toml"
sed 's/"bbr"/"cubic"/' "$dir/clean_bbr.toml" > "$dir/clean_cubic.toml"
cp "$lossy" "$dir/lossy_bbr.toml"
sed 's/"bbr"/"cubic"/' "$lossy" > "$dir/lossy_cubic.toml"
cp "$here/scenarios/aggregation_20_10.toml" "$here/scenarios/wifi_lte.toml" "$dir/"

printf '%-20s %-5s %10s %12s %10s\n' scenario ackf "Mbit/s" "ACK pkts" "per MB"
for name in clean_bbr clean_cubic lossy_bbr lossy_cubic aggregation_20_10 wifi_lte; do
  for af in true false; do
    python3 - "$dir/$name.toml" "$af" "$dir/run.toml" <<'PY'
import sys
s = open(sys.argv[1]).read()
line = 'ack_frequency = %s' % sys.argv[2]
if '[transport]' in s:
    s = s.replace('[transport]', '[transport]\n' + line, 1)
else:
    s = s.replace('[[clients]]', '[transport]\n' + line + '\n\n[[clients]]', 1)
open(sys.argv[3], 'w').write(s)
PY
    "$braid" sim "$dir/run.toml" --json 2>/dev/null | python3 -c "
import json, sys
c = json.load(sys.stdin)['clients'][0]
sent = c['connection']['client']['packets_sent']
mb = c['app_bytes'] / 1e6
print('%-20s %-5s %10.1f %12d %10.1f' % ('$name', 'on' if '$af' == 'true' else 'off', c['goodput_mbps'], sent, sent / mb))"
  done
done
