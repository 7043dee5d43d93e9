#!/usr/bin/env python3
"""Check that each workspace package's declared `rust-version` is not below what it needs.

What the declared value must cover (DECISIONS.md, "Minimum Rust version"): building the package
and every target of its own (library, binaries, examples, tests, doc tests), with its normal and
build dependencies. Three sources give lower bounds; no single one sees everything:

1. clippy's `incompatible_msrv` lint (run by the clippy step of .ci/run with `-D warnings`)
   flags std/core APIs newer than the declared value, outside test code;
2. the dependencies: every normal or build dependency, direct or transitive, declares its own
   `rust-version` (or implies one by its edition), checked here from `cargo metadata`;
3. language syntax and a few std APIs the lint cannot see (trait impls, test code), found here
   by pattern in the package's own sources: the table below.

It prints each package's bound and where it comes from, and fails when a bound exceeds the
declared value. A declared value above the bound found is reported, not an error: the patterns
cannot see every newer API in test code.
"""

import json
import os
import re
import subprocess
import sys

# (pattern, version, what): syntax and APIs with the Rust release that stabilised them.
FEATURES = [
    (r"&raw\s+(const|mut)\b", (1, 82), "raw reference syntax `&raw const/mut`"),
    (r"\bunsafe\s+extern\s+\"C\"\s*\{", (1, 82), "`unsafe extern` blocks"),
    (r"#\[unsafe\(", (1, 82), "unsafe attributes `#[unsafe(...)]`"),
    (r"\+\s*use<", (1, 82), "precise capturing `use<..>`"),
    (r"\.is_none_or\(", (1, 82), "`Option::is_none_or`"),
    (r"\.is_sorted(_by|_by_key)?\(", (1, 82), "`is_sorted`"),
    (r"\bcore::error::Error\b", (1, 81), "`core::error::Error`"),
    (r"#\[expect\(", (1, 81), "`#[expect]` lint attribute"),
    (r"\bLazy(Lock|Cell)\b", (1, 80), "`LazyLock`/`LazyCell`"),
    (r"\bsplit_at(_mut)?_checked\(", (1, 80), "`split_at_checked`"),
    (r"#\[diagnostic::", (1, 78), "`#[diagnostic]` attributes"),
    (r"(?:^|[\s(,=\[{])c\"", (1, 77), "C string literals `c\"..\"`"),
    (r"\boffset_of!\(", (1, 77), "`offset_of!`"),
    (r"\basync\s+(move\s+)?\|", (1, 85), "async closures"),
    (r"\bget_disjoint_mut\(", (1, 86), "`get_disjoint_mut`"),
]
# Inline `const { .. }` blocks (1.79), except a thread_local's `= const { .. }` initialiser (1.59).
INLINE_CONST = re.compile(r"\bconst\s*\{")
THREAD_LOCAL_CONST = re.compile(r"static\s+\w+\s*:[^=]*=\s*const\s*\{")

EDITION_MIN = {"2015": (1, 0), "2018": (1, 31), "2021": (1, 56), "2024": (1, 85)}


def ver(s):
    if not s:
        return None
    parts = [int(p) for p in s.split(".")[:2]]
    return (parts[0], parts[1] if len(parts) > 1 else 0)


def show(v):
    return f"{v[0]}.{v[1]}"


def scan_sources(pkg_dir):
    """(version, where, what) for every feature found in the package's own sources."""
    found = []
    for dirpath, dirnames, filenames in os.walk(pkg_dir):
        dirnames[:] = [d for d in dirnames if d not in ("target", ".git")]
        for name in filenames:
            if not name.endswith(".rs"):
                continue
            path = os.path.join(dirpath, name)
            with open(path, encoding="utf-8") as f:
                for lineno, line in enumerate(f, 1):
                    where = f"{os.path.relpath(path)}:{lineno}"
                    for pat, v, what in FEATURES:
                        if re.search(pat, line):
                            found.append((v, where, what))
                    if INLINE_CONST.search(line) and not THREAD_LOCAL_CONST.search(line):
                        found.append(((1, 79), where, "inline `const { .. }` blocks"))
    return found


def manifest_needs(manifest_path):
    found = []
    with open(manifest_path, encoding="utf-8") as f:
        text = f.read()
    if re.search(r"^\[lints\]", text, re.M):
        found.append(((1, 74), manifest_path, "the `[lints]` table"))
    if re.search(r"\.workspace\s*=\s*true", text):
        found.append(((1, 64), manifest_path, "workspace inheritance"))
    return found


def main():
    meta = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--locked"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    pkgs = {p["id"]: p for p in meta["packages"]}
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    failed = False
    for member in sorted(meta["workspace_members"], key=lambda i: pkgs[i]["name"]):
        p = pkgs[member]
        declared = ver(p.get("rust_version"))
        if declared is None:
            print(f"{p['name']}: no rust-version declared")
            failed = True
            continue
        needs = [(EDITION_MIN[p["edition"]], p["manifest_path"], f"edition {p['edition']}")]
        needs += manifest_needs(p["manifest_path"])
        needs += scan_sources(os.path.dirname(p["manifest_path"]))
        # Normal and build dependencies, transitively (every platform, to be safe), except
        # those only enabled by `--cfg loom` (the loom model tests, not a build of the crate).
        seen, stack, dev_notes = set(), [member], []
        while stack:
            nid = stack.pop()
            for d in nodes[nid]["deps"]:
                kinds = {k["kind"] for k in d["dep_kinds"]}
                if all(k.get("target") == "cfg(loom)" for k in d["dep_kinds"]):
                    continue
                if nid == member and kinds == {"dev"}:
                    q = pkgs[d["pkg"]]
                    if ver(q.get("rust_version")) and ver(q["rust_version"]) > declared:
                        dev_notes.append(f"{q['name']} {q['version']} ({q['rust_version']})")
                    continue
                if kinds == {"dev"}:
                    continue
                if d["pkg"] in seen:
                    continue
                seen.add(d["pkg"])
                q = pkgs[d["pkg"]]
                label = f"dependency {q['name']} {q['version']}"
                if ver(q.get("rust_version")):
                    needs.append((ver(q["rust_version"]), label, "its rust-version"))
                needs.append((EDITION_MIN[q["edition"]], label, f"its edition {q['edition']}"))
                stack.append(d["pkg"])
        bound = max(v for v, _, _ in needs)
        why = sorted({(w, what) for v, w, what in needs if v == bound})
        status = "ok" if bound <= declared else "TOO LOW"
        print(f"{p['name']}: declared {show(declared)}, needs at least {show(bound)} [{status}]")
        for w, what in why[:4]:
            print(f"    {show(bound)}: {what} ({w})")
        if len(why) > 4:
            print(f"    ... and {len(why) - 4} more")
        if bound < declared:
            print(f"    note: declared above what this check finds ({show(bound)})")
        if dev_notes:
            print(f"    dev-dependencies newer than {show(declared)} (not covered): {', '.join(dev_notes)}")
        if bound > declared:
            failed = True
    if failed:
        print("rust-version check FAILED: raise the declared value (and say why in DECISIONS.md)")
        sys.exit(1)


if __name__ == "__main__":
    main()
