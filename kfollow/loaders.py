"""File -> frame. Knows files (encodings, delimiters, number formats, sheets), not accounting.

Each reader is told by the caller which header names it wants (a ColumnPlan): it reads those
columns only, text as pandas categories (a ledger has few distinct codes, so parsing them once
each is what makes ten-million-row files fast) and amounts as integer öre. Every row keeps its
source line, so any later problem can point back into the file.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from . import progress
from .errors import MAX_REPORTED, LoadError, OptionError, capped
from .money import MINUS_SIGNS, THOUSANDS, clean_amount_text, exact_group_sums, floats_to_ore

SAMPLE_BYTES = 256 * 1024  # enough to sniff the dialect of any export's first lines
HEADER_SEARCH_ROWS = 30  # title rows above the header are skipped, within this many rows
DELIMITERS = (";", "\t", ",")


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
    # RowHashing: one hash per (non-blank) row of the file; None where rows were not hashed
    row_hashes: np.ndarray | None = None
    # Each row a row of the file with every column read: not so where rows may have been
    # summed, or codes of a filter-only column stand for others, or columns were only hashed.
    as_read: bool = True


class NoHeader(Exception):
    """No header row was found; carries the row that came nearest (or the first) and its line."""

    def __init__(self, cells: list[str], line: int) -> None:
        self.cells = cells
        self.line = line


def _nearest(rows: list[tuple[int, list[str]]], plan: Planner) -> NoHeader:
    """The row with the most known column names, else the first non-empty row."""
    filled = [(line, cells) for line, cells in rows if any(c.strip() for c in cells)]
    if not filled:
        return NoHeader([], 1)
    line, cells = max(filled, key=lambda row: (plan.score(row[1]), -row[0]))
    return NoHeader(cells, line)


def describe(path: Path) -> str:
    return path.name


# --- CSV -------------------------------------------------------------------------------------


def sniff_encoding(sample: bytes) -> str:
    """UTF-16 by its BOM (Excel's "Unicode text"); UTF-8 (a BOM is dropped) if the sample
    decodes as UTF-8; else cp1252."""
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig"


def _sample_lines(sample: bytes, encoding: str) -> list[str]:
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample, final=False)
    lines = text.splitlines()
    if len(sample) == SAMPLE_BYTES and lines:
        lines = lines[:-1]  # the last line may be cut off
    return lines


def _find_csv_header(lines: list[str], plan: Planner, delimiter: str | None) -> tuple[int, str, ColumnPlan]:
    """(line index, delimiter, plan) of the first line that is a header."""
    candidates = (delimiter,) if delimiter else DELIMITERS
    seen: list[tuple[int, list[str]]] = []
    for index, line in enumerate(lines[:HEADER_SEARCH_ROWS]):
        best: tuple[int, str, ColumnPlan] | None = None
        splits = [(delim, next(csv.reader([line], delimiter=delim), [])) for delim in candidates]
        for delim, cells in splits:
            found = plan(cells)
            if found and (best is None or len(found.text) + len(found.amounts) > best[0]):
                best = (len(found.text) + len(found.amounts), delim, found)
        if best:
            return index, best[1], best[2]
        seen.append((index + 1, max((c for _, c in splits), key=lambda c: (plan.score(c), len(c)))))
    raise _nearest(seen, plan)


def read_csv(
    path: Path,
    plan: Planner,
    encoding: str | None,
    delimiter: str | None,
    collapse: bool = False,
    filter_only: FilterOnly | None = None,
    hashing: RowHashing | None = None,
) -> Table:
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if not sample.strip():
        raise LoadError(f"{describe(path)}: the file is empty")
    chosen = encoding or sniff_encoding(sample)
    try:
        codec = codecs.lookup(chosen)
    except LookupError:
        codec = None
    if codec is None or not codec._is_text_encoding:
        raise OptionError(f"--encoding {chosen}: no such text encoding (try utf-8 or cp1252)")
    chosen = codec.name
    if encoding:
        try:
            codecs.getincrementaldecoder(chosen)().decode(sample, final=False)
        except UnicodeDecodeError:
            raise LoadError(_undecodable(path, chosen)) from None
    lines = _sample_lines(sample, chosen)
    header_index, delim, columns = _find_csv_header(lines, plan, delimiter)

    def attempt(enc: str) -> tuple[pd.DataFrame, list[str], np.ndarray | None]:
        return _read_csv_frame(path, enc, header_index, delim, columns, collapse, filter_only, hashing)

    try:
        frame, problems, hashes = attempt(chosen)
    except UnicodeDecodeError:
        if encoding is not None or chosen == "cp1252":
            raise LoadError(_undecodable(path, chosen)) from None
        chosen = "cp1252"
        try:
            frame, problems, hashes = attempt(chosen)
        except UnicodeDecodeError:
            raise LoadError(_undecodable(path, chosen)) from None
    return Table(frame, path, columns, header_index + 1, problems, hashes, as_read=not collapse)


def _read_csv_frame(
    path: Path,
    encoding: str,
    header_index: int,
    delim: str,
    columns: ColumnPlan,
    collapse: bool = False,
    filter_only: FilterOnly | None = None,
    hashing: RowHashing | None = None,
) -> tuple[pd.DataFrame, list[str], np.ndarray | None]:
    """Read the planned columns with Arrow's CSV reader, block by block.

    Each block is turned into numpy arrays at once (codes, integers, öre), so memory holds the
    compact columns, never the whole file as Arrow or Python strings. Text columns are Arrow
    dictionaries, whose codes stay text ("04711" stays). Amounts come as text and become
    exact decimals on their bytes (_plain_decimals); a block with a bad cell is parsed by the
    text parser instead, which names each bad cell.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    width = len(columns.header)
    names = [f"c{i}" for i in range(width)]
    ragged: list[int] = []

    def on_ragged(row: object) -> str:
        ragged.append(1)
        return "skip"

    # UTF-8 and single-byte encodings (cp1252) are parsed by Arrow's multi-threaded read_csv,
    # a chunk of whole lines at a time; cp1252 bytes stay bytes (binary), and only each block's
    # distinct codes are decoded, never the whole file. Other encodings (UTF-16) go through
    # Arrow's streaming reader, which transcodes. Measured on 10M rows (bench/README.md): the
    # streaming reader parses in 1.8 s where chunks take 1.2 s, and it transcodes cp1252 in
    # Python, chunks not at all.
    chunked = encoding in ("utf-8", "utf-8-sig") or _single_byte(encoding)
    binary = chunked and encoding not in ("utf-8", "utf-8-sig")
    value_type = pa.binary() if binary else pa.string()

    def read(amount_type: object, integer_type: object) -> tuple[pd.DataFrame, list[str], np.ndarray | None]:
        types = {names[p]: pa.dictionary(pa.int32(), value_type) for p in columns.text}
        types.update({names[p]: integer_type for p in columns.integers})
        types.update({names[p]: amount_type for p in columns.amounts})

        def parse_options(quote_char: str | bool = '"') -> Any:
            return pacsv.ParseOptions(
                delimiter=delim,
                quote_char=quote_char,
                # Blank lines stay as (empty) rows, so that row i is at line first_line + i.
                ignore_empty_lines=False,
                # (A binary read has no handler: Arrow would decode the row as UTF-8 to hand it
                # over. Its error names no line; _ragged_lines does.)
                invalid_row_handler=None if binary else on_ragged,
            )

        convert_options = pacsv.ConvertOptions(
            include_columns=[names[p] for p in sorted([*columns.text, *columns.amounts])],
            column_types=types,
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            null_values=[""],
            check_utf8=not binary,
        )

        def read_options(skip_rows: int) -> Any:
            return pacsv.ReadOptions(
                skip_rows=skip_rows,
                column_names=names,
                encoding="utf8" if chunked else encoding,
                block_size=BLOCK_BYTES,
            )

        if chunked:
            undefined = _undefined_bytes(encoding) if binary else b""
            # (Not for bytes read as binary: Arrow then fails to name a ragged line.)
            unquoted = None if binary else parse_options(quote_char=False)
            batches = _chunk_batches(
                path, read_options, parse_options(), convert_options, header_index + 1, undefined, unquoted
            )
        else:
            batches = _streamed_batches(path, read_options(header_index + 1), parse_options(), convert_options)
        blocks = _Blocks(
            path, columns, names, header_index + 2, collapse, filter_only, encoding if binary else None, hashing
        )
        # One worker turns the blocks into numpy columns while Arrow parses the next ones (both
        # release the GIL); a single worker keeps the blocks in order.
        with ThreadPoolExecutor(max_workers=1) as worker:
            pending = None
            for share, parsed in batches:
                if pending is not None:
                    pending.result()
                pending = worker.submit(lambda parsed=parsed: [blocks.add(batch) for batch in parsed])
                if progress.current is not None:
                    progress.current.update(share)
            if pending is not None:
                pending.result()
        del batches
        _give_back_memory()  # before the blocks are joined: that is where the peak is
        frame = blocks.frame()
        _give_back_memory()
        return frame, blocks.problems, blocks.row_hashes

    # Fast: integer periods, and amounts as text that each block turns into exact decimals on
    # its bytes. Where a year or period cell is no integer, read those as text too.
    attempts = [(value_type, pa.int32()), (value_type, pa.dictionary(pa.int32(), value_type))]
    for number, (amount_type, integer_type) in enumerate(attempts):
        ragged.clear()
        try:
            frame, problems, hashes = read(amount_type, integer_type)
            break
        except pa.ArrowInvalid as error:
            _raise_if_undecodable(error, encoding)
            if binary and re.search(r"Expected \d+ columns, got \d+", str(error)):
                raise LoadError(_ragged_lines(path, encoding, header_index, delim, width)) from None
            if number == len(attempts) - 1:
                raise LoadError(f"{describe(path)}: not a readable CSV file ({error})") from None
    if ragged:
        raise LoadError(_ragged_lines(path, encoding, header_index, delim, width))
    return frame, problems, hashes


EMPTY_INTEGER = -(2**31)  # an empty cell in a column read as integers
CHUNK_BYTES = 64 << 20  # read_csv parses this much of the file at a time, on every core


def _single_byte(encoding: str) -> bool:
    """An encoding of one byte per character that keeps ASCII (cp1252, latin-1): its
    delimiters, quotes, digits and line ends are the bytes UTF-8 has."""
    try:
        return len("åÅ;\n".encode(encoding)) == 4 and "a;1\n".encode(encoding) == b"a;1\n"
    except (UnicodeError, LookupError):
        return False


def _undefined_bytes(encoding: str) -> bytes:
    """The bytes a single-byte encoding has no character for (cp1252: 0x81, 0x8D, 0x8F, …)."""
    undefined = []
    for byte in range(256):
        try:
            bytes([byte]).decode(encoding)
        except UnicodeDecodeError:
            undefined.append(byte)
    return bytes(undefined)


def _chunk_batches(
    path: Path,
    read_options: Callable[[int], Any],
    parse_options: Any,
    convert_options: Any,
    skip_rows: int,
    undefined: bytes = b"",
    unquoted: Any = None,
) -> Iterator[tuple[float, list[Any]]]:
    """(share of the file read, record batches) for each CHUNK_BYTES of whole lines.

    A chunk ends after a line feed, as Arrow's own blocks do (newlines in quoted values are not
    read as such by either), so the rows are those of one read of the whole file. Bytes the
    encoding cannot decode are looked for in every chunk (memchr: 5 ms per chunk and byte), as
    if the whole file were decoded; the caller then names the line.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    size = path.stat().st_size
    with path.open("rb") as handle:
        start = 0
        while start < size:
            handle.seek(start)
            # The first chunk holds at least the sample, where the header was found: the rows
            # above it are skipped within that chunk.
            data = handle.read(CHUNK_BYTES if start else max(CHUNK_BYTES, SAMPLE_BYTES))
            if start + len(data) < size:
                cut = data.rfind(b"\n") + 1
                while not cut:  # a line longer than a chunk: read on to its end
                    more = handle.read(CHUNK_BYTES)
                    data += more
                    cut = data.rfind(b"\n") + 1 if more else len(data)
                data = data[:cut]
            for byte in undefined:
                if data.find(byte) >= 0:
                    raise UnicodeDecodeError("single-byte", data, data.find(byte), data.find(byte) + 1, "undefined")
            table = pacsv.read_csv(
                pa.py_buffer(data),
                read_options=read_options(skip_rows if start == 0 else 0),
                # A chunk without a quote character is parsed as such: the same rows, and the
                # tokenizer has no quotes to watch for (10M rows: 3.1-3.3 -> 2.6-2.7 s of CPU).
                parse_options=parse_options if unquoted is None or b'"' in data else unquoted,
                convert_options=convert_options,
            )
            start += len(data)
            del data
            yield start / max(size, 1), table.to_batches()


def _streamed_batches(
    path: Path, read_options: Any, parse_options: Any, convert_options: Any
) -> Iterator[tuple[float, list[Any]]]:
    """(share of the file read, [record batch]) from Arrow's streaming reader (which transcodes)."""
    import pyarrow.csv as pacsv

    reader = pacsv.open_csv(
        path, read_options=read_options, parse_options=parse_options, convert_options=convert_options
    )
    total = max(path.stat().st_size, 1)
    for count, batch in enumerate(reader, start=1):
        yield min(count * BLOCK_BYTES / total, 1.0), [batch]  # blocks are about BLOCK_BYTES each


def _give_back_memory() -> None:
    """Return the parser's freed memory to the system (Arrow's pool, and glibc's heap through
    malloc_trim, a no-op elsewhere), so that the later stages' peak does not stack on it."""
    import ctypes
    import ctypes.util

    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


MERGE_ROWS = 1 << 21  # collapsed parts are merged when this many rows have piled up
BLOCK_BYTES = 4 << 20  # Arrow parses this much per block; small blocks keep memory flat


class _Blocks:
    """Collects Arrow record batches as numpy columns; builds the frame at the end."""

    def __init__(
        self,
        path: Path,
        columns: ColumnPlan,
        names: list[str],
        first_line: int,
        collapse: bool = False,
        filter_only: FilterOnly | None = None,
        encoding: str | None = None,
        hashing: RowHashing | None = None,
    ):
        self.path, self.columns, self.names = path, columns, names
        self.encoding = encoding  # text comes as bytes in this encoding (None: as text)
        self.first_line = first_line
        # Sum rows that are equal in every column read (ReadOptions.collapse): memory then
        # grows with the distinct combinations, not with the file. The blocks are summed
        # together each time MERGE_ROWS rows have come in (combinations repeat across blocks
        # more than within one); once that does not halve them, the rows are kept as they are.
        self.collapse = collapse
        # Columns read only for --where/--exclude: when collapsing, each code is stored as the
        # first code seen with the same verdict, so that 500 000 verksamhet × konto × month
        # combinations become a few thousand. The filters then keep exactly the rows they would
        # have kept; the column's categories still list every code found.
        self.filter_only = filter_only if collapse else None
        self.verdicts: dict[str, list[int]] = {}  # per such column: code -> representative code
        self.representative: dict[str, dict[bool, int]] = {}
        # A wide file's row holds several ledger rows: its hash would not tell them apart.
        wide = any(key.startswith("wide:") for key in columns.amounts.values())
        keeping = hashing is not None and hashing.keep is not None
        self.hashing = hashing if (collapse or keeping) and not wide else None
        self.hashes: list[np.ndarray] = []
        self.row_hashes: np.ndarray | None = None  # joined by frame()
        self.code_hashes: dict[str, tuple[np.ndarray, int]] = {}  # per text column: hashes of its codes, count
        self.hopeless = False
        self.pending = 0  # rows come in since the last merge
        self.block_misses = 0  # blocks that did not halve on their own: after 3, no more tries
        self.part_rows: list[np.ndarray | None] = []  # per part: rows each row stands for (None: 1)
        self.rows = 0
        self.parts: dict[str, list[np.ndarray]] = {}
        self.categories: dict[str, dict[str, int]] = {}  # per text column read as dictionary
        self.problems: list[str] = []
        self.bad_count: dict[int, int] = {}

    def _keep(self, key: str, values: np.ndarray) -> None:
        self.parts.setdefault(key, []).append(values)

    def add(self, batch: object) -> None:
        """Keep one block's columns as numpy arrays: summed on its own where that halves it,
        and with the blocks before it each time MERGE_ROWS rows have come in."""
        self._add(batch)
        self.part_rows.append(None)
        if not self.collapse or self.hopeless:
            return
        if self.block_misses < 3:
            block = {key: parts[-1] for key, parts in self.parts.items()}
            summed = _collapsed_or_none(block, set(self.columns.amounts.values()))
            if summed is not None and 2 * len(summed["line"]) <= len(block["line"]):
                for key, values in summed.items():
                    if key != "rows":
                        self.parts[key][-1] = values
                self.part_rows[-1] = summed["rows"]
            else:
                self.block_misses += 1
        self.pending += batch.num_rows  # type: ignore[attr-defined]
        if self.pending >= MERGE_ROWS:
            self._merge()

    def _arrays(self) -> dict[str, np.ndarray]:
        """The parts joined (and dropped, column by column, so the peak is one column). A
        `rows` count is there once a merge has summed rows: the parts read since count one."""
        if any(rows is not None for rows in self.part_rows):
            counts = [
                rows if rows is not None else np.ones(len(line), dtype="int64")
                for rows, line in zip(self.part_rows, self.parts["line"], strict=True)
            ]
            self.parts["rows"] = counts
        arrays = {}
        for key, parts in self.parts.items():
            arrays[key] = np.concatenate(parts) if parts else np.zeros(0, dtype="int32")
            parts.clear()
        self.part_rows = []
        return arrays

    def _merge(self) -> dict[str, np.ndarray]:
        """Sum the parts so far into one; where that does not halve them, stop trying."""
        arrays = self._arrays()
        merged = _collapsed_or_none(arrays, set(self.columns.amounts.values()))
        if merged is None or 2 * len(merged["line"]) > len(arrays["line"]):
            self.hopeless = True
        else:
            arrays = merged
        self.part_rows = [arrays.get("rows")]
        self.parts = {key: [values] for key, values in arrays.items() if key != "rows"}
        self.pending = 0
        return arrays

    def _add(self, batch: object) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        hashing = self.hashing
        rows = batch.num_rows  # type: ignore[attr-defined]
        blank = np.ones(rows, dtype=bool)  # as _blank_rows will judge the row (hashing only)
        hashed_content = np.zeros(rows, dtype=bool)  # something in a column only hashed
        hashed: dict[str, np.ndarray] = {}  # per code column: the hash of each row's value
        dates: dict[str, pd.Series] = {}  # year/period as read, for the hash
        for position, key in self.columns.text.items():
            column = batch.column(self.names[position])  # type: ignore[attr-defined]
            if pa.types.is_integer(column.type):
                values = column.fill_null(EMPTY_INTEGER).to_numpy()
                if hashing is not None:
                    blank &= values == EMPTY_INTEGER
                    dates[key] = pd.Series(values)
                self._keep(key, values)
                continue
            # Codes are stripped (' 28910' is 28910, as in a spreadsheet cell); blank is empty.
            values = column.dictionary.to_pylist()
            if self.encoding is not None:
                values = [value.decode(self.encoding) for value in values]
            indices = pc.fill_null(column.indices, -1).to_numpy()
            if hashing is not None and key in hashing.hash_only and hashing.keep is None:
                # Only hashed: this block's values, hashed here, and no table-wide list of them
                # (a text column may hold as many values as rows).
                stripped = [value.strip() for value in values]
                value_hashes = [hash(v) & _MASK if v else _NULL_HASH for v in stripped]
                hashed[key] = np.array([*value_hashes, _NULL_HASH], dtype="uint64")[indices]
                present = np.array([*(bool(v) for v in stripped), False])[indices]
                blank &= ~present
                hashed_content |= present
                continue
            # Translate this block's dictionary into codes of one table-wide category list;
            # the extra last slot maps a null (code -1) to -1.
            known = self.categories.setdefault(key, {})
            lookup = np.array(
                [known.setdefault(code, len(known)) if (code := value.strip()) else -1 for value in values] + [-1],
                dtype="int32",
            )
            if hashing is not None:
                blank &= lookup[indices] < 0
                if key in ("year", "period"):
                    categories = pd.Index(list(known), dtype=object)
                    dates[key] = pd.Series(pd.Categorical.from_codes(lookup[indices], categories, validate=False))
                else:
                    value_hashes, null = self._value_hashes(key, known, hashing)
                    hashed[key] = value_hashes[np.where(lookup < 0, null, lookup)][indices]
            if self.filter_only and key in self.filter_only:
                lookup = self._representatives(key, known, lookup)
            self._keep(key, lookup[indices])
        lines = np.arange(self.rows, self.rows + batch.num_rows, dtype="int32")  # type: ignore[attr-defined]
        lines += self.first_line
        self._keep("line", lines)
        for position, key in self.columns.amounts.items():
            column = batch.column(self.names[position])  # type: ignore[attr-defined]
            empty = column.is_null().to_numpy(zero_copy_only=False)
            ore = _typed_ore(column)  # a Parquet column of numbers: no text in between
            if ore is not None:
                self._keep(key, ore)
                self._keep(f"{key}__empty", empty)
                continue
            if not (pa.types.is_string(column.type) or pa.types.is_binary(column.type)):
                column = pc.cast(column, pa.string())  # exact: a float's shortest text is its decimal
            decimals = _plain_decimals(column, self.encoding or "utf-8")
            ore = _decimal_ore(decimals) if decimals is not None else None
            if ore is None:  # unusual cells in this block: the exact text parser names each
                text = column.to_pandas()
                if self.encoding is not None:
                    text = text.str.decode(self.encoding)
                text = pd.Series(text, dtype="str")
                ore, bad = text_to_ore(text)
                bad &= ~empty
                if bad.any():
                    self._bad(bad, text, lines, position)
            self._keep(key, ore)
            self._keep(f"{key}__empty", empty)
        if hashing is not None:
            row_hash = _row_hashes(rows, hashing, hashed, dates)
            for key in self.columns.amounts.values():
                _mix(row_hash, np.abs(self.parts[key][-1]).view("uint64"))
                _mix(row_hash, self.parts[f"{key}__empty"][-1].astype("uint64"))
                blank &= self.parts[f"{key}__empty"][-1]
            if hashing.keep is not None:
                at = np.minimum(np.searchsorted(hashing.keep, row_hash), len(hashing.keep) - 1)
                wanted = ~blank & (hashing.keep[at] == row_hash) if len(hashing.keep) else ~blank & False
                for parts in self.parts.values():
                    parts[-1] = parts[-1][wanted]
            elif hashing.hash_only:
                # A row with text only in dropped columns is no blank line: it stays apart, and
                # the checks after reading name it as a full read would.
                self._keep(HASHED_CONTENT, hashed_content)
            self.hashes.append(row_hash[~blank])
        self.rows += batch.num_rows  # type: ignore[attr-defined]

    def _value_hashes(self, key: str, known: dict[str, int], hashing: RowHashing) -> tuple[np.ndarray, int]:
        """(per code of a column, the hash of the value it stands for; the slot of a null)."""
        buffer, count = self.code_hashes.get(key, (np.zeros(64, dtype="uint64"), 0))
        if len(known) + 1 > len(buffer):
            buffer = np.concatenate([buffer, np.zeros(max(len(buffer), len(known) + 1), dtype="uint64")])
        canonical = hashing.canonical.get(key)
        for code in _new_codes(known, count):
            value = canonical(code) if canonical is not None else code
            buffer[count] = hash(value) & _MASK  # Python's hash: equal values hash equal in one run
            count += 1
        self.code_hashes[key] = (buffer, count)
        buffer[count] = _NULL_HASH  # the next code's slot, until there is one
        return buffer, count

    def _representatives(self, key: str, known: dict[str, int], lookup: np.ndarray) -> np.ndarray:
        """Codes -> the first code with the same filter verdict (the null code -1 stays)."""
        assert self.filter_only is not None
        passes, verdicts = self.filter_only[key], self.verdicts.setdefault(key, [])
        first = self.representative.setdefault(key, {})
        for code in _new_codes(known, len(verdicts)):
            verdicts.append(first.setdefault(passes(code), len(verdicts)))
        mapped = np.array([*verdicts, -1], dtype="int32")
        return mapped[lookup]

    def _bad(self, bad: np.ndarray, text: pd.Series, lines: np.ndarray, position: int) -> None:
        header = self.columns.header[position].strip()
        found = self.bad_count.get(position, 0)
        rows = np.flatnonzero(bad)
        values = text.to_numpy()
        self.problems += [
            _amount_problem(self.path, lines[i], header, values[i]) for i in rows[: max(MAX_REPORTED - found, 0)]
        ]
        self.bad_count[position] = found + len(rows)

    def frame(self) -> pd.DataFrame:
        self.row_hashes = _joined(self.hashes) if self.hashing else None
        for position, total in self.bad_count.items():
            self.problems += _more_bad_amounts(self.path, self.columns.header[position].strip(), total)
        out: dict[str, object] = {}
        if self.collapse and not self.hopeless and self.rows:  # the last blocks too
            arrays = self._merge()
        else:
            arrays = self._arrays()
        for key, values in arrays.items():
            if key in self.categories:
                categories = np.array(list(self.categories[key]), dtype=object)
                out[key] = pd.Categorical.from_codes(values, categories=categories, validate=False)
            else:
                out[key] = values
        if not self.rows:  # a header and nothing below it
            out = {key: np.zeros(0, dtype="int32") for key in ["line", *self.columns.text.values()]}
            for key in self.columns.amounts.values():
                out[key] = np.zeros(0, dtype="int64")
                out[f"{key}__empty"] = np.zeros(0, dtype=bool)
        frame = pd.DataFrame(out, copy=False)
        blank = _blank_rows(frame, self.columns)
        return frame[~blank].reset_index(drop=True) if blank.any() else frame


HASHED_CONTENT = "hashed__content"  # per row: a column read only to be hashed held something
_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_MASK = (1 << 64) - 1
_NULL_HASH = np.uint64(0x9E3779B97F4A7C15)  # an empty cell


def _mix(row_hash: np.ndarray, values: np.ndarray) -> None:
    """FNV-style: fold one column's 64-bit values into the rows' hashes, in place."""
    row_hash ^= values
    row_hash *= _FNV_PRIME


def _joined(parts: list[np.ndarray]) -> np.ndarray:
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


def _row_hashes(
    rows: int, hashing: RowHashing, hashed: dict[str, np.ndarray], dates: dict[str, pd.Series]
) -> np.ndarray:
    """The rows' hashes from their year and month, read as normalise reads them (år, else the
    year in a YYYYMM period: hashing.canonical's "year" and "period" are normalise's own
    readers), and the code columns in hashing.keys; amounts are mixed in after."""
    none = np.full(rows, -1, dtype="int64")
    period_year, month = hashing.canonical["period"](dates["period"])[:2] if "period" in dates else (none, none)
    year = hashing.canonical["year"](dates["year"])[0] if "year" in dates else period_year
    row_hash = np.full(rows, _FNV_OFFSET, dtype="uint64")
    _mix(row_hash, np.asarray(year, dtype="int64").view("uint64"))
    _mix(row_hash, np.asarray(month, dtype="int64").view("uint64"))
    for key in hashing.keys:
        if key in hashed:
            _mix(row_hash, hashed[key])
        elif key == "version" and hashing.fixed_version is not None:
            _mix(row_hash, np.uint64(hash(hashing.canonical["version"](hashing.fixed_version)) & _MASK))
        else:
            _mix(row_hash, _NULL_HASH)
    return row_hash


def _new_codes(known: dict[str, int], before: int) -> list[str]:
    """The codes added to `known` since it held `before` of them, in code order (a dict keeps
    the order of insertion; reading from its end costs only the new ones)."""
    return list(islice(reversed(known), len(known) - before))[::-1]


def _fits_int32(array: Any) -> bool:
    """An integer column that int32 holds (EMPTY_INTEGER is kept for an empty cell)."""
    import pyarrow.compute as pc

    extremes = pc.min_max(array)
    low, high = extremes["min"].as_py(), extremes["max"].as_py()
    return low is None or (EMPTY_INTEGER < low and high < 2**31)


def _typed_ore(column: Any) -> np.ndarray | None:
    """öre from a numeric Arrow column (Parquet), exactly; None for text, or when a value is
    not kronor with at most two decimals (the text path then names the cell)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_decimal(kind):
        try:
            return _decimal_ore(pc.cast(column, pa.decimal128(18, 2)))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
    if pa.types.is_integer(kind):
        extremes = pc.min_max(column)
        low, high = extremes["min"].as_py(), extremes["max"].as_py()
        if low is not None and (low <= -LIMIT_ORE // 100 or high >= LIMIT_ORE // 100):
            return None  # beyond 16 digits of kronor (or an unsigned wrap): the text path names it
        return column.fill_null(0).to_numpy(zero_copy_only=False).astype("int64") * 100
    if pa.types.is_floating(kind):
        ore, bad = floats_to_ore(column.fill_null(0).to_numpy(zero_copy_only=False))
        return None if bad.any() else ore
    return None


def _collapsed_or_none(arrays: dict[str, np.ndarray], amounts: set[str]) -> dict[str, np.ndarray] | None:
    """collapse_rows, or None where a sum would not fit int64: the rows are then kept whole,
    and the table's own group-by decides (as for a full read)."""
    try:
        return collapse_rows(arrays, amounts)
    except LoadError:
        return None


def collapse_rows(arrays: dict[str, np.ndarray], amounts: set[str]) -> dict[str, np.ndarray]:
    """Rows equal in every column but the amounts, line and row count -> one row each: amounts
    summed exactly, `rows` counted, `line` the first. No table kfollow prints can tell."""
    keys = [k for k in arrays if k not in amounts and k not in ("line", "rows")]
    if not len(arrays["line"]):  # an empty batch (Arrow gives one for a chunk of blank lines)
        return {**arrays, "rows": arrays.get("rows", np.zeros(0, dtype="int64"))}
    group, first = _groups([arrays[k] for k in keys])
    order = np.argsort(first, kind="stable")  # groups in file order: first lines stay first
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    group, first = rank[group], first[order]
    groups = len(first)
    out = {k: arrays[k][first] for k in keys}
    out["line"] = arrays["line"][first]
    out["rows"] = np.bincount(group, weights=arrays.get("rows"), minlength=groups).astype("int64")
    for key in amounts:
        out[key] = exact_group_sums(group, arrays[key], groups)[1]
    return out


def _groups(columns: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(group of each row, first row of each group) for rows equal in every column. The
    columns are small integers (codes, years, flags): packed into one int64 key where their
    ranges allow, and grouped by one np.unique; else by pandas."""
    key = np.zeros(len(columns[0]), dtype="int64")
    room = 1
    for column in columns:
        low, high = int(column.min()), int(column.max())
        span = high - low + 1
        room *= span
        if room >= 2**62:
            frame = pd.DataFrame({str(i): c for i, c in enumerate(columns)}, copy=False)
            group = frame.groupby(list(frame.columns), sort=False).ngroup().to_numpy()
            _, first = np.unique(group, return_index=True)
            return group, first
        key *= span
        key += column.astype("int64") - low
    if room <= max(4 * len(key), 1 << 16):  # dense keys: count them, no sort
        present = np.flatnonzero(np.bincount(key, minlength=room))
        rank = np.zeros(room, dtype="int64")
        rank[present] = np.arange(len(present))
        group = rank[key]
        first = np.full(len(present), len(key), dtype="int64")
        np.minimum.at(first, group, np.arange(len(key)))
        return group, first
    _, first, group = np.unique(key, return_index=True, return_inverse=True)
    return group.reshape(-1), first


def _raise_if_undecodable(error: Exception, encoding: str) -> None:
    """Arrow reports bytes that are not UTF-8 as ArrowInvalid; make it a decode error."""
    if "utf8" in str(error).lower() or "utf-8" in str(error).lower():
        raise UnicodeDecodeError(encoding, b"", 0, 1, str(error)) from None


def _ragged_lines(path: Path, encoding: str, header_index: int, delim: str, width: int) -> list[str]:
    """Name the lines whose field count differs from the header's (error path only)."""
    found = []
    with path.open(encoding=encoding, newline="") as handle:
        for number, row in enumerate(csv.reader(handle, delimiter=delim), start=1):
            if number > header_index + 1 and row and len(row) != width:
                found.append(
                    f"{describe(path)}:{number}: {len(row)} fields where the header has {width}"
                    + ("; is --delimiter right?" if len(row) == 1 else "")
                )
    return capped(found) or [f"{describe(path)}: rows with a field count unlike the header's"]


def _blank_rows(frame: pd.DataFrame, columns: ColumnPlan) -> np.ndarray:
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


def _amount_problem(path: Path, line: int, header: str, value: object) -> str:
    return (
        f"{describe(path)}:{line}: column {header!r}: {str(value)!r}: not an amount in kronor "
        "(at most 16 digits and 2 decimals)"
    )


def _more_bad_amounts(path: Path, header: str, total: int) -> list[str]:
    """The line that stands for the bad cells past MAX_REPORTED."""
    if total <= MAX_REPORTED:
        return []
    return [f"… and {total - MAX_REPORTED} more bad amounts in {describe(path)}, column {header!r}"]


def _bad_amounts(
    bad: np.ndarray, raw: pd.Series, line: np.ndarray, path: Path, columns: ColumnPlan, position: int
) -> list[str]:
    rows = np.flatnonzero(bad)
    header = columns.header[position].strip()
    values = raw.to_numpy()
    found = [_amount_problem(path, line[i], header, values[i]) for i in rows[:MAX_REPORTED]]
    return found + _more_bad_amounts(path, header, len(rows))


def _decimal_ore(column: Any) -> np.ndarray | None:
    """öre from a decimal128(18, 2) array (0 where empty); None if a value does not fit.

    The unscaled value of a decimal with scale 2 is the amount in öre: the low 64 bits of each
    128-bit value. Arrow does not hold a CSV cell to the declared precision, so a value whose
    high word is more than the low word's sign, or that is over the limit, does not fit.
    """
    import pyarrow as pa

    if column.offset:
        column = pa.concat_arrays([column])
    words = np.frombuffer(column.buffers()[1], dtype="<i8")[: 2 * len(column)]
    ore = words[0::2].copy()
    valid = column.is_valid().to_numpy(zero_copy_only=False)
    if ((words[1::2] != (ore >> 63)) | (np.abs(ore) >= LIMIT_ORE))[valid].any():
        return None
    ore[~valid] = 0
    return ore


def _encoded(characters: tuple[str, ...], encoding: str) -> tuple[bytes, ...]:
    """money's separators or minus signs as the bytes of an encoding (those it has)."""
    found = []
    for character in characters:
        try:
            found.append(character.encode(encoding))
        except UnicodeEncodeError:
            pass
    return tuple(found)


def _drop_spaces_and_minus_signs(
    data: np.ndarray, offsets: np.ndarray, encoding: str = "utf-8"
) -> tuple[np.ndarray, np.ndarray]:
    """Drop space, NBSP and U+202F bytes and turn U+2212 and en dashes into '-' (as encoded)."""
    drop = np.zeros(len(data), dtype=bool)
    spaces, minuses = _encoded(THOUSANDS, encoding), _encoded(MINUS_SIGNS, encoding)
    for pattern in (*spaces, *minuses):
        width = len(pattern)
        if len(data) < width:
            continue
        hit = np.ones(len(data) - width + 1, dtype=bool)
        for i, byte in enumerate(pattern):
            hit &= data[i : len(data) - width + 1 + i] == byte
        at = np.flatnonzero(hit)
        for i in range(width):
            drop[at + i] = True
        if pattern in minuses:  # keep the first byte, as '-'
            data[at] = ord("-")
            drop[at] = False
    if not drop.any():
        return data, offsets
    removed = np.concatenate([[0], np.cumsum(drop, dtype=np.int32)])
    return data[~drop], (offsets - removed[offsets]).astype("<i4")


def _plain_decimals(column: Any, encoding: str = "utf-8") -> Any | None:
    """Swedish amount text -> decimal128(18, 2), vectorised on the bytes of the block (UTF-8,
    or the single-byte encoding of a binary column).

    Spaces (as thousands separators: space, NBSP, U+202F) are dropped, U+2212 and the en dash
    become '-', a decimal comma becomes a point; then Arrow casts, exactly. None if any cell
    has more than 2 decimals or will not cast (the caller then parses the block as text and
    names the bad cells).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if column.offset:
        column = pa.concat_arrays([column])
    offsets = np.frombuffer(column.buffers()[1], dtype="<i4")[: len(column) + 1]
    data = np.frombuffer(column.buffers()[2], dtype=np.uint8)[: offsets[-1]]
    commas = data == ord(",")
    odd = (data == ord(" ")).any() or (data >= 0x80).any()  # a space, or a non-ASCII character
    if commas.any() or odd:
        data = data.copy()
        data[commas] = ord(".")  # a comma is a decimal mark in every dialect of SPEC §1
    if odd:
        data, offsets = _drop_spaces_and_minus_signs(data, offsets, encoding)
        if (data >= 0x80).any():  # another character: the text parser names the cell
            return None
    # Arrow would take '1,000' as 1 kr; more than 2 decimals is a bad cell (often an English
    # thousands separator), so such a block goes to the text parser, which names it. A cell
    # has at most 2 decimals when its end comes within 3 bytes after its point.
    points = np.flatnonzero(data == ord("."))
    if len(points):
        ends = np.zeros(len(data) + 4, dtype=bool)
        ends[offsets[1:]] = True
        if not (ends[points + 1] | ends[points + 2] | ends[points + 3]).all():
            return None
    text = pa.StringArray.from_buffers(
        len(column), pa.py_buffer(offsets), pa.py_buffer(data), column.buffers()[0], column.null_count
    )
    try:
        return pc.cast(text, pa.decimal128(18, 2))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


# At most 16 digits of kronor (|öre| < 10**18 fits int64) and 2 decimals; '.5' is 0.50.
_AMOUNT = r"^[-+]?(\d{0,16})(?:\.(\d{0,2}))?$"
# What Arrow's decimal parser also takes, so that both readers agree on a cell: '1.5e2'.
_EXPONENT = r"^[-+]?(?:\d+\.?\d*|\.\d+)[eE][-+]?\d{1,3}$"
LIMIT_ORE = 10**18


def text_to_ore(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Amount text (any Swedish dialect) -> exact öre, vectorised; mask of cells that are no amount."""
    clean = clean_amount_text(text)
    parts = clean.str.extract(_AMOUNT)
    digits = parts[0].fillna("") + parts[1].fillna("")
    ok = (parts[0].notna() & (digits != "")).to_numpy(dtype=bool)
    whole = pd.to_numeric(parts[0].replace("", "0"), errors="coerce").fillna(0).to_numpy(dtype="int64")
    cents = parts[1].fillna("").str.ljust(2, "0")
    fraction = pd.to_numeric(cents.where(ok, "0"), errors="coerce").fillna(0).to_numpy(dtype="int64")
    negative = clean.str.startswith("-").fillna(False).to_numpy(dtype=bool)
    ore = np.where(ok, (whole * 100 + fraction) * np.where(negative, -1, 1), 0)
    scientific = clean.str.match(_EXPONENT).fillna(False).to_numpy(dtype=bool) & ~ok
    if scientific.any():  # rare: parsed through a double, exact while it has ≤ 2 decimals
        values = pd.to_numeric(clean.where(scientific, "0"), errors="coerce").to_numpy(dtype="float64")
        exp_ore, exp_bad = floats_to_ore(values)
        exp_bad |= np.abs(values) * 100 >= LIMIT_ORE
        ore = np.where(scientific & ~exp_bad, exp_ore, ore)
        ok = ok | (scientific & ~exp_bad)
    return ore, ~ok


def _undecodable(path: Path, encoding: str) -> str:
    data = path.read_bytes()
    try:
        data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        byte = data[error.start : error.start + 1].hex()
        other = "utf-8" if encoding.replace("-", "").lower() != "utf8" and "utf" not in encoding else "cp1252"
        return (
            f"{describe(path)}:{line}: byte 0x{byte} cannot be read as {encoding}; "
            f"name the file's encoding with --encoding (e.g. --encoding {other}, or latin-1 or "
            "cp437 for older exports)"
        )
    return f"{describe(path)}: cannot be read as {encoding}; name its encoding with --encoding"


# --- XLSX ------------------------------------------------------------------------------------


def _cell_text(value: object) -> str | None:
    """An Excel cell as text, as it would appear in a CSV: 3111.0 -> '3111'."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def read_xlsx(path: Path, plan: Planner, sheet: str | None) -> Table:
    # calamine (Rust) reads a sheet about ten times as fast as openpyxl's cell-by-cell parser
    # (bench/README.md); openpyxl stays for writing workbooks.
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as error:  # calamine raises its own types for a file that is no workbook
        raise LoadError(f"{describe(path)}: not a readable .xlsx workbook ({error})") from None
    sheets = {m.name: m for m in workbook.sheets_metadata}
    if sheet is None:
        sheets_of_cells = [m for m in workbook.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
        visible = [m for m in sheets_of_cells if m.visible == SheetVisibleEnum.Visible]
        name = (visible or sheets_of_cells)[0].name if sheets_of_cells else None
        if name is None:
            raise LoadError(f"{describe(path)}: the workbook has no sheet of cells")
    elif sheet in sheets:
        name = sheet
        if sheets[sheet].typ != SheetTypeEnum.WorkSheet:
            raise OptionError(f"--sheet {sheet}: in {describe(path)} that is a chart, not a sheet of cells")
    else:
        names = ", ".join(workbook.sheet_names)
        raise OptionError(f"--sheet {sheet}: {describe(path)} has no sheet named {sheet!r}; its sheets are: {names}")
    from .xlsx import read_xlsx_fast

    fast = read_xlsx_fast(path, name, plan)
    if fast is not None:
        return fast
    try:
        worksheet = workbook.get_sheet_by_name(name)
        # skip_empty_area=False: rows and columns keep their places, so row numbers are Excel's.
        rows = worksheet.to_python(skip_empty_area=False)
    except Exception as error:
        raise LoadError(f"{describe(path)}: sheet {name!r} cannot be read ({error})") from None
    merged = worksheet.merged_cell_ranges or []
    if not any(any(v not in (None, "") for v in row) for row in rows):
        raise LoadError(f"{describe(path)}: sheet {name!r} is empty (--sheet NAME picks another)")
    header_index, columns = None, None
    candidates = [(i + 1, [_cell_text(v) or "" for v in row]) for i, row in enumerate(rows[:HEADER_SEARCH_ROWS])]
    for line, cells in candidates:
        columns = plan(cells)
        if columns:
            header_index = line - 1
            break
    if header_index is None or columns is None:
        raise _nearest(candidates, plan)
    merge_problems = _fill_merged_cells(rows, merged, header_index, columns, path)
    body = rows[header_index + 1 :]

    def cells(position: int) -> list[object]:
        return [row[position] if position < len(row) else None for row in body]

    frame = pd.DataFrame(
        {
            key: pd.Series([_cell_text(v) for v in cells(p)], dtype=object).astype("category")
            for p, key in columns.text.items()
        }
    )
    first_line = header_index + 2
    line = np.arange(first_line, first_line + len(body), dtype="int32")
    problems: list[str] = []
    for position, key in columns.amounts.items():
        raw = pd.Series(cells(position), dtype=object)
        ore, bad, empty = _cell_amounts(raw)
        frame[key] = ore
        frame[f"{key}__empty"] = empty
        if bad.any():
            problems += _bad_amounts(bad, raw, line, path, columns, position)
    frame["line"] = line
    blank = _blank_rows(frame, columns)
    if blank.any():
        frame = frame[~blank].reset_index(drop=True)
    return Table(frame, path, columns, header_index + 1, merge_problems + problems)


def _fill_merged_cells(
    rows: list[list[object]], ranges: list[Any], header_index: int, columns: ColumnPlan, path: Path
) -> list[str]:
    """A code cell merged down over several rows below the header (a code written once for a
    group of rows) holds its value in each row, as the reader of the sheet sees it. An amount
    merged over rows is an error: it shows once, and must count once. Merges across columns
    only (titles, headers) are left as they are."""
    problems = []
    for (top, left), (bottom, _right) in ranges:
        if bottom <= top or top <= header_index or top >= len(rows):
            continue
        if left in columns.amounts:
            header = columns.header[left].strip()
            problems.append(
                f"{path.name}:{top + 1}: column {header!r}: an amount merged over rows {top + 1}–{bottom + 1}: "
                "unmerge it, so that each row holds its own amount"
            )
        elif left in columns.text and left < len(rows[top]):
            value = rows[top][left]
            for row in rows[top + 1 : bottom + 1]:
                if left < len(row):
                    row[left] = value
    return problems


def _cell_amounts(raw: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(öre, bad, empty) for a column of Excel cells.

    A number cell is a double in the file itself, so it is converted by floats_to_ore; a text
    cell is parsed exactly, like CSV text.
    """
    is_number = raw.map(lambda v: isinstance(v, int | float) and not isinstance(v, bool)).to_numpy(bool)
    empty = raw.map(lambda v: v is None or (isinstance(v, str) and not v.strip())).to_numpy(bool)  # calamine: ""
    numbers = raw.where(is_number, np.nan).to_numpy(dtype="float64")
    number_ore, number_bad = floats_to_ore(numbers)
    is_text = ~is_number & ~empty
    text = raw.where(is_text, "0").astype(str)
    text_ore, text_bad = text_to_ore(text)
    ore = np.where(is_number, number_ore, np.where(is_text, text_ore, 0))
    bad = (is_number & number_bad) | (is_text & text_bad)
    return ore.astype("int64"), bad, empty


PARQUET_BATCH = 1 << 19  # rows per Parquet batch: about 15 MiB of the columns kfollow reads


def read_parquet(
    path: Path,
    plan: Planner,
    collapse: bool = False,
    filter_only: FilterOnly | None = None,
    hashing: RowHashing | None = None,
) -> Table:
    """A Parquet file: its column names are the header (row 1), its rows rows 2, 3, … as in a
    sheet. Read in batches through the CSV path's block collector: text columns become
    categories, amounts of any type (decimal, integer, float, text) become exact öre."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        header = list(pq.read_schema(path).names)
        # Text columns come as dictionaries straight from the file's dictionary pages.
        file = pq.ParquetFile(path, read_dictionary=header)
    except Exception as error:  # pyarrow's errors for a damaged file vary
        raise LoadError(f"{describe(path)}: not a readable Parquet file ({error})") from None
    columns = plan(header)
    if columns is None:
        raise NoHeader(header, 1)
    names = [f"c{i}" for i in range(len(header))]
    blocks = _Blocks(path, columns, names, 2, collapse, filter_only, hashing=hashing)
    wanted = sorted([*columns.text, *columns.amounts])

    def typed(batch: Any) -> Any:
        arrays = {}
        for position, array in zip(wanted, batch.columns, strict=True):
            if position in columns.amounts:
                pass  # numbers stay numbers (_typed_ore); text is parsed as CSV text
            elif position in columns.integers and pa.types.is_integer(array.type) and _fits_int32(array):
                array = pc.cast(array, pa.int32())
            else:
                if not pa.types.is_dictionary(array.type):
                    array = pc.dictionary_encode(pc.cast(array, pa.string()))
                array = array.cast(pa.dictionary(pa.int32(), pa.string()))
            arrays[names[position]] = array
        return pa.RecordBatch.from_pydict(arrays)

    # Batches of PARQUET_BATCH rows, decoded on every core, while one worker turns the one
    # before into numpy columns (as CSV chunks are). 10M rows with a filter: 2.9 s in all with
    # 64k-row batches on one thread, 1.5-1.9 s so; 1M-row batches were no faster but held
    # 500 MiB where these hold 400.
    total = max(file.metadata.num_rows, 1)
    done = 0
    with ThreadPoolExecutor(max_workers=1) as worker:
        pending = None
        for batch in file.iter_batches(batch_size=PARQUET_BATCH, columns=[header[p] for p in wanted], use_threads=True):
            if pending is not None:
                pending.result()
            pending = worker.submit(lambda batch=batch: blocks.add(typed(batch)))
            done += batch.num_rows
            if progress.current is not None:
                progress.current.update(done / total)
        if pending is not None:
            pending.result()
    frame = blocks.frame()
    return Table(frame, path, columns, 1, blocks.problems, blocks.row_hashes, as_read=not collapse)


ZIP = b"PK\x03\x04"  # an .xlsx workbook is a zip archive
PARQUET = b"PAR1"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an old .xls workbook


def read_table(
    path: Path,
    plan: Planner,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    collapse: bool = False,
    filter_only: FilterOnly | None = None,
    hashing: RowHashing | None = None,
) -> Table:
    """Read one ledger file by its content: an .xlsx workbook (a zip), Parquet, else CSV text."""
    with path.open("rb") as handle:
        start = handle.read(8)
    if start.startswith(OLE):
        raise LoadError(
            f"{describe(path)}: an old Excel (.xls) workbook, which kfollow does not read: "
            "save it as .xlsx (or CSV UTF-8) and give that file"
        )
    if start.startswith(ZIP):
        return read_xlsx(path, plan, sheet)
    if start.startswith(PARQUET):
        return read_parquet(path, plan, collapse, filter_only, hashing)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raise LoadError(f"{describe(path)}: named .xlsx but it is no workbook; if it is CSV text, rename it .csv")
    return read_csv(path, plan, encoding, delimiter, collapse, filter_only, hashing)
