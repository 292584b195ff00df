"""CSV text: encoding and dialect sniffed, the planned columns parsed by Arrow in chunks."""

from __future__ import annotations

import codecs
import csv
import itertools
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from ..errors import LoadError, OptionError, capped, shown
from .blocks import Blocks
from .hashing import HashedRows, RowHashing
from .options import Limits, show_size
from .pipeline import convert_while_reading, give_back_memory
from .table import (
    HEADER_SEARCH_ROWS,
    ColumnPlan,
    FilterOnly,
    NoHeader,
    Planner,
    Table,
    data_rows_above,
    describe,
    nearest_row,
)

_T = TypeVar("_T")

SAMPLE_BYTES = 256 * 1024  # enough to sniff the dialect of any export's first lines

DELIMITERS = (";", "\t", ",")

# read_csv parses this much of the file at a time, on every core. 10M rows (bench/README.md):
# 64 MiB chunks peaked at 460-540 MiB with ~290k page faults (0.9-1.4 s in the kernel); 16 MiB
# at ~270 MiB, 50k faults, 0.3 s, for the same CPU time (8 MiB: 220 MiB, no faster).
CHUNK_BYTES = 16 << 20

BLOCK_BYTES = 4 << 20  # Arrow parses this much per block; small blocks keep memory flat


def sniff_encoding(sample: bytes) -> str:
    """UTF-16 by its BOM (Excel's "Unicode text"); UTF-8 (a BOM is dropped) if the sample
    decodes as UTF-8; else cp1252 (read_csv then checks that no part was UTF-8)."""
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig"


def first_non_utf8(path: Path) -> tuple[int, int, bool] | None:
    """(byte offset, line, whether non-ASCII UTF-8 comes before it) of the first byte that is not
    UTF-8, or None if the whole file is. Read in pieces, on the error path only."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, lines, seen_utf8 = 0, 1, False
    with path.open("rb") as handle:
        while piece := handle.read(16 << 20):
            try:
                decoder.decode(piece, final=False)
            except UnicodeDecodeError as error:
                # (an incremental decoder's error offsets count from the start of this piece)
                start = max(error.start, 0)
                seen_utf8 = seen_utf8 or not piece[:start].isascii()
                return offset + start, lines + piece.count(b"\n", 0, start), seen_utf8
            seen_utf8 = seen_utf8 or not piece.isascii()
            offset, lines = offset + len(piece), lines + piece.count(b"\n")
    return None


def _not_utf8_in_whole(path: Path) -> str | None:
    """The error for a file that is UTF-8 in part but not in whole (SPEC §1): its first line that
    is not. Reading it as cp1252 would garble every Swedish letter of the UTF-8 part in silence.
    None where the part before the first such byte is plain ASCII (then it is a cp1252 file)."""
    found = first_non_utf8(path)
    if found is None or not found[2]:
        return None
    offset, line, _ = found
    with path.open("rb") as handle:
        handle.seek(offset)
        byte = handle.read(1).hex()
    return (
        f"{describe(path)}:{line}: byte 0x{byte} is not UTF-8, but the lines above it are UTF-8 (å, ä, ö): "
        "the file is UTF-8 in part only, as when lines from another export were pasted in. Fix that line "
        "(save it as UTF-8), or name the encoding that reads the whole file with --encoding"
    )


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
    limits: Limits | None = None,
) -> Table:
    limits = limits or Limits()
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    chosen = _text_encoding(path, sample, encoding)
    lines = _sample_lines(sample, chosen)
    header_index, delim, columns = _csv_header(path, sample, chosen, lines, plan, delimiter, limits.cell)
    _refuse_data_above(path, lines, header_index, delim, columns)

    def attempt(enc: str) -> tuple[pd.DataFrame, list[str], HashedRows | None]:
        try:
            return _read_csv_frame(path, enc, header_index, delim, columns, collapse, filter_only, hashing, limits)
        except NulByte as nul:
            raise LoadError(_nul_error(path, nul.offset, delim, columns.header)) from None

    try:
        frame, problems, hashes = attempt(chosen)
    except UnicodeDecodeError:
        if encoding is not None or chosen == "cp1252":
            raise LoadError(_undecodable(path, chosen)) from None
        if mixed := _not_utf8_in_whole(path):
            raise LoadError(mixed) from None
        chosen = "cp1252"
        try:
            frame, problems, hashes = attempt(chosen)
        except UnicodeDecodeError:
            raise LoadError(_undecodable(path, chosen)) from None
    return Table(frame, path, columns, header_index + 1, problems, hashes, as_read=not collapse)


def _csv_header(
    path: Path, sample: bytes, encoding: str, lines: list[str], plan: Planner, delimiter: str | None, cell: int
) -> tuple[int, str, ColumnPlan]:
    """The header (_find_csv_header); where there is none and the sample holds a NUL, the file
    is binary (or UTF-16 without its BOM), which the error says instead."""
    try:
        with _field_limit(cell):
            return _find_csv_header(lines, plan, delimiter)
    except NoHeader:
        if b"\x00" in sample and not encoding.startswith("utf-16"):
            raise LoadError(_nul_error(path, sample.index(b"\x00"))) from None
        raise


def _text_encoding(path: Path, sample: bytes, encoding: str | None) -> str:
    """The encoding to read a CSV file in, from its first SAMPLE_BYTES; a LoadError for an empty
    file, or one UTF-8 in part only."""
    if not sample.strip():
        raise LoadError(f"{describe(path)}: the file is empty")
    chosen = _chosen_encoding(path, sample, encoding)
    if chosen == "cp1252" and encoding is None and (mixed := _not_utf8_in_whole(path)):
        raise LoadError(mixed)
    return chosen


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
    limits: Limits | None = None,
) -> tuple[pd.DataFrame, list[str], HashedRows | None]:
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

    def read(
        amount_type: object, integer_type: object, block_size: int
    ) -> tuple[pd.DataFrame, list[str], HashedRows | None]:
        types = {names[p]: pa.dictionary(pa.int32(), value_type) for p in columns.text}
        types.update({names[p]: integer_type for p in columns.integers})
        types.update({names[p]: amount_type for p in columns.amounts})

        def parse_options(quote_char: str | bool = '"') -> Any:
            return pacsv.ParseOptions(
                delimiter=delim,
                quote_char=quote_char,
                # A quoted value may hold a line end (a text cell of several lines). Without this
                # Arrow splits blocks at any line end and a quote never closed swallows rows in
                # silence (measured: no slower on quoted exports).
                newlines_in_values=bool(quote_char),
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
                block_size=block_size,
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
    limit = (limits or Limits()).cell
    for number, (amount_type, integer_type) in enumerate(attempts):
        ragged.clear()
        try:
            frame, problems, hashes = _growing_blocks(
                partial(read, amount_type, integer_type), path, encoding, delim, limit
            )
            break
        except pa.ArrowInvalid as error:
            last = number == len(attempts) - 1
            _raise_unreadable(error, last, binary, path, encoding, header_index, delim, width)
    if ragged:
        raise LoadError(_ragged_lines(path, encoding, header_index, delim, width, limit))
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
        # Bytes that no character of the file's encoding is, looked for in every chunk, also in
        # the columns not read (SPEC §1: an undecodable byte anywhere stops the load).
        undefined: bytes | None = _undefined_bytes(encoding) if binary else None
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
        raise LoadError(f"{describe(path)}: not a readable CSV file ({shown(str(error))})") from None


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
    undefined: bytes | None = None,
    unquoted: Any = None,
) -> Iterator[tuple[float, list[Any]]]:
    """(share of the file read, record batches) for each CHUNK_BYTES of whole lines.

    A chunk ends after a line feed, as Arrow's own blocks do (newlines in quoted values are not
    read as such by either), so the rows are those of one read of the whole file. Every chunk
    is checked to decode, as if the whole file were decoded (Arrow checks only the columns it
    converts): `undefined`, the bytes of a single-byte encoding that are no character (memchr:
    5 ms per chunk and byte), or, where None, valid UTF-8 (Arrow's validation: 30 ms per
    64 MiB chunk, nothing for an ASCII chunk). The caller then names the line.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    size = path.stat().st_size
    # Two buffers, read into in turn: a fresh bytes object a chunk, and a sliced copy of it, cost
    # the kernel a page fault per 4 KiB, twice (64 MiB chunks: ~30k faults a chunk). The chunk
    # before stays untouched while the converting thread may still convert its batches (Arrow's
    # parse copies what it keeps, and so does the block collector).
    buffers = [bytearray(), bytearray()]
    with path.open("rb") as handle:
        start, turn = 0, 0
        while start < size:
            data, cut = _read_chunk(handle, start, size, buffers, turn)
            turn ^= 1
            if (nul := data.find(b"\x00", 0, cut)) >= 0:  # memchr; a NUL is in no text (SPEC §1)
                raise NulByte(start + nul)
            if undefined is not None and (utf8 := _utf8_letter(data, cut)) >= 0:
                raise LoadError(_utf8_in_single_byte(path, start + utf8))
            _check_decodes(data, cut, undefined)
            quoted = data.find(b'"', 0, cut) >= 0
            table = pacsv.read_csv(
                pa.py_buffer(data).slice(0, cut),
                read_options=read_options(skip_rows if start == 0 else 0),
                # A chunk without a quote character is parsed as such: the same rows, and the
                # tokenizer has no quotes to watch for (10M rows: 3.1-3.3 -> 2.6-2.7 s of CPU).
                parse_options=parse_options if unquoted is None or quoted else unquoted,
                convert_options=convert_options,
            )
            start += cut
            del data
            yield start / max(size, 1), table.to_batches()


def _read_chunk(handle: Any, start: int, size: int, buffers: list[bytearray], turn: int) -> tuple[bytearray, int]:
    """(buffer, end): CHUNK_BYTES of the file from `start`, read into buffers[turn] (made once),
    ending after its last whole record. A chunk ends after a line feed, as Arrow's own blocks
    do; a record longer than a chunk is read on to its end (into a buffer of its own)."""
    # The first chunk holds at least the sample, where the header was found: the rows above it
    # are skipped within that chunk.
    want = min(CHUNK_BYTES if start else max(CHUNK_BYTES, SAMPLE_BYTES), size - start)
    if len(buffers[turn]) < want:
        buffers[turn] = bytearray(want)
    data = buffers[turn]
    handle.seek(start)
    end = handle.readinto(memoryview(data)[:want])
    if start + end >= size:
        return data, end
    cut = _record_end(data, end)
    while not cut:  # a record longer than a chunk: read on to its end
        more = handle.read(CHUNK_BYTES)
        data = buffers[turn] = data[:end] + more
        end = len(data)
        cut = _record_end(data, end) if more else end
    return data, cut


def _record_end(data: bytes | bytearray, end: int) -> int:
    """Where a chunk of whole records (data[:end]) ends: after its last line end outside a
    quoted value (a text cell of several lines must not be cut in two); 0 where there is none.
    Outside quotes, the quote characters before a byte are even in number ("" escapes one)."""
    cut = data.rfind(b"\n", 0, end) + 1
    if not cut or data.find(b'"', 0, end) < 0:
        return cut
    odd = data.count(b'"', 0, cut) % 2
    while odd and cut:  # walk back a line at a time (a quote never closed: to the chunk's start)
        before = data.rfind(b"\n", 0, cut - 1) + 1
        odd ^= data.count(b'"', before, cut) % 2
        cut = before
    return cut


# å ä ö é Å Ä Ö as UTF-8: in a single-byte file they read 'Ã¥', 'Ã¤', … which no Swedish text has.
_UTF8_LETTER = re.compile(b"\xc3[\xa5\xa4\xb6\xa9\x85\x84\x96]")


def _utf8_letter(data: bytes | bytearray, end: int) -> int:
    """Where a chunk (data[:end]) read in a single-byte encoding holds a Swedish letter in
    UTF-8, else -1 (memchr for the lead byte first: a cp1252 file has almost no 'Ã')."""
    if data.find(b"\xc3", 0, end) < 0:
        return -1
    found = _UTF8_LETTER.search(data, 0, end)
    return found.start() if found else -1


def _utf8_in_single_byte(path: Path, offset: int) -> str:
    with path.open("rb") as handle:
        line = handle.read(offset).count(b"\n") + 1
    return (
        f"{describe(path)}:{line}: å, ä or ö written as UTF-8 in a file read as cp1252 (it would read 'Ã¤'): "
        "the file is in two encodings, as when lines from another export were pasted in. Save it in one "
        "(UTF-8 or cp1252) and give it again"
    )


def _check_decodes(data: bytes | bytearray, end: int, undefined: bytes | None) -> None:
    """UnicodeDecodeError where a chunk (data[:end]) holds a byte of `undefined`, or, where
    that is None, is not UTF-8 (see _chunk_batches)."""
    import pyarrow as pa

    if undefined is not None:
        for byte in undefined:
            if (at := data.find(byte, 0, end)) >= 0:
                raise UnicodeDecodeError("single-byte", bytes(data[at : at + 1]), 0, 1, "undefined")
        return
    # The whole buffer, past `end` too (bytes of the file, of this chunk's next record or an
    # earlier chunk's): all ASCII, data[:end] is; else the exact check below. No copy of the
    # chunk to cut it first.
    if data.isascii():
        return
    whole = pa.LargeStringArray.from_buffers(1, pa.py_buffer(np.array([0, end], dtype="<i8")), pa.py_buffer(data))
    try:
        whole.validate(full=True)
    except pa.ArrowInvalid:
        raise UnicodeDecodeError("utf-8", b"", 0, 1, "invalid UTF-8") from None


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


def _records(path: Path, encoding: str, delim: str, limit: int) -> Iterator[tuple[int, list[str]]]:
    """(first line, fields) of each record (error paths only: a Python loop). A field longer than
    `limit` is a LoadError naming the line it begins on: most often a quote that is never closed,
    which makes the rest of the file one field."""
    with path.open(encoding=encoding, newline="", errors="replace") as handle, _field_limit(limit):
        reader = csv.reader(handle, delimiter=delim)
        while True:
            first = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error:
                raise LoadError(_long_field(path, encoding, delim, limit, first)) from None
            yield first, row


def _long_field(path: Path, encoding: str, delim: str, limit: int, first: int) -> str:
    """The error for a field over the cell limit that begins on line `first`, with its length
    where it ends within 64 times the limit (else it is most likely a quote never closed)."""
    longest = None
    with path.open(encoding=encoding, newline="", errors="replace") as handle, _field_limit(64 * limit):
        for _ in itertools.islice(handle, first - 1):
            pass
        try:
            longest = max(len(field.encode("utf-8")) for field in next(csv.reader(handle, delimiter=delim)))
        except (csv.Error, StopIteration):
            pass
    if longest is None:
        return (
            f"{describe(path)}:{first}: a field longer than {show_size(64 * limit, 'bytes')} begins on this line: "
            "a quote '\"' that is never closed makes the rest of the file one field; close it"
        )
    return (
        f"{describe(path)}:{first}: a field of {show_size(longest, 'count')} bytes on this line, over the limit "
        "of one cell (if a quote '\"' is not closed where it should be, close it); if the field is meant to be "
        f"that long, {Limits(cell=limit).hint('cell', longest)}"
    )


def _refuse_data_above(path: Path, lines: list[str], header_index: int, delim: str, columns: ColumnPlan) -> None:
    """Rows above the header are skipped as title rows; one that reads as a data row of the
    header (an account code and an amount where the header has them) is an error, not a row
    lost in silence."""
    with _field_limit(1 << 30):  # (lines of the sample: their length is bounded by it)
        rows = [(n, next(csv.reader([line], delimiter=delim), [])) for n, line in enumerate(lines[:header_index], 1)]
    found = data_rows_above(rows, columns)
    if found:
        more = f", and {len(found) - 1} more (lines {', '.join(map(str, found[1:]))})" if len(found) > 1 else ""
        raise LoadError(
            f"{describe(path)}:{found[0]}: a data row above the header row (line {header_index + 1}){more}"
            + ": rows above the header are skipped as titles, so these would be lost. Move the header row above "
            "them (or delete them, if they are not ledger rows)"
        )


def _growing_blocks(read: Callable[[int], _T], path: Path, encoding: str, delim: str, limit: int) -> _T:
    """read(block size), again with blocks that hold the file's longest record where Arrow
    finds one longer than a block ("straddling object": a long field, or a stray quote)."""
    import pyarrow as pa

    block_size = BLOCK_BYTES
    while True:
        try:
            return read(block_size)
        except pa.ArrowInvalid as error:
            if "straddling" not in str(error):
                raise
            block_size = _block_for_longest_record(path, encoding, delim, limit, block_size)


def _block_for_longest_record(path: Path, encoding: str, delim: str, limit: int, block_size: int) -> int:
    """A block size that holds the file's longest record (Arrow cannot parse a record longer
    than a block: "straddling object"); a LoadError where a field is over the cell limit."""
    longest = max(
        (sum(len(field) for field in row) + len(row) for line, row in _records(path, encoding, delim, limit)),
        default=0,
    )
    needed = 1 << (4 * max(longest, 1)).bit_length()  # 4 bytes a character at most, doubled
    if needed <= block_size:  # cannot happen unless Arrow and Python parse apart; never loop
        raise LoadError(f"{describe(path)}: not a readable CSV file (a record longer than Arrow's blocks)")
    return needed


def _ragged_lines(
    path: Path, encoding: str, header_index: int, delim: str, width: int, limit: int = 1 << 20
) -> list[str]:
    """Name the lines whose field count differs from the header's (error path only)."""
    found = []
    for line, row in _records(path, encoding, delim, limit):
        if line > header_index + 1 and row and len(row) != width:
            over = (
                ""
                if not any("\n" in field for field in row)
                else ("; a field runs over several lines: is a quote '\"' unbalanced?")
            )
            found.append(
                f"{describe(path)}:{line}: {len(row)} fields where the header has {width}"
                + ("; is --delimiter right?" if len(row) == 1 and not over else over)
            )
    return capped(found) or [f"{describe(path)}: rows with a field count unlike the header's"]


@contextmanager
def _field_limit(limit: int) -> Iterator[None]:
    """Python's csv module refuses fields over 128 KiB; kfollow's limit is --limit cell."""
    before = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(before)


class NulByte(Exception):
    """A NUL at this byte offset of the file (raised while reading, named by read_csv)."""

    def __init__(self, offset: int) -> None:
        self.offset = offset


def _nul_error(path: Path, offset: int, delim: str | None = None, header: tuple[str, ...] = ()) -> str:
    """A NUL's line and, where the header is known, its column (by the delimiters before it on
    its line; a quoted delimiter would shift it, which is rare enough in a damaged line)."""
    with path.open("rb") as handle:
        before = handle.read(offset)
    line = before.count(b"\n") + 1
    column = ""
    if delim is not None and header:
        field = before[before.rfind(b"\n") + 1 :].count(delim.encode())
        column = f" column {shown(header[field].strip())}:" if field < len(header) else ""
    return (
        f"{describe(path)}:{line}:{column} a NUL byte (0x00): this is no CSV text (a binary file, a damaged "
        "export, or UTF-16 text without its byte order mark: then give --encoding utf-16)"
    )


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
