"""Account names (issue 12, item 5): a column kontotext (kontonamn, kontobenämning, benämning,
account name) or SIE #KONTO, read where asked for, shown by `accounts` (Namn, JSON "name") and
written by `convert` (kontotext); `variance` never reads it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, run, without_column, write
from openpyxl import Workbook, load_workbook

from kfollow import api
from kfollow.read import ReadOptions
from kfollow.read.table import HeaderPlanner

CONFIG = '[accounts]\n"91" = "Kommunbidrag"\n'

# 5011 has two names: 'Löner tillsvidare' on two rows, 'Löner' on one; 4611 has none.
LEDGER = """\
år;period;version;Konto;Kontotext;ansvar;belopp
2024;1;utfall;5011;Löner tillsvidare;A;100
2024;1;utfall;5011;Löner;A;50
2024;2;utfall;5011;Löner tillsvidare;B;70
2024;1;budget;3111;Planavgifter;A;-500
2024;1;budget;4611;;A;20
"""

NAMES = {"3111": "Planavgifter", "4611": None, "5011": "Löner tillsvidare"}

SIE = """\
#FLAGGA 0
#FORMAT PC8
#SIETYP 4
#RAR 0 20240101 20241231
#KONTO 3010 "Försäljning"
#KONTO 5011 "Löner \\"tjänstemän\\""
#KONTO 7010 "Ej använt"
#VER A 1 20240115 "Jan"
{
   #TRANS 5011 {} 1000.00
   #TRANS 3010 {} -1200.00
   #TRANS 1930 {} 200.00
}
"""

NAMED = ReadOptions(columns=frozenset({"account_name"}), collapse=True)  # what accounts asks for


@pytest.fixture
def ledger_csv(tmp_path: Path) -> Path:
    return write(tmp_path / "names.csv", LEDGER)


@pytest.fixture
def rules(tmp_path: Path) -> Any:
    return api.load_rules(write(tmp_path / "kfollow.toml", CONFIG))


def listing(path: Path, rules: Any, fmt: str = "table", options: ReadOptions = NAMED) -> str:
    return api.account_listing(api.read_ledger([path], options), rules, fmt=fmt)


def names_of(path: Path, rules: Any, options: ReadOptions = NAMED) -> dict[str, str | None]:
    return {item["account"]: item["name"] for item in json.loads(listing(path, rules, "json", options))}


def test_accounts_text_shows_names(ledger_csv: Path, rules: Any) -> None:
    """Namn after Konto; an account without a name has an empty cell; of two names the one of
    more rows."""
    lines = listing(ledger_csv, rules).splitlines()
    assert lines[0].split()[:3] == ["Konto", "Namn", "Rad"]
    rows = {line.split()[0]: line for line in lines[2:]}
    assert rows["3111"].split()[:3] == ["3111", "Planavgifter", "Verksamhetens"]
    assert rows["5011"].split()[:4] == ["5011", "Löner", "tillsvidare", "Personalkostnader"]
    assert rows["4611"].split()[:4] == ["4611", "Köp", "av", "tjänster"]  # no name: Rad follows


def test_accounts_json_gives_name(ledger_csv: Path, rules: Any) -> None:
    listed = json.loads(listing(ledger_csv, rules, "json"))
    assert [list(item)[:3] for item in listed] == [["account", "name", "row"]] * 3
    assert {item["account"]: item["name"] for item in listed} == NAMES
    assert listed[2]["rows"] == 3 and listed[2]["amounts_kr"] == {"budget": 0, "utfall": 220}


def test_collapsed_and_row_by_row_agree(ledger_csv: Path, rules: Any) -> None:
    row_by_row = ReadOptions(columns=frozenset({"account_name"}))
    assert names_of(ledger_csv, rules, row_by_row) == names_of(ledger_csv, rules) == NAMES


def test_tie_takes_the_name_found_first(tmp_path: Path, rules: Any) -> None:
    path = write(
        tmp_path / "tie.csv",
        """\
        år;period;version;konto;kontonamn;belopp
        2024;1;utfall;5011;Löner B;10
        2024;2;utfall;5011;Löner A;10
        """,
    )
    assert names_of(path, rules) == {"5011": "Löner B"}


@pytest.mark.parametrize("header", ["kontotext", "KONTONAMN", "Kontobenämning", "Benämning", " Account  Name "])
def test_every_header_name(tmp_path: Path, rules: Any, header: str) -> None:
    path = write(tmp_path / "h.csv", f"år;period;version;konto;{header};belopp\n2024;1;utfall;5011;Löner;10\n")
    assert names_of(path, rules) == {"5011": "Löner"}


def test_two_name_columns_are_an_error_where_read(tmp_path: Path) -> None:
    path = write(
        tmp_path / "two.csv", "år;period;version;konto;kontotext;kontonamn;belopp\n2024;1;utfall;5011;a;b;10\n"
    )
    result = run("convert", path, ok=False)
    assert result.exit_code == 3
    assert "'kontotext' and 'kontonamn' both mean kontotext" in result.stderr


def test_without_names_the_listing_is_as_before(ledger_csv: Path, rules: Any, tmp_path: Path) -> None:
    """Not asked for (as variance reads): no column account_name, no Namn, no "name"."""
    plain = ReadOptions(columns=frozenset(), collapse=True)
    assert "account_name" not in api.read_ledger([ledger_csv], plain).frame
    assert listing(ledger_csv, rules, options=plain).splitlines()[0].split()[:2] == ["Konto", "Rad"]
    assert "name" not in json.loads(listing(ledger_csv, rules, "json", plain))[0]
    # An example ledger without its name column asked for names: the listing as before, byte for byte
    example = without_column(EXAMPLES / "ks-2024.csv", tmp_path / "ks.csv", "kontotext")
    before = api.account_listing(api.read_ledger([example], plain), rules, 2024)
    assert api.account_listing(api.read_ledger([example], NAMED), rules, 2024) == before


def test_xlsx_with_kontotext(tmp_path: Path, rules: Any) -> None:
    """A sheet with a title row above the header; names read like the codes."""
    book = Workbook()
    sheet = book.active
    sheet.append(["Huvudbok 2024"])
    sheet.append(["År", "Period", "Version", "Konto", "Kontotext", "Belopp"])
    sheet.append([2024, 1, "utfall", 5011, "Löner tillsvidare", 1000.5])
    sheet.append([2024, 1, "budget", 3111, "Planavgifter", -2000])
    sheet.append([2024, 2, "utfall", 5011, "Löner tillsvidare", 99])
    path = tmp_path / "names.xlsx"
    book.save(path)
    assert names_of(path, rules) == {"3111": "Planavgifter", "5011": "Löner tillsvidare"}
    lines = listing(path, rules).splitlines()
    assert lines[2].split()[:2] == ["3111", "Planavgifter"]
    out = tmp_path / "converted.xlsx"
    run("convert", path, "-o", out)
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert rows[0] == ("år", "period", "version", "konto", "kontotext", "belopp")
    assert rows[1] == (2024, 1, "utfall", "5011", "Löner tillsvidare", 1000.5)


def test_sie_konto_names(tmp_path: Path, rules: Any) -> None:
    """#KONTO names the accounts read (quotes and \\" as the tokenizer reads them); an account
    without #KONTO has none; a #KONTO of an account without rows lists nothing."""
    path = tmp_path / "names.se"
    path.write_bytes(SIE.encode("cp437"))
    frame = api.read_ledger([path], NAMED).frame
    names = frame["account_name"].astype(object).where(frame["account_name"].notna(), None)
    assert dict(zip(frame["account"].astype(str), names, strict=True)) == {
        "5011": 'Löner "tjänstemän"',
        "3010": "Försäljning",
        "1930": None,
    }
    assert names_of(path, rules) == {"1930": None, "3010": "Försäljning", "5011": 'Löner "tjänstemän"'}
    text = listing(path, rules).splitlines()
    assert text[0].split()[:2] == ["Konto", "Namn"]
    assert text[2].split()[:3] == ["5011", "Löner", '"tjänstemän"']  # accounts in the file's order
    assert text[4].split()[:2] == ["1930", "(exkluderas)"]  # no #KONTO: an empty Namn


def test_sie_names_when_asked_or_every_column_is_read(tmp_path: Path, rules: Any) -> None:
    """variance asks for no names: the SIE file gives none; a read of every column (convert's)
    or one that asks for account_name gets the #KONTO names, and convert writes kontotext."""
    path = tmp_path / "names.se"
    path.write_bytes(SIE.encode("cp437"))
    assert "account_name" not in api.read_ledger([path], ReadOptions(columns=frozenset())).frame
    assert "account_name" in api.read_ledger([path], ReadOptions()).frame
    header = run("convert", path).stdout.lstrip("\ufeff").splitlines()[0]
    assert header == "år;period;version;konto;kontotext;text;belopp"


def test_convert_csv_writes_kontotext(ledger_csv: Path) -> None:
    """kontotext after konto, each row's own name as read (both of 5011's), empty where none."""
    lines = run("convert", ledger_csv).stdout.lstrip("\ufeff").splitlines()
    assert lines == [
        "år;period;version;konto;kontotext;ansvar;belopp",
        "2024;1;utfall;5011;Löner tillsvidare;A;100,00",
        "2024;1;utfall;5011;Löner;A;50,00",
        "2024;2;utfall;5011;Löner tillsvidare;B;70,00",
        "2024;1;budget;3111;Planavgifter;A;-500,00",
        "2024;1;budget;4611;;A;20,00",
    ]


def test_convert_round_trip(ledger_csv: Path, tmp_path: Path, rules: Any) -> None:
    """The converted file reads back with the same names."""
    out = tmp_path / "out.csv"
    run("convert", ledger_csv, "-o", out)
    assert names_of(out, rules) == NAMES


def test_convert_without_names_has_no_kontotext(tmp_path: Path) -> None:
    example = without_column(EXAMPLES / "ks-2024.csv", tmp_path / "ks.csv", "kontotext")
    header = run("convert", example).stdout.lstrip("\ufeff").splitlines()[0]
    assert "kontotext" not in header


def test_variance_does_not_read_names(ledger_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """variance asks for no names, prints what it printed without the column, and works on a
    file whose name columns could not be read (two of them)."""
    asked: list[frozenset[str] | None] = []
    read_ledger = api.read_ledger

    def spy(files: Any, options: ReadOptions | None = None) -> Any:
        asked.append(options.columns if options else None)
        return read_ledger(files, options)

    monkeypatch.setattr(api, "read_ledger", spy)
    config = write(tmp_path / "kfollow.toml", CONFIG)
    named = run("variance", ledger_csv, "--config", config, "--format", "json").stdout
    assert asked == [frozenset()]
    unnamed = write(tmp_path / "unnamed.csv", "\n".join(_without_column(LEDGER, 4)) + "\n")
    assert run("variance", unnamed, "--config", config, "--format", "json").stdout == named
    two = write(tmp_path / "two.csv", "\n".join(_with_column(LEDGER, 5, "Kontonamn")) + "\n")
    assert json.loads(run("variance", two, "--config", config, "--format", "json").stdout) == json.loads(named)
    plan = HeaderPlanner(None, frozenset())(["konto", "kontotext", "belopp"])  # variance's: no name column
    assert plan is not None and plan.text == {0: "account"}


def _with_column(text: str, position: int, header: str) -> list[str]:
    rows = [line.split(";") for line in text.splitlines()]
    return [";".join([*row[:position], header if i == 0 else "x", *row[position:]]) for i, row in enumerate(rows)]


def _without_column(text: str, position: int) -> list[str]:
    return [";".join(c for i, c in enumerate(line.split(";")) if i != position) for line in text.splitlines()]


def test_accounts_command_shows_names(ledger_csv: Path, tmp_path: Path) -> None:
    config = write(tmp_path / "kfollow.toml", CONFIG)
    result = run("accounts", ledger_csv, "--config", config)
    assert result.stdout.splitlines()[0].split()[:2] == ["Konto", "Namn"]
