#!/usr/bin/env bash
# The figures for choosing memheap's default heap component: the C benchmark
# (benches/c/shmem_bench.c) with each component, interleaved round by round, at 1 and 2 PEs:
# fill (% of the heap placed before the first refusal), speed (alloc+free pairs, mixed
# workload, realloc chain, ns/op), and the largest block after churn (with the churned blocks
# live, and after freeing them all, % of the heap).
#
# usage: benches/component-choice.sh [ROUNDS] [REPS]    (defaults 5 and 7; PES="1 2")
# Writes benches/results/component-choice.txt (raw RESULT lines) and prints a markdown table
# of the medians over the rounds.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-5}
reps=${2:-7}
heap=$((256 * 1024 * 1024))
pes_list=${PES:-"1 2"}
components=${COMPONENTS:-"buddy ptmalloc"}
build=$root/target/component-choice
results=$root/benches/results
mkdir -p "$build" "$results"

echo "building memheap (release) and the benchmark" >&2
(cd "$root" && cargo build -q --release -p memheap-c -p memheap-std --lib --bin memheap-run)
lib=$root/target/release
cc -O2 -std=c11 -I "$root/memheap-c/include" "$root/benches/c/shmem_bench.c" \
  -o "$build/bench" -L "$lib" -Wl,--disable-new-dtags -Wl,-rpath,"$lib" -lmemheap -lm

raw=$results/component-choice.txt
{
  echo "# $(date -u +%Y-%m-%dT%H:%MZ) rounds=$rounds reps=$reps heap=$heap PEs=\"$pes_list\" $(nproc) cores"
  echo "# SHMEM_SYMMETRIC_SIZE=$heap MEMHEAP_COMPONENT=C memheap-run -n N bench $heap $reps"
} >"$raw"
for round in $(seq 1 "$rounds"); do
  for n in $pes_list; do
    for c in $components; do
      echo "round $round: $c on $n PEs" >&2
      SHMEM_SYMMETRIC_SIZE=$heap MEMHEAP_COMPONENT=$c "$lib/memheap-run" --timeout 900 -n "$n" \
        "$build/bench" "$heap" "$reps" | grep '^RESULT' | sed "s/^RESULT /RESULT impl=$c round=$round /" >>"$raw"
    done
  done
done

python3 - "$raw" <<'PY'
import statistics, sys
from collections import defaultdict
vals = defaultdict(list)
impls = []
for line in open(sys.argv[1]):
    if not line.startswith("RESULT "):
        continue
    f = dict(kv.split("=", 1) for kv in line.split()[1:])
    if f["impl"] not in impls:
        impls.append(f["impl"])
    vals[(int(f["pes"]), f["bench"], f["param"], f["unit"], f["impl"])].append(float(f["value"]))
benches = ["fill", "churn_largest", "pair", "mixed", "realloc", "align"]
params = ["live", "emptied", "16", "64", "256", "4K", "64K", "1M"]
rows = sorted({k[:4] for k in vals}, key=lambda k: (
    k[0],
    benches.index(k[1]) if k[1] in benches else 99,
    params.index(k[2]) if k[2] in params else -1,
))
print("| PEs | bench | param | unit | " + " | ".join(impls) + " |")
print("|---|---|---|---|" + "---|" * len(impls))
for pes, bench, param, unit in rows:
    if bench in ("fill_mapped", "heap_mapped"):
        continue
    cells = []
    for i in impls:
        v = vals.get((pes, bench, param, unit, i))
        cells.append("-" if not v else (f"{statistics.median(v):.2f} %" if unit == "pct" else f"{statistics.median(v):.1f}"))
    print(f"| {pes} | {bench} | {param} | {unit} | " + " | ".join(cells) + " |")
PY
