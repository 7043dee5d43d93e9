#!/bin/sh
# Build libmemheap and memheap-run (release) and install them with the headers, memheap-cc and a
# pkg-config file under PREFIX (default /usr/local):
#   memheap-c/install.sh $HOME/.local
#   PKG_CONFIG_PATH=$HOME/.local/lib/pkgconfig cc prog.c $(pkg-config --cflags --libs memheap)
set -eu
prefix=${1:-/usr/local}
root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
(cd "$root" && cargo build --release -q -p memheap-c -p memheap-std --lib --bin memheap-run)
mkdir -p "$prefix/include/mpp" "$prefix/lib/pkgconfig" "$prefix/bin"
cp "$root/memheap-c/include/shmem.h" "$root/memheap-c/include/shmemx.h" \
  "$root/memheap-c/include/memheap.h" "$prefix/include/"
cp "$root/memheap-c/include/mpp/shmem.h" "$root/memheap-c/include/mpp/shmemx.h" "$prefix/include/mpp/"
cp "$target/release/libmemheap.so" "$target/release/libmemheap.a" "$prefix/lib/"
cp "$target/release/memheap-run" "$root/memheap-c/memheap-cc" "$prefix/bin/"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -1)
cat >"$prefix/lib/pkgconfig/memheap.pc" <<PC
prefix=$prefix
includedir=\${prefix}/include
libdir=\${prefix}/lib

Name: memheap
Description: OpenSHMEM symmetric heap (shmem.h) and embeddable buddy allocator (memheap.h)
Version: $version
Cflags: -I\${includedir}
Libs: -L\${libdir} -Wl,-rpath,\${libdir} -lmemheap
Libs.private: -lpthread -ldl -lm
PC
echo "installed memheap $version under $prefix"
