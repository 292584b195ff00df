"""`kfollow investments` (the Investeringar table, SPEC §4), `kfollow projects`, --append /
--sheet-name for xlsx output, and the investment checks of `kfollow reconcile`.

LEDGER (lines 1–18) has personnel rows on 5011 (so that the sign is judged: ledger sign) and
investment rows on class 1 accounts with a projekt. Outcome on the Drift accounts runs to month
3, so the period is 2024 months 1–3 (the 5 000 kr of month 4 on project 9101 is outside it, as
is the 999 kr of month 5 in 2023). CONFIG names a child of Expansionsinvestering after a child
of Reinvestering, and Imageinvestering has no rows. The table in kr (expenditure +):

    row                       budget  forecast  deviation  outcome  outcome 2023  change
    Expansionsinvestering     15 000    16 000     −1 000    2 800        2 000      800
      Markinköp (91)          10 000    12 000     −2 000    1 400        2 000     −600
      Exploatering             5 000     4 000      1 000    1 400            0    1 400
        Norra (921)            5 000     4 000      1 000    1 400            0    1 400
    Reinvestering             20 000    20 000          0    1 350,40         0    1 350,40
      Fastigheter (943, 944)  20 000    20 000          0    1 600,40         0    1 600,40
      Gator (95)                   0         0          0     −250            0     −250
    Imageinvestering               0         0          0        0            0        0
    Totala utgifter           35 000    36 000     −1 000    4 150,40     2 000    2 150,40

In tkr the parents are rounded from their exact öre: Expansionsinvestering / outcome prints 3
although its children print 1 and 1; Reinvestering / outcome prints 1, its children 2 and 0.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import Result
from conftest import run, write

from kfollow.investments import build_investments, investment_plan, investment_rows
from kfollow.mapping import load_rules
from kfollow.read import ReadOptions, Source, load_ledger
from kfollow.reconcile import check_conservation, check_identities, ledger_totals
from kfollow.report import Report, ReportSpec

HEADER = "år;period;version;konto;ansvar;projekt;belopp"
LEDGER = """\
år;period;version;konto;ansvar;projekt;belopp
2023;1;utfall;5011;100;;1000,00
2023;1;utfall;1210;100;9101;2000,00
2023;5;utfall;1210;100;9101;999,00
2024;1;budget;1210;100;9101;10000,00
2024;1;budget;1210;100;92101;5000,00
2024;1;budget;1121;100;94301;20000,00
2024;1;prognos;1210;100;9101;12000,00
2024;1;prognos;1210;100;92101;4000,00
2024;1;prognos;1121;100;94401;20000,00
2024;1;utfall;5011;100;;1000,00
2024;3;utfall;5011;100;;1000,00
2024;1;utfall;1210;100;9101;1400,00
2024;2;utfall;1210;100;92101;1400,00
2024;2;utfall;1121;100;94301;1300,00
2024;3;utfall;1121;100;94401;300,40
2024;3;utfall;1190;100;9501;-250,00
2024;4;utfall;1210;100;9101;5000,00
"""
NEXT_LINE = 19  # the first line after LEDGER

CONFIG = """\
[accounts]
"91" = "Kommunbidrag"

[investments]
"Expansionsinvestering/Markinköp" = ["91"]
"Reinvestering/Fastigheter" = ["943", "944"]
"Expansionsinvestering/Exploatering/Norra" = ["921"]
"Imageinvestering" = []
"Reinvestering/Gator" = ["95"]

[investments.options]
accounts = ["1"]
"""

KEYS = ("budget", "forecast", "forecast_deviation", "outcome", "outcome_previous", "outcome_change")
# (label, level, kind) in table order: parents first, children in config order under them.
LAYOUT = [
    ("Expansionsinvestering", 0, "subtotal"),
    ("Markinköp", 1, "row"),
    ("Exploatering", 1, "subtotal"),
    ("Norra", 2, "row"),
    ("Reinvestering", 0, "subtotal"),
    ("Fastigheter", 1, "row"),
    ("Gator", 1, "row"),
    ("Imageinvestering", 0, "row"),
    ("Totala utgifter", 0, "total"),
]
IN_KR = {
    "Expansionsinvestering": (15000, 16000, -1000, 2800, 2000, 800),
    "Markinköp": (10000, 12000, -2000, 1400, 2000, -600),
    "Exploatering": (5000, 4000, 1000, 1400, 0, 1400),
    "Norra": (5000, 4000, 1000, 1400, 0, 1400),
    "Reinvestering": (20000, 20000, 0, 1350, 0, 1350),
    "Fastigheter": (20000, 20000, 0, 1600, 0, 1600),
    "Gator": (0, 0, 0, -250, 0, -250),
    "Imageinvestering": (0, 0, 0, 0, 0, 0),
    "Totala utgifter": (35000, 36000, -1000, 4150, 2000, 2150),
}
IN_TKR = {
    "Expansionsinvestering": (15, 16, -1, 3, 2, 1),
    "Markinköp": (10, 12, -2, 1, 2, -1),
    "Exploatering": (5, 4, 1, 1, 0, 1),
    "Norra": (5, 4, 1, 1, 0, 1),
    "Reinvestering": (20, 20, 0, 1, 0, 1),
    "Fastigheter": (20, 20, 0, 2, 0, 2),
    "Gator": (0, 0, 0, 0, 0, 0),
    "Imageinvestering": (0, 0, 0, 0, 0, 0),
    "Totala utgifter": (35, 36, -1, 4, 2, 2),
}


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    """(ledger, config) of the module docstring."""
    return write(tmp_path / "ledger.csv", LEDGER), write(tmp_path / "kfollow.toml", CONFIG)


def ledger_with(tmp_path: Path, *extra: str, name: str = "ledger.csv") -> Path:
    """LEDGER and the extra lines (from line NEXT_LINE on)."""
    return write(tmp_path / name, LEDGER + "".join(line + "\n" for line in extra))


def cli(*args: object) -> Result:
    """Run the CLI, never raising: the caller checks the exit code; never a traceback."""
    result = run(*args, ok=False)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


def table(ledger: Path, config: Path, *args: object) -> dict:
    result = run("investments", ledger, "--config", config, "--format", "json", *args)
    return json.loads(result.stdout)


def values(data: dict) -> dict[str, tuple[int, ...]]:
    return {row["label"]: tuple(row["values"][key] for key in KEYS) for row in data["rows"]}


def row(data: dict, label: str) -> dict[str, int]:
    return next(r["values"] for r in data["rows"] if r["label"] == label)


# --- the table ---------------------------------------------------------------------------------


def test_table_in_kr_every_row_label_level_kind_and_value(files) -> None:
    data = table(*files, "--unit", "kr")
    assert data["table"] == "investeringar"
    assert (data["unit"], data["year"], data["through"]) == ("kr", 2024, 3)
    assert [c["key"] for c in data["columns"]] == list(KEYS)
    assert [c["header"] for c in data["columns"]] == [
        "Budget 2024",
        "Prognos helår 2024",
        "Avv. prognos/budget 2024",
        "Delårsbokslut 2024",
        "Delårsbokslut 2023",
        "Diff. utfall 2023/2024",
    ]
    assert [(r["label"], r["level"], r["kind"]) for r in data["rows"]] == LAYOUT
    assert values(data) == IN_KR
    # The ledger's month-4 investment outcome lies after the Drift table's month 3: said, not shown.
    assert data["warnings"] == [
        "investment outcome after month 3 (up to month 4) is not in the table: the period is the Drift "
        "table's; --through 4 shows it"
    ]


def test_table_in_tkr_parents_are_rounded_once_from_exact_ore(files) -> None:
    """Expansionsinvestering / outcome: 2 800 kr -> 3 tkr, its children print 1 + 1;
    Reinvestering / outcome: 1 350,40 kr -> 1 tkr, its children print 2 + 0."""
    data = table(*files)
    assert data["unit"] == "tkr"
    assert [(r["label"], r["level"], r["kind"]) for r in data["rows"]] == LAYOUT
    assert values(data) == IN_TKR
    printed = values(data)
    outcome = KEYS.index("outcome")
    assert printed["Expansionsinvestering"][outcome] != printed["Markinköp"][outcome] + printed["Exploatering"][outcome]
    assert printed["Reinvestering"][outcome] != printed["Fastigheter"][outcome] + printed["Gator"][outcome]


def test_table_csv_has_the_same_rows(files) -> None:
    result = run("investments", *files[:1], "--config", files[1], "--format", "csv", "--unit", "kr")
    lines = result.stdout.splitlines()
    assert lines[0] == "label,kind,level," + ",".join(KEYS)
    assert lines[1] == "Expansionsinvestering,subtotal,0,15000,16000,-1000,2800,2000,800"
    assert lines[4] == "Norra,row,2,5000,4000,1000,1400,0,1400"
    assert lines[-1] == "Totala utgifter,total,0,35000,36000,-1000,4150,2000,2150"


def test_order_follows_the_config_with_parents_first(tmp_path) -> None:
    """ "A/x", "B/y", "A/z" -> A, x, z, B, y; a top category named after children keeps its place."""
    config = write(
        tmp_path / "k.toml",
        """
        [investments]
        "A/x" = ["1"]
        "B/y" = ["2"]
        "A/z" = ["3"]
        "C" = ["4"]
        "B/w/deep" = ["5"]
        """,
    )
    ledger = write(
        tmp_path / "l.csv",
        """
        år;period;version;konto;projekt;belopp
        2024;1;utfall;5011;;100,00
        2024;1;utfall;1210;1;1,00
        2024;1;utfall;1210;2;2,00
        2024;1;utfall;1210;3;3,00
        2024;1;utfall;1210;4;4,00
        2024;1;utfall;1210;5;5,00
        """,
    )
    data = table(ledger, config, "--unit", "kr")
    assert [(r["label"], r["level"], r["kind"], r["values"]["outcome"]) for r in data["rows"]] == [
        ("A", 0, "subtotal", 4),
        ("x", 1, "row", 1),
        ("z", 1, "row", 3),
        ("B", 0, "subtotal", 7),
        ("y", 1, "row", 2),
        ("w", 1, "subtotal", 5),
        ("deep", 2, "row", 5),
        ("C", 0, "row", 4),
        ("Totala utgifter", 0, "total", 15),
    ]


def test_sign_is_the_ledger_sign_with_sign_ledger_and_no_personnel_row(tmp_path, files) -> None:
    """A debit of 1 000,00 on 1210 is +1 000 kr; a credit is −; --sign ledger needs no 5011 row."""
    ledger = write(
        tmp_path / "only.csv",
        f"""
        {HEADER}
        2024;1;utfall;1210;100;9101;1000,00
        2024;2;utfall;1210;100;9101;-300,00
        """,
    )
    data = table(ledger, files[1], "--unit", "kr", "--sign", "ledger")
    assert row(data, "Markinköp")["outcome"] == 700
    assert row(data, "Totala utgifter")["outcome"] == 700


def test_configured_category_with_no_rows_shows_zeros_and_missing_versions_are_empty(tmp_path, files) -> None:
    """A category without rows is 0; a version the ledger lacks for the year is empty (null),
    never 0, and a warning names its columns (SPEC §5, issue 12)."""
    ledger = write(
        tmp_path / "only.csv",
        f"""
        {HEADER}
        2024;1;utfall;5011;100;;100,00
        2024;1;utfall;1210;100;9101;1000,00
        """,
    )
    result = run("investments", ledger, "--config", files[1], "--format", "json", "--unit", "kr")
    data = json.loads(result.stdout)
    zero = (None, None, None, 0, None, None)
    outcome = (None, None, None, 1000, None, None)
    assert values(data) == {
        label: outcome if label in ("Expansionsinvestering", "Markinköp", "Totala utgifter") else zero
        for label, _, _ in LAYOUT
    }
    assert (
        "no budget rows for 2024: the columns Budget 2024, Avv. prognos/budget 2024 are empty, not 0"
    ) in result.stderr
    assert "no prognos rows for 2024: the columns Prognos helår 2024," in result.stderr
    assert "no outcome (utfall) rows for 2023: the columns Delårsbokslut 2023," in result.stderr


# --- the period ---------------------------------------------------------------------------------


def test_default_period_is_the_drift_tables_latest_outcome_month(files) -> None:
    """Month 4 has outcome only on an investment account: the period stays 1–3."""
    data = table(*files, "--unit", "kr")
    assert (data["year"], data["through"]) == (2024, 3)
    assert row(data, "Markinköp")["outcome"] == 1400


def test_default_period_without_drift_accounts_is_the_latest_investment_outcome(tmp_path, files) -> None:
    ledger = write(
        tmp_path / "only.csv",
        f"""
        {HEADER}
        2023;2;utfall;1210;100;9101;10,00
        2024;1;utfall;1210;100;9101;1000,00
        2024;4;utfall;1210;100;9101;500,00
        """,
    )
    data = table(ledger, files[1], "--unit", "kr", "--sign", "ledger")
    assert (data["year"], data["through"]) == (2024, 4)
    assert row(data, "Markinköp")["outcome"] == 1500
    assert row(data, "Markinköp")["outcome_previous"] == 10


@pytest.mark.parametrize(
    ("through", "outcome", "previous"),
    [("1", 1400, 2000), ("3", 1400, 2000), ("4", 6400, 2000), ("5", 6400, 2999), ("12", 6400, 2999)],
)
def test_through_sets_the_months_of_both_outcome_columns(files, through, outcome, previous) -> None:
    data = table(*files, "--unit", "kr", "--through", through)
    assert data["through"] == int(through)
    assert row(data, "Markinköp")["outcome"] == outcome
    assert row(data, "Markinköp")["outcome_previous"] == previous
    assert row(data, "Markinköp")["outcome_change"] == outcome - previous
    # budget and forecast are whole-year columns: --through does not touch them
    assert (row(data, "Markinköp")["budget"], row(data, "Markinköp")["forecast"]) == (10000, 12000)


def test_year_selects_the_fiscal_year(files) -> None:
    result = run(
        "investments",
        files[0],
        "--config",
        files[1],
        "--format",
        "json",
        "--unit",
        "kr",
        "--year",
        "2023",
        "--through",
        "5",
    )
    data = json.loads(result.stdout)
    assert (data["year"], data["through"]) == (2023, 5)
    assert [c["header"] for c in data["columns"]][:1] == ["Budget 2023"]
    # 2023 has no budget or forecast, 2022 no outcome: those columns are empty, never 0 (SPEC §5)
    assert row(data, "Markinköp") == {
        "budget": None,
        "forecast": None,
        "forecast_deviation": None,
        "outcome": 2999,
        "outcome_previous": None,
        "outcome_change": None,
    }
    assert "no budget rows for 2023: the columns Budget 2023, Avv. prognos/budget 2023 are empty" in result.stderr


def test_year_without_rows_is_a_usage_error(files) -> None:
    result = cli("investments", *files[:1], "--config", files[1], "--year", "2019")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: --year 2019")


def test_year_without_through_takes_the_drift_tables_month(files) -> None:
    """README: "the default year and month are the Drift table's", also with --year and no
    --through: the Drift table's latest outcome month in 2023 is 1, so the Investeringar table
    covers months 1–1 too, though its own rows reach month 5."""
    drift = json.loads(run("variance", files[0], "--config", files[1], "--format", "json", "--year", "2023").stdout)
    invest = table(*files, "--year", "2023")
    assert drift["through"] == 1
    assert invest["through"] == drift["through"]


def test_explicit_year_equal_to_the_default_is_accepted(tmp_path, files) -> None:
    """Investment rows only in 2023, Drift outcome in 2024: `kfollow investments` builds 2024
    (zeros, with warnings), and `--year 2024`, the same year, does too: the ledger has 2024
    rows, though none on investment accounts."""
    ledger = write(
        tmp_path / "y.csv",
        f"""
        {HEADER}
        2023;1;utfall;1210;100;9101;2000,00
        2024;1;utfall;5011;100;;1000,00
        2024;2;utfall;5011;100;;1000,00
        """,
    )
    default = table(ledger, files[1], "--sign", "ledger")
    assert default["year"] == 2024
    explicit = cli("investments", ledger, "--config", files[1], "--sign", "ledger", "--year", "2024")
    reconciled = cli("reconcile", ledger, "--config", files[1], "--sign", "ledger", "--year", "2024")
    assert (explicit.exit_code, reconciled.exit_code) == (0, 0), (explicit.stderr, reconciled.stderr)


# --- text, markdown, xlsx ------------------------------------------------------------------------


def test_text_output_indents_children_and_rules_off_top_level_groups(files) -> None:
    result = run("investments", files[0], "--config", files[1], "--unit", "kr")
    caption, blank, *lines = result.stdout.splitlines()
    assert (caption, blank) == ("Investeringar januari–mars 2024", "") and lines[0].startswith("Belopp i kr")
    rules = [i for i, line in enumerate(lines) if set(line) <= {"-", " "} and "-" in line]
    width = len(lines[rules[0]].split()[0])  # the label column
    body = [line for line in lines[rules[0] + 1 :] if not set(line) <= {"-", " "}]
    labels = [line[:width].rstrip() for line in body]
    assert labels == [("  " * level) + label for label, level, _ in LAYOUT]
    # the amounts, in Swedish digit grouping, columns apart by two spaces or more
    cells = {label.strip(): re.split(r"\s{2,}", line[width:].strip()) for label, line in zip(labels, body, strict=True)}
    assert cells["Markinköp"] == ["10 000", "12 000", "-2 000", "1 400", "2 000", "-600"]
    assert cells["Norra"] == ["5 000", "4 000", "1 000", "1 400", "0", "1 400"]
    assert cells["Totala utgifter"] == ["35 000", "36 000", "-1 000", "4 150", "2 000", "2 150"]
    # a rule under the header, and one before each top-level group after the first and the total
    assert len(rules) == 4
    assert [lines[i + 1][:width].rstrip() for i in rules[1:]] == [
        "Reinvestering",
        "Imageinvestering",
        "Totala utgifter",
    ]


def test_markdown_indents_with_no_break_spaces_and_bolds_parents(files) -> None:
    result = run("investments", files[0], "--config", files[1], "--format", "markdown")
    cells = [line.split("|")[1].strip(" ") for line in result.stdout.splitlines()[2:]]
    assert cells == [
        "**Expansionsinvestering**",
        "\u00a0\u00a0Markinköp",
        "\u00a0\u00a0**Exploatering**",
        "\u00a0\u00a0\u00a0\u00a0Norra",
        "**Reinvestering**",
        "\u00a0\u00a0Fastigheter",
        "\u00a0\u00a0Gator",
        "Imageinvestering",
        "**Totala utgifter**",
    ]
    assert "| Belopp i tkr" in result.stdout.splitlines()[0]


def sheet_rows(path: Path, name: str) -> list[tuple]:
    from openpyxl import load_workbook

    return [tuple(r) for r in load_workbook(path)[name].iter_rows(values_only=True)]


def test_xlsx_sheet_investeringar_with_indented_labels_and_numbers(tmp_path, files) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "inv.xlsx"
    run("investments", files[0], "--config", files[1], "-o", out)
    workbook = load_workbook(out)
    assert workbook.sheetnames == ["Investeringar"]
    rows = sheet_rows(out, "Investeringar")
    assert rows[0] == (
        "Belopp i tkr",
        "Budget 2024",
        "Prognos helår 2024",
        "Avv. prognos/budget 2024",
        "Delårsbokslut 2024",
        "Delårsbokslut 2023",
        "Diff. utfall 2023/2024",
    )
    assert rows[1:] == [(label, *IN_TKR[label]) for label, _, _ in LAYOUT]
    assert all(isinstance(v, int) for r in rows[1:] for v in r[1:])
    sheet = workbook["Investeringar"]
    # Children are indented by Excel's cell indent (two steps a level); the labels stay plain.
    assert [sheet.cell(i, 1).alignment.indent for i in range(2, 11)] == [0, 2, 2, 4, 0, 2, 2, 0, 0]
    assert sheet["B3"].number_format == "#,##0"
    assert [sheet.cell(i, 1).font.b for i in range(2, 11)] == [
        True,
        False,
        True,
        False,
        True,
        False,
        False,
        False,
        True,
    ]


# --- --append / --sheet-name ----------------------------------------------------------------------


def test_append_puts_drift_and_investeringar_in_one_workbook(tmp_path, files) -> None:
    from openpyxl import load_workbook

    ledger = ledger_with(tmp_path, "2024;2;utfall;5011;200;;700,00")
    config = files[1]
    out = tmp_path / "r.xlsx"
    run("variance", ledger, "--config", config, "-o", out)
    run("investments", ledger, "--config", config, "-o", out, "--append")
    assert load_workbook(out).sheetnames == ["Drift", "Investeringar"]
    drift = {r[0]: r[1:] for r in sheet_rows(out, "Drift")}
    # Personalkostnader 2024 months 1–3: 1 000 + 700 + 1 000 kr; 2023 month 1: 1 000 kr
    assert drift["Personalkostnader"][3:5] == (-3, -1)
    invest = {r[0]: r[1:] for r in sheet_rows(out, "Investeringar")}
    assert invest["Totala utgifter"] == IN_TKR["Totala utgifter"]
    assert invest["Markinköp"] == IN_TKR["Markinköp"]

    # again, in kr: the sheet is replaced in its place, not added
    run("investments", ledger, "--config", config, "-o", out, "--append", "--unit", "kr")
    assert load_workbook(out).sheetnames == ["Drift", "Investeringar"]
    invest = {r[0]: r[1:] for r in sheet_rows(out, "Investeringar")}
    assert invest["Belopp i kr"][0] == "Budget 2024"
    assert invest["Totala utgifter"] == IN_KR["Totala utgifter"]
    assert len(invest) == 10  # header + 9 rows: the old rows are gone

    # a third table under a name of its own
    run(
        "variance",
        ledger,
        "--config",
        config,
        "--where",
        "ansvar=2",
        "-o",
        out,
        "--append",
        "--sheet-name",
        "Exploatering",
    )
    assert load_workbook(out).sheetnames == ["Drift", "Investeringar", "Exploatering"]
    exploatering = {r[0]: r[1:] for r in sheet_rows(out, "Exploatering")}
    assert exploatering["Personalkostnader"][3] == -1  # 700 kr on ansvar 200 only
    # the Drift sheet is as it was
    assert {r[0]: r[1:] for r in sheet_rows(out, "Drift")} == drift

    # replacing the middle sheet keeps the order
    run("investments", ledger, "--config", config, "-o", out, "--append")
    assert load_workbook(out).sheetnames == ["Drift", "Investeringar", "Exploatering"]


def test_append_to_a_missing_file_makes_it(tmp_path, files) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "new.xlsx"
    run("investments", *files[:1], "--config", files[1], "-o", out, "--append", "--sheet-name", "Inv 2024")
    assert load_workbook(out).sheetnames == ["Inv 2024"]


@pytest.mark.parametrize(
    "args",
    [
        ("--append",),
        ("--append", "--format", "json"),
        ("--sheet-name", "X", "-o", "x.json"),
        ("--append", "-o", "x.csv"),
    ],
)
def test_append_or_sheet_name_without_xlsx_is_a_usage_error(tmp_path, files, monkeypatch, args) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli("investments", *files[:1], "--config", files[1], *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: --append and --sheet-name are for xlsx workbooks")
    assert result.stdout == ""
    assert not (tmp_path / "x.json").exists() and not (tmp_path / "x.csv").exists()


def test_append_into_a_file_that_is_no_workbook_leaves_it_untouched(tmp_path, files) -> None:
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"not a workbook;1;2\n")
    result = cli("investments", *files[:1], "--config", files[1], "-o", fake, "--append")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].startswith(
        f"Error: -o {fake} --append: fake.xlsx is not an xlsx workbook kfollow can add to"
    )
    assert fake.read_bytes() == b"not a workbook;1;2\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".fake")] == []


@pytest.mark.parametrize("name", ["a/b", "x" * 32, "Q?"])
def test_bad_sheet_name_is_a_usage_error(tmp_path, files, name) -> None:
    result = cli("investments", *files[:1], "--config", files[1], "-o", tmp_path / "r.xlsx", "--sheet-name", name)
    assert result.exit_code == 2
    assert "--sheet-name" in result.stderr
    assert not (tmp_path / "r.xlsx").exists()


# --- projects that match no category, or two --------------------------------------------------


UNMAPPED = (
    "2024;2;utfall;1210;100;7777;100,50",  # line 19
    "2024;3;utfall;1210;100;7777;200,00",  # line 20
    "2024;3;utfall;1210;100;;50,00",  # line 21: no project
)


def test_unmapped_project_stops_with_project_rows_amount_and_first_line(tmp_path, files) -> None:
    ledger = ledger_with(tmp_path, *UNMAPPED)
    result = cli("investments", ledger, "--config", files[1])
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "Error: 1 project(s) on investment accounts (1*) match no category:",
        "Error:   projekt 7777: 2 rows (utfall 300,50 kr), first at ledger.csv:19",
        "Error: add their prefixes to [investments] in kfollow.toml, or give --allow-unmapped to show them as "
        "'Ej kategoriserat'",
    ]


def test_allow_unmapped_adds_ej_kategoriserat_counted_in_the_total(tmp_path, files) -> None:
    ledger = ledger_with(tmp_path, *UNMAPPED)
    result = run("investments", ledger, "--config", files[1], "--allow-unmapped", "--format", "json", "--unit", "kr")
    data = json.loads(result.stdout)
    assert [(r["label"], r["level"], r["kind"]) for r in data["rows"]] == [
        *LAYOUT[:-1],
        ("Ej kategoriserat", 0, "row"),
        ("Totala utgifter", 0, "total"),
    ]
    # 7777's 300,50 kr -> 301; the 50,00 kr without a project are in no row
    assert values(data)["Ej kategoriserat"] == (0, 0, 0, 301, 0, 301)
    assert values(data)["Totala utgifter"] == (35000, 36000, -1000, 4451, 2000, 2451)  # 4 450,90 kr
    assert "Warning: projects that match no category are shown as 'Ej kategoriserat' (--allow-unmapped)" in (
        result.stderr
    )
    assert "Ej kategoriserat" in data["warnings"][0]


def test_rows_without_a_project_are_in_no_row_and_no_error(tmp_path, files) -> None:
    """SPEC §4 (issue 11): a row on an investment account with no project (a depreciation, a
    bank or closing entry) is no investment expenditure: the table is the one without them,
    `investments` exits 0, and reconcile reports their count and sum as info."""
    extra = ("2024;1;utfall;1121;100;;12,34", "2024;3;budget;1190;100;;-1000,66", "2023;1;utfall;1121;100;;0,66")
    ledger = ledger_with(tmp_path, *extra, name="closing.csv")
    assert values(table(ledger, files[1], "--unit", "kr")) == IN_KR
    code, data = reconcile_json(ledger, files[1])
    assert code == 0
    assert status(data)["investment-no-project"] == "info"
    (finding,) = [f for f in data["findings"] if f["code"] == "investment-no-project"]
    assert finding["severity"] == "info"
    assert finding["figures"] == {"rows": 3, "amounts_kr": {"budget": -1000.66, "utfall": 13.0}}
    assert finding["sources"] == ["closing.csv:19"]
    assert finding["message"] == (
        "3 rows on investment accounts (1*) have no project (budget -1 000,66 kr, utfall 13,00 kr), first at "
        "closing.csv:19: depreciation, bank or closing entries, not investment expenditure; in no row of the "
        "Investeringar table"
    )
    _, clean = reconcile_json(files[0], files[1])
    assert status(clean)["investment-no-project"] == "pass"


def test_project_in_two_categories_stops_even_with_allow_unmapped(tmp_path, files) -> None:
    config = write(
        tmp_path / "amb.toml",
        """
        [investments]
        "A" = ["9"]
        "B" = ["91"]
        """,
    )
    for extra in ((), ("--allow-unmapped",)):
        result = cli("investments", files[0], "--config", config, *extra)
        assert result.exit_code == 3
        assert result.stdout == ""
        assert result.stderr.splitlines() == [
            "Error: 1 project(s) match more than one [investments] category in amb.toml:",
            (
                "Error:   projekt 9101: 6 rows (budget 10 000,00 kr, prognos 12 000,00 kr, utfall 9 399,00 kr), "
                "first at ledger.csv:3; matches A, B"
            ),
            "Error: make the categories' prefixes distinct",
        ]


def test_ambiguous_and_unmapped_are_reported_together(tmp_path) -> None:
    config = write(tmp_path / "amb.toml", '[investments]\n"A" = ["9"]\n"B" = ["91"]\n')
    ledger = ledger_with(tmp_path, *UNMAPPED)
    result = cli("investments", ledger, "--config", config)
    assert result.exit_code == 3
    errors = result.stderr.splitlines()
    assert errors[0] == "Error: 1 project(s) match more than one [investments] category in amb.toml:"
    assert "Error: 1 project(s) on investment accounts (10*, 11*, 12*) match no category:" in errors
    assert "Error:   projekt 7777: 2 rows (utfall 300,50 kr), first at ledger.csv:19" in errors


def test_projects_off_the_investment_accounts_do_not_count(tmp_path, files) -> None:
    """A project on 5011 (a Drift account) is in no category and stops nothing; with
    accounts = ["12"], the rows on 1121/1190 are off the table."""
    ledger = ledger_with(tmp_path, "2024;1;utfall;5011;100;7777;10,00")
    assert values(table(ledger, files[1], "--unit", "kr")) == IN_KR
    config = write(tmp_path / "k12.toml", CONFIG.replace('accounts = ["1"]', 'accounts = ["12"]'))
    data = table(files[0], config, "--unit", "kr")
    assert values(data)["Fastigheter"] == (0, 0, 0, 0, 0, 0)
    assert values(data)["Gator"] == (0, 0, 0, 0, 0, 0)
    assert values(data)["Markinköp"] == IN_KR["Markinköp"]


def test_where_filters_the_investment_rows(files) -> None:
    data = table(*files, "--unit", "kr", "--where", "projekt=943")
    assert values(data)["Fastigheter"] == (20000, 0, 20000, 1300, 0, 1300)
    assert values(data)["Markinköp"] == (0, 0, 0, 0, 0, 0)
    assert data["through"] == 3  # judged on the whole ledger


# --- config errors ---------------------------------------------------------------------------------


def test_no_investments_section_is_exit_2_with_an_example(tmp_path, files) -> None:
    config = write(tmp_path / "k.toml", '[accounts]\n"91" = "Kommunbidrag"\n')
    result = cli("investments", files[0], "--config", config)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error: {config}: no [investments] categories. Add them, e.g.\n")
    assert '"Reinvestering/Fastigheter" = ["943", "944"]' in result.stderr


def test_no_config_at_all_says_so(tmp_path, files, monkeypatch) -> None:
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path / "empty")  # no kfollow.toml here
    result = cli("investments", files[0], "--sign", "ledger")
    assert result.exit_code == 2
    assert "no kfollow.toml was found (give --config FILE): no [investments] categories" in result.stderr


def test_only_options_is_no_investments(tmp_path, files) -> None:
    config = write(tmp_path / "k.toml", '[investments.options]\naccounts = ["1"]\n')
    result = cli("investments", files[0], "--config", config)
    assert result.exit_code == 2
    assert "no [investments] categories" in result.stderr


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            '"A" = ["9"]\n"A/x" = ["91"]',
            "[investments] 'A' has sub-categories and projects of its own; its value is the sum of its "
            "sub-categories, so give its projects one, e.g. 'A/Övrigt'",
        ),
        ('"B" = "943"', """[investments] 'B' = '943': give a list of project-code prefixes, e.g. ["943"]"""),
        ('"E" = [1]', """[investments] 'E' = [1]: give a list of project-code prefixes, e.g. ["943"]"""),
        ('"E" = [""]', """[investments] 'E' = ['']: give a list of project-code prefixes"""),
        ('"C//d" = []', "[investments] 'C//d': a category path has an empty part"),
        (
            '"Reinvestering/Totala utgifter" = ["9"]',
            "[investments] 'Reinvestering/Totala utgifter': \"Totala utgifter\" and \"Ej kategoriserat\" are "
            "kfollow's own rows",
        ),
    ],
)
def test_config_error_is_exit_2(tmp_path, files, toml, message) -> None:
    config = write(tmp_path / "k.toml", f"[investments]\n{toml}\n")
    result = cli("investments", files[0], "--config", config)
    assert result.exit_code == 2
    assert f"Error: k.toml:2: {message}" in result.stderr
    assert result.stdout == ""


def test_every_config_problem_is_reported_at_once(tmp_path, files) -> None:
    config = write(
        tmp_path / "bad.toml",
        """
        [investments]
        "A" = ["9"]
        "A/x" = ["91"]
        "B" = "943"
        "C//d" = []
        [investments.options]
        accounts = "1"
        """,
    )
    result = cli("investments", files[0], "--config", config)
    assert result.exit_code == 2
    errors = result.stderr.splitlines()
    assert len(errors) == 4
    assert all(line.startswith("Error: bad.toml:") for line in errors)
    assert any("bad.toml:7: [investments.options] accounts = '1': give a list of" in line for line in errors)
    assert any("bad.toml:4: [investments] 'B' = " in line for line in errors)
    assert any("bad.toml:5: [investments] 'C//d'" in line for line in errors)
    assert any("bad.toml:2: [investments] 'A' has sub-categories" in line for line in errors)


def test_two_keys_naming_one_category_path_are_an_error(tmp_path, files) -> None:
    """ "A/x" and "A / x" are two TOML keys but one category path (parts are stripped): a
    config error naming the second key, not a silent replacement."""
    config = write(tmp_path / "dup.toml", '[investments]\n"A/x" = ["91"]\n"A / x" = ["92"]\n')
    result = cli("investments", files[0], "--config", config)
    assert result.exit_code == 2
    assert "Error: dup.toml:3: [investments] 'A / x' and 'A/x' at dup.toml:2 are" in result.stderr, result.stderr


# --- kfollow projects ---------------------------------------------------------------------------


def test_projects_lists_category_rows_and_kr_per_version(tmp_path) -> None:
    """Övrigt takes 7777 and, with Markinköp, 9101 (FLERA); the row without a project is no
    project and not listed. Amounts: all years, ledger sign, kr rounded once (300,50 -> 301)."""
    other = '"Imageinvestering" = []\n"Övrigt" = ["7", "9101"]'
    config = write(tmp_path / "k.toml", CONFIG.replace('"Imageinvestering" = []', other))
    ledger = ledger_with(tmp_path, *UNMAPPED)
    result = run("projects", ledger, "--config", config)
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["Projekt", "Kategori", "Rader", "budget", "(kr)", "prognos", "(kr)", "utfall", "(kr)"]
    assert [line.split() for line in lines[2:]] == [
        ["7777", "Övrigt", "2", "0", "0", "301"],
        ["9101", "FLERA:", "Expansionsinvestering/Markinköp,", "Övrigt", "6", "10", "000", "12", "000", "9", "399"],
        ["92101", "Expansionsinvestering/Exploatering/Norra", "3", "5", "000", "4", "000", "1", "400"],
        ["94301", "Reinvestering/Fastigheter", "2", "20", "000", "0", "1", "300"],
        ["94401", "Reinvestering/Fastigheter", "2", "0", "20", "000", "300"],
        ["9501", "Reinvestering/Gator", "1", "0", "0", "-250"],
    ]


def test_projects_json_structure(files) -> None:
    data = json.loads(run("projects", files[0], "--config", files[1], "--format", "json").stdout)
    assert data[0] == {
        "project": "9101",
        "category": "Expansionsinvestering/Markinköp",
        "rows": 6,
        "amounts_kr": {"budget": 10000, "prognos": 12000, "utfall": 9399},
    }
    assert [(p["project"], p["category"], p["rows"]) for p in data] == [
        ("9101", "Expansionsinvestering/Markinköp", 6),
        ("92101", "Expansionsinvestering/Exploatering/Norra", 3),
        ("94301", "Reinvestering/Fastigheter", 2),
        ("94401", "Reinvestering/Fastigheter", 2),
        ("9501", "Reinvestering/Gator", 1),
    ]
    assert data[3]["amounts_kr"] == {"budget": 0, "prognos": 20000, "utfall": 300}  # 300,40 kr


def test_projects_without_investments_are_all_ej_kategoriserat(tmp_path, files) -> None:
    config = write(tmp_path / "k.toml", '[accounts]\n"91" = "Kommunbidrag"\n')
    data = json.loads(run("projects", files[0], "--config", config, "--format", "json").stdout)
    assert {p["category"] for p in data} == {"EJ KATEGORISERAT"}
    assert [p["project"] for p in data] == ["9101", "92101", "94301", "94401", "9501"]
    assert sum(p["rows"] for p in data) == 14


def test_projects_year_filter(files) -> None:
    data = json.loads(run("projects", files[0], "--config", files[1], "--format", "json", "--year", "2023").stdout)
    assert data == [
        {"project": "9101", "category": "Expansionsinvestering/Markinköp", "rows": 2, "amounts_kr": {"utfall": 2999}}
    ]
    result = cli("projects", files[0], "--config", files[1], "--year", "2019")
    assert result.exit_code == 2
    assert "--year 2019: the (filtered) ledger has no rows for 2019" in result.stderr


def test_projects_csv(files) -> None:
    result = run("projects", files[0], "--config", files[1], "--format", "csv")
    lines = result.stdout.splitlines()
    assert lines[0] == "Projekt,Kategori,Rader,budget (kr),prognos (kr),utfall (kr)"
    assert lines[1] == "9101,Expansionsinvestering/Markinköp,6,10000,12000,9399"


# --- reconcile ------------------------------------------------------------------------------------


def reconcile_json(ledger: Path, config: Path, *args: object) -> tuple[int, dict]:
    result = cli("reconcile", ledger, "--config", config, "--format", "json", *args)
    return result.exit_code, json.loads(result.stdout)


def status(data: dict) -> dict[str, str]:
    return {c["code"]: c["status"] for c in data["checks"]}


def test_reconcile_with_investments_runs_the_project_checks(files) -> None:
    code, data = reconcile_json(*files)
    assert code == 0
    checks = status(data)
    assert checks["unmapped-project"] == "pass"
    assert checks["ambiguous-project"] == "pass"
    assert checks["conservation"] == "pass"
    assert checks["identity"] == "pass"
    # the Investeringar table's rounding differences (tkr) are info, named by table
    rounding = [f for f in data["findings"] if f["code"] == "rounding-difference"]
    assert {f["subject"] for f in rounding} >= {
        "Investeringar: Expansionsinvestering / Delårsbokslut 2024",
        "Investeringar: Reinvestering / Delårsbokslut 2024",
    }
    expansion = next(f for f in rounding if f["subject"] == "Investeringar: Expansionsinvestering / Delårsbokslut 2024")
    assert expansion["figures"] == {
        "row": "Expansionsinvestering",
        "column": "outcome",
        "printed": 3,
        "from_printed_parts": 2,
        "unit": "tkr",
        **({"difference": 1} if "difference" in expansion["figures"] else {}),
    }


def test_reconcile_without_investments_skips_the_project_checks(tmp_path, files) -> None:
    config = write(tmp_path / "k.toml", '[accounts]\n"91" = "Kommunbidrag"\n')
    _, data = reconcile_json(files[0], config)
    assert status(data)["unmapped-project"] == "skipped"
    assert status(data)["ambiguous-project"] == "skipped"


def test_reconcile_unmapped_projects_are_errors_while_investments_exits_3(tmp_path, files) -> None:
    ledger = ledger_with(tmp_path, *UNMAPPED)
    code, data = reconcile_json(ledger, files[1])
    assert code == 1
    assert data["summary"]["exit_code"] == 1
    assert status(data)["unmapped-project"] == "fail"
    assert status(data)["conservation"] == "pass"
    found = [f for f in data["findings"] if f["code"] == "unmapped-project"]
    assert [(f["subject"], f["figures"], f["sources"]) for f in found] == [
        (
            "projekt 7777",
            {"project": "7777", "rows": 2, "amounts_kr": {"utfall": 300.5}, "categories": []},
            ["ledger.csv:19"],
        ),
    ]
    assert found[0]["message"] == (
        "projekt 7777 is on an investment account but in no [investments] category: "
        "2 rows (utfall 300,50 kr), first at ledger.csv:19"
    )
    assert cli("investments", ledger, "--config", files[1]).exit_code == 3


def test_reconcile_ambiguous_project_is_an_error(tmp_path, files) -> None:
    config = write(tmp_path / "amb.toml", '[investments]\n"A" = ["9"]\n"B" = ["91"]\n')
    code, data = reconcile_json(files[0], config)
    assert code == 1
    assert status(data)["ambiguous-project"] == "fail"
    assert status(data)["unmapped-project"] == "pass"
    (finding,) = [f for f in data["findings"] if f["code"] == "ambiguous-project"]
    assert finding["figures"] == {
        "project": "9101",
        "rows": 6,
        "amounts_kr": {"budget": 10000.0, "prognos": 12000.0, "utfall": 9399.0},
        "categories": ["A", "B"],
    }
    assert finding["sources"] == ["ledger.csv:3"]
    assert finding["subject"] == "projekt 9101"
    assert cli("investments", files[0], "--config", config, "--allow-unmapped").exit_code == 3


def test_reconcile_text_and_summary_count_the_project_checks(tmp_path, files) -> None:
    ledger = ledger_with(tmp_path, *UNMAPPED)
    result = cli("reconcile", ledger, "--config", files[1])
    assert result.exit_code == 1
    assert "  unmapped-project: projekt 7777 is on an investment account" in result.stdout
    assert "  investment-no-project: 1 row on investment accounts (1*) has no project" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("reconcile 2024 months 1–3: 15 checks, 1 error")


def test_reconcile_bad_investments_config_is_exit_2(tmp_path, files) -> None:
    config = write(tmp_path / "k.toml", '[investments]\n"B" = "943"\n')
    result = cli("reconcile", files[0], "--config", config)
    assert result.exit_code == 2
    assert "Error: k.toml:2: [investments] 'B' = " in result.stderr


# --- library level: the table's own checks find a tampered cell --------------------------------


def build(ledger: Path, config: Path) -> tuple:
    frame = load_ledger([Source(ledger)], ReadOptions(sign="ledger")).frame
    plan = investment_plan(load_rules(config))
    rows, _ = investment_rows(frame, plan)
    return frame, rows, build_investments(frame, rows, plan, ReportSpec(unit="kr", default_period=(2024, 3)))


def identity_cells(findings) -> dict[tuple[str, str], tuple[float, float]]:
    return {
        (f.figures["row"], f.figures["column"]): (f.figures["value_kr"], f.figures["expected_kr"]) for f in findings
    }


def tamper(report: Report, key: str, column: str, delta: int) -> Report:
    rows = tuple(
        replace(r, values={**r.values, column: r.values[column] + delta}) if r.key == key else r for r in report.rows
    )
    return replace(report, rows=rows)


def test_library_untampered_table_conserves_and_follows_its_identities(files) -> None:
    frame, rows, report = build(*files)
    assert [r.key for r in report.rows] == [
        "Expansionsinvestering",
        "Expansionsinvestering/Markinköp",
        "Expansionsinvestering/Exploatering",
        "Expansionsinvestering/Exploatering/Norra",
        "Reinvestering",
        "Reinvestering/Fastigheter",
        "Reinvestering/Gator",
        "Imageinvestering",
        "Totala utgifter",
    ]
    assert report.sign == 1
    assert next(r for r in report.rows if r.label == "Fastigheter").values["outcome"] == 160_040  # exact öre
    assert check_conservation(report, ledger_totals(frame, rows)) == []
    assert check_identities(report) == []


def test_library_tampered_leaf_is_found_by_identities_and_conservation(files) -> None:
    """Norra / outcome +1,00 kr: Exploatering, Expansionsinvestering and Totala utgifter no
    longer sum their parts, Norra's outcome_change no longer follows; the outcome column no
    longer sums to the ledger."""
    frame, rows, report = build(*files)
    broken = tamper(report, "Expansionsinvestering/Exploatering/Norra", "outcome", 100)
    findings = check_identities(broken)
    assert {f.code for f in findings} == {"identity"}
    assert identity_cells(findings) == {
        ("Exploatering", "outcome"): (1400.0, 1401.0),
        ("Norra", "outcome_change"): (1400.0, 1401.0),
    }
    (conservation,) = check_conservation(broken, ledger_totals(frame, rows))
    assert conservation.figures == {"column": "outcome", "table_kr": 4151.4, "ledger_kr": 4150.4, "difference_kr": 1.0}
    assert conservation.subject == "Investeringar: Delårsbokslut 2024"


def test_library_tampered_top_level_leaf_is_found_in_the_total(files) -> None:
    """Imageinvestering (a leaf under the total) / outcome_previous +0,01 kr: the total and the
    row's own change; conservation finds the previous-year column."""
    frame, rows, report = build(*files)
    broken = tamper(report, "Imageinvestering", "outcome_previous", 1)
    assert identity_cells(check_identities(broken)) == {
        ("Totala utgifter", "outcome_previous"): (2000.0, 2000.01),
        ("Imageinvestering", "outcome_change"): (0.0, -0.01),
    }
    (conservation,) = check_conservation(broken, ledger_totals(frame, rows))
    assert conservation.figures["column"] == "outcome_previous"
    assert conservation.figures["difference_kr"] == 0.01


def test_library_tampered_parent_is_found_with_the_total(files) -> None:
    """Expansionsinvestering / budget −5,00 kr: the parent no longer sums its children, its
    deviation no longer follows, the total no longer sums the top categories."""
    frame, rows, report = build(*files)
    broken = tamper(report, "Expansionsinvestering", "budget", -500)
    findings = check_identities(broken)
    cells = identity_cells(findings)
    assert cells == {
        ("Expansionsinvestering", "budget"): (14995.0, 15000.0),
        ("Expansionsinvestering", "forecast_deviation"): (-1000.0, -1005.0),
        ("Totala utgifter", "budget"): (35000.0, 34995.0),
    }
    total = next(f for f in findings if f.figures["row"] == "Totala utgifter")
    assert total.figures["formula"] == "Expansionsinvestering + Reinvestering + Imageinvestering"
    assert total.subject.startswith("Investeringar: Totala utgifter / Budget 2024")
    # conservation sums the leaf rows only: a tampered parent leaves it whole
    assert check_conservation(broken, ledger_totals(frame, rows)) == []


def test_a_ledger_without_a_projekt_column_says_so(tmp_path, files) -> None:
    """Rows on investment accounts need a project: without the column, one clear error, not a
    project called '(inget projekt)'."""
    ledger = write(
        tmp_path / "noproj.csv",
        "år;period;version;konto;belopp\n2024;1;utfall;5011;100,00\n2024;1;utfall;1210;500,00\n",
    )
    result = cli("investments", ledger, "--config", files[1])
    assert result.exit_code == 3
    assert result.stderr.splitlines() == [
        "Error: noproj.csv: no projekt column, but 1 row on investment accounts (1*): the Investeringar "
        "table needs each row's project"
    ]
