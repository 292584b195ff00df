"""A table as read -> ledger frame: Swedish headers and codes become the ledger's columns,
and every bad cell is named by file, line and column."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np
import pandas as pd

from ..errors import MAX_REPORTED, LoadError, capped
from ..ledger import DIMENSIONS, canonical_version, concat, constant_column, known_version
from .hashing import RowHashing
from .table import EMPTY_INTEGER, Table, found_cells, header_names

_PERIOD = re.compile(r"^(?:(\d{4})-(?=\d{1,2}$)|(\d{4})(?=\d{2}$))?(\d{1,2})$")

_Parsed = TypeVar("_Parsed")


def _per_code(series: pd.Series, parse: Callable[[str], _Parsed]) -> tuple[list[_Parsed], np.ndarray]:
    """Apply `parse` to each category; return the parsed categories and the row codes."""
    categorical = series.astype("category") if series.dtype != "category" else series
    parsed = [parse(str(value)) for value in categorical.cat.categories]
    return parsed, categorical.cat.codes.to_numpy()


def _recode(series: pd.Series, parse: Callable[[str], str | None]) -> tuple[pd.Categorical[str], np.ndarray]:
    """New categorical from parsed categories; mask of rows whose value did not parse."""
    parsed, codes = _per_code(series, parse)
    uniques = sorted({p for p in parsed if isinstance(p, str)})
    index = {value: i for i, value in enumerate(uniques)}
    # One extra slot at the end so that code -1 (an empty cell) maps to -1.
    lookup = np.array([index.get(p, -1) if isinstance(p, str) else -1 for p in parsed] + [-1], dtype="int32")
    bad = np.array([p is None for p in parsed] + [False])
    categories = cast("pd.Index[str]", uniques)  # pandas-stubs want an Index; pandas takes any list-like
    return pd.Categorical.from_codes(lookup[codes], categories=categories), bad[codes]


def _ints(series: pd.Series, parse: Callable[[str], int | None]) -> tuple[np.ndarray, np.ndarray]:
    """Integers from parsed categories (-1 where empty or unparsable); mask of bad rows."""
    parsed, codes = _per_code(series, parse)
    lookup = np.array([-1 if p is None else p for p in parsed] + [-1], dtype="int32")
    bad = np.array([p is None for p in parsed] + [False])
    return lookup[codes], bad[codes]


def _is_integer_column(series: pd.Series) -> bool:
    return pd.api.types.is_integer_dtype(series.dtype)


def _years(series: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, bad, empty) per row."""
    if _is_integer_column(series):  # read as integers
        values = series.to_numpy()
        empty = values == EMPTY_INTEGER
        return values, ~empty & ((values < 1900) | (values > 2200)), empty
    values, bad = _ints(series, _parse_year)
    return values, bad, series.isna().to_numpy()


def _periods(series: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(year or -1, month, bad, empty) per row, from 1–12, YYYYMM or YYYY-MM."""
    if _is_integer_column(series):
        values = series.to_numpy()
        empty = values == EMPTY_INTEGER
        long = values > 12
        month = np.where(long, values % 100, values).astype("int8")
        year = np.where(long, values // 100, -1).astype("int16")
        bad = ~empty & ((month < 1) | (month > 12) | (long & ((year < 1900) | (year > 2200))))
        return year, month, bad, empty
    parsed, codes = _per_code(series, _parse_period)  # each distinct period parsed once
    month = np.array([p[1] if p else -1 for p in parsed] + [-1], dtype="int32")[codes]
    year = np.array([p[0] if p and p[0] is not None else -1 for p in parsed] + [-1], dtype="int32")[codes]
    bad = np.array([p is None for p in parsed] + [False])[codes]
    return year, month, bad, series.isna().to_numpy()


def _parse_year(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() and 1900 <= int(text) <= 2200 else None


def _parse_period(text: str) -> tuple[int | None, int] | None:
    """'3', '03', '202403', '2024-03', '2024-3' -> (year or None, month)."""
    match = _PERIOD.match(text.strip())
    if not match or not 1 <= int(match.group(3)) <= 12:
        return None
    year = match.group(1) or match.group(2)
    return (int(year) if year else None, int(match.group(3)))


def _account_code(text: str) -> str | None:
    """'46362 Köp medicinskt' -> '46362'."""
    parts = text.split()
    return parts[0] if parts else None


class _Problems:
    """Collects 'file:line: column: value: why' lines for one file, capped per kind."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.lines: list[str] = []

    def cells(self, mask: np.ndarray, key: str, values: pd.Series | None, why: str) -> None:
        """Report the rows in `mask`; `values` None means the cells are empty."""
        rows = np.flatnonzero(mask)
        if not len(rows):
            return
        lines = self.table.frame["line"].to_numpy()
        header = self._header(key)
        raw = values.to_numpy() if values is not None else np.full(len(mask), None)
        found = [
            f"{self.table.path.name}:{lines[i]}: column {header!r}: "
            f"{'(empty)' if pd.isna(raw[i]) else repr(str(raw[i]))}: {why}"
            for i in rows[:MAX_REPORTED]
        ]
        self.lines += capped(found, len(rows), f"more in column {header!r}")

    def _header(self, key: str) -> str:
        columns = self.table.columns
        for position, name in {**columns.text, **columns.amounts}.items():
            if name == key and position < len(columns.header):
                return columns.header[position].strip()
        return key


def normalise(
    table: Table, fixed_version: str | None, extra_versions: tuple[str, ...] = ()
) -> tuple[pd.DataFrame, list[str]]:
    """A file as read -> ledger frame (still in the file's own sign), and its problems."""
    raw = table.frame
    present = set(table.columns.text.values())
    wide = [key for key in table.columns.amounts.values() if key.startswith("wide:")]
    _check_header(table, present, wide, fixed_version)
    problems = _Problems(table)

    out = pd.DataFrame(index=raw.index)
    year, month = _year_and_month(table, present, problems)
    out["year"] = year.astype("int16")
    out["period"] = month.astype("int8")
    _add_codes(out, raw, present, problems)

    if wide:
        out = _one_row_per_version(out, raw, wide)
    else:
        _add_version_and_amount(out, raw, fixed_version, extra_versions, problems)
    out["source"] = constant_column(table.path.name, len(out))
    return out.reset_index(drop=True), sorted(table.problems + problems.lines, key=_line_order)


def _check_header(table: Table, present: set[str], wide: list[str], fixed_version: str | None) -> None:
    """A LoadError if the header is unusable (two columns for one meaning …) or lacks a column
    a ledger needs: the period, and the version unless it is in wide columns or given."""
    name = table.path.name
    if table.columns.problems:
        raise LoadError([f"{name}:{table.header_line}: {problem}" for problem in table.columns.problems])
    missing = []
    if "period" not in present:
        missing.append(f"period ({header_names('period')})")
    if not wide and not fixed_version and "version" not in present:
        missing.append(f"version ({header_names('version')}) — or give the file with --budget/--forecast/--outcome")
    if missing:
        raise LoadError(
            f"{name}:{table.header_line}: missing column {'; '.join(missing)}. "
            f"The header has: {found_cells(table.columns.header)}"
        )


def _year_and_month(table: Table, present: set[str], problems: _Problems) -> tuple[np.ndarray, np.ndarray]:
    """Per row the year (of column år, else of a YYYYMM period) and the month; the bad and
    empty cells go to `problems`."""
    raw = table.frame
    period_year, month, bad, empty = _periods(raw["period"])
    problems.cells(bad, "period", raw["period"], "not a month 1–12, YYYYMM or YYYY-MM")
    problems.cells(empty, "period", None, "no period")
    if "year" in present:
        year, bad_year, empty_year = _years(raw["year"])
        problems.cells(bad_year, "year", raw["year"], "not a year")
        problems.cells(empty_year, "year", None, "no year")
        clash = (period_year >= 0) & ~bad & ~bad_year & ~empty_year & (period_year != year)
        problems.cells(clash, "period", raw["period"], "its year is not the year in column år")
    else:
        year = period_year
        no_year = (period_year < 0) & ~bad & ~empty
        if no_year.all() and len(no_year):
            raise LoadError(
                f"{table.path.name}:{table.header_line}: missing column år ({header_names('year')}), and the "
                f"periods hold no year (YYYYMM). The header has: {found_cells(table.columns.header)}"
            )
        problems.cells(no_year, "period", raw["period"], "no year: write YYYYMM or add a column år")
    return year, month


def _add_codes(out: pd.DataFrame, raw: pd.DataFrame, present: set[str], problems: _Problems) -> None:
    """Into `out`: the account code, the dimensions and text read, each row's line, and (read
    collapsed) its count of rows."""
    account, bad = _recode(raw["account"], _account_code)
    problems.cells(bad | raw["account"].isna().to_numpy(), "account", raw["account"], "no account")
    out["account"] = account
    for key in (*DIMENSIONS, "text"):
        if key in present and key in raw:  # (not where read only to be hashed: RowHashing)
            out[key] = raw[key]
    out["line"] = raw["line"]
    if "rows" in raw:  # read collapsed: how many ledger rows each row stands for
        out["rows"] = raw["rows"]


def _one_row_per_version(out: pd.DataFrame, raw: pd.DataFrame, wide: list[str]) -> pd.DataFrame:
    """A wide table (one amount column per version) made long: per version column, the rows
    whose cell is not empty, with that version and amount."""
    pieces = []
    for key in wide:
        keep = ~raw[f"{key}__empty"].to_numpy()
        piece = out[keep].copy()
        piece["version"] = constant_column(key.removeprefix("wide:"), len(piece))
        piece["amount"] = raw[key].to_numpy()[keep]
        pieces.append(piece)
    return concat(pieces)


def _add_version_and_amount(
    out: pd.DataFrame,
    raw: pd.DataFrame,
    fixed_version: str | None,
    extra_versions: tuple[str, ...],
    problems: _Problems,
) -> None:
    """Into `out` of a long table: each row's version (the file's own, else its version
    column's) and amount."""
    problems.cells(raw["amount__empty"].to_numpy(), "amount", None, "no amount")
    if fixed_version:
        out["version"] = constant_column(fixed_version, len(out))
    else:
        version, bad = _recode(
            raw["version"],
            lambda t: v if known_version(v := canonical_version(t), extra_versions) else None,
        )
        problems.cells(
            bad,
            "version",
            raw["version"],
            "not a version: use utfall, budget or prognos (or a named forecast such as "
            "prognos-april; another name only with --forecast-version NAME)",
        )
        problems.cells(raw["version"].isna().to_numpy(), "version", raw["version"], "no version")
        out["version"] = version
    out["amount"] = raw["amount"].to_numpy()


def _line_order(problem: str) -> int:
    """Problems in file order; the '… and N more' lines last."""
    match = re.match(r"^[^:]+:(\d+):", problem)
    return int(match.group(1)) if match else sys.maxsize


def row_hashing(hash_only: frozenset[str], keep: np.ndarray | None = None) -> RowHashing:
    """Hash rows as the duplicate check compares them: konto by its code, versions by their
    canonical names (so 'Utfall' and 'utfall' hash alike)."""
    canonical: dict[str, Callable[..., Any]] = {
        "account": _account_code,
        "version": canonical_version,
        "year": _years,
        "period": _periods,
    }
    return RowHashing(hash_only, canonical, ("version", "account", *DIMENSIONS, "text"), keep=keep)
