"""Error paths through the CLI (SPEC §7): exit code, `Error:` lines naming file, line, column,
value and the option that fixes it; no traceback; nothing on stdout; no half-written -o file.

Each ledger below is the small, valid GOOD ledger (header on line 1, rows on lines 2–10) with
the one broken thing appended, so that the line numbers in the assertions are easy to check.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result
from conftest import run
from openpyxl import Workbook

HEADER = "år;period;version;konto;ansvar;verksamhet;belopp"
GOOD = """\
2023;1;utfall;3111;100;10100;-900,00
2023;1;utfall;5011;100;10100;400,00
2024;1;budget;3111;100;10100;-1200,00
2024;1;budget;5011;100;10100;500,00
2024;1;prognos;3111;100;10100;-1100,00
2024;1;prognos;5011;100;10100;450,00
2024;1;utfall;3111;100;10100;-1000,00
2024;1;utfall;5011;100;10100;400,00
2024;2;utfall;9110;100;10100;-300,00
"""
NEXT_LINE = 11  # the first line after GOOD


def ledger(*extra: str, header: str = HEADER) -> str:
    """HEADER, GOOD, then the extra lines (from line NEXT_LINE on)."""
    return "\n".join([header, GOOD.rstrip("\n"), *extra]) + "\n"


def variance(*args: object) -> Result:
    return run("variance", *args, ok=False)


def error_lines(result: Result, code: int) -> str:
    """Check the failure contract; return stderr for the case's own assertions."""
    assert result.exit_code == code, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    assert "internal error" not in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.stdout == "", "a table was printed from data that failed"
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert any(line.startswith("Error:") for line in lines), result.stderr
    assert all(line.startswith(("Error:", "Warning:")) for line in lines), result.stderr
    return result.stderr


def usage_error(result: Result) -> str:
    """Usage errors (click's own too): exit 2 and only `Error:` lines, like every other error."""
    return error_lines(result, 2)


def xlsx(path: Path, rows: list[list[object]], sheets: tuple[str, ...] = ("Huvudbok",)) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = sheets[0]
    for row in rows:
        sheet.append(row)
    for name in sheets[1:]:
        book.create_sheet(name)
    book.save(path)
    return path


def good_rows() -> list[list[object]]:
    """GOOD as sheet rows (numbers as numbers, codes as text)."""
    rows = []
    for line in GOOD.splitlines():
        year, month, version, account, ansvar, verksamhet, amount = line.split(";")
        rows.append([int(year), int(month), version, account, ansvar, verksamhet, float(amount.replace(",", "."))])
    return rows


def test_good_ledger_is_good(ledger_from_text, config) -> None:
    """The base of every case below loads and prints a table (so each failure is the case's own)."""
    result = run(
        "variance",
        ledger_from_text(ledger()),
        "--config",
        config,
        "--sign",
        "ledger",
        "--unit",
        "kr",
        "--format",
        "json",
    )
    rows = {row["label"]: row["values"] for row in json.loads(result.stdout)["rows"]}
    assert rows["Årets resultat"]["outcome"] == 900


# --- missing columns ---------------------------------------------------------------------------


def test_missing_amount_column_csv(ledger_from_text, config) -> None:
    """No belopp: the message names the header's line, what it has, and the names expected."""
    path = ledger_from_text(ledger(header="år;period;version;konto;ansvar;verksamhet;summa"))
    err = error_lines(variance(path, "--config", config, "--sign", "ledger"), 3)
    assert "ledger.csv:1:" in err
    assert "summa" in err and "konto" in err  # the columns found
    assert "belopp / amount / kr" in err  # the names expected


def test_missing_period_column_csv(ledger_from_text, config) -> None:
    path = ledger_from_text("år;version;konto;belopp\n2024;utfall;3111;10\n")
    err = error_lines(variance(path, "--config", config, "--sign", "ledger"), 3)
    assert "ledger.csv:1: missing column period" in err
    assert "period / månad / manad / month" in err
    assert "The header has: år, version, konto, belopp" in err


def test_missing_version_column_names_the_options(ledger_from_text, config) -> None:
    path = ledger_from_text("år;period;konto;belopp\n2024;1;3111;10\n")
    err = error_lines(variance(path, "--config", config, "--sign", "ledger"), 3)
    assert "ledger.csv:1: missing column version" in err
    assert "--budget" in err and "--outcome" in err


def test_missing_period_column_xlsx(tmp_path: Path, config) -> None:
    """Below a title row: the header's row number in the sheet."""
    path = xlsx(
        tmp_path / "ks.xlsx", [["Huvudbok 2024"], ["år", "version", "konto", "belopp"], [2024, "utfall", "3111", 10]]
    )
    err = error_lines(variance(path, "--config", config, "--sign", "ledger"), 3)
    assert "ks.xlsx:2: missing column period" in err
    assert "The header has: år, version, konto, belopp" in err


def test_missing_amount_column_xlsx_below_title_row(tmp_path: Path, config) -> None:
    """The header row (row 2, under a title) lacks belopp: name that row and its cells,
    not the title row above it."""
    path = xlsx(
        tmp_path / "ks.xlsx",
        [["Huvudbok 2024"], ["år", "period", "version", "konto", "summa"], [2024, 1, "utfall", "3111", 10]],
    )
    err = error_lines(variance(path, "--config", config, "--sign", "ledger"), 3)
    assert "ks.xlsx:2:" in err
    assert "summa" in err
    assert "belopp / amount / kr" in err
    assert "--sheet" in err


# --- bad amounts -------------------------------------------------------------------------------


def test_every_bad_amount_is_reported_with_its_line(ledger_from_text, config) -> None:
    path = ledger_from_text(
        ledger(
            "2024;2;utfall;5011;100;10100;12,5x",
            "2024;2;utfall;5011;100;10100;abc",
            "2024;2;utfall;5011;100;10100;1,234",
            "2024;2;utfall;5011;100;10100;",
        )
    )
    err = error_lines(variance(path, "--config", config, "--sign", "ledger"), 3)
    assert "ledger.csv:11: column 'belopp': '12,5x'" in err
    assert "ledger.csv:12: column 'belopp': 'abc'" in err
    assert "ledger.csv:13: column 'belopp': '1,234'" in err  # a third decimal is no öre amount
    assert "ledger.csv:14: column 'belopp': (empty)" in err
    assert err.count("Error:") == 4


def test_bad_amounts_in_a_plain_dialect(ledger_from_text, config) -> None:
    """Point decimals, no thousands separator (the fast exact-decimal path) reports the same way."""
    text = (
        "år,period,version,konto,belopp\n2024,1,utfall,3111,-10.00\n"
        "2024,1,utfall,3111,1.2.3\n2024,1,utfall,3111,0.001\n"
    )
    err = error_lines(variance(ledger_from_text(text), "--config", config, "--sign", "ledger"), 3)
    assert "ledger.csv:3: column 'belopp': '1.2.3'" in err
    assert "ledger.csv:4: column 'belopp': '0.001'" in err


def test_more_than_20_bad_amounts_are_capped(ledger_from_text, config) -> None:
    bad = [f"2024;2;utfall;5011;100;10100;x{i}" for i in range(27)]
    err = error_lines(variance(ledger_from_text(ledger(*bad)), "--config", config, "--sign", "ledger"), 3)
    lines = err.splitlines()
    assert len(lines) == 21
    assert lines[0].startswith(f"Error: ledger.csv:{NEXT_LINE}: column 'belopp': 'x0'")
    assert lines[19].startswith(f"Error: ledger.csv:{NEXT_LINE + 19}: column 'belopp': 'x19'")
    assert lines[20].startswith("Error: … and 7 more")


def test_bad_amount_xlsx_names_the_header(tmp_path: Path, config) -> None:
    """XLSX: the column is named as in the sheet ('Belopp'), the row is the sheet's row."""
    rows = [
        ["År", "Period", "Version", "Konto", "Ansvar", "Verksamhet", "Belopp"],
        *good_rows(),
        [2024, 2, "utfall", "5011", "100", "10100", "tolv"],
        [2024, 2, "utfall", "5011", "100", "10100", 1.234],
    ]
    err = error_lines(variance(xlsx(tmp_path / "ks.xlsx", rows), "--config", config, "--sign", "ledger"), 3)
    assert "ks.xlsx:11: column 'Belopp': 'tolv'" in err
    assert "ks.xlsx:12: column 'Belopp': '1.234'" in err


@pytest.mark.parametrize("cell", [".5", "1e3", "1.5e2", "12345678901234567", "- 5", "1.000", "2.500"])
def test_an_amount_cell_is_read_the_same_on_both_paths(ledger_from_text, config, cell: str) -> None:
    """A cell means the same whether or not another cell of the file has a thousands separator
    (which sends its block through the byte-level separator removal first)."""
    plain = "år,period,version,konto,belopp\n2024,1,utfall,3111,-10.00\n2024,1,utfall,3111,{}\n"
    spaced = "år;period;version;konto;belopp\n2024;1;utfall;3111;-1 000.00\n2024;1;utfall;3111;{}\n"
    results = []
    for name, text in (("plain.csv", plain), ("spaced.csv", spaced)):
        result = variance(
            ledger_from_text(text.format(cell), name=name),
            "--config",
            config,
            "--sign",
            "ledger",
            "--unit",
            "kr",
            "--format",
            "json",
            "--forecast-version",
            "utfall",
        )
        if result.exit_code == 0:
            rows = {row["label"]: row["values"] for row in json.loads(result.stdout)["rows"]}
            results.append(
                ("ok", rows["Verksamhetens intäkter"]["outcome"] - {"plain.csv": 10, "spaced.csv": 1000}[name])
            )
        else:
            err = error_lines(result, 3)
            assert f"{name}:3: column 'belopp'" in err
            results.append(("error", None))
    assert results[0] == results[1], results


@pytest.mark.parametrize("cell", ["184467440737095517", "99999999999999999", "999999999999999999"])
def test_an_amount_too_large_for_int64_is_an_error_not_a_wrapped_number(ledger_from_text, config, cell: str) -> None:
    """No silent wrap-around: 184467440737095517 kr is 2**64 + 84 öre; it must not load as 0,84 kr."""
    text = "år,period,version,konto,belopp\n2024,1,utfall,3111,-10.00\n2024,1,utfall,3111,{}\n"
    err = error_lines(
        variance(
            ledger_from_text(text.format(cell)), "--config", config, "--sign", "ledger", "--forecast-version", "utfall"
        ),
        3,
    )
    assert f"ledger.csv:3: column 'belopp': '{cell}'" in err


# --- encodings ---------------------------------------------------------------------------------


def test_undecodable_byte_suggests_encoding(ledger_from_text, config) -> None:
    """A cp1252 file (å as 0xE5) with a 0x81 byte on line 12: cp1252 cannot decode 0x81."""
    text = ledger("2024;2;utfall;5011;100;10100;1,00", "2024;2;utfall;5011;100;10100;2,00").encode("cp1252")
    text = text.replace(b"10100;2,00", b"10100\x81;2,00")
    path = ledger_from_text("")
    path.write_bytes(text)
    err = error_lines(variance(path, "--config", config, "--sign", "ledger"), 3)
    assert "ledger.csv:12:" in err
    assert "0x81" in err
    assert "--encoding" in err


def test_bogus_encoding_is_a_usage_error(ledger_from_text, config) -> None:
    """An encoding name that does not exist is a bad option value: exit 2 (SPEC §7)."""
    path = ledger_from_text(ledger())
    err = error_lines(variance(path, "--config", config, "--sign", "ledger", "--encoding", "utf-99"), 2)
    assert "--encoding utf-99" in err


def test_wrong_encoding_given(ledger_from_text, config) -> None:
    """--encoding utf-8 on a cp1252 file: the byte and line are named."""
    path = ledger_from_text(ledger(), encoding="cp1252")
    err = error_lines(variance(path, "--config", config, "--sign", "ledger", "--encoding", "utf-8"), 3)
    assert "ledger.csv:1:" in err and "0xe5" in err and "--encoding" in err


# --- empty files -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "\n\n  \n"], ids=["empty", "blank-lines"])
def test_empty_file(ledger_from_text, config, text: str) -> None:
    err = error_lines(variance(ledger_from_text(text), "--config", config, "--sign", "ledger"), 3)
    assert "ledger.csv" in err and "empty" in err


def test_header_only(ledger_from_text, config) -> None:
    err = error_lines(variance(ledger_from_text(HEADER + "\n"), "--config", config, "--sign", "ledger"), 3)
    assert "ledger.csv" in err and "no ledger rows" in err


def test_header_only_xlsx(tmp_path: Path, config) -> None:
    path = xlsx(tmp_path / "ks.xlsx", [HEADER.split(";")])
    err = error_lines(variance(path, "--config", config, "--sign", "ledger"), 3)
    assert "ks.xlsx" in err and "no ledger rows" in err


def test_empty_xlsx(tmp_path: Path, config) -> None:
    err = error_lines(variance(xlsx(tmp_path / "ks.xlsx", []), "--config", config, "--sign", "ledger"), 3)
    assert "ks.xlsx" in err and "empty" in err and "--sheet" in err


# --- sheets ------------------------------------------------------------------------------------


def test_xlsx_without_header_row(tmp_path: Path, config) -> None:
    """Data from row 1: no header. The message shows the first row and the names expected."""
    path = xlsx(tmp_path / "ks.xlsx", good_rows())
    err = error_lines(variance(path, "--config", config, "--sign", "ledger"), 3)
    assert "ks.xlsx" in err and "no header row" in err
    assert "2023, 1, utfall, 3111" in err
    assert "konto / account" in err and "--sheet" in err


def test_xlsx_missing_sheet_lists_the_sheets(tmp_path: Path, config) -> None:
    path = xlsx(tmp_path / "ks.xlsx", [HEADER.split(";"), *good_rows()], sheets=("Huvudbok", "Budget"))
    err = error_lines(variance(path, "--config", config, "--sign", "ledger", "--sheet", "Prognos"), 2)
    assert "ks.xlsx" in err and "'Prognos'" in err
    assert "Huvudbok, Budget" in err and "--sheet" in err


def test_xlsx_sheet_option_picks_the_sheet(tmp_path: Path, config) -> None:
    book = Workbook()
    book.active.title = "Försättsblad"
    sheet = book.create_sheet("Huvudbok")
    sheet.append(HEADER.split(";"))
    for row in good_rows():
        sheet.append(row)
    book.save(tmp_path / "ks.xlsx")
    run("variance", tmp_path / "ks.xlsx", "--config", config, "--sign", "ledger", "--sheet", "Huvudbok")


# --- versions ----------------------------------------------------------------------------------


def test_unknown_version_is_an_error_with_its_line(ledger_from_text, config) -> None:
    path = ledger_from_text(ledger("2024;2;utfal;5011;100;10100;100,00"))
    err = error_lines(variance(path, "--config", config, "--sign", "ledger"), 3)
    assert f"ledger.csv:{NEXT_LINE}: column 'version': 'utfal'" in err
    assert "--forecast-version" in err


def test_forecast_version_makes_a_name_usable(ledger_from_text, config) -> None:
    path = ledger_from_text(ledger("2024;1;april;5011;100;10100;480,00"))
    error_lines(variance(path, "--config", config, "--sign", "ledger"), 3)  # unknown without the option
    result = run(
        "variance",
        path,
        "--config",
        config,
        "--sign",
        "ledger",
        "--unit",
        "kr",
        "--format",
        "json",
        "--forecast-version",
        "april",
    )
    rows = {row["label"]: row["values"] for row in json.loads(result.stdout)["rows"]}
    assert rows["Personalkostnader"]["forecast"] == -480
    assert rows["Personalkostnader"]["budget"] == -500


@pytest.mark.parametrize("name", ["saknas", "prognos-juni"])
def test_forecast_version_absent_from_the_ledger(ledger_from_text, config, name: str) -> None:
    path = ledger_from_text(ledger())
    err = error_lines(variance(path, "--config", config, "--sign", "ledger", "--forecast-version", name), 2)
    assert f"--forecast-version {name}" in err
    assert "budget, prognos, utfall" in err  # the versions found


def test_ledger_without_forecast_rows_gives_a_table(ledger_from_text, config) -> None:
    text = "\n".join(line for line in ledger().splitlines() if ";prognos;" not in line) + "\n"
    result = run("variance", ledger_from_text(text), "--config", config, "--sign", "ledger", ok=False)
    assert result.exit_code == 0, result.output
    assert "Warning:" in result.stderr and "prognos" in result.stderr


# --- periods -----------------------------------------------------------------------------------


@pytest.mark.parametrize("month", ["13", "0", "-1", "1.5"])
def test_month_outside_1_to_12(ledger_from_text, config, month: str) -> None:
    path = ledger_from_text(ledger(f"2024;{month};utfall;5011;100;10100;1,00"))
    err = error_lines(variance(path, "--config", config, "--sign", "ledger"), 3)
    assert f"ledger.csv:{NEXT_LINE}: column 'period': '{month}'" in err
    assert "1–12" in err


@pytest.mark.parametrize("period", ["202413", "202400", "2024-13", "2024x01", "2024/01"])
def test_bad_yyyymm(ledger_from_text, config, period: str) -> None:
    text = f"period;version;konto;belopp\n202401;utfall;3111;-10,00\n{period};utfall;3111;-10,00\n"
    err = error_lines(variance(ledger_from_text(text), "--config", config, "--sign", "ledger"), 3)
    assert f"ledger.csv:3: column 'period': '{period}'" in err
    assert "YYYYMM" in err


def test_month_without_year(ledger_from_text, config) -> None:
    """Without a column år, a bare month has no year: say so, on its line."""
    text = "period;version;konto;belopp\n202401;utfall;3111;-10,00\n5;utfall;3111;-10,00\n"
    err = error_lines(variance(ledger_from_text(text), "--config", config, "--sign", "ledger"), 3)
    assert "ledger.csv:3: column 'period': '5'" in err
    assert "år" in err


# --- unmapped accounts -------------------------------------------------------------------------

UNMAPPED = (
    "2024;2;utfall;9999;100;10100;250,50",
    "2024;2;utfall;9999;100;10100;100,00",
    "2024;2;utfall;8012;100;10100;-5,25",
)


def test_unmapped_accounts_stop_with_exit_3(ledger_from_text, config) -> None:
    path = ledger_from_text(ledger(*UNMAPPED))
    err = error_lines(variance(path, "--config", config, "--sign", "ledger"), 3)
    assert "konto 9999: 2 rows, 351 kr" in err  # 350,50 kr rounded half away from zero
    assert "konto 8012: 1 row" in err and "-5 kr" in err
    assert "--allow-unmapped" in err and "kfollow.toml" in err


def test_allow_unmapped_shows_ej_mappat_in_the_result(ledger_from_text, config) -> None:
    path = ledger_from_text(ledger(*UNMAPPED))
    result = run(
        "variance", path, "--config", config, "--sign", "ledger", "--allow-unmapped", "--unit", "kr", "--format", "json"
    )
    report = json.loads(result.stdout)
    rows = {row["label"]: row["values"] for row in report["rows"]}
    labels = [row["label"] for row in report["rows"]]
    assert labels.index("Ej mappat") == labels.index("Årets resultat") - 1
    assert rows["Ej mappat"]["outcome"] == -345  # -(250,50 + 100,00 - 5,25) = -345,25
    assert rows["Årets resultat"]["outcome"] == 555  # 900 - 345,25 = 554,75
    assert rows["Årets resultat"]["outcome_change"] == 555 - 500
    assert "Ej mappat" in result.stderr and result.stderr.startswith("Warning:")


# --- --year ------------------------------------------------------------------------------------


def test_year_without_data_lists_the_years(ledger_from_text, config) -> None:
    path = ledger_from_text(ledger())
    err = error_lines(variance(path, "--config", config, "--sign", "ledger", "--year", "2020"), 2)
    assert "--year 2020" in err
    assert "2023, 2024" in err


# --- several files -----------------------------------------------------------------------------


def test_problems_in_two_files_are_all_reported(ledger_from_text, config) -> None:
    first = ledger_from_text(ledger("2024;2;utfall;5011;100;10100;abc"), name="huvudbok.csv")
    second = ledger_from_text(ledger("2024;13;utfall;5011;100;10100;1,00"), name="budget.csv")
    err = error_lines(variance(first, second, "--config", config, "--sign", "ledger"), 3)
    assert f"huvudbok.csv:{NEXT_LINE}: column 'belopp': 'abc'" in err
    assert f"budget.csv:{NEXT_LINE}: column 'period': '13'" in err


def test_problems_in_csv_and_xlsx_are_all_reported(tmp_path: Path, ledger_from_text, config) -> None:
    first = ledger_from_text(ledger("2024;2;utfal;5011;100;10100;1,00"))
    second = xlsx(tmp_path / "ks.xlsx", good_rows())  # no header row
    err = error_lines(variance(first, second, "--config", config, "--sign", "ledger"), 3)
    assert f"ledger.csv:{NEXT_LINE}: column 'version'" in err
    assert "ks.xlsx" in err and "no header row" in err


# --- output files ------------------------------------------------------------------------------


def test_failed_input_writes_no_output(ledger_from_text, config, tmp_path: Path) -> None:
    out = tmp_path / "drift.json"
    path = ledger_from_text(ledger("2024;2;utfall;5011;100;10100;abc"))
    error_lines(variance(path, "--config", config, "--sign", "ledger", "-o", out), 3)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left


def test_failed_input_leaves_an_existing_output_untouched(ledger_from_text, config, tmp_path: Path) -> None:
    out = tmp_path / "drift.txt"
    out.write_text("last month's table\n", "utf-8")
    path = ledger_from_text(ledger(*UNMAPPED))
    error_lines(variance(path, "--config", config, "--sign", "ledger", "-o", out), 3)
    assert out.read_text("utf-8") == "last month's table\n"


def test_output_into_a_missing_folder(ledger_from_text, config, tmp_path: Path) -> None:
    out = tmp_path / "saknas" / "drift.txt"
    err = error_lines(variance(ledger_from_text(ledger()), "--config", config, "--sign", "ledger", "-o", out), 2)
    assert "-o" in err and "saknas" in err
    assert not out.parent.exists()


def test_xlsx_format_needs_an_output_file(ledger_from_text, config) -> None:
    err = usage_error(variance(ledger_from_text(ledger()), "--config", config, "--sign", "ledger", "--format", "xlsx"))
    assert "-o" in err


def test_output_written_whole(ledger_from_text, config, tmp_path: Path) -> None:
    """The success path: -o holds exactly what stdout would have shown."""
    path = ledger_from_text(ledger())
    out = tmp_path / "drift.txt"
    shown = run("variance", path, "--config", config, "--sign", "ledger").stdout
    result = run("variance", path, "--config", config, "--sign", "ledger", "-o", out)
    assert result.stdout == ""
    assert out.read_text("utf-8") == shown


# --- usage errors ------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path, config) -> None:
    err = usage_error(variance(tmp_path / "saknas.csv", "--config", config))
    assert "saknas.csv" in err


def test_no_file_at_all(config) -> None:
    usage_error(variance("--config", config))


def test_unknown_option(ledger_from_text, config) -> None:
    err = usage_error(variance(ledger_from_text(ledger()), "--config", config, "--yaer", "2024"))
    assert "--yaer" in err


@pytest.mark.parametrize("value", ["verksamhet", "=289", "verksamhet=", "verksamhet=,"])
def test_bad_where_syntax(ledger_from_text, config, value: str) -> None:
    err = usage_error(variance(ledger_from_text(ledger()), "--config", config, "--where", value))
    assert "--where" in err and "DIM=PREFIX" in err


def test_where_on_a_column_the_ledger_lacks(ledger_from_text, config) -> None:
    path = ledger_from_text(ledger())
    err = error_lines(variance(path, "--config", config, "--sign", "ledger", "--where", "projekt=9"), 2)
    assert "--where projekt" in err
    assert "verksamhet" in err  # what it could have used


@pytest.mark.parametrize("command", ["variance", "reconcile", "accounts"])
def test_filters_that_leave_no_rows_are_a_usage_error(ledger_from_text, config, command: str) -> None:
    """A typo in a code (ansvar 999) must not give a table of zeros, or a reconcile 'OK'."""
    path = ledger_from_text(ledger())
    result = run(command, path, "--config", config, "--sign", "ledger", "--where", "ansvar=999", ok=False)
    err = error_lines(result, 2)
    assert "--where ansvar=999 leave none of the ledger's 9 rows. Codes found: ansvar: 100" in err


@pytest.mark.parametrize("value", ["13", "0"])
def test_bad_through(ledger_from_text, config, value: str) -> None:
    err = usage_error(variance(ledger_from_text(ledger()), "--config", config, "--through", value))
    assert "--through" in err


def test_usage_errors_print_only_error_lines(tmp_path: Path, config) -> None:
    error_lines(variance(tmp_path / "saknas.csv", "--config", config), 2)


# --- ragged rows -------------------------------------------------------------------------------


def test_rows_with_the_wrong_number_of_fields(ledger_from_text, config) -> None:
    path = ledger_from_text(
        ledger(
            "2024;2;utfall;5011;100;10100",
            "2024;2;utfall;5011;100;10100;1,00;extra",
            "2024;2;utfall;5011;100;10100;1,00",
        )
    )
    err = error_lines(variance(path, "--config", config, "--sign", "ledger"), 3)
    assert f"ledger.csv:{NEXT_LINE}: 6 fields where the header has 7" in err
    assert f"ledger.csv:{NEXT_LINE + 1}: 8 fields where the header has 7" in err
    assert f"ledger.csv:{NEXT_LINE + 2}" not in err


def test_ragged_rows_with_thousands_separators(ledger_from_text, config) -> None:
    """The same on the text path (amounts with a thousands separator)."""
    path = ledger_from_text(ledger("2024;2;utfall;5011;100;10100;1 000,00", "2024;2;utfall;5011;100"))
    err = error_lines(variance(path, "--config", config, "--sign", "ledger"), 3)
    assert f"ledger.csv:{NEXT_LINE + 1}: 5 fields where the header has 7" in err


# --- --sign auto -------------------------------------------------------------------------------


def test_sign_auto_without_personnel_rows(ledger_from_text, config) -> None:
    text = "\n".join(line for line in ledger().splitlines() if ";5011;" not in line) + "\n"
    err = error_lines(variance(ledger_from_text(text), "--config", config), 3)
    assert "ledger.csv" in err
    assert "--sign ledger" in err and "--sign report" in err


def test_sign_auto_follows_the_other_file(ledger_from_text, config) -> None:
    """A file without personnel rows follows a file that has them (here: ledger sign)."""
    lines = ledger().splitlines()
    first = ledger_from_text("\n".join(line for line in lines if ";5011;" in line or line == HEADER) + "\n", "a.csv")
    second = ledger_from_text("\n".join(line for line in lines if ";5011;" not in line) + "\n", "b.csv")
    auto = run("variance", first, second, "--config", config, "--format", "csv", "--unit", "kr")
    fixed = run(
        "variance",
        ledger_from_text(ledger()),
        "--config",
        config,
        "--format",
        "csv",
        "--unit",
        "kr",
        "--sign",
        "ledger",
    )
    assert auto.stdout == fixed.stdout
    assert "Warning" not in auto.stderr


def _negated(text: str) -> str:
    out = []
    for line in text.splitlines():
        head, _, amount = line.rpartition(";")
        if amount[:1].isdigit() or amount.startswith("-"):
            amount = amount[1:] if amount.startswith("-") else "-" + amount
        out.append(f"{head};{amount}")
    return "\n".join(out) + "\n"


def test_sign_auto_reads_negative_personnel_as_report_sign(ledger_from_text, config) -> None:
    report_sign = ledger_from_text(_negated(ledger()), name="report.csv")
    ledger_sign = ledger_from_text(ledger(), name="ledger.csv")
    auto = run("variance", report_sign, "--config", config, "--format", "csv", "--unit", "kr")
    fixed = run("variance", ledger_sign, "--config", config, "--format", "csv", "--unit", "kr", "--sign", "ledger")
    assert auto.stdout == fixed.stdout
    warnings = [line for line in auto.stderr.splitlines() if line.startswith("Warning:")]
    assert any("report.csv" in line and "report sign" in line and "--sign" in line for line in warnings), auto.stderr
    # and the explicit --sign report agrees, without the warning
    explicit = run("variance", report_sign, "--config", config, "--format", "csv", "--unit", "kr", "--sign", "report")
    assert explicit.stdout == fixed.stdout
    assert "report sign" not in explicit.stderr


@pytest.mark.parametrize("cell", ["1,000", "1.000", "2,500", "12,345", "1 234,567"])
def test_three_decimals_are_a_bad_amount_not_a_thousands_separator(ledger_from_text, config, cell: str) -> None:
    """'1,000' is not read as 1 kr (an English thousands separator would make it 1 000 kr):
    more than 2 decimals is a bad cell in every reader, named with its line."""
    text = f"år;period;version;konto;belopp\n2024;1;utfall;5011;10,00\n2024;1;utfall;5011;{cell}\n"
    err = error_lines(variance(ledger_from_text(text), "--config", config, "--sign", "ledger"), 3)
    assert f"ledger.csv:3: column 'belopp': '{cell}': not an amount" in err


@pytest.mark.parametrize(
    ("header", "meaning"),
    [
        ("år;period;konto;utfall;outcome", "utfall"),
        ("år;period;version;konto;belopp;Belopp", "belopp"),
        ("år;period;version;Konto;account;belopp", "konto"),
    ],
)
def test_two_columns_for_one_meaning(ledger_from_text, config, header: str, meaning: str) -> None:
    """Two columns that mean the same are an error, never one of them silently (or both) used."""
    cells = ";".join(["2024", "1", *(["utfall"] if "version" in header else []), "5011", "100", "200"])
    if "Konto" in header:
        cells = "2024;1;utfall;5011;5011;100"
    err = error_lines(variance(ledger_from_text(f"{header}\n{cells}\n"), "--config", config), 3)
    assert "ledger.csv:1: the columns" in err and f"both mean {meaning}" in err


def test_a_version_file_with_a_version_column(ledger_from_text, config) -> None:
    """--budget FILE says every row is budget: a file with its own version column is refused."""
    path = ledger_from_text("år;period;version;konto;belopp\n2024;1;utfall;5011;100\n")
    err = error_lines(variance("--budget", path, "--config", config), 3)
    assert "ledger.csv:1: the file has a version column ('version'), but was given with --budget" in err
    assert "give it as a LEDGER file" in err


def test_odd_files_get_a_clear_error(tmp_path: Path, config) -> None:
    """An old .xls, a CSV named .xlsx, and a UTF-16 export (read, by its BOM)."""
    xls = tmp_path / "gammal.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    assert "an old Excel (.xls) workbook" in error_lines(variance(xls, "--config", config), 3)
    fake = tmp_path / "csv.xlsx"
    fake.write_text("år;period;version;konto;belopp\n2024;1;utfall;5011;1\n", "utf-8")
    assert "named .xlsx but it is no workbook" in error_lines(variance(fake, "--config", config), 3)
    utf16 = tmp_path / "unicode.txt"
    utf16.write_bytes("år\tperiod\tversion\tkonto\tbelopp\n2024\t1\tutfall\t5011\t12,50\n".encode("utf-16"))
    result = variance(utf16, "--config", config, "--unit", "kr", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert "Personalkostnader,row,0,,,,-13,," in result.stdout  # no budget, prognos, 2023: empty


@pytest.mark.parametrize("encoding", ["rot13", "hex", "nonsense"])
def test_encoding_must_be_a_text_encoding(ledger_from_text, config, encoding: str) -> None:
    path = ledger_from_text("år;period;version;konto;belopp\n2024;1;utfall;5011;1\n")
    err = error_lines(variance(path, "--config", config, "--encoding", encoding), 2)
    assert f"--encoding {encoding}: no such text encoding" in err


def test_the_same_file_twice_is_refused(ledger_from_text, config) -> None:
    path = ledger_from_text("år;period;version;konto;belopp\n2024;1;utfall;5011;1\n")
    assert "is given twice" in error_lines(variance(path, path, "--config", config), 2)


def test_codes_are_stripped_before_filters(ledger_from_text, config) -> None:
    """' 28910' is verksamhet 28910: --exclude verksamhet=289 drops it, as in a spreadsheet."""
    text = "år;period;version;konto;verksamhet;belopp\n2024;1;utfall;5011; 28910;100\n2024;1;utfall;5011;10100;50\n"
    result = variance(
        ledger_from_text(text),
        "--config",
        config,
        "--sign",
        "ledger",
        "--unit",
        "kr",
        "--exclude",
        "verksamhet=289",
        "--format",
        "csv",
    )
    assert "Personalkostnader,row,0,,,,-50,," in result.stdout  # no budget, prognos, 2023: empty


def test_only_a_forecast_takes_a_qualified_name(ledger_from_text, config) -> None:
    """'utfall-2024' could be shown by no column: an error, where 'prognos-april' is a version."""
    text = "år;period;version;konto;belopp\n2024;1;utfall-2024;5011;1\n2024;1;prognos-april;5011;1\n"
    err = error_lines(variance(ledger_from_text(text), "--config", config), 3)
    assert "ledger.csv:2: column 'version': 'utfall-2024': not a version" in err
    assert "ledger.csv:3" not in err
