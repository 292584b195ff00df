"""The Drift table on small inline ledgers: columns, periods, rounding, exact sums."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import run

from kfollow.errors import LoadError
from kfollow.money import exact_group_sums

LEDGER = """
år;period;version;konto;belopp
2023;3;utfall;5011;1000,00
2023;9;utfall;5011;7000,00
2024;1;budget;5011;1200,00
2024;7;budget;5011;1200,00
2024;12;budget;5011;1200,00
2024;12;prognos;5011;3000,00
2024;1;utfall;5011;1100,00
2024;4;utfall;5011;1300,00
2024;1;utfall;3011;-1499,99
2024;1;utfall;9111;-500,50
"""


def table(ledger, config, *args: str) -> tuple[dict, dict[str, dict[str, int]]]:
    result = run("variance", ledger, "--config", config, "--sign", "ledger", "--format", "json", *args)
    report = json.loads(result.stdout)
    return report, {row["label"]: row["values"] for row in report["rows"]}


def test_defaults_are_the_latest_outcome_year_and_month(ledger_from_text, config) -> None:
    """Y = 2024 (latest outcome), T = 4: outcome Jan–Apr, previous year Jan–Apr only."""
    report, cells = table(ledger_from_text(LEDGER), config, "--unit", "kr", "--period-budget")
    assert (report["year"], report["through"]) == (2024, 4)
    personnel = cells["Personalkostnader"]
    assert personnel == {
        "budget": -3600,
        "forecast": -3000,
        "forecast_deviation": 600,
        "outcome": -2400,
        "outcome_previous": -1000,
        "outcome_change": -1400,
        "period_budget": -1200,
        "period_deviation": -1200,
    }
    assert cells["Verksamhetens intäkter"]["outcome"] == 1500  # 1 499,99 rounds half away
    assert cells["Kommunbidrag"]["outcome"] == 501  # 500,50 -> 501
    # Årets resultat from exact öre: 1 499,99 − 2 400 + 500,50 = −399,51 -> −400
    assert cells["Årets resultat"]["outcome"] == -400


def test_through_and_year_options(ledger_from_text, config) -> None:
    """--through 9 takes budget months 1..9 and the previous year's September outcome too."""
    report, cells = table(ledger_from_text(LEDGER), config, "--unit", "kr", "--through", "9", "--period-budget")
    assert report["through"] == 9
    assert cells["Personalkostnader"]["outcome_previous"] == -8000
    assert cells["Personalkostnader"]["period_budget"] == -2400
    report, cells = table(ledger_from_text(LEDGER), config, "--unit", "kr", "--year", "2023", "--through", "12")
    assert report["columns"][0]["header"] == "Budget 2023"
    assert cells["Personalkostnader"]["outcome"] == -8000


def test_units_round_each_cell_once(ledger_from_text, config) -> None:
    """In tkr, 1 499,99 kr is 1 tkr and 2 400 kr is 2 tkr, yet the result is −0,4 tkr -> 0."""
    _, cells = table(ledger_from_text(LEDGER), config)
    assert cells["Verksamhetens intäkter"]["outcome"] == 1
    assert cells["Personalkostnader"]["outcome"] == -2
    assert cells["Årets resultat"]["outcome"] == 0


def test_forecast_version_option(ledger_from_text, config) -> None:
    text = LEDGER + "2024;12;prognos-april;5011;4000,00\n"
    _, cells = table(ledger_from_text(text), config, "--unit", "kr", "--forecast-version", "prognos-april")
    assert cells["Personalkostnader"]["forecast"] == -4000
    # another forecast beside prognos is no mistake (a ledger carries every forecast of the
    # year); where the ledger has no prognos, prognos-april may be the one meant
    result = run("variance", ledger_from_text(text), "--config", config, "--sign", "ledger")
    assert "prognos-april" not in result.stderr
    without = "".join(line + "\n" for line in text.splitlines() if ";prognos;" not in line)
    result = run("variance", ledger_from_text(without), "--config", config, "--sign", "ledger")
    assert "version 'prognos-april' is in no column" in result.stderr


@pytest.mark.parametrize("scale", [1, 10**6, 10**12, 10**14, 2**62])
def test_exact_group_sums_at_every_scale(scale: int) -> None:
    """The float64 fast path (1, 10**6), the split path (10**12, 10**14) and the int64
    fallback (one amount of 2**62: rows × its high part passes 2**53) all give exact sums."""
    rng = np.random.default_rng(7)
    amount = rng.integers(-99, 100, 5000).astype("int64")
    if scale == 2**62:
        amount[17] = scale
    else:
        amount += rng.integers(-9, 10, 5000).astype("int64") * scale
    key = rng.integers(0, 7, 5000)
    counts, sums = exact_group_sums(key, amount, 7)
    for group in range(7):
        assert sums[group] == sum(int(a) for a, k in zip(amount, key, strict=True) if k == group)
        assert counts[group] == int((key == group).sum())


def test_huge_amounts_that_cancel_sum_exactly_and_a_total_beyond_int64_is_refused() -> None:
    """Σ|amount| past 2**63 with cancelling signs is still exact; a true total past it is an error."""
    amount = np.array([2**62, 2**62, 2**62, 5, -(2**62), -(2**62), -(2**62)], dtype="int64")
    assert list(exact_group_sums(np.zeros(7, dtype="int64"), amount, 1)[1]) == [5]
    with pytest.raises(LoadError, match="beyond"):
        exact_group_sums(np.zeros(8, dtype="int64"), np.full(8, 2**61, dtype="int64"), 1)


def test_filtered_tables_share_the_period_of_the_whole_ledger(ledger_from_text, config) -> None:
    """Drift and Exploatering of one ledger cover the same months, even where exploatering's
    own outcome stops earlier: the default period is judged before --where/--exclude."""
    text = "år;period;version;konto;verksamhet;belopp\n"
    text += "".join(f"2024;{m};utfall;5011;10100;100\n" for m in range(1, 9))
    text += "".join(f"2024;{m};utfall;5011;28910;10\n" for m in range(1, 7))
    text += "".join(f"2023;{m};utfall;5011;28910;1\n" for m in range(1, 13))
    path = ledger_from_text(text)
    report, cells = table(path, config, "--unit", "kr", "--where", "verksamhet=289")
    assert report["through"] == 8
    assert cells["Personalkostnader"]["outcome_previous"] == -8  # 2023 months 1–8, not 1–6
    report, _ = table(path, config, "--exclude", "verksamhet=289")
    assert report["through"] == 8


def test_a_past_year_takes_its_period_from_the_whole_ledger_too(ledger_from_text, config) -> None:
    """--year 2023 with a filter: the months are those of 2023 in the whole ledger (12), as
    reconcile and investments take them, not those of the filtered rows (6)."""
    text = "år;period;version;konto;verksamhet;belopp\n"
    text += "".join(f"2023;{m};utfall;5011;10100;100\n" for m in range(1, 13))
    text += "".join(f"2023;{m};utfall;5011;28910;10\n" for m in range(1, 7))
    text += "".join(f"2024;{m};utfall;5011;10100;1\n" for m in range(1, 9))
    path = ledger_from_text(text)
    report, cells = table(path, config, "--unit", "kr", "--year", "2023", "--where", "verksamhet=289")
    assert report["through"] == 12
    assert cells["Personalkostnader"]["outcome"] == -60
