#!/usr/bin/env python3
"""Two versions of kfollow side by side: the same commands on the same files, interleaved.

    git worktree add /tmp/before COMMIT
    .venv/bin/python bench/bench_ab.py /tmp/before . [--rounds 5] [--only utf8,parquet]

Each command runs as a child process with PYTHONPATH on one tree, from a folder outside both
(a checkout as the working directory would put its own code first). Before the timed runs,
each tree is checked to be the one imported, and both must print the same table. Printed per
command: the median wall and CPU time and the peak RSS of each tree.

Files (bench/.data/, made when missing): 10M rows in UTF-8 and cp1252 (make_ledger.py), the
UTF-8 file as Parquet, and the 1M-line SIE file of bench_sie.py (when present).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
DATA = BENCH / ".data"
ROWS = 10_000_000


def files() -> dict[str, Path]:
    utf8, sv, parquet = DATA / "ab_10m_utf8.csv", DATA / "ab_10m_sv.csv", DATA / "ab_10m.parquet"
    for path, dialect in ((utf8, "utf8"), (sv, "sv")):
        if not path.exists():
            make = [sys.executable, str(BENCH / "make_ledger.py"), str(ROWS), str(path), "--dialect", dialect]
            subprocess.run(make, check=True)
    if not parquet.exists():  # in a child: this process stays small (a child's peak RSS starts from it)
        convert = (
            "import pyarrow.csv as c, pyarrow.parquet as pq, sys\n"
            "text = {k: 'string' for k in ('konto', 'ansvar', 'verksamhet', 'aktivitet', 'projekt', 'belopp')}\n"
            "pq.write_table(c.read_csv(sys.argv[1], convert_options=c.ConvertOptions(column_types=text)), sys.argv[2])"
        )
        subprocess.run([sys.executable, "-c", convert, str(utf8), str(parquet)], check=True)
    return {"utf8": utf8, "cp1252": sv, "parquet": parquet}


def cases() -> list[tuple[str, list[str]]]:
    found = files()
    config = str(BENCH / "kfollow.toml")
    out = [
        (f"variance 10M {name}", ["variance", str(path), "--config", config, "--format", "json", "-q"])
        for name, path in found.items()
    ]
    out.append(("reconcile 10M utf8", ["reconcile", str(found["utf8"]), "--config", config, "--format", "json", "-q"]))
    sie = DATA / "sie4_1000000_s1.se"
    if sie.exists():
        sie_config = str(DATA / "sie_kfollow.toml")
        out.append(("variance 1M-line SIE", ["variance", str(sie), "--config", sie_config, "--format", "json", "-q"]))
    return out


def run(tree: Path, args: list[str], cwd: str) -> tuple[float, float, float, bytes]:
    env = dict(os.environ, PYTHONPATH=str(tree))
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "kfollow", *args], cwd=cwd, env=env, stdout=subprocess.PIPE)
    out = child.stdout.read() if child.stdout else b""
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{tree}: kfollow {' '.join(args[:2])} failed")
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", default="", help="comma-separated parts of the case names to run")
    args = parser.parse_args()
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
    chosen = [c for c in cases() if not args.only or any(part in c[0] for part in args.only.split(","))]
    with tempfile.TemporaryDirectory() as cwd:
        check_trees(trees, cwd)
        results: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
        for _ in range(args.rounds):
            for name, command in chosen:
                outputs = {}
                for label, tree in trees.items():
                    wall, cpu, peak, out = run(tree, command, cwd)
                    results.setdefault((name, label), []).append((wall, cpu, peak))
                    outputs[label] = out
                if outputs["before"] != outputs["after"]:
                    print(f"note: {name}: the two trees print different output")
    report(args.rounds, trees, [name for name, _ in chosen], results)
    return 0


def check_trees(trees: dict[str, Path], cwd: str) -> None:
    """Each tree is the kfollow its children import."""
    for label, tree in trees.items():
        probe = "import kfollow; print(kfollow.__file__)"
        env = dict(os.environ, PYTHONPATH=str(tree))
        found = subprocess.run([sys.executable, "-c", probe], cwd=cwd, env=env, capture_output=True, text=True)
        if not found.stdout.startswith(str(tree)):
            raise SystemExit(f"{label}: imports {found.stdout.strip()}, not {tree}")


def report(rounds: int, trees: dict[str, Path], names: list[str], results: dict) -> None:
    print(f"{rounds} rounds, medians; before = {trees['before']}, after = {trees['after']}")
    for name in names:
        cells = []
        for label in trees:
            runs = results[(name, label)]
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            cells.append(f"{label}: {wall:5.2f} s wall, {cpu:5.2f} s CPU, {max(r[2] for r in runs):4.0f} MiB")
        print(f"{name:24s} | " + " | ".join(cells))


if __name__ == "__main__":
    sys.exit(main())
