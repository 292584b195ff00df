"""What every reader shares: the column plan of a header, the table a file becomes, and the
helpers for cells and rows that CSV, XLSX and Parquet read alike."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from ..errors import MAX_REPORTED, shown, shown_code
from ..ledger import (
    BUDGET,
    COLUMN_NAMES,
    DIMENSIONS,
    FORECAST,
    HEADER_KEYS,
    OUTCOME,
    VERSION_ALIASES,
    WIDE_VERSION,
    canonical_version,
)
from ..money import amount_trouble
from .hashing import HASHED_CONTENT, HashedRows

HEADER_SEARCH_ROWS = 30  # title rows above the header are skipped, within this many rows

EMPTY_INTEGER = -(2**31)  # an empty cell in a column read as integers


@dataclass(frozen=True)
class ColumnPlan:
    """Which columns of a header to read: position -> canonical key."""

    text: dict[int, str]
    amounts: dict[int, str]
    header: tuple[str, ...] = ()  # the header row's cells as found
    # Text columns that usually hold integers (year, period): read as int32 where every cell
    # is one (EMPTY_INTEGER for an empty cell), much faster than text for ten million rows.
    integers: frozenset[int] = frozenset()
    # What makes the header unusable although it is one (two columns for one meaning …).
    problems: tuple[str, ...] = ()


# Columns read only to filter on (--where/--exclude): key -> does a code pass the filters
FilterOnly = dict[str, Callable[[str], bool]]


class Planner(Protocol):
    """Knows the column names: which row is a header, and what to read from it."""

    def __call__(self, cells: list[str]) -> ColumnPlan | None:
        """The plan for a header row, or None if the row is no header."""

    def score(self, cells: list[str]) -> int:
        """How many cells are known column names (to point at the nearest miss)."""


@dataclass
class Table:
    """One file as read: canonical columns, `line` (1-based line or sheet row) per row."""

    frame: pd.DataFrame
    path: Path
    columns: ColumnPlan
    header_line: int  # 1-based line (CSV) or row (XLSX) of the header
    problems: list[str] = field(default_factory=list)
    # RowHashing: the (non-blank) rows put into its twin filter, and the hashes of those that
    # may have a twin; None where rows were not hashed
    row_hashes: HashedRows | None = None
    # Each row a row of the file with every column read: not so where rows may have been
    # summed, or codes of a filter-only column stand for others, or columns were only hashed.
    as_read: bool = True


class NoHeader(Exception):
    """No header row was found; carries the row that came nearest (or the first) and its line."""

    def __init__(self, cells: list[str], line: int) -> None:
        self.cells = cells
        self.line = line


def nearest_row(rows: list[tuple[int, list[str]]], plan: Planner) -> NoHeader:
    """The row with the most known column names, else the first non-empty row."""
    filled = [(line, cells) for line, cells in rows if any(c.strip() for c in cells)]
    if not filled:
        return NoHeader([], 1)
    line, cells = max(filled, key=lambda row: (plan.score(row[1]), -row[0]))
    return NoHeader(cells, line)


def describe(path: Path) -> str:
    return path.name


def cell_text(value: object) -> str | None:
    """An Excel cell as text, as it would appear in a CSV: 3111.0 -> '3111'."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def blank_rows(frame: pd.DataFrame, columns: ColumnPlan) -> np.ndarray:
    """Rows with nothing in any planned column (blank lines, trailing separators)."""
    blank = np.ones(len(frame), dtype=bool)
    if HASHED_CONTENT in frame:
        blank &= ~frame[HASHED_CONTENT].to_numpy()
    for key in columns.text.values():
        if key not in frame:  # read only to be hashed (RowHashing.hash_only)
            continue
        values = frame[key]
        if values.dtype.kind == "i":  # år/period read as integers: EMPTY_INTEGER is an empty cell
            blank &= values.to_numpy() == EMPTY_INTEGER
        else:
            blank &= values.isna().to_numpy()
    for key in columns.amounts.values():
        blank &= frame[f"{key}__empty"].to_numpy()
    return blank


def amount_problem(path: Path, line: int, header: str, value: object) -> str:
    return f"{describe(path)}:{line}: column {shown(header)}: {shown(value)}: {amount_trouble(value)}"


def more_bad_amounts(path: Path, header: str, total: int) -> list[str]:
    """The line that stands for the bad cells past MAX_REPORTED."""
    if total <= MAX_REPORTED:
        return []
    return [f"… and {total - MAX_REPORTED} more bad amounts in {describe(path)}, column {shown(header)}"]


def bad_amounts(
    bad: np.ndarray, raw: pd.Series, line: np.ndarray, path: Path, columns: ColumnPlan, position: int
) -> list[str]:
    rows = np.flatnonzero(bad)
    header = columns.header[position].strip()
    values = raw.to_numpy()
    found = [amount_problem(path, line[i], header, values[i]) for i in rows[:MAX_REPORTED]]
    return found + more_bad_amounts(path, header, len(rows))


MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "maj": 5, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "okt": 10, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_VERSION_WORD = r"(utfall|outcome|actual|bokfört|bokfort|budget|prognos|forecast)"
_MONTH_WORD = r"(jan|feb|mar|apr|maj|may|jun|jul|aug|sep|okt|oct|nov|dec)[a-zé]*\.?"
# 'Utfall 2024', 'Budget 2024', 'Prognos helår 2024', 'Prognos helår': a version, its year
_VERSION_HEADER = re.compile(rf"^{_VERSION_WORD}(?:\s+hel\s?år)?(?:\s+(\d{{4}}))?$")
# 'Jan', 'januari', 'Utfall jan', 'jan-24', 'Budget mars 2024': a month (its version, its year)
_MONTH_HEADER = re.compile(rf"^(?:{_VERSION_WORD}\s+)?{_MONTH_WORD}(?:[-\s'’](\d{{2}}|\d{{4}}))?$")
# '202401', '2024-01', or a sheet's date cell '2024-01-01 00:00:00': a month of a year
_YEAR_MONTH_HEADER = re.compile(r"^(\d{4})-?(0[1-9]|1[0-2])(?:-01(?: 00:00:00)?)?$")


def amount_column(version: str = "", year: int | None = None, month: int | None = None) -> str:
    """The plan's key of a column of amounts for one version, year or month, whichever its
    header names: 'wide:utfall@2024#', 'wide:@#3'. What it leaves empty comes from the row."""
    return f"wide:{version}@{year or ''}#{month or ''}"


def amount_column_parts(key: str) -> tuple[str | None, int | None, int | None]:
    """(version, year, month) of an amount_column key; None where the row gives it."""
    version, _, rest = key.removeprefix("wide:").partition("@")
    year, _, month = rest.partition("#")
    return version or None, int(year) if year else None, int(month) if month else None


def _header_year(text: str | None) -> int | None:
    if not text:
        return None
    return int(text) + 2000 if len(text) == 2 else int(text)


def place_amount_header(name: str) -> tuple[str, int | None, int | None] | None:
    """A header that names amounts of a version, a year or a month -> (version or '', year,
    month); None if it names none of these."""
    if found := _VERSION_HEADER.match(name):
        return canonical_version(found[1]), _header_year(found[2]), None
    if WIDE_VERSION.match(name):  # a named forecast: prognos-april
        return canonical_version(name), None, None
    if found := _MONTH_HEADER.match(name):
        version = canonical_version(found[1]) if found[1] else ""
        return version, _header_year(found[3]), MONTHS[found[2]]
    if found := _YEAR_MONTH_HEADER.match(name):
        return "", int(found[1]), int(found[2])
    return None


class HeaderPlanner:
    """The header test for one file: konto plus belopp, or konto plus version columns (wide).

    `wanted` names the optional columns (dimensions, text, account_name) to read; None reads
    them all.
    Reading only what a command uses keeps ten-million-row files fast.
    """

    OPTIONAL = frozenset({*DIMENSIONS, "text", "account_name"})

    def __init__(self, fixed_version: str | None, wanted: frozenset[str] | None = None) -> None:
        self.fixed_version = fixed_version
        self.wanted = wanted

    def score(self, cells: list[str]) -> int:
        names = [cell.strip().lower() for cell in cells]
        return sum(name in HEADER_KEYS or name in VERSION_ALIASES for name in names)

    def __call__(self, cells: list[str]) -> ColumnPlan | None:
        keys, wide, problems = self._find_columns(cells)
        if "account" not in keys:
            return None
        amounts = self._amounts(keys, wide, problems)
        if amounts is None:
            return None
        if self.fixed_version and "version" in keys:
            option = {BUDGET: "--budget", FORECAST: "--forecast", OUTCOME: "--outcome"}.get(
                self.fixed_version, "--" + self.fixed_version
            )
            problems.append(
                f"the file has a version column ({shown(cells[keys['version']].strip())}), but was given "
                f"with {option}, which says all its rows are {self.fixed_version}: give it as a "
                "LEDGER file instead, and its version column decides"
            )
        text = {position: key for key, position in keys.items()}
        integers = frozenset(keys[k] for k in ("year", "period") if k in keys)
        return ColumnPlan(text, amounts, tuple(cells), integers, tuple(problems))

    def _amounts(self, keys: dict[str, int], wide: dict[str, int], problems: list[str]) -> dict[int, str] | None:
        """The amount columns: belopp; else debet and kredit; else one column per version,
        year or month (wide). None where the header has none of these."""
        if "amount" in keys:
            return {keys.pop("amount"): "amount"}
        if "debit" in keys and "credit" in keys:
            return {keys.pop("debit"): "debit", keys.pop("credit"): "credit"}
        if not wide:
            return None
        versioned = [key for key in wide if amount_column_parts(key)[0]]
        if versioned and (self.fixed_version is not None or "version" in keys):
            return None  # the file's versions come from one place only (as before: no header)
        return {position: key for key, position in wide.items()}

    def _find_columns(self, cells: list[str]) -> tuple[dict[str, int], dict[str, int], list[str]]:
        """Per canonical key (of the columns wanted) and per amount column of a version, year
        or month (wide), the position of its first column; a second column of the same meaning
        is a problem, and so is a column that names a version kfollow cannot place."""
        keys: dict[str, int] = {}
        wide: dict[str, int] = {}  # amount_column key -> position
        problems = []
        for position, cell in enumerate(cells):
            name = " ".join(cell.strip().lower().split())
            if name in HEADER_KEYS:
                key = HEADER_KEYS[name]
                if key in self.OPTIONAL and self.wanted is not None and key not in self.wanted:
                    continue
                if key in keys:
                    problems.append(self._twice(cells, keys[key], position, key))
                keys.setdefault(key, position)
            elif (placed := place_amount_header(name)) is not None:
                key = amount_column(*placed)
                if key in wide:
                    problems.append(self._twice(cells, wide[key], position, placed[0] or cell.strip()))
                wide.setdefault(key, position)
            elif re.match(_VERSION_WORD + r"\b", name):
                problems.append(
                    f"the column {shown(cell.strip())} names a version kfollow cannot place: write the version "
                    "(utfall, budget, prognos, or a named forecast such as prognos-april), optionally with "
                    "its year (Budget 2024) or a month (Utfall jan), or remove the column"
                )
        return keys, wide, problems

    @staticmethod
    def _twice(cells: list[str], first: int, second: int, meaning: str) -> str:
        return (
            f"the columns {shown(cells[first].strip())} and {shown(cells[second].strip())} both mean "
            f"{COLUMN_NAMES.get(meaning, (meaning,))[0]}: remove or rename one"
        )


def header_names(key: str) -> str:
    return " / ".join(COLUMN_NAMES[key])


def found_cells(table_or_cells: Iterable[str]) -> str:
    """A row's cells for an error message: at most QUOTE_LIMIT characters of them, control
    characters escaped (a damaged file's line may be megabytes of anything)."""
    cells = [c for c in table_or_cells if c.strip()]
    return shown_code(", ".join(cells)) if cells else "(nothing)"


# A cell that reads as an amount in any dialect of SPEC §1 (for telling data from titles).
_AMOUNT_LIKE = re.compile(r"[-+\u2212\u2013]?\s?\d{1,3}(?:[ \u00a0\u202f]?\d{3})*(?:[.,]\d{1,2})?")


def data_rows_above(rows: list[tuple[int, list[str]]], columns: ColumnPlan) -> list[int]:
    """The lines (or sheet rows) above a header that read as data rows of it: a code starting
    with a digit under konto and an amount under every non-empty amount column (at least one).
    Title rows ('Huvudbok', 'Period: 2024-01 – 2024-08', 'Utskriven 2024-09-05;Anna') do not."""
    account = next((position for position, key in columns.text.items() if key == "account"), None)
    found = []
    for line, cells in rows:
        if account is None or account >= len(cells) or not cells[account].strip()[:1].isdigit():
            continue
        amounts = [cells[p].strip() for p in columns.amounts if p < len(cells) and cells[p].strip()]
        if amounts and all(_AMOUNT_LIKE.fullmatch(amount) for amount in amounts):
            found.append(line)
    return found
