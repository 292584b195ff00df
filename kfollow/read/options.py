"""What to read: the files (Source) and how (ReadOptions)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .hashing import RowHashing


@dataclass(frozen=True)
class Source:
    """A ledger file and, for --budget/--forecast/--outcome files, the version it holds."""

    path: Path
    version: str | None = None


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
    # check; Ledger.row_hashes then holds them (None where a file was not hashed).
    hashing: RowHashing | None = None
