"""Report -> text (table, markdown, csv, json) or an .xlsx workbook; atomic file output."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from .money import format_amount
from .report import Report, printed_cells

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet.worksheet import Worksheet

UNIT_HEADERS = {"kr": "Belopp i kr", "tkr": "Belopp i tkr", "mkr": "Belopp i mkr"}


def _wrapped(header: str, width: int = 13) -> str:
    """'Avv. prognos/budget 2024' -> three lines 'Avv. prognos/', 'budget', '2024': narrow
    columns with the year on a line of its own, as the report sets its headers."""
    head, _, year = header.rpartition(" ")
    lines = textwrap.wrap(head.replace("/", "/ "), width) if head else []
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


def _rule_before(report: Report, index: int) -> bool:
    """The Drift table rules off each subtotal (it follows its parts); a hierarchical table,
    whose parents come first, rules off each top-level group and the total."""
    row = report.rows[index]
    if report.table == "drift":
        return row.kind != "row"
    return index > 0 and row.level == 0


def _shown(value: int | None) -> str:
    """A cell of a text table: Swedish digit grouping; a column with no data is empty."""
    return "" if value is None else format_amount(value)


def render_table(report: Report) -> str:
    """Aligned text with Swedish digit grouping and rules between groups, as printed, under a
    caption line that names the table, its period and its filters."""

    cells = printed_cells(report)
    body = [
        ["  " * row.level + row.label, *(_shown(v[c.key]) for c in report.columns)]
        for row, v in zip(report.rows, cells, strict=True)
    ]
    headers = [UNIT_HEADERS[report.unit], *(_wrapped(c.header) for c in report.columns)]
    text = tabulate(
        body,
        headers=headers,
        tablefmt="simple",
        colalign=("left", *("right",) * len(report.columns)),
    )
    lines = text.splitlines()
    rule_at = next(i for i, line in enumerate(lines) if set(line) <= {"-", " "} and "-" in line)
    rule = lines[rule_at]
    out = lines[: rule_at + 1]
    for index, line in enumerate(lines[rule_at + 1 :]):
        if _rule_before(report, index):
            out.append(rule)
        out.append(line)
    caption = [report.caption, ""] if report.caption else []
    return "\n".join([*caption, *out]) + "\n"


def render_markdown(report: Report) -> str:
    """A pipe table and nothing else (no caption): it goes into a document under a heading of
    the document's own, and pasted tables stay tables."""
    cells = printed_cells(report)
    body = [
        [
            # Markdown drops leading spaces: children are indented with no-break spaces.
            "\u00a0\u00a0" * row.level + (row.label if row.kind == "row" else f"**{row.label}**"),
            *(_shown(v[c.key]) for c in report.columns),
        ]
        for row, v in zip(report.rows, cells, strict=True)
    ]
    headers = [UNIT_HEADERS[report.unit], *(c.header for c in report.columns)]
    return (
        tabulate(
            body,
            headers=headers,
            tablefmt="pipe",
            colalign=("left", *("right",) * len(report.columns)),
        )
        + "\n"
    )


def render_csv(report: Report) -> str:
    """For machines: comma separated, plain integers, keys as in the JSON; a column with no
    data has empty cells."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["label", "kind", "level", *(c.key for c in report.columns)])
    for row, values in zip(report.rows, printed_cells(report), strict=True):
        writer.writerow([row.label, row.kind, row.level, *(values[c.key] for c in report.columns)])
    return buffer.getvalue()


def report_dict(report: Report) -> dict[str, object]:
    return {
        "table": report.table,
        "unit": report.unit,
        "year": report.year,
        "through": report.through,
        "columns": [{"key": c.key, "header": c.header} for c in report.columns],
        "rows": [
            {"label": row.label, "level": row.level, "kind": row.kind, "values": values}
            for row, values in zip(report.rows, printed_cells(report), strict=True)  # no data: null
        ],
        "warnings": list(report.warnings),
    }


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
    from openpyxl.styles import Alignment, Font

    bold = Font(bold=True)
    headers = [UNIT_HEADERS[report.unit], *(c.header for c in report.columns)]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = bold
        cell.alignment = Alignment(horizontal="left" if cell.column == 1 else "right", wrap_text=True)
    for row, values in zip(report.rows, printed_cells(report), strict=True):
        sheet.append([row.label, *(values[c.key] for c in report.columns)])  # None: an empty cell
        excel_row = sheet[sheet.max_row]
        if row.level:  # Excel's own indent: the cell keeps the plain label
            excel_row[0].alignment = Alignment(indent=2 * row.level)
        for cell in excel_row[1:]:
            cell.number_format = "#,##0"
        if row.kind != "row":
            for cell in excel_row:
                cell.font = bold
    sheet.freeze_panes = "B2"


def _fit_columns(sheet: Worksheet) -> None:
    """Each column as wide as its widest text, within 10 to 60 characters."""
    for column in sheet.columns:
        texts = [format_amount(c.value) if isinstance(c.value, int) else str(c.value or "") for c in column]
        width = max(len(t) for t in texts)
        letter = cast("Cell", column[0]).column_letter  # (types-openpyxl: or a merged cell; kfollow merges none)
        sheet.column_dimensions[letter].width = min(max(width + 2, 10), 60)


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: the file appears whole or not at all."""
    handle, temporary = tempfile.mkstemp(dir=path.parent or Path("."), prefix=f".{path.name}.")
    try:
        # mkstemp makes the file private (0600); a report gets the mode a new file would get
        # (or keeps the one it had), so that colleagues on a shared folder can read it.
        if path.exists():
            mode = path.stat().st_mode & 0o777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(temporary, mode)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


FORMATS = (*RENDERERS, "xlsx")  # cli.FORMATS names the same (cli must not import this module)


def render_bytes(report: Report, fmt: str, into: Path | None = None, sheet_name: str | None = None) -> bytes:
    if fmt == "xlsx":
        return xlsx_bytes(report, into, sheet_name)
    return RENDERERS[fmt](report).encode("utf-8")


def listing_text(headers: Sequence[str], rows: Sequence[Sequence[object]], fmt: str) -> str:
    """A plain listing (e.g. `kfollow accounts`) in a text format."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(headers)
        writer.writerows(rows)
        return buffer.getvalue()
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
