"""Loading: every dialect of the same rows gives the same ledger; amounts are exact öre."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from kfollow.read import ReadOptions, Source, load_ledger

# The canonical rows: (år, period, version, konto, ansvar, verksamhet, kronor as text)
ROWS = [
    (2024, 1, "utfall", "3111", "2100", "10100", "-1234567.89"),
    (2024, 1, "utfall", "04711", "2100", "10100", "0.05"),
    (2024, 2, "utfall", "5011", "2200", "28910", "98765.40"),
    (2024, 12, "budget", "5011", "2200", "28910", "-0.99"),
    (2024, 3, "prognos", "46362", "2300", "10200", "1000000.00"),
    (2023, 11, "utfall", "8521", "2300", "10200", "-12.00"),
]
EXPECTED_ORE = [-123456789, 5, 9876540, -99, 100000000, -1200]


def _swedish(amount: str, thousands: str = " ", minus: str = "-") -> str:
    """'-1234567.89' -> '-1 234 567,89' with the given separators."""
    negative = amount.startswith("-")
    whole, _, cents = amount.lstrip("-").partition(".")
    groups = f"{int(whole):,}".replace(",", thousands)
    return (minus if negative else "") + groups + "," + cents


def _long_text(
    delimiter: str, fmt, header=("år", "period", "version", "konto", "ansvar", "verksamhet", "belopp"), period=None
) -> str:
    lines = [delimiter.join(header)]
    for year, month, version, account, ansvar, verksamhet, amount in ROWS:
        cells = [str(year), str(month), version, account, ansvar, verksamhet, fmt(amount)]
        if period:
            cells = [period(year, month), *cells[2:]]
        lines.append(delimiter.join(cells))
    return "\n".join(lines) + "\n"


def _write_xlsx(path: Path, numbers: bool) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Huvudbok"
    sheet.append(["Huvudbok kommunstyrelsen 2023–2024"])
    sheet.append(["Belopp i kr"])
    sheet.append([])
    sheet.append(["År", "Period", "Version", "Konto", "Ansvar", "Verksamhet", "Belopp"])
    for year, month, version, account, ansvar, verksamhet, amount in ROWS:
        value = float(amount) if numbers else _swedish(amount, "\u00a0")
        sheet.append([year, month, version, account, ansvar, verksamhet, value])
    book.save(path)


def _wide(path: Path) -> list[Source]:
    versions = ["utfall", "budget", "prognos"]
    lines = ["år;månad;konto;ansvar;verksamhet;" + ";".join(versions)]
    for year, month, version, account, ansvar, verksamhet, amount in ROWS:
        cells = ["" if v != version else _swedish(amount) for v in versions]
        lines.append(";".join([str(year), str(month), account, ansvar, verksamhet, *cells]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [Source(path)]


def _split(path: Path) -> list[Source]:
    """One file per version, given with --outcome/--budget/--forecast (no version column)."""
    sources = []
    for version in ("utfall", "budget", "prognos"):
        lines = ["år,period,konto,ansvar,verksamhet,belopp"]
        lines += [",".join([str(y), str(m), a, r, v, amt]) for y, m, ver, a, r, v, amt in ROWS if ver == version]
        file = path.with_name(f"{version}.csv")
        file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        sources.append(Source(file, version))
    return sources


def _text(name: str, text: str, encoding: str = "utf-8"):
    def make(path: Path) -> list[Source]:
        file = path.with_name(name)
        file.write_bytes(text.encode(encoding))
        return [Source(file)]

    return make


DIALECTS = {
    "utf8-comma-point": _text("a.csv", _long_text(",", lambda a: a)),
    "utf8-bom-semicolon": _text("a.csv", "\ufeff" + _long_text(";", _swedish)),
    "cp1252-semicolon-comma": _text("a.csv", _long_text(";", _swedish), "cp1252"),
    "crlf-tab": _text("a.txt", _long_text("\t", _swedish).replace("\n", "\r\n")),
    "nbsp-thousands": _text("a.csv", _long_text(";", lambda a: _swedish(a, "\u00a0"))),
    "narrow-nbsp-thousands": _text("a.csv", _long_text(";", lambda a: _swedish(a, "\u202f"))),
    "unicode-minus": _text("a.csv", _long_text(";", lambda a: _swedish(a, minus="\u2212"))),
    "en-dash-minus-space": _text("a.csv", _long_text(";", lambda a: _swedish(a, minus="\u2013 ")), "cp1252"),
    "english-headers-mixed-case": _text(
        "a.csv",
        _long_text(",", lambda a: a, header=("Year", "MONTH", "Type", "Account", "ansvar", "verksamhet", " Amount ")),
    ),
    "period-yyyymm": _text(
        "a.csv",
        _long_text(
            ";",
            _swedish,
            header=("period", "version", "konto", "ansvar", "verksamhet", "belopp"),
            period=lambda y, m: f"{y}{m:02d}",
        ),
    ),
    "period-yyyy-mm": _text(
        "a.csv",
        _long_text(
            ",",
            lambda a: a,
            header=("månad", "version", "konto", "ansvar", "verksamhet", "kr"),
            period=lambda y, m: f"{y}-{m:02d}",
        ),
    ),
    "wide": _wide,
    "split-by-version": _split,
    "xlsx-numbers-title-rows": lambda p: (_write_xlsx(p.with_suffix(".xlsx"), True), [Source(p.with_suffix(".xlsx"))])[
        1
    ],
    "xlsx-text-amounts": lambda p: (_write_xlsx(p.with_suffix(".xlsx"), False), [Source(p.with_suffix(".xlsx"))])[1],
}


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    columns = ["year", "period", "version", "account", "ansvar", "verksamhet", "amount"]
    out = pd.DataFrame(
        {
            c: frame[c].astype(str) if c in ("version", "account", "ansvar", "verksamhet") else frame[c].astype("int64")
            for c in columns
        }
    )
    return out.sort_values(columns).reset_index(drop=True)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> pd.DataFrame:
    path = tmp_path_factory.mktemp("ref") / "ref.csv"
    frame = load_ledger(DIALECTS["utf8-comma-point"](path), ReadOptions(sign="ledger")).frame
    return _canonical(frame)


def test_reference_rows_are_exact_ore(reference: pd.DataFrame) -> None:
    """The plain dialect gives the expected öre and keeps account codes as text."""
    by_key = reference.set_index(["year", "period", "version", "account"])["amount"]
    for (year, month, version, account, *_), ore in zip(ROWS, EXPECTED_ORE, strict=True):
        assert by_key[(year, month, version, account)] == ore
    assert "04711" in set(reference["account"])


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_every_dialect_loads_to_the_same_frame(dialect: str, tmp_path: Path, reference: pd.DataFrame) -> None:
    """Delimiters, encodings, separators, minus signs, headers, periods, wide, split and xlsx agree."""
    sources = DIALECTS[dialect](tmp_path / "ledger.csv")
    frame = load_ledger(sources, ReadOptions(sign="ledger")).frame
    pd.testing.assert_frame_equal(_canonical(frame), reference)
    assert frame["amount"].dtype == "int64"


def test_account_cell_with_name_keeps_its_code(ledger_from_text) -> None:
    path = ledger_from_text(
        """
        år;period;version;konto;belopp
        2024;1;utfall;46362 Köp medicinskt färdigbeh;10,00
        """
    )
    frame = load_ledger([Source(path)], ReadOptions(sign="ledger")).frame
    assert list(frame["account"].astype(str)) == ["46362"]
    assert list(frame["amount"]) == [1000]


def test_a_dialect_change_after_the_sniffed_sample_still_loads_exactly(ledger_from_text) -> None:
    """The first 256 KiB decide the fast path only: later cells in another dialect
    (decimal comma, NBSP thousands, U+2212 minus) are read exactly, not rejected."""
    plain = "".join(f"2024;{1 + i % 12};utfall;5011;{i}.25\n" for i in range(20000))
    odd = "2024;1;utfall;5011;1\u00a0234,50\n2024;1;utfall;5011;\u22127,05\n"
    path = ledger_from_text("år;period;version;konto;belopp\n" + plain + odd)
    frame = load_ledger([Source(path)], ReadOptions(sign="ledger")).frame
    assert len(frame) == 20002
    assert list(frame["amount"].iloc[-2:]) == [123450, -705]
    assert int(frame["amount"].sum()) == sum(i * 100 + 25 for i in range(20000)) + 123450 - 705
    assert list(frame["line"].iloc[-2:]) == [20002, 20003]
