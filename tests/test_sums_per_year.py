"""Sums say what they sum (issue 12, item 9): no listing adds up years.

LEDGER has two years. Without --year, `kfollow accounts` shows a column per year and version
that has rows; with --year, one per version of that year. In kr, ledger sign (5011 has two
outcome rows in 2023 whose exact sum 600,60 rounds to 601, where their rounded kronor make 600):

    konto  rows  budget 2023  utfall 2023  budget 2024  prognos 2024  utfall 2024
    1210      3            0       2 000       10 000             0     1 400,49   (excluded: "1")
    3011      1            0            0            0             0      −300
    5011      6        1 000       600,60        1 200         1 100       500,50
    9111      2            0            0       −1 200             0      −100,25

UNMAPPED adds accounts no rule maps, from line 14 on. The Drift table's year is 2024 (its
latest outcome); an unmapped account's error gives its rows and amount per version of the
table's year, and how many rows it has in other years:

    konto  2023            2024
    0999   utfall 70       budget 250, prognos 300, utfall 150,49 (two rows)   lines 14, 16–19
    0812   utfall 12       -                                                   line 15
    0777   -               utfall −5,25                                        line 20
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import reconcile_report, run

import kfollow
from kfollow.errors import MappingError

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
UNMAPPED = """\
2023;2;utfall;0999;100;;70,00
2023;4;utfall;0812;100;;12,00
2024;1;budget;0999;100;;250,00
2024;1;prognos;0999;100;;300,00
2024;2;utfall;0999;100;;100,49
2024;2;utfall;0999;100;;50,00
2024;2;utfall;0777;100;;-5,25
"""
MAP_THEM = (
    'Error: map them in kfollow.toml [accounts] (e.g. "91" = "Kommunbidrag", or "-" to exclude), or give '
    "--allow-unmapped to show them as 'Ej mappat'"
)


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


# --- unmapped accounts: the table's year, per version ---------------------------------------------


def variance_errors(path: Path, config: Path, *args: str) -> list[str]:
    result = run("variance", path, "--config", config, "--sign", "ledger", *args, ok=False)
    assert (result.exit_code, result.stdout) == (3, "")
    return result.stderr.splitlines()


def test_unmapped_error_gives_the_amounts_of_the_tables_year_per_version(ledger_from_text, config) -> None:
    """Default year 2024: 0999's budget, forecast and outcome of 2024 (100,49 + 50,00 rounds
    once to 150), not 770 kr over both years and all versions; 0812 has 2023 rows only."""
    path = ledger_from_text(LEDGER + UNMAPPED)
    assert variance_errors(path, config) == [
        f"Error: 3 account(s) map to no row of the Drift table (rules: built-in Kommun-Bas + {config}); "
        "their rows and amounts for 2024:",
        "Error:   konto 0777: 1 row, -5 kr (ledger sign), all utfall",
        "Error:   konto 0812: no rows; 1 row in other years",
        "Error:   konto 0999: 4 rows, budget 250 kr, prognos 300 kr, utfall 150 kr (ledger sign); 1 row in other years",
        MAP_THEM,
    ]


def test_unmapped_error_with_year_gives_that_years_amounts(ledger_from_text, config) -> None:
    path = ledger_from_text(LEDGER + UNMAPPED)
    assert variance_errors(path, config, "--year", "2023")[:4] == [
        f"Error: 3 account(s) map to no row of the Drift table (rules: built-in Kommun-Bas + {config}); "
        "their rows and amounts for 2023:",
        "Error:   konto 0777: no rows; 1 row in other years",
        "Error:   konto 0812: 1 row, 12 kr (ledger sign), all utfall",
        "Error:   konto 0999: 1 row, 70 kr (ledger sign), all utfall; 4 rows in other years",
    ]


def test_unmapped_error_on_a_ledger_of_one_year_names_no_year(ledger_from_text, config) -> None:
    """Every row of 2024: nothing to tell apart, so no 'for 2024'."""
    rows = [line for line in (LEDGER + UNMAPPED).splitlines() if not line.startswith("2023")]
    assert variance_errors(ledger_from_text("\n".join(rows) + "\n"), config) == [
        f"Error: 2 account(s) map to no row of the Drift table (rules: built-in Kommun-Bas + {config}):",
        "Error:   konto 0777: 1 row, -5 kr (ledger sign), all utfall",
        "Error:   konto 0999: 4 rows, budget 250 kr, prognos 300 kr, utfall 150 kr (ledger sign)",
        MAP_THEM,
    ]


def unmapped_findings(data: dict) -> dict[str, tuple[str, dict, list[str]]]:
    return {
        f["figures"]["account"]: (f["message"].partition(". Map it")[0], f["figures"], f["sources"])
        for f in data["findings"]
        if f["code"] == "unmapped-account"
    }


def test_reconcile_unmapped_findings_are_of_the_tables_year(ledger_from_text, config) -> None:
    """Exact öre per version of 2024 in the message; the figures: the year's rows and their
    öre over all versions (250 + 300 + 150,49)."""
    path = ledger_from_text(LEDGER + UNMAPPED)
    data = reconcile_report(path, "--config", config, "--sign", "ledger")
    assert data["summary"]["errors"] == 3
    assert unmapped_findings(data) == {
        "0777": (
            "konto 0777 maps to no row of the table: for 2024, 1 ledger row, -5,25 kr (ledger sign), all utfall, "
            "first at ledger.csv:20",
            {"account": "0777", "rows": 1, "amount_kr": -5.25},
            ["ledger.csv:20"],
        ),
        "0812": (
            "konto 0812 maps to no row of the table: for 2024, no ledger rows; 1 ledger row in other years, "
            "first at ledger.csv:15",
            {"account": "0812", "rows": 0, "amount_kr": 0.0},
            ["ledger.csv:15"],
        ),
        "0999": (
            "konto 0999 maps to no row of the table: for 2024, 4 ledger rows, budget 250,00 kr, prognos 300,00 kr, "
            "utfall 150,49 kr (ledger sign); 1 ledger row in other years, first at ledger.csv:14",
            {"account": "0999", "rows": 4, "amount_kr": 700.49},
            ["ledger.csv:14"],
        ),
    }


def test_reconcile_with_year_gives_that_years_amounts(ledger_from_text, config) -> None:
    path = ledger_from_text(LEDGER + UNMAPPED)
    found = unmapped_findings(reconcile_report(path, "--config", config, "--sign", "ledger", "--year", "2023"))
    assert found["0999"][:2] == (
        "konto 0999 maps to no row of the table: for 2023, 1 ledger row, 70,00 kr (ledger sign), all utfall; "
        "4 ledger rows in other years, first at ledger.csv:14",
        {"account": "0999", "rows": 1, "amount_kr": 70.0},
    )
    assert found["0777"][1] == {"account": "0777", "rows": 0, "amount_kr": 0.0}


def test_library_takes_the_year_from_the_tables_spec(ledger_from_text, config) -> None:
    """kfollow.drift_table: the year of the spec, else of the default period (the latest
    outcome); mapping.check_unmapped without a year says it sums all years."""
    from kfollow.mapping import assign_rows, check_unmapped

    rules = kfollow.load_rules(config)
    ledger = kfollow.map_accounts(kfollow.read_ledger([ledger_from_text(LEDGER + UNMAPPED)]), rules)
    for spec, year in ((None, "2024"), (kfollow.ReportSpec(year=2023), "2023")):
        with pytest.raises(MappingError) as error:
            kfollow.drift_table(ledger, rules, spec)
        assert error.value.problems[0].endswith(f"their rows and amounts for {year}:")
    with pytest.raises(MappingError) as error:
        check_unmapped(ledger.frame, assign_rows(ledger.frame, rules)[0], rules)
    assert error.value.problems[0].endswith("their rows and amounts for all years together:")
    assert error.value.problems[3] == "  konto 0999: 5 rows, budget 250 kr, prognos 300 kr, utfall 220 kr (ledger sign)"
