"""CSV text: encoding and dialect sniffed, the planned columns parsed by Arrow in chunks."""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import LoadError, OptionError, capped
from .blocks import Blocks
from .hashing import RowHashing
from .pipeline import convert_while_reading, give_back_memory
from .table import HEADER_SEARCH_ROWS, ColumnPlan, FilterOnly, Planner, Table, describe, nearest_row

SAMPLE_BYTES = 256 * 1024  # enough to sniff the dialect of any export's first lines

DELIMITERS = (";", "\t", ",")

CHUNK_BYTES = 64 << 20  # read_csv parses this much of the file at a time, on every core

BLOCK_BYTES = 4 << 20  # Arrow parses this much per block; small blocks keep memory flat


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
    raise nearest_row(seen, plan)


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
    chosen = _chosen_encoding(path, sample, encoding)
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


def _chosen_encoding(path: Path, sample: bytes, encoding: str | None) -> str:
    """The codec name of --encoding, which must decode the sample, or of the sniffed encoding."""
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
    return chosen


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
    exact decimals on their bytes (plain_decimals); a block with a bad cell is parsed by the
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

        batches = _batches(
            path, encoding, header_index + 1, chunked, binary, read_options, parse_options, convert_options
        )
        blocks = Blocks(
            path, columns, names, header_index + 2, collapse, filter_only, encoding if binary else None, hashing
        )
        convert_while_reading((share, partial(_add_batches, blocks, parsed)) for share, parsed in batches)
        del batches
        give_back_memory()  # before the blocks are joined: that is where the peak is
        frame = blocks.frame()
        give_back_memory()
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
            last = number == len(attempts) - 1
            _raise_unreadable(error, last, binary, path, encoding, header_index, delim, width)
    if ragged:
        raise LoadError(_ragged_lines(path, encoding, header_index, delim, width))
    return frame, problems, hashes


def _batches(
    path: Path,
    encoding: str,
    skip_rows: int,
    chunked: bool,
    binary: bool,
    read_options: Callable[[int], Any],
    parse_options: Callable[..., Any],
    convert_options: Any,
) -> Iterator[tuple[float, list[Any]]]:
    """(share of the file read, record batches): chunks for Arrow's multi-threaded reader, else
    its streaming reader."""
    if chunked:
        undefined = _undefined_bytes(encoding) if binary else b""
        # (Not for bytes read as binary: Arrow then fails to name a ragged line.)
        unquoted = None if binary else parse_options(quote_char=False)
        return _chunk_batches(path, read_options, parse_options(), convert_options, skip_rows, undefined, unquoted)
    return _streamed_batches(path, read_options(skip_rows), parse_options(), convert_options)


def _add_batches(blocks: Blocks, batches: list[Any]) -> None:
    """One chunk's work on the converting thread: its record batches into the block collector."""
    for batch in batches:
        blocks.add(batch)


def _raise_unreadable(
    error: Exception, last: bool, binary: bool, path: Path, encoding: str, header_index: int, delim: str, width: int
) -> None:
    """Arrow's parse error as the file's error: bytes the encoding has no character for, lines
    with another field count than the header's (a binary read's error names none), or, after
    the last attempt, an unreadable file. Otherwise the next attempt may read it."""
    _raise_if_undecodable(error, encoding)
    if binary and re.search(r"Expected \d+ columns, got \d+", str(error)):
        raise LoadError(_ragged_lines(path, encoding, header_index, delim, width)) from None
    if last:
        raise LoadError(f"{describe(path)}: not a readable CSV file ({error})") from None


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
