#!/usr/bin/env bash
# The installed package, as a user gets it: `cmake --install` into a temporary prefix, then
#   1. libbraid.so exports only braid_* (C API) and braid:: (C++) symbols, with a SONAME;
#   2. a CMake project outside the tree builds the examples with find_package(braid CONFIG)
#      (shared and static), and gcc/g++ build them with `pkg-config braid` alone;
#   3. the installed C example downloads a file over two paths from the installed
#      `braid server` and checks its SHA-256; so does the C++ one;
#   4. `cpack -G DEB` makes a stripped Debian package with its library dependencies, and the
#      CMake consumer builds against its extracted contents (the config is relocatable).
# Usage: package_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
work=$(mktemp -d /tmp/braid-package.XXXXXX)
server_pid=
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
prefix=$work/prefix

cmake --install "$build" --prefix "$prefix" > "$work/install.log" || { cat "$work/install.log"; fail "cmake --install"; }
libdir=$prefix/lib
[[ -d $prefix/lib/x86_64-linux-gnu ]] && libdir=$prefix/lib/x86_64-linux-gnu
for f in include/braid/braid.h include/braid/runtime.h include/braid/connection.h bin/braid; do
  [[ -e $prefix/$f ]] || fail "$f not installed"
done
for f in libbraid.so libbraid.a pkgconfig/braid.pc cmake/braid/braidConfig.cmake cmake/braid/braidConfigVersion.cmake; do
  [[ -e $libdir/$f ]] || fail "lib/$f not installed"
done
ls "$libdir"/libbraid.so.*.*.* > /dev/null || fail "no versioned libbraid.so"

# 1. Exports.
soname=$(readelf -d "$libdir/libbraid.so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[[ $soname == libbraid.so.0 ]] || fail "SONAME is '$soname'"
nm -D --defined-only "$libdir/libbraid.so" | awk '{print $3}' | sed 's/@.*//' | grep -v '^BRAID_0$' > "$work/exports.txt"
grep -q '^braid_client_new$' "$work/exports.txt" || fail "the C API is not exported"
c++filt < "$work/exports.txt" > "$work/exports.demangled"
grep -q '^braid::Connection::connect(' "$work/exports.demangled" || fail "the C++ API is not exported"
bad=$(grep -vE '^braid_|^braid::|^(typeinfo|typeinfo name|vtable|VTT|construction vtable|guard variable) for braid::' \
  "$work/exports.demangled" | head -5 || true)
[[ -z $bad ]] || fail "exported beyond the public API: $bad"
echo "exports: $(grep -c '^braid_' "$work/exports.txt") C, $(grep -c '^braid::' "$work/exports.demangled") C++ symbols"

# 2. Consumers: CMake (shared and static) and pkg-config.
cmake -S "$src/tests/package/consumer" -B "$work/consumer" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
  -DEXAMPLES="$src/examples" -DCMAKE_BUILD_TYPE=Release > "$work/consumer.log" 2>&1 ||
  { cat "$work/consumer.log"; fail "the consumer project does not configure"; }
cmake --build "$work/consumer" -j "$(nproc)" >> "$work/consumer.log" 2>&1 ||
  { cat "$work/consumer.log"; fail "the consumer project does not build"; }
export PKG_CONFIG_PATH=$libdir/pkgconfig
gcc -std=c11 -Wall -Wextra -pedantic -Werror "$src/examples/download.c" -o "$work/download_pc_c" \
  $(pkg-config --cflags --libs braid gnutls) || fail "gcc with pkg-config braid"
g++ -std=c++23 -Wall -Wextra -Werror "$src/examples/echo_server.cpp" -o "$work/echo_pc" \
  $(pkg-config --cflags --libs braid) || fail "g++ with pkg-config braid"
g++ -std=c++23 "$src/examples/download_two_paths.cpp" -o "$work/download_pc_static" \
  $(pkg-config --cflags braid) "$libdir/libbraid.a" $(pkg-config --libs gnutls libsodium fmt) -lpthread ||
  fail "static link of libbraid.a"
readelf -d "$work/download_pc_static" | grep -q 'libbraid' && fail "the static consumer needs libbraid.so"

# 3. The installed tool serves, the installed examples download over two paths.
mkdir -p "$work/root"
head -c $((6 << 20)) /dev/urandom > "$work/root/file.bin"
"$prefix/bin/braid" server --listen 127.0.0.1:0 --root "$work/root" --scheduler rr --duration 60s \
  > "$work/server.log" 2>&1 &
server_pid=$!
port=
for _ in $(seq 100); do
  port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/server.log")
  [[ -n $port ]] && break
  sleep 0.1
done
[[ -n $port ]] || { cat "$work/server.log"; fail "the installed braid server did not start"; }
export LD_LIBRARY_PATH=$libdir
for exe in "$work/consumer/download_c" "$work/consumer/download_c_static" "$work/download_pc_c"; do
  out=$("$exe" "127.0.0.1:$port" /file.bin "$work/root/file.bin" 127.0.0.2 2>&1) || { echo "$out"; fail "$exe"; }
  echo "$out" | grep -q "path 1: active" || { echo "$out"; fail "$exe: path 1 never became active"; }
done
"$work/consumer/download_cpp" "127.0.0.1:$port" /file.bin "$work/out.bin" 127.0.0.2 > "$work/cpp.log" 2>&1 ||
  { cat "$work/cpp.log"; fail "download_cpp"; }
cmp -s "$work/out.bin" "$work/root/file.bin" || fail "download_cpp: the file differs"
ldd "$work/consumer/download_c" > "$work/ldd.txt"; grep -q "=> $libdir/libbraid.so.0" "$work/ldd.txt" || { cat "$work/ldd.txt"; fail "download_c does not use the installed libbraid"; }

# 4. The Debian package.
if command -v cpack > /dev/null && command -v dpkg-deb > /dev/null; then
  cpack --config "$build/CPackConfig.cmake" -G DEB -B "$work/deb" > "$work/cpack.log" 2>&1 ||
    { cat "$work/cpack.log"; fail "cpack -G DEB"; }
  deb=$(ls "$work"/deb/braid_*_amd64.deb 2>/dev/null | head -1)
  [[ -n $deb ]] || { cat "$work/cpack.log"; fail "cpack made no .deb"; }
  dpkg-deb -I "$deb" > "$work/deb.info"
  grep -q '^ Depends:.*libgnutls30' "$work/deb.info" || { cat "$work/deb.info"; fail "the package does not depend on GnuTLS"; }
  size_kb=$(sed -n 's/^ Installed-Size: //p' "$work/deb.info")
  (( size_kb < 40000 )) || fail "the package installs $size_kb KiB: not stripped?"
  dpkg-deb -x "$deb" "$work/debroot"
  for f in usr/bin/braid usr/include/braid/braid.h usr/lib/libbraid.so.0 usr/lib/libbraid.a usr/lib/pkgconfig/braid.pc; do
    [[ -e $work/debroot/$f || -n $(ls "$work"/debroot/usr/lib/*/"${f#usr/lib/}" 2>/dev/null) ]] || fail "$f not in the package"
  done
  cmake -S "$src/tests/package/consumer" -B "$work/deb-consumer" -G Ninja -DCMAKE_PREFIX_PATH="$work/debroot/usr" \
    -DEXAMPLES="$src/examples" -DCMAKE_BUILD_TYPE=Release > "$work/deb-consumer.log" 2>&1 &&
    cmake --build "$work/deb-consumer" --target download_c -j "$(nproc)" >> "$work/deb-consumer.log" 2>&1 ||
    { cat "$work/deb-consumer.log"; fail "the consumer does not build against the .deb's contents"; }
  echo "deb: $(basename "$deb"), ${size_kb} KiB installed, consumer builds against it"
else
  echo "deb: skipped (cpack or dpkg-deb not installed)"
fi
echo "package: installed, consumed (CMake shared/static, pkg-config), downloads verified"
