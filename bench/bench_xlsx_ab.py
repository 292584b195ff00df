#!/usr/bin/env python3
"""`kfollow variance` on one xlsx ledger with two trees, interleaved (as bench_ab.py does for CSV).

    git worktree add /tmp/before COMMIT
    .venv/bin/python bench/bench_xlsx_ab.py /tmp/before . LEDGER.xlsx [--rounds 3]

Each run is a child process with PYTHONPATH on one tree, from /tmp (a checkout as the working
directory would put its own code first). Printed per tree: median wall and CPU, peak RSS.
A 1M-row workbook: bench/make_ledger.py writes CSV; bench_engines.py shows how the XLSX is made.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from bench_ab import run  # one child process from /tmp, PYTHONPATH on a tree: wall, CPU, peak, output

BENCH = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("ledger", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
    command = ["variance", str(args.ledger.resolve()), "--config", str(BENCH / "kfollow.toml"), "--format", "json"]
    results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in trees}
    for _ in range(args.rounds):
        for name, tree in trees.items():
            results[name].append(run(tree, [*command, "-q"], "/tmp")[:3])
    for name, runs in results.items():
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        print(f"{name:6}  {wall:5.2f} s wall  {cpu:5.2f} s CPU  {max(r[2] for r in runs):5.0f} MiB")


if __name__ == "__main__":
    main()
