"""kfollow report (SPEC §12, issue 16): the chapter as a workbook and a Word document, every
figure the one `variance`/`investments` print for the same options, from one load."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLES, run, write

import kfollow

LEDGER = EXAMPLES / "ks-2024.csv"

# The example kommun's rules (as examples/kfollow.toml has them), and the chapter of issue 16.
RULES = """
[accounts]
"91" = "Kommunbidrag"

[investments]
"Expansionsinvestering/Markinköp" = ["91"]
"Expansionsinvestering/Exploatering" = ["920"]
"Imageinvestering" = []
"Reinvestering/Inventarier" = ["941"]
"Reinvestering/Tjänstekatalog" = ["942"]
"Reinvestering/Fastigheter" = ["943", "944"]
"Anpassningsinvestering/IT-infrastruktur" = ["951"]
"Anpassningsinvestering/Lokalanpassningar" = ["952"]
"""
CHAPTER = """
[report]
title = "Kommunstyrelsen, delårsbokslut augusti 2024"

[[report.table]]
name = "Drift"
kind = "drift"
exclude = ["verksamhet=289"]
period_budget = true
previous_forecast = "prognos-april"

[[report.table]]
name = "Exploatering"
kind = "drift"
where = ["verksamhet=289"]

[[report.table]]
name = "Investeringar"
kind = "investments"
"""
# Each table's command and options, as [report] gives them.
COMMANDS = {
    "Drift": ["variance", "--exclude", "verksamhet=289", "--period-budget", "--previous-forecast", "prognos-april"],
    "Exploatering": ["variance", "--where", "verksamhet=289"],
    "Investeringar": ["investments"],
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The example's chapter as .xlsx and .docx, built once for the module."""
    folder = tmp_path_factory.mktemp("chapter")
    config = write(folder / "kfollow.toml", RULES + CHAPTER)
    out = {"config": config, "xlsx": folder / "delår.xlsx", "docx": folder / "delår.docx"}
    for kind in ("xlsx", "docx"):
        run("report", LEDGER, "--config", config, "-q", "-o", out[kind])
    return out


def printed(config: Path, table: str) -> dict:
    return json.loads(
        run(*COMMANDS[table][:1], LEDGER, "--config", config, *COMMANDS[table][1:], "--format", "json").stdout
    )


def joined(header: str) -> str:
    """A header wrapped as the reference report's ('Avv. prognos/', 'budget', '2024') on one line."""
    return header.replace("-\n", "").replace("/\n", "/").replace("\n", " ")


def sheet_table(sheet) -> tuple[list[str], list[list]]:
    """The headers and rows of a table's sheet: from the row that starts 'Belopp i', to the first blank."""
    start = next(
        row for row in range(1, sheet.max_row + 1) if str(sheet.cell(row, 1).value or "").startswith("Belopp i")
    )
    width = next(c for c in range(2, 40) if sheet.cell(start, c).value is None) - 1
    headers = [joined(str(sheet.cell(start, c).value)) for c in range(1, width + 1)]
    rows = []
    for row in range(start + 1, sheet.max_row + 1):
        if sheet.cell(row, 1).value is None:
            break
        rows.append([sheet.cell(row, c).value for c in range(1, width + 1)])
    return headers, rows


# --- the workbook ---------------------------------------------------------------------------------


@pytest.mark.parametrize("table", list(COMMANDS))
def test_every_cell_is_the_figure_the_command_prints(built: dict[str, Path], table: str) -> None:
    """Each sheet holds its table as `variance`/`investments --format json` gives it for the
    same options: the same headers, labels and numbers (real numbers), empty where null."""
    from openpyxl import load_workbook

    expected = printed(built["config"], table)
    headers, rows = sheet_table(load_workbook(built["xlsx"])[table])
    assert headers[1:] == [c["header"] for c in expected["columns"]]
    assert [r[0] for r in rows] == [r["label"] for r in expected["rows"]]
    keys = [c["key"] for c in expected["columns"]]
    assert [r[1:] for r in rows] == [[r["values"][k] for k in keys] for r in expected["rows"]]
    assert all(isinstance(v, int) for r in rows for v in r[1:] if v is not None)


def test_the_drift_sheet_has_the_reference_reports_figures(built: dict[str, Path]) -> None:
    from openpyxl import load_workbook

    headers, rows = sheet_table(load_workbook(built["xlsx"])["Drift"])
    shown = ["Budget 2024", "Prognos helår 2024", "Avv. prognos/budget 2024", "Prognos april 2024"]
    shown += ["Prognosförändring 2024", "Delårsbokslut 2024", "Delårsbokslut 2023", "Diff. utfall 2023/2024"]
    at = [headers.index(header) for header in shown]
    by_label = {r[0]: [r[i] for i in at] for r in rows}
    assert by_label["Personalkostnader"] == [-114196, -112465, 1730, -111465, -1000, -70328, -64523, -5806]
    assert by_label["Årets resultat"] == [0, 0, 0, 2000, -2000, 9902, 5167, 4735]


def test_the_title_block_names_title_period_filters_source_version_and_time(built: dict[str, Path]) -> None:
    from openpyxl import load_workbook

    sheet = load_workbook(built["xlsx"])["Exploatering"]
    lines = [sheet.cell(row, 1).value for row in range(1, 6)]
    digest = hashlib.sha256(LEDGER.read_bytes()).hexdigest()[:12]
    assert lines[:4] == [
        "Kommunstyrelsen, delårsbokslut augusti 2024",
        "Exploatering januari–augusti 2024",
        "Urval: endast verksamhet 289",
        f"Källa: ks-2024.csv (SHA-256 {digest})",
    ]
    assert re.fullmatch(rf"kfollow {re.escape(kfollow.__version__)}, skriven \d{{4}}-\d\d-\d\d \d\d:\d\d", lines[4])
    assert load_workbook(built["xlsx"])["Investeringar"].cell(3, 1).value == "Urval: hela huvudboken"


def test_print_setup_font_number_format_and_rules(built: dict[str, Path]) -> None:
    """Landscape, one page wide (and tall), header row repeated, print area set; one font;
    Swedish digit grouping; a rule above each subtotal as in the text table; empty cells for
    a column with no data are None, never 0 (checked in the cell test)."""
    from openpyxl import load_workbook

    sheet = load_workbook(built["xlsx"])["Drift"]
    setup = sheet.page_setup
    assert (setup.orientation, setup.fitToWidth, setup.fitToHeight) == ("landscape", 1, 1)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    header = next(r for r in range(1, 20) if sheet.cell(r, 1).value == "Belopp i tkr")
    assert sheet.print_title_rows == f"${header}:${header}"
    assert re.fullmatch(r"'?Drift'?!\$A\$1:\$K\$\d+", sheet.print_area)  # ten columns of figures
    fonts = {cell.font.name for row in sheet.iter_rows() for cell in row if cell.value is not None}
    assert fonts == {"Arial"}
    import zipfile

    styles = zipfile.ZipFile(built["xlsx"]).read("xl/styles.xml").decode()
    assert set(re.findall(r'<name val="([^"]+)"', styles)) == {"Arial"}  # the default font too
    assert sheet.cell(header + 1, 2).number_format == "[$-41D]#,##0"
    ruled = [sheet.cell(r, 1).value for r in range(header + 1, header + 11) if sheet.cell(r, 2).border.top.style]
    assert ruled == ["Verksamhetens kostnader", "Verksamhetens nettokostnader", "Årets resultat"]
    assert sheet.cell(header + 6, 1).font.bold and not sheet.cell(header + 1, 1).font.bold
    investments = load_workbook(built["xlsx"])["Investeringar"]
    child = next(c for c in investments["A"] if c.value == "Markinköp")
    assert (child.alignment.horizontal, child.alignment.indent) == ("left", 2)  # sub-categories indented


def test_native_charts_per_table(built: dict[str, Path]) -> None:
    """Two bar charts per table sheet (openpyxl keeps charts it reads only as drawings, so
    the file's own parts are counted), each over the sheet's chart data."""
    import zipfile

    with zipfile.ZipFile(built["xlsx"]) as archive:
        charts = sorted(n for n in archive.namelist() if n.startswith("xl/charts/chart"))
        xml = [archive.read(n).decode() for n in charts]
    assert len(charts) == 6
    assert all("<barChart>" in x and "<strRef>" in x for x in xml)
    drift = [x for x in xml if "'Drift'!" in x or "Drift!" in x]
    assert len(drift) == 2
    assert sum(x.count("<ser>") for x in drift) == 3 + 3  # budget, prognos, utfall; three deviations
    assert "Budget, prognos och utfall (tkr)" in "".join(drift) and "Avvikelser (tkr)" in "".join(drift)


@pytest.mark.parametrize(
    ("table", "options"),
    [
        ("Drift", ["--exclude", "verksamhet=289", "--previous-forecast", "prognos-april"]),
        ("Investeringar", ["--table", "investments"]),
    ],
)
def test_the_explain_paragraphs_are_under_each_table(built: dict[str, Path], table: str, options: list[str]) -> None:
    """Under each table, in the workbook and the document, the paragraphs `kfollow explain`
    writes for it (Drift with its parts by konto, Investeringar by projekt)."""
    import docx
    from openpyxl import load_workbook

    explained = json.loads(run("explain", LEDGER, "--config", built["config"], *options, "--format", "json").stdout)
    sheet = load_workbook(built["xlsx"])[table]
    texts = [sheet.cell(r, 1).value for r in range(1, sheet.max_row + 1)]
    wanted = [paragraph["text"] for paragraph in explained["paragraphs"]]
    assert len(wanted) == 10 if table == "Drift" else 13
    assert [t for t in texts if t in wanted] == wanted
    written = [p.text for p in docx.Document(str(built["docx"])).paragraphs]
    assert [t for t in written if t in wanted] == wanted


def test_the_kontroll_sheet_holds_reconciles_findings(built: dict[str, Path]) -> None:
    from openpyxl import load_workbook

    sheet = load_workbook(built["xlsx"])["Kontroll"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert ["Drift: 0 fel, 0 varningar, 11 info: godkänd"] == [r[0] for r in values if str(r[0]).startswith("Drift:")]
    header = next(i for i, r in enumerate(values) if r[0] == "Allvarlighet")
    end = next(i for i in range(header + 1, len(values)) if values[i][0] is None)
    findings, rest = values[header + 1 : end], values[end:]
    assert any(r[1] == "rounding-difference" and r[2] == "Drift" and "Personalkostnader" in r[3] for r in findings)
    assert any(r[2] == "Investeringar" and r[3].startswith("Investeringar: Reinvestering") for r in findings)
    # each table's findings are about it: the Drift table's about no investment row, and a
    # table without a period budget gets none about one
    assert not any("Drift" in r[2] and r[3].startswith("Investeringar:") for r in findings)
    assert not any("Exploatering" in r[2] and "eriodbudget" in r[3] for r in findings)
    notes = [r[0] for r in rest if str(r[0]).startswith("Ej kontrollerat:")]
    assert "Ej kontrollerat: duplicate-rows (the report reads the ledger summed: run kfollow reconcile)" in notes


def test_without_report_section_drift_and_investeringar(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    config = write(tmp_path / "kfollow.toml", RULES)
    out = tmp_path / "r.xlsx"
    run("report", LEDGER, "--config", config, "--exclude", "verksamhet=289", "-q", "-o", out)
    workbook = load_workbook(out)
    assert workbook.sheetnames == ["Drift", "Investeringar", "Kontroll"]
    assert sheet_table(workbook["Drift"])[0][-1] == "Avv. utfall/periodbudget 2024"
    assert workbook["Drift"].cell(1, 1).value == "Ekonomisk uppföljning januari–augusti 2024"
    only_drift = write(
        tmp_path / "drift.toml", '[accounts]\n"91" = "Kommunbidrag"\n[report]\ntitle = "T"\nunit = "mkr"\n'
    )
    run("report", LEDGER, "--config", only_drift, "--title", "Nämnden", "-q", "-o", out)
    workbook = load_workbook(out)
    assert workbook.sheetnames == ["Drift", "Kontroll"]  # no [investments]: no Investeringar
    assert workbook["Drift"].cell(1, 1).value == "Nämnden"  # --title over [report] title
    assert sheet_table(workbook["Drift"])[0][0] == "Belopp i mkr"  # [report] unit for every table


def test_a_tables_parts_and_the_command_lines_period(tmp_path: Path) -> None:
    """`by`/`top` show a table's parts as variance --by/--top does (grouped rows); --through
    and --where on the command line apply to every table, over [report]."""
    from openpyxl import load_workbook

    chapter = '[[report.table]]\nname = "Drift"\nby = "konto"\ntop = 2\nperiod_budget = true\nthrough = 8\n'
    config = write(tmp_path / "kfollow.toml", RULES + chapter)
    out = tmp_path / "r.xlsx"
    run("report", LEDGER, "--config", config, "--through", "6", "--where", "ansvar=21", "-q", "-o", out)
    options = ["--period-budget", "--by", "konto", "--top", "2", "--through", "6", "--where", "ansvar=21"]
    expected = json.loads(run("variance", LEDGER, "--config", config, *options, "--format", "json").stdout)
    sheet = load_workbook(out)["Drift"]
    _, rows = sheet_table(sheet)
    keys = [c["key"] for c in expected["columns"]]
    assert [[r[0], *r[1:]] for r in rows] == [[r["label"], *(r["values"][k] for k in keys)] for r in expected["rows"]]
    details = [at for at, r in enumerate(expected["rows"]) if r["kind"] == "detail"]
    assert len(details) == 16  # two parts and Övrigt under each row that has more than two
    header = next(r for r in range(1, 20) if sheet.cell(r, 1).value == "Belopp i tkr")
    assert all(sheet.row_dimensions[header + 1 + at].outline_level == 1 for at in details)
    assert sheet.sheet_properties.outlinePr.summaryBelow is False
    assert sheet.cell(2, 1).value == "Drift januari–juni 2024"
    assert sheet.cell(3, 1).value == "Urval: endast ansvar 21"


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="no FIFOs here")
def test_no_checksum_is_taken_of_what_is_no_regular_file(tmp_path: Path) -> None:
    """A FIFO or device is not opened for the checksum (it would wait for a writer, or take
    the loader's rows); a regular file's is its SHA-256."""
    import os

    from kfollow.chapter import NO_DIGEST, start_digests

    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    found = start_digests([fifo, LEDGER]).result(timeout=10)
    assert found == (("pipe.csv", NO_DIGEST), ("ks-2024.csv", hashlib.sha256(LEDGER.read_bytes()).hexdigest()[:12]))


def test_a_column_with_no_data_is_empty_not_0(tmp_path: Path) -> None:
    """No forecast in the ledger: its columns are empty cells in the workbook and the
    document, and drawn in no chart; the other figures as variance prints them."""
    import docx
    from openpyxl import load_workbook

    ledger = write(
        tmp_path / "l.csv",
        """
        år;period;version;konto;belopp
        2024;1;budget;5011;1000000
        2024;1;utfall;5011;900000
        2023;1;utfall;5011;800000
        2024;1;budget;3011;-1000000
        2024;1;utfall;3011;-950000
        """,
    )
    config = write(tmp_path / "kfollow.toml", '[accounts]\n"91" = "Kommunbidrag"\n')
    run("report", ledger, "--config", config, "-q", "-o", tmp_path / "r.xlsx")
    run("report", ledger, "--config", config, "-q", "-o", tmp_path / "r.docx")
    headers, rows = sheet_table(load_workbook(tmp_path / "r.xlsx")["Drift"])
    empty = [headers.index("Prognos helår 2024"), headers.index("Avv. prognos/budget 2024")]
    assert all(row[at] is None for row in rows for at in empty)
    assert rows[1][:2] == ["Personalkostnader", -1000] and rows[1][headers.index("Delårsbokslut 2024")] == -900
    grid = docx.Document(str(tmp_path / "r.docx")).tables[0]
    assert all(grid.rows[r].cells[at].text == "" for r in range(1, len(grid.rows)) for at in empty)


def test_a_tables_previous_forecast(tmp_path: Path) -> None:
    """previous_forecast of a [[report.table]] reads that version and adds its columns, as
    --previous-forecast does; a table without it in the same chapter has none."""
    from openpyxl import load_workbook

    ledger = write(
        tmp_path / "l.csv",
        """
        år;period;version;konto;belopp
        2024;1;budget;5011;1000000
        2024;1;prognos;5011;1200000
        2024;1;prognos-april;5011;1100000
        2024;1;utfall;5011;900000
        2023;1;utfall;5011;800000
        """,
    )
    tables = '[[report.table]]\nname = "A"\nprevious_forecast = "prognos-april"\n[[report.table]]\nname = "B"\n'
    config = write(tmp_path / "kfollow.toml", '[accounts]\n"91" = "Kommunbidrag"\n' + tables)
    run("report", ledger, "--config", config, "-q", "-o", tmp_path / "r.xlsx")
    expected = json.loads(
        run("variance", ledger, "--config", config, "--previous-forecast", "prognos-april", "--format", "json").stdout
    )
    workbook = load_workbook(tmp_path / "r.xlsx")
    headers, rows = sheet_table(workbook["A"])
    assert headers[1:] == [c["header"] for c in expected["columns"]]
    assert "Prognos april 2024" in headers and "Prognosförändring 2024" in headers
    keys = [c["key"] for c in expected["columns"]]
    assert [r[1:] for r in rows] == [[r["values"][k] for k in keys] for r in expected["rows"]]
    assert "Prognos april 2024" not in sheet_table(workbook["B"])[0]


def test_text_cells_never_run(tmp_path: Path) -> None:
    """SPEC §5: a title or category name that looks like a formula is a text cell."""
    from openpyxl import load_workbook

    rules = RULES.replace('"Imageinvestering"', '"=HYPERLINK(1)"')
    config = write(tmp_path / "kfollow.toml", rules + '[report]\ntitle = "=1+2"\n')
    out = tmp_path / "r.xlsx"
    run("report", LEDGER, "--config", config, "-q", "-o", out)
    workbook = load_workbook(out)
    cells = [c for sheet in workbook for row in sheet.iter_rows() for c in row if str(c.value).startswith("=")]
    assert {"=1+2", "=HYPERLINK(1)"} < {c.value for c in cells}  # and the paragraph that names it
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)


# --- the document --------------------------------------------------------------------------------


def test_the_document_has_a_heading_table_text_and_chart_per_table(built: dict[str, Path]) -> None:
    import docx

    document = docx.Document(str(built["docx"]))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == [*COMMANDS, "Kontroll"]
    assert len(document.tables) == 3
    assert len(document.inline_shapes) == 3
    import io

    from PIL import Image  # matplotlib's own dependency

    pictures = [part for part in document.part.package.parts if part.content_type == "image/png"]
    assert len(pictures) == 3
    assert all(round(Image.open(io.BytesIO(p.blob)).info["dpi"][0]) == 300 for p in pictures)  # print resolution
    assert document.sections[0].page_width > document.sections[0].page_height  # landscape
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "Kommunstyrelsen, delårsbokslut augusti 2024"
    assert "januari–augusti 2024, exkl. verksamhet 289" in texts
    for name, grid in zip(COMMANDS, document.tables, strict=True):
        expected = printed(built["config"], name)
        cells = [[c.text for c in row.cells] for row in grid.rows]
        assert [joined(c) for c in cells[0][1:]] == [c["header"] for c in expected["columns"]]
        keys = [c["key"] for c in expected["columns"]]
        assert [[r[0].strip("\u00a0"), *r[1:]] for r in cells[1:]] == [
            [r["label"], *(kfollow_amount(r["values"][k]) for k in keys)] for r in expected["rows"]
        ]
    assert any(t.startswith("Personalkostnaderna redovisas under perioden till 70 328 tkr") for t in texts)


def kfollow_amount(value: int | None) -> str:
    from kfollow.money import format_amount

    return "" if value is None else format_amount(value)


# --- errors and writing --------------------------------------------------------------------------


def test_config_errors_are_named_at_their_lines_all_at_once(tmp_path: Path) -> None:
    config = write(
        tmp_path / "kfollow.toml",
        """
        [report]
        titel = "x"
        through = 13
        [[report.table]]
        kind = "drfit"
        tpo = 3
        where = "verksamhet"
        [[report.table]]
        name = "Drift"
        unit = "kkr"
        [[report.table]]
        """,
    )
    result = run("report", LEDGER, "--config", config, "-o", tmp_path / "r.xlsx", ok=False)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines == [
        "Error: kfollow.toml:2: [report] titel = …: no such key (did you mean title?); kfollow knows title, year, "
        "through, unit and [[report.table]]",
        "Error: kfollow.toml:3: [report] through = 13: give the period's last month, 1 to 12",
        'Error: kfollow.toml:5: [[report.table]] #1 kind = \'drfit\': give "drift" or "investments"',
        "Error: kfollow.toml:6: [[report.table]] #1 tpo = …: no such key (did you mean top?); kfollow knows name, "
        "kind, where, exclude, period_budget, by, top, previous_forecast, forecast_version, year, through, unit",
        "Error: kfollow.toml:7: [[report.table]] #1 where = 'verksamhet': give filters as on the command line, "
        'DIM=PREFIX[,PREFIX…], e.g. ["verksamhet=289"]',
        'Error: kfollow.toml:10: [[report.table]] #2 unit = \'kkr\': give "kr" or "tkr" or "mkr"',
        "Error: kfollow.toml:11: [[report.table]] #3 name = 'Drift': the same name as #2's, case ignored (a name is "
        "a sheet's and a heading's; a table without one takes its kind's, Drift or Investeringar); give each "
        "table its own",
    ]
    assert not (tmp_path / "r.xlsx").exists()


def test_an_investments_table_needs_investments(tmp_path: Path) -> None:
    config = write(
        tmp_path / "kfollow.toml", '[accounts]\n"91" = "Kommunbidrag"\n[[report.table]]\nkind = "investments"\n'
    )
    result = run("report", LEDGER, "--config", config, "-o", tmp_path / "r.docx", ok=False)
    assert result.exit_code == 2
    assert "[report] names an investments table, but there is no [investments]" in result.stderr


def test_written_whole_or_not_at_all(tmp_path: Path) -> None:
    """A table that cannot be built (no such year) leaves the file as it was; -o must be
    .xlsx or .docx and never a file the command reads."""
    config = write(
        tmp_path / "kfollow.toml", RULES + CHAPTER.replace('name = "Exploatering"', 'name = "E"\nyear = 1999')
    )
    out = write(tmp_path / "r.xlsx", "old")
    result = run("report", LEDGER, "--config", config, "-q", "-o", out, ok=False)
    # the error names the table whose value it is, then the option that value stands for
    assert result.exit_code == 2 and "the table 'E' ([[report.table]]" in result.stderr
    assert "--year 1999" in result.stderr
    assert out.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kfollow.toml", "r.xlsx"]
    wrong = run("report", LEDGER, "--config", config, "-o", tmp_path / "r.pdf", ok=False)
    assert wrong.exit_code == 2 and "give FILE.xlsx or FILE.docx" in wrong.stderr
    # never over a file it reads: the ledger given as the workbook to write
    book = tmp_path / "ledger.xlsx"
    shutil.copyfile(EXAMPLES / "ks-2024.xlsx", book)
    before = book.read_bytes()
    same = run("report", book, "--config", config, "-o", book, ok=False)
    assert same.exit_code == 2 and book.read_bytes() == before


def test_a_dollar_in_a_label_is_text_in_the_chart(tmp_path: Path) -> None:
    """matplotlib reads $…$ as TeX: a category named with a "$" (invalid TeX) must neither
    stop the Word document nor lose its dollar signs."""
    rules = RULES.replace('"Reinvestering/Fastigheter"', '"Reinvestering/Fastigheter $x^$"')
    config = write(tmp_path / "kfollow.toml", rules + CHAPTER.replace('name = "Drift"', 'name = "Drift $a$"'))
    out = tmp_path / "r.docx"
    result = run("report", LEDGER, "--config", config, "-q", "-o", out)
    assert result.exit_code == 0 and out.stat().st_size > 0


def test_a_control_character_in_a_table_name_or_title_is_refused(tmp_path: Path) -> None:
    config = write(
        tmp_path / "kfollow.toml",
        RULES + CHAPTER.replace('name = "Exploatering"', 'name = "Exp\\u0000l"').replace(
            'title = "Kommunstyrelsen', 'title = "\\u0007Kommunstyrelsen'
        ),
    )
    result = run("report", LEDGER, "--config", config, "-q", "-o", tmp_path / "r.xlsx", ok=False)
    assert result.exit_code == 2
    assert re.search(r"kfollow\.toml:\d+: .*name", result.stderr) and "title" in result.stderr
    assert not (tmp_path / "r.xlsx").exists()


def test_report_help_loads_neither_pandas_nor_matplotlib() -> None:
    code = (
        "import sys\nfrom kfollow.cli import cli\n"
        "try:\n    cli(['report', '--help'])\nexcept SystemExit:\n    pass\n"
        "print('HEAVY', sorted(m for m in ('pandas', 'numpy', 'matplotlib', 'docx', 'openpyxl') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out


# --- rendered by LibreOffice ----------------------------------------------------------------------

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def pdf_pages(pdf: Path) -> list[str]:
    """The text of each page (pdftotext); without it, the page count from the PDF's objects."""
    if shutil.which("pdftotext") is None:
        count = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf.read_bytes()))
        return [""] * count
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True).stdout
    return text.decode("utf-8").split("\f")[:-1]


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed; see the README's kfollow report")
def test_rendered_by_libreoffice(built: dict[str, Path], tmp_path: Path) -> None:
    """Both files open in LibreOffice and print as meant: each table sheet on one landscape
    page (then Kontroll), each Word table whole on one page; the pages hold the figures."""
    workbook, document = tmp_path / "chapter.xlsx", tmp_path / "chapter-word.docx"
    shutil.copy(built["xlsx"], workbook)
    shutil.copy(built["docx"], document)
    profile = f"-env:UserInstallation=file://{tmp_path / 'profile'}"  # not the user's, which may be open
    convert = [str(SOFFICE), profile, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path)]
    subprocess.run([*convert, str(workbook), str(document)], capture_output=True, check=True, timeout=120)
    sheets, pages = pdf_pages(tmp_path / "chapter.pdf"), pdf_pages(tmp_path / "chapter-word.pdf")
    for pdf in ("chapter.pdf", "chapter-word.pdf"):
        sizes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", (tmp_path / pdf).read_bytes())
        assert sizes and all(float(w) > float(h) for w, h in sizes), pdf  # landscape, every page
    assert len(sheets) >= 4  # three tables, one page each, and Kontroll
    if shutil.which("pdftotext") is None:
        return
    # a page per table, then Kontroll (its header repeated on each of its pages)
    assert all("Allvarlighet" in page for page in sheets[3:])
    for page, name in zip(sheets, COMMANDS, strict=False):
        assert page.splitlines()[0].strip() == "Kommunstyrelsen, delårsbokslut augusti 2024"
        assert f"{name} januari–augusti 2024" in page
        last = printed(built["config"], name)["rows"][-1]
        assert last["label"] in page
        for value in last["values"].values():
            assert kfollow_amount(value) in page
    drift = printed(built["config"], "Drift")
    for row in drift["rows"]:
        assert re.search(
            re.escape(row["label"]) + r"\s+" + r"\s+".join(kfollow_amount(v) for v in row["values"].values()), sheets[0]
        )
    for name in COMMANDS:
        last = printed(built["config"], name)["rows"][-1]["label"]
        found = [page for page in pages if re.search(rf"^\s*{name}\s*$", page, re.M)]
        assert len(found) == 1 and last in found[0], name  # the table whole on the page of its heading
        if name == "Drift":
            figures = [kfollow_amount(v) for row in drift["rows"] for v in row["values"].values()]
            assert all(figure in found[0] for figure in figures)
