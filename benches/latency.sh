#!/usr/bin/env bash
# Latency of single OpenSHMEM operations, memheap beside Open MPI's OSHMEM in the same run:
# benches/c/latency.c (shmem.h only) built with memheap and with oshcc, run interleaved
# (OSHMEM, memheap, OSHMEM, ...) for ROUNDS rounds at each PE count.
#
# usage: benches/latency.sh [ROUNDS] [REPS] [ITERS]     (defaults 5, 15, 2000; PES="2 4")
# Installs Debian's openmpi-bin and libopenmpi-dev when oshcc is missing (root, or sudo).
# Each job prints per-operation medians over REPS repetitions of ITERS operations; the table
# gives the median over the rounds (and the range), and the ratio OSHMEM / memheap of the
# medians. Writes benches/results/latency.txt (raw RESULT and STATUS lines) and
# benches/results/latency.md (the table), and prints the table.
#
# OSHMEM runs with `--mca osc ^rdma` (its default crashes in shmem_finalize here, see
# BENCHMARKS.md). OSHMEM 4.1 implements OpenSHMEM 1.4: it has no team reductions, so the
# reduction figure of both is shmem_long_sum_to_all (memheap's 1.5 shmem_long_sum_reduce is
# reported on its own rows).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-5}
reps=${2:-15}
iters=${3:-2000}
pes_list=${PES:-"2 4"}
build=$root/target/latency
results=$root/benches/results
mkdir -p "$build" "$results"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

if ! command -v oshcc >/dev/null 2>&1 || ! command -v oshrun >/dev/null 2>&1; then
  echo "installing openmpi-bin and libopenmpi-dev (OSHMEM 4.1)" >&2
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openmpi-bin libopenmpi-dev >/dev/null
fi

echo "building memheap (release) and both latency binaries" >&2
(cd "$root" && cargo build -q --release -p memheap-c -p memheap-std --lib --bin memheap-run)
lib=$root/target/release
cc -O2 -std=c11 -I "$root/memheap-c/include" "$root/benches/c/latency.c" \
  -o "$build/latency-memheap" -L "$lib" -Wl,--disable-new-dtags -Wl,-rpath,"$lib" -lmemheap
oshcc -O2 "$root/benches/c/latency.c" -o "$build/latency-oshmem"

raw=$build/raw.txt
: >"$raw"
run() { # impl pes round
  local impl=$1 n=$2 round=$3 rc=0 out
  case $impl in
    oshmem)
      out=$(timeout 600 oshrun --oversubscribe -np "$n" --mca osc ^rdma \
        "$build/latency-oshmem" "$reps" "$iters" 2>&1) || rc=$?
      ;;
    memheap)
      out=$("$lib/memheap-run" --timeout 600 -n "$n" "$build/latency-memheap" "$reps" "$iters" 2>&1) || rc=$?
      ;;
  esac
  echo "STATUS impl=$impl pes=$n round=$round exit=$rc" >>"$raw"
  printf '%s\n' "$out" | grep '^RESULT' | sed "s/^RESULT /RESULT impl=$impl round=$round /" >>"$raw" || true
  if [ "$rc" != 0 ]; then printf '%s\n' "$out" | tail -5 >&2; fi
}

for round in $(seq 1 "$rounds"); do
  for n in $pes_list; do
    for impl in oshmem memheap; do
      echo "round $round: $impl on $n PEs" >&2
      run "$impl" "$n" "$round"
    done
  done
done

ompi=$(ompi_info --version 2>/dev/null | head -1 || echo "Open MPI unknown")
{
  echo "# $(date -u +%Y-%m-%dT%H:%MZ) rounds=$rounds reps=$reps iters=$iters PEs=\"$pes_list\" $(nproc) cores; $ompi"
  echo "# OSHMEM: oshrun --oversubscribe -np N --mca osc ^rdma latency-oshmem $reps $iters"
  echo "# memheap: memheap-run -n N latency-memheap $reps $iters"
  cat "$raw"
} >"$results/latency.txt"

python3 - "$results/latency.txt" <<'PY' | tee "$results/latency.md"
import re, statistics, sys
rows = {}
status = []
for line in open(sys.argv[1]):
    if line.startswith("STATUS"):
        status.append(line.strip())
    if not line.startswith("RESULT"):
        continue
    f = dict(kv.split("=", 1) for kv in line.split()[1:])
    key = (f["op"], int(f["bytes"]), int(f["pes"]))
    rows.setdefault(key, {}).setdefault(f["impl"], []).append(float(f["ns"]))
names = {
    "long_p": "shmem_long_p (ping-pong, half round trip)",
    "fetch_add": "shmem_long_atomic_fetch_add",
    "barrier_all": "shmem_barrier_all",
    "broadcast64": "shmem_broadcast64",
    "sum_to_all": "shmem_long_sum_to_all",
    "sum_reduce": "shmem_long_sum_reduce (team, 1.5)",
}
order = list(names)
def size(b):
    return "-" if b == 0 else (f"{b // 1048576} MiB" if b >= 1048576 else f"{b} B")
def cell(v):
    if not v:
        return "n/a"
    m = statistics.median(v)
    return f"{m:,.0f} ({min(v):,.0f}-{max(v):,.0f})" if m >= 100 else f"{m:.1f} ({min(v):.1f}-{max(v):.1f})"
print("| operation | size | PEs | OSHMEM ns | memheap ns | OSHMEM / memheap |")
print("|---|---|---|---|---|---|")
for key in sorted(rows, key=lambda k: (order.index(k[0]), k[1], k[2])):
    op, b, n = key
    o, m = rows[key].get("oshmem", []), rows[key].get("memheap", [])
    ratio = f"{statistics.median(o) / statistics.median(m):.1f}x" if o and m else "-"
    print(f"| {names[op]} | {size(b)} | {n} | {cell(o)} | {cell(m)} | {ratio} |")
print()
print("Median over the rounds (range in parentheses), each round's figure itself a median.")
bad = [s for s in status if not s.endswith("exit=0")]
print("Job statuses: " + ("all exited 0" if not bad else "; ".join(bad)))
PY
