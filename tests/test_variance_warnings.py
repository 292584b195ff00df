"""Issue 12, item 7: `variance` (and `investments`) warn where reconcile would, a column whose
version has no rows for the year is empty (null in JSON), never 0, and a caption line above
text tables names the period and the filters."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from conftest import run, write
from openpyxl import load_workbook

import kfollow
from kfollow.report import filter_words, period_words

# Ledger sign (costs +, revenue −); 2024 has outcome in months 1–2 only, and no forecast.
LEDGER = """\
år;period;version;konto;verksamhet;belopp
2023;1;utfall;5011;10100;1000,00
2023;2;utfall;5011;10100;1000,00
2023;3;utfall;5011;10100;1000,00
2023;4;utfall;5011;10100;1000,00
2024;1;utfall;5011;10100;1100,00
2024;2;utfall;5011;10100;1200,00
2024;2;utfall;5011;28910;700,00
2024;12;budget;5011;10100;12000,00
2024;12;budget;9111;10100;-12000,00
2024;1;utfall;9111;10100;-2000,00
"""
KEYS = ["budget", "forecast", "forecast_deviation", "outcome", "outcome_previous", "outcome_change"]


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    return write(tmp_path / "ledger.csv", LEDGER)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write(tmp_path / "kfollow.toml", '[accounts]\n"91" = "Kommunbidrag"\n')


def variance(*args: object) -> tuple[str, str]:
    result = run("variance", *args, "--sign", "ledger", "--unit", "kr")
    return result.stdout, result.stderr


def by_label(data: dict) -> dict[str, dict]:
    return {row["label"]: row["values"] for row in data["rows"]}


# --- a version with no rows for the year: empty, never 0 -----------------------------------------


def test_json_has_null_for_the_forecast_and_its_deviation(ledger: Path, config: Path) -> None:
    out, err = variance(ledger, "--config", config, "--format", "json")
    data = json.loads(out)
    personnel = by_label(data)["Personalkostnader"]
    assert personnel == {
        "budget": -12000,
        "forecast": None,
        "forecast_deviation": None,
        "outcome": -3000,
        "outcome_previous": -2000,
        "outcome_change": -1000,
    }
    # a row without any amount in a column with data is still 0
    assert by_label(data)["Lokalhyror"] == {**dict.fromkeys(KEYS, 0), "forecast": None, "forecast_deviation": None}
    assert by_label(data)["Årets resultat"]["budget"] == 0
    warning = "no prognos rows for 2024: the columns Prognos helår 2024, Avv. prognos/budget 2024 are empty, not 0"
    assert warning in data["warnings"]
    assert f"Warning: {warning}" in err


def test_csv_cells_are_empty_where_there_is_no_data(ledger: Path, config: Path) -> None:
    out, _ = variance(ledger, "--config", config, "--format", "csv")
    rows = {row["label"]: row for row in csv.DictReader(io.StringIO(out))}
    assert [rows["Personalkostnader"][k] for k in KEYS] == ["-12000", "", "", "-3000", "-2000", "-1000"]
    assert [rows["Kommunbidrag"][k] for k in KEYS] == ["12000", "", "", "2000", "0", "2000"]


def test_text_and_markdown_cells_are_empty_where_there_is_no_data(ledger: Path, config: Path) -> None:
    table, _ = variance(ledger, "--config", config)
    (line,) = [line for line in table.splitlines() if line.startswith("Personalkostnader")]
    assert line.split() == ["Personalkostnader", "-12", "000", "-3", "000", "-2", "000", "-1", "000"]
    markdown, _ = variance(ledger, "--config", config, "--format", "markdown")
    (line,) = [line for line in markdown.splitlines() if "Personalkostnader" in line]
    assert [cell.strip() for cell in line.strip("|").split("|")] == [
        "Personalkostnader",
        "-12 000",
        "",
        "",
        "-3 000",
        "-2 000",
        "-1 000",
    ]


def test_xlsx_cells_are_empty_where_there_is_no_data(ledger: Path, config: Path, tmp_path: Path) -> None:
    target = tmp_path / "drift.xlsx"
    variance(ledger, "--config", config, "-o", target)
    sheet = load_workbook(target).active
    assert sheet is not None
    rows = {r[0]: r[1:] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["Personalkostnader"] == (-12000, None, None, -3000, -2000, -1000)


def test_no_previous_year_empties_its_column_and_the_change(tmp_path: Path, config: Path) -> None:
    only_2024 = write(
        tmp_path / "l.csv", "\n".join(line for line in LEDGER.splitlines() if not line.startswith("2023"))
    )
    out, _ = variance(only_2024, "--config", config, "--format", "json")
    data = json.loads(out)
    assert by_label(data)["Personalkostnader"]["outcome_previous"] is None
    assert by_label(data)["Personalkostnader"]["outcome_change"] is None
    assert by_label(data)["Personalkostnader"]["outcome"] == -3000
    assert (
        "no outcome (utfall) rows for 2023: the columns Delårsbokslut 2023, Diff. utfall 2023/2024 are empty, not 0"
        in data["warnings"]
    )


def test_no_budget_empties_the_period_budget_columns_too(tmp_path: Path, config: Path) -> None:
    no_budget = write(tmp_path / "l.csv", "\n".join(line for line in LEDGER.splitlines() if "budget" not in line))
    out, _ = variance(no_budget, "--config", config, "--format", "json", "--period-budget")
    data = json.loads(out)
    personnel = by_label(data)["Personalkostnader"]
    assert [personnel[k] for k in ("budget", "forecast_deviation", "period_budget", "period_deviation")] == [None] * 4
    assert (
        "no budget rows for 2024: the columns Budget 2024, Avv. prognos/budget 2024, Periodbudget 2024, "
        "Avv. utfall/periodbudget 2024 are empty, not 0" in data["warnings"]
    )


def test_the_report_keeps_exact_zeros_for_the_checks(ledger: Path, config: Path) -> None:
    """Report.empty says which columns have no data; their öre stay 0, so sums and reconcile hold."""
    rules = kfollow.load_rules(config)
    read = kfollow.read_ledger([ledger], kfollow.ReadOptions(sign="ledger"))
    report = kfollow.drift_table(kfollow.map_accounts(read, rules), rules)
    assert report.empty == frozenset({"forecast", "forecast_deviation"})
    assert all(row.values["forecast"] == 0 for row in report.rows)
    assert kfollow.reconcile_ledger(read, rules).count("error") == 0


# --- --through past the last month with outcome --------------------------------------------------


def test_through_past_the_outcome_warns(ledger: Path, config: Path) -> None:
    out, err = variance(ledger, "--config", config, "--through", "4", "--format", "json")
    data = json.loads(out)
    assert data["through"] == 4
    assert "--through 4, but the outcome of 2024 ends in month 2: months 3–4 are 0" in data["warnings"]
    assert "Warning: --through 4, but the outcome of 2024 ends in month 2: months 3–4 are 0" in err
    assert by_label(data)["Personalkostnader"]["outcome"] == -3000  # months 3–4 add nothing


def test_through_past_the_previous_years_outcome_warns_for_it(ledger: Path, config: Path) -> None:
    _, err = variance(ledger, "--config", config, "--through", "5")
    assert "Warning: --through 5, but the outcome of 2024 ends in month 2: months 3–5 are 0" in err
    assert "Warning: --through 5, but the outcome of 2023 ends in month 4: month 5 is 0" in err


def test_through_within_the_outcome_or_by_default_does_not_warn(ledger: Path, config: Path) -> None:
    for args in ((), ("--through", "2"), ("--through", "1")):
        _, err = variance(ledger, "--config", config, *args)
        assert "--through" not in err and "ends in month" not in err, args


def test_investments_warn_on_through_past_the_outcome(tmp_path: Path) -> None:
    config = write(tmp_path / "kfollow.toml", '[investments]\n"Markinköp" = ["91"]\n')
    ledger = write(
        tmp_path / "l.csv",
        "år;period;version;konto;projekt;belopp\n2024;1;utfall;5011;;10\n2024;1;utfall;1210;9101;100\n",
    )
    result = run("investments", ledger, "--config", config, "--sign", "ledger", "--through", "3")
    assert "Warning: --through 3, but the outcome of 2024 ends in month 1: months 2–3 are 0" in result.stderr
    assert result.stdout.splitlines()[0] == "Investeringar januari–mars 2024"


# --- the caption ---------------------------------------------------------------------------------


def test_caption_names_the_period_and_the_filters(ledger: Path, config: Path) -> None:
    table, _ = variance(ledger, "--config", config, "--exclude", "verksamhet=289")
    assert table.splitlines()[:3] == ["Drift januari–februari 2024, exkl. verksamhet 289", "", table.splitlines()[2]]
    assert table.splitlines()[2].startswith("Belopp i kr")
    table, _ = variance(ledger, "--config", config, "--where", "verksamhet=289,101", "--through", "1")
    assert table.splitlines()[0] == "Drift januari 2024, endast verksamhet 289 och 101"


def test_caption_is_only_in_the_table_format(ledger: Path, config: Path) -> None:
    markdown, _ = variance(ledger, "--config", config, "--format", "markdown")
    assert markdown.startswith("| Belopp i kr")
    data = json.loads(variance(ledger, "--config", config, "--format", "json")[0])
    assert "caption" not in data


def test_period_words() -> None:
    assert period_words(2024, 8) == "januari–augusti 2024"
    assert period_words(2024, 1) == "januari 2024"
    assert period_words(2024, 12) == "januari–december 2024"
    # a broken fiscal year: the ledger keeps no start month, so its months have no names
    assert period_words(2016, 8, {2016: "2015/16"}) == "period 1–8 2015/16"
    assert period_words(2016, 1, {2016: "2015/16"}) == "period 1 2015/16"
    assert period_words(2016, 14) == "period 1–14 2016"  # a long first fiscal year


def test_filter_words() -> None:
    assert filter_words([], []) == ""
    assert filter_words([("ansvar", ("21", "22"))], [("verksamhet", ("289",))]) == (
        ", endast ansvar 21 och 22, exkl. verksamhet 289"
    )


def test_sie_broken_year_caption() -> None:
    """The caption of a drift table in a fiscal year labelled 2015/16 (as an SIE #RAR gives it)."""
    report = kfollow.Report(
        "drift", 2016, 8, "tkr", (), (), caption="Drift " + period_words(2016, 8, {2016: "2015/16"})
    )
    assert kfollow.render_report(report, "table").decode().splitlines()[0] == "Drift period 1–8 2015/16"
