#!/usr/bin/env bash
# Start-up and tear-down of a whole job: tests/c/hello.c (shmem_init, print, shmem_finalize)
# under memheap-run and under Open MPI's oshrun, interleaved, ROUNDS rounds at each PE count;
# prints the median and range of the wall time of each, in ms, and their ratio.
#
# usage: benches/startup.sh [ROUNDS]        (default 10; PES="1 2 4")
# Needs Open MPI's oshcc/oshrun (Debian: apt-get install openmpi-bin libopenmpi-dev).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-10}
pes_list=${PES:-"1 2 4"}
build=$root/target/startup
mkdir -p "$build"
cd "$root"
cargo build -q --release -p memheap-c -p memheap-std --lib --bin memheap-run
memheap-c/memheap-cc -O2 -o "$build/hello" tests/c/hello.c
oshcc -O2 -o "$build/hello-oshmem" tests/c/hello.c
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
python3 - "$rounds" "$build" $pes_list <<'PY'
import statistics, subprocess, sys, time
rounds, build, pes = int(sys.argv[1]), sys.argv[2], [int(p) for p in sys.argv[3:]]
cmds = {
    "memheap-run": lambda n: ["target/release/memheap-run", "-n", str(n), f"{build}/hello"],
    "oshrun": lambda n: ["oshrun", "--oversubscribe", "-np", str(n), "--mca", "osc", "^rdma",
                         f"{build}/hello-oshmem"],
}
print("| PEs | memheap-run ms | oshrun ms | oshrun / memheap-run |")
print("|---|---|---|---|")
for n in pes:
    t = {k: [] for k in cmds}
    for _ in range(rounds):
        for k, c in cmds.items():
            s = time.perf_counter()
            subprocess.run(c(n), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            t[k].append((time.perf_counter() - s) * 1e3)
    m = {k: statistics.median(v) for k, v in t.items()}
    print(f"| {n} | {m['memheap-run']:.1f} ({min(t['memheap-run']):.1f}-{max(t['memheap-run']):.1f}) "
          f"| {m['oshrun']:.0f} ({min(t['oshrun']):.0f}-{max(t['oshrun']):.0f}) "
          f"| {m['oshrun'] / m['memheap-run']:.0f}x |")
PY
