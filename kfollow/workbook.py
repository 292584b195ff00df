"""The chapter as a workbook (`kfollow report -o FILE.xlsx`): a sheet per table, print-ready,
with native charts, and a sheet Kontroll with reconcile's findings.

Each table's sheet: a title block (title, table and period in words, filters, source files
with their SHA-256 prefix, kfollow's version, when written); the table with rules above its
subtotals as in the text table, one font throughout, Swedish digit grouping, empty columns
empty; the explain paragraphs under it. Printed landscape on one page (fit to one page wide
and tall), the header row repeated, the print area the title block, table and text. Below
the print area: the data of the charts and two bar charts (budget, forecast and outcome per
row; the deviations), which Excel and LibreOffice draw from those cells.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, cast

from .chapter import Chapter, ChapterTable, Provenance
from .money import format_amount
from .render import UNIT_HEADERS, XLSX_ILLEGAL, rule_before, wrapped_header, xlsx_text
from .report import Report, flagged, printed_cells, shown_columns

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet.worksheet import Worksheet

FONT = "Arial"  # one font throughout: LibreOffice draws it with its metric twin, Liberation Sans
SIZE = 10
# Digit groups by space in a Swedish Excel (from the system) and in LibreOffice (from the
# format's locale, [$-41D] = sv-SE), whatever the reader's own locale: -114 196. Negative: a minus.
NUMBER = "[$-41D]#,##0"
SHARE = "[$-41D]0.0"
HIGHLIGHT = "FFF2CC"  # a --threshold flag, as render's xlsx
NUMBER_WIDTH = 15  # digits of FONT: 'Delårsbokslut' and '-1 234 567' with room to spare
HEADER_LINES = 4  # the headers wrap as the reference report's ('Avv.', 'prognos/', 'budget', '2024')
LINE_POINTS = 13.0  # a 10-point line
KONTROLL = "Kontroll"
SEVERITY_WORDS = {"error": "Fel", "warning": "Varning", "info": "Info"}


def workbook_bytes(chapter: Chapter) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    _default_font(workbook)
    first = cast("Worksheet", workbook.active)  # a new workbook's one sheet
    workbook.remove(first)
    for table in chapter.tables:
        _table_sheet(workbook.create_sheet(table.spec.name), chapter, table)
    names = {t.spec.name.casefold() for t in chapter.tables}
    _kontroll_sheet(
        workbook.create_sheet(KONTROLL if KONTROLL.casefold() not in names else "Kontroll (kfollow)"), chapter
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _default_font(workbook: Workbook) -> None:
    """The workbook's own default (the first font, of every cell not styled, and the Normal
    style's): FONT, so that a cell someone types into matches the rest. openpyxl has no public
    way to set it; where its internals differ, the default stays and every written cell still
    has FONT."""
    from openpyxl.styles import Font
    from openpyxl.utils.indexed_list import IndexedList

    fonts = getattr(workbook, "_fonts", None)
    if isinstance(fonts, IndexedList) and len(fonts) == 1:
        workbook._fonts = IndexedList([Font(name=FONT, size=SIZE)])  # type: ignore[attr-defined]
        workbook._named_styles["Normal"].font = Font(name=FONT, size=SIZE)  # type: ignore[attr-defined]


# --- cells --------------------------------------------------------------------------------------


def _font(bold: bool = False, size: int = SIZE) -> Any:
    from openpyxl.styles import Font

    return Font(name=FONT, size=size, bold=bold)


def _put(sheet: Worksheet, row: int, column: int, value: Any, bold: bool = False, size: int = SIZE) -> Cell:
    """One cell in the one font; text as text, never a formula (render.xlsx_text, SPEC §5)."""
    if isinstance(value, str):
        value = XLSX_ILLEGAL.sub("\ufffd", value)
    cell = cast("Cell", sheet.cell(row=row, column=column, value=value))
    xlsx_text(cell)
    cell.font = _font(bold, size)
    return cell


def title_lines(chapter: Chapter, heading: str, selection: str | None) -> list[str]:
    """The title block under the title: what, the filters, the sources, kfollow and when."""
    origin: Provenance = chapter.provenance
    lines = [heading]
    if selection is not None:
        lines.append(f"Urval: {selection or 'hela huvudboken'}")
    sources = "; ".join(f"{name} (SHA-256 {digest})" for name, digest in origin.sources)
    lines += [f"Källa: {sources}", f"kfollow {origin.version}, skriven {origin.written}"]
    return lines


def _title_block(sheet: Worksheet, chapter: Chapter, heading: str, selection: str | None) -> int:
    """The title and its lines from row 1; the next free row (after a blank one)."""
    _put(sheet, 1, 1, chapter.title, bold=True, size=14)
    sheet.row_dimensions[1].height = 20
    lines = title_lines(chapter, heading, selection)
    for at, line in enumerate(lines, 2):
        _put(sheet, at, 1, line, bold=at == 2)
    return len(lines) + 3


# --- a table's sheet ----------------------------------------------------------------------------


def _table_sheet(sheet: Worksheet, chapter: Chapter, table: ChapterTable) -> None:
    report = table.report
    columns = shown_columns(report)
    top = _title_block(sheet, chapter, f"{table.spec.name} {table.period}", table.selection)
    last_row = _write_table(sheet, report, top)
    width = len(columns) + 1
    _widths(sheet, report)
    end = _write_paragraphs(sheet, table, last_row + 2, width)
    _print_setup(sheet, top, end, width)
    sheet.freeze_panes = f"B{top + 1}"
    _charts(sheet, report, end + 2, width)


def _write_table(sheet: Worksheet, report: Report, top: int) -> int:
    """Header at row `top`, the rows under it; the last row written."""
    from openpyxl.styles import Alignment, Border, Side

    rule = Side(style="thin")
    columns = shown_columns(report)
    headers = [UNIT_HEADERS[report.unit], *(wrapped_header(header) for _, header in columns)]
    for at, header in enumerate(headers, 1):
        cell = _put(sheet, top, at, header, bold=True)
        cell.alignment = Alignment(horizontal="left" if at == 1 else "right", vertical="bottom", wrap_text=True)
        cell.border = Border(bottom=rule)
    sheet.row_dimensions[top].height = HEADER_LINES * LINE_POINTS
    for index, (row, values) in enumerate(zip(report.rows, printed_cells(report), strict=True)):
        at = top + 1 + index
        bold = row.kind in ("subtotal", "total")
        label = _put(sheet, at, 1, row.label + (" *" if flagged(report, row) else ""), bold=bold)
        if row.level:
            label.alignment = Alignment(horizontal="left", indent=2 * row.level)  # an indent needs "left"
        for number, (key, _) in enumerate(columns, 2):
            cell = _put(sheet, at, number, values[key], bold=bold)  # None: an empty cell, never 0
            cell.number_format = SHARE if key.endswith("_pct") else NUMBER
        cells = [cast("Cell", sheet.cell(row=at, column=c)) for c in range(1, len(columns) + 2)]
        _mark(cells, rule if rule_before(report, index) else None, flagged(report, row))
        if row.kind == "detail":
            sheet.row_dimensions[at].outline_level = 1
    if any(row.kind == "detail" for row in report.rows):
        from openpyxl.worksheet.properties import Outline

        sheet.sheet_properties.outlinePr = Outline(summaryBelow=False)  # a row above its parts, folded or not
    return top + len(report.rows)


def _mark(cells: list[Cell], rule: Any, flag: bool) -> None:
    """A rule above a row (the text table's rules), a flagged row's highlight."""
    from openpyxl.styles import Border, PatternFill

    for cell in cells:
        if rule is not None:
            cell.border = Border(top=rule)
        if flag:
            cell.fill = PatternFill("solid", fgColor=HIGHLIGHT)


def _widths(sheet: Worksheet, report: Report) -> None:
    from openpyxl.utils import get_column_letter

    labels = [len("  " * r.level + r.label) for r in report.rows] + [len(UNIT_HEADERS[report.unit])]
    sheet.column_dimensions["A"].width = min(max(labels) + 3, 45)
    for at, (_, header) in enumerate(shown_columns(report), 2):
        # as wide as the header's longest line in bold ('Prognosförändring'), and no narrower
        longest = max(len(line) for line in wrapped_header(header).split("\n"))
        sheet.column_dimensions[get_column_letter(at)].width = max(NUMBER_WIDTH, int(longest * 1.15) + 1)


def _write_paragraphs(sheet: Worksheet, table: ChapterTable, start: int, width: int) -> int:
    """Each explain paragraph in a merged cell as wide as the table, as high as its lines; the
    last row used (the table's where there is none)."""
    from openpyxl.styles import Alignment

    if not table.paragraphs:
        return start - 2
    # characters of a line: a column width counts digits of the default font (FONT, SIZE), and
    # Swedish text runs about 1.2 characters to a digit's width; counted as 1.1, so that a
    # line word wrap leaves short is no line cut off
    digits = sum(cast("float", sheet.column_dimensions[_letter(c)].width or 10) for c in range(1, width + 1))
    chars = int(digits * 1.1)
    at = start
    for paragraph in table.paragraphs:
        cell = _put(sheet, at, 1, paragraph.text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.merge_cells(start_row=at, start_column=1, end_row=at, end_column=width)
        lines = max(1, -(-len(paragraph.text) // max(chars, 40)))
        sheet.row_dimensions[at].height = lines * LINE_POINTS + 4  # a merged cell does not grow by itself
        at += 1
    return at - 1


def _letter(column: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(column)


def _print_setup(sheet: Worksheet, header: int, end: int, width: int) -> None:
    """Landscape A4, the title block, table and text on one page, the header row repeated."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 1
    from openpyxl.worksheet.properties import PageSetupProperties

    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_title_rows = f"{header}:{header}"
    sheet.print_area = f"A1:{_letter(width)}{end}"
    sheet.page_margins.left = sheet.page_margins.right = 0.5
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    sheet.print_options.horizontalCentered = True


# --- charts ---------------------------------------------------------------------------------------

AMOUNT_KEYS = ("budget", "forecast", "outcome")
DEVIATION_KEYS = ("forecast_deviation", "forecast_change", "period_deviation")


def chart_rows(report: Report) -> list[tuple[str, dict[str, int | float | None]]]:
    """The rows the charts show: the table's own rows (no subtotals, totals or parts)."""
    return [(r.label, v) for r, v in zip(report.rows, printed_cells(report), strict=True) if r.kind == "row"]


def chart_series(report: Report) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(key, header) of the amounts and of the deviations the charts draw, columns with data only."""
    headers = dict(shown_columns(report))
    amounts = [(k, headers[k]) for k in AMOUNT_KEYS if k in headers and k not in report.empty]
    deviations = [(k, headers[k]) for k in DEVIATION_KEYS if k in headers and k not in report.empty]
    return amounts, deviations


def _charts(sheet: Worksheet, report: Report, top: int, width: int) -> None:
    """The charts' data at row `top` (below the print area), the two charts under it."""
    from openpyxl.chart import BarChart, Reference
    from openpyxl.chart.data_source import AxDataSource, StrRef

    rows = chart_rows(report)
    amounts, deviations = chart_series(report)
    keys = [*amounts, *deviations]
    if not rows or not keys:
        return
    _put(sheet, top, 1, "Diagramdata", bold=True)
    for at, (_, header) in enumerate(keys, 2):
        _put(sheet, top, at, header, bold=True)
    for line, (label, values) in enumerate(rows, top + 1):
        _put(sheet, line, 1, label)
        for at, (key, _) in enumerate(keys, 2):
            _put(sheet, line, at, values[key]).number_format = NUMBER
    bottom = top + len(rows)
    quoted = f"{Reference(sheet, min_col=1, min_row=top + 1, max_row=bottom)}"
    anchor = top + len(rows) + 2
    for title, first, count in (
        (f"Budget, prognos och utfall ({report.unit})", 2, len(amounts)),
        (f"Avvikelser ({report.unit})", 2 + len(amounts), len(deviations)),
    ):
        if not count:
            continue
        chart = BarChart()
        chart.type, chart.grouping, chart.title = "bar", "clustered", title
        chart.y_axis.number_format = NUMBER
        chart.x_axis.delete = chart.y_axis.delete = False  # openpyxl 3.1 hides axes unless told
        chart.x_axis.scaling.orientation = "maxMin"  # the rows top down, as in the table
        chart.x_axis.tickLblPos = "low"  # the row names left of the bars, not over the negative ones
        chart.add_data(
            Reference(sheet, min_col=first, max_col=first + count - 1, min_row=top, max_row=bottom),
            titles_from_data=True,
        )
        for series in chart.series:  # the row labels are text: a string reference (openpyxl makes a number one)
            series.cat = AxDataSource(strRef=StrRef(f=quoted))
        chart.height, chart.width = 9, 18
        sheet.add_chart(chart, f"A{anchor}")
        anchor += 20


# --- Kontroll -------------------------------------------------------------------------------------


def _kontroll_sheet(sheet: Worksheet, chapter: Chapter) -> None:
    """reconcile's verdict per table and every finding once, with the tables that found it."""
    from openpyxl.styles import Alignment, Border, Side

    at = _title_block(sheet, chapter, "Kontroll: kfollow reconcile för varje tabells urval", None)
    for name, verdict in chapter.verdicts:
        _put(sheet, at, 1, f"{name}: {verdict}")
        at += 1
    at += 1
    header = at
    for column, text in enumerate(("Allvarlighet", "Kontroll", "Tabeller", "Meddelande", "Källa"), 1):
        _put(sheet, at, column, text, bold=True).border = Border(bottom=Side(style="thin"))
    for check in chapter.checks:
        at += 1
        cells = (
            SEVERITY_WORDS.get(check.severity, check.severity),
            check.code,
            ", ".join(check.tables),
            check.message,
            ", ".join(check.sources),
        )
        for column, text in enumerate(cells, 1):
            _put(sheet, at, column, text).alignment = Alignment(wrap_text=True, vertical="top")
        sheet.row_dimensions[at].height = max(1, -(-len(check.message) // 90)) * LINE_POINTS + 2
    at = _kontroll_notes(sheet, chapter, at)
    for letter, width in zip("ABCDE", (12, 22, 22, 95, 30), strict=True):
        sheet.column_dimensions[letter].width = width
    _print_setup(sheet, header, at, 5)
    sheet.page_setup.fitToHeight = 0  # as many pages as the findings take


def _kontroll_notes(sheet: Worksheet, chapter: Chapter, at: int) -> int:
    """Under the findings: the checks not run and why, and the tables' warnings; the last row."""
    lines = [
        *(["Inga anmärkningar."] if not chapter.checks else []),
        "",
        *(f"Ej kontrollerat: {code} ({why})" for code, why in chapter.skipped),
        *(f"Varning: {warning}" for warning in chapter.warnings),
    ]
    for line in lines:
        at += 1
        if line:
            _put(sheet, at, 1, line)
    return at


def amount_text(value: int | float | None) -> str:
    """A figure as the workbook shows it (for tests and the document): '-114 196', '' for none."""
    return "" if value is None else format_amount(value) if isinstance(value, int) else f"{value:.1f}".replace(".", ",")
