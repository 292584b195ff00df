"""The chapter as a Word document (`kfollow report -o FILE.docx`), with python-docx.

Landscape A4. The title block first (title, sources with their SHA-256 prefix, kfollow's
version, when written); then per table, each from a new page: a heading, the table's period
and filters, the table set as the reference report sets it (no vertical lines, wrapped
headers, a rule under the header and above each subtotal, subtotals bold, figures right
aligned with Swedish digit grouping, empty columns empty), the explain paragraphs, and a
chart drawn by matplotlib at print resolution. Last, reconcile's verdict per table and its
errors and warnings (the workbook's sheet Kontroll has every finding).

python-docx and matplotlib are imported here only, when a .docx is written.
"""

from __future__ import annotations

import io
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from .chapter import Chapter, ChapterTable, in_background
from .render import UNIT_HEADERS, XLSX_ILLEGAL, rule_before, wrapped_header
from .report import Report, flagged, printed_cells, shown_columns
from .workbook import SEVERITY_WORDS, amount_text, chart_rows, chart_series, title_lines

if TYPE_CHECKING:
    from docx.document import Document
    from docx.table import _Cell

FONT = "Arial"
SIZE = 10
TABLE_SIZE = 9
PAGE_WIDTH_CM, PAGE_HEIGHT_CM, MARGIN_CM = 29.7, 21.0, 2.0
LABEL_CM = 6.0
MIN_LABEL_CM = 4.5
HEADER_SIZE = 8
NUMBER_CM = 2.3
DPI = 300  # print resolution
HIGHLIGHT = "FFF2CC"


def document_bytes(chapter: Chapter) -> bytes:
    from docx import Document as new_document

    document = new_document()
    _page(document)
    _styles(document)
    document.add_paragraph(_clean(chapter.title), style="Title")
    for line in title_lines(chapter, "", None)[1:]:
        document.add_paragraph(_clean(line))
    for number, table in enumerate(chapter.tables):
        _table_part(document, table, new_page=number > 0)
    _checks(document, chapter)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _clean(text: str) -> str:
    """Text XML can hold (python-docx refuses control characters)."""
    return XLSX_ILLEGAL.sub("\ufffd", text)


def _page(document: Document) -> None:
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm

    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(PAGE_WIDTH_CM), Cm(PAGE_HEIGHT_CM)
    section.left_margin = section.right_margin = Cm(MARGIN_CM)
    section.top_margin = section.bottom_margin = Cm(MARGIN_CM)


def _styles(document: Document) -> None:
    """One font: Normal, Title and the headings in FONT (also for East Asian text, which Word
    would otherwise take from the theme)."""
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    for name, size in (("Normal", SIZE), ("Title", 18), ("Heading 1", 14), ("Heading 2", 12)):
        style: Any = document.styles[name]
        style.font.name = FONT
        style.font.size = Pt(size)
        if name != "Normal":
            style.font.color.rgb = RGBColor(0, 0, 0)
            style.font.bold = True
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            fonts.set(qn(attribute), FONT)
    document.styles["Normal"].paragraph_format.space_after = Pt(4)


# --- a table ------------------------------------------------------------------------------------


def _table_part(document: Document, table: ChapterTable, new_page: bool) -> None:
    heading = document.add_heading(_clean(table.spec.name), level=1)
    heading.paragraph_format.page_break_before = new_page
    heading.paragraph_format.keep_with_next = True
    selection = f", {table.selection}" if table.selection else ""
    document.add_paragraph(_clean(f"{table.period}{selection}")).paragraph_format.keep_with_next = True
    _table(document, table.report)
    for number, paragraph in enumerate(table.paragraphs):
        written = document.add_paragraph(_clean(paragraph.text))
        if number == 0:
            from docx.shared import Pt

            written.paragraph_format.space_before = Pt(10)
    picture = chart_png(table.report, table.spec.name)
    if picture is not None:
        from docx.shared import Cm

        document.add_picture(io.BytesIO(picture), width=Cm(PAGE_WIDTH_CM - 2 * MARGIN_CM))


def _table(document: Document, report: Report) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.shared import Cm

    columns = shown_columns(report)
    usable = PAGE_WIDTH_CM - 2 * MARGIN_CM
    # many columns (a previous forecast, shares): the labels give way first, down to a width
    # where they wrap onto two lines, as the reference report's do
    label_cm = max(MIN_LABEL_CM, min(LABEL_CM, usable - NUMBER_CM * len(columns)))
    number_cm = min(NUMBER_CM, (usable - label_cm) / max(len(columns), 1))
    grid = document.add_table(rows=1 + len(report.rows), cols=1 + len(columns))
    grid.alignment = WD_TABLE_ALIGNMENT.LEFT
    grid.autofit = False
    widths = [Cm(label_cm), *(Cm(number_cm) for _ in columns)]
    for column, width in zip(grid.columns, widths, strict=True):  # w:gridCol: LibreOffice reads these
        column.width = width
    header = [UNIT_HEADERS[report.unit], *(_hyphenated(wrapped_header(h)) for _, h in columns)]
    for at, (cell, text) in enumerate(zip(grid.rows[0].cells, header, strict=True)):
        _write(cell, text, bold=True, right=at > 0, width=widths[at], size=HEADER_SIZE)
        _rules(cell, bottom=True)
    _repeat_header(grid.rows[0])
    for index, (row, values) in enumerate(zip(report.rows, printed_cells(report), strict=True)):
        cells = grid.rows[index + 1].cells
        bold = row.kind in ("subtotal", "total")
        label = "\u00a0\u00a0" * row.level + row.label + (" *" if flagged(report, row) else "")
        texts = [label, *(amount_text(values[key]) for key, _ in columns)]
        for at, (cell, text) in enumerate(zip(cells, texts, strict=True)):
            _write(cell, text, bold=bold, right=at > 0, width=widths[at])
            if rule_before(report, index):
                _rules(cell, top=True)
            if flagged(report, row):
                _shade(cell)
        _keep_together(grid.rows[index + 1])


# Words too long for a figure's column, broken as the reference report breaks them.
HYPHENATED = {
    "Delårsbokslut": "Delårs-\nbokslut",
    "Periodbudget": "Period-\nbudget",
    "periodbudget": "period-\nbudget",
    "Prognosförändring": "Prognos-\nförändring",
}


def _hyphenated(header: str) -> str:
    return "\n".join(HYPHENATED.get(line, line) for line in header.split("\n"))


def _write(cell: _Cell, text: str, bold: bool, right: bool, width: Any, size: int = TABLE_SIZE) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    cell.width = width
    lines = _clean(text).split("\n")
    paragraph = cell.paragraphs[0]
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.space_before = Pt(1)
    if right:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for number, line in enumerate(lines):
        run = paragraph.add_run(line)
        run.bold = bold
        run.font.size = Pt(size)
        if number < len(lines) - 1:
            run.add_break()


def _rules(cell: _Cell, top: bool = False, bottom: bool = False) -> None:
    """A thin rule above or below a cell (w:tcBorders, after the cell's width as the schema orders it)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    properties = cell._tc.get_or_add_tcPr()
    borders = properties.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        width = properties.find(qn("w:tcW"))
        if width is not None:
            width.addnext(borders)
        else:
            properties.insert(0, borders)
    for edge, wanted in (("top", top), ("bottom", bottom)):
        if wanted:
            line = OxmlElement(f"w:{edge}")
            for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "0"), ("w:color", "000000")):
                line.set(qn(key), value)
            borders.append(line)


def _shade(cell: _Cell) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), HIGHLIGHT)
    cell._tc.get_or_add_tcPr().append(shading)  # after tcBorders, as the schema orders them


def _repeat_header(row: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(repeat)


def _keep_together(row: Any) -> None:
    """A row is not split over two pages."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    keep = OxmlElement("w:cantSplit")
    keep.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(keep)


# --- the chart ------------------------------------------------------------------------------------


def start_imports() -> Future[None]:
    """python-docx and matplotlib imported in a thread while the ledger loads: about 0.5 s
    of imports that would otherwise follow a 2 s load (the load's Arrow parse lets go of the
    GIL). chart_png and document_bytes import them again, at no cost once done."""
    return in_background(_imports)


def _imports() -> None:
    import docx  # noqa: F401
    import matplotlib

    matplotlib.use("Agg")  # no display: files only
    import matplotlib.pyplot


def chart_png(report: Report, name: str) -> bytes | None:
    """Budget, forecast and outcome per row, and the deviations, as bars side by side; a PNG
    at DPI, or None where the table has no rows or no data to draw."""
    import matplotlib

    matplotlib.use("Agg")  # no display: files only
    import matplotlib.pyplot as plt

    rows = chart_rows(report)
    amounts, deviations = chart_series(report)
    if not rows or not (amounts or deviations):
        return None
    labels = [label for label, _ in rows][::-1]  # top to bottom as in the table
    # text.parse_math off: a "$" in a label (a category, a version) is text, not TeX
    sans = ["Liberation Sans", "Arial", "DejaVu Sans"]
    with plt.rc_context({"font.family": "sans-serif", "font.sans-serif": sans, "text.parse_math": False}):
        figure, axes = plt.subplots(1, 2, figsize=(25.7 / 2.54, 8.5 / 2.54), dpi=DPI, sharey=True)
        try:  # closed whatever happens: pyplot keeps every open figure
            _draw(axes, rows, (amounts, deviations), report.unit)
            axes[0].set_yticks(range(len(labels)), labels)
            figure.suptitle(name, fontsize=10, x=0.01, ha="left")
            figure.tight_layout()
            buffer = io.BytesIO()
            # zlib's fastest level: a third of the chart's time went to PNG compression at the
            # default level, for a file about a third larger inside the .docx (bench/bench_report.py)
            figure.savefig(buffer, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
        finally:
            plt.close(figure)
    return buffer.getvalue()


def _draw(
    axes: Any,
    rows: list[tuple[str, dict[str, int | float | None]]],
    series: tuple[list[tuple[str, str]], list[tuple[str, str]]],
    unit: str,
) -> None:
    """The two panels: budget, forecast and outcome; the deviations."""
    from matplotlib.ticker import FuncFormatter

    for axis, bars, title in (
        (axes[0], series[0], f"Budget, prognos och utfall ({unit})"),
        (axes[1], series[1], f"Avvikelser ({unit})"),
    ):
        _bars(axis, rows, bars)
        axis.set_title(title, fontsize=9)
        axis.xaxis.set_major_formatter(FuncFormatter(lambda value, _: amount_text(round(value))))
        axis.tick_params(labelsize=7)
        axis.axvline(0, color="black", linewidth=0.6)
        if bars:
            axis.legend(fontsize=6, loc="lower right")


def _bars(axis: Any, rows: list[tuple[str, dict[str, int | float | None]]], series: list[tuple[str, str]]) -> None:
    height = 0.8 / max(len(series), 1)
    positions = list(range(len(rows)))[::-1]
    for number, (key, header) in enumerate(series):
        values = [values.get(key) or 0 for _, values in rows]
        offsets = [p + (len(series) / 2 - number - 0.5) * height for p in positions]
        axis.barh(offsets, values, height=height, label=header)


# --- reconcile ------------------------------------------------------------------------------------


def _checks(document: Document, chapter: Chapter) -> None:
    heading = document.add_heading("Kontroll", level=1)
    heading.paragraph_format.page_break_before = True
    for name, verdict in chapter.verdicts:
        document.add_paragraph(_clean(f"{name}: {verdict}"))
    shown = [check for check in chapter.checks if check.severity != "info"]
    for check in shown:
        words = f"{SEVERITY_WORDS[check.severity]} ({check.code}, {', '.join(check.tables)}): {check.message}"
        document.add_paragraph(_clean(words), style="List Bullet")
    notes = len(chapter.checks) - len(shown)
    if notes:
        document.add_paragraph(f"{notes} noteringar (info): se arbetsbokens blad Kontroll eller kfollow reconcile.")
