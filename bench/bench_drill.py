#!/usr/bin/env python3
"""The cost of drill-down: `kfollow variance` plain and with --by konto on one ledger, interleaved.

    .venv/bin/python bench/bench_drill.py [LEDGER] [--rounds 5]

LEDGER defaults to bench/.data/ab_10m_utf8.csv (bench_ab.py makes it). Each run is a child
process from /tmp with PYTHONPATH on this tree. Printed: median wall and CPU, peak RSS, and the
ratio --by konto / plain (issue 14: at most 1.25).
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from bench_ab import run  # one child process from /tmp, PYTHONPATH on a tree: wall, CPU, peak, output

BENCH = Path(__file__).resolve().parent
TREE = BENCH.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("ledger", nargs="?", type=Path, default=BENCH / ".data" / "ab_10m_utf8.csv")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    base = ["variance", str(args.ledger.resolve()), "--config", str(BENCH / "kfollow.toml"), "-q", "--format", "json"]
    cases = {"plain": base, "--by konto": [*base, "--by", "konto"]}
    results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in cases}
    for _ in range(args.rounds):
        for name, command in cases.items():
            results[name].append(run(TREE, command, "/tmp")[:3])
    medians = {}
    for name, runs in results.items():
        medians[name] = (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs))
        peak = max(r[2] for r in runs)
        print(f"{name:11} {medians[name][0]:6.2f} s wall {medians[name][1]:6.2f} s CPU {peak:6.0f} MiB")
    wall = medians["--by konto"][0] / medians["plain"][0]
    cpu = medians["--by konto"][1] / medians["plain"][1]
    print(f"--by konto / plain: {wall:.2f}x wall, {cpu:.2f}x CPU")


if __name__ == "__main__":
    main()
