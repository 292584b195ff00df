"""Sums say what they sum (issue 12, item 9): no listing adds up years.

LEDGER has two years. Without --year, `kfollow accounts` shows a column per year and version
that has rows; with --year, one per version of that year. In kr, ledger sign (5011 has two
outcome rows in 2023 whose exact sum 600,60 rounds to 601, where their rounded kronor make 600):

    konto  rows  budget 2023  utfall 2023  budget 2024  prognos 2024  utfall 2024
    1210      3            0       2 000       10 000             0     1 400,49   (excluded: "1")
    3011      1            0            0            0             0      −300
    5011      6        1 000       600,60        1 200         1 100       500,50
    9111      2            0            0       −1 200             0      −100,25
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run

LEDGER = """\
år;period;version;konto;ansvar;projekt;belopp
2023;1;budget;5011;100;;1000,00
2023;3;utfall;5011;100;;400,40
2023;6;utfall;5011;100;;200,20
2023;2;utfall;1210;100;9101;2000,00
2024;1;budget;5011;100;;1200,00
2024;1;prognos;5011;100;;1100,00
2024;2;utfall;5011;100;;500,50
2024;1;budget;9111;100;;-1200,00
2024;2;utfall;9111;100;;-100,25
2024;2;utfall;3011;100;;-300,00
2024;1;budget;1210;100;9101;10000,00
2024;2;utfall;1210;100;9101;1400,49
"""


@pytest.fixture
def two_years(ledger_from_text) -> Path:
    return ledger_from_text(LEDGER)


def accounts(path: Path, config: Path, *args: str) -> str:
    return run("accounts", path, "--config", config, "--sign", "ledger", *args).stdout


# --- kfollow accounts ---------------------------------------------------------------------------


def test_accounts_without_year_has_a_column_per_year_and_version(two_years, config) -> None:
    lines = accounts(two_years, config).splitlines()
    assert lines[0].split("  ")[-5:] == [
        "budget 2023 (kr)",
        "utfall 2023 (kr)",
        "budget 2024 (kr)",
        "prognos 2024 (kr)",
        "utfall 2024 (kr)",
    ]
    assert [line.split() for line in lines[2:]] == [
        ["1210", "(exkluderas)", "1", "(Kommun-Bas)", "3", "0", "2", "000", "10", "000", "0", "1", "400"],
        ["3011", "Verksamhetens", "intäkter", "3", "(Kommun-Bas)", "1", "0", "0", "0", "0", "-300"],
        ["5011", "Personalkostnader", "5", "(Kommun-Bas)", "6", "1", "000", "601", "1", "200", "1", "100", "501"],
        ["9111", "Kommunbidrag", "91", "(kfollow.toml)", "2", "0", "0", "-1", "200", "0", "-100"],
    ]


def test_accounts_without_year_csv_headers(two_years, config) -> None:
    lines = accounts(two_years, config, "--format", "csv").splitlines()
    assert lines[0] == (
        "Konto,Rad,Regel,Rader,budget 2023 (kr),utfall 2023 (kr),budget 2024 (kr),prognos 2024 (kr),utfall 2024 (kr)"
    )
    assert lines[3] == "5011,Personalkostnader,5 (Kommun-Bas),6,1000,601,1200,1100,501"


def test_accounts_json_without_year_keys_amounts_by_year_then_version(two_years, config) -> None:
    listing = {a["account"]: a for a in json.loads(accounts(two_years, config, "--format", "json"))}
    assert listing["5011"] == {
        "account": "5011",
        "row": "Personalkostnader",
        "rule": "5 (Kommun-Bas)",
        "rows": 6,
        "amounts_kr": {
            "2023": {"budget": 1000, "utfall": 601},
            "2024": {"budget": 1200, "prognos": 1100, "utfall": 501},
        },
    }
    # Every account has every column, 0 where it has no rows.
    assert listing["9111"]["amounts_kr"] == {
        "2023": {"budget": 0, "utfall": 0},
        "2024": {"budget": -1200, "prognos": 0, "utfall": -100},
    }
    assert listing["1210"]["rows"] == 3


@pytest.mark.parametrize(
    ("year", "header", "row_5011", "json_5011"),
    [
        ("2023", ["budget", "(kr)", "utfall", "(kr)"], ["3", "1", "000", "601"], {"budget": 1000, "utfall": 601}),
        (
            "2024",
            ["budget", "(kr)", "prognos", "(kr)", "utfall", "(kr)"],
            ["3", "1", "200", "1", "100", "501"],
            {"budget": 1200, "prognos": 1100, "utfall": 501},
        ),
    ],
)
def test_accounts_with_year_keep_one_column_per_version(
    two_years, config, year: str, header: list[str], row_5011: list[str], json_5011: dict[str, int]
) -> None:
    lines = accounts(two_years, config, "--year", year).splitlines()
    assert lines[0].split()[4:] == header
    (line,) = [line.split() for line in lines[2:] if line.startswith("5011")]
    assert line[4:] == row_5011
    listing = {a["account"]: a for a in json.loads(accounts(two_years, config, "--year", year, "--format", "json"))}
    assert listing["5011"]["amounts_kr"] == json_5011


def test_accounts_of_a_one_year_ledger_are_as_with_year(ledger_from_text, config) -> None:
    """Rows of one year (here after --where): the columns are that year's versions, as with
    --year, and amounts_kr is keyed by version."""
    path = ledger_from_text(LEDGER.replace("2024;2;utfall;3011;100;", "2024;2;utfall;3011;200;"))
    assert accounts(path, config, "--where", "ansvar=200") == accounts(
        path, config, "--where", "ansvar=200", "--year", "2024"
    )
    (item,) = json.loads(accounts(path, config, "--where", "ansvar=200", "--format", "json"))
    assert item["amounts_kr"] == {"utfall": -300}
