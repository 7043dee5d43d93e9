#!/usr/bin/env bash
# Build and run the C programs of Sandia OpenSHMEM's public test suite (tests-sos: test/unit and
# test/spec-example) against memheap (memheap-cc, memheap-run) or Open MPI's OSHMEM (oshcc,
# oshrun), at 2 and 4 PEs, and print passed / built / total with every failure.
#
# usage: tests/sos/run-sos.sh [--impl memheap|oshmem] [--pes "2 4"] [--timeout S]
#                             [--deprecated] [--only NAME,...] [--out DIR] <path-to-tests-sos>
#
#   --impl        memheap (default) or oshmem (needs oshcc/oshrun: Debian's openmpi-bin and
#                 libopenmpi-dev; run with --mca osc ^rdma, see BENCHMARKS.md)
#   --pes         PE counts to run at (default "2 4")
#   --timeout     seconds per run (default 60)
#   --deprecated  build with -DENABLE_DEPRECATED_TESTS (the suite's tests of deprecated names)
#   --only        run only these programs (comma-separated names without .c)
#   --out         directory for binaries, logs and results.tsv (default target/sos-<impl>)
#
# The suite is not part of this repository: fetch it (git clone
# https://github.com/openshmem-org/tests-sos) and pass its path. A program passes when it
# exits 0 within the timeout. Programs that need what a single-node shared-memory runtime
# cannot give are listed with the reason in tests/sos/README.md; they are still built and run.
# Exit status: 0 when every built program passed at every PE count, 1 otherwise, 2 on usage
# errors.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
impl=memheap
pes_list="2 4"
timeout_s=60
extra_cflags=()
only=""
out=""
while [ $# -gt 0 ]; do
  case $1 in
    --impl) impl=$2; shift 2 ;;
    --pes) pes_list=$2; shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --deprecated) extra_cflags+=(-DENABLE_DEPRECATED_TESTS); shift ;;
    --only) only=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    -*) echo "run-sos.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
if [ $# -ne 1 ] || [ ! -d "$1/test/unit" ] || [ ! -d "$1/test/spec-example" ]; then
  echo "usage: tests/sos/run-sos.sh [options] <path-to-tests-sos> (a checkout with test/unit)" >&2
  exit 2
fi
sos=$(cd "$1" && pwd)
out=${out:-$root/target/sos-$impl}
mkdir -p "$out/bin" "$out/log"
out=$(cd "$out" && pwd)
results=$out/results.tsv
: >"$results"

case $impl in
  memheap)
    (cd "$root" && cargo build -q --release -p memheap-c -p memheap-std --lib --bin memheap-run) || exit 1
    export MEMHEAP_LIB_DIR=$root/target/release
    cc_cmd=("$root/memheap-c/memheap-cc")
    run_cmd() { # n exe
      case $(basename "$2") in
        hybrid_mpi_*)
          # MPI and OpenSHMEM together: started by Open MPI's mpirun (memheap takes rank and
          # size from it), so that MPI ranks and PEs are the same processes.
          OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
            timeout -k 5 "$timeout_s" mpirun --oversubscribe --mca osc ^rdma -np "$1" "$2" ;;
        *) "$root/target/release/memheap-run" --timeout "$timeout_s" -n "$1" "$2" ;;
      esac
    }
    ;;
  oshmem)
    if ! command -v oshcc >/dev/null || ! command -v oshrun >/dev/null; then
      echo "run-sos.sh: oshcc/oshrun not found (apt-get install openmpi-bin libopenmpi-dev)" >&2
      exit 2
    fi
    cc_cmd=(oshcc)
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    run_cmd() { # n exe
      timeout -k 5 "$timeout_s" oshrun --oversubscribe --mca osc ^rdma -np "$1" "$2"
    }
    ;;
  *) echo "run-sos.sh: --impl must be memheap or oshmem" >&2; exit 2 ;;
esac

# Every C program of test/unit and test/spec-example (mt_lock.c is part of mt_lock_test).
progs=()
for f in "$sos"/test/unit/*.c "$sos"/test/spec-example/*.c; do
  name=$(basename "$f" .c)
  [ "$name" = mt_lock ] && continue
  if [ -n "$only" ] && [[ ",$only," != *",$name,"* ]]; then continue; fi
  progs+=("$f")
done
total=${#progs[@]}

built=()
declare -A why_not_built
for f in "${progs[@]}"; do
  name=$(basename "$f" .c)
  dir=$(dirname "$f")
  flags=(-O1 -I "$sos/test/include" -I "$dir" -pthread "${extra_cflags[@]}")
  srcs=("$f")
  cc=("${cc_cmd[@]}")
  case $name in
    mt_lock_test) srcs+=("$dir/mt_lock.c") ;;
    shmem_ctx) flags+=(-fopenmp) ;;
    hybrid_mpi_*)
      # MPI and OpenSHMEM in one program: the MPI compiler wrapper around our compiler.
      if [ "$impl" = memheap ]; then
        if ! command -v mpicc >/dev/null; then
          why_not_built[$name]="needs mpicc (MPI) for an MPI+OpenSHMEM program"
          printf '%s\t-\tnot-built\t%s\n' "$name" "${why_not_built[$name]}" >>"$results"
          continue
        fi
        cc=(env OMPI_CC="$root/memheap-c/memheap-cc" mpicc)
      fi
      ;;
  esac
  if "${cc[@]}" "${flags[@]}" "${srcs[@]}" -o "$out/bin/$name" -lm >"$out/log/$name.build" 2>&1; then
    built+=("$name")
  else
    why_not_built[$name]=$(grep -m1 -E 'error|undefined' "$out/log/$name.build" | cut -c1-200)
    printf '%s\t-\tnot-built\t%s\n' "$name" "${why_not_built[$name]}" >>"$results"
  fi
done

status=0
echo
for n in $pes_list; do
  pass=0
  failed=()
  for name in "${built[@]}"; do
    log=$out/log/$name.np$n
    start=$(date +%s%N)
    # Each program runs in its own directory (some write files).
    mkdir -p "$out/run/$name"
    (cd "$out/run/$name" && run_cmd "$n" "$out/bin/$name") >"$log" 2>&1 </dev/null
    rc=$?
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    secs=$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))
    if [ $rc -eq 0 ]; then
      pass=$((pass + 1))
      printf '%s\t%s\tpass\t%ss\n' "$name" "$n" "$secs" >>"$results"
    else
      failed+=("$name (exit $rc)")
      printf '%s\t%s\tFAIL\texit %s, %ss\n' "$name" "$n" "$rc" "$secs" >>"$results"
    fi
  done
  echo "$impl, $n PEs: passed ${pass} / built ${#built[@]} / total ${total}"
  for f in "${failed[@]}"; do
    name=${f%% *}
    echo "  FAIL $f: $(tail -n 3 "$out/log/$name.np$n" | tr '\n' ' ' | cut -c1-300)"
  done
  if [ ${#failed[@]} -gt 0 ]; then status=1; fi
done
for name in "${!why_not_built[@]}"; do
  echo "  not built: $name: ${why_not_built[$name]}"
  status=1
done
echo "results: $results"
exit $status
