"""The SIE 4 reader (kfollow/sie.py) on small inline files: the lexical quirks of real exports
(domain.md §3.7), encodings, what becomes which ledger row, broken fiscal years, dimensions,
detection, the error contract and the sie-* checks of `kfollow reconcile`.

Every file starts with HEAD (lines 1–5: a calendar year 2024 and its previous year), so that the
first line of a test's own records is line 6. Files are CP437 unless the test is about encodings.
"""

from __future__ import annotations

import json
import textwrap
import zlib
from pathlib import Path

import pandas as pd
import pytest
from click.testing import Result
from conftest import run, write

from kfollow.errors import LoadError
from kfollow.read import ReadOptions, Source, load_ledger

HEAD = """\
#FLAGGA 0
#FORMAT PC8
#SIETYP 4
#RAR 0 20240101 20241231
#RAR -1 20230101 20231231
"""
FIRST = 6  # the line of a test's first own record
TYPE2_HEAD = HEAD.replace("#SIETYP 4", "#SIETYP 2")


def sie(tmp_path: Path, body: str, name: str = "x.se", encoding: str = "cp437", head: str = HEAD) -> Path:
    """HEAD and the (dedented) body, written in `encoding`."""
    text = head + textwrap.dedent(body).lstrip("\n")
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def load(path: Path, **options: object) -> tuple[pd.DataFrame, list[str]]:
    """The ledger's frame and notes. What the files said about themselves (Ledger.sie_checks,
    year_labels, full_year_only) is also put in the frame's attrs, where these tests read it:
    the place it had before the ledger had a type of its own (issue 15)."""
    ledger = load_ledger([Source(path)], ReadOptions(**options))  # type: ignore[arg-type]
    frame = ledger.frame
    frame.attrs.update(
        sie_checks=list(ledger.sie_checks),
        year_labels=ledger.year_labels,
        full_year_only=list(ledger.full_year_only),
    )
    return frame, list(ledger.notes)


def table(frame: pd.DataFrame, *columns: str) -> list[tuple]:
    """The rows' values in file order (by line), NaN as None."""
    frame = frame.sort_values("line", kind="stable")
    out = []
    for values in zip(*(frame[c].astype(object) if c in frame else [None] * len(frame) for c in columns), strict=True):
        out.append(tuple(None if (isinstance(v, float) and v != v) else v for v in values))
    return out


def rows(path: Path, *columns: str, **options: object) -> list[tuple]:
    frame, _ = load(path, **options)
    return table(frame, *(columns or ("year", "period", "version", "account", "amount", "line")))


def error_lines(result: Result, code: int) -> list[str]:
    """The failure contract (as tests/test_errors.py): exit code, only Error:/Warning: lines on
    stderr, nothing on stdout, no traceback. Returns the Error: lines."""
    assert result.exit_code == code, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.stdout == "", "a table was printed from data that failed"
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert all(line.startswith(("Error:", "Warning:")) for line in lines), result.stderr
    errors = [line for line in lines if line.startswith("Error:")]
    assert errors, result.stderr
    return errors


def variance_json(*args: object) -> dict:
    return json.loads(run("variance", *args, "--format", "json", "--unit", "kr").stdout)


def values(report: dict, label: str) -> dict:
    return next(r["values"] for r in report["rows"] if r["label"] == label)


def reconcile_json(*args: object) -> tuple[dict, int]:
    result = run("reconcile", *args, "--format", "json", ok=False)
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    return json.loads(result.stdout), result.exit_code


def check(report: dict, code: str) -> dict:
    return next(c for c in report["checks"] if c["code"] == code)


def findings(report: dict, code: str) -> list[dict]:
    return [f for f in report["findings"] if f["code"] == code]


# A balanced voucher, used by several tests: salary 1 000 kr on ansvar 100, paid from the bank.
VOUCHER = """\
#VER A 1 20240115 "Lön"
{
#TRANS 5011 {1 "100"} 1000.00
#TRANS 1930 {} -1000.00
}
"""


# --- lexical quirks (domain.md §3.7) ------------------------------------------------------------


def test_tab_separators_and_runs_of_spaces(tmp_path: Path) -> None:
    path = sie(
        tmp_path,
        '#VER\tA\t1\t20240215\t"Hyra"\n'
        "{\n"
        '#TRANS\t\t5011\t{1\t"100"}\t\t 250.00\n'
        "#TRANS      1930      {}            -250.00\n"
        "}\n",
    )
    assert rows(path, "year", "period", "account", "amount", "ansvar", "line") == [
        (2024, 2, "5011", 25000, "100", FIRST + 2),
        (2024, 2, "1930", -25000, None, FIRST + 3),
    ]


def test_quoted_and_unquoted_object_ids(tmp_path: Path) -> None:
    path = sie(
        tmp_path,
        """\
        #VER A 1 20240115
        {
        #TRANS 5011 {1 "Nord" 6 0001} 100.00
        #TRANS 5011 {1 Nord 6 0001} 200.00
        #TRANS 5011 {"1" "Syd" "6" "0002"} 300.00
        #TRANS 1930 {} -600.00
        }
        """,
    )
    assert rows(path, "account", "amount", "ansvar", "projekt") == [
        ("5011", 10000, "Nord", "0001"),
        ("5011", 20000, "Nord", "0001"),
        ("5011", 30000, "Syd", "0002"),
        ("1930", -60000, None, None),
    ]


def test_empty_object_list_with_and_without_space(tmp_path: Path) -> None:
    path = sie(
        tmp_path,
        """\
        #VER A 1 20240115
        {
        #TRANS 5011 {} 100.00
        #TRANS 5011 { } 200.00
        #TRANS 5011 {1 "100"} 300.00
        #TRANS 1930 {   } -600.00
        }
        """,
    )
    assert rows(path, "account", "amount", "ansvar", "line") == [
        ("5011", 10000, None, FIRST + 2),
        ("5011", 20000, None, FIRST + 3),
        ("5011", 30000, "100", FIRST + 4),
        ("1930", -60000, None, FIRST + 5),
    ]


def test_empty_trailing_fields(tmp_path: Path) -> None:
    path = sie(
        tmp_path,
        """\
        #VER "A" "1" 20240115 "Verifikationstext" "" ""
        {
        #TRANS 5011 {} 100.00 "" "" "" ""
        #TRANS 1930 {} -100.00 20240115 "Bank" "" ""
        }
        """,
    )
    # an empty transtext takes the voucher's text
    assert rows(path, "period", "account", "amount", "text") == [
        (1, "5011", 10000, "Verifikationstext"),
        (1, "1930", -10000, "Bank"),
    ]


def test_escaped_quotes_inside_a_text(tmp_path: Path) -> None:
    path = sie(
        tmp_path,
        """\
        #VER A 1 20240115 "Faktura \\"X\\" 12"
        {
        #TRANS 5011 {1 "a\\"b"} 100.00 20240115 "Sa \\"hej\\" {ok}"
        #TRANS 1930 {} -100.00
        }
        """,
    )
    assert rows(path, "account", "amount", "ansvar", "text") == [
        ("5011", 10000, 'a"b', 'Sa "hej" {ok}'),
        ("1930", -10000, None, 'Faktura "X" 12'),
    ]


def test_stray_backslashes_do_not_break_the_line(tmp_path: Path) -> None:
    path = sie(
        tmp_path,
        """\
        #PROGRAM "C:\\ProgramData\\x" 1.0
        #VER A 1 20240115 "C:\\ProgramData\\x"
        {
        #TRANS 1820 {} 5.00 20240115 "1820\\A012 Cykel"
        #TRANS 5011 {} 7.00 "" "D:\\temp\\x y"
        #TRANS 1930 {} -12.00
        }
        """,
    )
    assert rows(path, "account", "amount", "text", "line") == [
        ("1820", 500, "1820\\A012 Cykel", FIRST + 3),
        ("5011", 700, "D:\\temp\\x y", FIRST + 4),
        ("1930", -1200, "C:\\ProgramData\\x", FIRST + 5),
    ]


def test_unknown_labels_are_ignored(tmp_path: Path) -> None:
    path = sie(
        tmp_path,
        """\
        #FOO bar
        #PROGRAM "Ekonomi" 4.2
        #GEN 20240301
        #KPTYP "EUBAS97"
        #X_EGEN {1 2} "a b" 3
        """
        + VOUCHER,
    )
    assert rows(path, "account", "amount", "line") == [("5011", 100000, FIRST + 7), ("1930", -100000, FIRST + 8)]


def test_labels_in_odd_case(tmp_path: Path) -> None:
    path = sie(
        tmp_path,
        """\
        #ver A 1 20240315
        {
        #trans 5011 {1 "100"} 40.00
        #Trans 1930 {} -40.00
        }
        #pbudget 0 202403 5011 {} 50.00
        #PSaldo 0 202403 5011 {} 40.00
        """,
    )
    assert rows(path, "year", "period", "version", "account", "amount", "ansvar") == [
        (2024, 3, "utfall", "5011", 4000, "100"),
        (2024, 3, "utfall", "1930", -4000, None),
        (2024, 3, "budget", "5011", 5000, None),
    ]


def test_blank_lines_anywhere(tmp_path: Path) -> None:
    path = sie(
        tmp_path,
        """\

        #VER A 1 20240115

        {

        #TRANS 5011 {} 100.00
           \t
        #TRANS 1930 {} -100.00

        }

        """,
    )
    assert rows(path, "account", "amount", "line") == [("5011", 10000, FIRST + 4), ("1930", -10000, FIRST + 6)]


def test_crlf_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "crlf.se"
    path.write_bytes((HEAD + VOUCHER + "#PBUDGET 0 202401 5011 {} 1200\n").replace("\n", "\r\n").encode("cp437"))
    frame, notes = load(path)
    assert table(frame, "version", "account", "amount", "ansvar", "text", "line") == [
        ("utfall", "5011", 100000, "100", "Lön", FIRST + 2),
        ("utfall", "1930", -100000, None, "Lön", FIRST + 3),
        ("budget", "5011", 120000, None, None, FIRST + 5),
    ]
    assert not [n for n in notes if "UTF-8" in n]


def test_amounts_without_decimals_and_with_one(tmp_path: Path) -> None:
    path = sie(
        tmp_path,
        """\
        #VER A 1 20240115
        {
        #TRANS 5011 {} -133
        #TRANS 5012 {} -212.5
        #TRANS 5013 {} -0.5
        #TRANS 5014 {} 0.05
        #TRANS 5015 {} 12.
        #TRANS 1930 {} 333.95
        }
        """,
    )
    assert rows(path, "account", "amount") == [
        ("5011", -13300),
        ("5012", -21250),
        ("5013", -50),
        ("5014", 5),
        ("5015", 1200),
        ("1930", 33395),
    ]


def test_flagga_1(tmp_path: Path) -> None:
    path = sie(tmp_path, VOUCHER, head=HEAD.replace("#FLAGGA 0", "#FLAGGA 1"))
    assert rows(path, "account", "amount") == [("5011", 100000), ("1930", -100000)]


def test_rar_with_empty_dates_falls_back_to_calendar_years(tmp_path: Path) -> None:
    head = '#FLAGGA 0\n#FORMAT PC8\n#SIETYP 4\n#RAR 0 "" ""\n#FNAMN "Kommun"\n'
    path = sie(
        tmp_path,
        """\
        #VER A 1 20240315
        {
        #TRANS 5011 {} 10.00
        #TRANS 1930 {} -10.00
        }
        #VER A 2 20231105
        {
        #TRANS 5011 {} 20.00
        #TRANS 1930 {} -20.00
        }
        """,
        head=head,
    )
    frame, notes = load(path)
    assert table(frame, "year", "period", "account", "amount") == [
        (2024, 3, "5011", 1000),
        (2024, 3, "1930", -1000),
        (2023, 11, "5011", 2000),
        (2023, 11, "1930", -2000),
    ]
    assert any("x.se" in n and "calendar years" in n for n in notes), notes


def test_quoted_format(tmp_path: Path) -> None:
    path = sie(tmp_path, VOUCHER, head=HEAD.replace("#FORMAT PC8", '#FORMAT "PC8"'))
    assert rows(path, "year", "period", "account", "amount") == [(2024, 1, "5011", 100000), (2024, 1, "1930", -100000)]


# --- encodings ------------------------------------------------------------------------------------


def test_cp437_text_with_swedish_letters(tmp_path: Path) -> None:
    path = sie(
        tmp_path,
        """\
        #VER A 1 20240115 "Åtgärd"
        {
        #TRANS 5011 {1 "Kök"} 100.00 20240115 "Hyra Åsö, ändrad"
        #TRANS 1930 {} -100.00
        }
        """,
    )
    assert (tmp_path / "x.se").read_bytes().count("ö".encode("cp437")) == 2
    frame, notes = load(path)
    assert table(frame, "account", "ansvar", "text") == [
        ("5011", "Kök", "Hyra Åsö, ändrad"),
        ("1930", None, "Åtgärd"),
    ]
    assert not [n for n in notes if "UTF-8" in n], notes


def test_utf8_file_is_read_as_utf8_with_a_note(tmp_path: Path) -> None:
    path = sie(tmp_path, VOUCHER.replace("Lön", "Lön åäö"), encoding="utf-8")
    frame, notes = load(path)
    assert table(frame, "account", "amount", "text") == [("5011", 100000, "Lön åäö"), ("1930", -100000, "Lön åäö")]
    assert any(n.startswith("x.se:") and "UTF-8" in n and "--encoding cp437" in n for n in notes), notes


def test_encoding_option_overrides_the_guess(tmp_path: Path) -> None:
    path = sie(tmp_path, VOUCHER, encoding="utf-8")
    frame, notes = load(path, encoding="cp437")
    # the UTF-8 bytes of "ö" read as two CP437 characters, as asked
    misread = "Lön".encode().decode("cp437")
    assert misread == "L├╢n"
    assert table(frame, "account", "text") == [("5011", misread), ("1930", misread)]
    assert not [n for n in notes if "UTF-8" in n], notes


def test_unknown_encoding_is_a_usage_error(tmp_path: Path) -> None:
    """An --encoding that does not exist is a bad option value: exit 2, said once."""
    path = sie(tmp_path, VOUCHER)
    errors = error_lines(run("variance", path, "--encoding", "klingon-8", ok=False), 2)
    assert errors == ["Error: --encoding klingon-8: no such encoding"]


# --- what becomes what -----------------------------------------------------------------------------


def test_trans_is_outcome_dated_by_its_voucher(tmp_path: Path) -> None:
    path = sie(
        tmp_path,
        """\
        #VER B 7 20240331 "Mars"
        {
        #TRANS 5011 {} 300.00 20240405 "transdatum i april"
        #TRANS 1930 {} -300.00
        }
        #VER B 8 20231231
        {
        #TRANS 5011 {} 50.00
        #TRANS 1930 {} -50.00
        }
        """,
    )
    assert rows(path) == [
        (2024, 3, "utfall", "5011", 30000, FIRST + 2),
        (2024, 3, "utfall", "1930", -30000, FIRST + 3),
        (2023, 12, "utfall", "5011", 5000, FIRST + 7),
        (2023, 12, "utfall", "1930", -5000, FIRST + 8),
    ]


def test_psaldo_pbudget_and_previous_year(tmp_path: Path) -> None:
    path = sie(
        tmp_path,
        """\
        #PSALDO 0 202401 5011 {} 100.00
        #PSALDO 0 202402 5011 {} 110.00
        #PBUDGET 0 202401 5011 {} 120.00
        #PSALDO -1 202301 5011 {} 90.00
        #PBUDGET -1 202312 3111 {} -80.00
        """,
        head=TYPE2_HEAD,
    )
    assert rows(path) == [
        (2024, 1, "utfall", "5011", 10000, FIRST),
        (2024, 2, "utfall", "5011", 11000, FIRST + 1),
        (2024, 1, "budget", "5011", 12000, FIRST + 2),
        (2023, 1, "utfall", "5011", 9000, FIRST + 3),
        (2023, 12, "budget", "3111", -8000, FIRST + 4),
    ]


def test_vouchers_win_over_psaldo(tmp_path: Path) -> None:
    path = sie(tmp_path, VOUCHER + "#PSALDO 0 202401 5011 {} 1000.00\n#PBUDGET 0 202401 5011 {} 900.00\n")
    frame, _ = load(path)
    assert table(frame, "version", "account", "amount", "line") == [
        ("utfall", "5011", 100000, FIRST + 2),
        ("utfall", "1930", -100000, FIRST + 3),
        ("budget", "5011", 90000, FIRST + 6),
    ]
    assert frame.attrs["sie_checks"] == []  # the #PSALDO agrees with the vouchers


def test_psaldo_that_differs_from_the_vouchers_is_a_finding(tmp_path: Path) -> None:
    path = sie(tmp_path, VOUCHER + "#PSALDO 0 202401 5011 {} 1100.00\n")
    assert [r[3:5] for r in rows(path)] == [("5011", 100000), ("1930", -100000)]
    report, code = reconcile_json(path)
    assert code == 0  # a warning
    assert check(report, "sie-period-balance")["status"] == "warn"
    (finding,) = findings(report, "sie-period-balance")
    assert finding["severity"] == "warning"
    assert finding["figures"] == {"file": "x.se", "key": ["2024", "1", "5011"], "stated_kr": 1100.0, "rows_kr": 1000.0}


def test_res_that_differs_is_a_sie_result_warning(tmp_path: Path) -> None:
    path = sie(
        tmp_path,
        """\
        #PSALDO 0 202401 5011 {} 100.00
        #PSALDO 0 202402 5011 {} 100.00
        #PSALDO 0 202401 3111 {} -150.00
        #RES 0 5011 250.00
        #RES 0 3111 -150.00
        """,
        head=TYPE2_HEAD,
    )
    assert [r[3:5] for r in rows(path)] == [("5011", 10000), ("5011", 10000), ("3111", -15000)]
    report, code = reconcile_json(path)
    assert code == 0
    (finding,) = findings(report, "sie-result")
    assert finding["severity"] == "warning"
    assert finding["figures"] == {"file": "x.se", "key": ["2024", "5011"], "stated_kr": 250.0, "rows_kr": 200.0}
    assert check(report, "sie-result")["status"] == "warn"


def test_rtrans_and_btrans_are_not_rows(tmp_path: Path) -> None:
    path = sie(
        tmp_path,
        """\
        #VER A 1 20240115
        {
        #TRANS 5011 {} 100.00
        #BTRANS 5011 {} 100.00
        #RTRANS 5012 {} 100.00
        #TRANS 5012 {} 100.00
        #TRANS 1930 {} -200.00
        }
        """,
    )
    frame, _ = load(path)
    assert table(frame, "account", "amount", "line") == [
        ("5011", 10000, FIRST + 2),
        ("5012", 10000, FIRST + 5),
        ("1930", -20000, FIRST + 6),
    ]
    assert frame.attrs["sie_checks"] == []  # the voucher balances without the #RTRANS/#BTRANS


def test_ib_and_ub_are_not_rows(tmp_path: Path) -> None:
    path = sie(
        tmp_path,
        """\
        #IB 0 1930 5000.00
        #UB 0 1930 4000.00
        #IB -1 1930 3000.00
        #UB -1 1930 5000.00
        #OIB 0 1930 {1 "100"} 5000.00
        """
        + VOUCHER,
    )
    assert rows(path, "account", "amount") == [("5011", 100000), ("1930", -100000)]


def test_type1_results_are_outcome_in_the_last_month(tmp_path: Path) -> None:
    head = "#FLAGGA 0\n#FORMAT PC8\n#SIETYP 1\n#RAR 0 20240101 20241231\n#RAR -1 20230101 20231231\n"
    path = sie(
        tmp_path,
        """\
        #UB 0 1930 100.00
        #RES 0 5011 1000.00
        #RES 0 3111 -400.50
        #RES -1 5011 900
        """,
        head=head,
    )
    frame, notes = load(path)
    assert table(frame, "year", "period", "version", "account", "amount", "line") == [
        (2024, 12, "utfall", "5011", 100000, FIRST + 1),
        (2024, 12, "utfall", "3111", -40050, FIRST + 2),
        (2023, 12, "utfall", "5011", 90000, FIRST + 3),
    ]
    assert any("x.se" in n and "full-year results only (#RES)" in n and "last month" in n for n in notes), notes


def test_type3_totals_are_not_double_counted(tmp_path: Path) -> None:
    head = TYPE2_HEAD.replace("#SIETYP 2", "#SIETYP 3")
    path = sie(
        tmp_path,
        """\
        #PSALDO 0 202401 5011 {} 300.00
        #PSALDO 0 202401 5011 {1 "100"} 100.00
        #PSALDO 0 202401 5011 {1 "200"} 200.00
        #PSALDO 0 202401 5011 {6 "P1"} 300.00
        #PBUDGET 0 202401 5011 {} 500.00
        #PBUDGET 0 202401 5011 {1 "100"} 500.00
        #PSALDO 0 202401 3111 {} -70.00
        """,
        head=head,
    )
    frame, notes = load(path)
    assert table(frame, "version", "account", "amount", "ansvar", "projekt", "line") == [
        ("utfall", "5011", 10000, "100", None, FIRST + 1),
        ("utfall", "5011", 20000, "200", None, FIRST + 2),
        ("budget", "5011", 50000, "100", None, FIRST + 5),
        ("utfall", "3111", -7000, None, None, FIRST + 6),
    ]
    outcome = frame[(frame["version"] == "utfall") & (frame["account"] == "5011")]
    assert outcome["amount"].sum() == 30000  # = the {} total
    assert not [n for n in notes if "do not sum" in n], notes


# --- broken fiscal year ---------------------------------------------------------------------------

BROKEN_HEAD = """\
#FLAGGA 0
#FORMAT PC8
#SIETYP 4
#RAR 0 20230701 20240630
#RAR -1 20220701 20230630
"""


def test_broken_fiscal_year_rows(tmp_path: Path) -> None:
    path = sie(
        tmp_path,
        """\
        #VER A 1 20230705
        {
        #TRANS 5011 {} 100.00
        #TRANS 1930 {} -100.00
        }
        #VER A 2 20240630
        {
        #TRANS 5011 {} 200.00
        #TRANS 1930 {} -200.00
        }
        #VER A 3 20220801
        {
        #TRANS 5011 {} 80.00
        #TRANS 1930 {} -80.00
        }
        #PBUDGET 0 202307 5011 {} 150.00
        #PBUDGET 0 202401 5011 {} 160.00
        """,
        head=BROKEN_HEAD,
    )
    frame, _ = load(path)
    assert [r for r in table(frame, "year", "period", "version", "account", "amount") if r[3] == "5011"] == [
        (2024, 1, "utfall", "5011", 10000),
        (2024, 12, "utfall", "5011", 20000),
        (2023, 2, "utfall", "5011", 8000),
        (2024, 1, "budget", "5011", 15000),
        (2024, 7, "budget", "5011", 16000),
    ]
    assert frame.attrs["year_labels"] == {2024: "2023/24", 2023: "2022/23"}


def test_broken_fiscal_year_headers(tmp_path: Path) -> None:
    path = sie(
        tmp_path,
        """\
        #VER A 1 20230705
        {
        #TRANS 5011 {} 100.00
        #TRANS 1930 {} -100.00
        }
        #VER A 2 20220710
        {
        #TRANS 5011 {} 80.00
        #TRANS 1930 {} -80.00
        }
        #PBUDGET 0 202307 5011 {} 150.00
        #PBUDGET 0 202402 5011 {} 150.00
        """,
        head=BROKEN_HEAD,
    )
    report = variance_json(path)
    assert (report["year"], report["through"]) == (2024, 1)
    assert [c["header"] for c in report["columns"]] == [
        "Budget 2023/24",
        "Prognos helår 2023/24",
        "Avv. prognos/budget 2023/24",
        "Delårsbokslut 2023/24",
        "Delårsbokslut 2022/23",
        "Diff. utfall 2022/23–2023/24",
    ]
    personnel = values(report, "Personalkostnader")
    assert (personnel["budget"], personnel["outcome"], personnel["outcome_previous"]) == (-300, -100, -80)


# --- dimensions -----------------------------------------------------------------------------------

DIMS = """\
#DIM 1 "Ansvar"
#DIM 6 "Projekt"
#DIM 20 "Verksamhet"
#VER A 1 20240115
{
#TRANS 5011 {1 "100" 6 "P9" 20 "10100"} 100.00
#TRANS 5011 {20 "20200"} 200.00
#TRANS 1930 {} -300.00
}
"""


def test_default_and_named_dimensions(tmp_path: Path) -> None:
    path = sie(tmp_path, DIMS)
    assert rows(path, "account", "amount", "ansvar", "projekt", "verksamhet") == [
        ("5011", 10000, "100", "P9", "10100"),
        ("5011", 20000, None, None, "20200"),
        ("1930", -30000, None, None, None),
    ]


def test_dim_option_overrides_the_dim_name(tmp_path: Path) -> None:
    path = sie(tmp_path, DIMS)
    frame, _ = load(path, dims={20: "motpart"})
    assert table(frame, "amount", "ansvar", "motpart") == [
        (10000, "100", "10100"),
        (20000, None, "20200"),
        (-30000, None, None),
    ]
    assert "verksamhet" not in frame or frame["verksamhet"].isna().all()


def test_dim_option_through_the_cli(tmp_path: Path) -> None:
    path = sie(tmp_path, DIMS)
    report = variance_json(path, "--dim", "20=motpart", "--where", "motpart=202")
    assert values(report, "Personalkostnader")["outcome"] == -200


def test_dim_option_with_an_unknown_column_is_a_usage_error(tmp_path: Path) -> None:
    path = sie(tmp_path, DIMS)
    errors = error_lines(run("variance", path, "--dim", "7=foo", ok=False), 2)
    assert any("7=foo" in e and "--dim" in e for e in errors), errors


def test_where_filters_sie_rows(tmp_path: Path) -> None:
    path = sie(tmp_path, DIMS)
    assert values(variance_json(path), "Personalkostnader")["outcome"] == -300
    assert values(variance_json(path, "--where", "verksamhet=101"), "Personalkostnader")["outcome"] == -100
    assert values(variance_json(path, "--where", "ansvar=100"), "Personalkostnader")["outcome"] == -100


# --- detection ------------------------------------------------------------------------------------


def test_a_txt_file_starting_with_flagga_is_sie(tmp_path: Path) -> None:
    path = sie(tmp_path, VOUCHER, name="export.txt")
    frame, _ = load(path)
    assert table(frame, "year", "period", "version", "account", "amount", "source", "line") == [
        (2024, 1, "utfall", "5011", 100000, "export.txt", FIRST + 2),
        (2024, 1, "utfall", "1930", -100000, "export.txt", FIRST + 3),
    ]


def test_sie_with_a_forecast_csv(tmp_path: Path) -> None:
    path = sie(tmp_path, VOUCHER + "#PBUDGET 0 202401 5011 {} 1200\n")
    forecast = write(tmp_path / "prognos.csv", "år;period;konto;ansvar;belopp\n2024;12;5011;100;1500,00\n")
    report = variance_json(path, "--forecast", forecast)
    personnel = values(report, "Personalkostnader")
    assert (personnel["budget"], personnel["forecast"], personnel["outcome"]) == (-1200, -1500, -1000)


def test_sie_given_as_budget_is_an_error(tmp_path: Path) -> None:
    ledger = sie(tmp_path, VOUCHER, name="a.se")
    budget = sie(tmp_path, VOUCHER, name="x.se")
    errors = error_lines(run("variance", ledger, "--budget", budget, ok=False), 3)
    assert any("x.se" in e and "LEDGER" in e for e in errors), errors


# --- errors ----------------------------------------------------------------------------------------


def variance_fails(path: Path, code: int = 3) -> list[str]:
    return error_lines(run("variance", path, ok=False), code)


@pytest.mark.parametrize("amount", ["12,50", "1.234", "+5.00", "1 000"])
def test_bad_amount(tmp_path: Path, amount: str) -> None:
    body = VOUCHER.replace("#TRANS 1930 {} -1000.00", f'#TRANS 1930 {{}} "{amount}"')
    errors = variance_fails(sie(tmp_path, body))
    assert any(e.startswith(f"Error: x.se:{FIRST + 3}:") and amount in e for e in errors), errors


def test_bad_voucher_date(tmp_path: Path) -> None:
    errors = variance_fails(sie(tmp_path, VOUCHER.replace("20240115", "2024-01-15")))
    assert any(e.startswith(f"Error: x.se:{FIRST}:") and "2024-01-15" in e for e in errors), errors


def test_voucher_date_outside_the_fiscal_years(tmp_path: Path) -> None:
    errors = variance_fails(sie(tmp_path, VOUCHER.replace("20240115", "20200115")))
    assert any(e.startswith(f"Error: x.se:{FIRST}:") and "20200" in e for e in errors), errors


def test_trans_outside_a_voucher(tmp_path: Path) -> None:
    errors = variance_fails(sie(tmp_path, "#TRANS 5011 {} 100.00\n" + VOUCHER))
    assert any(e.startswith(f"Error: x.se:{FIRST}:") and "#VER" in e for e in errors), errors


def test_trans_in_a_file_without_vouchers(tmp_path: Path) -> None:
    """No #VER at all: each #TRANS is named, no internal error."""
    errors = variance_fails(sie(tmp_path, "#TRANS 5011 {} 100.00\n#TRANS 1930 {} -100.00\n"))
    assert [e for e in errors if "#VER" in e] == [
        f"Error: x.se:{FIRST}: #TRANS outside a #VER {{ … }}",
        f"Error: x.se:{FIRST + 1}: #TRANS outside a #VER {{ … }}",
    ], errors


def test_texts_are_read_only_when_asked_for(tmp_path: Path) -> None:
    """read_sie(details=False): the same rows and öre, no text or voucher column (variance
    reads neither)."""
    from kfollow.read.sie import read_sie

    path = sie(tmp_path, VOUCHER)
    with_text, without = read_sie(path).frame, read_sie(path, details=False).frame
    assert "text" in with_text and "text" not in without
    assert with_text["voucher"].tolist() == ["A 1", "A 1"] and "voucher" not in without
    assert without["amount"].tolist() == with_text["amount"].tolist() == [100000, -100000]


def test_psaldo_period_outside_the_fiscal_year(tmp_path: Path) -> None:
    path = sie(tmp_path, "#PSALDO 0 202401 5011 {} 1.00\n#PSALDO 0 202413 5011 {} 100.00\n", head=TYPE2_HEAD)
    errors = variance_fails(path)
    assert any(e.startswith(f"Error: x.se:{FIRST + 1}:") and "202413" in e for e in errors), errors


def test_psaldo_of_a_year_with_no_rar(tmp_path: Path) -> None:
    path = sie(tmp_path, "#PSALDO 0 202401 5011 {} 1.00\n#PSALDO -2 202201 5011 {} 100.00\n", head=TYPE2_HEAD)
    errors = variance_fails(path)
    assert any(e.startswith(f"Error: x.se:{FIRST + 1}:") and "-2" in e for e in errors), errors


def test_a_line_that_is_no_record(tmp_path: Path) -> None:
    errors = variance_fails(sie(tmp_path, VOUCHER + "garbage\n"))
    assert any(e.startswith(f"Error: x.se:{FIRST + 5}:") and "garbage" in e for e in errors), errors


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    body = """\
    garbage
    #TRANS 5011 {} 1.00
    #VER A 1 2024011
    {
    #TRANS 5011 {} 12,50
    #TRANS 1930 {} -12.50
    }
    """
    errors = variance_fails(sie(tmp_path, body))
    for line in (FIRST, FIRST + 1, FIRST + 2, FIRST + 4):
        assert any(e.startswith(f"Error: x.se:{line}:") for e in errors), (line, errors)


# --- #KSUMMA (domain.md §3.6) ------------------------------------------------------------------------


def ksumma_fields(line: str) -> str:
    """A record as #KSUMMA reads it: label and fields concatenated, no quotes, braces or spaces."""
    out, i = [], 0
    while i < len(line):
        if line[i] in " \t{}":
            i += 1
        elif line[i] == '"':
            i += 1
            while i < len(line) and line[i] != '"':
                if line[i] == "\\" and i + 1 < len(line) and line[i + 1] == '"':
                    i += 1
                out.append(line[i])
                i += 1
            i += 1
        else:
            out.append(line[i])
            i += 1
    return "".join(out)


def ksumma_file(tmp_path: Path, body: str) -> tuple[Path, str]:
    records = (HEAD.replace("#FLAGGA 0\n", "") + body).splitlines()
    crc = zlib.crc32("".join(ksumma_fields(r) for r in records).encode("cp437"))
    text = "#FLAGGA 0\n#KSUMMA\n" + "\n".join(records) + f"\n#KSUMMA {crc}\n"
    path = tmp_path / "k.se"
    path.write_bytes(text.encode("cp437"))
    return path, text


def test_ksumma_that_matches(tmp_path: Path) -> None:
    path, _ = ksumma_file(tmp_path, VOUCHER.replace("Lön", 'Lön \\"x\\" för åäö'))
    frame, _ = load(path)
    assert table(frame, "account", "amount") == [("5011", 100000), ("1930", -100000)]


def test_ksumma_that_does_not_match(tmp_path: Path) -> None:
    path, text = ksumma_file(tmp_path, VOUCHER)
    path.write_bytes(text.replace("1000.00", "1000.01", 1).encode("cp437"))
    last = text.count("\n")
    errors = variance_fails(path)
    assert any(e.startswith(f"Error: k.se:{last}:") and "#KSUMMA" in e for e in errors), errors


def test_ksumma_without_its_closing_record(tmp_path: Path) -> None:
    path, text = ksumma_file(tmp_path, VOUCHER)
    path.write_bytes(text[: text.rindex("#KSUMMA")].encode("cp437"))
    errors = variance_fails(path)
    assert any("k.se" in e and "closing #KSUMMA" in e for e in errors), errors


# --- reconcile --------------------------------------------------------------------------------------


def test_unbalanced_voucher_is_a_reconcile_error(tmp_path: Path) -> None:
    path = sie(tmp_path, VOUCHER + '#VER "B" "17" 20240120 "Fel"\n{\n#TRANS 5011 {} 10.00\n#TRANS 1930 {} -9.50\n}\n')
    # the rows are still read
    assert [r[3:5] for r in rows(path)][-2:] == [("5011", 1000), ("1930", -950)]
    report, code = reconcile_json(path)
    assert code == 1
    assert check(report, "sie-voucher-balance")["status"] == "fail"
    (finding,) = findings(report, "sie-voucher-balance")
    assert finding["severity"] == "error"
    assert finding["sources"] == [f"x.se:{FIRST + 5}"]
    assert finding["figures"] == {"file": "x.se", "series": "B", "number": "17", "sum_kr": 0.5}
    assert "B 17" in finding["message"]


def test_balanced_file_passes_the_sie_checks(tmp_path: Path) -> None:
    path = sie(tmp_path, VOUCHER + "#PSALDO 0 202401 5011 {} 1000.00\n#RES 0 5011 1000.00\n")
    report, code = reconcile_json(path)
    assert code == 0
    for name in ("sie-voucher-balance", "sie-result", "sie-period-balance"):
        assert check(report, name)["status"] == "pass", check(report, name)
        assert findings(report, name) == []


def test_sie_checks_are_skipped_without_an_sie_file(tmp_path: Path) -> None:
    ledger = write(
        tmp_path / "ledger.csv",
        """\
        år;period;version;konto;belopp
        2024;1;utfall;5011;100,00
        2024;1;budget;5011;100,00
        """,
    )
    report, _ = reconcile_json(ledger)
    for name in ("sie-voucher-balance", "sie-result", "sie-period-balance"):
        assert check(report, name)["status"] == "skipped", check(report, name)


def test_loaderror_names_every_problem(tmp_path: Path) -> None:
    """The library raises one LoadError carrying each problem as a line."""
    path = sie(tmp_path, VOUCHER.replace("1000.00", "1000,00") + "garbage\n")
    with pytest.raises(LoadError) as caught:
        load(path)
    lines = sorted(int(p.split(":")[1]) for p in caught.value.problems)
    assert lines == [FIRST + 2, FIRST + 3, FIRST + 5], caught.value.problems


# --- cut-short and misplaced records, impossible dates, BOMs ----------------------------------------


def test_trans_after_a_closed_voucher_is_outside_a_ver(tmp_path: Path) -> None:
    """A #TRANS after a voucher's closing `}` belongs to no #VER (spec 4B: only inside #VER { }):
    an error naming its line, not a row of the voucher above it."""
    path = sie(tmp_path, VOUCHER + "#TRANS 5011 {} 7.00\n")
    errors = variance_fails(path)
    assert any(e.startswith(f"Error: x.se:{FIRST + 5}:") and "#VER" in e for e in errors), errors


@pytest.mark.parametrize(
    "head, date",
    [(BROKEN_HEAD, "20231315"), ('#FLAGGA 0\n#FORMAT PC8\n#SIETYP 4\n#RAR 0 "" ""\n#FNAMN "K"\n', "20241315")],
    ids=["broken-year", "calendar-fallback"],
)
def test_voucher_date_with_month_13_is_an_error(tmp_path: Path, head: str, date: str) -> None:
    """A voucher date must be a real date: month 13 is an error naming the #VER line, in a
    July–June year (where it could pass for a later month) and in calendar years alike."""
    path = sie(tmp_path, VOUCHER.replace("20240115", date), head=head)
    errors = variance_fails(path)
    assert any(e.startswith(f"Error: x.se:{FIRST}:") and date in e for e in errors), errors


@pytest.mark.parametrize(
    "record",
    ["#TRANS 5011 {}", '#TRANS 5011 {1 "100"}', "#TRANS 5011"],
)
def test_trans_without_an_amount_is_an_error(tmp_path: Path, record: str) -> None:
    """A #TRANS cut short before its amount (a truncated export) is an error for its line; never
    account '501' with 1.00 kr taken from the digits of 5011."""
    path = sie(tmp_path, VOUCHER.replace("#TRANS 1930 {} -1000.00", record))
    errors = variance_fails(path)
    assert any(e.startswith(f"Error: x.se:{FIRST + 3}:") for e in errors), errors


def test_psaldo_without_an_amount_is_an_error(tmp_path: Path) -> None:
    """As for #TRANS: `#PSALDO 0 202402 5011 {}` without its amount is an error for its line."""
    path = sie(tmp_path, "#PSALDO 0 202401 5011 {} 100.00\n#PSALDO 0 202402 5011 {}\n", head=TYPE2_HEAD)
    errors = variance_fails(path)
    assert any(e.startswith(f"Error: x.se:{FIRST + 1}:") for e in errors), errors


def test_explicit_utf8_encoding_with_a_bom(tmp_path: Path) -> None:
    """A UTF-8 BOM is dropped with --encoding utf-8 as when the encoding is guessed."""
    path = tmp_path / "x.se"
    path.write_bytes(b"\xef\xbb\xbf" + (HEAD + VOUCHER).encode("utf-8"))
    frame, _ = load(path, encoding="utf-8")
    assert table(frame, "account", "amount", "text") == [("5011", 100000, "Lön"), ("1930", -100000, "Lön")]


def test_each_voucher_outside_the_fiscal_years_is_reported_once(tmp_path: Path) -> None:
    """'In no fiscal year' is said once per voucher, naming its #VER line: a long voucher does
    not crowd out the next one."""
    body = "#VER A 1 20200115\n{\n" + "#TRANS 5011 {} 1.00\n#TRANS 1930 {} -1.00\n" * 13 + "}\n"
    second = FIRST + body.count("\n")
    body += "#VER A 2 20190115\n{\n#TRANS 5011 {} 1.00\n#TRANS 1930 {} -1.00\n}\n"
    errors = variance_fails(sie(tmp_path, body))
    assert len(errors) == len(set(errors)), errors
    assert any(e.startswith(f"Error: x.se:{second}:") for e in errors), errors


# --- after review: dimensions, object lines without totals, one-line vouchers, odd bytes --------


def test_dim_option_replaces_the_default_dimension(tmp_path: Path) -> None:
    """--dim 20=ansvar: dimension 20 is ansvar, and dimension 1 no longer is."""
    path = sie(tmp_path, '#VER A 1 20240115\n{\n#TRANS 3010 {1 "K1" 20 "A20"} -100.00\n#TRANS 1930 {} 100.00\n}\n')
    assert rows(path, "account", "ansvar") == [("3010", "K1"), ("1930", None)]
    assert rows(path, "account", "ansvar", dims={20: "ansvar"}) == [("3010", "A20"), ("1930", None)]


def test_object_lines_without_a_total_count_one_dimension_set(tmp_path: Path) -> None:
    """No {} line: sets that sum alike repeat one total (the richest set counts); sets that
    differ count one set, never several (issue 11): the lowest-numbered dimensions', here
    dimension 1: 3010 is −60 ({1 "A"}, not −60 − 40), 5010 is 30 ({1 "A"} + {1 "B"})."""
    path = sie(
        tmp_path,
        """
        #PSALDO 0 202401 3010 {1 "A"} -60.00
        #PSALDO 0 202401 3010 {6 "P"} -40.00
        #PSALDO 0 202401 4010 {1 "A"} 30.00
        #PSALDO 0 202401 4010 {6 "P"} 30.00
        #PSALDO 0 202401 5010 {1 "A"} 10.00
        #PSALDO 0 202401 5010 {1 "B"} 20.00
        #PSALDO 0 202401 5010 {1 "A" 6 "P"} 10.00
        """,
        head=TYPE2_HEAD.replace("#SIETYP 2", "#SIETYP 3"),
    )
    frame, notes = load(path)
    sums = frame.groupby("account", observed=True)["amount"].sum().to_dict()
    assert sums == {"3010": -6000, "4010": 3000, "5010": 3000}
    assert table(frame, "account", "ansvar", "projekt") == [
        ("3010", "A", None),
        ("4010", "A", None),
        ("5010", "A", None),
        ("5010", "B", None),
    ]
    assert any("2 account and period(s) without a total line" in n for n in notes), notes


def test_a_voucher_on_one_line_is_an_error(tmp_path: Path) -> None:
    """'#VER … { #TRANS … }' on one line would lose its #TRANS: an error naming the line."""
    path = sie(tmp_path, '#VER A 2 20240115 "x" { #TRANS 3010 {} -500.00 }\n')
    errors = error_lines(run("convert", path, ok=False), 3)
    assert errors == [f"Error: x.se:{FIRST}: #VER: its {{, #TRANS and }} must stand on lines of their own"]


def test_utf16_with_a_byte_order_mark(tmp_path: Path) -> None:
    """A file saved as 'Unicode' (UTF-16 with BOM) is read by its byte-order mark."""
    path = tmp_path / "x.se"
    path.write_bytes((HEAD + VOUCHER).encode("utf-16"))
    assert rows(path, "account", "amount") == [("5011", 100000), ("1930", -100000)]


def test_a_nul_byte_is_an_error_naming_its_line(tmp_path: Path) -> None:
    path = sie(tmp_path, VOUCHER.replace("5011", "50\x0011"))
    errors = error_lines(run("convert", path, ok=False), 3)
    assert errors[0].startswith(f"Error: x.se:{FIRST + 2}: a NUL byte")


def test_cr_only_line_ends(tmp_path: Path) -> None:
    """Old Mac line ends (CR alone) are line ends."""
    path = tmp_path / "x.se"
    path.write_bytes((HEAD + VOUCHER).replace("\n", "\r").encode("cp437"))
    assert rows(path, "account", "amount") == [("5011", 100000), ("1930", -100000)]


def test_a_quoted_object_id_may_hold_a_brace(tmp_path: Path) -> None:
    path = sie(tmp_path, '#VER A 1 20240115\n{\n#TRANS 3010 {6 "P}1"} -100.00\n#TRANS 1930 {} 100.00\n}\n')
    assert rows(path, "account", "projekt") == [("3010", "P}1"), ("1930", None)]


def test_sie_notes_and_failed_checks_reach_the_user(tmp_path: Path) -> None:
    """reconcile files SIE notes as sie-note (not sign-convention); variance warns on stderr
    when the file's own checks fail, pointing to reconcile."""
    path = sie(tmp_path, "#VER A 1 20240115\n{\n#TRANS 5011 {} 12.00\n#TRANS 1930 {} -10.00\n}\n")
    path.write_bytes(path.read_bytes().replace(b"#FORMAT PC8", '#FNAMN "Kommun Å"\n#FORMAT PC8'.encode()))
    report, code = reconcile_json(path, "--sign", "ledger")
    assert code == 1
    assert {f["code"] for f in report["findings"] if f["code"].startswith("sie-")} == {
        "sie-voucher-balance",
        "sie-note",
    }
    result = run("variance", path, "--allow-unmapped")
    assert "Warning: 1 check(s) of the SIE file(s) failed" in result.stderr
    assert "kfollow reconcile" in result.stderr and "Warning" not in result.stdout


# --- issue 11: each fiscal year's outcome from the finest record the file has for that year ------

# Vouchers for 2024 (January and February), the previous year as #PSALDO -1 and #RES -1 lines, as
# Avendo, SmallOffice and most systems write a type 4 file.
VOUCHERS_AND_PREVIOUS_BALANCES = """\
#VER A 1 20240115 "Lön"
{
#TRANS 5011 {} 1000.00
#TRANS 1930 {} -1000.00
}
#VER A 2 20240215 "Försäljning"
{
#TRANS 3111 {} -400.00
#TRANS 1930 {} 400.00
}
#PSALDO 0 202401 5011 {} 1000.00
#PSALDO -1 202301 5011 {} 900.00
#PSALDO -1 202302 5011 {} 800.00
#PSALDO -1 202302 3111 {} -300.00
#RES 0 5011 1000.00
#RES 0 3111 -400.00
#RES -1 5011 1700.00
#RES -1 3111 -300.00
"""


def test_previous_year_from_psaldo_beside_vouchers(tmp_path: Path) -> None:
    """Vouchers are 2024's outcome; #PSALDO -1 is 2023's (it has no vouchers); #PSALDO 0 and
    every #RES are only cross-checked (they agree: no finding)."""
    path = sie(tmp_path, VOUCHERS_AND_PREVIOUS_BALANCES)
    frame, _ = load(path)
    assert table(frame, "year", "period", "version", "account", "amount", "line") == [
        (2024, 1, "utfall", "5011", 100000, FIRST + 2),
        (2024, 1, "utfall", "1930", -100000, FIRST + 3),
        (2024, 2, "utfall", "3111", -40000, FIRST + 7),
        (2024, 2, "utfall", "1930", 40000, FIRST + 8),
        (2023, 1, "utfall", "5011", 90000, FIRST + 11),
        (2023, 2, "utfall", "5011", 80000, FIRST + 12),
        (2023, 2, "utfall", "3111", -30000, FIRST + 13),
    ]
    assert frame.attrs["sie_checks"] == []
    assert frame.attrs["full_year_only"] == []
    report = variance_json(path, "--allow-unmapped")
    assert report["through"] == 2
    assert values(report, "Personalkostnader")["outcome_previous"] == -1700
    assert values(report, "Verksamhetens intäkter")["outcome_previous"] == 300
    assert values(report, "Verksamhetens intäkter")["outcome_change"] == 100


def test_previous_year_psaldo_is_cross_checked_against_its_own_res(tmp_path: Path) -> None:
    """A #RES -1 that differs from the #PSALDO -1 it is checked against is a sie-result finding
    for 2023; the vouchers of 2024 are not what 2023 is checked against."""
    path = sie(tmp_path, VOUCHERS_AND_PREVIOUS_BALANCES.replace("#RES -1 5011 1700.00", "#RES -1 5011 1750.00"))
    report, _ = reconcile_json(path)
    (finding,) = findings(report, "sie-result")
    assert finding["figures"] == {"file": "x.se", "key": ["2023", "5011"], "stated_kr": 1750.0, "rows_kr": 1700.0}


def test_a_year_only_res_covers_is_its_full_year_outcome(tmp_path: Path) -> None:
    """Vouchers for 2024 through December, #RES -1 alone for 2023: 2023's outcome is its #RES,
    in its last month, and the full-year columns compare the two years."""
    body = """\
    #VER A 1 20241215 "Lön"
    {
    #TRANS 5011 {} 1000.00
    #TRANS 1930 {} -1000.00
    }
    #RES 0 5011 1000.00
    #RES -1 5011 1700.00
    #RES -1 3111 -300.00
    """
    path = sie(tmp_path, body)
    frame, notes = load(path)
    assert table(frame, "year", "period", "version", "account", "amount", "line") == [
        (2024, 12, "utfall", "5011", 100000, FIRST + 2),
        (2024, 12, "utfall", "1930", -100000, FIRST + 3),
        (2023, 12, "utfall", "5011", 170000, FIRST + 6),
        (2023, 12, "utfall", "3111", -30000, FIRST + 7),
    ]
    assert any("x.se: 2023: full-year results only (#RES)" in n for n in notes), notes
    report = variance_json(path, "--allow-unmapped")
    assert (report["year"], report["through"]) == (2024, 12)
    assert values(report, "Personalkostnader")["outcome_previous"] == -1700


def test_a_part_year_column_from_res_is_an_error(tmp_path: Path) -> None:
    """Vouchers through February 2024, 2023 only as #RES: 'Delårsbokslut 2023' for January–
    February cannot come from a full-year result. The error names the file, the #RES line and
    the way out; --through 12 compares whole years."""
    body = VOUCHERS_AND_PREVIOUS_BALANCES.replace("#PSALDO -1", "#XPSALDO -1")  # unknown records: ignored
    path = sie(tmp_path, body)
    errors = variance_fails(path)
    assert errors == [
        f"Error: x.se:{FIRST + 16}: #RES: the file gives the utfall of 2023 for the whole year only, so the column "
        "'Delårsbokslut 2023' (months 1–2) cannot be taken from it; give --through 12 to compare whole years, or "
        "give a ledger with 2023's utfall by month"
    ]
    config = write(tmp_path / "kfollow.toml", '[investments]\n"Fastigheter" = ["9"]\n')
    assert error_lines(run("investments", path, "--config", config, ok=False), 3) == errors
    assert error_lines(run("reconcile", path, ok=False), 3) == errors
    report = variance_json(path, "--allow-unmapped", "--through", "12")
    assert values(report, "Personalkostnader")["outcome_previous"] == -1700


def test_a_damaged_record_stops_even_a_command_that_would_not_show_it(tmp_path: Path) -> None:
    """README rule: an unreadable #PBUDGET line, or #PSALDO of a year whose vouchers are the
    outcome, stops convert and variance alike, naming each line (a damaged export looks whole)."""
    body = VOUCHER + "#PBUDGET 0 202401 5011 {} 12,50\n#PSALDO 0 5011 202401 {} 1000.00\n"
    path = sie(tmp_path, body)
    for command in ("convert", "variance"):
        errors = error_lines(run(command, path, ok=False), 3)
        assert sorted(e.split(": ")[1] for e in errors) == [f"x.se:{FIRST + 5}", f"x.se:{FIRST + 6}"], errors
        assert any("period '5011': not a month (YYYYMM)" in e for e in errors), errors  # fields swapped


def monthly_salaries(year: int = 2024, months: range = range(1, 13), series: str = "A") -> str:
    """One balanced voucher a month: the same salary, booked alike every month."""
    return "".join(
        f'#VER {series} {m} {year}{m:02d}25 "Lön"\n{{\n#TRANS 5011 {{}} 1000.00\n#TRANS 1930 {{}} -1000.00\n}}\n'
        for m in months
    )


def test_a_whole_year_from_res_has_no_missing_months(tmp_path: Path) -> None:
    """2023 only as #RES (its last month by design): reconcile --strict does not call months
    1–11 of 2023 missing; a gap in 2024's vouchers still is."""
    path = sie(tmp_path, monthly_salaries() + "#RES -1 5011 11000.00\n")
    report, code = reconcile_json(path, "--strict", "--through", "12")
    assert findings(report, "missing-months") == []
    assert code == 1  # no budget and no forecast in an SIE file: real warnings
    assert {f["code"] for f in report["findings"] if f["severity"] != "info"} == {"missing-version"}
    gap = sie(tmp_path, monthly_salaries(months=range(2, 13)) + "#RES -1 5011 11000.00\n", name="gap.se")
    report, _ = reconcile_json(gap, "--through", "12")
    assert [f["figures"] for f in findings(report, "missing-months")] == [{"year": 2024, "months": [1], "through": 12}]


def test_equal_lines_of_two_vouchers_are_no_duplicates(tmp_path: Path) -> None:
    """Two vouchers (A 1, A 2) that book the same salary in one month are two postings; the
    same voucher given twice (a file pasted twice) is a duplicate, named by its voucher."""
    twice = '#VER A 1 20240125 "Lön"\n{\n#TRANS 5011 {} 1000.00\n#TRANS 1930 {} -1000.00\n}\n'
    two = twice + twice.replace("#VER A 1", "#VER A 2")
    report, _ = reconcile_json(sie(tmp_path, two, name="two.se"))
    assert findings(report, "duplicate-rows") == []
    report, _ = reconcile_json(sie(tmp_path, twice + twice, name="pasted.se"))
    found = findings(report, "duplicate-rows")
    assert [f["sources"] for f in found] == [
        [f"pasted.se:{FIRST + 2}", f"pasted.se:{FIRST + 7}"],
        [f"pasted.se:{FIRST + 3}", f"pasted.se:{FIRST + 8}"],
    ]
    assert "verifikation A 1" in found[0]["message"]
