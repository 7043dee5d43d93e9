#!/usr/bin/env bash
# memheap inside Open MPI: OSHMEM with the rbuddy memheap component (mca_memheap_rbuddy.so,
# memheap-core's buddy heap) against OSHMEM with its own buddy and ptmalloc components, the
# same C benchmark (benches/c/shmem_bench.c built with oshcc), interleaved rounds at 1, 2 and 4
# PEs, through benches/compare-oshmem.sh.
#
# usage: benches/compare-ompi-component.sh [ROUNDS] [REPS]     (defaults 5 and 11, as there)
# Builds the component (memheap-ompi/component/build.sh), puts its directory after Open MPI's
# own on mca_base_component_path for the run, and writes benches/results/ompi-component.txt
# (raw RESULT and STATUS lines) and benches/results/ompi-component.md (the table, the verdicts
# of issue 11's targets, every job's exit status; made by benches/ompi_component_table.py).
# Installs Debian's openmpi-bin and libopenmpi-dev when oshcc or the OSHMEM headers are
# missing (root, or sudo). Rerun after changing memheap-core: nothing here is cached.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

if ! command -v oshcc >/dev/null 2>&1 || ! dpkg -s libopenmpi-dev >/dev/null 2>&1; then
  echo "installing openmpi-bin and libopenmpi-dev (OSHMEM 4.1 and its component headers)" >&2
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openmpi-bin libopenmpi-dev >/dev/null
fi

echo "building mca_memheap_rbuddy.so" >&2
so=$("$root/memheap-ompi/component/build.sh" | tail -1)
pkglibdir=$(oshmem_info --path pkglibdir | sed -n 's/.*Pkglibdir: *//p')
export OMPI_MCA_mca_base_component_path="$pkglibdir:$(dirname "$so")"
# Only what is asked for on the command line: no stray selection or priority from outside.
unset OMPI_MCA_memheap OMPI_MCA_memheap_rbuddy_priority

IMPLS="oshmem-buddy oshmem-ptmalloc oshmem-rbuddy" RESULTS_NAME=ompi-component \
  TABLE="$root/benches/ompi_component_table.py" exec "$root/benches/compare-oshmem.sh" "$@"
