"""Report -> text (table, markdown, csv, json) or an .xlsx workbook; the rules every csv and
xlsx writer follows (formula_like, csv_cell, xlsx_text); and -o's file output (write_outputs)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import secrets
import stat
import tempfile
import textwrap
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from .errors import OptionError
from .money import format_amount
from .report import Report, Row, flagged, last_deviation, printed_cells, shown_columns

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet.worksheet import Worksheet

UNIT_HEADERS = {"kr": "Belopp i kr", "tkr": "Belopp i tkr", "mkr": "Belopp i mkr"}

# --- cells no spreadsheet runs (SPEC §5) --------------------------------------------------------

# A number as kfollow writes or reads it (-114 196, -1234,50, +5): a spreadsheet shows it as
# a number and runs nothing, so it is left as it is.
_NUMBER = r"[+-]?(?:\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)(?:[,.]\d+)?"
# Text a spreadsheet may take for a formula (=, and +, -, @ as Excel and LibreOffice read
# them; TAB and CR because some strip them before they look). One character alone ('-' as
# "no code" in many exports) runs nothing and is left as it is.
FORMULA_LIKE = re.compile(rf"(?!{_NUMBER}\Z)[=+\-@\t\r](?s:.)")
# Characters XML 1.0, and so an xlsx, cannot hold (openpyxl refuses them): in a report
# table's text they become U+FFFD; convert refuses them (its workbook is the ledger's data).
XLSX_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Text openpyxl would store as an error value (#N/A) instead of text.
XLSX_ERROR_CODES = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"))


def formula_like(text: str) -> bool:
    """Whether a text cell of csv or xlsx output must be neutralised (SPEC §5): it starts
    with =, +, -, @, TAB or CR and is not a number. The one rule of every csv and xlsx writer."""
    return FORMULA_LIKE.match(text) is not None


def csv_cell(value: object) -> object:
    """A csv cell as written: formula-like text behind a leading ' (which Excel and
    LibreOffice show as text, and which a reader sees); anything else as it is."""
    if isinstance(value, str) and formula_like(value):
        return "'" + value
    return value


def csv_row(values: Iterable[object]) -> list[object]:
    return [csv_cell(value) for value in values]


def csv_text(rows: Iterable[Iterable[object]]) -> str:
    """Comma-separated lines ending in \n, each cell a csv_cell. A cell with a CR in it is
    quoted (csv.writer quotes only the characters of its line end: with \n alone, a bare CR
    would split the row for Excel and for readers that take CR as a line end)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow(csv_row(row))
        buffer.seek(buffer.tell() - 2)  # the row's own \r\n: \n
        buffer.truncate()
        buffer.write("\n")
    return buffer.getvalue()


def xlsx_text(cell: Any) -> None:
    """An xlsx cell that holds a str: a text cell, never a formula or an error value
    (openpyxl makes any str starting with = a formula). Formula-like text also gets Excel's
    quote prefix, so that it stays text when someone edits the cell."""
    value = cell.value
    if isinstance(value, str):
        cell.data_type = "s"
        if formula_like(value):
            cell.quotePrefix = True


def xlsx_special(text: str) -> bool:
    """Text openpyxl would not write as a plain text cell: xlsx_text must set it."""
    return text.startswith("=") or text in XLSX_ERROR_CODES or formula_like(text)


def wrapped_header(header: str, width: int = 13) -> str:
    """'Avv. prognos/budget 2024' -> three lines 'Avv. prognos/', 'budget', '2024': narrow
    columns with the year on a line of its own, as the report sets its headers."""
    head, _, year = header.rpartition(" ")
    lines = textwrap.wrap(head.replace("/", "/ "), width, break_long_words=False) if head else []
    return "\n".join([*(line.replace("/ ", "/") for line in lines), year])


def tabulate(rows: Sequence[Sequence[object]], **options: Any) -> str:
    """tabulate, with columns as wide as their content (its default pads headers by two)."""
    import tabulate as tabulate_module

    padding = tabulate_module.MIN_PADDING  # a module setting: restored for other users
    tabulate_module.MIN_PADDING = 0
    try:
        # preserve_whitespace keeps the leading spaces that indent sub-categories.
        return tabulate_module.tabulate(rows, disable_numparse=True, preserve_whitespace=True, **options)
    finally:
        tabulate_module.MIN_PADDING = padding


def rule_before(report: Report, index: int) -> bool:
    """The Drift table rules off each subtotal (it follows its parts); a hierarchical table,
    whose parents come first, rules off each top-level group and the total."""
    row = report.rows[index]
    if report.table == "drift":
        return row.kind in ("subtotal", "total")
    return index > 0 and row.level == 0


def _shown(value: int | float | None) -> str:
    """A cell of a text table: Swedish digit grouping, a share with a decimal comma; a
    column with no data (or a share of 0) is empty."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return format_amount(value)


MARKER = " *"


def _marked(report: Report, row: Row) -> str:
    """The label, with the --threshold marker where the row is flagged."""
    return row.label + (MARKER if flagged(report, row) else "")


def footnote(report: Report) -> str:
    """What the marker means: '* Avv. utfall/periodbudget 2024: avvikelsen är minst 500 tkr och minst 5 %'."""
    key = last_deviation(report)
    if report.threshold is None or key is None:
        return ""
    header = next(c.header for c in report.columns if c.key == key)
    return f"{MARKER.strip()} {header}: avvikelsen är minst {report.threshold.text.replace(' och ', ' och minst ')}"


def render_table(report: Report) -> str:
    """Aligned text with Swedish digit grouping and rules between groups, as printed, under a
    caption line that names the table, its period and its filters."""

    cells = printed_cells(report)
    columns = shown_columns(report)
    body = [
        ["  " * row.level + _marked(report, row), *(_shown(v[key]) for key, _ in columns)]
        for row, v in zip(report.rows, cells, strict=True)
    ]
    headers = [UNIT_HEADERS[report.unit], *(wrapped_header(header) for _, header in columns)]
    text = tabulate(
        body,
        headers=headers,
        tablefmt="simple",
        colalign=("left", *("right",) * len(columns)),
    )
    lines = text.splitlines()
    rule_at = next(i for i, line in enumerate(lines) if set(line) <= {"-", " "} and "-" in line)
    rule = lines[rule_at]
    out = lines[: rule_at + 1]
    for index, line in enumerate(lines[rule_at + 1 :]):
        if rule_before(report, index):
            out.append(rule)
        out.append(line)
    caption = [report.caption, ""] if report.caption else []
    note = footnote(report)
    return "\n".join([*caption, *out, *(["", note] if note else [])]) + "\n"


def render_markdown(report: Report) -> str:
    """A pipe table and nothing else (no caption): it goes into a document under a heading of
    the document's own, and pasted tables stay tables."""
    cells = printed_cells(report)
    columns = shown_columns(report)
    body = [
        [
            # Markdown drops leading spaces: children are indented with no-break spaces.
            "\u00a0\u00a0" * row.level
            + (f"**{row.label}**" if row.kind in ("subtotal", "total") else row.label)
            + (f"\\{MARKER.strip()}" if flagged(report, row) else ""),
            *(_shown(v[key]) for key, _ in columns),
        ]
        for row, v in zip(report.rows, cells, strict=True)
    ]
    headers = [UNIT_HEADERS[report.unit], *(header for _, header in columns)]
    table = tabulate(
        body,
        headers=headers,
        tablefmt="pipe",
        colalign=("left", *("right",) * len(columns)),
    )
    note = footnote(report)
    # the note's * escaped: Markdown would start a list with it
    return table + "\n" + (f"\n\\{note}\n" if note else "")


def render_csv(report: Report) -> str:
    """For machines: comma separated, plain integers, keys as in the JSON; a column with no
    data has empty cells."""
    columns = [key for key, _ in shown_columns(report)]
    # Drill-down parts (SPEC §8) and --threshold add their columns only where they are given.
    detail = any(row.kind == "detail" for row in report.rows)
    extra = [*(["parent", "dimension", "code", "name"] if detail else []), *(["flag"] if report.threshold else [])]
    header = ["label", "kind", "level", *extra, *columns]
    rows = []
    for row, values in zip(report.rows, printed_cells(report), strict=True):
        more: list[object] = [row.parent, row.dimension, row.code, row.name] if detail else []
        if report.threshold:
            more.append(int(flagged(report, row)))
        rows.append([row.label, row.kind, row.level, *more, *(values[key] for key in columns)])
    return csv_text([header, *rows])


def report_dict(report: Report) -> dict[str, object]:
    return {
        "table": report.table,
        "unit": report.unit,
        "year": report.year,
        "through": report.through,
        "columns": [{"key": key, "header": header} for key, header in shown_columns(report)],
        "rows": [_row_dict(report, row, cells) for row, cells in zip(report.rows, printed_cells(report), strict=True)],
        "warnings": list(report.warnings),
    }


def _row_dict(report: Report, row: Row, values: dict[str, int | float | None]) -> dict[str, object]:
    """A row of the JSON (no data: null); a part's parent, dimension, code and name (SPEC §8);
    with --threshold, its flag."""
    out: dict[str, object] = {"label": row.label, "level": row.level, "kind": row.kind}
    if row.kind == "detail":
        out.update(parent=row.parent, dimension=row.dimension, code=row.code, name=row.name)
    if report.threshold is not None:
        out["flag"] = flagged(report, row)
    out["values"] = values
    return out


def render_json(report: Report) -> str:
    return json.dumps(report_dict(report), ensure_ascii=False, indent=2) + "\n"


RENDERERS: dict[str, Callable[[Report], str]] = {
    "table": render_table,
    "markdown": render_markdown,
    "csv": render_csv,
    "json": render_json,
}

SHEET_TITLES = {"drift": "Drift", "investeringar": "Investeringar"}


def xlsx_bytes(report: Report, into: Path | None = None, sheet_name: str | None = None) -> bytes:
    """A workbook: real numbers in a thousands format, bold subtotals, frozen header.

    With `into` (an existing workbook) the table becomes one more sheet of it, or takes the
    place of the sheet of the same name, so that a report's tables share one file.
    """
    title = sheet_name or SHEET_TITLES.get(report.table, report.table)
    workbook, sheet = _workbook_and_sheet(title, into)
    _write_table(sheet, report)
    _fit_columns(sheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _workbook_and_sheet(title: str, into: Path | None) -> tuple[Workbook, Worksheet]:
    """A new workbook and its one sheet, named `title`; or the workbook `into` and a new sheet
    `title` in it, in the place of its sheet of that name if it has one."""
    from openpyxl import Workbook, load_workbook

    if into is None:
        workbook = Workbook()
        sheet = cast("Worksheet", workbook.active)  # a new workbook's one sheet (types-openpyxl: or None)
        sheet.title = title
        return workbook, sheet
    workbook = load_workbook(into)
    # Excel's sheet names ignore case: 'drift' is the sheet 'Drift'.
    same = [n for n in workbook.sheetnames if n.casefold() == title.casefold()]
    index = workbook.sheetnames.index(same[0]) if same else len(workbook.sheetnames)
    if same:
        workbook.remove(workbook[same[0]])
    return workbook, workbook.create_sheet(title, index)


def _write_table(sheet: Worksheet, report: Report) -> None:
    """The header and the rows: numbers in a thousands format, indented labels, bold subtotals."""
    from openpyxl.styles import Alignment, Font, PatternFill

    bold = Font(bold=True)
    highlight = PatternFill("solid", fgColor="FFF2CC")  # --threshold: a flagged row
    columns = shown_columns(report)
    headers = [UNIT_HEADERS[report.unit], *(header for _, header in columns)]
    _append(sheet, headers)
    for cell in sheet[1]:
        cell.font = bold
        cell.alignment = Alignment(horizontal="left" if cell.column == 1 else "right", wrap_text=True)
    for row, values in zip(report.rows, printed_cells(report), strict=True):
        excel_row = _append(sheet, [row.label, *(values[key] for key, _ in columns)])  # None: empty
        if row.level:  # Excel's own indent: the cell keeps the plain label
            excel_row[0].alignment = Alignment(indent=2 * row.level)
        for cell, (key, _) in zip(excel_row[1:], columns, strict=True):
            cell.number_format = "0.0" if key.endswith("_pct") else "#,##0"
        _style_row(sheet, excel_row, row, bold if row.kind in ("subtotal", "total") else None)
        if flagged(report, row):
            for cell in excel_row:
                cell.fill = highlight
    if any(row.kind == "detail" for row in report.rows):
        from openpyxl.worksheet.properties import Outline

        # the parts' row stays above them when they are collapsed
        sheet.sheet_properties.outlinePr = Outline(summaryBelow=False)
    sheet.freeze_panes = "B2"


def _style_row(sheet: Worksheet, cells: tuple[Cell, ...], row: Row, font: Any) -> None:
    """Subtotals bold; a drill-down part a grouped row (outline level 1), collapsible under its row."""
    if font is not None:
        for cell in cells:
            cell.font = font
    if row.kind == "detail":
        sheet.row_dimensions[cells[0].row].outline_level = 1


def _append(sheet: Worksheet, values: list[Any]) -> tuple[Cell, ...]:
    """One row appended, its text cells text (xlsx_text); its cells."""
    sheet.append([XLSX_ILLEGAL.sub("\ufffd", v) if isinstance(v, str) else v for v in values])
    cells = cast("tuple[Cell, ...]", sheet[sheet.max_row])
    for cell in cells:
        xlsx_text(cell)
    return cells


def _fit_columns(sheet: Worksheet) -> None:
    """Each column as wide as its widest text, within 10 to 60 characters."""
    for column in sheet.columns:
        texts = [format_amount(c.value) if isinstance(c.value, int) else str(c.value or "") for c in column]
        width = max(len(t) for t in texts)
        letter = cast("Cell", column[0]).column_letter  # (types-openpyxl: or a merged cell; kfollow merges none)
        sheet.column_dimensions[letter].width = min(max(width + 2, 10), 60)


# --- -o: whole or not at all, never over what is not a regular file (SPEC §5, §7) ---------------

REPLACED = "replaced"  # a regular file, or none yet: written beside it, then renamed over it
IN_PLACE = "in place"  # a FIFO or a character device (/dev/null, a terminal): opened and written


def output_kind(path: Path) -> str:
    """How -o `path` is written: REPLACED or IN_PLACE; OptionError where it cannot be.

    A symlink is followed: the file it points to is written (atomically, where regular) and
    the link stays a link. A FIFO or character device is written in place, never renamed
    over: a device replaced by a regular file is a broken system. A folder, a block device
    or a socket is refused."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):  # no file yet (or no folder: said below)
        mode = None
    except OSError as error:
        raise OptionError(f"-o {path}: cannot write ({error.strerror})") from None
    if mode is None or stat.S_ISREG(mode):
        folder = Path(os.path.realpath(path)).parent
        if not folder.is_dir():
            what = "does not exist" if not folder.exists() else "is not a folder"
            raise OptionError(f"-o {path}: the folder {folder} {what}")
        return REPLACED
    if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):
        return IN_PLACE
    what = "a folder" if stat.S_ISDIR(mode) else "no regular file, FIFO or character device"
    raise OptionError(f"-o {path}: {path} is {what}; give a file name")


def write_outputs(outputs: Sequence[tuple[Path, bytes]]) -> None:
    """Write each (path, data) of -o: all or none. Every regular file is first written whole
    to a temporary file beside it; FIFOs and devices (output_kind) are then written in place;
    only then are the temporary files renamed over their files. Where any write fails, every
    temporary file is removed and every file renamed so far gets its old content back, and
    the OptionError names the -o that failed. (What went into a FIFO or device cannot be taken
    back: they are written after every temporary file is whole, so only a failure of the
    renames, or of a later FIFO, follows one.)"""
    kinds = [output_kind(path) for path, _ in outputs]
    several = len(outputs) > 1
    temporaries: list[tuple[Path, Path, Path]] = []  # (-o, temporary, file it replaces)
    current = outputs[0][0] if outputs else Path()
    try:
        for (path, data), kind in zip(outputs, kinds, strict=True):
            current = path
            if kind == REPLACED:
                target = Path(os.path.realpath(path))  # through a symlink: the link stays
                temporaries.append((path, _temporary(target, data), target))
        for (path, data), kind in zip(outputs, kinds, strict=True):
            current = path
            if kind == IN_PLACE:
                with open(path, "wb") as out:  # O_TRUNC means nothing to a FIFO or a device
                    out.write(data)
        _rename_all(temporaries, several)
    except OSError as error:
        for _, temporary, _ in temporaries:
            if temporary.exists():
                temporary.unlink()
        failed = getattr(error, "kfollow_output", current)
        tail = "; no -o file was written" if several else ""
        raise OptionError(f"-o {failed}: cannot write ({error.strerror or error}){tail}") from None


def _temporary(target: Path, data: bytes) -> Path:
    """`data` written and synced to a new file beside `target`, with the mode `target` has
    (or a new file would get)."""
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    temporary = Path(name)
    try:
        # mkstemp makes the file private (0600); a report gets the mode a new file would get
        # (or keeps the one it had), so that colleagues on a shared folder can read it.
        if target.exists():
            mode = target.stat().st_mode & 0o777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(temporary, mode)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        temporary.unlink()
        raise
    return temporary


def _rename_all(temporaries: list[tuple[Path, Path, Path]], several: bool) -> None:
    """Each temporary file renamed over its file. With several, each old file is first kept
    under a second name (a hard link), so that a failed rename puts back the ones before it."""
    done: list[tuple[Path, Path | None]] = []  # (file, its old content kept, or None: it was new)
    try:
        for path, temporary, target in temporaries:
            kept = _keep(target) if several and target.exists() else None
            try:
                os.replace(temporary, target)
            except OSError as error:
                if kept is not None:
                    kept.unlink()
                error.kfollow_output = path  # type: ignore[attr-defined]  # which -o failed
                raise
            done.append((target, kept))
    except OSError:
        _put_back(done)
        raise
    for _, kept in done:
        if kept is not None:
            kept.unlink()


def _put_back(done: list[tuple[Path, Path | None]]) -> None:
    """The files renamed over given back their old content (a new one removed)."""
    for target, kept in reversed(done):
        if kept is not None:
            os.replace(kept, target)
        else:
            target.unlink()


def _keep(target: Path) -> Path | None:
    """A second name (hard link) for `target`'s present content; None where the file system
    has no hard links (the old content then cannot be put back after a failed rename)."""
    for _ in range(10):
        kept = target.with_name(f".{target.name}.{secrets.token_hex(4)}.old")
        try:
            os.link(target, kept)
        except FileExistsError:
            continue
        except OSError:
            return None
        return kept
    return None


def write_atomic(path: Path, data: bytes) -> None:
    """One -o written whole or not at all (write_outputs)."""
    write_outputs([(path, data)])


FORMATS = (*RENDERERS, "xlsx")  # cli.FORMATS names the same (cli must not import this module)


def render_bytes(report: Report, fmt: str, into: Path | None = None, sheet_name: str | None = None) -> bytes:
    if fmt == "xlsx":
        return xlsx_bytes(report, into, sheet_name)
    return RENDERERS[fmt](report).encode("utf-8")


def listing_text(headers: Sequence[str], rows: Sequence[Sequence[object]], fmt: str) -> str:
    """A plain listing (e.g. `kfollow accounts`) in a text format."""
    if fmt == "csv":
        return csv_text([headers, *rows])
    shown = [[format_amount(c) if isinstance(c, int) else c for c in row] for row in rows]
    numeric = [bool(rows) and all(isinstance(r[i], int) for r in rows) for i in range(len(headers))]
    return (
        tabulate(
            shown,
            headers=list(headers),
            tablefmt="pipe" if fmt == "markdown" else "simple",
            colalign=tuple("right" if n else "left" for n in numeric),
        )
        + "\n"
    )
