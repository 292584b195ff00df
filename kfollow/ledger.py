"""The ledger model: canonical columns, versions, and normalise(raw file) -> ledger frame.

Swedish export headers are translated here and nowhere else. The ledger frame has:

| column | dtype | meaning |
| --- | --- | --- |
| year | int16 | fiscal year |
| period | int8 | month 1–12 |
| version | category | `utfall`, `budget`, `prognos` or any other name (`prognos-april`) |
| account | category | account code as text (`"04711"` stays) |
| amount | int64 | öre, ledger sign (debit +: costs +, revenue −) |
| ansvar, verksamhet, aktivitet, projekt, motpart, text | category | optional codes |
| source | category | file name |
| line | int32 | line (CSV) or row (XLSX) in that file |
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from .errors import MAX_REPORTED, LoadError, OptionError, capped
from .loaders import EMPTY_INTEGER, ColumnPlan, NoHeader, RowHashing, Table, read_table

OUTCOME, BUDGET, FORECAST = "utfall", "budget", "prognos"

# canonical key -> accepted header names (Swedish first); matched case-insensitively
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "year": ("år", "ar", "year"),
    "period": ("period", "månad", "manad", "month"),
    "version": ("version", "typ", "type"),
    "account": ("konto", "account"),
    "amount": ("belopp", "amount", "kr"),
    "ansvar": ("ansvar",),
    "verksamhet": ("verksamhet",),
    "aktivitet": ("aktivitet",),
    "projekt": ("projekt",),
    "motpart": ("motpart",),
    "text": ("text", "beskrivning"),
}
DIMENSIONS = ("ansvar", "verksamhet", "aktivitet", "projekt", "motpart")
HEADER_KEYS = {name: key for key, names in COLUMN_NAMES.items() for name in names}

VERSION_ALIASES = {
    "utfall": OUTCOME,
    "outcome": OUTCOME,
    "actual": OUTCOME,
    "bokfört": OUTCOME,
    "bokfort": OUTCOME,
    "budget": BUDGET,
    "prognos": FORECAST,
    "forecast": FORECAST,
}
# A version column of a wide file: a known name, or a forecast with a qualifier
# (prognos-april). Only a forecast can be shown under another name (--forecast-version), so
# 'utfall 2024' or 'budget-rev' is no version: that would be rows no column shows.
_WIDE_VERSION = re.compile(r"^(utfall|budget|prognos|forecast|outcome)$|^(prognos|forecast)[-_ ].+$")
_PERIOD = re.compile(r"^(?:(\d{4})-(?=\d{1,2}$)|(\d{4})(?=\d{2}$))?(\d{1,2})$")


def canonical_version(name: str) -> str:
    key = name.strip().lower()
    return VERSION_ALIASES.get(key, key)


def known_version(name: str, extra: tuple[str, ...] = ()) -> bool:
    """utfall, budget, prognos (and aliases), a named forecast (prognos-april), or an extra."""
    return name in VERSION_ALIASES.values() or bool(_WIDE_VERSION.match(name)) or name in extra


@dataclass(frozen=True)
class Source:
    """A ledger file and, for --budget/--forecast/--outcome files, the version it holds."""

    path: Path
    version: str | None = None


class Uncopied:
    """A value kept in DataFrame.attrs as it is: pandas deep-copies attrs into every frame
    derived from another, which for 8 bytes per ledger row would cost seconds."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __deepcopy__(self, memo: dict[int, Any]) -> Uncopied:
        return self


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
    # SIE dimension number -> ledger column (--dim N=COLUMN), over the defaults of sie.py.
    dims: dict[int, str] = field(default_factory=dict)
    # Sum rows equal in every column read (CSV, Parquet) while reading: a `rows` column counts
    # them. For commands that print sums only: memory grows with the distinct combinations.
    collapse: bool = False
    # With collapse: columns read only for --where/--exclude, and whether a code passes them
    # (filter_verdicts); such a column keeps a code per verdict, not every code.
    filter_only: dict[str, Callable[[str], bool]] = field(default_factory=dict)
    # With collapse: hash every row as read (loaders.RowHashing), for reconcile's duplicate
    # check; ledger.attrs["row_hashes"].value then holds them (None where a file was not hashed).
    hashing: RowHashing | None = None


class HeaderPlanner:
    """The header test for one file: konto plus belopp, or konto plus version columns (wide).

    `wanted` names the optional columns (dimensions, text) to read; None reads them all.
    Reading only what a command uses keeps ten-million-row files fast.
    """

    OPTIONAL = frozenset({*DIMENSIONS, "text"})

    def __init__(self, fixed_version: str | None, wanted: frozenset[str] | None = None) -> None:
        self.fixed_version = fixed_version
        self.wanted = wanted

    def score(self, cells: list[str]) -> int:
        names = [cell.strip().lower() for cell in cells]
        return sum(name in HEADER_KEYS or name in VERSION_ALIASES for name in names)

    def __call__(self, cells: list[str]) -> ColumnPlan | None:
        keys: dict[str, int] = {}
        wide: dict[str, int] = {}  # version -> position
        problems = []
        for position, cell in enumerate(cells):
            name = cell.strip().lower()
            if name in HEADER_KEYS:
                key = HEADER_KEYS[name]
                if key in self.OPTIONAL and self.wanted is not None and key not in self.wanted:
                    continue
                if key in keys:
                    problems.append(self._twice(cells, keys[key], position, key))
                keys.setdefault(key, position)
            elif _WIDE_VERSION.match(name) or name in VERSION_ALIASES:
                version = canonical_version(name)
                if version in wide:
                    problems.append(self._twice(cells, wide[version], position, version))
                wide.setdefault(version, position)
        if "account" not in keys:
            return None
        if "amount" in keys:
            amounts = {keys.pop("amount"): "amount"}
        elif wide and self.fixed_version is None and "version" not in keys:
            amounts = {position: "wide:" + version for version, position in wide.items()}
        else:
            return None
        if self.fixed_version and "version" in keys:
            option = {BUDGET: "--budget", FORECAST: "--forecast", OUTCOME: "--outcome"}.get(
                self.fixed_version, "--" + self.fixed_version
            )
            problems.append(
                f"the file has a version column ({cells[keys['version']].strip()!r}), but was given "
                f"with {option}, which says all its rows are {self.fixed_version}: give it as a "
                "LEDGER file instead, and its version column decides"
            )
        text = {position: key for key, position in keys.items()}
        integers = frozenset(keys[k] for k in ("year", "period") if k in keys)
        return ColumnPlan(text, amounts, tuple(cells), integers, tuple(problems))

    @staticmethod
    def _twice(cells: list[str], first: int, second: int, meaning: str) -> str:
        return (
            f"the columns {cells[first].strip()!r} and {cells[second].strip()!r} both mean "
            f"{COLUMN_NAMES.get(meaning, (meaning,))[0]}: remove or rename one"
        )


def _names(key: str) -> str:
    return " / ".join(COLUMN_NAMES[key])


def _found(table_or_cells: Iterable[str]) -> str:
    cells = [c for c in table_or_cells if c.strip()]
    return ", ".join(cells) if cells else "(nothing)"


def read_source(source: Source, options: ReadOptions) -> Table:
    try:
        return read_table(
            source.path,
            HeaderPlanner(source.version, options.columns),
            encoding=options.encoding,
            delimiter=options.delimiter,
            sheet=options.sheet,
            collapse=options.collapse,
            filter_only=options.filter_only,
            # a --budget/--forecast file's rows hash with the version they are given
            hashing=replace(options.hashing, fixed_version=source.version) if options.hashing else None,
        )
    except NoHeader as missing:
        found = {HEADER_KEYS.get(c.strip().lower()) for c in missing.cells}
        need = ["account", "amount"]
        swedish = {"account": "konto", "amount": "belopp"}
        absent = [f"{swedish[k]} ({_names(k)})" for k in need if k not in found]
        if source.version is None and "amount" not in found:
            absent[-1] += " or one column per version (budget, prognos, utfall)"
        is_sheet = source.path.suffix.lower() in (".xlsx", ".xlsm")
        raise LoadError(
            f"{source.path.name}:{missing.line}: no header row: missing column "
            f"{' and '.join(absent) or 'konto/belopp'}. "
            f"{'Row' if is_sheet else 'Line'} {missing.line} has: {_found(missing.cells)}"
            + (
                " (title rows above the header are skipped; pick another sheet with --sheet NAME)"
                if is_sheet
                else " (is --delimiter right?)"
                if len(missing.cells) == 1
                else ""
            )
        ) from None


# --- per-category parsing: each distinct code is parsed once, rows follow by their codes -----


def _per_code(series: pd.Series, parse: Callable[[str], object]) -> tuple[list[object], np.ndarray]:
    """Apply `parse` to each category; return the parsed categories and the row codes."""
    categorical = series.astype("category") if series.dtype != "category" else series
    parsed = [parse(str(value)) for value in categorical.cat.categories]
    return parsed, categorical.cat.codes.to_numpy()


def _recode(series: pd.Series, parse: Callable[[str], str | None]) -> tuple[pd.Categorical, np.ndarray]:
    """New categorical from parsed categories; mask of rows whose value did not parse."""
    parsed, codes = _per_code(series, parse)
    uniques = sorted({p for p in parsed if isinstance(p, str)})
    index = {value: i for i, value in enumerate(uniques)}
    # One extra slot at the end so that code -1 (an empty cell) maps to -1.
    lookup = np.array([index.get(p, -1) if isinstance(p, str) else -1 for p in parsed] + [-1], dtype="int32")
    bad = np.array([p is None for p in parsed] + [False])
    return pd.Categorical.from_codes(lookup[codes], categories=uniques), bad[codes]


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
    name = table.path.name
    if table.columns.problems:
        raise LoadError([f"{name}:{table.header_line}: {problem}" for problem in table.columns.problems])
    problems = _Problems(table)
    present = set(table.columns.text.values())
    wide = [key for key in table.columns.amounts.values() if key.startswith("wide:")]

    missing = []
    if "period" not in present:
        missing.append(f"period ({_names('period')})")
    if not wide and not fixed_version and "version" not in present:
        missing.append(f"version ({_names('version')}) — or give the file with --budget/--forecast/--outcome")
    if missing:
        raise LoadError(
            f"{name}:{table.header_line}: missing column {'; '.join(missing)}. "
            f"The header has: {_found(table.columns.header)}"
        )

    out = pd.DataFrame(index=raw.index)
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
                f"{name}:{table.header_line}: missing column år ({_names('year')}), and the "
                f"periods hold no year (YYYYMM). The header has: {_found(table.columns.header)}"
            )
        problems.cells(no_year, "period", raw["period"], "no year: write YYYYMM or add a column år")
    out["year"] = year.astype("int16")
    out["period"] = month.astype("int8")

    account, bad = _recode(raw["account"], _account_code)
    problems.cells(bad | raw["account"].isna().to_numpy(), "account", raw["account"], "no account")
    out["account"] = account
    for key in (*DIMENSIONS, "text"):
        if key in present and key in raw:  # (not where read only to be hashed: RowHashing)
            out[key] = raw[key]
    out["line"] = raw["line"]
    if "rows" in raw:  # read collapsed: how many ledger rows each row stands for
        out["rows"] = raw["rows"]

    if wide:
        pieces = []
        for key in wide:
            keep = ~raw[f"{key}__empty"].to_numpy()
            piece = out[keep].copy()
            piece["version"] = _constant(key.removeprefix("wide:"), len(piece))
            piece["amount"] = raw[key].to_numpy()[keep]
            pieces.append(piece)
        out = concat(pieces)
    else:
        problems.cells(raw["amount__empty"].to_numpy(), "amount", None, "no amount")
        if fixed_version:
            out["version"] = _constant(fixed_version, len(out))
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
    out["source"] = _constant(name, len(out))
    return out.reset_index(drop=True), sorted(table.problems + problems.lines, key=_line_order)


def _line_order(problem: str) -> int:
    """Problems in file order; the '… and N more' lines last."""
    match = re.match(r"^[^:]+:(\d+):", problem)
    return int(match.group(1)) if match else sys.maxsize


def _constant(value: str | None, length: int) -> pd.Categorical:
    """A categorical column holding one value (None: empty) in every row, without a list of it."""
    if value is None:
        return pd.Categorical.from_codes(np.full(length, -1, dtype="int8"), categories=pd.Index([], dtype=object))
    return pd.Categorical.from_codes(np.zeros(length, dtype="int8"), categories=[value])


def concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate ledger frames, keeping text columns categorical (plain concat would not)."""
    frames = [f for f in frames if len(f.columns)]
    if len(frames) == 1:
        return frames[0]
    columns = list(dict.fromkeys(c for f in frames for c in f.columns))
    out = {}
    for column in columns:
        parts = [f[column] if column in f else pd.Series(_constant(None, len(f)), index=f.index) for f in frames]
        if all(isinstance(p.dtype, pd.CategoricalDtype) for p in parts):
            out[column] = union_categoricals([p.cat.set_categories(p.cat.categories.astype(object)) for p in parts])
        else:
            out[column] = np.concatenate([p.to_numpy() for p in parts])
    return pd.DataFrame(out)


def _personnel_sum(frame: pd.DataFrame) -> int:
    is_personnel = np.append(frame["account"].cat.categories.str.startswith("5"), False)
    return int(frame["amount"].to_numpy()[is_personnel[frame["account"].cat.codes.to_numpy()]].sum())


def _decide_signs(
    frames: list[pd.DataFrame], names: list[str], options: ReadOptions, notes: list[str]
) -> dict[str, bool]:
    """Turn every frame into ledger sign, in place; per file, whether it was in report sign.
    See SPEC §1 on --sign auto.

    A file's own --sign NAME=MODE comes first, then --sign MODE; `auto` judges a file by its
    personnel costs (class 5), and a file without any follows the files that were decided.
    """
    is_report: dict[str, bool] = {}
    for name in names:
        mode = options.file_signs.get(name, options.sign)
        if mode != "auto":
            is_report[name] = mode == "report"
    undecided = []
    for frame, name in zip(frames, names, strict=True):
        if name in is_report:
            continue
        total = _personnel_sum(frame)
        if total:
            is_report[name] = total < 0
            if total < 0:
                notes.append(
                    f"{name}: personnel costs are negative, so amounts are read as report sign "
                    f"(revenue +, costs −); --sign {name}=ledger overrides"
                )
        else:
            undecided.append(name)
    for name in undecided:
        conventions = set(is_report.values())
        if len(conventions) != 1:
            option = "--sign " if len(names) == 1 else f"--sign {name}="
            raise LoadError(
                f"{name}: cannot tell the sign convention (personnel costs, class 5, are absent or "
                f"sum to 0): give {option}ledger (debit +, costs +, revenue −, as bookkeeping "
                f"exports) or {option}report (revenue +, costs −, as the printed report)"
            )
        is_report[name] = conventions.pop()
        if is_report[name]:
            notes.append(f"{name}: read as report sign, like the other files; --sign {name}=ledger overrides")
    for frame, name in zip(frames, names, strict=True):
        if is_report[name]:
            frame["amount"] = -frame["amount"]
    return is_report


@dataclass(frozen=True)
class FullYearOnly:
    """A version's amounts for a year that a file gives for the whole year only (an SIE year
    that only #RES covers): a column of part of that year cannot be taken from them."""

    version: str
    year: int
    months: int  # the fiscal year's months: a column through fewer is part of the year
    where: str  # file:line of the first record
    record: str  # what the file holds, e.g. '#RES'


def load_ledger(sources: list[Source], options: ReadOptions) -> tuple[pd.DataFrame, list[str]]:
    """Read, check and concatenate ledger files. Raises LoadError with every problem found.

    SIE files (sie.py) come as ledger rows already; what they say about themselves (vouchers
    that do not balance, #RES that differs) is kept in ledger.attrs["sie_checks"] for
    reconcile, and their fiscal-year labels ('2015/16') in ledger.attrs["year_labels"].
    """
    from .sie import is_sie, read_sie

    frames, names, problems, notes = [], [], [], []
    headers: dict[str, list[str]] = {}
    sie_checks: list = []
    sie_notes: list[str] = []
    year_labels: dict[int, str] = {}
    full_year: list[FullYearOnly] = []
    signed: set[str] = set()  # files whose sign is known: SIE is debit + by definition
    hashes: list[np.ndarray] | None = [] if options.hashing is not None else None
    as_read = True  # every row is a row of a file, with every column read (nothing summed)
    for source in sources:
        try:
            if is_sie(source.path):
                hashes = None  # read row by row: the ledger's own rows are there to compare
                if source.version:
                    raise LoadError(
                        f"{source.path.name}: an SIE file holds its own versions (outcome, budget): "
                        "give it as LEDGER, not with --budget/--forecast/--outcome"
                    )
                # Texts and voucher ids: for a read of every column (reconcile, convert, accounts)
                details = options.columns is None or "text" in options.columns
                sie = read_sie(source.path, options.encoding, options.dims, details=details)
                frame, found = sie.frame, []
                notes += sie.notes
                sie_notes += sie.notes
                sie_checks += sie.checks
                year_labels.update(sie.year_labels)
                full_year += sie.full_year
                signed.add(source.path.name)
                headers[source.path.name] = [c for c in frame.columns if c not in ("source", "line")]
            else:
                table = read_source(source, options)
                frame, found = normalise(table, source.version, options.extra_versions)
                as_read &= table.as_read
                if hashes is not None and table.row_hashes is not None and len(table.row_hashes) == counted_rows(frame):
                    hashes.append(table.row_hashes)
                else:
                    hashes = None
                headers[source.path.name] = [c.strip() for c in table.columns.header if c.strip()]
        except LoadError as error:
            problems += error.problems
            continue
        problems += found
        frames.append(frame)
        names.append(source.path.name)
    if problems and options.collapse:
        # Read again row by row: each bad row is then named, and counted, as itself.
        return load_ledger(sources, replace(options, collapse=False))
    if problems:
        raise LoadError(problems)
    if not any(len(f) for f in frames):
        raise LoadError(f"{', '.join(names)}: no ledger rows below the header")
    if any("rows" in f for f in frames):  # some files read collapsed: every row counts its rows
        for frame in frames:
            if "rows" not in frame:
                frame["rows"] = np.ones(len(frame), dtype="int64")
    is_report = _decide_signs(
        frames, names, replace(options, file_signs={**dict.fromkeys(signed, "ledger"), **options.file_signs}), notes
    )
    ledger = concat(frames)
    for key in ("account", "version", "source", *DIMENSIONS, "text"):
        if key in ledger and not isinstance(ledger[key].dtype, pd.CategoricalDtype):
            ledger[key] = ledger[key].astype("category")
    ledger.attrs["headers"] = headers  # the files' own column names, for messages
    ledger.attrs["sie_files"] = sorted(signed)
    ledger.attrs["sie_checks"] = sie_checks
    ledger.attrs["sie_notes"] = sie_notes
    ledger.attrs["year_labels"] = year_labels
    ledger.attrs["full_year_only"] = full_year  # report.check_full_year refuses part-year columns of them
    ledger.attrs["row_hashes"] = Uncopied(np.concatenate(hashes) if hashes else None)
    ledger.attrs["rows_as_read"] = as_read
    # The sign each file was read in: a second read of the same files needs no judging again.
    ledger.attrs["file_signs"] = {name: "report" if report else "ledger" for name, report in is_report.items()}
    return ledger, notes


# --- filters ---------------------------------------------------------------------------------


def row_counts(frame: pd.DataFrame, mask: np.ndarray | None = None) -> np.ndarray | None:
    """How many ledger rows each row (under `mask`) stands for (a collapsed read), or None: one each."""
    if "rows" not in frame:
        return None
    counts = frame["rows"].to_numpy()
    return counts if mask is None else counts[mask]


def counted_rows(frame: pd.DataFrame, mask: np.ndarray | None = None) -> int:
    """Ledger rows in the frame (under `mask`), counting what a collapsed read summed."""
    counts = row_counts(frame, mask)
    if counts is not None:
        return int(counts.sum())
    return len(frame) if mask is None else int(np.count_nonzero(mask))


def year_rows(ledger: pd.DataFrame, year: int | None) -> np.ndarray:
    """The rows of --year (all rows without it); a year the ledger lacks is an OptionError
    that lists the years it has."""
    if year is None:
        return np.ones(len(ledger), dtype=bool)
    in_year = ledger["year"].to_numpy() == year
    if not in_year.any():
        found = ", ".join(str(y) for y in sorted(ledger["year"].unique()))
        raise OptionError(
            f"--year {year}: the (filtered) ledger has no rows for {year}; years found: {found or 'none'}"
        )
    return in_year


def used_versions(versions: list[str], counts: np.ndarray) -> list[str]:
    """The versions with rows (counts: codes × versions), as listings show them: budget,
    prognos, utfall, then the others by name."""
    used = {versions[v] for v in np.flatnonzero(counts.sum(axis=0))}
    known = [v for v in (BUDGET, FORECAST, OUTCOME) if v in used]
    return known + sorted(used - set(known))


def sums_by_code(
    ledger: pd.DataFrame, column: str, keep: np.ndarray, empty: str
) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """Exact öre and ledger-row counts per code of `column` × version, of the kept rows:
    (codes, versions, counts, sums), the arrays shaped codes × versions. Rows without a code
    (or a ledger without the column) come under `empty`, the last."""
    from .money import exact_group_sums

    if column in ledger:
        names = [*ledger[column].cat.categories.astype(str), empty]
        codes = ledger[column].cat.codes.to_numpy()[keep].astype("int64")
    else:
        names, codes = [empty], np.full(int(keep.sum()), -1, dtype="int64")
    codes[codes < 0] = len(names) - 1
    versions = list(ledger["version"].cat.categories.astype(str))
    key = codes * len(versions) + ledger["version"].cat.codes.to_numpy()[keep]
    amount = ledger["amount"].to_numpy()[keep]
    counts, sums = exact_group_sums(key, amount, len(names) * len(versions), row_counts(ledger, keep))
    return names, versions, counts.reshape(len(names), -1), sums.reshape(len(names), -1)


def column_key(name: str) -> str:
    """A --where/--exclude column name -> ledger column (Swedish or English header names)."""
    key = name.strip().lower()
    return HEADER_KEYS.get(key, key)


def prefix_mask(frame: pd.DataFrame, column: str, prefixes: tuple[str, ...]) -> np.ndarray:
    """Rows whose text in `column` starts with one of the prefixes (empty cells never do)."""
    values = frame[column]
    hits = np.append(values.cat.categories.astype(str).str.startswith(prefixes), False)
    return hits[values.cat.codes.to_numpy()]


def row_hashing(hash_only: frozenset[str], keep: np.ndarray | None = None) -> RowHashing:
    """Hash rows as the duplicate check compares them: konto by its code, versions by their
    canonical names (so 'Utfall' and 'utfall' hash alike)."""
    canonical = {"account": _account_code, "version": canonical_version, "year": _years, "period": _periods}
    return RowHashing(hash_only, canonical, ("version", "account", *DIMENSIONS, "text"), keep=keep)


def filter_verdict(
    column: str, where: list[tuple[str, tuple[str, ...]]], exclude: list[tuple[str, tuple[str, ...]]]
) -> Callable[[str], bool]:
    """Whether a code of `column` passes the --where/--exclude rules on that column: all its
    --where prefixes match and none of its --exclude (filter_mask and collapsed reads alike)."""
    wanted = [prefixes for name, prefixes in where if column_key(name) == column]
    unwanted = [prefixes for name, prefixes in exclude if column_key(name) == column]

    def passes(code: str) -> bool:
        return all(code.startswith(p) for p in wanted) and not any(code.startswith(p) for p in unwanted)

    return passes


def apply_filters(
    frame: pd.DataFrame,
    where: list[tuple[str, tuple[str, ...]]],
    exclude: list[tuple[str, tuple[str, ...]]],
) -> pd.DataFrame:
    """--where keeps rows matching a prefix (all --where must hold); --exclude drops them."""
    keep = filter_mask(frame, where, exclude)
    return frame if keep is None else frame[keep]


def filter_mask(
    frame: pd.DataFrame,
    where: list[tuple[str, tuple[str, ...]]],
    exclude: list[tuple[str, tuple[str, ...]]],
    require_rows: bool = True,
) -> np.ndarray | None:
    """The rows apply_filters keeps (None: all of them). require_rows: filters that leave no
    row of a ledger that has some are an OptionError (most likely a typo)."""
    if not where and not exclude:
        return None
    for option, rules in (("--where", where), ("--exclude", exclude)):
        for name, _ in rules:
            column = column_key(name)
            if column not in frame or column in ("amount", "line", "year", "period"):
                files = "; ".join(
                    f"{file}: {', '.join(cells)}" for file, cells in frame.attrs.get("headers", {}).items()
                )
                raise OptionError(
                    f"{option} {name}=…: no column {name!r} to filter on in the ledger "
                    f"(use a code column: {', '.join(DIMENSIONS)} or konto). Columns found: {files}"
                )
    keep = np.ones(len(frame), dtype=bool)
    for column in dict.fromkeys(column_key(name) for name, _ in (*where, *exclude)):
        # Each code judged once, by the rule a collapsed read judges it by; an empty cell
        # matches no prefix: it passes where the column has no --where.
        passes = filter_verdict(column, where, exclude)
        empty_passes = not any(column_key(name) == column for name, _ in where)
        values = frame[column]
        verdicts = [passes(str(code)) for code in values.cat.categories] + [empty_passes]
        keep &= np.array(verdicts, dtype=bool)[values.cat.codes.to_numpy()]
    if require_rows and len(frame) and not keep.any():
        # Most likely a typo in a code: a table of zeros would look like an answer.
        used = [f"--where {n}={','.join(p)}" for n, p in where] + [f"--exclude {n}={','.join(p)}" for n, p in exclude]
        codes = "; ".join(
            f"{column_key(name)}: {', '.join(_some_codes(frame[column_key(name)]))}" for name, _ in (*where, *exclude)
        )
        raise OptionError(
            f"{' '.join(used)} leave none of the ledger's {counted_rows(frame)} rows. Codes found: {codes}"
        )
    return keep


def _some_codes(values: pd.Series, shown: int = 8) -> list[str]:
    # Every code found in the files: a collapsed read keeps one code per filter verdict in its
    # rows (ReadOptions.filter_only), but all of them as categories.
    codes = sorted(str(c) for c in values.cat.categories)
    return codes[:shown] + ([f"… ({len(codes)} codes)"] if len(codes) > shown else [])
