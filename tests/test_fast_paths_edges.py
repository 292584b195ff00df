"""Edge cases of the fast paths, found in review: reconcile's collapsed read with row hashes
must give the report a row-by-row read gives (rows written differently in different files,
--forecast files, wide files, filters on text), and the fastexcel path must read a sheet as
python-calamine's reader does, or hand it over (text 'nan' amounts, numbers in code columns,
empty <v></v> elements).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import EXAMPLES, KOMMUNBIDRAG, reconcile_report
from openpyxl import Workbook

from kfollow.read import xlsx
from kfollow.read.table import HeaderPlanner, Table


def reconcile_json(*args: object, row_by_row: bool = False) -> dict[str, Any]:
    return reconcile_report(*args, row_by_row=row_by_row)


def duplicates(report: dict[str, Any]) -> list[list[str]]:
    return [f["sources"] for f in report.get("findings", []) if f["code"] == "duplicate-rows"]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "kfollow.toml"
    path.write_text(KOMMUNBIDRAG, "utf-8")
    return path


HEADER = "år;period;version;konto;ansvar;verksamhet;projekt;text;belopp"
ROWS = [
    "2024;1;utfall;5011;A;10100;;Löner;100,00",
    "2024;1;utfall;3011;B;28910;;Taxa;-40,00",
    "2024;1;budget;5011;A;10100;;;1 200,00",
    "2024;1;budget;9111;A;10100;;;-1 200,00",
]


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


# --- rows written differently hash alike (loaders.RowHashing) -----------------------------------


def test_forecast_file_that_repeats_ledger_rows_is_flagged() -> None:
    """examples/prognos-2024.csv holds the prognos rows of ks-2024.csv; given both, every pair
    is a duplicate. The --forecast file has no version column: its rows hash with the version
    they are given."""
    args = (
        EXAMPLES / "ks-2024.csv",
        "--forecast",
        EXAMPLES / "prognos-2024.csv",
        "--config",
        EXAMPLES / "kfollow.toml",
    )
    expected = duplicates(reconcile_json(*args, row_by_row=True))
    assert expected  # 873 pairs, ks-2024.csv:3585 / prognos-2024.csv:2 first
    assert duplicates(reconcile_json(*args)) == expected


def test_same_row_in_two_files_with_another_column_order(tmp_path: Path, config: Path) -> None:
    """Rows hash by column meaning, not by the file's column order (b.csv: period before år)."""
    a = write(tmp_path / "a.csv", [HEADER, *ROWS])
    b = write(tmp_path / "b.csv", ["period;år;version;konto;ansvar;verksamhet;projekt;text;belopp",
                                   "1;2024;utfall;5011;A;10100;;Löner;100,00"])  # fmt: skip
    args = (a, b, "--config", config, "--sign", "ledger")
    expected = duplicates(reconcile_json(*args, row_by_row=True))
    assert expected == [["a.csv:2", "b.csv:2"]]
    assert duplicates(reconcile_json(*args)) == expected


def test_same_row_in_a_file_without_an_empty_column(tmp_path: Path, config: Path) -> None:
    """b.csv has no projekt column: an absent column hashes as an empty cell."""
    a = write(tmp_path / "a.csv", [HEADER, *ROWS])
    b = write(tmp_path / "b.csv", ["år;period;version;konto;ansvar;verksamhet;text;belopp",
                                   "2024;1;utfall;5011;A;10100;Löner;100,00"])  # fmt: skip
    args = (a, b, "--config", config, "--sign", "ledger")
    expected = duplicates(reconcile_json(*args, row_by_row=True))
    assert expected == [["a.csv:2", "b.csv:2"]]
    assert duplicates(reconcile_json(*args)) == expected


def test_period_written_two_ways_in_one_file(tmp_path: Path, config: Path) -> None:
    """Period 1 and 202401 (with år 2024) are the same month: they hash as the month they are."""
    path = write(tmp_path / "l.csv", [HEADER, *ROWS, "2024;202401;utfall;5011;A;10100;;Löner;100,00"])
    args = (path, "--config", config, "--sign", "ledger")
    expected = duplicates(reconcile_json(*args, row_by_row=True))
    assert expected == [["l.csv:2", "l.csv:6"]]
    assert duplicates(reconcile_json(*args)) == expected


# --- a wide file and a filter ------------------------------------------------------------------


def test_wide_file_with_a_filter_has_no_false_duplicates(tmp_path: Path, config: Path) -> None:
    """A wide file is not hashed, and its collapsed read keeps one verksamhet code per filter
    verdict (10100 and 10200 both pass --exclude 289): the duplicate check must not run on
    that read, or lines 2 and 3 would look identical."""
    path = write(tmp_path / "w.csv", ["år;period;konto;ansvar;verksamhet;text;utfall;budget",
                                      "2024;1;5011;A;10100;Löner;100,00;1200",
                                      "2024;1;5011;A;10200;Löner;100,00;",
                                      "2024;1;3011;A;28910;Taxa;-40;",
                                      "2024;1;9111;A;10100;;;-1200"])  # fmt: skip
    args = (path, "--config", config, "--sign", "ledger", "--exclude", "verksamhet=289")
    assert duplicates(reconcile_json(*args, row_by_row=True)) == []
    assert duplicates(reconcile_json(*args)) == []


# --- a filter on text ---------------------------------------------------------------------------


def test_where_on_text_still_filters(tmp_path: Path, config: Path) -> None:
    """A column a filter names is kept, though no other check reads it (text is otherwise
    only hashed)."""
    path = write(tmp_path / "l.csv", [HEADER, *ROWS])
    args = (path, "--config", config, "--sign", "ledger", "--where", "text=Lön")
    expected = reconcile_json(*args, row_by_row=True)
    assert "exit" not in expected
    assert reconcile_json(*args) == expected


# --- kfollow/xlsx.py reads as python-calamine's reader does, or hands over ----------------------

XLSX_HEADER = ["år", "period", "version", "konto", "ansvar", "belopp"]


def save(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "Huvudbok"
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def both(path: Path) -> tuple[Table, Table]:
    """(read_xlsx as it is, read_xlsx with python-calamine only)."""
    plan = HeaderPlanner(None)
    fast = xlsx.read_xlsx(path, plan, None)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(xlsx, "read_xlsx_fast", lambda *args: None)
        slow = xlsx.read_xlsx(path, plan, None)
    return fast, slow


def as_lists(frame: pd.DataFrame) -> dict[str, list[object]]:
    return {
        key: [None if pd.isna(v) else v for v in frame[key].astype(object)]
        if isinstance(frame[key].dtype, pd.CategoricalDtype)
        else frame[key].tolist()
        for key in frame.columns
    }


def test_xlsx_text_nan_amount_is_named_not_taken_as_empty(tmp_path: Path) -> None:
    """fastexcel reads the text 'nan' in a float column as NaN: that is a bad amount, named,
    not an empty cell (which a wide file would drop without a word)."""
    fast, slow = both(save(tmp_path / "n.xlsx", [XLSX_HEADER, [2024, 1, "utfall", "5011", "A", "nan"]]))
    assert slow.problems  # "n.xlsx:2: column 'belopp': 'nan': not an amount in kronor …"
    assert fast.problems == slow.problems
    assert as_lists(fast.frame) == as_lists(slow.frame)


def test_xlsx_numbers_in_code_columns_read_as_python_calamine_reads_them(tmp_path: Path) -> None:
    """fastexcel writes a number cell as text in its own way: 1e-05 -> '0.00001',
    123456789012.34 -> '123456789012.339996338', -0.0 -> '-0' (_cell_text: '1e-05', …)."""
    rows = [[*XLSX_HEADER, "text"]] + [[2024, 1, "utfall", "5011", "A", 1, v] for v in (1e-05, 123456789012.34, -0.0)]
    fast, slow = both(save(tmp_path / "c.xlsx", rows))
    assert as_lists(fast.frame)["text"] == as_lists(slow.frame)["text"] == ["1e-05", "123456789012.34", "0"]


def test_xlsx_empty_value_element_in_the_first_rows_does_not_crash(tmp_path: Path) -> None:
    """<v></v> (as some writers put in an empty cell) in the first 30 rows: the sheet is read
    (python-calamine's reader takes it), no internal error."""
    path = save(
        tmp_path / "v.xlsx", [XLSX_HEADER, [2024, 1, "utfall", "5011", "A", 5], [2024, 1, "utfall", "5012", "A", 7]]
    )
    patched = tmp_path / "v2.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</row></sheetData>", b'<c r="G3"><v></v></c></row></sheetData>')
                assert b"<v></v>" in data
            target.writestr(item, data)
    fast, slow = both(patched)
    assert as_lists(fast.frame) == as_lists(slow.frame)
    np.testing.assert_array_equal(fast.frame["line"].to_numpy(), [2, 3])
