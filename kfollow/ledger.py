"""The ledger model: canonical columns and versions, the ledger frame, and what is asked of
it (row counts, exact sums per code, filters). Reading files into it is kfollow.read's job.

The ledger frame has:

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
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from .errors import OptionError

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
    "account_name": ("kontotext", "kontonamn", "kontobenämning", "benämning", "account name"),
    # Shapes of real exports (SPEC §1): a booking date instead of a period, debit and credit
    # instead of one amount.
    "date": ("bokföringsdatum", "bokforingsdatum", "verifikationsdatum", "datum", "date"),
    "debit": ("debet", "debit"),
    "credit": ("kredit", "credit"),
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
WIDE_VERSION = re.compile(r"^(utfall|budget|prognos|forecast|outcome)$|^(prognos|forecast)[-_ ].+$")


def canonical_version(name: str) -> str:
    key = name.strip().lower()
    return VERSION_ALIASES.get(key, key)


def known_version(name: str, extra: tuple[str, ...] = ()) -> bool:
    """utfall, budget, prognos (and aliases), a named forecast (prognos-april), or an extra."""
    return name in VERSION_ALIASES.values() or bool(WIDE_VERSION.match(name)) or name in extra


def constant_column(value: str | None, length: int) -> pd.Categorical:
    """A categorical column holding one value (None: empty) in every row, without a list of it."""
    if value is None:
        return pd.Categorical.from_codes(np.full(length, -1, dtype="int8"), categories=pd.Index([], dtype=object))
    return pd.Categorical.from_codes(np.zeros(length, dtype="int8"), categories=pd.Index([value], dtype=object))


def concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate ledger frames, keeping text columns categorical (plain concat would not)."""
    frames = [f for f in frames if len(f.columns)]
    if len(frames) == 1:
        return frames[0]
    columns = list(dict.fromkeys(c for f in frames for c in f.columns))
    out: dict[str, pd.Categorical | np.ndarray] = {}
    for column in columns:
        parts = [f[column] if column in f else pd.Series(constant_column(None, len(f)), index=f.index) for f in frames]
        if all(isinstance(p.dtype, pd.CategoricalDtype) for p in parts):
            out[column] = union_categoricals([p.cat.set_categories(p.cat.categories.astype(object)) for p in parts])
        else:
            out[column] = np.concatenate([p.to_numpy() for p in parts])
    return pd.DataFrame(out)


@dataclass(frozen=True)
class FullYearOnly:
    """A version's amounts for a year that a file gives for the whole year only (an SIE year
    that only #RES covers): a column of part of that year cannot be taken from them."""

    version: str
    year: int
    months: int  # the fiscal year's months: a column through fewer is part of the year
    where: str  # file:line of the first record
    record: str  # what the file holds, e.g. '#RES'


@dataclass(frozen=True)
class SieCheck:
    """A finding an SIE file makes about itself (a voucher that does not balance, #RES that
    differs), for `kfollow reconcile`."""

    code: str
    message: str
    subject: str
    figures: dict[str, Any]
    sources: tuple[str, ...]


@dataclass(eq=False)
class Ledger:
    """The ledger: its rows (`frame`, the columns above), what reading found out about its
    files, and, once the accounts are mapped (mapping.assign_rows), each row's table row.

    select() keeps rows of the frame and of `rows` in step; everything else describes the
    files, whatever rows are kept. (Not frozen: api.find_duplicates takes `row_hashes` over.)
    """

    frame: pd.DataFrame
    notes: tuple[str, ...] = ()  # what reading decided and says (signs, SIE reading)
    headers: dict[str, list[str]] = field(default_factory=dict)  # each file's own column names
    sie_files: tuple[str, ...] = ()
    sie_checks: tuple[SieCheck, ...] = ()
    sie_notes: tuple[str, ...] = ()
    year_labels: dict[int, str] = field(default_factory=dict)  # SIE fiscal years: {2016: "2015/16"}
    full_year_only: tuple[FullYearOnly, ...] = ()  # report.check_full_year refuses part-year columns
    file_signs: dict[str, str] = field(default_factory=dict)  # file name -> the sign it was read in
    # With ReadOptions.hashing: the hashes of the rows that may have a twin (reconcile's duplicate check)
    row_hashes: np.ndarray | None = None
    # Each row a row of a file with every column read (nothing summed, no column only hashed)
    rows_as_read: bool = True
    # Text files (CSV, SIE) whose last line has no line end, as `name:line`: it is read, but
    # the file may have been cut off there (reconcile notes it)
    unterminated: tuple[str, ...] = ()
    # Names of dimension codes the files give (SIE #OBJEKT): column -> code -> name; read only
    # for the dimensions a command asks for by name (the drill-down's)
    code_names: dict[str, dict[str, str]] = field(default_factory=dict)
    rows: pd.Categorical | None = None  # the table row of each ledger row, once mapped

    def select(self, keep: np.ndarray | None) -> Ledger:
        """The rows under `keep` (None: all), their table rows with them."""
        if keep is None:
            return self
        return replace(self, frame=self.frame[keep], rows=None if self.rows is None else self.rows[keep])

    def mapped(self) -> pd.Categorical:
        """The table row of each ledger row; a ledger must be mapped first."""
        if self.rows is None:
            raise ValueError("the ledger's accounts are not mapped yet: mapping.assign_rows or kfollow.map_accounts")
        return self.rows


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
    in_year: np.ndarray = ledger["year"].to_numpy() == year
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
    headers: dict[str, list[str]] | None = None,
) -> np.ndarray | None:
    """The rows apply_filters keeps (None: all of them). require_rows: filters that leave no
    row of a ledger that has some are an OptionError (most likely a typo). `headers`: each
    file's column names (Ledger.headers), named where a filter's column does not exist."""
    if not where and not exclude:
        return None
    for option, rules in (("--where", where), ("--exclude", exclude)):
        for name, _ in rules:
            column = column_key(name)
            if column not in frame or column in ("amount", "line", "year", "period"):
                files = "; ".join(f"{file}: {', '.join(cells)}" for file, cells in (headers or {}).items())
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
