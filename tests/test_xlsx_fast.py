"""The fast XLSX path (kfollow/xlsx.py, fastexcel) reads a sheet as python-calamine's reader
does: the same rows, codes, öre and line numbers, or it hands the sheet over (None)."""

from __future__ import annotations

import datetime
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import EXAMPLES
from openpyxl import Workbook

from kfollow.read import xlsx
from kfollow.read.table import HeaderPlanner, Table

HEADER = ["år", "period", "version", "konto", "ansvar", "belopp"]


def save(path: Path, rows: dict[str, list[object]] | list[list[object]], merges: tuple[str, ...] = ()) -> Path:
    """rows: a list (appended from A1) or {top-left cell: row} to place rows anywhere."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Huvudbok"
    if isinstance(rows, dict):
        for anchor, row in rows.items():
            cell = sheet[anchor]
            for offset, value in enumerate(row):
                sheet.cell(row=cell.row, column=cell.column + offset, value=value)
    else:
        for row in rows:
            sheet.append(row)
    for merge in merges:
        sheet.merge_cells(merge)
    book.save(path)
    return path


def both(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Table | None, Table]:
    """(the fast path's table or None, python-calamine's table)."""
    plan = HeaderPlanner(None)
    fast = xlsx.read_xlsx_fast(path, "Huvudbok", plan)
    monkeypatch.setattr(xlsx, "read_xlsx_fast", lambda *args: None)
    slow = xlsx.read_xlsx(path, plan, None)
    monkeypatch.undo()
    return fast, slow


def same(fast: Table, slow: Table) -> None:
    assert fast.header_line == slow.header_line
    assert fast.columns == slow.columns
    assert fast.problems == slow.problems
    assert list(fast.frame.columns) == list(slow.frame.columns)
    for key in fast.frame.columns:
        a, b = fast.frame[key], slow.frame[key]
        if isinstance(a.dtype, pd.CategoricalDtype):
            assert a.astype(object).tolist() == b.astype(object).tolist(), key
        else:
            np.testing.assert_array_equal(a.to_numpy(), b.to_numpy(), err_msg=key)


def test_the_example_reads_the_same_both_ways(monkeypatch: pytest.MonkeyPatch) -> None:
    """examples/ks-2024.xlsx: two title rows, a blank row, the header on row 4, 5 331 rows."""
    fast, slow = both(EXAMPLES / "ks-2024.xlsx", monkeypatch)
    assert fast is not None
    same(fast, slow)
    assert fast.header_line == 4
    assert fast.frame["line"].iloc[0] == 5 and fast.frame["line"].iloc[-1] == 5335
    assert int(fast.frame["amount"].iloc[0]) == 27478470  # 274 784,70 kr on row 5


def test_leading_empty_rows_and_columns_keep_excel_row_numbers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """fastexcel starts at the first cell with a value (C3 here): rows are still Excel's."""
    rows = {
        "C3": ["Kommunstyrelsen"],
        "C6": HEADER,
        "C7": [2024, 1, "utfall", "5011", "0110", 100.5],
        "C9": [2024, 2, "utfall", 5011, "A", -7],  # row 8 empty; konto as a number
        "C10": [2024, 2, "budget", "04711", " B ", 1234.56],
    }
    fast, slow = both(save(tmp_path / "l.xlsx", rows), monkeypatch)
    assert fast is not None
    same(fast, slow)
    assert fast.header_line == 6
    assert fast.frame["line"].tolist() == [7, 9, 10]
    assert fast.frame["account"].astype(object).tolist() == ["5011", "5011", "04711"]
    assert fast.frame["ansvar"].astype(object).tolist() == ["0110", "A", "B"]
    assert fast.frame["amount"].tolist() == [10050, -700, 123456]


def shared_strings_workbook(path: Path) -> Path:
    """A workbook as Excel writes one: text in xl/sharedStrings.xml (one string in two rich-text
    runs, one with a phonetic reading, one with '&'), the header on row 3 from column B."""
    strings = [
        "år", "period", "version", "konto", "ansvar", "belopp", "utfall", "5011", "R&amp;D",
        ("<r><t>Kommun</t></r><r><rPr><b/></rPr><t>styrelsen</t></r>", True),
        ("<t>ö</t><rPh sb=\"0\" eb=\"1\"><t>x</t></rPh>", True),
    ]  # fmt: skip
    items = "".join(f"<si>{s[0]}</si>" if isinstance(s, tuple) else f"<si><t>{s}</t></si>" for s in strings)

    def row(number: int, cells: list[tuple[str, str, str]]) -> str:
        body = "".join(
            f'<c r="{column}{number}" t="s"><v>{value}</v></c>'
            if kind == "s"
            else f'<c r="{column}{number}"><v>{value}</v></c>'
            for column, kind, value in cells
        )
        return f'<row r="{number}">{body}</row>'

    sheet_rows = [
        row(1, [("B", "s", "9")]),
        row(3, [(c, "s", str(i)) for i, c in enumerate("BCDEFG")]),
        row(4, [("B", "n", "2024"), ("C", "n", "1"), ("D", "s", "6"), ("E", "s", "7"), ("F", "s", "8"),
                ("G", "n", "12.5")]),
        row(5, [("B", "n", "2024"), ("C", "n", "2"), ("D", "s", "6"), ("E", "n", "5011"), ("F", "s", "10"),
                ("G", "n", "-3")]),
    ]  # fmt: skip
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    office = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    relations = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{office}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{office}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{office}.sharedStrings+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{relations}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" xmlns:r="{relations}">'
            '<sheets><sheet name="Huvudbok" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{relations}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{relations}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{main}">'
            f'<sheetData>{"".join(sheet_rows)}</sheetData></worksheet>'
        ),
        "xl/sharedStrings.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{main}" count="{len(strings)}">{items}</sst>'
        ),
    }  # fmt: skip
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


def test_shared_strings_rich_text_and_entities(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow = both(shared_strings_workbook(tmp_path / "s.xlsx"), monkeypatch)
    assert fast is not None
    same(fast, slow)
    assert fast.header_line == 3
    assert fast.frame["line"].tolist() == [4, 5]
    assert fast.frame["ansvar"].astype(object).tolist() == ["R&D", "ö"]
    assert fast.frame["account"].astype(object).tolist() == ["5011", "5011"]
    assert fast.frame["amount"].tolist() == [1250, -300]


def test_bad_amounts_are_named_with_their_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [HEADER, [2024, 1, "utfall", "5011", "A", 1.234], [2024, 1, "utfall", "5011", "A", 0.1 + 0.2]]
    fast, slow = both(save(tmp_path / "b.xlsx", rows), monkeypatch)
    assert fast is not None
    same(fast, slow)
    assert len(fast.problems) == 1 and "b.xlsx:2: column 'belopp': '1.234'" in fast.problems[0]
    assert fast.frame["amount"].tolist()[1] == 30  # 0.30000000000000004 kr is 30 öre


@pytest.mark.parametrize(
    "rows, merges",
    [
        ([HEADER, [2024, 1, "utfall", "5011", "A", "1 234,50"]], ()),  # a text amount
        ([HEADER, [2024, 1, "utfall", "5011", "A", True]], ()),  # a boolean amount
        ([HEADER, [2024, 1, "utfall", "5011", "A", 1], [2024, 1, "utfall", "5012", None, 2]], ("E2:E3",)),
        ([HEADER, [2024, 1, "utfall", "5011", "A", 1], [2024, 1, "utfall", "5012", "A", None]], ("F2:F3",)),
        ([["konto", "Konto", "belopp"], ["5011", "5011", 1]], ()),  # a header kfollow names as wrong
    ],
    ids=["text-amount", "bool-amount", "merged-code", "merged-amount", "two-account-columns"],
)
def test_what_the_fast_path_hands_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: list, merges: tuple[str, ...]
) -> None:
    """Sheets python-calamine's reader must read (to parse, fill in or name) come back None."""
    fast, _ = both(save(tmp_path / "h.xlsx", rows, merges), monkeypatch)
    assert fast is None


def test_merges_above_the_header_do_not_hand_over(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [["Titel", None, None], HEADER, [2024, 1, "utfall", "5011", "A", 5]]
    fast, slow = both(save(tmp_path / "t.xlsx", rows, ("A1:C1",)), monkeypatch)
    assert fast is not None
    same(fast, slow)


def test_blank_rows_drop_and_keep_the_lines_below(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [
        [*HEADER, "text"],
        [2024, 1, "utfall", "5011", "A", 5, "Arvode"],
        [None] * 7,
        [None, None, None, None, "   ", None, None],
        [2024, 2, "utfall", "5011", "A", 6, "  "],
    ]
    fast, slow = both(save(tmp_path / "d.xlsx", rows), monkeypatch)
    assert fast is not None
    same(fast, slow)
    assert fast.frame["line"].tolist() == [2, 5]


def test_a_date_among_the_codes_hands_over(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """fastexcel writes a date cell as '2024-01-02 00:00:00', python-calamine as its own text."""
    rows = [[*HEADER, "text"], [2024, 1, "utfall", "5011", "A", 5, datetime.datetime(2024, 1, 2)]]
    fast, _ = both(save(tmp_path / "d.xlsx", rows), monkeypatch)
    assert fast is None


def test_a_header_beyond_the_search_rows_is_no_header(tmp_path: Path) -> None:
    """Row 31 is past HEADER_SEARCH_ROWS for both readers: the fast path hands over."""
    path = save(tmp_path / "far.xlsx", {"A31": HEADER, "A32": [2024, 1, "utfall", "5011", "A", 1]})
    assert xlsx.read_xlsx_fast(path, "Huvudbok", HeaderPlanner(None)) is None
