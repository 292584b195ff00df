"""Row hashing, in one place: a 64-bit FNV-style hash per row, for the duplicate check of
`kfollow reconcile` (of rows as read, and of the rows of a ledger frame), and the filter that
finds the rows that may have a twin without keeping a hash per row (TwinFilter)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
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
    # The rows hashed so far, as a filter of fixed size (one for a read of all the files: a
    # dataclasses.replace of this hashing shares it).
    twins: TwinFilter = field(default_factory=lambda: TwinFilter())


@dataclass(frozen=True)
class HashedRows:
    """What a file's read leaves for the duplicate check: how many rows went into the filter
    (RowHashing.twins), and the hashes of those of them that may have a twin (sorted, unique)."""

    rows: int
    candidates: np.ndarray


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


FILE_BYTES_PER_WORD = 256  # a filter word of 64 bits for every 256 bytes of file: 16 bits a 64-byte row

FILTER_BITS = 4  # bits set per row, in its one word

ROW_BITS = 12  # a filter takes rows until they have this many bits each: then a new one starts

BLOCK_SLOTS = 1 << 20  # slots for finding equal hashes within one block (_alike)


def _scrambled(row_hash: np.ndarray) -> np.ndarray:
    """MurmurHash3's finaliser: every bit of the FNV hash (whose low bits depend on the low bits
    of what was mixed in only) moves every bit of the result, so words and bits are spread."""
    mixed: np.ndarray = row_hash ^ (row_hash >> np.uint64(33))
    mixed *= np.uint64(0xFF51AFD7ED558CCD)
    mixed ^= mixed >> np.uint64(33)
    mixed *= np.uint64(0xC4CEB9FE1A85EC53)
    mixed ^= mixed >> np.uint64(33)
    return mixed


def _alike(row_hash: np.ndarray, mixed: np.ndarray) -> np.ndarray:
    """The hashes that come more than once among these rows. Only rows that share a slot of
    BLOCK_SLOTS (by 20 bits of the scrambled hash: 65k rows, ~6 %) are sorted: 3x faster than
    sorting them all."""
    slot = (mixed >> np.uint64(44)).astype(np.intp)
    crowded = np.bincount(slot, minlength=BLOCK_SLOTS)[slot] > 1
    ordered = np.sort(row_hash[crowded])
    alike: np.ndarray = ordered[1:][ordered[1:] == ordered[:-1]]
    return alike


def _word(high: np.ndarray, words: np.ndarray) -> np.ndarray:
    """Each row's word of a filter, from the high 32 bits of its scrambled hash: by multiply and
    shift, as even as a modulo, for a filter of any size."""
    return (high * np.uint64(len(words))) >> np.uint64(32)


class TwinFilter:
    """The rows that may have a twin (a row equal in every column hashed) among the rows seen,
    in memory that follows the files' size, not their rows: a blocked Bloom filter. Each row sets
    FILTER_BITS bits of one 64-bit word, both chosen by its hash; a row whose bits were all set
    before it may have been seen, and its hash is kept as a candidate (so are rows of one block
    with equal hashes). A row with a twin is always a candidate (no false negatives); ~0.15 % of
    the others are too (16 bits a row), and reconcile's second read compares them in full.

    The filter is sized when a file starts: a word for every FILE_BYTES_PER_WORD bytes. Where the
    rows outgrow it (lines shorter than 64 bytes, or more files), a new filter, as big as those
    before it together, takes the new rows; a row is looked for in every one. 50M rows of 63
    bytes: 94 MiB, where their hashes took 400 MB (and twice that while they were joined)."""

    def __init__(self) -> None:
        self.filters: list[np.ndarray] = []
        self.room = 0  # rows the newest filter takes before a new one starts (ROW_BITS a row)
        self.found: list[np.ndarray] = []
        self.paths: set[Path] = set()

    def _clear(self) -> None:
        self.filters, self.room, self.found, self.paths = [], 0, [], set()

    def start(self, path: Path) -> None:
        """Before a file's rows. A file added before means another read with the same options:
        the filter starts afresh (within one read each file comes once: load_ledger refuses two
        files of the same content)."""
        key = path.resolve()
        if key in self.paths:
            self._clear()
        self.paths.add(key)
        words = max(path.stat().st_size // FILE_BYTES_PER_WORD, 1 << 10)
        if self.room < words * 64 // 16:  # less than this file's rows (16 bits a row of 64 bytes)
            self._grow(words)

    def _grow(self, words: int) -> None:
        """A new filter, at least as big as all before it: however many files or rows come,
        the filters a row is looked for in stay few (their count grows as a logarithm)."""
        words = max(words, sum(len(earlier) for earlier in self.filters))
        self.filters.append(np.zeros(words, dtype="uint64"))
        self.room = words * 64 // ROW_BITS

    def add(self, row_hash: np.ndarray) -> None:
        """Rows' hashes, in the order read: those that may have a twin before them, or beside them
        in the same block, are kept as candidates."""
        if not len(row_hash):
            return
        if not self.filters or self.room < len(row_hash):
            self._grow(max(len(row_hash) // 4, 1 << 10))
        mixed = _scrambled(row_hash)
        bits = np.zeros(len(row_hash), dtype="uint64")
        for place in range(FILTER_BITS):
            bits |= np.uint64(1) << ((mixed >> np.uint64(6 * place)) & np.uint64(63))
        high = mixed >> np.uint64(32)
        seen = np.zeros(len(row_hash), dtype=bool)
        for words in self.filters[:-1]:
            seen |= (words[_word(high, words)] & bits) == bits
        words = self.filters[-1]
        word = _word(high, words)
        before = words[word]
        seen |= (before & bits) == bits
        self.found += [row_hash[seen], _alike(row_hash, mixed)]
        # Set the bits by assignment, then again, with ufunc.at, for the few rows whose word
        # another row of the block wrote after them (np.bitwise_or.at for every row: 1.5-2x as long).
        words[word] = before | bits
        lost = np.flatnonzero((words[word] & bits) != bits)
        if len(lost):
            np.bitwise_or.at(words, word[lost], bits[lost])
        self.room -= len(row_hash)

    def candidates(self) -> np.ndarray:
        """The hashes of the rows found since the last call that may have a twin: sorted, unique."""
        found = np.unique(np.concatenate(self.found)) if self.found else np.zeros(0, dtype="uint64")
        self.found = []
        return found


KEPT_BITS = 24  # the top bits of a hash that index kept()'s bitmap (2 MiB)


def keep_bitmap(keep: np.ndarray) -> np.ndarray:
    """A bitmap of the top KEPT_BITS bits of the hashes in `keep` (2 MiB), for kept()."""
    bitmap = np.zeros(1 << (KEPT_BITS - 3), dtype="uint8")
    top = keep >> np.uint64(64 - KEPT_BITS)
    np.bitwise_or.at(bitmap, top >> np.uint64(3), np.left_shift(1, top & np.uint64(7)).astype("uint8"))
    return bitmap


def kept(keep: np.ndarray, bitmap: np.ndarray, row_hash: np.ndarray) -> np.ndarray:
    """Which rows' hashes `keep` (sorted) holds. The bitmap of their top bits first (one look in
    2 MiB a row: 75k hashes let ~0.5 % of rows through), then a binary search for those only:
    50M rows against 75k hashes took ~5 s with the search alone."""
    if not len(keep):
        return np.zeros(len(row_hash), dtype=bool)
    top = row_hash >> np.uint64(64 - KEPT_BITS)
    maybe = np.flatnonzero((bitmap[top >> np.uint64(3)] >> (top & np.uint64(7)).astype("uint8")) & 1)
    at = np.minimum(np.searchsorted(keep, row_hash[maybe]), len(keep) - 1)
    found = np.zeros(len(row_hash), dtype=bool)
    found[maybe[keep[at] == row_hash[maybe]]] = True
    return found
