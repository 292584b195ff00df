"""Row hashing, in one place: a 64-bit FNV-style hash per row, for the duplicate check of
`kfollow reconcile` (of rows as read, and of the rows of a ledger frame)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class RowHashing:
    """With collapse: a 64-bit hash of every row as read, so that rows equal in every column
    can be looked for although the rows are summed (reconcile's duplicate check). A code is
    hashed as the value it stands for (`canonical`, e.g. konto '4711 Köp' as '4711'), an amount
    by its size (a file's sign may be turned later). Columns in `hash_only` are read for the
    hash and then dropped: they are no part of what is summed."""

    hash_only: frozenset[str] = frozenset()
    # Per code column, code -> the value it stands for; "year" and "period": normalise's readers
    # of those columns (a Series -> years; a Series -> years and months), as ledger gives them.
    canonical: dict[str, Callable[..., Any]] = field(default_factory=dict)
    # The code columns, in the order they are hashed: a column a file lacks is hashed as an
    # empty cell, so rows of files with other columns, or in another order, hash alike.
    keys: tuple[str, ...] = ()
    fixed_version: str | None = None  # a file given by --budget/--forecast/--outcome
    # Sorted hashes: read row by row, with every column, but keep only the rows whose hash is
    # one of these (the second read of the duplicate check: the rows that may be twins).
    keep: np.ndarray | None = None


HASHED_CONTENT = "hashed__content"  # per row: a column read only to be hashed held something

FNV_OFFSET = np.uint64(0xCBF29CE484222325)

FNV_PRIME = np.uint64(0x100000001B3)

HASH_MASK = (1 << 64) - 1

NULL_HASH = np.uint64(0x9E3779B97F4A7C15)  # an empty cell


def mix_into(row_hash: np.ndarray, values: np.ndarray | np.uint64) -> None:
    """FNV-style: fold one column's 64-bit values (or one value for every row) into the rows'
    hashes, in place."""
    row_hash ^= values
    row_hash *= FNV_PRIME


def joined(parts: list[np.ndarray]) -> np.ndarray:
    """np.concatenate, emptying `parts` as it goes: each part is freed once copied, so memory
    holds the whole only once (50M rows of hashes: 400 MB, not 800)."""
    joined = np.empty(sum(len(part) for part in parts), dtype=parts[0].dtype if parts else "uint64")
    at = 0
    parts.reverse()
    while parts:
        part = parts.pop()
        joined[at : at + len(part)] = part
        at += len(part)
    return joined


def row_hashes(
    rows: int, hashing: RowHashing, hashed: dict[str, np.ndarray], dates: dict[str, pd.Series]
) -> np.ndarray:
    """The rows' hashes from their year and month, read as normalise reads them (år, else the
    year in a YYYYMM period: hashing.canonical's "year" and "period" are normalise's own
    readers), and the code columns in hashing.keys; amounts are mixed in after."""
    none = np.full(rows, -1, dtype="int64")
    period_year, month = hashing.canonical["period"](dates["period"])[:2] if "period" in dates else (none, none)
    year = hashing.canonical["year"](dates["year"])[0] if "year" in dates else period_year
    row_hash = np.full(rows, FNV_OFFSET, dtype="uint64")
    mix_into(row_hash, np.asarray(year, dtype="int64").view("uint64"))
    mix_into(row_hash, np.asarray(month, dtype="int64").view("uint64"))
    for key in hashing.keys:
        if key in hashed:
            mix_into(row_hash, hashed[key])
        elif key == "version" and hashing.fixed_version is not None:
            mix_into(row_hash, np.uint64(hash(hashing.canonical["version"](hashing.fixed_version)) & HASH_MASK))
        else:
            mix_into(row_hash, NULL_HASH)
    return row_hash


def frame_row_hashes(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """One hash per row of a ledger frame over the columns' integer codes (categories by code,
    numbers by value): about three times as fast as pandas' hash_pandas_object, and equal rows
    always hash equal."""
    hashes = np.full(len(frame), FNV_OFFSET, dtype="uint64")
    for column in columns:
        values = frame[column]
        codes = values.cat.codes.to_numpy() if isinstance(values.dtype, pd.CategoricalDtype) else values.to_numpy()
        mix_into(hashes, codes.astype("uint64"))
    return hashes
