"""The shapes real exports come in (SPEC §1, issue 12): each read as the long format, by the
same loader path for CSV, XLSX and Parquet. Every shape is written here from one small
ledger, next to its long twin, and must give the same ledger rows, value for value (öre per
version, year, month, konto and ansvar), and the same Drift table."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import run, write

from kfollow.errors import LoadError
from kfollow.read import ReadOptions, Source, load_ledger

ACCOUNTS = ("3111", "5011", "6011", "7431", "9111")
ANSVAR = ("100", "200")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "Maj", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dec")
VERSIONS = {"budget": range(1, 13), "prognos": range(1, 13), "utfall": range(1, 9)}
CONFIG = '[accounts]\n"91" = "Kommunbidrag"\n'


def ore(version: str, account: str, ansvar: str, month: int) -> int:
    """A made-up amount in öre, ledger sign: revenue and kommunbidrag negative, costs positive."""
    size = (ACCOUNTS.index(account) + 1) * 10_000_00 + int(ansvar) * 1_37 + month * 11_11 + len(version) * 7
    return -size if account[0] in "39" else size


def kr(value: int) -> str:
    """Öre as Swedish amount text: '-12 345,67'."""
    whole, cents = divmod(abs(value), 100)
    return f"{'-' if value < 0 else ''}{whole:,}".replace(",", " ") + f",{cents:02d}"


def long_rows(year: int = 2024) -> list[list[object]]:
    return [
        [year, month, version, account, ansvar, kr(ore(version, account, ansvar, month))]
        for version, months in VERSIONS.items()
        for account in ACCOUNTS
        for ansvar in ANSVAR
        for month in months
    ]


LONG_HEADER = ["År", "Period", "Version", "Konto", "Ansvar", "Belopp"]

# --- writing a table as CSV, XLSX or Parquet ------------------------------------------------------


def write_table(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    """CSV (';', decimal comma, UTF-8), XLSX (amounts as numbers) or Parquet (text columns,
    an empty cell null), by the ending."""
    if path.suffix == ".csv":
        text = "\n".join(";".join("" if c is None else str(c) for c in row) for row in [header, *rows]) + "\n"
        path.write_text(text, "utf-8")
    elif path.suffix == ".xlsx":
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(header)
        for row in rows:
            sheet.append([_number(c) for c in row])
        book.save(path)
    else:
        columns = list(zip(*rows, strict=True)) if rows else [[] for _ in header]
        texts = {
            name: pa.array([None if c is None else str(c) for c in col], pa.string())
            for name, col in zip(header, columns, strict=True)
        }
        table = pa.table(texts)
        pq.write_table(table, path)
    return path


def _number(cell: object) -> object:
    """Amount text as an Excel number; codes and words stay text."""
    if isinstance(cell, str) and "," in cell:
        return float(cell.replace(" ", "").replace(",", "."))
    return cell


FORMATS = (".csv", ".xlsx", ".parquet")


def sums(sources: list[Source], **options: object) -> Counter:
    frame = load_ledger(sources, ReadOptions(sign="ledger", **options)).frame  # type: ignore[arg-type]
    keys = ["version", "year", "period", "account", "ansvar"]
    grouped = frame.groupby(keys, observed=True)["amount"].sum()
    return Counter({tuple(str(k) for k in key): int(v) for key, v in grouped.items() if v})


def long_twin(tmp_path: Path, rows: list[list[object]] | None = None) -> Counter:
    return sums([Source(write_table(tmp_path / "long.csv", LONG_HEADER, rows or long_rows()))])


def drift(*args: object) -> list[dict]:
    data = json.loads(run("variance", *args, "--format", "json", "--unit", "kr").stdout)
    return [row["values"] for row in data["rows"]]


# --- the shapes -----------------------------------------------------------------------------------


def test_the_long_twin_has_every_row() -> None:
    assert len(long_rows()) == (12 + 12 + 8) * len(ACCOUNTS) * len(ANSVAR)


@pytest.mark.parametrize("suffix", FORMATS)
def test_version_headers_with_the_year(tmp_path: Path, suffix: str) -> None:
    """'Utfall 2024;Budget 2024;Prognos helår 2024': the versions and the year from the headers
    (the issue's lost columns: 'Prognos 2024' was a named forecast, the others dropped)."""
    header = ["Konto", "Ansvar", "Period", "Utfall 2024", "Budget 2024", "Prognos helår 2024"]
    rows = [
        [a, r, m, *(kr(ore(v, a, r, m)) if m in VERSIONS[v] else None for v in ("utfall", "budget", "prognos"))]
        for a in ACCOUNTS
        for r in ANSVAR
        for m in range(1, 13)
    ]
    path = write_table(tmp_path / f"wide{suffix}", header, rows)
    assert sums([Source(path)]) == long_twin(tmp_path)
    config = write(tmp_path / "kfollow.toml", CONFIG)
    assert drift(path, "--config", config) == drift(tmp_path / "long.csv", "--config", config)


@pytest.mark.parametrize("suffix", FORMATS)
@pytest.mark.parametrize(
    "months",
    [MONTHS, [m.lower() + "uari" if m == "Jan" else m for m in MONTHS], [f"2024{m:02d}" for m in range(1, 13)]],
    ids=["Jan", "januari", "202401"],
)
def test_one_column_per_month_with_a_version_column(tmp_path: Path, suffix: str, months: list[str]) -> None:
    """År;Version;Konto;Ansvar;Jan;…;Dec (or 202401…): a row per month."""
    header = ["År", "Version", "Konto", "Ansvar", *months]
    rows = [
        [2024, v, a, r, *(kr(ore(v, a, r, m)) if m in VERSIONS[v] else None for m in range(1, 13))]
        for v in VERSIONS
        for a in ACCOUNTS
        for r in ANSVAR
    ]
    path = write_table(tmp_path / f"months{suffix}", header, rows)
    assert sums([Source(path)]) == long_twin(tmp_path)


@pytest.mark.parametrize("suffix", FORMATS)
def test_month_columns_of_a_budget_file_take_the_year_from_the_option(tmp_path: Path, suffix: str) -> None:
    """Konto;Ansvar;Jan;…;Dec given as --budget, with --year 2024 (ReadOptions.year), as budget
    exports come; and 'Utfall jan'-style headers that name the version as well."""
    budget = [[a, r, *(kr(ore("budget", a, r, m)) for m in range(1, 13))] for a in ACCOUNTS for r in ANSVAR]
    path = write_table(tmp_path / f"budget{suffix}", ["Konto", "Ansvar", *MONTHS], budget)
    twin = [row for row in long_rows() if row[2] == "budget"]
    assert sums([Source(path, "budget")], year=2024) == long_twin(tmp_path, twin)
    with pytest.raises(LoadError, match=r"no year: .*--year YEAR"):
        sums([Source(path, "budget")])
    named = [[2024, a, r, *(kr(ore("utfall", a, r, m)) for m in range(1, 9))] for a in ACCOUNTS for r in ANSVAR]
    outcome = write_table(
        tmp_path / f"utfall{suffix}", ["År", "Konto", "Ansvar", *(f"Utfall {m}" for m in MONTHS[:8])], named
    )
    twin = [row for row in long_rows() if row[2] == "utfall"]
    assert sums([Source(outcome)]) == long_twin(tmp_path, twin)


@pytest.mark.parametrize("suffix", FORMATS)
def test_debit_and_credit(tmp_path: Path, suffix: str) -> None:
    """Debet;Kredit: amount = debet − kredit; a cost in Debet, revenue in Kredit."""
    rows = []
    for year, month, version, account, ansvar, _ in long_rows():
        value = ore(str(version), str(account), str(ansvar), int(month))  # type: ignore[arg-type]
        debit, credit = (kr(value), None) if value > 0 else (None, kr(-value))
        rows.append([year, month, version, account, ansvar, debit, credit])
    path = write_table(
        tmp_path / f"dk{suffix}", ["År", "Period", "Version", "Konto", "Ansvar", "Debet", "Kredit"], rows
    )
    assert sums([Source(path)]) == long_twin(tmp_path)


@pytest.mark.parametrize("suffix", FORMATS)
@pytest.mark.parametrize("style", ["%Y-%m-%d", "%Y%m%d"])
def test_a_date_instead_of_a_period(tmp_path: Path, suffix: str, style: str) -> None:
    """Bokföringsdatum (2024-03-15 or 20240315): the year and month of the date."""
    import datetime

    rows = [
        [datetime.date(int(y), int(m), 15).strftime(style), v, a, r, amount]  # type: ignore[call-overload]
        for y, m, v, a, r, amount in long_rows()
    ]
    path = write_table(tmp_path / f"dated{suffix}", ["Bokföringsdatum", "Version", "Konto", "Ansvar", "Belopp"], rows)
    assert sums([Source(path)]) == long_twin(tmp_path)


@pytest.mark.parametrize("suffix", FORMATS)
def test_a_whole_year_budget(tmp_path: Path, suffix: str) -> None:
    """A budget with one amount per account and year, no period: month 12. It counts in the
    full-year columns (the same Drift table as the twin's budget in December); a period budget
    from it is an error naming the file."""
    totals: Counter = Counter()
    for a in ACCOUNTS:
        for r in ANSVAR:
            totals[a, r] = sum(ore("budget", a, r, m) for m in range(1, 13))
    rows = [[2024, a, r, kr(value)] for (a, r), value in totals.items()]
    path = write_table(tmp_path / f"year{suffix}", ["År", "Konto", "Ansvar", "Belopp"], rows)
    twin = [row for row in long_rows() if row[2] != "budget"] + [
        [2024, 12, "budget", a, r, kr(v)] for (a, r), v in totals.items()
    ]
    outcome = write_table(tmp_path / "outcome.csv", LONG_HEADER, [row for row in long_rows() if row[2] != "budget"])
    assert sums([Source(outcome), Source(path, "budget")]) == long_twin(tmp_path, twin)
    config = write(tmp_path / "kfollow.toml", CONFIG)
    full = drift(outcome, "--budget", path, "--config", config)
    assert full == drift(tmp_path / "long.csv", "--config", config)
    assert full[1]["budget"] == round(-sum(totals[a, r] for a, r in totals if a == "5011") / 100)  # Personalkostnader
    result = run("variance", outcome, "--budget", path, "--config", config, "--period-budget", ok=False)
    assert result.exit_code == 3
    assert result.stderr.startswith(
        f"Error: {path.name}: no period column: the file gives the budget of 2024 for the whole year only, so "
        "the column 'Periodbudget 2024' (months 1–8) cannot be taken from it"
    ), result.stderr


def test_whole_year_outcome_is_a_missing_period(tmp_path: Path) -> None:
    path = write_table(tmp_path / "u.csv", ["År", "Version", "Konto", "Belopp"], [[2024, "utfall", "5011", "10,00"]])
    with pytest.raises(LoadError, match=r"missing column period .*outcome \(utfall\) needs its month"):
        sums([Source(path)])


@pytest.mark.parametrize("suffix", FORMATS)
def test_totals_rows_are_dropped_when_they_are_sums(tmp_path: Path, suffix: str) -> None:
    """A 'Summa' row after each account's rows, and 'Totalt' at the end: dropped, with a note
    naming them, when each equals the rows since the one before it."""
    rows: list[list[object]] = []
    block = 0
    for row in long_rows():
        rows.append(row)
        block += ore(str(row[2]), str(row[3]), str(row[4]), int(row[1]))  # type: ignore[arg-type]
        if row[1] == 8 and row[2] == "utfall" and row[4] == "200":
            rows.append([None, None, None, "Summa", None, kr(block)])
            block = 0
    rows.append([None, None, None, "Totalt", None, kr(block)])
    path = write_table(tmp_path / f"totals{suffix}", LONG_HEADER, rows)
    loaded = load_ledger([Source(path)], ReadOptions(sign="ledger"))
    assert sums([Source(path)]) == long_twin(tmp_path)
    (note,) = [n for n in loaded.notes if "totals row" in n]
    assert note.startswith(f"{path.name}: {len(ACCOUNTS) + 1} totals row(s) dropped (line ")


@pytest.mark.parametrize("suffix", FORMATS)
def test_a_totals_row_that_is_no_sum_is_an_error_naming_its_line(tmp_path: Path, suffix: str) -> None:
    rows = [*long_rows()[:3], [None, None, None, "Totalt", None, "1,00"]]
    path = write_table(tmp_path / f"bad{suffix}", LONG_HEADER, rows)
    with pytest.raises(LoadError) as error:
        sums([Source(path)])
    expected = sum(ore(str(r[2]), str(r[3]), str(r[4]), int(r[1])) for r in rows[:3])  # type: ignore[arg-type]
    assert error.value.problems == [
        f"{path.name}:5: a totals row (Belopp 1,00 kr) that is not the sum of the rows above it "
        f"({kr(expected)} kr): remove the row, or correct the export"
    ]


def test_the_same_content_twice_is_an_error_naming_both_files(tmp_path: Path) -> None:
    first = write_table(tmp_path / "huvudbok.csv", LONG_HEADER, long_rows())
    second = tmp_path / "huvudbok (1).csv"
    second.write_bytes(first.read_bytes())
    config = write(tmp_path / "kfollow.toml", CONFIG)
    for args in ((first, second), (first, "--outcome", second)):
        result = run("variance", *args, "--config", config, ok=False)
        assert result.exit_code == 3
        assert (
            "Error: huvudbok (1).csv holds the same content as huvudbok.csv: its rows would count twice; "
            "give each export once"
        ) in result.stderr.splitlines()


@pytest.mark.parametrize(
    "header",
    ["Budget 2024 rev", "Utfall ack", "Budget-rev"],
)
def test_a_version_header_kfollow_cannot_place_is_an_error_naming_it(tmp_path: Path, header: str) -> None:
    path = write_table(
        tmp_path / "x.csv", ["Konto", "Period", "År", "Utfall", header], [["5011", 1, 2024, "1,00", "2,00"]]
    )
    with pytest.raises(LoadError) as error:
        sums([Source(path)])
    assert error.value.problems == [
        f"x.csv:1: the column {header!r} names a version kfollow cannot place: write the version (utfall, budget, "
        "prognos, or a named forecast such as prognos-april), optionally with its year (Budget 2024) or a month "
        "(Utfall jan), or remove the column"
    ]


SHAPES: dict[str, Callable[[Path], Path]] = {}  # (room for the bench script's shapes)
