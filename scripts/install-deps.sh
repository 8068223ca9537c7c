#!/usr/bin/env bash
# Installs every Debian package braid needs to build, test and run its tools.
# Safe to run repeatedly; needs root (or sudo) on Debian 12. Extra package names given as
# arguments are installed too (scripts/fuzz.sh adds clang).
set -euo pipefail
packages=(
  g++ cmake ninja-build pkg-config ccache git
  libgnutls28-dev libfmt-dev libcli11-dev nlohmann-json3-dev libtomlplusplus-dev
  libgtest-dev libgmock-dev libbenchmark-dev libsodium-dev
  golang-go golang-github-lucas-clemente-quic-go-dev
  prometheus-cpp-dev prometheus
  gnuplot-nox
  "$@"
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
