"""An ordinary ledger reconciles (issue 11): the example ledger with what every real huvudbok
also holds, on accounts without a project: bank counter-entries (19300), a receivable and its
payment (1510), depreciation (7810 against accumulated depreciation 1229, an investment
account) and the closing of 2023 (8999 against 2010).

A nightly `kfollow reconcile` on such a ledger is green, also with --strict; the Investeringar
table is the one without those rows; reconcile counts the investment-account rows without a
project as info.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import EXAMPLES, run

CONFIG = EXAMPLES / "kfollow.toml"
FILTER = ("--exclude", "verksamhet=289")


def ordinary_rows() -> list[str]:
    """år;period;version;konto;kontotext;ansvar;verksamhet;aktivitet;projekt;text;belopp lines
    (the account's name in kontotext, as the example writes it)."""
    rows = []
    for year in (2023, 2024):
        for month in range(1, 9 if year == 2024 else 13):
            rows += [
                f"{year};{month};utfall;19300;Bank;;;;;Bank, motbokning;-1 234 567,89",
                f"{year};{month};utfall;1510;Kundfordringar;;;;;Kundfordran;45 000,00",
                f"{year};{month};utfall;19300;Bank;;;;;Inbetalning kundfordran;-45 000,00",
                f"{year};{month};utfall;7810;Avskrivningar inventarier;2100;10100;;;Avskrivning inventarier;12 500,00",
                f"{year};{month};utfall;1229;Ack. avskrivningar;;;;;Ack. avskrivning inventarier;-12 500,00",
            ]
    rows += [
        "2023;12;utfall;8999;Årets resultat;;;;;Årets resultat;5 166 811,02",
        "2023;12;utfall;2010;Eget kapital;;;;;Eget kapital;-5 166 811,02",
    ]
    return rows


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/ks-2024.csv (cp1252, as exported) with the ordinary rows after its last line."""
    path = tmp_path_factory.mktemp("ordinary") / "huvudbok.csv"
    text = (EXAMPLES / "ks-2024.csv").read_bytes().decode("cp1252")
    path.write_bytes((text + "\n".join(ordinary_rows()) + "\n").encode("cp1252"))
    return path


def reconcile(*args: object) -> tuple[int, dict]:
    result = run("reconcile", *args, "--config", CONFIG, "--format", "json", ok=False)
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize("strict", [(), ("--strict",)])
@pytest.mark.parametrize("path", ["example", "ordinary"])
def test_reconcile_is_green(ledger: Path, path: str, strict: tuple[str, ...]) -> None:
    """Exit 0, with --strict too: no errors, no warnings; what is left is information."""
    code, data = reconcile(ledger if path == "ordinary" else EXAMPLES / "ks-2024.csv", *FILTER, *strict)
    assert code == 0, [f["message"] for f in data["findings"] if f["severity"] != "info"]
    assert {f["severity"] for f in data["findings"]} == {"info"}
    assert data["summary"]["errors"] == data["summary"]["warnings"] == 0


def test_the_rows_without_project_are_counted_as_info(ledger: Path) -> None:
    """1229's depreciation has no project: 20 rows (12 months of 2023, 8 of 2024), −250 000 kr.
    The bank, the receivable and the closing rows are on no investment account (10–12)."""
    _, data = reconcile(ledger, *FILTER)
    (finding,) = [f for f in data["findings"] if f["code"] == "investment-no-project"]
    assert finding["figures"] == {"rows": 20, "amounts_kr": {"utfall": -250000.0}}
    assert finding["severity"] == "info"
    _, plain = reconcile(EXAMPLES / "ks-2024.csv", *FILTER)
    assert not [f for f in plain["findings"] if f["code"] == "investment-no-project"]


def test_the_investeringar_table_is_unchanged(ledger: Path) -> None:
    plain = run("investments", EXAMPLES / "ks-2024.csv", "--config", CONFIG)
    ordinary = run("investments", ledger, "--config", CONFIG)
    assert ordinary.stdout == plain.stdout
    assert ordinary.exit_code == 0


def test_the_drift_table_takes_the_depreciation(ledger: Path) -> None:
    """7810 is Övriga kostnader: 8 × 12 500 kr = 100 tkr more cost in 2024 months 1–8, and
    12 × 12 500 = 150 tkr in 2023's whole year, 8 × 12 500 in its months 1–8."""
    def other_costs(path: Path) -> dict:
        data = json.loads(run("variance", path, "--config", CONFIG, *FILTER, "--format", "json", "--unit", "kr").stdout)
        return next(r["values"] for r in data["rows"] if r["label"] == "Övriga kostnader")

    plain, ordinary = other_costs(EXAMPLES / "ks-2024.csv"), other_costs(ledger)
    assert ordinary["outcome"] - plain["outcome"] == -100000
    assert ordinary["outcome_previous"] - plain["outcome_previous"] == -100000
    assert ordinary["budget"] == plain["budget"]
