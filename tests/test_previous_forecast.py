"""--previous-forecast NAME (SPEC §9): the earlier forecast and the change since, checked by hand."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import EXAMPLES, KOMMUNBIDRAG, run, write

LEDGER = """\
år;period;version;konto;projekt;belopp
2024;1;budget;3111;;-1200,00
2024;1;budget;5011;;1000,00
2024;1;budget;9110;;200,00
2024;12;prognos-april;3111;;-1300,00
2024;12;prognos-april;5011;;1100,00
2024;12;prognos;3111;;-1250,50
2024;12;prognos;5011;;1240,25
2024;1;utfall;3111;;-100,00
2024;1;utfall;5011;;90,00
2024;1;budget;1110;92011;500,00
2024;12;prognos-april;1110;92011;450,00
2024;12;prognos;1110;92011;300,40
2024;1;utfall;1110;92011;120,00
"""


def table(tmp_path: Path, command: str, *args: str) -> dict:
    ledger = write(tmp_path / "led.csv", LEDGER)
    config = write(tmp_path / "k.toml", KOMMUNBIDRAG + '[investments]\n"Exploatering" = ["92"]\n')
    result = run(command, ledger, "--config", config, "--unit", "kr", "--format", "json", "-q", *args)
    return json.loads(result.stdout)


def test_drift_gains_the_previous_forecast_and_the_change_after_the_forecast_deviation(tmp_path: Path) -> None:
    data = table(tmp_path, "variance", "--previous-forecast", "prognos-april")
    keys = [c["key"] for c in data["columns"]]
    assert keys[:5] == ["budget", "forecast", "forecast_deviation", "previous_forecast", "forecast_change"]
    headers = {c["key"]: c["header"] for c in data["columns"]}
    assert headers["previous_forecast"] == "Prognos april 2024"
    assert headers["forecast_change"] == "Prognosförändring 2024"
    rows = {r["label"]: r["values"] for r in data["rows"]}
    # report sign: revenue +, costs −; forecast 1 250,50 against April's 1 300 -> 1 251 − 1 300 as printed
    assert (rows["Verksamhetens intäkter"]["previous_forecast"], rows["Verksamhetens intäkter"]["forecast_change"]) == (
        1300,
        -50,  # −49,50 kr, rounded half away from zero
    )
    assert (rows["Personalkostnader"]["previous_forecast"], rows["Personalkostnader"]["forecast_change"]) == (
        -1100,
        -140,  # −140,25
    )
    assert (rows["Årets resultat"]["previous_forecast"], rows["Årets resultat"]["forecast_change"]) == (200, -190)
    assert not any("prognos-april" in w for w in data["warnings"])


def test_investments_gain_the_columns_too(tmp_path: Path) -> None:
    data = table(tmp_path, "investments", "--previous-forecast", "prognos-april")
    rows = {r["label"]: r["values"] for r in data["rows"]}
    # expenditure +: forecast 300,40 against April's 450 -> change −149,60
    assert (rows["Exploatering"]["previous_forecast"], rows["Exploatering"]["forecast_change"]) == (450, -150)
    assert rows["Exploatering"]["forecast_deviation"] == 200  # budget − forecast = 199,60


def test_reconcile_checks_the_change_column(tmp_path: Path) -> None:
    ledger = write(tmp_path / "led.csv", LEDGER)
    config = write(tmp_path / "k.toml", KOMMUNBIDRAG)
    result = run("reconcile", ledger, "--config", config, "--previous-forecast", "prognos-april", "--format", "json")
    data = json.loads(result.stdout)
    assert not [f for f in data["findings"] if f["code"] in ("identity", "conservation", "unused-version")]


def test_an_unknown_previous_forecast_is_a_usage_error(tmp_path: Path) -> None:
    ledger = write(tmp_path / "led.csv", LEDGER)
    config = write(tmp_path / "k.toml", KOMMUNBIDRAG)
    result = run("variance", ledger, "--config", config, "--previous-forecast", "prognos-maj", ok=False)
    assert result.exit_code == 2
    assert "--previous-forecast prognos-maj: no such version in the ledger; versions found: budget, prognos, " in (
        result.stderr
    )
    result = run("variance", ledger, "--config", config, "--previous-forecast", "prognos", ok=False)
    assert result.exit_code == 2
    assert "that is the forecast shown" in result.stderr


def test_reconcile_by_checks_that_the_parts_sum_to_their_rows(tmp_path: Path, monkeypatch) -> None:
    """reconcile --by DIM: drill-parts passes on a sound table, and is an error (exit 1) naming
    the row and column where a part is off (here made so by a drill-down that loses one öre)."""
    from dataclasses import replace

    from kfollow import api
    from kfollow.report import drill_down

    ledger = write(tmp_path / "led.csv", LEDGER)
    config = write(tmp_path / "k.toml", KOMMUNBIDRAG)
    args = ("reconcile", ledger, "--config", config, "--by", "konto", "--format", "json")
    checks = {c["code"]: c for c in json.loads(run(*args, ok=False).stdout)["checks"]}
    assert (checks["drill-parts"]["status"], checks["drill-parts"]["findings"]) == ("pass", 0)

    def off_by_one(*given, **named):
        report = drill_down(*given, **named)
        rows = list(report.rows)
        at = next(i for i, row in enumerate(rows) if row.kind == "detail")
        rows[at] = replace(rows[at], values={**rows[at].values, "budget": rows[at].values["budget"] + 1})
        return replace(report, rows=tuple(rows))

    monkeypatch.setattr(api, "drill_down", off_by_one)
    result = run(*args, ok=False)
    assert result.exit_code == 1
    found = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "drill-parts"]
    assert [f["subject"] for f in found] == ["Verksamhetens intäkter / Budget 2024"]
    assert "its parts sum to 1 200,01 kr, the row is 1 200,00 kr" in found[0]["message"]


def test_the_example_gives_the_reference_reports_forecast_changes() -> None:
    """The example's prognos-april is made after the reference report's text: personalkostnader
    "ungefär 1 000 tkr högre överskott" in april, köp av tjänster "en ökning med omkring
    2 800 tkr"; investeringsutgifterna "justeras ned med ca 15 400 tkr" (expansion 10 900,
    anpassning 2 400, reinvestering 2 100)."""
    args = ("--config", EXAMPLES / "kfollow.toml", "--previous-forecast", "prognos-april", "--format", "json", "-q")
    drift = json.loads(run("variance", EXAMPLES / "ks-2024.csv", "--exclude", "verksamhet=289", *args).stdout)
    change = {row["label"]: row["values"]["forecast_change"] for row in drift["rows"]}
    assert change == {
        "Verksamhetens intäkter": 1800,
        "Personalkostnader": -1000,
        "Lokalhyror": 0,
        "Köp av tjänster": -2800,
        "Övriga kostnader": 0,
        "Verksamhetens kostnader": -3800,
        "Verksamhetens nettokostnader": -2000,
        "Kommunbidrag": 0,
        "Finansnetto": 0,
        "Årets resultat": -2000,
    }
    investments = json.loads(run("investments", EXAMPLES / "ks-2024.xlsx", *args).stdout)
    change = {row["label"]: row["values"]["forecast_change"] for row in investments["rows"] if row["level"] == 0}
    assert change == {
        "Expansionsinvestering": -10900,
        "Imageinvestering": 0,
        "Reinvestering": -2100,
        "Anpassningsinvestering": -2400,
        "Totala utgifter": -15400,
    }
    previous = {row["label"]: row["values"]["previous_forecast"] for row in investments["rows"]}
    assert previous["Totala utgifter"] == 35262 + 15400
