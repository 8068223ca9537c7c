# Sourced by bench/server_workers.sh and bench/many_connections.sh (needs $braid and $dir):
# start_server W starts `braid server --workers W` serving $dir on a free loopback port and
# sets $spid and $port; stop_server stops it and sets $split to how its connections split.
start_server() {
  "$braid" server --listen 127.0.0.1:0 --root "$dir" --workers "$1" --duration 120s --quiet > "$dir/out" 2> "$dir/err" &
  spid=$!
  for _ in $(seq 50); do grep -q "listening on" "$dir/out" 2>/dev/null && break; sleep 0.05; done
  port=$(grep -o "127.0.0.1:[0-9]*" "$dir/out" | head -1 | cut -d: -f2)
}
stop_server() {
  kill -INT "$spid"
  wait "$spid" || true
  split=$(grep -o "([0-9 ]* each)" "$dir/err" || echo "(one loop)")
}
