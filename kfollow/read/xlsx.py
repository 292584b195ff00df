"""XLSX workbooks: python-calamine reads any sheet and names every problem; fastexcel reads a
large plain sheet's planned columns straight into Arrow (read_xlsx_fast).

The fast way through a large .xlsx sheet: fastexcel reads the planned columns into Arrow.

fastexcel (calamine in Rust, straight to Arrow) reads a 1M-row sheet in about half the time
python-calamine needs to hand the same cells to Python (bench/README.md). It is told the
header's row, which is found here in the sheet's own XML (the first rows, read from the start
of the zip member, with the shared strings they use), as python-calamine's reader finds it;
fastexcel's column names are then checked against that header.

Anything this reader does not take on returns None, and read_xlsx reads the sheet
with python-calamine instead (which names every problem): a text cell in an amount column,
cells merged down over rows below the header, rows or cells without their r="A1" reference,
a header not among the first rows of XML read."""

from __future__ import annotations

import html
import posixpath
import re
import threading
import zipfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import pandas as pd

from ..errors import LoadError, OptionError, shown
from ..money import floats_to_ore, text_to_ore
from .options import Limits
from .table import (
    HEADER_SEARCH_ROWS,
    ColumnPlan,
    Planner,
    Table,
    bad_amounts,
    blank_rows,
    cell_text,
    describe,
    nearest_row,
)
from .xlsx_guard import SheetFacts, check_sheet, open_workbook

if TYPE_CHECKING:
    import datetime

    from python_calamine import CalamineWorkbook

    # A cell as python-calamine gives it, and a merged range ((top, left), (bottom, right)), 0-based.
    Cell: TypeAlias = int | float | str | bool | datetime.time | datetime.date | datetime.datetime | datetime.timedelta
    MergedRange: TypeAlias = tuple[tuple[int, int], tuple[int, int]]


DEFAULT_LIMITS = Limits()


def read_xlsx(path: Path, plan: Planner, sheet: str | None, limits: Limits = DEFAULT_LIMITS) -> Table:
    # calamine (Rust) reads a sheet about ten times as fast as openpyxl's cell-by-cell parser
    # (bench/README.md); openpyxl stays for writing workbooks.
    from python_calamine import CalamineWorkbook

    # calamine aborts the process on a cell at XFD1048576 and inflates a zip bomb whole:
    # the workbook is checked before it opens it, the sheet before it reads it (xlsx_guard).
    book = open_workbook(path, limits)
    with book.archive:
        try:
            workbook = CalamineWorkbook.from_path(str(path))
        except BaseException as error:  # calamine's own types, and a Rust panic (no Exception)
            _reraise_interrupt(error)
            raise LoadError(f"{describe(path)}: not a readable .xlsx workbook ({shown(error)})") from None
        name = _sheet_name(workbook, path, sheet)
        facts = check_sheet(book, name)
    fast = read_xlsx_fast(path, name, plan, facts)
    if fast is not None:
        return fast
    rows, merged = _sheet_rows(workbook, path, name)
    header_index, columns = _find_header(rows, plan)
    merge_problems = _fill_merged_cells(rows, merged, header_index, columns, path)
    frame, problems = _body_frame(rows[header_index + 1 :], header_index, columns, path)
    return Table(frame, path, columns, header_index + 1, merge_problems + problems)


def _sheet_name(workbook: CalamineWorkbook, path: Path, sheet: str | None) -> str:
    """The sheet to read: --sheet, else the first visible sheet of cells (else the first hidden one)."""
    from python_calamine import SheetTypeEnum, SheetVisibleEnum

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
            raise OptionError(f"--sheet {_plain(sheet)}: in {describe(path)} that is a chart, not a sheet of cells")
    else:
        names = ", ".join(_plain(n) for n in workbook.sheet_names[:20])
        more = f" and {len(workbook.sheet_names) - 20} more" if len(workbook.sheet_names) > 20 else ""
        raise OptionError(
            f"--sheet {_plain(sheet)}: {describe(path)} has no sheet named {shown(sheet)}; "
            f"its sheets are: {names}{more}"
        )
    return name


def _plain(name: str) -> str:
    """A sheet name as it is, or quoted with its control characters escaped (shown) where it
    has any or is long: a name is the workbook's text, and may hold a terminal escape."""
    return name if name.isprintable() and len(name) <= 60 else shown(name, 60)


def _reraise_interrupt(error: BaseException) -> None:
    """A Rust panic in calamine arrives as pyo3's PanicException, a BaseException: it is the
    file's fault and becomes a LoadError; an interrupt stays one."""
    if isinstance(error, KeyboardInterrupt | SystemExit | GeneratorExit):
        raise error


def _sheet_rows(workbook: CalamineWorkbook, path: Path, name: str) -> tuple[list[list[Cell]], list[MergedRange]]:
    """The sheet's rows, and its merged ranges."""
    try:
        worksheet = workbook.get_sheet_by_name(name)
        # skip_empty_area=False: rows and columns keep their places, so row numbers are Excel's.
        rows = worksheet.to_python(skip_empty_area=False)
        merged = worksheet.merged_cell_ranges or []
    except BaseException as error:  # calamine's own types, and a Rust panic (no Exception)
        _reraise_interrupt(error)
        raise LoadError(f"{describe(path)}: sheet {shown(name)} cannot be read ({shown(error)})") from None
    if not any(any(v not in (None, "") for v in row) for row in rows):
        raise LoadError(f"{describe(path)}: sheet {shown(name)} is empty (--sheet NAME picks another)")
    return rows, merged


def _find_header(rows: list[list[Cell]], plan: Planner) -> tuple[int, ColumnPlan]:
    """The header's row (0-based) among the first HEADER_SEARCH_ROWS and its plan; NoHeader,
    naming the nearest row, where none is a header."""
    candidates = [(i + 1, [cell_text(v) or "" for v in row]) for i, row in enumerate(rows[:HEADER_SEARCH_ROWS])]
    for line, cells in candidates:
        columns = plan(cells)
        if columns:
            return line - 1, columns
    raise nearest_row(candidates, plan)


def _body_frame(
    body: list[list[Cell]], header_index: int, columns: ColumnPlan, path: Path
) -> tuple[pd.DataFrame, list[str]]:
    """The rows below the header as the frame (codes as text, amounts in öre, blank rows left
    out), and the bad amounts named."""

    def cells(position: int) -> list[object]:
        return [row[position] if position < len(row) else None for row in body]

    frame = pd.DataFrame(
        {
            key: pd.Series([cell_text(v) for v in cells(p)], dtype=object).astype("category")
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
            problems += bad_amounts(bad, raw, line, path, columns, position)
    frame["line"] = line
    blank = blank_rows(frame, columns)
    if blank.any():
        frame = frame[~blank].reset_index(drop=True)
    return frame, problems


def _fill_merged_cells(
    rows: list[list[Cell]], ranges: list[MergedRange], header_index: int, columns: ColumnPlan, path: Path
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


HEAD_BYTES = 1 << 20  # XML read for the header: 30 rows of any export fit many times over

_ROW = re.compile(rb"<row\b([^>]*?)(?:/>|>(.*?)</row>)", re.S)

_CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)

_ATTRIBUTE = re.compile(rb'\b(r|t)="([^"]*)"')

_VALUE = re.compile(rb"<v>(.*?)</v>", re.S)

_TEXT = re.compile(rb"<t\b[^>]*>(.*?)</t>", re.S)  # the runs of a string (inline or shared)

_PHONETIC = re.compile(rb"<rPh\b.*?</rPh>", re.S)  # reading aids, not part of the text

_REFERENCE = re.compile(r"^([A-Z]{1,3})(\d+)$")

_MERGE = re.compile(rb'<mergeCell\b[^>]*\bref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')


def read_xlsx_fast(path: Path, sheet: str, plan: Planner, facts: SheetFacts | None = None) -> Table | None:
    """The sheet as read_xlsx reads it (the same frame and line numbers), or None. `facts`:
    what xlsx_guard's scan of the sheet found (its odd cells and merged ranges), which spares
    inflating the sheet once more."""
    try:
        import fastexcel
    except ImportError:  # an install without it: python-calamine reads every sheet
        return None
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:  # checked sound a moment ago: changed since
        raise LoadError(
            f"{describe(path)}: cannot be read ({shown(error)}); did it change while kfollow read it?"
        ) from None
    with archive:
        head = _sheet_head(archive, sheet)
        found = _header(head[1], plan) if head is not None else None
        if head is None or found is None:
            return None
        part, rows = head
        header_row, columns = found
        names = _names(rows[header_row], columns)
        if names is None:
            return None
        if facts is not None and facts.part == part and facts.merges is not None:
            batch, errors = _load(fastexcel, path, sheet, header_row, columns, names)
            odd, merges = facts.odd, facts.merges
        else:
            batch, errors, odd, merges = _load_and_scan(
                fastexcel, archive, part, path, sheet, header_row, columns, names
            )
    if batch is None or errors or odd:
        return None  # a text or date amount, or a boolean or error cell somewhere
    wanted = {*columns.text, *columns.amounts}
    if any(
        bottom > top and bottom > header_row and left <= p <= right
        for top, left, bottom, right in merges
        for p in wanted
    ):
        return None  # codes to fill in, or an amount to name: python-calamine's reader does both
    return _table(path, batch, columns, header_row, names)  # None: a date among the codes


def _load_and_scan(
    fastexcel: Any,
    archive: zipfile.ZipFile,
    part: str,
    path: Path,
    sheet: str,
    header_row: int,
    columns: ColumnPlan,
    names: dict[int, str],
) -> tuple[Any, Any, bool, list[tuple[int, int, int, int]]]:
    """_load, with the sheet's odd cells and merged ranges (_scan) found meanwhile."""
    # Merged ranges come after the cells: the whole member is inflated for them, on the
    # other core while fastexcel reads the cells (zlib lets go of the GIL).
    merges: list[tuple[int, int, int, int]] = []
    odd: list[bool | BaseException] = []
    scan = threading.Thread(target=_on_thread, args=(odd, lambda: _scan(archive, part, merges)))
    scan.start()
    try:
        batch, errors = _load(fastexcel, path, sheet, header_row, columns, names)
    finally:
        scan.join()
    if odd and isinstance(odd[0], BaseException):  # the sheet changed since it was checked, or the like
        raise LoadError(f"{describe(path)}: sheet {shown(sheet)} cannot be read ({shown(odd[0])})")
    return batch, errors, odd != [False], merges


def _sheet_head(archive: zipfile.ZipFile, sheet: str) -> tuple[str, dict[int, dict[int, object]]] | None:
    """The sheet's member and its first rows (_head_rows), or None."""
    try:
        part = _sheet_part(archive, sheet)
        head = _head_rows(archive, part) if part is not None else None
    except ValueError:  # a row number or text that is not one: python-calamine's reader names it
        return None
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error):  # checked sound a moment ago: changed since
        return None  # python-calamine's reader says what it finds
    return (part, head) if part is not None and head is not None else None


def _on_thread(result: list[bool | BaseException], work: Any) -> None:
    """Run work() on a thread: its result, or what it raised, for the main thread to see (a
    thread's exception would otherwise print a traceback and be lost)."""
    try:
        result.append(work())
    except BaseException as error:
        result.append(error)


def _sheet_part(archive: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member that holds a sheet's cells, from workbook.xml and its relationships."""
    try:
        workbook = archive.read("xl/workbook.xml")
        relations = archive.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return None
    target = None
    for attributes in re.findall(rb"<sheet\b([^>]*)/?>", workbook):
        name = re.search(rb'\bname="([^"]*)"', attributes)
        rid = re.search(rb'\br:id="([^"]*)"', attributes)
        if name and rid and html.unescape(name.group(1).decode("utf-8")) == sheet:
            target = rid.group(1)
    if target is None:
        return None
    for attributes in re.findall(rb"<Relationship\b([^>]*)/?>", relations):
        rid = re.search(rb'\bId="([^"]*)"', attributes)
        where = re.search(rb'\bTarget="([^"]*)"', attributes)
        if rid and where and rid.group(1) == target:
            link = html.unescape(where.group(1).decode("utf-8"))
            member = link.lstrip("/") if link.startswith("/") else posixpath.normpath(posixpath.join("xl", link))
            return member if member in archive.namelist() else None
    return None


def _head_rows(archive: zipfile.ZipFile, part: str) -> dict[int, dict[int, object]] | None:
    """{row: {column: value}} for the first HEADER_SEARCH_ROWS rows, 0-based as
    python-calamine counts them; None where the XML is not as expected."""
    with archive.open(part) as member:
        data = member.read(HEAD_BYTES)
    start = data.find(b"<sheetData")
    if start < 0:
        return None
    wanted: list[tuple[int, int, int]] = []  # (row, column, shared string index)
    rows = _first_rows(data, start, wanted)
    if rows is None:
        return None
    if wanted and not _put_shared_strings(archive, wanted, rows):
        return None
    return rows


def _first_rows(data: bytes, start: int, wanted: list[tuple[int, int, int]]) -> dict[int, dict[int, object]] | None:
    """The first rows' cells in the XML read, from <sheetData> at `start` (each shared string's
    index put into wanted); None where a row or cell is not as expected, or the first rows
    reach beyond what was read."""
    rows: dict[int, dict[int, object]] = {}
    complete = False
    for match in _ROW.finditer(data, start):
        attributes = dict(_ATTRIBUTE.findall(match.group(1)))
        if b"r" not in attributes:
            return None
        row = int(attributes[b"r"]) - 1
        if row >= HEADER_SEARCH_ROWS:
            complete = True
            break
        cells: dict[int, object] = {}
        for cell in _CELL.finditer(match.group(2) or b""):
            value = _cell_value(cell, row, wanted, cells)
            if value is _BAD:
                return None
        rows[row] = cells
    else:
        complete = b"</sheetData>" in data or b"<sheetData/>" in data
    if not complete:
        return None  # the first rows reach beyond what was read
    return rows


def _put_shared_strings(
    archive: zipfile.ZipFile, wanted: list[tuple[int, int, int]], rows: dict[int, dict[int, object]]
) -> bool:
    """Put the wanted shared strings into their cells; False where the workbook has not all of them."""
    shared = _shared_strings(archive, max(index for _, _, index in wanted))
    if shared is None:
        return False
    strings = dict(enumerate(shared))
    for row, column, index in wanted:
        if index not in strings:
            return False
        rows[row][column] = strings[index]
    return True


_BAD = object()


def _cell_value(
    cell: re.Match[bytes], row: int, wanted: list[tuple[int, int, int]], cells: dict[int, object]
) -> object:
    """Put one <c> element's value into cells (a shared string is looked up later)."""
    attributes = dict(_ATTRIBUTE.findall(cell.group(1)))
    reference = _REFERENCE.match(attributes.get(b"r", b"").decode("ascii", "replace"))
    if reference is None or int(reference.group(2)) - 1 != row:
        return _BAD
    column = _column(reference.group(1))
    kind = attributes.get(b"t", b"n")
    inner = cell.group(2) or b""
    if kind == b"inlineStr":
        runs = _TEXT.findall(_PHONETIC.sub(b"", inner))
        if runs:
            cells[column] = html.unescape(b"".join(runs).decode("utf-8"))
        return None
    value = _VALUE.search(inner)
    if value is None:
        return None  # a cell with a format and no value: python-calamine has no value either
    text = html.unescape(value.group(1).decode("utf-8"))
    return _put_value(kind, text, row, column, wanted, cells)


def _put_value(
    kind: bytes, text: str, row: int, column: int, wanted: list[tuple[int, int, int]], cells: dict[int, object]
) -> object:
    """Put a <v> value of this kind (t="…") into cells, or a shared string's index into wanted."""
    try:
        if kind == b"s":
            wanted.append((row, column, int(text)))
        elif kind == b"n":
            number = float(text)
            cells[column] = int(number) if number.is_integer() else number
    except ValueError:  # '<v></v>' and the like: python-calamine's reader takes the sheet
        return _BAD
    if kind in (b"s", b"n"):
        return None
    if kind == b"b":
        cells[column] = text == "1"
    else:  # str (a formula's text), e (an error), d (an ISO date): as text
        cells[column] = text
    return None


def _column(letters: str) -> int:
    """'A' -> 0, 'AA' -> 26."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number - 1


# Cells fastexcel would take as numbers or dates where python-calamine's reader sees a
# boolean (an amount TRUE is 1.0 to fastexcel), an error (#N/A) or an ISO date.
_ODD_CELLS = (b't="b"', b't="e"', b't="d"')


def _scan(archive: zipfile.ZipFile, part: str, merges: list[tuple[int, int, int, int]]) -> bool:
    """Inflate the whole member: put every merged range (top, left, bottom, right; 0-based) into
    merges, and say whether any cell is of a kind in _ODD_CELLS."""
    odd = False
    tail = b""
    with archive.open(part) as member:
        while chunk := member.read(1 << 22):
            data = tail + chunk
            odd = odd or any(kind in data for kind in _ODD_CELLS)
            tail = data[-16:] if b"</sheetData>" not in data else data[data.find(b"</sheetData>") :]
            if b"</sheetData>" in tail:  # what follows the cells is small: keep all of it
                while more := member.read(1 << 22):
                    tail += more
    for left, top, right, bottom in _MERGE.findall(tail):
        merges.append((int(top) - 1, _column(left.decode()), int(bottom) - 1, _column(right.decode())))
    return odd


def _shared_strings(archive: zipfile.ZipFile, last: int) -> list[str] | None:
    """The workbook's shared strings up to index `last`, read only that far."""
    try:
        member = archive.open("xl/sharedStrings.xml")
    except KeyError:
        return None
    found: list[str] = []
    pending = b""
    with member:
        while len(found) <= last:
            chunk = member.read(1 << 16)
            if not chunk:
                break
            pending += chunk
            end = 0
            for item in re.finditer(rb"<si>(.*?)</si>|<si/>", pending, re.S):
                body = _PHONETIC.sub(b"", item.group(1) or b"")
                found.append(html.unescape(b"".join(_TEXT.findall(body)).decode("utf-8")))
                end = item.end()
            pending = pending[end:]
    return found if len(found) > last else None


def _header(rows: dict[int, dict[int, object]], plan: Planner) -> tuple[int, ColumnPlan] | None:
    """The header's row (0-based) and plan, as read_xlsx finds them."""
    for row in range(HEADER_SEARCH_ROWS):
        cells = rows.get(row, {})
        width = max(cells, default=-1) + 1
        columns = plan([cell_text(cells.get(c)) or "" for c in range(width)])
        if columns:
            if columns.problems:
                return None  # python-calamine's reader names them
            return row, columns
    return None


def _names(cells: dict[int, object], columns: ColumnPlan) -> dict[int, str] | None:
    """The planned columns' names as fastexcel takes them: the header cells as written. None
    where two are alike (fastexcel would rename one) or one is no text."""
    names = {p: cells.get(p) for p in (*columns.text, *columns.amounts)}
    texts = {p: name for p, name in names.items() if isinstance(name, str)}
    if len(texts) != len(names) or sum(value in texts.values() for value in cells.values()) != len(texts):
        return None
    return texts


def _load(
    fastexcel: Any, path: Path, sheet: str, header_row: int, columns: ColumnPlan, names: dict[int, str]
) -> tuple[Any, Any]:
    """The planned columns by their header names: codes as text, amounts as numbers. An amount
    column that holds text cells is left to python-calamine's reader, which parses text as CSV
    text and names a bad cell: fastexcel would turn a text '1.5E2' into 150 (so its types are
    inferred from every row, strictly, not given)."""
    import pyarrow as pa

    dtypes = {names[p]: "string" for p in columns.text}
    amounts = [names[p] for p in columns.amounts]
    try:
        sheet_data = fastexcel.read_excel(str(path)).load_sheet(
            sheet,
            header_row=header_row,
            use_columns=[*dtypes, *amounts],
            dtypes=dtypes,
            dtype_coercion="strict",
            schema_sample_rows=None,
        )
        if sorted(c.name for c in sheet_data.selected_columns) != sorted([*dtypes, *amounts]):
            return None, None
        batch, errors = sheet_data.to_arrow_with_errors()
        for name in amounts:
            kind = batch.schema.field(name).type
            if not (pa.types.is_floating(kind) or pa.types.is_integer(kind) or pa.types.is_null(kind)):
                return None, None  # text (or dates) in an amount column
            index = batch.schema.get_field_index(name)
            batch = batch.set_column(index, name, batch.column(name).cast(pa.float64()))
        return batch, errors
    except BaseException as error:  # fastexcel's own error types, a Rust panic: python-calamine's reader names it
        _reraise_interrupt(error)
        return None, None


def _numbers_written_alike(values: Any) -> bool:
    """Whether the codes that look like numbers read as python-calamine's reader writes a
    number cell (cell_text): fastexcel writes 1e-05 as '0.00001' and -0.0 as '-0'."""
    import pyarrow.compute as pc

    # Whole numbers come as their digits, as cell_text writes them (a text '0110' is no
    # number cell); what differs has a point, an exponent, or is '-0'.
    looks = r"^-?([0-9]*\.[0-9]+|[0-9.]+e[-+]?[0-9]+|0)$"
    numeric = values.filter(pc.match_substring_regex(values, looks, ignore_case=True))
    for text in numeric.to_pylist():
        try:
            number = float(text)
        except ValueError:
            continue
        if cell_text(number) != text:
            return False
    return True


def _table(path: Path, batch: Any, columns: ColumnPlan, header_row: int, names: dict[int, str]) -> Table | None:
    """The frame read_xlsx builds: codes stripped (blank is empty), amounts in öre.
    None where a code cell holds a date, which fastexcel writes out unlike python-calamine."""
    import pyarrow as pa
    import pyarrow.compute as pc

    frame: dict[str, object] = {}
    for position, key in columns.text.items():
        text = pc.utf8_trim_whitespace(batch.column(names[position]))
        text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
        codes = pc.dictionary_encode(text)
        if pc.any(pc.match_substring_regex(codes.dictionary, r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")).as_py():
            return None
        if not _numbers_written_alike(codes.dictionary):
            return None
        frame[key] = pd.Categorical.from_codes(
            pc.fill_null(codes.indices, -1).to_numpy(zero_copy_only=False).astype("int32"),
            categories=pd.Index(codes.dictionary.to_pylist(), dtype=object),
            validate=False,
        )
    first_line = header_row + 2
    line = np.arange(first_line, first_line + batch.num_rows, dtype="int32")
    problems: list[str] = []
    for position, key in columns.amounts.items():
        numbers = batch.column(names[position])
        empty = numbers.is_null().to_numpy(zero_copy_only=False)
        values = numbers.fill_null(0.0).to_numpy(zero_copy_only=False)
        if not np.isfinite(values).all():
            return None  # text 'nan' or 'inf', which fastexcel makes a number: named there
        ore, bad = floats_to_ore(values)
        bad &= ~empty
        frame[key] = ore
        frame[f"{key}__empty"] = empty
        if bad.any():
            problems += bad_amounts(bad, pd.Series(values), line, path, columns, position)
    frame["line"] = line
    table = pd.DataFrame(frame)
    blank = blank_rows(table, columns)
    if blank.any():
        table = table[~blank].reset_index(drop=True)
    return Table(table, path, columns, header_row + 1, problems)
