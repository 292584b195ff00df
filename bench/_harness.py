"""What the bench scripts share: how a child is run and measured, which kfollow is run, the
synthetic ledgers. Standard library only: on Linux a child's ru_maxrss starts from its
parent's high-water mark, so the parent never imports numpy or pandas."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DATA = BENCH / ".data"

# Children run as on a user's machine: with Python's bytecode cache. A sandbox that sets
# PYTHONDONTWRITEBYTECODE makes every run compile kfollow's and tabulate's sources again
# (~0.06 s, a tenth of the 10k-row run), which no installed kfollow does.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_child(cmd: list[str], stdout=None, capture: bool = False, cwd=None, env=None) -> dict:
    """Run cmd from the project folder (or `cwd`, with `env`): wall s (spawn to reap), cpu s
    (user + sys), sys s (kernel), minor page faults, peak MiB (ru_maxrss), exit code, stderr
    text, and stdout text when `capture` (else stdout goes to `stdout`, by default nowhere)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        target = out if capture else (stdout if stdout is not None else subprocess.DEVNULL)
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=target, stderr=err, cwd=cwd or ROOT,
                                env=env or CHILD_ENV)
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped
        out.seek(0)
        err.seek(0)
        return {
            "wall": wall,
            "cpu": ru.ru_utime + ru.ru_stime,
            "sys": ru.ru_stime,
            "minflt": ru.ru_minflt,
            "mib": ru.ru_maxrss / 1024,
            "rc": proc.returncode,
            "out": out.read().decode("utf-8", "replace"),
            "err": err.read().decode("utf-8", "replace"),
        }


def kfollow_command() -> list[str]:
    """The venv's kfollow script, else `python -m kfollow`."""
    for cand in (Path(sys.executable).parent / "kfollow", ROOT / ".venv" / "bin" / "kfollow"):
        if cand.exists():
            return [str(cand)]
    return [sys.executable, "-m", "kfollow"]


def parse_sizes(text: str) -> list[int]:
    """'1000000,10M,100k' -> row counts (an argparse type)."""
    out = []
    for part in text.split(","):
        part = part.strip().lower().replace("_", "")
        if part:
            mult = {"k": 1000, "m": 1_000_000}.get(part[-1], 1)
            out.append(int(float(part.rstrip("km")) * mult))
    if not out or any(n <= 0 for n in out):
        raise argparse.ArgumentTypeError("expected positive row counts, e.g. 1000000,10M")
    return out


def cached(path: Path, want: dict) -> dict | None:
    """The .meta.json of a generated file when it is complete (its bytes as recorded) and made
    with `want`; else None (make it again)."""
    meta_path = path.with_suffix(".meta.json")
    if not (path.exists() and meta_path.exists()):
        return None
    try:
        meta = json.loads(meta_path.read_text())
    except ValueError:
        return None
    if all(meta.get(k) == v for k, v in want.items()) and meta.get("bytes") == path.stat().st_size:
        print(f"reusing {path.relative_to(ROOT)} ({meta['bytes'] / 2**20:,.1f} MiB)", file=sys.stderr)
        return meta
    return None


def ledger_csv(rows: int, dialect: str, seed: int) -> tuple[Path, bool]:
    """bench/.data/ledger_<rows>_<dialect>_s<seed>.csv from make_ledger.py: (path, made now).
    A file with a matching .meta.json is complete and reused."""
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"ledger_{rows}_{dialect}_s{seed}.csv"
    meta = {"rows": rows, "dialect": dialect, "seed": seed}
    if cached(path, meta) is not None:
        return path, False
    t0 = time.perf_counter()
    make = [sys.executable, str(BENCH / "make_ledger.py"), str(rows), str(path)]
    subprocess.run([*make, "--dialect", dialect, "--seed", str(seed)], check=True, cwd=ROOT)
    meta.update(bytes=path.stat().st_size, seconds=round(time.perf_counter() - t0, 2))
    path.with_suffix(".meta.json").write_text(json.dumps(meta) + "\n")
    size, seconds = meta["bytes"] / 2**20, meta["seconds"]
    print(f"generated {path.relative_to(ROOT)}: {rows:,} rows, {size:,.1f} MiB in {seconds:.1f} s", file=sys.stderr)
    return path, True
