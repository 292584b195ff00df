"""XLSX specifics of the calamine reader: merged cells, hidden sheets."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run
from openpyxl import Workbook

HEADER = ["år", "period", "version", "konto", "ansvar", "belopp"]


def workbook(path: Path, rows: list[list[object]], merges: list[str] = (), hidden_first: bool = False) -> Path:
    book = Workbook()
    sheet = book.active
    if hidden_first:
        sheet.title = "Gammal"
        sheet.append(["inget här"])
        sheet.sheet_state = "hidden"
        sheet = book.create_sheet("Huvudbok")
    for row in rows:
        sheet.append(row)
    for merge in merges:
        sheet.merge_cells(merge)
    book.save(path)
    return path


def cells(path: Path) -> dict[str, dict[str, int]]:
    result = run("variance", path, "--sign", "ledger", "--unit", "kr", "--format", "json", "--year", "2024")
    return {row["label"]: row["values"] for row in json.loads(result.stdout)["rows"]}


def test_a_code_merged_down_counts_in_each_row(tmp_path: Path) -> None:
    """ansvar written once over two rows: both rows have it (--where ansvar=A keeps both)."""
    rows = [HEADER, [2024, 1, "utfall", "5011", "A", 100], [2024, 1, "utfall", "5012", None, 50]]
    path = workbook(tmp_path / "m.xlsx", rows, ["E2:E3"])
    result = run("variance", path, "--sign", "ledger", "--unit", "kr", "--format", "json", "--where", "ansvar=A")
    personnel = next(r for r in json.loads(result.stdout)["rows"] if r["label"] == "Personalkostnader")
    assert personnel["values"]["outcome"] == -150


def test_an_amount_merged_down_is_an_error(tmp_path: Path) -> None:
    """An amount shown once must count once: merged over rows it is an error naming the rows."""
    rows = [HEADER, [2024, 1, "utfall", "5011", "A", 100], [2024, 1, "utfall", "5012", "A", None]]
    path = workbook(tmp_path / "m.xlsx", rows, ["F2:F3"])
    result = run("variance", path, "--sign", "ledger", ok=False)
    assert result.exit_code == 3 and result.stdout == ""
    assert "Error: m.xlsx:2: column 'belopp': an amount merged over rows 2–3" in result.stderr


def test_the_first_visible_sheet_is_the_default(tmp_path: Path) -> None:
    rows = [HEADER, [2024, 1, "utfall", "5011", "A", 100]]
    path = workbook(tmp_path / "h.xlsx", rows, hidden_first=True)
    assert cells(path)["Personalkostnader"]["outcome"] == -100
