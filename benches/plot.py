#!/usr/bin/env python3
"""Plots and tables from the results files that benches/run-all.sh writes under benches/results/.

usage: benches/plot.py [RESULTS_DIR] [PLOTS_DIR]     (defaults benches/results, benches/plots)

Reads (each optional; a missing file skips what needs it):
  criterion.txt       output of the criterion `core` bench (mixed, pair, pair_warm, scale, contended groups)
  fill.txt            output of `cargo run --release -p memheap-benches --bin fill`
  scale.txt           SCALE lines of the `scale` binary (mixed ops vs heap size)
  pe-scale.txt        PESCALE lines of the `pe_barrier_bench` example at 1..16 PEs
  oshmem-compare.txt  RESULT/STATUS lines of benches/compare-oshmem.sh
Writes PNGs to PLOTS_DIR (scale.png, pe-scale.png, fill.png, c-vs-oshmem.png) and
RESULTS_DIR/tables.md (markdown tables of the criterion, scale and PE figures).

Needs matplotlib for the PNGs (tables.md needs nothing). When the running Python lacks it,
plot.py installs it with pip into a virtual environment, target/plot-venv (PLOT_VENV overrides),
and runs itself again there, so it works with a PEP 668 ("externally managed") system Python
too; it never installs into the system Python. When no virtual environment can be made (no
venv module, no network), it says so, writes tables.md and skips the plots.
"""
import os
import re
import statistics
import subprocess
import sys
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
IN_VENV = "MEMHEAP_PLOT_IN_VENV"


def matplotlib_or_none():
    """matplotlib, installed in a virtual environment (and this script re-run there) if the
    running Python lacks it; None, with a message, when that cannot be done."""
    try:
        import matplotlib

        return matplotlib
    except ImportError:
        pass
    venv = os.environ.get("PLOT_VENV", os.path.join(os.path.dirname(HERE), "target", "plot-venv"))
    if os.environ.get(IN_VENV):
        print(f"plot.py: matplotlib is still missing in {venv}; plots skipped", file=sys.stderr)
        return None
    python = os.path.join(venv, "bin", "python3")
    try:
        if not os.path.exists(python):
            print(f"plot.py: matplotlib missing; making a virtual environment in {venv}")
            subprocess.check_call([sys.executable, "-m", "venv", venv])
        subprocess.check_call([python, "-m", "pip", "install", "--quiet", "matplotlib"])
    except (subprocess.CalledProcessError, OSError) as e:
        print(
            f"plot.py: matplotlib is missing and could not be installed in a virtual environment "
            f"at {venv} ({e}); plots skipped, tables still written. Install the venv module "
            "(Debian: apt-get install python3-venv) or matplotlib itself "
            "(apt-get install python3-matplotlib), or set PLOT_VENV",
            file=sys.stderr,
        )
        return None
    sys.stdout.flush()
    os.execve(python, [python, os.path.abspath(__file__)] + sys.argv[1:], dict(os.environ, **{IN_VENV: "1"}))


matplotlib = matplotlib_or_none()
if matplotlib is not None:
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: E402

RES = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "results")
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "plots")
os.makedirs(OUT, exist_ok=True)
if matplotlib is not None:
    plt.rcParams.update({"figure.dpi": 110, "font.size": 10, "axes.grid": True, "grid.alpha": 0.3})


def path(name):
    p = os.path.join(RES, name)
    return p if os.path.exists(p) else None


def kv(line):
    return dict(f.split("=", 1) for f in line.split()[1:] if "=" in f)


UNIT = {"ps": 1e-3, "ns": 1.0, "µs": 1e3, "us": 1e3, "ms": 1e6, "s": 1e9}


def criterion():
    """{group: {name: median ns}} from criterion's text output (the middle of `time: [lo mid hi]`)."""
    p = path("criterion.txt")
    out = defaultdict(dict)
    if not p:
        return out
    name = None
    for line in open(p):
        m = re.match(r"^(\S+/\S+)", line)
        if m and not line.startswith(("Benchmarking", "Found", "Warning")):
            name = m.group(1)
        t = re.search(r"time:\s+\[\S+ \S+ (\S+) (\S+) \S+ \S+\]", line)
        if t and name:
            group, bench = name.split("/", 1)
            out[group][bench] = float(t.group(1)) * UNIT[t.group(2)]
            name = None
    return out


def fill_rust():
    p = path("fill.txt")
    rows = []
    if not p:
        return rows
    for line in open(p):
        m = re.match(r"^\| (.+?) \| ([\d.]+)% \| ([\d.]+)% \| ([\d.]+)% \| (\d+) \|", line)
        if m:
            rows.append((m.group(1), float(m.group(2)), float(m.group(3)), float(m.group(4))))
    return rows


def scale():
    p = path("scale.txt")
    return [kv(l) for l in open(p) if l.startswith("SCALE ")] if p else []


def pe_scale():
    p = path("pe-scale.txt")
    return [kv(l) for l in open(p) if l.startswith("PESCALE ")] if p else []


def compare():
    """{(pes, bench, param, impl): median over rounds}."""
    p = path("oshmem-compare.txt")
    vals = defaultdict(list)
    if not p:
        return {}
    for l in open(p):
        if l.startswith("RESULT "):
            f = kv(l)
            vals[(int(f["pes"]), f["bench"], f["param"], f["impl"])].append(float(f["value"]))
    return {k: statistics.median(v) for k, v in vals.items()}


def save(fig, name):
    fig.tight_layout()
    fig.savefig(os.path.join(OUT, name))
    plt.close(fig)
    print(f"wrote {os.path.join(OUT, name)}")


def plot_scale(rows):
    if not rows:
        return
    x = [int(r["heap"]) / 2**20 for r in rows]
    y = [float(r["ns_per_op"]) for r in rows]
    lo = [y[i] - float(r["min"]) for i, r in enumerate(rows)]
    hi = [float(r["max"]) - y[i] for i, r in enumerate(rows)]
    fig, ax = plt.subplots(figsize=(6.4, 4))
    ax.errorbar(x, y, yerr=[lo, hi], marker="o", capsize=3, label="memheap-core BuddyHeap (exact fit)")
    ax.set_xscale("log", base=2)
    ax.set_xticks(x)
    ax.set_xticklabels([r["label"] for r in rows])
    ax.set_ylim(0, max(y) * 1.3)
    ax.set_xlabel("heap size")
    ax.set_ylabel("ns per mixed op (median; bars: min..max)")
    ax.set_title("Mixed ops vs heap size (1024 slots, 8 B..64 KiB)")
    for xi, yi in zip(x, y):
        ax.annotate(f"{yi:.1f}", (xi, yi), textcoords="offset points", xytext=(0, 8), ha="center")
    ax.legend(loc="lower right")
    save(fig, "scale.png")


def plot_pe(rows, cmp):
    if not rows:
        return
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for bench, label, mark in (("barrier", "memheap barrier_all round", "o"),
                               ("malloc_free", "memheap Runtime::malloc(64)+free pair", "s")):
        pts = sorted((int(r["pes"]), float(r["value"])) for r in rows if r["bench"] == bench)
        if pts:
            ax.plot([p for p, _ in pts], [v for _, v in pts], marker=mark, label=label)
            for p, v in pts:
                ax.annotate(f"{v:,.0f}", (p, v), textcoords="offset points", xytext=(4, -12 if bench == "barrier" else 6), fontsize=8)
    for impl, style in (("memheap-ptmalloc", "--"), ("oshmem-ptmalloc", ":"), ("oshmem-buddy", "-.")):
        pts = sorted((p, v) for (p, b, prm, i), v in cmp.items() if b == "pair" and prm == "16" and i == impl)
        if pts:
            ax.plot([p for p, _ in pts], [v for _, v in pts], style, marker="x",
                    label=f"C shmem_malloc(16)+shmem_free, {impl}")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks([1, 2, 4, 8, 16])
    ax.set_xticklabels(["1", "2", "4", "8", "16"])
    ax.set_xlabel("PEs (2 cores: above 2 PEs the machine is oversubscribed)")
    ax.set_ylabel("ns per round / per pair (median)")
    ax.set_title("Barrier and collective allocation vs PEs")
    ax.legend(fontsize=8, loc="lower right")
    save(fig, "pe-scale.png")


def plot_fill(rust, cmp):
    bars = [(f"{name} (Rust, 64 MiB)", med, lo, hi) for name, med, lo, hi in rust]
    for impl in ("memheap-buddy", "memheap-ptmalloc", "oshmem-buddy", "oshmem-ptmalloc"):
        asked = cmp.get((1, "fill", "64B-256K", impl))
        mapped = cmp.get((1, "fill_mapped", "64B-256K", impl))
        if asked is not None:
            bars.append((f"{impl} (C, 256 MiB asked)", asked, None, None))
        if mapped is not None:
            bars.append((f"{impl} (C, of the mapping)", mapped, None, None))
    if not bars:
        return
    fig, ax = plt.subplots(figsize=(7.5, 0.38 * len(bars) + 1.4))
    ys = list(range(len(bars)))[::-1]
    colors = ["tab:blue" if "Rust" in b[0] else ("tab:green" if b[0].startswith("memheap") else "tab:red") for b in bars]
    ax.barh(ys, [b[1] for b in bars], color=colors)
    for y, (name, med, lo, hi) in zip(ys, bars):
        txt = f"{med:.2f} %" + (f"  ({lo:.1f}..{hi:.1f})" if lo is not None else "")
        ax.text(1, y, txt, va="center", fontsize=8, color="white", fontweight="bold")
    ax.set_yticks(ys)
    ax.set_yticklabels([b[0] for b in bars], fontsize=8)
    ax.axvline(95, color="k", ls="--", lw=0.8)
    ax.set_xlim(0, 105)
    ax.set_xlabel("bytes placed / heap (%); random 64 B..256 KiB until refused; dashed: 95 %", fontsize=9)
    ax.set_title("Fill efficiency per allocator (blue: Rust heaps, green: memheap C, red: OSHMEM)", fontsize=9)
    save(fig, "fill.png")


def plot_c(cmp):
    impls = ["oshmem-buddy", "oshmem-ptmalloc", "memheap-buddy", "memheap-ptmalloc"]
    colors = ["tab:red", "salmon", "tab:green", "lightgreen"]
    pes_list = sorted({k[0] for k in cmp})
    if not pes_list:
        return
    benches = [("pair", "16"), ("pair", "64K"), ("mixed", "256x8B-128K"), ("realloc", "16B-1M"), ("align", "4K")]
    fig, axes = plt.subplots(1, len(pes_list), figsize=(4.2 * len(pes_list), 4), squeeze=False)
    for ax, pes in zip(axes[0], pes_list):
        w = 0.2
        for j, impl in enumerate(impls):
            vals = [cmp.get((pes, b, p, impl), 0) for b, p in benches]
            ax.bar([i + (j - 1.5) * w for i in range(len(benches))], vals, w, label=impl, color=colors[j])
        ax.set_yscale("log")
        ax.set_xticks(range(len(benches)))
        ax.set_xticklabels([f"{b}\n{p}" for b, p in benches], fontsize=8)
        ax.set_title(f"{pes} PE{'s' if pes > 1 else ''}")
        ax.set_ylabel("ns per op (median, log)")
    axes[0][0].legend(fontsize=8)
    fig.suptitle("C API: memheap vs OSHMEM 4.1 (--mca osc ^rdma)", fontsize=10)
    save(fig, "c-vs-oshmem.png")


def tables(crit, sc, pe):
    lines = []
    if crit.get("mixed"):
        m = crit["mixed"]
        base = m.get("memheap")
        lines += ["### Mixed random ops, memheap-core vs the Rust heaps (criterion median, ns/op)", "",
                  "| allocator | ns/op | memheap / this |", "|---|---|---|"]
        for name, v in m.items():
            lines.append(f"| {name} | {v:.1f} | {base / v:.2f} |" if base else f"| {name} | {v:.1f} | - |")
        lines.append("")
    for group, title in (("pair", "Alloc + free pair, empty heap"), ("pair_warm", "Alloc + free pair, ~512 blocks live")):
        g = crit.get(group)
        if not g:
            continue
        by = defaultdict(dict)
        for k, v in g.items():
            alloc, size = k.split("/", 1) if "/" in k else (k, "")
            by[size][alloc] = v
        allocs = list(dict.fromkeys(a for s in by.values() for a in s))
        lines += [f"### {title} (criterion median, ns per pair)", "",
                  "| size | " + " | ".join(allocs) + " | memheap / talc |", "|---|" + "---|" * (len(allocs) + 1)]
        for size, row in by.items():
            r = f"{row['memheap'] / row['talc']:.2f}" if "memheap" in row and "talc" in row else "-"
            lines.append(f"| {size} | " + " | ".join(f"{row.get(a, float('nan')):.1f}" for a in allocs) + f" | {r} |")
        lines.append("")
    if crit.get("contended"):
        c = crit["contended"]
        base = c.get("memheap")
        lines += ["### Two threads on one allocator (criterion `contended`, ns per op of one thread)", "",
                  "| allocator | ns/op | memheap / this |", "|---|---|---|"]
        for name, v in c.items():
            lines.append(f"| {name} | {v:.1f} | {base / v:.2f} |" if base else f"| {name} | {v:.1f} | - |")
        lines.append("")
    if crit.get("scale"):
        lines += ["### Criterion `scale` group (ns/op)", "", "| region | ns/op |", "|---|---|"]
        lines += [f"| {k} | {v:.1f} |" for k, v in crit["scale"].items()] + [""]
    if sc:
        first = float(sc[0]["ns_per_op"])
        lines += ["### Mixed ops vs heap size (`scale` binary: median of 7 runs of 1 Mi ops)", "",
                  "| heap | ns/op | min | max | / 16 MiB | failed allocations |", "|---|---|---|---|---|---|"]
        for r in sc:
            lines.append(f"| {r['label']} | {float(r['ns_per_op']):.1f} | {float(r['min']):.1f} | {float(r['max']):.1f} | "
                         f"{float(r['ns_per_op']) / first:.2f} | {r['failures']} |")
        lines.append("")
    if pe:
        by = defaultdict(dict)
        for r in pe:
            by[int(r["pes"])][r["bench"]] = r
        comp = pe[0].get("component", "?")
        lines += [f"### Barrier and collective allocation vs PEs (`pe_barrier_bench`, default component `{comp}`, median of 7)", "",
                  "| PEs | barrier_all round (ns) | min..max | malloc(64)+free pair (ns) | min..max |", "|---|---|---|---|---|"]
        for n in sorted(by):
            b, a = by[n].get("barrier"), by[n].get("malloc_free")
            cell = lambda r: (f"{float(r['value']):,.0f} | {float(r['min']):,.0f}..{float(r['max']):,.0f}" if r else "- | -")
            lines.append(f"| {n} | {cell(b)} | {cell(a)} |")
        lines.append("")
    with open(os.path.join(RES, "tables.md"), "w") as f:
        f.write("\n".join(lines))
    print(f"wrote {os.path.join(RES, 'tables.md')}")


def main():
    crit, sc, pe, cmp = criterion(), scale(), pe_scale(), compare()
    if matplotlib is not None:
        plot_scale(sc)
        plot_pe(pe, cmp)
        plot_fill(fill_rust(), cmp)
        plot_c(cmp)
    tables(crit, sc, pe)


if __name__ == "__main__":
    main()
