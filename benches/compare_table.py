#!/usr/bin/env python3
"""Turn the RESULT lines of compare-oshmem.sh into one table of medians and ratios, the issue's
targets with verdicts, and the exit status of every job. usage: compare_table.py RAW STATUS"""
import statistics
import sys
from collections import defaultdict

IMPLS = ["oshmem-buddy", "oshmem-ptmalloc", "memheap-buddy", "memheap-ptmalloc"]


def load(path):
    vals = defaultdict(list)
    for line in open(path):
        if not line.startswith("RESULT "):
            continue
        f = dict(kv.split("=", 1) for kv in line.split()[1:])
        key = (int(f["pes"]), f["bench"], f["param"], f["unit"])
        vals[(key, f["impl"])].append(float(f["value"]))
    return {k: statistics.median(v) for k, v in vals.items()}


def main():
    med = load(sys.argv[1])
    keys = sorted({k for k, _ in med}, key=lambda k: (k[0], k[1], k[2]))
    head = f"{'PEs':>3} {'bench':<8} {'param':<12} " + " ".join(f"{i:>16}" for i in IMPLS)
    head += f" {'best mh/best osh':>17}"
    print(head)
    print("-" * len(head))
    verdicts = []
    for k in keys:
        pes, bench, param, unit = k
        row = [med.get((k, i)) for i in IMPLS]
        cells = " ".join(f"{v:>13.1f} {unit:<2}" if v is not None else f"{'-':>16}" for v in row)
        osh = [v for v in row[:2] if v is not None]
        mh = [v for v in row[2:] if v is not None]
        ratio = ""
        if osh and mh:
            if unit == "pct":
                ratio = f"{max(mh) / max(osh):.2f}"
            else:
                ratio = f"{min(mh) / min(osh):.2f}"
        print(f"{pes:>3} {bench:<8} {param:<12} {cells} {ratio:>17}")
        ob, op, mb, mp = row
        if bench == "pair" and pes == 1 and op and mb and mp:
            r = min(mb, mp) / op
            verdicts.append((f"1 PE pair {param}: memheap <= 0.33 x OSHMEM-ptmalloc", r <= 0.33, f"{r:.2f}x"))
        if bench == "mixed" and pes == 1 and ob and mb and mp:
            r = min(mb, mp) / ob
            verdicts.append(("1 PE mixed: memheap <= 0.25 x OSHMEM-buddy", r <= 0.25, f"{r:.2f}x"))
        if bench in ("pair", "mixed") and pes in (2, 4) and osh and mh:
            r = min(mh) / min(osh)
            verdicts.append((f"{pes} PEs {bench} {param}: <= 0.5 x OSHMEM's best", r <= 0.5, f"{r:.2f}x"))
        if bench == "fill":
            if ob is not None and mb is not None:
                verdicts.append((f"{pes} PEs fill: memheap-buddy >= OSHMEM-buddy", mb >= ob, f"{mb:.1f}% vs {ob:.1f}%"))
            if op is not None and mp is not None:
                verdicts.append((f"{pes} PEs fill: memheap-ptmalloc >= OSHMEM-ptmalloc", mp >= op, f"{mp:.1f}% vs {op:.1f}%"))
    print("\nTargets:")
    for name, ok, fig in verdicts:
        print(f"  {'MET   ' if ok else 'MISSED'} {name}: {fig}")
    print("\nJobs (exit status):")
    bad = 0
    for line in open(sys.argv[2]):
        print("  " + line.strip())
        if line.startswith("memheap-") and not line.strip().endswith("exit=0"):
            bad += 1
    print(f"  every memheap job exited 0: {'MET' if bad == 0 else 'MISSED'}")


if __name__ == "__main__":
    main()
