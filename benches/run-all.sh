#!/usr/bin/env bash
# Regenerate every benchmark figure and plot of BENCHMARKS.md (about 6 minutes on 2 cores):
#   1. criterion `core` bench (memheap-core vs the Rust heaps; short settings)  -> results/criterion.txt
#   1b. the core's time targets in interleaved rounds (`ratios` binary)           -> results/ratios.txt
#   1c. a failing allocation on a fragmented heap, the slow path (`failing`)      -> results/failing.txt
#   2. fill efficiency of the Rust heaps (`fill` binary)                         -> results/fill.txt
#   2b. a symmetric heap's churn and refill on the core alone (`churn` binary)    -> results/churn.txt
#   3. mixed ops vs heap size, 16 MiB..16 GiB (`scale` binary)                   -> results/scale.txt
#   4. barrier and collective malloc+free vs PEs, 1..16 (`pe_barrier_bench`)     -> results/pe-scale.txt
#   5. C API vs Open MPI's OSHMEM (compare-oshmem.sh; installs Open MPI if missing)
#                                                  -> results/oshmem-compare.{txt,md}
#   6. plots (plot.py; installs matplotlib with pip in a virtual environment, target/plot-venv,
#      if missing) -> plots/*.png, results/tables.md
# One step runs at a time (the machine is small and shared). Machine and date: results/machine.txt.
#
# usage: benches/run-all.sh            (from anywhere in the repository)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
res=$root/benches/results
mkdir -p "$res" "$root/benches/plots"
cd "$root"

{
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with local changes)')"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), nproc $(nproc)"
  echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "kernel: $(uname -r)"
  echo "rustc: $(rustc --version)"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$res/machine.txt"
cat "$res/machine.txt"

step() { echo; echo "== $*" >&2; }

step "1/6 criterion core bench (short settings)"
cargo bench -q -p memheap-benches --bench core -- \
  --warm-up-time 0.5 --measurement-time 1 --sample-size 10 --noplot | tee "$res/criterion.txt"

step "1b/6 core time targets, interleaved rounds"
cargo run -q --release -p memheap-benches --bin ratios | tee "$res/ratios.txt"

step "1c/6 a failing allocation on a fragmented heap"
cargo run -q --release -p memheap-benches --bin failing | tee "$res/failing.txt"

step "2/6 fill efficiency"
cargo run -q --release -p memheap-benches --bin fill | tee "$res/fill.txt"

step "2b/6 churn and refill on the core alone"
cargo run -q --release -p memheap-benches --bin churn | tee "$res/churn.txt"

step "3/6 mixed ops vs heap size"
cargo run -q --release -p memheap-benches --bin scale | tee "$res/scale.txt"

step "4/6 barrier and collective allocation vs PEs"
cargo build -q --release -p memheap-std --examples --bins
: >"$res/pe-scale.txt"
for n in 1 2 4 8 16; do
  target/release/memheap-run --timeout 300 -n "$n" target/release/examples/pe_barrier_bench \
    | tee -a "$res/pe-scale.txt"
done

step "5/6 C API vs OSHMEM"
benches/compare-oshmem.sh

step "6/6 plots and tables"
python3 benches/plot.py "$res" "$root/benches/plots"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$res/machine.txt"
