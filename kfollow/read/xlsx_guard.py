"""Refuse a workbook that would crash or exhaust the xlsx readers, before they open it.

What the readers (calamine, in python-calamine and in fastexcel) do with a hostile or damaged
workbook, and so what is checked here, in Python, first:

* A sheet's cells go into one rectangular array spanning the used rows and columns, 32 bytes a
  cell: one cell at XFD1048576 asks for 512 GiB and the process aborts (no exception). The span
  comes from the cells' r="…" references (and, for a cell without one, from its place in its
  row); the <dimension> element only sizes a first reservation below 100 000 cells, and is
  harmless. So every cell reference of the sheet is read here: the rows × columns from A1 to
  the furthest cell must stay within --limit sheet-cells.
* fastexcel's zip reader inflates a member past the size its zip entry declares (only
  python-calamine's stops), and neither checks a sheet's CRC (they stop reading at
  </sheetData>): a damaged sheet can be read as other numbers in silence. So each member a
  reader opens is inflated here from its raw deflate stream: it must end at the size its entry
  declares, with its CRC; the sizes must stay within --limit xlsx-size.
* The XML reader holds one text node or tag whole (and the cell's text is copied again): a
  600 MB cell costs gigabytes. So no run between two '<' (a comment, CDATA section or
  processing instruction as a whole) may exceed --limit cell.

The sheet is inflated on one thread (zlib lets go of the GIL) while numpy reads the chunks on
the other; a workbook's honest sizes are refused from the zip directory alone, a lying one as
soon as it inflates past what it declares.
"""

from __future__ import annotations

import contextlib
import posixpath
import queue
import re
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..errors import LoadError, shown
from .options import Limits
from .table import describe

CHUNK = 1 << 23  # inflated bytes handed to the scan at a time (8 MiB: fewer, longer numpy passes)
RAW_CHUNK = 1 << 20  # compressed bytes read from the file at a time
THREADED = 1 << 24  # members declared larger than this are inflated on a thread of their own
MAX_DIRECTORY = 8 << 20  # bytes of zip directory: some 150 000 files (a workbook has dozens)

# Members the readers open with the workbook, whatever sheet is read (python-calamine and
# fastexcel read the shared strings whole at opening).
WORKBOOK_PARTS = ("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels")
SHARED_STRINGS = "xl/sharedStrings.xml"
STYLES = "xl/styles.xml"


class Refusal(Exception):
    """A reason to refuse the workbook, raised on the inflating thread or the scanning one."""


@dataclass
class Workbook:
    """An xlsx file whose zip directory and opening members were found sound."""

    path: Path
    archive: zipfile.ZipFile
    limits: Limits
    inflated: int  # bytes the checked members inflate to, toward --limit xlsx-size


def open_workbook(path: Path, limits: Limits) -> Workbook:
    """The workbook, its zip directory read and every member the readers open with it (the
    workbook part, relationships, styles, shared strings) inflated and checked."""
    directory = _directory_size(path)
    if directory is not None and directory > MAX_DIRECTORY:
        raise LoadError(
            f"{describe(path)}: its zip directory is {size(directory)} (room for some "
            f"{directory // 50:,} files), more than any workbook has: the file is damaged or crafted".replace(",", " ")
        )
    try:
        archive = zipfile.ZipFile(path)
    except Exception as error:  # BadZipFile, and whatever a damaged directory makes of zipfile
        raise LoadError(f"{describe(path)}: not a readable .xlsx workbook ({shown(error)})") from None
    names = [info.filename for info in archive.infolist()]
    if len(set(names)) != len(names):
        twice = next(name for name in names if names.count(name) > 1)
        raise LoadError(
            f"{describe(path)}: the zip holds two members named {shown(twice)}: "
            "the file is damaged (or made to mislead a reader); save it again from Excel"
        )
    book = Workbook(path, archive, limits, 0)
    usual = [name for name in (*WORKBOOK_PARTS, SHARED_STRINGS, STYLES) if name in archive.NameToInfo]
    _check_parts(book, usual, None)
    # then the parts the (checked) relationships name, where they name others
    named = [name for name in _workbook_targets(book) if name in archive.NameToInfo and name not in usual]
    _check_parts(book, list(dict.fromkeys(named)), None)
    return book


def _directory_size(path: Path) -> int | None:
    """The size of the zip directory, as the end record gives it (zipfile reads every entry
    into memory, some 500 bytes each); None where there is no end record to read."""
    with path.open("rb") as handle:
        handle.seek(0, 2)
        length = handle.tell()
        handle.seek(max(0, length - (1 << 16) - 22))
        tail = handle.read()
    end = tail.rfind(b"PK\x05\x06")
    if end < 0 or end + 22 > len(tail):
        return None
    (directory,) = struct.unpack("<I", tail[end + 12 : end + 16])
    if directory == 0xFFFFFFFF:  # Zip64: the size is in the Zip64 end record before it
        end64 = tail.rfind(b"PK\x06\x06", 0, end)
        return struct.unpack("<Q", tail[end64 + 40 : end64 + 48])[0] if end64 >= 0 else None
    return int(directory)


@dataclass
class SheetFacts:
    """What the scan of a sheet found that the fast reader needs (xlsx.read_xlsx_fast)."""

    part: str  # the member
    odd: bool  # a boolean, error or ISO date cell somewhere (t="b", "e", "d")
    merges: list[tuple[int, int, int, int]] | None  # (top, left, bottom, right), 0-based; None: not found


def check_sheet(book: Workbook, sheet: str) -> SheetFacts | None:
    """The members that may hold `sheet`'s cells (as each reader finds them), inflated and
    scanned: within the limits, ending where their zip entries say, with their CRCs. What the
    scan found, where one member holds the sheet."""
    parts = _sheet_members(book, sheet)
    facts = _check_parts(book, parts, sheet)
    return facts[0] if len(facts) == 1 else None


def _check_parts(book: Workbook, parts: list[str], sheet: str | None) -> list[SheetFacts]:
    _check_declared(book, parts, sheet)
    found = []
    for part in parts:
        scan = _check_member(book, part, sheet)
        book.inflated += scan.size
        found.append(SheetFacts(part, scan.odd, scan.merges()))
    return found


def _workbook_targets(book: Workbook) -> list[str]:
    """The shared strings and styles parts as the relationships name them (newer readers
    follow these rather than the usual paths)."""
    relations = _small_part(book, "xl/_rels/workbook.xml.rels")
    found = []
    for attributes in re.findall(rb"<(?:\w+:)?Relationship\b([^>]*)>", relations):
        kind = re.search(rb'\bType\s*=\s*["\']([^"\']*)', attributes)
        target = re.search(rb'\bTarget\s*=\s*["\']([^"\']*)', attributes)
        if kind and target and kind.group(1).rsplit(b"/", 1)[-1] in (b"sharedStrings", b"styles"):
            found += _resolved(target.group(1).decode("utf-8", "replace"))
    return found


def _sheet_members(book: Workbook, sheet: str) -> list[str]:
    """Every member that a reader may take for `sheet`: each sheet element of that name, each
    relationship of its id, each way of resolving the target. Where none is found, every
    member that is no known workbook part (the reader then finds none either, or reads one
    of those)."""
    import html

    archive = book.archive
    workbook = _small_part(book, "xl/workbook.xml")
    relations = _small_part(book, "xl/_rels/workbook.xml.rels")
    ids = set()
    for attributes in re.findall(rb"<(?:\w+:)?sheet\b([^>]*)>", workbook):
        name = re.search(rb'\bname\s*=\s*"([^"]*)"|\bname\s*=\s*\'([^\']*)\'', attributes)
        rid = re.search(rb'\b(?:r|relationships):id\s*=\s*["\']([^"\']*)', attributes)
        text = (name.group(1) or name.group(2) or b"") if name else b""
        if rid and html.unescape(text.decode("utf-8", "replace")) == sheet:
            ids.add(rid.group(1))
    members = []
    for attributes in re.findall(rb"<(?:\w+:)?Relationship\b([^>]*)>", relations):
        rid = re.search(rb'\bId\s*=\s*["\']([^"\']*)', attributes)
        target = re.search(rb'\bTarget\s*=\s*["\']([^"\']*)', attributes)
        if rid and target and rid.group(1) in ids:
            members += _resolved(html.unescape(target.group(1).decode("utf-8", "replace")))
    found = [m for m in dict.fromkeys(members) if m in archive.NameToInfo]
    if found:
        return found
    known = {*WORKBOOK_PARTS, SHARED_STRINGS, STYLES}
    return [n for n in archive.NameToInfo if n not in known and n.endswith(".xml")]


def _resolved(target: str) -> list[str]:
    """A relationship target as calamine resolves it ('xl/' + target, unless it starts with
    '/xl/' or 'xl/') and as a path relative to xl/ would."""
    calamine = target[1:] if target.startswith("/xl/") else target if target.startswith("xl/") else f"xl/{target}"
    relative = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    return [calamine, relative]


def _small_part(book: Workbook, name: str) -> bytes:
    """A workbook part already checked (or absent: b'')."""
    try:
        return book.archive.read(name)
    except KeyError:
        return b""
    except Exception as error:  # checked before, so only a file changed since
        raise LoadError(f"{describe(book.path)}: {name} cannot be read ({shown(error)})") from None


def _check_declared(book: Workbook, parts: list[str], sheet: str | None) -> None:
    """Refuse from the zip directory alone where the sizes it declares pass the limit."""
    declared = book.inflated + sum(book.archive.getinfo(p).file_size for p in parts)
    if declared > book.limits.xlsx_size:
        biggest = max(parts, key=lambda p: book.archive.getinfo(p).file_size)
        what = (
            f"sheet {shown(sheet)} (with the shared strings) inflates"
            if sheet is not None
            else "the shared strings and parts of the workbook inflate"
        )
        raise LoadError(
            f"{describe(book.path)}: {what} to {size(declared)} ({biggest}: "
            f"{size(book.archive.getinfo(biggest).file_size)}), more than an xlsx ledger needs; "
            f"{book.limits.hint('xlsx-size', declared)}"
        )


def size(count: int) -> str:
    """2147483648 -> '2.0 GiB', for a message."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"


def _check_member(book: Workbook, part: str, sheet: str | None) -> Scan:
    """Inflate one member and scan it (a sheet's cells too)."""
    info = book.archive.getinfo(part)

    def inflate(feed: Callable[[bytes], object]) -> None:
        with book.path.open("rb") as handle:
            for chunk in _inflate(handle, info):
                feed(chunk)

    try:
        try:
            return _scanned(Scan(book, part, sheet), info, inflate)
        except Restart:  # cells not written the usual way (or damaged bytes that look so):
            inflate(lambda chunk: None)  # a damaged member is refused at inflating speed,
            return _scanned(Scan(book, part, sheet, slow=True), info, inflate)  # a sound one read exactly
    except Refusal as refusal:
        raise LoadError(f"{describe(book.path)}: {refusal}") from None
    except (OSError, zlib.error) as error:
        raise LoadError(
            f"{describe(book.path)}: {part} is damaged ({shown(error)}); save it again from Excel"
        ) from None


def _scanned(scan: Scan, info: zipfile.ZipInfo, inflate: Callable[[Callable[[bytes], object]], None]) -> Scan:
    if info.file_size > THREADED:  # inflated on a thread of its own, a few chunks ahead
        _threaded(inflate, scan.feed)
    else:
        inflate(scan.feed)
    scan.close()
    return scan


def _inflate(handle: BinaryIO, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The member's bytes as its raw stream inflates, not trusting the sizes its entry
    declares: a Refusal where it inflates past them, ends short, or fails its CRC."""
    declared, total, crc = info.file_size, 0, 0
    for out in _inflated(handle, info):
        total += len(out)
        if total > declared:
            raise Refusal(
                f"{info.filename} inflates to more than the {size(declared)} "
                "its zip entry declares: the file is damaged (or a zip bomb); save it again from Excel"
            )
        crc = zlib.crc32(out, crc)  # here, on the inflating thread: the scanning one has more to do
        yield out
    if total != declared:
        raise Refusal(f"{info.filename} is cut off: the file is damaged; save it again from Excel")
    if crc != info.CRC:
        raise Refusal(f"{info.filename} fails its checksum (CRC): the file is damaged; save it again from Excel")


def _inflated(handle: BinaryIO, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The member's data, inflated from its raw stream in chunks of at most CHUNK bytes."""
    if info.flag_bits & 0x1:
        raise Refusal(f"{info.filename} is encrypted: save the workbook again without a password")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise Refusal(
            f"{info.filename} is compressed with method {info.compress_type}, which no spreadsheet "
            "program writes: save the workbook again from Excel"
        )
    raw = _raw(handle, info)
    if info.compress_type == zipfile.ZIP_STORED:
        yield from raw
        return
    inflater = zlib.decompressobj(-15)
    for data in raw:
        while data and not inflater.eof:
            out = inflater.decompress(data, CHUNK)
            data = inflater.unconsumed_tail
            if out:
                yield out
        if inflater.eof:
            return
    raise Refusal(f"{info.filename} is cut off: the file is damaged; save it again from Excel")


def _raw(handle: BinaryIO, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The member's compressed bytes, found through its local header as zipfile finds them."""
    handle.seek(info.header_offset)
    header = handle.read(30)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        raise Refusal(f"{info.filename}: its zip header is missing: the file is damaged; save it again from Excel")
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    name = handle.read(name_length)
    encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
    if name != info.orig_filename.encode(encoding, "replace"):
        raise Refusal(f"{info.filename}: its zip header names another file: the file is damaged")
    handle.seek(info.header_offset + 30 + name_length + extra_length)
    left = info.compress_size
    while left:
        data = handle.read(min(left, RAW_CHUNK))
        if not data:
            raise Refusal(f"{info.filename} is cut off: the file is damaged; save it again from Excel")
        left -= len(data)
        yield data


class _Stop(Exception):
    """The reading thread is done with the chunks (it found what it refuses, or failed)."""


class _Handover:
    """Chunks made on one thread and used on another, a few at a time."""

    def __init__(self) -> None:
        self.chunks: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=3)
        self.stop = threading.Event()

    def hand(self, item: bytes | BaseException | None) -> None:
        """Hand over a chunk (None: the end; an exception: what went wrong); _Stop once the
        other thread wants no more."""
        while not self.stop.is_set():
            try:
                self.chunks.put(item, timeout=0.05)
                return
            except queue.Full:
                continue
        raise _Stop

    def make(self, make: Callable[[Callable[[bytes], object]], None]) -> None:
        try:
            make(self.hand)
            self.hand(None)
        except _Stop:
            pass
        except BaseException as error:  # handed over, and raised on the reading thread
            with contextlib.suppress(_Stop):
                self.hand(error)


def _threaded(make: Callable[[Callable[[bytes], object]], None], use: Callable[[bytes], object]) -> None:
    """make(hand) on a thread of its own, each chunk it hands used here, a few chunks behind;
    what goes wrong on either thread is raised here, and stops the other."""
    handover = _Handover()
    thread = threading.Thread(target=handover.make, args=(make,), name="kfollow-xlsx-inflate", daemon=True)
    thread.start()
    try:
        while (item := handover.chunks.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            use(item)
    finally:
        handover.stop.set()
        thread.join()


# --- the scan ---------------------------------------------------------------------------

_ROOT = re.compile(rb"<([A-Za-z_][\w.\-]*:)?worksheet[\s/>]")
_ROW_OF = re.compile(rb"[A-Za-z]{1,3}([0-9]{1,7})\"")
MAX_ROWS = 1_048_576  # Excel's grid, for the message only: the limit is --limit sheet-cells


_MARKUP = ((b"<!--", b"-->"), (b"<![CDATA[", b"]]>"), (b"<?", b"?>"))


class Unusual(Exception):
    """The sheet's cells are not all written as <c r="A1"…>: read them the slow, exact way."""


class Restart(Exception):
    """Unusual: the member is inflated once more (to refuse a damaged one quickly) and its
    cells counted the slow way from the start."""


class Kinds(Exception):
    """Cells whose attributes are not in the usual order: their kinds are searched for."""


# t="…" of the cells that fastexcel reads otherwise than python-calamine (xlsx.read_xlsx_fast);
# t='…' is looked for too where the attributes are not in the usual order
ODD_KINDS = (b't="b"', b't="e"', b't="d"', b"t='")
_MERGE = re.compile(rb'<(?:[A-Za-z_][\w.\-]*:)?mergeCell\b[^>]*\bref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
_SHEET_DATA_END = re.compile(rb"</(?:[A-Za-z_][\w.\-]*:)?sheetData>")


@dataclass
class Extent:
    rows: int = 0  # the furthest row and column of any cell, 1-based
    columns: int = 0


class Scan:
    """What one member's bytes show, fed in order: the longest run between '<' (a comment,
    CDATA section or processing instruction whole) and, for a sheet, the furthest cell."""

    def __init__(self, book: Workbook, part: str, sheet: str | None, slow: bool = False) -> None:
        self.book, self.part, self.sheet = book, part, sheet
        self.limit = book.limits.cell
        self.block = max(1, min(self.limit, 1 << 20))
        self.rest = b""  # bytes after the last '<' fed: the next piece starts with it
        self.base = 0  # offset of the next piece in the member
        self.last_lt = 0  # offset of the last '<' (the start of the member counts as one)
        self.open: tuple[int, bytes] | None = None  # (offset, terminator) of an open <!-- or <?
        self.cells = Cells() if sheet is not None else None
        self.slow: SlowCells | None = SlowCells() if slow else None
        self.odd = False  # a cell of a kind in ODD_KINDS
        self.recent: list[tuple[bytes, int]] = []  # the last two pieces: the merged ranges follow the cells
        self.size = 0  # bytes fed
        self.data = b""  # the bytes fed last, from offset self.base

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        data = self.rest + chunk if self.rest else chunk
        self.data = data  # for the row of a cell too long
        cut = data.rfind(b"<")
        if cut <= 0:
            self.rest = data
            if len(data) > self.limit:
                self._too_long(self.base, len(data), at_least=True)
            return
        self.rest = data[cut:]
        self._piece(data, cut)

    def close(self) -> None:
        if self.rest:
            self.data = self.rest
            self._piece(self.rest + b"<", len(self.rest))  # a '<' past the end closes the last run
        if self.open is not None and self.base - self.open[0] > self.limit:
            self._too_long(self.open[0], self.base - self.open[0])
        if self.cells is not None:
            extent = self.slow.extent if self.slow is not None else self.cells.extent
            self._check_extent(extent)

    def _piece(self, data: bytes, end: int) -> None:
        """data[:end], which ends just before a '<' (data[end])."""
        self._runs(data, end)
        if self.open is not None or data.find(b"!", 0, end) >= 0 or data.find(b"?", 0, end) >= 0:
            self._markup(data, end)
        if self.cells is not None:
            self._cells(data, end)
        self.base += end

    def _cells(self, data: bytes, end: int) -> None:
        assert self.cells is not None
        if self.slow is None:
            try:
                self.odd |= self.cells.feed(data, end)
            except (Unusual, ValueError, IndexError, OverflowError):  # the others: damaged bytes, to be sure
                raise Restart from None
            except Kinds:
                self.odd |= any(data.find(kind, 0, end) >= 0 for kind in ODD_KINDS)
        if self.slow is not None:
            self.slow.feed(data[:end])
            self.odd |= any(data.find(kind, 0, end) >= 0 for kind in ODD_KINDS)
        self.recent = [*self.recent[-1:], (data, end)]

    def merges(self) -> list[tuple[int, int, int, int]] | None:
        """The merged ranges after the cells, where they are in the last pieces kept."""
        after = b"".join(data[:end] for data, end in self.recent)
        ends = list(_SHEET_DATA_END.finditer(after))
        if not ends:
            return None
        return [
            (int(top) - 1, _column(left), int(bottom) - 1, _column(right))
            for left, top, right, bottom in _MERGE.findall(after, ends[-1].end())
        ]

    def _runs(self, data: bytes, end: int) -> None:
        """The distance from each '<' to the next one (two in one block are closer than the
        limit, so only the first and last of each block are looked at)."""
        for start in range(0, end + 1, self.block):
            stop = min(start + self.block, end + 1)
            first = data.find(b"<", start, stop)
            if first < 0:
                continue
            if self.base + first - self.last_lt > self.limit:
                self._too_long(self.last_lt, self.base + first - self.last_lt)
            self.last_lt = self.base + data.rfind(b"<", start, stop)

    def _markup(self, data: bytes, end: int) -> None:
        """Comments, CDATA sections and processing instructions, which the XML reader holds
        whole although they may hold '<'; a document type declaration is refused."""
        at: int | None = 0
        while at is not None:
            at = self._markup_end(data, at, end)
            if at is not None:
                at = self._markup_start(data, at, end)

    def _markup_end(self, data: bytes, at: int, end: int) -> int | None:
        """Past the end of the open markup in data[at:end] (at, where none is open); None
        where it goes on past end."""
        if self.open is None:
            return at
        start, terminator = self.open
        found = data.find(terminator, at, end)
        length = self.base + (found if found >= 0 else end) - start
        if length > self.limit:
            self._too_long(start, length, at_least=found < 0)
        if found < 0:
            return None
        self.open = None
        return found + len(terminator)

    def _markup_start(self, data: bytes, at: int, end: int) -> int | None:
        """Past the start of the next markup in data[at:end], now open; None where there is none."""
        found = min((f for f in (data.find(b"<!", at, end), data.find(b"<?", at, end)) if f >= 0), default=-1)
        if found < 0:
            return None
        for opening, terminator in _MARKUP:
            if data.startswith(opening, found):
                self.open = (self.base + found, terminator)
                return found + len(opening)
        raise Refusal(
            f"{self.part} holds a document type declaration (<!…> at byte {self.base + found}), "
            "which no spreadsheet program writes: the file is damaged or crafted"
        )

    def _too_long(self, offset: int, length: int, at_least: bool = False) -> None:
        where = f"sheet {shown(self.sheet)}: " if self.sheet is not None else ""
        row = self._row_near(offset)
        place = f", row {row}" if row else ""
        offset_text = f"{offset:,}".replace(",", " ")
        raise Refusal(
            f"{where}a cell (or other text) of {'at least ' if at_least else ''}{size(length)} in {self.part}"
            f"{place} at byte {offset_text}: more than a cell of a ledger holds; {self.book.limits.hint('cell')}"
        )

    def _row_near(self, offset: int) -> int | None:
        """The row of the last cell that starts before `offset`, where it is in the bytes in hand."""
        local = offset - self.base
        if self.cells is None or not 0 <= local <= len(self.data):
            return None
        start = self.data.rfind(b'<c r="', 0, local + 1)
        found = _ROW_OF.match(self.data, start + 6) if start >= 0 else None
        return int(found.group(1)) if found else None

    def _check_extent(self, extent: Extent) -> None:
        cells = extent.rows * extent.columns
        if cells <= self.book.limits.sheet_cells:
            return
        corner = f"{column_letters(extent.columns)}{extent.rows}" if extent.columns < 10**6 else "far off"
        beyond = " (Excel's sheets end at XFD1048576)" if extent.rows > MAX_ROWS or extent.columns > 16_384 else ""
        raise Refusal(
            f"sheet {shown(self.sheet)} reaches cell {corner}{beyond}: A1:{corner} is "
            f"{extent.rows:,} rows × {extent.columns:,} columns = {cells:,} cells".replace(",", " ")
            + f", more than a ledger needs; {self.book.limits.hint('sheet-cells', cells)}"
        )


def column_letters(number: int) -> str:
    """1 -> 'A', 27 -> 'AA'."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --- cell references, vectorised ---------------------------------------------------------
#
# Each '<c r="…' is found with numpy; the eight (or sixteen) bytes after r=" are read as one
# little-endian word per cell and classified a byte at a time inside the word (SWAR): letters,
# then digits up to the closing quote. Anything else (a cell without r="…" first, a prefixed
# element, a reference of unusual form) sends the sheet to SlowCells, which follows the
# reader's own rules.

_U64 = np.uint64


def _every_byte(value: int) -> np.uint64:
    return _U64(int.from_bytes(bytes([value]) * 8, "little"))


_HIGH = _every_byte(0x80)
_LOW7 = _every_byte(0x7F)
_GATHER = _U64(0x0102040810204080)  # byte i's low bit -> bit 56 + i
_FOUR = _U64(0xFFFFFFFF)
_STYLE = _U64(int.from_bytes(b' s="', "little"))
_KIND = _U64(int.from_bytes(b' t="', "little"))
_CELL_END = np.zeros(256, bool)  # what may follow the name in '<c'
_CELL_END[[0x20, 0x09, 0x0A, 0x0D, 0x3E, 0x2F]] = True


def _trailing_ones() -> np.ndarray:
    table = np.zeros(1 << 16, np.uint8)
    for bit in range(16):
        ones = (1 << bit) - 1
        table[ones :: 1 << (bit + 1)] = bit  # low `bit` bits set, the next one clear
    table[(1 << 16) - 1] = 16
    return table


_ONES = _trailing_ones()  # trailing one bits of a 16-bit mask


def _mask(found: np.ndarray) -> np.ndarray:
    """Words with 0x80 set in the bytes found -> 8-bit masks (byte i -> bit i)."""
    return ((found >> _U64(7)) * _GATHER) >> _U64(56)


def _letters(words: np.ndarray) -> np.ndarray:
    ascii_bytes = ~words & _HIGH
    folded = (words & _LOW7) | _every_byte(0x20)  # 'A' -> 'a'
    at_least = folded + _every_byte(0x80 - ord("a"))
    beyond = folded + _every_byte(0x7F - ord("z"))
    return _mask(at_least & ~beyond & ascii_bytes)


def _quotes(words: np.ndarray) -> np.ndarray:
    other = words ^ _every_byte(ord('"'))
    nonzero = ((other & _LOW7) + _LOW7) | other
    return _mask(~(nonzero | _LOW7))


class Cells:
    """The furthest row and column of the cells fed (every <c r="…">, with a value or not)."""

    def __init__(self) -> None:
        self.extent = Extent()
        self.prefix: bytes | None = None  # the root element's prefix (b"x:" of <x:worksheet>)
        self.starts = np.empty(0, bool)  # reused: where a chunk's cell tags start
        self.next = np.empty(0, bool)

    def feed(self, data: bytes, end: int) -> bool:
        """The cells that start in data[:end] (data[end] is a '<'); whether one is of a kind
        in ODD_KINDS (Kinds where that is not told by the usual order of attributes)."""
        if self.prefix is None:
            root = _ROOT.search(data, 0, end)
            self.prefix = root.group(1) or b"" if root else b""
            if len(self.prefix) > 8:
                raise Unusual
        if data.find(b":", 0, end) >= 0:
            _prefixed_cells(data, end, self.prefix)
        # the last cells, whose bytes a word read may pass the end of data, are read apart
        tail = max(0, min(end, len(data) - 32))
        kinds = [self._cells(data, tail)] if tail else []
        if tail < end:
            kinds.append(self._cells(data[tail : end + 1] + bytes(32), end - tail))
        if any(kind is None for kind in kinds):
            raise Kinds
        return any(kinds)

    def _cells(self, data: bytes, end: int) -> bool | None:
        """The cells that start in data[:end]; data holds 32 bytes more. Whether one is of a
        kind in ODD_KINDS; None where not told."""
        assert self.prefix is not None
        a = np.frombuffer(data, np.uint8)
        words = np.ndarray((end + 24,), "<u8", data, 0, (1,))  # the eight bytes from each byte on
        tag = b"<" + self.prefix + b"c"
        found = self._find(a, end, tag)
        if found.size == 0:
            return False
        head = tag + b' r="'
        with_r = _starts_with(words, found, head)
        if not with_r.all():
            if _CELL_END[a[found[~with_r] + len(tag)]].any():  # a cell, its r="…" not first (or none)
                raise Unusual
            found = found[with_r]  # <col>, <cfRule> …
        if self.prefix:  # a cell of the default namespace too?
            plain = self._find(a, end, b"<c")
            if _CELL_END[a[plain + 2]].any():
                raise Unusual
        return self._references(words, found + len(head)) if found.size else False

    def _find(self, a: np.ndarray, end: int, text: bytes) -> np.ndarray:
        """Where `text` starts in a[:end] (a holds len(text) bytes more)."""
        if self.starts.size < end:
            self.starts, self.next = np.empty(end, bool), np.empty(end, bool)
        starts, following = self.starts[:end], self.next[:end]
        np.equal(a[:end], text[0], out=starts)
        for i, byte in enumerate(text[1:], 1):
            np.equal(a[i : end + i], byte, out=following)
            starts &= following
        return np.flatnonzero(starts)

    def _references(self, words: np.ndarray, at: np.ndarray) -> bool | None:
        """Take the references at `at` into the extent; whether a cell is of a kind in
        ODD_KINDS (None: not told)."""
        first = words[at]
        quotes = _quotes(first)
        letters = _letters(first)
        long = np.flatnonzero(quotes == 0)
        if long.size:  # references of eight characters or more: sixteen bytes
            second = words[at[long] + 8]
            quotes[long] |= _quotes(second) << _U64(8)
            letters[long] |= _letters(second) << _U64(8)
        letter_count = _ONES[letters]
        quote_at = _ONES[~quotes & _U64(0xFFFF)]  # trailing zeros: the closing quote's place
        digit_count = quote_at - letter_count
        low, high = letter_count.min(), letter_count.max()
        first_digit = (first >> (8 * letter_count).astype(_U64)) & _U64(0xFF)
        if low < 1 or high > 3 or digit_count.min() < 1 or digit_count.max() > 7 or (first_digit == 0x30).any():
            raise Unusual  # no letters or digits, leading zeros, beyond Excel's grid: counted exactly
        widest = letter_count == high
        self.extent.columns = max(self.extent.columns, _column(int(_big_endian(first[widest], 0, int(high)).max())) + 1)
        longest = digit_count == digit_count.max()
        count = int(digit_count.max())
        shift = int(low) if low == high else None
        if shift is not None and shift + count <= 8:
            digits = _big_endian(first[longest], shift, count)
        else:  # letters of several lengths, or digits into the next word
            chosen = at[longest]
            lead = letter_count[longest]
            both = [words[chosen + lead + i] & _U64(0xFF) for i in range(count)]
            digits = np.zeros(chosen.size, _U64)
            for byte in both:
                digits = (digits << _U64(8)) | byte
        furthest = int(digits.max()).to_bytes(count, "big")
        if not furthest.isdigit():  # r="12 x" and the like, which the reader refuses: counted exactly
            raise Unusual
        self.extent.rows = max(self.extent.rows, int(furthest))
        return _odd_kinds(words, at + quote_at + 1)


def _odd_kinds(words: np.ndarray, at: np.ndarray) -> bool | None:
    """Whether a cell whose attributes go on at `at` (just past r="…") is of a kind in
    ODD_KINDS, read in the order Excel and the usual writers keep: s="…" (a style), then
    t="…" (a kind), then the tag's end. None where the attributes are otherwise."""
    after = words[at]
    styled = (after & _FOUR) == _STYLE
    if styled.any():
        value = words[at[styled] + 4]
        length = _ONES[~_quotes(value) & _U64(0xFF)]  # trailing zeros: the closing quote's place
        if (length == 8).any():
            return None
        at = at.copy()
        at[styled] += 5 + length.astype(np.int64)
        after = words[at]
    first = after & _U64(0xFF)
    kind = (after >> _U64(32)) & _U64(0xFF)
    typed = ((after & _FOUR) == _KIND) & (((after >> _U64(40)) & _U64(0xFF)) == _U64(ord('"')))
    known = ((after & _FOUR) == _KIND) | (first == _U64(ord(">"))) | (first == _U64(ord("/")))
    if not known.all():
        return None
    return bool((typed & ((kind == _U64(ord("b"))) | (kind == _U64(ord("e"))) | (kind == _U64(ord("d"))))).any())


def _starts_with(words: np.ndarray, at: np.ndarray, text: bytes) -> np.ndarray:
    """Whether the bytes at each of `at` start with text (at most 16 bytes)."""
    same = np.ones(at.size, bool)
    for word in range(0, len(text), 8):
        part = text[word : word + 8]
        mask = _U64((1 << 8 * len(part)) - 1)
        same &= (words[at + word] & mask) == _U64(int.from_bytes(part, "little"))
    return same


def _big_endian(words: np.ndarray, skip: int, count: int) -> np.ndarray:
    """Bytes skip … skip+count-1 of each little-endian word, as one big-endian number (so
    that comparing numbers compares the texts): digits, or letters folded to lower case."""
    part = words >> _U64(8 * skip)
    if skip == 0:
        part = part | _every_byte(0x20)  # letters: 'A' and 'a' alike
    return (part.byteswap() >> _U64(64 - 8 * count)) if count else np.zeros(words.size, _U64)


def _column(letters: int | bytes) -> int:
    """A column's letters (b'ab', or big-endian as 0x6162) -> its number, 0-based (27)."""
    number = 0
    for byte in letters if isinstance(letters, bytes) else letters.to_bytes(8, "big").lstrip(b"\0"):
        number = number * 26 + (byte | 0x20) - 96
    return number - 1


class SlowCells:
    """The furthest cell as the reader places it, tag by tag: <row r="…"> sets the row (and
    </row> moves to the next), a cell without r="…" takes the column after the last one.
    Cells are taken whatever their prefix (x:c); empty ones (<c …/>) are skipped, as the
    reader skips them. About ten times slower than Cells: for sheets not written the usual way."""

    # possessive (*+, ++): a tag that never ends fails at once, without backtracking
    TAG = re.compile(rb"<(/?)(?:[A-Za-z_][\w.\-]*+:)?(c|row)(?=[\s/>])((?:[^<>\"']++|\"[^\"]*+\"|'[^']*+')*+)>")
    ATTRIBUTE = re.compile(rb"""([^\s=/"']+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
    REFERENCE = re.compile(rb"([A-Za-z]*)([0-9]+)")

    def __init__(self) -> None:
        self.extent = Extent()
        self.row = 0  # 0-based, as the reader counts
        self.column = 0

    def feed(self, data: bytes) -> None:
        for closing, name, attributes in self.TAG.findall(data):
            if attributes.endswith(b"/"):  # an empty element: the reader takes no cell or row from it
                continue
            if name == b"row":
                if closing:
                    self.row, self.column = self.row + 1, 0
                elif (reference := self._reference(attributes)) is not None:
                    self.row = reference[0]
                continue
            if closing:
                continue
            if (reference := self._reference(attributes)) is not None:
                self.row, self.column = reference
            self.extent.rows = max(self.extent.rows, self.row + 1)
            self.extent.columns = max(self.extent.columns, self.column + 1)
            self.column += 1

    def _reference(self, attributes: bytes) -> tuple[int, int] | None:
        """(row, column), 0-based, of the r="…" attribute; None where there is none or the
        reader could not read it (it refuses the sheet then)."""
        for name, double, single in self.ATTRIBUTE.findall(attributes):
            if name == b"r":
                parts = self.REFERENCE.fullmatch(double or single)
                break
        else:
            return None
        if parts is None:
            return None
        column = 0
        for letter in parts.group(1).upper():
            column = column * 26 + letter - 64
        row = int(parts.group(2))
        # a row 0 or a number past 32 bits wraps around in the reader: as far off as it can be
        return (row - 1 if 0 < row < 1 << 32 else (1 << 32) - 1), max(column - 1, 0)


_NAME = re.compile(rb"[A-Za-z_][\w.\-]*")


def _prefixed_cells(data: bytes, end: int, prefix: bytes) -> None:
    """Unusual where a cell or row element has a prefix other than the root's (<x:c …>), which
    the search for '<c' (or '<x:c') does not find."""
    a = np.frombuffer(data, np.uint8, min(len(data), end + 8))
    colons = np.flatnonzero(a[:end] == 0x3A)
    colons = colons[colons + 4 < a.size]
    is_c = (a[colons + 1] == 0x63) & _CELL_END[a[colons + 2]]
    is_row = (a[colons + 1] == 0x72) & (a[colons + 2] == 0x6F) & (a[colons + 3] == 0x77) & _CELL_END[a[colons + 4]]
    for colon in colons[is_c | is_row].tolist():
        opening = data.rfind(b"<", max(0, colon - 256), colon)
        name = data[opening + 1 : colon].lstrip(b"/")
        if opening >= 0 and _NAME.fullmatch(name) and name + b":" != prefix:
            raise Unusual
