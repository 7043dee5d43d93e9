#!/usr/bin/env python3
"""Turn the results file of compare-ompi-component.sh into one markdown table of medians and
ratios (OSHMEM with rbuddy vs OSHMEM with its buddy and ptmalloc), the verdicts of issue 11's
targets with their figures, and the exit status of every job.

usage: ompi_component_table.py RESULTS      (benches/results/ompi-component.txt)

Same file format as compare_table.py (whose loader this uses): a figure in the table is the
median over the rounds of each job's median over its repetitions. Time targets are judged on
the medians and on each job's fastest round, as compare_table.py does: UNSTABLE = met on one,
missed on the other."""
import sys
from collections import defaultdict

from compare_table import fmt, load, ratio, sort_key

IMPLS = ["oshmem-buddy", "oshmem-ptmalloc", "oshmem-rbuddy"]
FILL_TARGET = 95.0


def word(ok):
    if isinstance(ok, tuple):
        return "MET" if all(ok) else ("MISSED" if not any(ok) else "UNSTABLE")
    return "MET" if ok else "MISSED"


def main():
    med, fastest, n, status, header = load(sys.argv[1])
    keys = sorted({k for k, _ in med}, key=sort_key)
    rounds = max(n.values()) if n else 0
    for h in header:
        print(f"<!-- {h} -->")
    print(
        "OSHMEM = Open MPI's OSHMEM 4.1.4 run as `oshrun --mca osc ^rdma --mca memheap NAME` with "
        "NAME = `buddy`, `ptmalloc` (its own components) or `rbuddy` (this project's "
        "`mca_memheap_rbuddy.so`, found through `OMPI_MCA_mca_base_component_path`). Same program, "
        "same runtime, same transport: only the component that places blocks differs. "
        f"Each cell: median over {rounds} interleaved rounds of the per-job median over the "
        "repetitions. Times in ns per operation (2 and 4 PEs: barriers included, slowest PE); "
        "`fill` = bytes placed / heap asked, `fill_mapped` = bytes placed / bytes of the mapping "
        "that holds the heap.\n"
    )
    cols = IMPLS + ["rbuddy / buddy", "rbuddy / ptmalloc"]
    print("| PEs | bench | param | " + " | ".join(cols) + " |")
    print("|---|---|---|" + "---|" * len(cols))
    verdicts = []
    for k in keys:
        pes, bench, param, unit = k
        ob, op, rb = (med.get((k, i)) for i in IMPLS)
        cells = [fmt(v, unit) for v in (ob, op, rb)] + [ratio(rb, ob), ratio(rb, op)]
        print(f"| {pes} | {bench} | {param} | " + " | ".join(cells) + " |")
        if rb is None or ob is None or op is None:
            continue
        fob, fop, frb = (fastest.get((k, i)) for i in IMPLS)
        if bench in ("pair", "mixed"):
            stock = min(ob, op)
            fstock = min(fob, fop)
            what = f"{pes} PE{'s' if pes > 1 else ''} {bench} {param}: rbuddy faster than buddy and ptmalloc"
            fig = (f"rbuddy {rb:.1f} ns vs buddy {ob:.1f} ns, ptmalloc {op:.1f} ns "
                   f"({rb / stock:.2f} x the faster); fastest rounds {frb:.1f} vs {fob:.1f}, {fop:.1f} ns "
                   f"({frb / fstock:.2f} x)")
            verdicts.append((what, (rb < stock, frb < fstock), fig))
        if bench == "fill":
            mapped = med.get(((pes, "fill_mapped", param, unit), "oshmem-rbuddy"))
            fig = f"rbuddy {rb:.2f} % of the heap asked"
            if mapped is not None:
                fig += f" ({mapped:.2f} % of the mapping)"
            fig += f"; buddy {ob:.2f} %, ptmalloc {op:.2f} %"
            verdicts.append((f"{pes} PE{'s' if pes > 1 else ''} fill >= {FILL_TARGET:.0f} %",
                             rb >= FILL_TARGET, fig))
    print("\nTargets of issue 11:\n")
    for name, ok, fig in verdicts:
        print(f"- **{word(ok)}** {name}: {fig}")
    print("\nJobs (exit status, one per round):\n")
    byjob = defaultdict(list)
    bad = 0
    for s in status:
        byjob[(int(s["pes"]), s["impl"])].append(s["exit"])
        if s["impl"] == "oshmem-rbuddy" and s["exit"] != "0":
            bad += 1
    print("| PEs | " + " | ".join(IMPLS) + " |")
    print("|---|" + "---|" * len(IMPLS))
    for pes in sorted({p for p, _ in byjob}):
        print(f"| {pes} | " + " | ".join(" ".join(byjob.get((pes, i), ["-"])) for i in IMPLS) + " |")
    total = sum(len(v) for (p, i), v in byjob.items() if i == "oshmem-rbuddy")
    print(f"\n- **{word(bad == 0 and total > 0)}** every rbuddy job exits 0 ({total} jobs, {bad} non-zero)")


if __name__ == "__main__":
    main()
