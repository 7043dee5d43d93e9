#!/bin/sh
# Build the OSHMEM memheap component mca_memheap_rbuddy.so from source:
#   memheap-ompi/component/build.sh            -> target/ompi/mca_memheap_rbuddy.so
#
# Needs Open MPI's development headers (Debian: libopenmpi-dev, which brings oshcc with
# openmpi-bin): the component is compiled against the headers of the Open MPI it will be
# loaded by. Steps: the Rust static library (cargo build --release -p memheap-ompi), a
# directory of symlinks for the two include paths OSHMEM's installed headers use but Open MPI
# does not install (oshmem/include/*.h, ompi/include/mpi.h), then one C compile and link that
# exports only mca_memheap_rbuddy_component.
#
# Environment: CC (default cc), CARGO (default cargo), CARGO_TARGET_DIR, OSHCC (default
# oshcc; asked for Open MPI's include and library directories).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
out=$target/ompi
cc=${CC:-cc}
cargo=${CARGO:-cargo}
oshcc=${OSHCC:-oshcc}

if ! command -v "$oshcc" >/dev/null 2>&1; then
  echo "build.sh: $oshcc not found: install Open MPI with its development files" >&2
  echo "          (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev)" >&2
  exit 1
fi
incdirs=$("$oshcc" --showme:incdirs)
libdirs=$("$oshcc" --showme:libdirs)

# The directory with shmem.h and mpi.h, the one with OSHMEM's internal headers, and the one
# with oshmem_config.h (Debian: include/, include/openmpi/, include/openshmem/).
public="" internal="" config=""
for d in $incdirs; do
  for c in "$d" "$d/openmpi" "$d/openshmem" "$d/../openshmem"; do
    [ -z "$public" ] && [ -f "$c/shmem.h" ] && [ -f "$c/mpi.h" ] && public=$c
    [ -z "$internal" ] && [ -f "$c/oshmem/mca/memheap/memheap.h" ] && internal=$c
    [ -z "$config" ] && [ -f "$c/oshmem_config.h" ] && [ -f "$c/oshmem/constants.h" ] && config=$c
  done
done
for v in public internal config; do
  eval "val=\$$v"
  if [ -z "$val" ]; then
    echo "build.sh: Open MPI's $v headers not found under: $incdirs" >&2
    echo "          (the OSHMEM component headers come with libopenmpi-dev)" >&2
    exit 1
  fi
done

mkdir -p "$out/include/oshmem/include" "$out/include/ompi/include"
for h in shmem.h shmemx.h pshmem.h pshmemx.h shmem-compat.h; do
  [ -f "$public/$h" ] && ln -sf "$public/$h" "$out/include/oshmem/include/$h"
done
ln -sf "$public/mpi.h" "$out/include/ompi/include/mpi.h"

(cd "$root" && "$cargo" build --release -q -p memheap-ompi)
lib=$target/release/libmemheap_ompi.a

version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -1)
major=${version%%.*}
rest=${version#*.}
minor=${rest%%.*}
release=${rest#*.}

libflags=""
for d in $libdirs; do libflags="$libflags -L$d"; done
# Open MPI's headers are -isystem: their own warnings are not ours.
# -z defs: every symbol must resolve now (against liboshmem and libopen-pal), not at dlopen.
# --exclude-libs,ALL and the version script keep the Rust library's symbols local.
# shellcheck disable=SC2086
"$cc" -std=gnu11 -O2 -fPIC -shared -fvisibility=hidden -Wall -Wextra -Werror \
  -Wno-unused-parameter -Wno-missing-field-initializers \
  -DMEMHEAP_RBUDDY_VERSION_MAJOR="$major" -DMEMHEAP_RBUDDY_VERSION_MINOR="$minor" \
  -DMEMHEAP_RBUDDY_VERSION_RELEASE="$release" \
  -I "$here" -isystem "$config" -isystem "$internal" -isystem "$public" -isystem "$out/include" \
  "$here/mca_memheap_rbuddy.c" "$lib" \
  -o "$out/mca_memheap_rbuddy.so.tmp.$$" \
  $libflags -loshmem -lopen-pal \
  -Wl,-z,defs -Wl,--gc-sections -Wl,--exclude-libs,ALL -Wl,--strip-debug \
  -Wl,--version-script="$here/exports.map" \
  -lpthread -ldl -lm -lgcc_s
# Renamed into place: a process that has the previous .so open or mapped (an oshrun job, an
# oshmem_info of a test running at the same time) keeps reading the old file, whole.
mv -f "$out/mca_memheap_rbuddy.so.tmp.$$" "$out/mca_memheap_rbuddy.so"
echo "$out/mca_memheap_rbuddy.so"
