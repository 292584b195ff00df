#!/usr/bin/env python3
"""A month-wide export against its long twin (issue 12): `kfollow variance` on

* wide: År;Version;Konto;Ansvar;Verksamhet;Jan;…;Dec, N rows (12·N amounts)
* long: År;Period;Version;Konto;Ansvar;Verksamhet;Belopp, the same 12·N amounts as rows

    .venv/bin/python bench/bench_shapes.py [--rows 1000000] [--repeat 3] [--seed 1]

Both files are written into bench/.data/ from the same random amounts (reused while present),
checked to give the same Drift table to the öre, then timed as child processes, interleaved;
the median wall and CPU time and the peak RSS are printed, and the ratio wide/long. Target:
the wide file within 1.5× the time of its long twin.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
DATA = BENCH / ".data"
CONFIG = BENCH / "kfollow.toml"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "Maj", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dec")
ACCOUNTS = np.array(["3111", "3611", "5011", "5611", "6011", "6311", "7431", "7511", "8411", "9111"])
TARGET = 1.5


def amounts_text(ore: np.ndarray) -> np.ndarray:
    """Öre -> '1234.56' / '-1234.56' (the comma-separated dialect), vectorised."""
    sign = np.where(ore < 0, "-", "")
    whole, cents = np.divmod(np.abs(ore), 100)
    return np.char.add(np.char.add(np.char.add(sign, whole.astype(str)), "."), np.char.zfill(cents.astype(str), 2))


def write(rows: int, seed: int) -> tuple[Path, Path]:
    wide, long = DATA / f"shapes_wide_{rows}_s{seed}.csv", DATA / f"shapes_long_{rows}_s{seed}.csv"
    if wide.exists() and long.exists():
        return wide, long
    DATA.mkdir(exist_ok=True)
    rng = np.random.default_rng(seed)
    account = ACCOUNTS[rng.integers(0, len(ACCOUNTS), rows)]
    ansvar = rng.integers(1000, 1100, rows).astype(str)
    verksamhet = rng.integers(10000, 10400, rows).astype(str)
    version = np.where(rng.random(rows) < 0.5, "budget", "utfall")
    sign = np.where(np.char.startswith(account, "3") | np.char.startswith(account, "9"), -1, 1)
    ore = rng.integers(1, 10_000_000, (rows, 12)) * sign[:, None]
    keys = np.char.add(np.char.add(np.char.add(np.char.add(version, ","), account), ","), ansvar)
    keys = np.char.add(np.char.add(keys, ","), verksamhet)
    with wide.open("w") as out:
        out.write("År,Version,Konto,Ansvar,Verksamhet," + ",".join(MONTHS) + "\n")
        for start in range(0, rows, 200_000):
            part = slice(start, start + 200_000)
            cells = [amounts_text(ore[part, m]) for m in range(12)]
            lines = np.char.add("2024,", keys[part])
            for column in cells:
                lines = np.char.add(np.char.add(lines, ","), column)
            out.write("\n".join(lines.tolist()) + "\n")
    with long.open("w") as out:
        out.write("År,Period,Version,Konto,Ansvar,Verksamhet,Belopp\n")
        for start in range(0, rows, 200_000):
            part = slice(start, start + 200_000)
            for month in range(12):
                lines = np.char.add(np.char.add(f"2024,{month + 1},", keys[part]), ",")
                lines = np.char.add(lines, amounts_text(ore[part, month]))
                out.write("\n".join(lines.tolist()) + "\n")
    return wide, long


def run(path: Path) -> tuple[float, float, float, bytes]:
    command = [sys.executable, "-m", "kfollow", "variance", str(path), "--config", str(CONFIG), "--format", "json"]
    command += ["--through", "12", "-q", "--unit", "kr"]
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=DATA, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = child.stdout.read() if child.stdout else b""
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"kfollow failed on {path.name}")
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--_generate", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._generate:
        write(args.rows, args.seed)
        return 0
    # Written by a child: on Linux a child's peak RSS (ru_maxrss) starts from its parent's, so
    # the parent that measures must stay small.
    generate = [sys.executable, __file__, "--_generate", "--rows", str(args.rows), "--seed", str(args.seed)]
    subprocess.run(generate, check=True)
    wide, long = DATA / f"shapes_wide_{args.rows}_s{args.seed}.csv", DATA / f"shapes_long_{args.rows}_s{args.seed}.csv"
    runs: dict[str, list[tuple[float, float, float]]] = {"wide": [], "long": []}
    tables = {}
    for _ in range(args.repeat):
        for name, path in (("wide", wide), ("long", long)):
            wall, cpu, peak, out = run(path)
            runs[name].append((wall, cpu, peak))
            tables[name] = json.loads(out)["rows"]
    same = tables["wide"] == tables["long"]
    print(f"{args.rows:,} wide rows ({12 * args.rows:,} amounts), {wide.stat().st_size / 2**20:.0f} MiB; "
          f"long twin {long.stat().st_size / 2**20:.0f} MiB; the same Drift table: {'yes' if same else 'NO'}")
    median = {name: statistics.median(r[0] for r in values) for name, values in runs.items()}
    for name, values in runs.items():
        print(f"  {name}: wall {median[name]:.2f} s (median of {len(values)}), "
              f"cpu {statistics.median(r[1] for r in values):.2f} s, peak {max(r[2] for r in values):.0f} MiB")
    ratio = median["wide"] / median["long"]
    ok = same and ratio <= TARGET
    print(f"wide/long: {ratio:.2f}x (target ≤ {TARGET}x): {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
