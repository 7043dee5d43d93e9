#!/usr/bin/env bash
# Side by side with Open MPI's OSHMEM: the same C benchmark (benches/c/shmem_bench.c, written
# against shmem.h only) built with oshcc and with memheap, run interleaved as OSHMEM-buddy,
# OSHMEM-ptmalloc, memheap-buddy and memheap-ptmalloc at 1, 2 and 4 PEs.
#
# usage: benches/compare-oshmem.sh [ROUNDS] [REPS]     (defaults 5 and 11; PES="1 2 4" by default)
# IMPLS (default "oshmem-buddy oshmem-ptmalloc memheap-buddy memheap-ptmalloc") picks what runs:
# oshmem-NAME is oshrun with --mca memheap NAME (any component oshrun can find, e.g. rbuddy with
# OMPI_MCA_mca_base_component_path set, as benches/compare-ompi-component.sh does), memheap-NAME
# is memheap-run with MEMHEAP_COMPONENT=NAME. RESULTS_NAME (default oshmem-compare) names the
# results files and TABLE (default benches/compare_table.py) the script that makes the table.
# Installs Debian's openmpi-bin and libopenmpi-dev when oshcc is missing (root, or sudo).
# Each job prints per-figure medians over REPS repetitions; the ROUNDS rounds run every
# implementation at every PE count in turn (interleaved), and the table gives the median over
# the rounds. Writes benches/results/oshmem-compare.txt (raw RESULT and STATUS lines of the
# latest run) and benches/results/oshmem-compare.md (the table, each issue-6 target's verdict
# with its figure, and every job's exit status), and prints the table.
#
# OSHMEM 4.1 with its default configuration crashes in shmem_finalize on this kind of machine
# (an osc/rdma memory hook fires after its library is unloaded): it runs here with
# `--mca osc ^rdma`, which avoids that. Both get the same heap size: SHMEM_SYMMETRIC_SIZE for
# memheap, SHMEM_SYMMETRIC_HEAP_SIZE (what OSHMEM 4.1 reads) for OSHMEM.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-5}
reps=${2:-11}
heap=$((256 * 1024 * 1024))
pes_list=${PES:-"1 2 4"}
impls=${IMPLS:-"oshmem-buddy oshmem-ptmalloc memheap-buddy memheap-ptmalloc"}
name=${RESULTS_NAME:-oshmem-compare}
table=${TABLE:-$root/benches/compare_table.py}
build=$root/target/$name
results=$root/benches/results
mkdir -p "$build" "$results"

if ! command -v oshcc >/dev/null 2>&1 || ! command -v oshrun >/dev/null 2>&1; then
  echo "installing openmpi-bin and libopenmpi-dev (OSHMEM 4.1)" >&2
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openmpi-bin libopenmpi-dev >/dev/null
fi

lib=$root/target/release
case " $impls " in
  *" memheap-"*)
    echo "building memheap (release) and its benchmark binary" >&2
    (cd "$root" && cargo build -q --release -p memheap-c -p memheap-std --lib --bin memheap-run)
    cc -O2 -std=c11 -I "$root/memheap-c/include" "$root/benches/c/shmem_bench.c" \
      -o "$build/bench-memheap" -L "$lib" -Wl,--disable-new-dtags -Wl,-rpath,"$lib" -lmemheap -lm
    ;;
esac
echo "building the OSHMEM benchmark binary" >&2
oshcc -O2 "$root/benches/c/shmem_bench.c" -o "$build/bench-oshmem" -lm

raw=$build/raw.txt
status=$build/status.txt
: >"$raw"
: >"$status"
run() { # impl pes round
  local impl=$1 n=$2 round=$3 rc=0 out
  case $impl in
    oshmem-*)
      out=$(SHMEM_SYMMETRIC_HEAP_SIZE=$heap timeout 600 oshrun --allow-run-as-root --oversubscribe \
        -np "$n" --mca osc ^rdma --mca memheap "${impl#oshmem-}" "$build/bench-oshmem" "$heap" "$reps" 2>&1) || rc=$?
      ;;
    memheap-*)
      out=$(SHMEM_SYMMETRIC_SIZE=$heap MEMHEAP_COMPONENT=${impl#memheap-} \
        "$lib/memheap-run" --timeout 600 -n "$n" "$build/bench-memheap" "$heap" "$reps" 2>&1) || rc=$?
      ;;
  esac
  echo "STATUS impl=$impl pes=$n round=$round exit=$rc" >>"$status"
  printf '%s\n' "$out" | grep '^RESULT' | sed "s/^RESULT /RESULT impl=$impl round=$round /" >>"$raw" || true
  if [ "$rc" != 0 ]; then printf '%s\n' "$out" | tail -5 >&2; fi
}

for round in $(seq 1 "$rounds"); do
  for n in $pes_list; do
    for impl in $impls; do
      echo "round $round: $impl on $n PEs" >&2
      run "$impl" "$n" "$round"
    done
  done
done

ompi=$(ompi_info --version 2>/dev/null | head -1 || echo "Open MPI unknown")
{
  echo "# $(date -u +%Y-%m-%dT%H:%MZ) rounds=$rounds reps=$reps heap=$heap PEs=\"$pes_list\" $(nproc) cores; $ompi"
  echo "# impls: $impls"
  echo "# OSHMEM: oshrun --allow-run-as-root --oversubscribe -np N --mca osc ^rdma --mca memheap NAME, SHMEM_SYMMETRIC_HEAP_SIZE=$heap${OMPI_MCA_mca_base_component_path:+, OMPI_MCA_mca_base_component_path=${OMPI_MCA_mca_base_component_path//$root/<repository>}}"
  echo "# memheap: memheap-run -n N, MEMHEAP_COMPONENT=NAME, SHMEM_SYMMETRIC_SIZE=$heap"
  cat "$raw" "$status"
} >"$results/$name.txt"
python3 "$table" "$results/$name.txt" | tee "$results/$name.md"
