"""What to read: the files (Source) and how (ReadOptions)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .hashing import RowHashing


@dataclass(frozen=True)
class Source:
    """A ledger file and, for --budget/--forecast/--outcome files, the version it holds."""

    path: Path
    version: str | None = None


# --limit NAME=SIZE: sizes past which a file is refused as damaged or hostile rather than read
# (a zip bomb, a cell at XFD1048576, an unbalanced quote that swallows the file). The defaults
# take any real export: Excel itself stops at 1 048 576 rows and 32 767 characters a cell.
LIMITS = {
    # name: (Limits field, what it bounds, unit: "bytes" or "count")
    "xlsx-size": ("xlsx_size", "the bytes an xlsx sheet (with its shared strings) inflates to", "bytes"),
    "sheet-cells": ("sheet_cells", "the rows × columns of an xlsx sheet's used range", "count"),
    "cell": ("cell", "the bytes of one cell: a CSV field or an xlsx cell", "bytes"),
}


@dataclass(frozen=True)
class Limits:
    xlsx_size: int = 1 << 30  # a 1M-row sheet of 20 columns inflates to about 700 MiB
    sheet_cells: int = 40_000_000  # 1 048 576 rows × 38 columns
    cell: int = 1 << 20  # Excel's 32 767 characters are at most 128 KiB of UTF-8

    def hint(self, name: str, needed: int | None = None) -> str:
        """'the limit is 1 GiB: raise it with --limit xlsx-size=2G', for an error message; with
        `needed` (the size found), a value that takes it."""
        attribute, _, unit = LIMITS[name]
        value = getattr(self, attribute)
        raised = 2 * value
        while needed is not None and raised < needed:
            raised *= 2
        return f"the limit is {show_size(value, unit)}: raise it with --limit {name}={show_size(raised, unit, True)}"


_BINARY = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_DECIMAL = {"K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}


def parse_size(text: str, unit: str) -> int | None:
    """'512M', '2G', '40000000' -> the number (bytes: K/M/G binary; counts: K/M/G decimal); None
    if it is none."""
    match = re.fullmatch(r"\s*(\d+(?:[.,]\d+)?)\s*([KMGT]?)(?:i?B)?\s*", text, re.IGNORECASE)
    if not match:
        return None
    factor = (_BINARY if unit == "bytes" else _DECIMAL).get(match[2].upper(), 1)
    value = int(float(match[1].replace(",", ".")) * factor)
    return value if value > 0 else None


def show_size(value: int, unit: str, short: bool = False) -> str:
    """1073741824 -> '1 GiB' (short, as --limit takes it: '1G'); counts as plain numbers."""
    if unit != "bytes":
        return str(value) if short else f"{value:,}".replace(",", " ")
    for suffix in "TGMK":
        whole, rest = divmod(value, _BINARY[suffix])
        if whole and not rest:
            return f"{whole}{suffix}" if short else f"{whole} {suffix}iB"
    return str(value) if short else f"{value} bytes"


@dataclass(frozen=True)
class ReadOptions:
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    sign: str = "auto"  # auto | ledger | report
    file_signs: dict[str, str] = field(default_factory=dict)  # file name -> ledger | report
    # Optional columns to read (dimensions, text); None: all of them.
    columns: frozenset[str] | None = None
    # Version names beyond the known ones that the command will use (its --forecast-version);
    # any other unknown name is an error, so that a typo ('utfal') cannot drop rows silently.
    extra_versions: tuple[str, ...] = ()
    # The year of the rows of a file that names none (no år column, periods without a year,
    # month columns without one): the command's --year.
    year: int | None = None
    # SIE dimension number -> ledger column (--dim N=COLUMN), over the defaults of sie.py.
    dims: dict[int, str] = field(default_factory=dict)
    # Sum rows equal in every column read (CSV, Parquet) while reading: a `rows` column counts
    # them. For commands that print sums only: memory grows with the distinct combinations.
    collapse: bool = False
    # With collapse: columns read only for --where/--exclude, and whether a code passes them
    # (filter_verdicts); such a column keeps a code per verdict, not every code.
    filter_only: dict[str, Callable[[str], bool]] = field(default_factory=dict)
    # With collapse: hash every row as read (read.hashing.RowHashing), for reconcile's duplicate
    # check; Ledger.row_hashes then holds those of the rows that may have a twin (None where a file was not hashed).
    hashing: RowHashing | None = None
    # --limit: sizes past which a file is refused (Limits).
    limits: Limits = field(default_factory=Limits)
