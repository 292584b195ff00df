#!/usr/bin/env python3
"""Issue 17 item 3: `kfollow reconcile` against `kfollow variance` plus reconcile's second read.

    .venv/bin/python bench/bench_reconcile.py [--rows 10M] [--rounds 5] [--tree before=/tmp/before]

reconcile reads a ledger once collapsed, putting each row into a twin filter of fixed size, and
then reads again, row by row, only to pick out the rows the filter found may have a twin. The
target: reconcile's time within 1.3x of variance's plus that second read's, and its memory
flat with the file (50M rows under 600 MiB).

Each round runs, as children from a temporary folder with PYTHONPATH on each tree, `variance`
and `reconcile` on the same ledger (bench/.data/ledger_<rows>_utf8_s1.csv, made when missing);
reconcile's child times its two reads (api.read_ledger and api.find_duplicates, wrapped) and
prints them. Printed: medians of wall, CPU, kernel time, peak RSS, the two reads' wall times,
and the ratio reconcile / (variance + second read), wall and CPU.
Internal: --child TREE ARGS… (reconcile with its reads timed).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

from _harness import CHILD_ENV, ROOT, ledger_csv, parse_sizes, run_child

CONFIG = ROOT / "bench" / "kfollow.toml"


def child(args: list[str]) -> None:
    """reconcile with read_ledger and find_duplicates timed: their wall seconds on stderr as JSON."""
    import time

    import kfollow.api as api
    from kfollow.cli import cli

    spent: dict[str, float] = {}

    def timed(name: str, function):
        def run(*a, **k):
            start, cpu = time.perf_counter(), time.process_time()
            try:
                return function(*a, **k)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - start
                spent[f"{name} CPU"] = spent.get(f"{name} CPU", 0.0) + time.process_time() - cpu

        return run

    api.read_ledger = timed("first read", api.read_ledger)
    api.find_duplicates = timed("second read", api.find_duplicates)
    try:
        cli(args, prog_name="kfollow", standalone_mode=False)
    finally:
        print("PHASES " + json.dumps(spent), file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        child(argv[1:])
        return 0
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=parse_sizes, default=[10_000_000])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--tree", action="append", default=[], metavar="LABEL=PATH")
    a = p.parse_args(argv)
    trees = {"kfollow": ROOT, **{t.split("=", 1)[0]: Path(t.split("=", 1)[1]).resolve() for t in a.tree}}
    with tempfile.TemporaryDirectory() as cwd:
        for rows in a.rows:
            path = ledger_csv(rows, "utf8", 1)[0]
            common = [str(path), "--config", str(CONFIG), "--sign", "ledger", "--format", "json", "-q"]
            runs: dict[tuple[str, str], list[dict]] = {}
            for i in range(a.rounds):
                for label, tree in trees.items():
                    env = dict(CHILD_ENV, PYTHONPATH=str(tree))
                    commands = {
                        "variance": [sys.executable, "-m", "kfollow", "variance", *common, "-o", f"{cwd}/v.json"],
                        "reconcile": [sys.executable, __file__, "--child", "reconcile", *common, "-o", f"{cwd}/r.json"],
                    }
                    for name, cmd in commands.items():
                        r = run_child(cmd, cwd=cwd, env=env)
                        if r["rc"] not in (0, 1):
                            raise SystemExit(f"{label} {name} failed: {r['err'][-400:]}")
                        phases = [line for line in r["err"].splitlines() if line.startswith("PHASES ")]
                        r["phases"] = json.loads(phases[-1][7:]) if phases else {}
                        runs.setdefault((label, name), []).append(r)
                        print(f"  {rows:,} {label} {name} round {i + 1}: {r['wall']:.2f} s, {r['cpu']:.2f} s CPU, "
                              f"{r['mib']:.0f} MiB {r['phases']}", file=sys.stderr, flush=True)
            report(rows, trees, runs)
    return 0


def report(rows: int, trees: dict[str, Path], runs: dict) -> None:
    med = statistics.median
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    print(f"\n{rows:,} rows, {len(next(iter(runs.values())))} rounds, medians (peak: highest); load now {load}")
    print("| tree | command | wall s | CPU s | sys s | peak MiB | first read s (CPU) | second read s (CPU) |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")

    def phase(rs: list[dict], key: str) -> float:
        return med(r["phases"].get(key, 0) for r in rs)

    for (label, name), rs in runs.items():
        reads = " | "
        if name == "reconcile":
            reads = (f"{phase(rs, 'first read'):.2f} ({phase(rs, 'first read CPU'):.2f}) | "
                     f"{phase(rs, 'second read'):.2f} ({phase(rs, 'second read CPU'):.2f})")
        print(f"| {label} | {name} | {med(r['wall'] for r in rs):.2f} | {med(r['cpu'] for r in rs):.2f} | "
              f"{med(r['sys'] for r in rs):.2f} | {max(r['mib'] for r in rs):.0f} | {reads} |")
    for label in trees:
        rec, var = runs[(label, "reconcile")], runs[(label, "variance")]
        wall = med(r["wall"] for r in rec) / (med(r["wall"] for r in var) + phase(rec, "second read"))
        cpu = med(r["cpu"] for r in rec) / (med(r["cpu"] for r in var) + phase(rec, "second read CPU"))
        print(f"{label}: reconcile / (variance + second read) = {wall:.2f} wall, {cpu:.2f} CPU (target ≤ 1.3)")


if __name__ == "__main__":
    sys.exit(main())
