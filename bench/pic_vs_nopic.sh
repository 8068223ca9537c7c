#!/bin/bash
# braid perf, 1 GiB download on loopback, alternating the tool built with BRAID_PACKAGE=ON
# (build/: PIC, -fno-semantic-interposition) and OFF (build-nopic/), same binary both sides.
# Build build-nopic first: cmake -S . -B build-nopic -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBRAID_PACKAGE=OFF -DBRAID_TESTS=OFF && cmake --build build-nopic --target braid
# ROUNDS=N (default 5) pairs of runs; prints "ROUND BUILD_DIR GOODPUT_MBPS" per run.
for round in $(seq "${ROUNDS:-5}"); do
  for b in build build-nopic; do
    bin=$(cd "$(dirname "$0")/.." && pwd)/$b/tools/braid
    $bin perf server --listen 127.0.0.1:0 --duration 60s > /tmp/ps.$b.log 2>&1 &
    sp=$!
    for i in $(seq 50); do port=$(grep -o "listening on 127.0.0.1:[0-9]*" /tmp/ps.$b.log | cut -d: -f2); [ -n "$port" ] && break; sleep 0.1; done
    g=$($bin perf client 127.0.0.1:$port --download 1G -k --json 2>/dev/null | python3 -c "import json,sys; print(round(json.load(sys.stdin)['goodput_mbps']))")
    kill $sp; wait $sp 2>/dev/null
    echo "$round $b $g"
  done
done
