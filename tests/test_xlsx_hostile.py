"""Workbooks made to crash or exhaust the xlsx readers (issue 13, item 2): each is refused
quickly with a clean `Error:` naming the file, the sheet, what was found and the --limit that
raises the limit; never a native abort, a traceback or `internal error`.

Every hostile workbook is made here, from a small valid one, in milliseconds: a zip bomb is a
deflate stream of one unit repeated (each copy ends on a byte boundary, with no reference back
past it, so copies of its bytes join into one valid stream), written with the sizes its zip
entries are to declare. The cases that crashed the process or ate gigabytes before run
kfollow in a child process, so that a regression fails the test and not the test run; they
also measure the child's time and peak memory.
"""

from __future__ import annotations

import json
import random
import re
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES, ROOT, run
from openpyxl import Workbook

from kfollow.cli import cli

HEADER = ["år", "period", "version", "konto", "ansvar", "text", "belopp"]
# ASCII text: where lxml is installed openpyxl writes "ö" as "&#246;", and the tests find this cell by its bytes
ROWS = [[2024, 1, "utfall", "5011", "A", "lon", 100], [2024, 1, "utfall", "5012", "A", "lon", 50]]
SHEET = "xl/worksheets/sheet1.xml"
SHARED = "xl/sharedStrings.xml"
LON = b"lon"  # the text cell of the first row
SST = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
GiB = 1 << 30
MiB = 1 << 20


def workbook(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "Huvudbok"
    for row in [HEADER, *ROWS]:
        sheet.append(row)
    book.save(path)
    return path


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def plain(data: bytes) -> tuple[bytes, int, int]:
    """A member as (raw deflate stream, size declared, CRC), honestly."""
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush(), len(data), zlib.crc32(data)


def repeated(head: bytes, unit: bytes, times: int, tail: bytes) -> tuple[bytes, int]:
    """head + unit × times + tail as a raw deflate stream, and its size: unit is deflated once
    and its bytes repeated (a full flush ends each copy on a byte boundary, with no reference
    back past it)."""
    parts = []
    for data, mode in ((head, zlib.Z_FULL_FLUSH), (unit, zlib.Z_FULL_FLUSH), (tail, zlib.Z_FINISH)):
        packer = zlib.compressobj(9, zlib.DEFLATED, -15)
        parts.append(packer.compress(data) + packer.flush(mode))
    return parts[0] + parts[1] * times + parts[2], len(head) + len(unit) * times + len(tail)


def write_zip(path: Path, entries: dict[str, tuple[bytes, int, int]]) -> Path:
    """A zip of raw deflate streams, each entry declaring the size and CRC given."""
    with path.open("wb") as out:
        directory = []
        for name, (raw, declared, crc) in entries.items():
            offset, encoded = out.tell(), name.encode()
            fields = (20, 0, 8, 0, 0x21, crc, len(raw), declared, len(encoded))
            out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields, 0) + encoded + raw)
            directory.append(
                struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, *fields, 0, 0, 0, 0, 0, offset) + encoded
            )
        start = out.tell()
        out.write(b"".join(directory))
        out.write(
            struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(directory), len(directory), out.tell() - start, start, 0)
        )
    return path


def with_sheet(path: Path, edit, name: str = "book.xlsx") -> Path:
    """The workbook at `path` with its sheet's XML edited (edit: bytes -> bytes)."""
    parts = {n: plain(edit(d) if n == SHEET else d) for n, d in members(path).items()}
    return write_zip(path.parent / name, parts)


# The child reports its own peak (VmHWM, reset at exec): a child's ru_maxrss on Linux keeps the
# peak of the pytest process it was forked from, which after the fuzz tests is far over 300 MiB.
_PEAK = "@@kfollow-peak-kib "
_RUN = (
    "import atexit, runpy, sys\n"
    "def peak():\n"
    "    line = next(l for l in open('/proc/self/status') if l.startswith('VmHWM'))\n"
    f"    sys.stderr.write('\\n{_PEAK}' + line.split()[1] + '\\n')\n"
    "atexit.register(peak)\n"
    "sys.argv = ['kfollow', *sys.argv[1:]]\n"
    "runpy.run_module('kfollow', run_name='__main__')\n"
)


def child(*args: object) -> tuple[int, str, float, float]:
    """kfollow in a child process: (exit code, stderr, seconds, peak RSS in MiB)."""
    started = time.perf_counter()
    process = subprocess.run(
        [sys.executable, "-c", _RUN, *map(str, args)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    stderr, peak = process.stderr.decode(), 0.0
    if _PEAK in stderr:
        stderr, _, kib = stderr.rpartition(_PEAK)
        stderr, peak = stderr.rstrip("\n") + "\n", int(kib) / 1024
    return process.returncode, stderr, time.perf_counter() - started, peak


def refused(result: tuple[int, str, float, float], *expected: str) -> str:
    """The one Error: line of a clean refusal (exit 3) holding each expected text."""
    code, stderr, _, peak = result
    assert code == 3, stderr[-2000:]
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr[-2000:]
    errors = [line for line in stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, stderr[-2000:]
    for text in expected:
        assert text in errors[0], errors[0]
    assert peak < 300, f"peak RSS {peak:.0f} MiB"
    return errors[0]


def outcome(path: Path, *options: object) -> dict[str, int]:
    result = run("variance", path, "--sign", "ledger", "--unit", "kr", "--format", "json", "--year", "2024", *options)
    return {row["label"]: row["values"]["outcome"] for row in json.loads(result.stdout)["rows"]}


# --- 1. a cell far off: calamine allocates rows × columns × 32 bytes --------------------------


def prefixed(xml: bytes) -> bytes:
    """The sheet's XML with every element in a prefix (<x:c>, as .NET's Open XML SDK writes)."""
    return re.sub(rb"<(/?)([A-Za-z])", rb"<\1x:\2", xml).replace(b'xmlns="', b'xmlns:x="')


FAR = {
    # the reference says where the cell is
    "reference": b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
    # the reader places a cell without one after the cell before it, in the row last named
    "place": b'<row r="1048576">' + b"<c><v>1</v></c>" * 16384 + b"</row>",
    # the reader takes elements by their local name
    "prefix": b'<x:row xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" r="1048576">'
    b'<x:c r="XFD1048576"><x:v>1</x:v></x:c></x:row>',
    "prefixed sheet": b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
}


@pytest.mark.parametrize("written", FAR)
def test_a_cell_at_XFD1048576_is_refused(tmp_path: Path, written: str) -> None:
    """Was a native abort (exit 134: 'memory allocation of 549754241024 bytes failed')."""

    def edit(xml: bytes) -> bytes:
        xml = xml.replace(b"</sheetData>", FAR[written] + b"</sheetData>")
        return prefixed(xml) if written == "prefixed sheet" else xml

    refused(
        child("variance", with_sheet(workbook(tmp_path / "b.xlsx"), edit), "--sign", "ledger"),
        "Error: book.xlsx: sheet 'Huvudbok' reaches cell XFD1048576",
        "A1:XFD1048576 is 1 048 576 rows × 16 384 columns = 17 179 869 184 cells",
        "raise it with --limit sheet-cells=",
    )


def test_the_dimension_element_alone_is_harmless(tmp_path: Path) -> None:
    """The reader sizes only a first reservation (below 100 000 cells) by <dimension>: a
    workbook that claims A1:XFD1048576 and holds three rows is read as it is."""
    path = with_sheet(
        workbook(tmp_path / "b.xlsx"),
        # (openpyxl writes the element with a space before "/>", or without where lxml is installed)
        lambda xml: re.sub(rb'<dimension ref="A1:G3" ?/>', b'<dimension ref="A1:XFD1048576"/>', xml),
    )
    assert b"XFD1048576" in members(path)[SHEET]
    assert outcome(path)["Personalkostnader"] == -150


@pytest.mark.parametrize("sheet", ["plain", "prefixed"])
def test_sheet_cells_is_a_limit_the_user_can_raise(tmp_path: Path, sheet: str) -> None:
    """Rows × columns from A1 to the furthest cell: 3 × 7 = 21 cells here."""
    path = workbook(tmp_path / "b.xlsx")
    if sheet == "prefixed":
        path = with_sheet(path, prefixed, "b.xlsx")
    result = run("variance", path, "--sign", "ledger", "--limit", "sheet-cells=20", ok=False)
    assert result.exit_code == 3
    assert "Error: b.xlsx: sheet 'Huvudbok' reaches cell G3: A1:G3 is 3 rows × 7 columns = 21 cells" in result.stderr
    assert outcome(path, "--limit", "sheet-cells=21")["Personalkostnader"] == -150


# --- 2. zip bombs: 2 MB that inflate to 2 GiB -------------------------------------------------


def bomb(tmp_path: Path, member: str, declared: str) -> Path:
    """The small workbook, with `member` (the sheet or the shared strings) inflating to 2 GiB
    of blanks between its XML; its entry declaring that ('honest') or 681 bytes ('lying')."""
    parts = {n: plain(d) for n, d in members(workbook(tmp_path / "b.xlsx")).items()}
    if member == SHEET:
        xml = members(tmp_path / "b.xlsx")[SHEET]
        cut = xml.index(b"</sheetData>")
        raw, inflated = repeated(xml[:cut], b" " * MiB, 2048, xml[cut:])
    else:
        raw, inflated = repeated(SST + b"<si><t>x</t></si>", b" " * MiB, 2048, b"</sst>")
    parts[member] = (raw, inflated if declared == "honest" else 681, 0)
    path = write_zip(tmp_path / "bomb.xlsx", parts)
    assert path.stat().st_size < 3 * MiB and inflated > 2 * GiB
    return path


@pytest.mark.parametrize("member", [SHEET, SHARED])
def test_a_zip_bomb_declaring_its_size_is_refused_from_the_zip_directory(tmp_path: Path, member: str) -> None:
    """Was exit 0 after 2 GiB of memory (the sheet) or 20 s and 2 GiB (its checksum)."""
    result = child("variance", bomb(tmp_path, member, "honest"), "--sign", "ledger")
    what = "sheet 'Huvudbok' (with the shared strings) inflates" if member == SHEET else "parts of the workbook inflate"
    refused(result, "Error: bomb.xlsx: ", what, f"to 2.0 GiB ({member}: 2.0 GiB)", "raise it with --limit xlsx-size=4G")
    assert result[2] < 5  # seconds, with the child's start (~1 s): the refusal itself is instant


@pytest.mark.parametrize("member", [SHEET, SHARED])
def test_a_zip_bomb_lying_about_its_size_is_refused_where_it_passes_it(tmp_path: Path, member: str) -> None:
    """fastexcel's zip reader inflates a member past its declared size (python-calamine's does
    not); the bytes are counted as they inflate, and the lie ends the read at once."""
    result = child("variance", bomb(tmp_path, member, "lying"), "--sign", "ledger")
    refused(result, f"Error: bomb.xlsx: {member} inflates to more than the 681 bytes its zip entry declares")
    assert result[2] < 5


# --- 3. one huge cell -----------------------------------------------------------------------


def huge_cell(tmp_path: Path, member: str, text_size: int) -> Path:
    """The small workbook with one text cell of text_size bytes: an inline string in the
    sheet, or a shared string (the 'text' cell of the first row refers to it)."""
    parts = {n: plain(d) for n, d in members(workbook(tmp_path / "b.xlsx")).items()}
    times, rest = divmod(text_size, MiB)
    if member == SHEET:
        xml = members(tmp_path / "b.xlsx")[SHEET]
        cut = xml.index(b"<t>" + LON + b"</t>") + 3
        raw, inflated = repeated(xml[:cut], b"x" * MiB, times, b"x" * rest + xml[cut + len(LON) :])
    else:
        xml = members(tmp_path / "b.xlsx")[SHEET].replace(
            b'<c r="F2" t="inlineStr"><is><t>' + LON + b"</t></is></c>", b'<c r="F2" t="s"><v>0</v></c>'
        )
        parts[SHEET] = plain(xml)
        raw, inflated = repeated(SST + b"<si><t>", b"x" * MiB, times, b"x" * rest + b"</t></si></sst>")
    parts[member] = (raw, inflated, zlib.crc32(b"") if text_size > 64 * MiB else _crc(raw))
    return write_zip(tmp_path / "cell.xlsx", parts)


def _crc(raw: bytes) -> int:
    return zlib.crc32(zlib.decompress(raw, -15))


@pytest.mark.parametrize("member", [SHEET, SHARED])
def test_a_600_MB_text_cell_is_refused(tmp_path: Path, member: str) -> None:
    """Was 4 GB of memory and killed."""
    result = child("variance", huge_cell(tmp_path, member, 600 * MiB), "--sign", "ledger")
    sheet = "sheet 'Huvudbok': " if member == SHEET else ""  # the shared strings are read with the workbook
    refused(
        result,
        f"Error: cell.xlsx: {sheet}a cell (or other text) of at least ",
        f"in {member}",
        "raise it with --limit cell=2M",
    )
    assert result[2] < 5


def test_the_cell_limit_can_be_raised(tmp_path: Path) -> None:
    """A 2 MiB text is refused by default and read with --limit cell=4M."""
    path = huge_cell(tmp_path, SHEET, 2 * MiB)
    result = run("variance", path, "--sign", "ledger", ok=False)
    assert result.exit_code == 3
    assert (
        "Error: cell.xlsx: sheet 'Huvudbok': a cell (or other text) of 2.0 MiB in xl/worksheets/sheet1.xml, row 2"
        in result.stderr
    )
    assert "the limit is 1 MiB: raise it with --limit cell=2M" in result.stderr
    assert outcome(path, "--limit", "cell=4M")["Personalkostnader"] == -150


# --- 4. one flipped byte --------------------------------------------------------------------


def flips(data: bytes) -> list[int]:
    """Where to flip a byte of ks-2024.xlsx: the sheet's zip header (signature, name) and
    compressed data (start, middle, five random places), its entry in the zip directory
    (CRC, compressed size, header offset) and the directory's end record; the data of the
    workbook part; the data of the theme, which no reader opens. (A sweep of every byte of
    the zip structure and 300 random data bytes, each flipped two ways, gave 1485 clean errors
    and 1167 unchanged tables.)"""
    with zipfile.ZipFile(EXAMPLES / "ks-2024.xlsx") as archive:
        starts = {
            i.filename: (i.header_offset, i.header_offset + 30 + len(i.filename) + len(i.extra))
            for i in archive.infolist()
        }
        size = archive.getinfo(SHEET).compress_size
    header, body = starts[SHEET]
    entry = data.rindex(SHEET.encode()) - 46  # the sheet's entry in the zip directory, which comes last
    assert data[entry : entry + 4] == b"PK\x01\x02"
    return sorted(
        {header, header + 30, body, body + size // 2, *random.Random(13).sample(range(body, body + size), 5)}
        | {entry + 16, entry + 20, entry + 42, len(data) - 6}
        | {starts["xl/workbook.xml"][1], starts["xl/theme/theme1.xml"][1]}
    )


def test_one_flipped_byte_ends_in_an_error_or_the_right_result(tmp_path: Path) -> None:
    """Each flip: exit 3 with Error: lines, or exit 0 with the table of the unflipped file
    (a byte nobody reads); never a traceback (one came from a worker thread), never
    `internal error`."""
    data = (EXAMPLES / "ks-2024.xlsx").read_bytes()
    args = ["variance", "--config", EXAMPLES / "kfollow.toml", "--format", "json", "-q"]
    right = run(args[0], EXAMPLES / "ks-2024.xlsx", *args[1:]).stdout
    path = tmp_path / "flip.xlsx"
    # and two bytes of the sheet's data, flipped one bit, that made r="145 r=" (an internal error once)
    for position, mask in [*((p, 0xFF) for p in flips(data)), (63284, 0x01), (140335, 0xFF)]:
        path.write_bytes(data[:position] + bytes([data[position] ^ mask]) + data[position + 1 :])
        result = CliRunner().invoke(cli, [str(a) for a in [args[0], path, *args[1:]]])
        said = f"flip at byte {position}: exit {result.exit_code}\n{result.stderr}"
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr, said
        assert result.exception is None or isinstance(result.exception, SystemExit), said
        if result.exit_code == 0:
            assert result.stdout == right, said
        else:
            assert result.exit_code == 3 and result.stderr.startswith("Error: flip.xlsx"), said


# --- and the odd ones -----------------------------------------------------------------------


def test_a_workbook_without_sheets(tmp_path: Path) -> None:
    parts = members(workbook(tmp_path / "b.xlsx"))
    start, end = parts["xl/workbook.xml"].index(b"<sheets>"), parts["xl/workbook.xml"].index(b"</sheets>") + 9
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"][:start] + b"<sheets/>" + parts["xl/workbook.xml"][end:]
    path = write_zip(tmp_path / "none.xlsx", {n: plain(d) for n, d in parts.items()})
    result = run("variance", path, ok=False)
    assert result.exit_code == 3 and result.stderr == "Error: none.xlsx: the workbook has no sheet of cells\n"


def test_a_sheet_that_is_no_xml(tmp_path: Path) -> None:
    path = with_sheet(workbook(tmp_path / "b.xlsx"), lambda xml: b"PK\x03\x04 no XML \xff\x00" * 50)
    result = run("variance", path, ok=False)
    assert result.exit_code == 3 and "internal error" not in result.stderr
    assert result.stderr.startswith("Error: book.xlsx: sheet 'Huvudbok' cannot be read (")


def test_control_characters_in_a_sheet_name_are_shown_escaped(tmp_path: Path) -> None:
    """A terminal escape in a sheet name reaches the message as \\x1b, not as an escape."""
    parts = members(workbook(tmp_path / "b.xlsx"))
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(b'name="Huvudbok"', b'name="Huvud&#x1b;[2Jbok"')
    path = write_zip(tmp_path / "esc.xlsx", {n: plain(d) for n, d in parts.items()})
    assert outcome(path)["Personalkostnader"] == -150  # the first sheet, whatever its name
    result = run("variance", path, "--sheet", "Saknas", ok=False)
    assert result.exit_code == 2 and "\x1b" not in result.stderr
    assert "its sheets are: 'Huvud\\x1b[2Jbok'\n" in result.stderr


def test_a_zip_directory_of_millions_of_files_is_refused(tmp_path: Path) -> None:
    """zipfile would hold every entry in memory (some 500 bytes each): refused by the size its
    end record gives, before any is read."""
    path = workbook(tmp_path / "b.xlsx")
    data = bytearray(path.read_bytes())
    end = data.rindex(b"PK\x05\x06")
    data[end + 12 : end + 16] = struct.pack("<I", 100 * MiB)  # a directory of 100 MiB
    path.write_bytes(bytes(data))
    result = run("variance", path, ok=False)
    assert result.exit_code == 3
    assert result.stderr.startswith("Error: b.xlsx: its zip directory is 100.0 MiB (room for some 2 097 152 files)")


@pytest.mark.parametrize("order", ["usual", "kind first"])
def test_the_scan_finds_the_odd_cells_and_merged_ranges(tmp_path: Path, order: str) -> None:
    """The fast reader takes them from the scan (no second inflating of the sheet): the same
    as xlsx._scan finds, with the attributes in Excel's order (r, s, t) or not."""
    from kfollow.read import xlsx, xlsx_guard
    from kfollow.read.options import Limits

    book = Workbook()
    sheet = book.active
    sheet.title = "Huvudbok"
    for row in [HEADER, *ROWS, [2024, 2, "utfall", "5013", "A", "x", True]]:
        sheet.append(row)
    sheet.merge_cells("E2:E3")
    sheet.merge_cells("A6:B7")
    book.save(tmp_path / "b.xlsx")
    path = with_sheet(
        tmp_path / "b.xlsx", lambda xml: xml if order == "usual" else xml.replace(b'r="G4" t="b"', b't="b" r="G4"')
    )
    assert (b't="b" r="G4"' in members(path)[SHEET]) == (order != "usual")
    facts = xlsx_guard.check_sheet(xlsx_guard.open_workbook(path, Limits()), "Huvudbok")
    merges: list[tuple[int, int, int, int]] = []
    with zipfile.ZipFile(path) as archive:
        odd = xlsx._scan(archive, SHEET, merges)
    assert facts is not None and facts.part == SHEET
    assert (facts.odd, sorted(facts.merges or [])) == (odd, sorted(merges)) == (True, [(1, 4, 2, 4), (5, 0, 6, 1)])
