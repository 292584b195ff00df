"""Nothing is read wrong in silence (SPEC §1, issue 13): amounts in digits other than 0–9, with
an exponent or with digit groups that are not three long, and codes with a control character,
each stop the load with file:line, the column, the cell as found and what to do, in every
format that can carry them.

A CSV block is first read on its bytes (money.plain_decimals: Arrow's exact decimal cast);
a block it does not take is parsed as text (money.text_to_ore), which names the bad cells. So
each class is tested in a block where only the bad cell is unusual (the byte path must refuse
it, never read it), in one of Swedish separated amounts (the byte path's separator removal),
and in one that goes to the text parser anyway (a TAB-padded cell, which only it takes).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import Result
from conftest import KOMMUNBIDRAG, run, write
from hypothesis import given, settings
from hypothesis import strategies as st

from kfollow.errors import shown
from kfollow.money import decimal_ore, plain_decimals, text_to_ore
from kfollow.read import xlsx as xlsx_reader

HEADER = ["år", "period", "version", "konto", "ansvar", "belopp"]

OTHER_DIGITS = ["２７４ ７８４,７０", "٢٧٤", "２７４", "1٢3"]
EXPONENTS = ["1e15", "4e-4", "1.5E2", "-2E3"]
BAD_GROUPS = ["1 2 3", "357 5", "1234 567", "1 23 456", "12 3456", "1 234,5 6"]

WHY_DIGITS = "digits other than 0–9"
WHY_EXPONENT = "a number with an exponent"
WHY_GROUPS = "a digit group that is not three digits long"

# The cells around the bad one (lines 2–4, the bad cell on line 5) of each kind of block.
PLAIN = ["100.00", "-250.50", "1234"]  # the byte path, nothing to remove
SEPARATED = ["1 000,00", "\u2013 2 500,50", "\u221212\u00a0345"]  # the byte path, separators removed
TEXT = ["1 000,00", "\t100,00", "-7"]  # the text parser (Arrow's cast refuses the TAB)
CP1252_SEPARATED = ["1 000,00", "\u2013 2 500,50", "12\u00a0345"]  # (cp1252 has no U+2212)
BAD_LINE = 5


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write(tmp_path / "kfollow.toml", KOMMUNBIDRAG)


def csv_ledger(
    path: Path, amounts: list[str], encoding: str = "utf-8", delimiter: str = ";", last_newline: bool = True
) -> Path:
    """A long ledger, one row per amount (line 2 on), written as given (no quoting)."""
    rows = [delimiter.join(HEADER)] + [delimiter.join(["2024", "1", "utfall", "5011", "100", a]) for a in amounts]
    path.write_bytes(("\n".join(rows) + ("\n" if last_newline else "")).encode(encoding))
    return path


def xlsx_ledger(path: Path, amounts: list[object]) -> Path:
    """A sheet: the header in row 1, one row per amount; text stays a text cell."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["År", "Period", "Version", "Konto", "Ansvar", "Belopp"])
    for amount in amounts:
        sheet.append([2024, 1, "utfall", "5011", "100", amount])
    book.save(path)
    return path


def parquet_ledger(path: Path, columns: dict[str, list[str]]) -> Path:
    """Every column a string column."""
    pq.write_table(pa.table({k: pa.array(v, pa.string()) for k, v in columns.items()}), path)
    return path


def parquet_amounts(path: Path, amounts: list[str]) -> Path:
    size = len(amounts)
    return parquet_ledger(
        path,
        {
            "år": ["2024"] * size,
            "period": ["1"] * size,
            "version": ["utfall"] * size,
            "konto": ["5011"] * size,
            "ansvar": ["100"] * size,
            "belopp": amounts,
        },
    )


def refused(result: Result) -> str:
    """The load stopped: exit 3, only `Error:` lines, nothing on stdout; stderr."""
    assert result.exit_code == 3, (result.exit_code, result.output)
    assert result.stdout == ""
    assert "Traceback" not in result.output and "internal error" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines and all(line.startswith("Error:") for line in lines), result.stderr
    return result.stderr


def variance(path: Path, config: Path, *more: object) -> Result:
    return run("variance", path, "--config", config, "--sign", "ledger", *more, ok=False)


def assert_named(err: str, where: str, cell: str, why: str) -> None:
    """One error line names the place, the cell (as errors.shown quotes it) and why."""
    expected = f"Error: {where}: column 'belopp': {shown(cell)}: {why}"
    assert any(line.startswith(expected) for line in err.splitlines()), (expected, err)


# --- 1. digits other than 0–9 -------------------------------------------------------------------


@pytest.mark.parametrize("cell", OTHER_DIGITS)
def test_other_digits_in_a_plain_csv_block(tmp_path: Path, config: Path, cell: str) -> None:
    """Before: read as 0 (Python's \\d matched '２', to_numeric then gave NaN, read as 0)."""
    err = refused(variance(csv_ledger(tmp_path / "l.csv", [*PLAIN, cell]), config))
    assert_named(err, f"l.csv:{BAD_LINE}", cell, WHY_DIGITS)
    assert err.count("Error:") == 1


@pytest.mark.parametrize("cell", OTHER_DIGITS)
def test_other_digits_among_separated_csv_amounts(tmp_path: Path, config: Path, cell: str) -> None:
    err = refused(variance(csv_ledger(tmp_path / "l.csv", [*SEPARATED, cell]), config))
    assert_named(err, f"l.csv:{BAD_LINE}", cell, WHY_DIGITS)


@pytest.mark.parametrize("cell", OTHER_DIGITS)
def test_other_digits_in_a_csv_block_of_the_text_parser(tmp_path: Path, config: Path, cell: str) -> None:
    err = refused(variance(csv_ledger(tmp_path / "l.csv", [*TEXT, cell]), config))
    assert_named(err, f"l.csv:{BAD_LINE}", cell, WHY_DIGITS)
    assert err.count("Error:") == 1


@pytest.mark.parametrize("cell", OTHER_DIGITS)
def test_other_digits_in_an_xlsx_text_cell(tmp_path: Path, config: Path, cell: str) -> None:
    err = refused(variance(xlsx_ledger(tmp_path / "l.xlsx", [100.0, -250.5, 1234, cell]), config))
    assert f"l.xlsx:{BAD_LINE}: column 'Belopp': {shown(cell)}" in err


@pytest.mark.parametrize("cell", OTHER_DIGITS)
def test_other_digits_in_a_parquet_string_column(tmp_path: Path, config: Path, cell: str) -> None:
    err = refused(variance(parquet_amounts(tmp_path / "l.parquet", [*PLAIN, cell]), config))
    assert_named(err, f"l.parquet:{BAD_LINE}", cell, WHY_DIGITS)


# --- 2. an exponent -----------------------------------------------------------------------------


@pytest.mark.parametrize("cell", EXPONENTS)
def test_an_exponent_in_a_plain_csv_block(tmp_path: Path, config: Path, cell: str) -> None:
    """Before: Arrow's decimal cast took '1e15' as 10¹⁵ kr, where no other cell was unusual."""
    err = refused(variance(csv_ledger(tmp_path / "l.csv", [*PLAIN, cell]), config))
    assert_named(err, f"l.csv:{BAD_LINE}", cell, WHY_EXPONENT)
    assert err.count("Error:") == 1


@pytest.mark.parametrize("cell", EXPONENTS)
def test_an_exponent_among_separated_csv_amounts(tmp_path: Path, config: Path, cell: str) -> None:
    err = refused(variance(csv_ledger(tmp_path / "l.csv", [*SEPARATED, cell]), config))
    assert_named(err, f"l.csv:{BAD_LINE}", cell, WHY_EXPONENT)


@pytest.mark.parametrize("cell", EXPONENTS)
def test_an_exponent_in_a_csv_block_of_the_text_parser(tmp_path: Path, config: Path, cell: str) -> None:
    """Before: the text parser read '1.5E2' as 150 kr and '4e-4' as 0."""
    err = refused(variance(csv_ledger(tmp_path / "l.csv", [*TEXT, cell]), config))
    assert_named(err, f"l.csv:{BAD_LINE}", cell, WHY_EXPONENT)
    assert err.count("Error:") == 1


@pytest.mark.parametrize("cell", ["1e15", "4e-4"])
def test_an_exponent_in_a_cp1252_csv(tmp_path: Path, config: Path, cell: str) -> None:
    """cp1252 text is read as bytes (a binary column): the same rule."""
    path = csv_ledger(tmp_path / "l.csv", [*CP1252_SEPARATED, cell], "cp1252")
    err = refused(variance(path, config))
    assert_named(err, f"l.csv:{BAD_LINE}", cell, WHY_EXPONENT)


@pytest.mark.parametrize("cell", EXPONENTS)
def test_an_exponent_in_an_xlsx_text_cell(tmp_path: Path, config: Path, cell: str, monkeypatch) -> None:
    """The text cell as python-calamine's reader gives it (read_xlsx's own parse of text cells)."""
    monkeypatch.setattr(xlsx_reader, "read_xlsx_fast", lambda *_: None)
    err = refused(variance(xlsx_ledger(tmp_path / "l.xlsx", [100.0, -250.5, 1234, cell]), config))
    assert f"l.xlsx:{BAD_LINE}: column 'Belopp': {shown(cell)}" in err


@pytest.mark.parametrize("cell", EXPONENTS)
def test_an_exponent_in_an_xlsx_text_cell_of_a_plain_sheet(tmp_path: Path, config: Path, cell: str) -> None:
    err = refused(variance(xlsx_ledger(tmp_path / "l.xlsx", [100.0, -250.5, 1234, cell]), config))
    assert f"l.xlsx:{BAD_LINE}: column 'Belopp': {shown(cell)}" in err


@pytest.mark.parametrize("cell", EXPONENTS)
def test_an_exponent_in_a_parquet_string_column(tmp_path: Path, config: Path, cell: str) -> None:
    err = refused(variance(parquet_amounts(tmp_path / "l.parquet", [*PLAIN, cell]), config))
    assert_named(err, f"l.parquet:{BAD_LINE}", cell, WHY_EXPONENT)


# --- 3. digit groups that are not three long ----------------------------------------------------


@pytest.mark.parametrize("cell", BAD_GROUPS)
def test_bad_digit_groups_in_a_plain_csv_block(tmp_path: Path, config: Path, cell: str) -> None:
    """Before: the separators were dropped: '1 2 3' read as 123 kr."""
    err = refused(variance(csv_ledger(tmp_path / "l.csv", [*PLAIN, cell]), config))
    assert_named(err, f"l.csv:{BAD_LINE}", cell, WHY_GROUPS)
    assert err.count("Error:") == 1


@pytest.mark.parametrize("cell", BAD_GROUPS)
def test_bad_digit_groups_among_separated_csv_amounts(tmp_path: Path, config: Path, cell: str) -> None:
    err = refused(variance(csv_ledger(tmp_path / "l.csv", [*SEPARATED, cell]), config))
    assert_named(err, f"l.csv:{BAD_LINE}", cell, WHY_GROUPS)
    assert err.count("Error:") == 1


@pytest.mark.parametrize("cell", BAD_GROUPS)
def test_bad_digit_groups_in_a_csv_block_of_the_text_parser(tmp_path: Path, config: Path, cell: str) -> None:
    err = refused(variance(csv_ledger(tmp_path / "l.csv", [*TEXT, cell]), config))
    assert_named(err, f"l.csv:{BAD_LINE}", cell, WHY_GROUPS)
    assert err.count("Error:") == 1


@pytest.mark.parametrize("separator", [" ", "\u00a0", "\u202f"])
def test_bad_digit_groups_with_each_separator(tmp_path: Path, config: Path, separator: str) -> None:
    cells = [f"1{separator}2{separator}3", f"1234{separator}567"]
    err = refused(variance(csv_ledger(tmp_path / "l.csv", [*PLAIN, *cells]), config))
    for line, cell in enumerate(cells, start=BAD_LINE):
        assert_named(err, f"l.csv:{line}", cell, WHY_GROUPS)


def test_bad_digit_groups_in_a_cp1252_csv(tmp_path: Path, config: Path) -> None:
    """cp1252: NBSP is one byte (0xA0), the en dash 0x96."""
    cells = ["1\u00a02\u00a03", "\u2013 1234 567"]
    err = refused(variance(csv_ledger(tmp_path / "l.csv", [*CP1252_SEPARATED, *cells], "cp1252"), config))
    for line, cell in enumerate(cells, start=BAD_LINE):
        assert_named(err, f"l.csv:{line}", cell, WHY_GROUPS)


def test_an_amount_cut_off_in_a_last_line(tmp_path: Path, config: Path) -> None:
    """'357 5' at the end of a file without a line end (a cut-off '357 512,00'): before, 3 575 kr."""
    path = csv_ledger(tmp_path / "l.csv", [*SEPARATED, "357 5"], last_newline=False)
    assert_named(refused(variance(path, config)), f"l.csv:{BAD_LINE}", "357 5", WHY_GROUPS)


@pytest.mark.parametrize("cell", BAD_GROUPS)
def test_bad_digit_groups_in_an_xlsx_text_cell(tmp_path: Path, config: Path, cell: str) -> None:
    err = refused(variance(xlsx_ledger(tmp_path / "l.xlsx", [100.0, -250.5, 1234, cell]), config))
    assert f"l.xlsx:{BAD_LINE}: column 'Belopp': {shown(cell)}" in err


@pytest.mark.parametrize("cell", BAD_GROUPS)
def test_bad_digit_groups_in_a_parquet_string_column(tmp_path: Path, config: Path, cell: str) -> None:
    err = refused(variance(parquet_amounts(tmp_path / "l.parquet", [*SEPARATED, cell]), config))
    assert_named(err, f"l.parquet:{BAD_LINE}", cell, WHY_GROUPS)


# --- separators and decimal marks out of place ----------------------------------------------------

# cell -> the start of why it is refused
OUT_OF_PLACE = {
    "523 077,": "a decimal mark with no decimals after it",  # '523 077,17' cut off
    "1 234.": "a decimal mark with no decimals after it",
    "-7\u00a0 966,67": "a digit group that is not three digits long, or two separators",  # a byte of -78 966,67 flipped
    "1  234": "a digit group that is not three digits long, or two separators",
    "- 5": "a space after the sign",  # '-15' with its '1' flipped to a space; only an en dash takes one
    "\u2212 5": "a space after the sign",
    "1 ,5": "not an amount in kronor",  # '13,5' with its '3' flipped
    ".5": "not an amount in kronor",
    "-.5": "not an amount in kronor",
}


@pytest.mark.parametrize("cell", OUT_OF_PLACE)
def test_separators_and_marks_out_of_place_in_a_plain_csv_block(tmp_path: Path, config: Path, cell: str) -> None:
    """Before: each was read (Arrow's cast takes '5.', '.5' and '-.5'; the separators were
    dropped wherever they were): '-7\\xa0 966,67' as -7 966,67 kr, '- 5' as -5 kr."""
    err = refused(variance(csv_ledger(tmp_path / "l.csv", [*PLAIN, cell]), config))
    assert_named(err, f"l.csv:{BAD_LINE}", cell, OUT_OF_PLACE[cell])
    assert err.count("Error:") == 1


@pytest.mark.parametrize("cell", OUT_OF_PLACE)
def test_separators_and_marks_out_of_place_among_separated_csv_amounts(tmp_path: Path, config: Path, cell: str) -> None:
    err = refused(variance(csv_ledger(tmp_path / "l.csv", [*SEPARATED, cell]), config))
    assert_named(err, f"l.csv:{BAD_LINE}", cell, OUT_OF_PLACE[cell])
    assert err.count("Error:") == 1


@pytest.mark.parametrize("cell", OUT_OF_PLACE)
def test_separators_and_marks_out_of_place_in_a_csv_block_of_the_text_parser(
    tmp_path: Path, config: Path, cell: str
) -> None:
    err = refused(variance(csv_ledger(tmp_path / "l.csv", [*TEXT, cell]), config))
    assert_named(err, f"l.csv:{BAD_LINE}", cell, OUT_OF_PLACE[cell])
    assert err.count("Error:") == 1


@pytest.mark.parametrize("cell", ["523 077,", "-7\u00a0 966,67", "- 5"])
def test_separators_and_marks_out_of_place_in_an_xlsx_text_cell(tmp_path: Path, config: Path, cell: str) -> None:
    err = refused(variance(xlsx_ledger(tmp_path / "l.xlsx", [100.0, -250.5, 1234, cell]), config))
    assert f"l.xlsx:{BAD_LINE}: column 'Belopp': {shown(cell)}" in err


@pytest.mark.parametrize("cell", ["523 077,", "-7\u00a0 966,67", "- 5"])
def test_separators_and_marks_out_of_place_in_a_parquet_string_column(tmp_path: Path, config: Path, cell: str) -> None:
    err = refused(variance(parquet_amounts(tmp_path / "l.parquet", [*SEPARATED, cell]), config))
    assert_named(err, f"l.parquet:{BAD_LINE}", cell, OUT_OF_PLACE[cell])


def test_every_dialect_of_spec_1_still_reads(tmp_path: Path) -> None:
    """What SPEC §1 allows stays read, exactly, on both paths: separators as padding, one
    between groups of three (space, NBSP, U+202F), one space after an en dash, each minus."""
    cells = {
        "1 234 567,89": 123456789,
        " 1 234 ": 123400,
        "\u00a0 12 345,6\u202f ": 1234560,
        "\u2013 1 234": -123400,
        "\u20131 234,5": -123450,
        "\u22121 234": -123400,
        "-1 234": -123400,
        "+1 234": 123400,
        "12\u00a0345": 1234500,
        "1\u202f234,50": 123450,
        "123 456": 12345600,
        "1234567.8": 123456780,
        "0,5": 50,
        "-0": 0,
        "1 234 567 890 123 456": 123456789012345600,
    }
    for path_cells in (list(cells), [*cells, "\t1"]):  # the byte path; the text parser (the TAB)
        column = pa.array(path_cells, pa.string())
        decimals = plain_decimals(column)
        text, bad = text_to_ore(pd.Series(path_cells, dtype="str"))
        assert not bad.any()
        assert text.tolist()[: len(cells)] == list(cells.values())
        if decimals is not None:
            assert decimal_ore(decimals).tolist()[: len(cells)] == list(cells.values())
    assert plain_decimals(pa.array(list(cells), pa.string())) is not None


# --- the byte path and the text parser agree on every cell ---------------------------------------

_PIECES = [
    "0",
    "1",
    "2",
    "12",
    "123",
    "1234",
    " ",
    "\u00a0",
    "\u202f",
    ",",
    ".",
    "-",
    "+",
    "\u2013",
    "\u2212",
    "e",
    "5",
]
_DIGITS = "0123456789"


def reference_ore(cell: str) -> int | None:
    """SPEC §1's amount, written out plainly, character by character: padding; a sign (an en
    dash may have one space after it); digits, either ungrouped or grouped by three with one
    separator between groups, the first group 1–3 digits; a decimal mark and 1 or 2 decimals.
    Öre, or None."""
    text = cell.strip()
    negative = text[:1] in ("-", "\u2212", "\u2013")
    at = (2 if text[:2] == "\u2013 " else 1) if text[:1] in ("-", "+", "\u2212", "\u2013") else 0
    groups, at = _digit_groups(text, at)
    if not groups[-1] or (len(groups) > 1 and (len(groups[0]) > 3 or any(len(g) != 3 for g in groups[1:]))):
        return None
    decimals = text[at + 1 :] if text[at : at + 1] in (",", ".") else text[at:] or "00"
    if not 1 <= len(decimals) <= 2 or any(d not in _DIGITS for d in decimals) or len("".join(groups)) > 16:
        return None
    ore = int("".join(groups)) * 100 + int(decimals.ljust(2, "0"))
    return -ore if negative else ore


def _digit_groups(text: str, at: int) -> tuple[list[str], int]:
    """The digits from `at` on, split at each separator (one between two digits); where they end."""
    groups = [""]
    while at < len(text) and (text[at] in _DIGITS or (text[at] in _SEPARATORS_TEXT and groups[-1])):
        if text[at] in _DIGITS:
            groups[-1] += text[at]
        else:
            groups.append("")
        at += 1
    return groups, at


_SEPARATORS_TEXT = " \u00a0\u202f"


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=7).map("".join), min_size=1, max_size=6))
def test_the_text_parser_and_the_byte_path_read_a_cell_as_spec_1_has_it(cells: list[str]) -> None:
    """The text parser reads each cell as the plain reference does; a block the byte path
    takes is read cell for cell the same (block boundaries included)."""
    text, bad = text_to_ore(pd.Series(cells, dtype="str"))
    for cell, ore, is_bad in zip(cells, text, bad, strict=True):
        expected = reference_ore(cell)
        assert (None if is_bad else int(ore)) == expected, cell
    for encoding in ("utf-8", "cp1252"):
        try:
            column = pa.array([c.encode(encoding) for c in cells], pa.binary())
        except UnicodeEncodeError:
            continue
        if encoding == "utf-8":
            column = column.cast(pa.string())
        decimals = plain_decimals(column, encoding)
        if decimals is None:
            continue
        fast = decimal_ore(decimals)
        if fast is None:
            continue
        assert not bad.any(), (cells, bad)
        assert fast.tolist() == text.tolist(), cells


# --- 4. control characters in codes -------------------------------------------------------------

CODE_COLUMNS = ["konto", "ansvar", "verksamhet", "aktivitet", "projekt", "motpart", "version"]


def code_ledger(path: Path, column: str, bad: str) -> Path:
    """A CSV with every code column, the bad code on line 3 (UTF-8, read as text)."""
    header = ["år", "period", "version", "konto", "ansvar", "verksamhet", "aktivitet", "projekt", "motpart", "belopp"]
    good = {"år": "2024", "period": "1", "version": "utfall", "konto": "5011", "belopp": "100,00"}
    good.update({key: "10" for key in ("ansvar", "verksamhet", "aktivitet", "projekt", "motpart")})
    rows = [[good[key] for key in header], [bad if key == column else good[key] for key in header]]
    text = "\n".join(";".join(row) for row in [header, *rows, rows[0]]) + "\n"
    path.write_bytes(text.encode("utf-8"))
    return path


def control_code(column: str) -> str:
    """A code of the column with a control character (SOH) in it."""
    return {"konto": "5011\x01", "version": "utfall\x01"}.get(column, "1\x010")


@pytest.mark.parametrize("column", CODE_COLUMNS)
def test_a_control_character_in_a_csv_code_column(tmp_path: Path, column: str) -> None:
    """Before: '5011\\x01' was a code of its own, kept, and written out by `convert` (which
    reads every column)."""
    path = code_ledger(tmp_path / "l.csv", column, control_code(column))
    err = refused(run("convert", path, "-o", tmp_path / "out.csv", ok=False))
    assert f"Error: l.csv:3: column {column!r}: {shown(control_code(column))}: a control character in a code" in err
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("column", ["konto", "version"])
def test_a_control_character_in_a_code_column_variance_reads(tmp_path: Path, config: Path, column: str) -> None:
    """(variance reads konto and version; a dimension it does not read is not read wrong.)"""
    err = refused(variance(code_ledger(tmp_path / "l.csv", column, control_code(column)), config))
    assert f"Error: l.csv:3: column {column!r}: {shown(control_code(column))}: a control character in a code" in err


@pytest.mark.parametrize("control", ["\x02", "\x0b", "\x1c", "\x1f", "\r", "\n"])
def test_other_control_characters_in_a_code(tmp_path: Path, config: Path, control: str) -> None:
    """Every C0 control character but TAB ('\\x1c' would even split '5011\\x1c9' as
    whitespace, and read as konto 5011). A line break comes in a quoted cell."""
    bad = f"5011{control}9"
    path = code_ledger(tmp_path / "l.csv", "konto", f'"{bad}"' if control in "\r\n" else bad)
    err = refused(variance(path, config))
    assert f"Error: l.csv:3: column 'konto': {shown(bad)}: a control character in a code" in err


def test_a_tab_in_a_code_is_no_control_character(tmp_path: Path, config: Path) -> None:
    run("variance", code_ledger(tmp_path / "l.csv", "konto", "5011\tLöner"), "--config", config, "--sign", "ledger")


def test_convert_does_not_write_out_a_nul_in_a_code(tmp_path: Path) -> None:
    """The issue's case. (A NUL anywhere in a CSV is refused by the CSV reader, before codes.)"""
    out = tmp_path / "out.csv"
    err = refused(run("convert", code_ledger(tmp_path / "l.csv", "konto", "5011\x00"), "-o", out, ok=False))
    assert "Error: l.csv:3: " in err
    assert not out.exists()


def test_a_control_character_in_a_column_reconcile_reads_only_to_hash(tmp_path: Path, config: Path) -> None:
    """reconcile reads ansvar only for the duplicate check's hashes (read collapsed): the code
    is refused there too, and named by its line (the file is then read row by row)."""
    path = code_ledger(tmp_path / "l.csv", "ansvar", "1\x010")
    err = refused(run("reconcile", path, "--config", config, ok=False))
    assert "Error: l.csv:3: column 'ansvar': '1\\x010': a control character in a code" in err
    assert err.count("Error:") == 1


def test_a_nul_in_an_xlsx_code_cell(tmp_path: Path, config: Path) -> None:
    """An xlsx holds a NUL as the escape _x0000_, which the readers decode."""
    path = xlsx_ledger(tmp_path / "l.xlsx", [100.0, 200.0])
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    part = "xl/worksheets/sheet1.xml"
    first = members[part].index(b"5011")
    members[part] = members[part][:first] + b"5011_x0000_" + members[part][first + 4 :]
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    err = refused(variance(path, config))
    assert "Error: l.xlsx:2: column 'Konto': '5011\\x00': a control character in a code" in err


def test_a_nul_in_a_parquet_code_column(tmp_path: Path) -> None:
    columns = {
        "år": ["2024"] * 3,
        "period": ["1"] * 3,
        "version": ["utfall"] * 3,
        "konto": ["5011", "5011", "5011"],
        "ansvar": ["10", "1\x000", "10"],
        "belopp": ["1.00", "2.00", "3.00"],
    }
    err = refused(run("convert", parquet_ledger(tmp_path / "l.parquet", columns), ok=False))
    assert "Error: l.parquet:3: column 'ansvar': '1\\x000': a control character in a code" in err


# --- SIE ----------------------------------------------------------------------------------------


def test_a_long_bad_sie_amount_is_quoted_in_part(tmp_path: Path, config: Path) -> None:
    """SIE amounts were always digits 0–9 without exponent; the message quotes at most 200
    characters of the cell (errors.shown), not the whole."""
    head = "#FLAGGA 0\n#FORMAT PC8\n#SIETYP 4\n#RAR 0 20240101 20241231\n"
    body = "#VER A 1 20240115\n{\n#TRANS 5011 {} " + "1" * 300 + "\n#TRANS 1930 {} -1\n}\n"
    path = tmp_path / "x.se"
    path.write_bytes((head + body).encode("cp437"))
    err = refused(variance(path, config))
    line = next(line for line in err.splitlines() if "x.se:7:" in line)
    assert len(line) < 400
    assert "(300 characters)" in line


@pytest.mark.parametrize("cell", ["1e15", "２７４", "1.5E2"])
def test_sie_amounts_are_digits_0_to_9_without_exponent(tmp_path: Path, config: Path, cell: str) -> None:
    """(A guard: the SIE reader's own pattern, [0-9], already held this.)"""
    head = "#FLAGGA 0\n#FORMAT PC8\n#SIETYP 4\n#RAR 0 20240101 20241231\n"
    body = f"#VER A 1 20240115\n{{\n#TRANS 5011 {{}} {cell}\n#TRANS 1930 {{}} -1\n}}\n"
    path = tmp_path / "x.se"
    path.write_bytes((head + body).encode("utf-8"))
    err = refused(variance(path, config, "--encoding", "utf-8"))
    assert re.search(rf"x\.se:7: amount {re.escape(shown(cell))}: not an SIE amount", err), err
