"""The example ledger reproduces the reference report's tables, every printed cell.

tests/data/seed-tables.json is a copy of the figures printed in Kommunstyrelsens
delårsbokslut 2024 (Drift, Exploatering). The printed tables carry rounding differences
(e.g. Personalkostnader's Avv. prognos/budget prints 1 730 while its rows give 1 731): they
come out only if every cell is computed from exact öre and rounded once.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import DATA, EXAMPLES, run
from openpyxl import load_workbook

SEED = json.loads((DATA / "seed-tables.json").read_text("utf-8"))
COLUMNS = SEED["columns"]
LEDGERS = ["ks-2024.xlsx", "ks-2024.csv"]
EXPECTED = DATA / "expected"
CONFIG = EXAMPLES / "kfollow.toml"


def variance_json(*args: str) -> dict:
    result = run("variance", *args, "--config", CONFIG, "--format", "json")
    return json.loads(result.stdout)


def cells(report: dict) -> dict[str, dict[str, int]]:
    return {row["label"]: row["values"] for row in report["rows"]}


@pytest.mark.parametrize("ledger", LEDGERS)
def test_drift_table_is_the_reference_table(ledger: str) -> None:
    """--exclude verksamhet=289 gives kommunstyrelsen's Drift table exactly."""
    report = variance_json(str(EXAMPLES / ledger), "--exclude", "verksamhet=289")
    assert (report["year"], report["through"], report["unit"]) == (2024, 8, "tkr")
    assert [c["key"] for c in report["columns"]] == COLUMNS
    assert cells(report) == {label: dict(zip(COLUMNS, values, strict=True)) for label, values in SEED["drift"].items()}


@pytest.mark.parametrize("ledger", LEDGERS)
def test_period_budget_columns_match_the_report_text(ledger: str) -> None:
    """--period-budget adds Periodbudget and Avv. utfall/periodbudget (Jan–Aug)."""
    report = variance_json(str(EXAMPLES / ledger), "--exclude", "verksamhet=289", "--period-budget")
    got = cells(report)
    period = {k: v for k, v in SEED["drift_period"].items() if not k.startswith("_")}
    for label, (period_budget, deviation) in period.items():
        assert got[label]["period_budget"] == period_budget, label
        assert got[label]["period_deviation"] == deviation, label
    assert got["Årets resultat"]["outcome"] == 9902  # the six seed columns stay as they were


@pytest.mark.parametrize("ledger", LEDGERS)
def test_exploatering_table_is_the_reference_table(ledger: str) -> None:
    """--where verksamhet=289 gives the Exploatering table exactly."""
    report = variance_json(str(EXAMPLES / ledger), "--where", "verksamhet=289")
    assert cells(report) == {
        label: dict(zip(COLUMNS, values, strict=True)) for label, values in SEED["exploatering"].items()
    }


def test_rounding_differences_survive_as_printed() -> None:
    """A subtotal is not forced to foot: the printed differences of the report are kept."""
    got = cells(variance_json(str(EXAMPLES / "ks-2024.xlsx"), "--exclude", "verksamhet=289"))
    personnel = got["Personalkostnader"]
    assert personnel["forecast"] - personnel["budget"] == 1731
    assert personnel["forecast_deviation"] == 1730
    leaves = ["Personalkostnader", "Lokalhyror", "Köp av tjänster", "Övriga kostnader"]
    assert sum(got[r]["outcome_change"] for r in leaves) == -12958
    assert sum(got[r]["budget"] for r in leaves) == -214940  # printed subtotal: -214 941
    assert got["Verksamhetens kostnader"]["budget"] == -214941


def test_whole_ledger_in_kronor() -> None:
    """Without filters, in kr: each cell rounded once from öre (no tkr rounding inherited)."""
    got = cells(variance_json(str(EXAMPLES / "ks-2024.csv"), "--unit", "kr"))
    drift = cells(variance_json(str(EXAMPLES / "ks-2024.csv"), "--unit", "kr", "--exclude", "verksamhet=289"))
    explo = cells(variance_json(str(EXAMPLES / "ks-2024.csv"), "--unit", "kr", "--where", "verksamhet=289"))
    for label in got:
        for key in COLUMNS:
            # kr cells of the two parts may each round by ½ kr: at most 1 kr apart.
            assert abs(got[label][key] - drift[label][key] - explo[label][key]) <= 1


# --- golden files: whole outputs --------------------------------------------------------------

GOLDEN = {
    "drift.txt": ["--exclude", "verksamhet=289", "--period-budget"],
    "drift.md": ["--exclude", "verksamhet=289", "--format", "markdown"],
    "drift.csv": ["--exclude", "verksamhet=289", "--format", "csv"],
    "drift.json": ["--exclude", "verksamhet=289", "--format", "json", "--period-budget"],
    "exploatering.txt": ["--where", "verksamhet=289"],
    "drift-mkr.txt": ["--exclude", "verksamhet=289", "--unit", "mkr"],
}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_output(name: str) -> None:
    """Whole outputs as committed; KFOLLOW_UPDATE_GOLDEN=1 rewrites them after a reviewed change."""
    result = run("variance", EXAMPLES / "ks-2024.xlsx", "--config", CONFIG, *GOLDEN[name])
    path = EXPECTED / name
    if os.environ.get("KFOLLOW_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(result.stdout, "utf-8")
    assert result.stdout == path.read_text("utf-8")


def test_accounts_golden() -> None:
    result = run("accounts", EXAMPLES / "ks-2024.csv", "--config", CONFIG, "--year", "2024")
    path = EXPECTED / "accounts-2024.txt"
    if os.environ.get("KFOLLOW_UPDATE_GOLDEN"):
        path.write_text(result.stdout, "utf-8")
    assert result.stdout == path.read_text("utf-8")


def test_xlsx_output(tmp_path: Path) -> None:
    """Real numbers in a thousands format, bold subtotals, frozen header, fitting widths."""
    out = tmp_path / "drift.xlsx"
    run("variance", EXAMPLES / "ks-2024.xlsx", "--config", CONFIG, "--exclude", "verksamhet=289", "-o", out)
    sheet = load_workbook(out).active
    assert sheet.title == "Drift"
    assert sheet.freeze_panes == "B2"
    assert [c.value for c in sheet[1]] == [
        "Belopp i tkr",
        "Budget 2024",
        "Prognos helår 2024",
        "Avv. prognos/budget 2024",
        "Delårsbokslut 2024",
        "Delårsbokslut 2023",
        "Diff. utfall 2023/2024",
    ]
    rows = {r[0].value: r for r in sheet.iter_rows(min_row=2)}
    for label, values in SEED["drift"].items():
        assert [c.value for c in rows[label][1:]] == values
        assert all(c.number_format == "#,##0" for c in rows[label][1:])
    assert rows["Verksamhetens kostnader"][0].font.bold and rows["Årets resultat"][3].font.bold
    assert not rows["Lokalhyror"][0].font.bold
    assert sheet.column_dimensions["A"].width >= len("Verksamhetens nettokostnader")
