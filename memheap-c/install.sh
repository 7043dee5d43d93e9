#!/bin/sh
# Build libmemheap, memheap-run and memheap-info (release) and install them with the headers,
# memheap-cc and a pkg-config file under PREFIX (default /usr/local):
#   memheap-c/install.sh $HOME/.local
#   PKG_CONFIG_PATH=$HOME/.local/lib/pkgconfig cc prog.c $(pkg-config --cflags --libs memheap)
# With --osh-names it also installs oshcc and oshrun (links to memheap-cc and memheap-run), the
# names OpenSHMEM implementations use; off by default, so a system Open MPI is not shadowed.
#
# Or build the Open MPI OSHMEM memheap component mca_memheap_rbuddy.so
# (memheap-ompi/component/build.sh; needs Open MPI's development files) and install it into a
# component directory (~/.openmpi/components is searched by Open MPI with no setting):
#   memheap-c/install.sh --ompi $HOME/.openmpi/components
#   oshrun --mca osc ^rdma --mca memheap rbuddy -np 4 ./prog
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
usage() {
  cat <<EOF
usage: $0 [--osh-names] [PREFIX]
       $0 --ompi [DIR]
       $0 --help

  PREFIX        install under PREFIX/include, PREFIX/lib (libmemheap.so, libmemheap.a,
                pkgconfig/memheap.pc) and PREFIX/bin (memheap-run, memheap-cc, memheap-info);
                default /usr/local
  --osh-names   also install PREFIX/bin/oshcc and PREFIX/bin/oshrun (links to memheap-cc and
                memheap-run); an existing oshcc or oshrun that is not such a link is left alone
                and the install fails
  --ompi [DIR]  build mca_memheap_rbuddy.so (needs Open MPI's development files) and install it
                in DIR (default ~/.openmpi/components)
EOF
}
osh_names=
case "${1:-}" in
  --help | -h) usage; exit 0 ;;
  --osh-names) osh_names=1; shift ;;
esac
case "${1:-}" in
  --osh-names) osh_names=1; shift ;;
  --ompi) [ -z "$osh_names" ] || { echo "$0: --osh-names and --ompi do not go together" >&2; exit 2; } ;;
  -*) echo "$0: unknown option $1" >&2; usage >&2; exit 2 ;;
esac
if [ "${1:-}" != "--ompi" ] && [ $# -gt 1 ]; then
  echo "$0: one PREFIX at most (got: $*)" >&2; usage >&2; exit 2
fi
if [ "${1:-}" = "--ompi" ]; then
  dir=${2:-$HOME/.openmpi/components}
  so=$("$root/memheap-ompi/component/build.sh" | tail -1)
  mkdir -p "$dir"
  cp "$so" "$dir/"
  echo "installed mca_memheap_rbuddy.so in $dir"
  # Open MPI loads components from mca_base_component_path; say how to add $dir if it is not
  # on it. Setting the path replaces the default, so the system directory stays first; and
  # Open MPI 4.1 stops at a directory that does not exist, so those are left out.
  search=$(oshmem_info --parsable --level 9 --param mca base 2>/dev/null |
    sed -n 's/^mca:mca:base:param:mca_base_component_path:value:"\(.*\)"$/\1/p')
  case ":$search:" in
    *":$dir:"* | *":$dir/:"*) echo "Open MPI searches $dir: select it with oshrun --mca memheap rbuddy" ;;
    *) path=""
       old_ifs=$IFS
       IFS=:
       for d in $search; do
         if [ -d "$d" ]; then path="$path$d:"; fi
       done
       IFS=$old_ifs
       echo "Open MPI does not search $dir; before oshrun:"
       echo "  export OMPI_MCA_mca_base_component_path=$path$dir" ;;
  esac
  exit 0
fi
prefix=${1:-/usr/local}
target=${CARGO_TARGET_DIR:-$root/target}
(cd "$root" && cargo build --release -q -p memheap-c -p memheap-std --lib --bin memheap-run --bin memheap-info)
mkdir -p "$prefix/include/mpp" "$prefix/lib/pkgconfig" "$prefix/bin"
cp "$root/memheap-c/include/shmem.h" "$root/memheap-c/include/shmemx.h" \
  "$root/memheap-embed/include/memheap.h" "$prefix/include/"
cp "$root/memheap-c/include/mpp/shmem.h" "$root/memheap-c/include/mpp/shmemx.h" "$prefix/include/mpp/"
cp "$target/release/libmemheap.so" "$target/release/libmemheap.a" "$prefix/lib/"
cp "$target/release/memheap-run" "$root/memheap-c/memheap-cc" "$prefix/bin/"
cp "$target/release/memheap-info" "$prefix/bin/"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -1)
sed "s/^version=   #.*/version=$version/" "$root/memheap-c/memheap-cc" >"$prefix/bin/memheap-cc"
chmod 755 "$prefix/bin/memheap-cc"
if [ -n "$osh_names" ]; then
  for pair in oshcc:memheap-cc oshrun:memheap-run; do
    name=${pair%%:*} tool=${pair#*:}
    if [ -e "$prefix/bin/$name" ] || [ -L "$prefix/bin/$name" ]; then
      if [ "$(readlink "$prefix/bin/$name" || true)" != "$tool" ]; then
        echo "$0: $prefix/bin/$name exists and is not memheap's: left alone (remove it, or" \
          "install memheap under another PREFIX)" >&2
        exit 1
      fi
    fi
    ln -sf "$tool" "$prefix/bin/$name"
  done
  echo "installed oshcc and oshrun (links to memheap-cc and memheap-run) in $prefix/bin"
fi
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
