"""A table as read -> ledger frame: Swedish headers and codes become the ledger's columns,
and every bad cell is named by file, line and column."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import numpy as np
import pandas as pd

from ..errors import MAX_REPORTED, LoadError, capped, shown
from ..ledger import DIMENSIONS, OUTCOME, FullYearOnly, canonical_version, concat, constant_column, known_version
from ..money import exact_group_sums, format_kr
from .hashing import RowHashing
from .table import EMPTY_INTEGER, Table, amount_column_parts, found_cells, header_names

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
        header = self.header(key)
        raw = values.to_numpy() if values is not None else np.full(len(mask), None)
        found = [
            f"{self.table.path.name}:{lines[i]}: column {header!r}: "
            f"{'(empty)' if pd.isna(raw[i]) else shown(raw[i])}: {why}"
            for i in rows[:MAX_REPORTED]
        ]
        self.lines += capped(found, len(rows), f"more in column {header!r}")

    def header(self, key: str) -> str:
        columns = self.table.columns
        for position, name in {**columns.text, **columns.amounts}.items():
            if name == key and position < len(columns.header):
                return columns.header[position].strip()
        return key


@dataclass
class Normalised:
    """A file as ledger rows (still in the file's own sign), its problems, what reading it
    notes (totals rows dropped), and the versions and years it gives for the whole year only
    (no period column)."""

    frame: pd.DataFrame
    problems: list[str]
    notes: list[str]
    full_year: list[FullYearOnly]


def normalise(
    table: Table, fixed_version: str | None, extra_versions: tuple[str, ...] = (), year: int | None = None
) -> Normalised:
    """A file as read -> ledger rows: its shape (long, one column per version, year or month,
    debet and kredit, dates, whole-year amounts, totals rows) read as the long format. `year`:
    the year of rows the file gives none (--year)."""
    _debit_minus_credit(table.frame)
    present = set(table.columns.text.values())
    wide = [key for key in table.columns.amounts.values() if key.startswith("wide:")]
    _check_header(table, present, wide, fixed_version)
    notes, totals_problems = drop_totals_rows(table)
    raw = table.frame
    problems = _Problems(table)
    problems.lines += totals_problems
    _control_characters(table, problems)

    out = pd.DataFrame(index=raw.index)
    years, month = _year_and_month(table, present, wide, problems, year)
    _add_codes(out, raw, present, problems)
    if wide:
        versions = _row_versions(raw, present, fixed_version, extra_versions, problems)
        out = _one_row_per_column(out, raw, wide, years, month, versions)
    else:
        out["year"], out["period"] = years, month
        _add_version_and_amount(out, raw, fixed_version, extra_versions, problems)
    out["year"] = out["year"].astype("int16")
    full_year = _full_year_only(table, out) if _whole_year(present, wide) else []
    out["period"] = out["period"].astype("int8")
    out["source"] = constant_column(table.path.name, len(out))
    found = sorted(table.problems + problems.lines, key=_line_order)
    return Normalised(out.reset_index(drop=True), found, notes, full_year)


# The columns that hold codes: a code is an identifier, and a control character in one (a NUL,
# a line feed …; a TAB is allowed) is a damaged file, never part of a code (SPEC §1).
CODE_KEYS = ("account", "version", *DIMENSIONS)

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f]")

CONTROL_IN_CODE = "a control character in a code: the file is damaged; remove the character, or export the file again"


def has_control_characters(codes: list[str]) -> bool:
    """Whether any of the codes holds a control character other than TAB (one search for all)."""
    return bool(_CONTROL.search("".join(codes)))


def _control_characters(table: Table, problems: _Problems) -> None:
    """Name the code cells that hold a control character. Checked on each column's
    categories, its distinct codes: nothing per row unless one is found."""
    raw = table.frame
    for key in CODE_KEYS:
        if key not in raw or not isinstance(raw[key].dtype, pd.CategoricalDtype):
            continue
        categories = [str(code) for code in raw[key].cat.categories]
        if not has_control_characters(categories):
            continue
        bad = np.array([bool(_CONTROL.search(code)) for code in categories] + [False])
        rows = bad[raw[key].cat.codes.to_numpy()]
        if rows.any():
            problems.cells(rows, key, raw[key], CONTROL_IN_CODE)
        else:  # read collapsed, the code standing for others: the file is read again, row by row
            found = next(code for code, is_bad in zip(categories, bad, strict=False) if is_bad)
            problems.lines.append(
                f"{table.path.name}: column {problems.header(key)!r}: {shown(found)}: {CONTROL_IN_CODE}"
            )


_TOTALS_WORD = re.compile(r"^(totalt|total|summa)\b", re.IGNORECASE)


def drop_totals_rows(table: Table) -> tuple[list[str], list[str]]:
    """A report-style export's totals rows ('Totalt', 'Summa', 'Total' in a code column, the
    other code columns empty): each must equal the sum of the rows it closes (those since the
    totals row before it), in every amount column. Dropped, with a note, where all do; an
    error naming the line where one does not. (notes, problems); table.frame loses the rows."""
    raw = table.frame
    codes = [key for key in table.columns.text.values() if key not in ("year", "period") and key in raw]
    totals = _totals_rows(raw, codes)
    if not totals.any():
        return [], []
    name = table.path.name
    if "rows" in raw:  # read collapsed: rows summed out of order; a problem makes the reader read row by row
        return [], [f"{name}: totals rows: to be read row by row"]
    block = np.cumsum(totals) - totals  # each row's count of totals rows above it
    lines = raw["line"].to_numpy()
    problems = []
    for key in ["amount"] if "amount" in raw else [k for k in table.columns.amounts.values() if k in raw]:
        amount = raw[key].to_numpy()
        sums = exact_group_sums(block, np.where(totals, 0, amount), int(totals.sum()) + 1)[1]
        stated = amount[totals]
        counted = sums[block[totals]]
        for line, want, got in zip(lines[totals], stated, counted, strict=True):
            if want != got:
                header = _Problems(table).header(key)
                problems.append(
                    f"{name}:{line}: a totals row ({header} {format_kr(int(want))}) that is not the sum of the rows "
                    f"above it ({format_kr(int(got))}): remove the row, or correct the export"
                )
    table.frame = raw[~totals].reset_index(drop=True)  # (a wrong one is named once, as a totals row)
    if problems:
        return [], capped(problems, what="more totals rows")
    shown = ", ".join(str(line) for line in lines[totals][:5])
    note = f"{name}: {int(totals.sum())} totals row(s) dropped (line {shown}): each is the sum of the rows above it"
    return [note], []


def _totals_rows(raw: pd.DataFrame, codes: list[str]) -> np.ndarray:
    """Rows with a totals word in one code column and every other code column empty."""
    empty = {key: raw[key].isna().to_numpy() for key in codes}
    found = np.zeros(len(raw), dtype=bool)
    for key in codes:
        values = raw[key]
        if not isinstance(values.dtype, pd.CategoricalDtype):
            continue
        words = np.array([bool(_TOTALS_WORD.match(str(c).strip())) for c in values.cat.categories] + [False])
        hit = words[values.cat.codes.to_numpy()]
        for other in codes:
            if other != key:
                hit &= empty[other]
        found |= hit
    return found


def _debit_minus_credit(raw: pd.DataFrame) -> None:
    """Debet and kredit columns -> one amount, debet − kredit (ledger sign), empty where both
    are: the long format's columns, in place."""
    if "debit" not in raw:
        return
    debit, credit = raw.pop("debit").to_numpy(), raw.pop("credit").to_numpy()
    raw["amount"] = debit - credit
    raw["amount__empty"] = raw.pop("debit__empty").to_numpy() & raw.pop("credit__empty").to_numpy()


def _months_in_headers(wide: list[str]) -> bool:
    """Every amount column names its month (one column per month)."""
    return bool(wide) and all(amount_column_parts(key)[2] for key in wide)


def _whole_year(present: set[str], wide: list[str]) -> bool:
    """No period in a column, a date or the headers: each amount is for the whole year."""
    return not ({"period", "date"} & present) and not _months_in_headers(wide)


def _check_header(table: Table, present: set[str], wide: list[str], fixed_version: str | None) -> None:
    """A LoadError if the header is unusable (two columns for one meaning …) or lacks a column
    a ledger needs: the version, unless it is in the amount columns' headers or given."""
    name = table.path.name
    if table.columns.problems:
        raise LoadError([f"{name}:{table.header_line}: {problem}" for problem in table.columns.problems])
    versions_in_headers = bool(wide) and all(amount_column_parts(key)[0] for key in wide)
    if not versions_in_headers and not fixed_version and "version" not in present:
        raise LoadError(
            f"{name}:{table.header_line}: missing column version ({header_names('version')}) — or give the file "
            f"with --budget/--forecast/--outcome. The header has: {found_cells(table.columns.header)}"
        )


def _year_and_month(
    table: Table, present: set[str], wide: list[str], problems: _Problems, default: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per row the year (of column år, else of a YYYYMM period or a date; -1 where none) and
    the month (of the period or date; 12 where the file has neither, -1 where the headers
    give it); the bad and empty cells go to `problems`."""
    raw = table.frame
    rows = len(raw)
    if "period" in present:
        period_year, month, bad, empty = _periods(raw["period"])
        problems.cells(bad, "period", raw["period"], "not a month 1–12, YYYYMM or YYYY-MM")
        problems.cells(empty, "period", None, "no period")
    elif "date" in present:
        period_year, month, bad, empty = _dates(raw["date"])
        problems.cells(bad, "date", raw["date"], "not a date (YYYY-MM-DD or YYYYMMDD)")
        problems.cells(empty, "date", None, "no date")
    else:
        period_year = np.full(rows, -1, dtype="int32")
        month = np.full(rows, -1 if _months_in_headers(wide) else 12, dtype="int32")
        bad = empty = np.zeros(rows, dtype=bool)
    if "year" in present:
        year, bad_year, empty_year = _years(raw["year"])
        problems.cells(bad_year, "year", raw["year"], "not a year")
        problems.cells(empty_year, "year", None, "no year")
        dated = "period" if "period" in present else "date" if "date" in present else None
        if dated is not None:
            clash = (period_year >= 0) & ~bad & ~bad_year & ~empty_year & (period_year != year)
            problems.cells(clash, dated, raw[dated], "its year is not the year in column år")
        return year, month
    years_in_headers = bool(wide) and all(amount_column_parts(key)[1] for key in wide)
    if years_in_headers:
        return period_year, month
    no_year = (period_year < 0) & ~bad & ~empty
    if default is not None:
        return np.where(no_year, default, period_year), month
    if no_year.all() and len(no_year):
        raise LoadError(
            f"{table.path.name}:{table.header_line}: no year: add a column år ({header_names('year')}), write "
            "periods as YYYYMM, put the year in the amount columns' headers (Budget 2024, 202401), or give "
            "--year YEAR. "
            f"The header has: {found_cells(table.columns.header)}"
        )
    key = "period" if "period" in present else "date"
    problems.cells(no_year, key, raw[key], "no year: write YYYYMM or add a column år")
    return period_year, month


def _dates(series: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, bad, empty) per row of a date column: 2024-03-15, 20240315 (each distinct
    date parsed once)."""
    parsed, codes = _per_code(series, _parse_date)
    year = np.array([p[0] if p else -1 for p in parsed] + [-1], dtype="int32")[codes]
    month = np.array([p[1] if p else -1 for p in parsed] + [-1], dtype="int32")[codes]
    bad = np.array([p is None for p in parsed] + [False])[codes]
    return year, month, bad, series.isna().to_numpy()


_DATE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})(?:[ T].*)?$")


def _parse_date(text: str) -> tuple[int, int] | None:
    """'2024-03-15', '20240315', '2024-03-15 00:00:00' -> (2024, 3)."""
    import datetime

    found = _DATE.match(text.strip())
    if not found:
        return None
    try:
        day = datetime.date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        return None
    return (day.year, day.month) if 1900 <= day.year <= 2200 else None


def _add_codes(out: pd.DataFrame, raw: pd.DataFrame, present: set[str], problems: _Problems) -> None:
    """Into `out`: the account code, the dimensions, text and account name read, each row's
    line, and (read collapsed) its count of rows."""
    account, bad = _recode(raw["account"], _account_code)
    problems.cells(bad | raw["account"].isna().to_numpy(), "account", raw["account"], "no account")
    out["account"] = account
    for key in (*DIMENSIONS, "text", "account_name"):
        if key in present and key in raw:  # (not where read only to be hashed: RowHashing)
            out[key] = raw[key]
    out["line"] = raw["line"]
    if "rows" in raw:  # read collapsed: how many ledger rows each row stands for
        out["rows"] = raw["rows"]


def _row_versions(
    raw: pd.DataFrame,
    present: set[str],
    fixed_version: str | None,
    extra_versions: tuple[str, ...],
    problems: _Problems,
) -> pd.Categorical[Any] | None:
    """Each row's version where amount columns do not name theirs (month columns): the file's
    own (--budget …), else its version column's; None where every column names its version."""
    if fixed_version:
        return constant_column(fixed_version, len(raw))
    if "version" not in present:
        return None
    return _version_column(raw, extra_versions, problems)


def _one_row_per_column(
    out: pd.DataFrame,
    raw: pd.DataFrame,
    wide: list[str],
    year: np.ndarray,
    month: np.ndarray,
    versions: pd.Categorical[Any] | None,
) -> pd.DataFrame:
    """A wide table (one amount column per version, year or month) made long: per column,
    the rows whose cell is not empty, with the version, year and month its header names (else
    the row's) and its amount."""
    pieces = []
    for key in wide:
        version, key_year, key_month = amount_column_parts(key)
        keep = ~raw[f"{key}__empty"].to_numpy()
        piece = out[keep].copy()
        piece["year"] = key_year if key_year is not None else year[keep]
        piece["period"] = key_month if key_month is not None else month[keep]
        if version is not None:
            piece["version"] = constant_column(version, len(piece))
        else:
            assert versions is not None  # _check_header: a column without a version has a row version
            piece["version"] = versions[keep]
        piece["amount"] = raw[key].to_numpy()[keep]
        pieces.append(piece)
    return concat(pieces)


def _full_year_only(table: Table, out: pd.DataFrame) -> list[FullYearOnly]:
    """A file without periods gives each amount for its whole year (month 12): so for budget
    and forecasts, which count in the full-year columns; outcome needs its months."""
    name = table.path.name
    outcome = (out["version"] == OUTCOME).to_numpy()
    if outcome.any():
        raise LoadError(
            f"{name}:{table.header_line}: missing column period ({header_names('period')}): outcome (utfall) "
            "needs its month (a period, a date, or one column per month); only budget and forecasts may come "
            f"for the whole year. The header has: {found_cells(table.columns.header)}"
        )
    pairs = out.loc[~outcome, ["version", "year"]].drop_duplicates()
    return [
        FullYearOnly(str(version), int(year), 12, name, "no period column")
        for version, year in zip(pairs["version"], pairs["year"], strict=True)
    ]


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
        out["version"] = _version_column(raw, extra_versions, problems)
    out["amount"] = raw["amount"].to_numpy()


def _version_column(raw: pd.DataFrame, extra_versions: tuple[str, ...], problems: _Problems) -> pd.Categorical[str]:
    """The rows' versions from the version column; unknown and empty ones are problems."""
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
    return version


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
