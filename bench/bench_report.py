#!/usr/bin/env python3
"""The cost of the chapter: `kfollow report` against one `kfollow variance` on one ledger, interleaved.

    .venv/bin/python bench/bench_report.py [LEDGER] [--rounds 3] [--docx]

LEDGER defaults to bench/.data/ab_10m_utf8.csv (bench_ab.py makes it). Each run is a child
process from /tmp with PYTHONPATH on this tree. The report's config (written to a temporary
folder) names two Drift tables of that ledger, as a nämnd's chapter has them: Drift without
verksamhet 19* (with the period budget) and 'Exploatering', verksamhet 19* only; each gets its
drill-down by konto for the explain paragraphs and reconcile's checks for the sheet Kontroll.
Compared with variance plain and with the first table's own options. Printed: median wall and
CPU, peak RSS, and the ratio report / variance (issue 16: at most 1.5).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from bench_ab import run  # one child process from /tmp, PYTHONPATH on a tree: wall, CPU, peak, output

BENCH = Path(__file__).resolve().parent
TREE = BENCH.parent

CONFIG = """[accounts]
"91" = "Kommunbidrag"

[report]
title = "Bench, delårsbokslut augusti 2024"

[[report.table]]
name = "Drift"
exclude = ["verksamhet=19"]
period_budget = true

[[report.table]]
name = "Exploatering"
where = ["verksamhet=19"]
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("ledger", nargs="?", type=Path, default=BENCH / ".data" / "ab_10m_utf8.csv")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--docx", action="store_true", help="also time the report as a .docx")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="kfollow-bench-report-"))
    config = folder / "kfollow.toml"
    config.write_text(CONFIG, "utf-8")
    ledger = str(args.ledger.resolve())
    plain = ["variance", ledger, "--config", str(BENCH / "kfollow.toml"), "-q", "--format", "json"]
    cases = {
        "variance": plain,
        "variance --exclude --period-budget": [*plain, "--exclude", "verksamhet=19", "--period-budget"],
        "report xlsx": ["report", ledger, "--config", str(config), "-q", "-o", str(folder / "chapter.xlsx")],
    }
    if args.docx:
        cases["report docx"] = ["report", ledger, "--config", str(config), "-q", "-o", str(folder / "chapter.docx")]
    results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in cases}
    for _ in range(args.rounds):
        for name, command in cases.items():
            results[name].append(run(TREE, command, "/tmp")[:3])
    medians = {}
    for name, runs in results.items():
        medians[name] = (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs))
        peak = max(r[2] for r in runs)
        print(f"{name:36} {medians[name][0]:6.2f} s wall {medians[name][1]:6.2f} s CPU {peak:6.0f} MiB")
    for name in [n for n in cases if n.startswith("report")]:
        for base in ("variance", "variance --exclude --period-budget"):
            wall = medians[name][0] / medians[base][0]
            cpu = medians[name][1] / medians[base][1]
            print(f"{name} / {base}: {wall:.2f}x wall, {cpu:.2f}x CPU")


if __name__ == "__main__":
    main()
