#!/usr/bin/env bash
# The main job: installs dependencies, builds braid and runs `braid demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo ${BRAID_CMAKE_ARGS:-} >/dev/null
cmake --build build -j "$(nproc)" --target braid
exec ./build/tools/braid demo "$@"
