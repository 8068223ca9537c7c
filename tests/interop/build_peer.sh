#!/usr/bin/env bash
# Builds the quic-go interop peer (tests/interop/quicgo_peer) offline, in GOPATH mode,
# against Debian's packaged quic-go (golang-github-lucas-clemente-quic-go-dev, 0.29).
# No module proxy is reachable here and quic-go must not be vendored, so the build uses
# /usr/share/gocode as the only GOPATH.
#
# usage: build_peer.sh OUTPUT [GOCACHE_DIR]
#   OUTPUT       path of the binary to write
#   GOCACHE_DIR  Go build cache (default: <dir of OUTPUT>/gocache)
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 OUTPUT [GOCACHE_DIR]" >&2
  exit 64
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$1"
mkdir -p "$(dirname "$out")"
out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
cache="${2:-$(dirname "$out")/gocache}"
mkdir -p "$cache"
cache="$(cd "$cache" && pwd)"

gocode=/usr/share/gocode
quicgo="$gocode/src/github.com/lucas-clemente/quic-go"

GO="${GO:-$(command -v go || true)}"
if [ -z "$GO" ] && [ -x /usr/lib/go/bin/go ]; then GO=/usr/lib/go/bin/go; fi
if [ -z "$GO" ]; then
  echo "build_peer.sh: 'go' not found; install golang-go (scripts/install-deps.sh)" >&2
  exit 2
fi
if [ ! -f "$quicgo/interface.go" ]; then
  echo "build_peer.sh: quic-go sources not found at $quicgo;" \
       "install golang-github-lucas-clemente-quic-go-dev (scripts/install-deps.sh)" >&2
  exit 3
fi

# Everything the go command reads from the environment is pinned, so a fresh clone on a
# CI runner (HOME possibly unset, no network) builds the same way as a developer machine.
export HOME="${HOME:-$cache/home}"
export GOPATH="$gocode"
export GO111MODULE=off
export GOPROXY=off
export GOFLAGS=
export GOENV=off
export GOCACHE="$cache"
export GOTOOLCHAIN=local
export CGO_ENABLED=0

cd "$here/quicgo_peer"
if ! "$GO" build -trimpath -o "$out" . ; then
  echo "build_peer.sh: building the quic-go peer failed (Go: $("$GO" version)," \
       "quic-go: $(dpkg-query -W -f='${Version}' golang-github-lucas-clemente-quic-go-dev 2>/dev/null || echo unknown))" >&2
  exit 1
fi
