"""Property tests: random ledgers through the library API, checked against exact öre arithmetic.

Each ledger is written as a CSV file and loaded (so the loader is part of what is checked), then
mapped with the built-in Kommun-Bas map plus "91" = Kommunbidrag, and built into a Drift table.
The expected values are computed here, independently of kfollow, from the generated rows.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kfollow.errors import KfollowError
from kfollow.ledger import apply_filters
from kfollow.mapping import assign_rows, load_rules
from kfollow.money import UNITS, round_to_unit
from kfollow.read import ReadOptions, Source, load_ledger
from kfollow.render import render_bytes
from kfollow.report import ReportSpec, build_drift, round_cells

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- an independent model of the mapping and the table ------------------------------------------

INCOME, PERSONNEL, PREMISES, SERVICES, OTHER = (
    "Verksamhetens intäkter",
    "Personalkostnader",
    "Lokalhyror",
    "Köp av tjänster",
    "Övriga kostnader",
)
ALLOCATION, FINANCIAL, UNMAPPED = "Kommunbidrag", "Finansnetto", "Ej mappat"
COSTS, NET_COSTS, RESULT = "Verksamhetens kostnader", "Verksamhetens nettokostnader", "Årets resultat"

MAP = {
    "1": "-",
    "2": "-",
    "3": INCOME,
    "4": OTHER,
    "46": SERVICES,
    "5": PERSONNEL,
    "6": OTHER,
    "60": PREMISES,
    "7": OTHER,
    "74": SERVICES,
    "75": SERVICES,
    "84": FINANCIAL,
    "85": FINANCIAL,
    "89": "-",
    "91": ALLOCATION,
}
CONFIG = '[accounts]\n"91" = "Kommunbidrag"\n'
# Prefixes to draw accounts from: every rule, and some that no rule maps (0, 80, 9 but 91).
PREFIXES = [*MAP, "0", "80", "81", "90", "99"]
LEAVES = [INCOME, PERSONNEL, PREMISES, SERVICES, OTHER, ALLOCATION, FINANCIAL]


def row_of(account: str) -> str:
    for length in range(len(account), 0, -1):
        if account[:length] in MAP:
            return MAP[account[:length]]
    return UNMAPPED


@dataclass(frozen=True)
class Entry:
    year: int
    month: int
    version: str
    account: str
    ansvar: str | None
    verksamhet: str | None
    ore: int


def accounts() -> st.SearchStrategy[str]:
    return st.builds(
        lambda prefix, tail: (prefix + tail)[: max(len(prefix), 4)],
        st.sampled_from(PREFIXES),
        st.text("0123456789", min_size=3, max_size=4),
    )


def amounts(limit: int = 10**17) -> st.SearchStrategy[int]:
    """öre: small, round, and large (up to 10**15 kr: past 2**53 öre, where float64 sums stop
    being exact, yet 43 of them still sum within int64), both signs."""
    return st.one_of(
        st.integers(-(10**6), 10**6),
        st.integers(-1000, 1000).map(lambda k: k * 50_000),  # exact half-tkr ties
        st.integers(-limit, limit),
    )


def entries(limit: int = 10**17) -> st.SearchStrategy[Entry]:
    return st.builds(
        Entry,
        st.sampled_from([2023, 2024]),
        st.integers(1, 12),
        st.sampled_from(["utfall", "budget", "prognos"]),
        accounts(),
        st.sampled_from([None, "100", "2100", "0210"]),
        st.sampled_from([None, "10100", "28910", "289", "0123"]),
        amounts(limit),
    )


@st.composite
def ledgers(draw: st.DrawFn) -> list[Entry]:
    """Random rows, plus one row of each version on a mapped account (a table needs an outcome
    month and the forecast version; their absence is covered in test_errors)."""
    rows = draw(st.lists(entries(), min_size=0, max_size=40))
    year = draw(st.sampled_from([2023, 2024]))
    for version, account in (("utfall", "3111"), ("budget", "5011"), ("prognos", "4611")):
        rows.append(
            Entry(
                year,
                draw(st.integers(1, 12)),
                version,
                account,
                draw(st.sampled_from([None, "100"])),
                draw(st.sampled_from(["10100", "28910"])),
                draw(amounts()),
            )
        )
    return draw(st.permutations(rows))


def kronor(ore: int) -> str:
    sign = "-" if ore < 0 else ""
    return f"{sign}{abs(ore) // 100},{abs(ore) % 100:02d}"


def plain_csv(rows: list[Entry]) -> str:
    lines = ["år;period;version;konto;ansvar;verksamhet;belopp"]
    lines += [
        f"{r.year};{r.month};{r.version};{r.account};{r.ansvar or ''};{r.verksamhet or ''};{kronor(r.ore)}"
        for r in rows
    ]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        path = Path(name)
        (path / "kfollow.toml").write_text(CONFIG, "utf-8")
        yield path


def load(workdir: Path, rows: list[Entry]):
    path = workdir / "ledger.csv"
    path.write_text(plain_csv(rows), "utf-8")
    ledger = load_ledger([Source(path)], ReadOptions(sign="ledger")).frame
    return ledger


def build(workdir: Path, ledger, spec: ReportSpec):
    rules = load_rules(workdir / "kfollow.toml")
    mapped, _ = assign_rows(ledger, rules)
    return build_drift(ledger, mapped, spec)


def expected_period(rows: list[Entry]) -> tuple[int, int]:
    """Default Y and T: the latest year and month with outcome, on rows that are in the table."""
    outcome = [r for r in rows if r.version == "utfall" and row_of(r.account) != "-"]
    year = max(r.year for r in outcome)
    return year, max(r.month for r in outcome if r.year == year)


def expected_column(rows: list[Entry], label: str | None, version: str, year: int, through: int) -> int:
    """Report sign (−ledger) öre of one leaf (None: all leaves) for one column."""
    return -sum(
        r.ore
        for r in rows
        if r.version == version
        and r.year == year
        and r.month <= through
        and row_of(r.account) != "-"
        and (label is None or row_of(r.account) == label)
    )


COLUMN_SOURCES = {  # key -> (version, year offset, through month or None for all 12)
    "budget": ("budget", 0, None),
    "forecast": ("prognos", 0, None),
    "outcome": ("utfall", 0, "T"),
    "outcome_previous": ("utfall", -1, "T"),
    "period_budget": ("budget", 0, "T"),
}


def specs() -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries(
        {
            "unit": st.sampled_from(["kr", "tkr", "mkr"]),
            "period_budget": st.booleans(),
            "explicit": st.booleans(),
            "through": st.integers(1, 12),
        }
    )


def make_spec(rows: list[Entry], options: dict) -> tuple[ReportSpec, int, int]:
    if options["explicit"]:
        years = sorted({r.year for r in rows if row_of(r.account) != "-"})
        year, through = years[-1], options["through"]
        spec = ReportSpec(year=year, through=through, unit=options["unit"], period_budget=options["period_budget"])
    else:
        year, through = expected_period(rows)
        spec = ReportSpec(unit=options["unit"], period_budget=options["period_budget"])
    return spec, year, through


def values(report) -> dict[str, dict[str, int]]:
    return {row.label: row.values for row in report.rows}


# --- properties ---------------------------------------------------------------------------------


@SETTINGS
@given(rows=ledgers(), options=specs())
def test_subtotals_and_deviations_are_exact(workdir: Path, rows: list[Entry], options: dict) -> None:
    """Every subtotal is the exact sum of its parts and every deviation the exact difference,
    in every column, on unrounded öre."""
    spec, year, through = make_spec(rows, options)
    report = build(workdir, load(workdir, rows), spec)
    got = values(report)
    keys = [c.key for c in report.columns]
    assert (report.year, report.through) == (year, through)
    assert set(keys) == {
        "budget",
        "forecast",
        "forecast_deviation",
        "outcome",
        "outcome_previous",
        "outcome_change",
    } | ({"period_budget", "period_deviation"} if options["period_budget"] else set())
    unmapped = UNMAPPED in got
    assert unmapped == any(row_of(r.account) == UNMAPPED for r in rows)
    for key in keys:
        assert got[COSTS][key] == sum(got[r][key] for r in (PERSONNEL, PREMISES, SERVICES, OTHER))
        assert got[NET_COSTS][key] == got[INCOME][key] + got[COSTS][key]
        assert got[RESULT][key] == got[NET_COSTS][key] + got[ALLOCATION][key] + got[FINANCIAL][key] + (
            got[UNMAPPED][key] if unmapped else 0
        )
    for row in got.values():
        assert row["forecast_deviation"] == row["forecast"] - row["budget"]
        assert row["outcome_change"] == row["outcome"] - row["outcome_previous"]
        if options["period_budget"]:
            assert row["period_deviation"] == row["outcome"] - row["period_budget"]
    assert all(type(v) is int for row in got.values() for v in row.values())


@SETTINGS
@given(rows=ledgers(), options=specs())
def test_leaves_conserve_the_ledger(workdir: Path, rows: list[Entry], options: dict) -> None:
    """Each leaf row is minus the sum of its accounts' ledger rows for the column's version, year
    and months; so the leaves together are minus the whole ledger (accounts mapped to "-" aside)."""
    spec, year, through = make_spec(rows, options)
    got = values(build(workdir, load(workdir, rows), spec))
    leaves = LEAVES + ([UNMAPPED] if UNMAPPED in got else [])
    for key, (version, offset, months) in COLUMN_SOURCES.items():
        if key == "period_budget" and not options["period_budget"]:
            continue
        last = 12 if months is None else through
        assert sum(got[label][key] for label in leaves) == expected_column(rows, None, version, year + offset, last), (
            key
        )
        for label in leaves:
            assert got[label][key] == expected_column(rows, label, version, year + offset, last), (key, label)


@SETTINGS
@given(rows=ledgers(), options=specs())
def test_printed_cells_are_rounded_once_half_away_from_zero(workdir: Path, rows: list[Entry], options: dict) -> None:
    """Each printed cell is its exact value rounded once to the unit (Excel's ROUND), and the
    csv output prints exactly those cells."""
    spec, _, _ = make_spec(rows, options)
    report = build(workdir, load(workdir, rows), spec)
    step = Decimal(UNITS[report.unit])
    printed = round_cells(report)
    for row, cells in zip(report.rows, printed, strict=True):
        for key, exact in row.values.items():
            value = Decimal(exact) / step
            assert cells[key] == int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP)), (row.label, key, exact)
            assert abs(Decimal(cells[key]) - value) <= Decimal("0.5")
    lines = render_bytes(report, "csv").decode("utf-8").splitlines()
    parsed = list(csv.reader(lines))
    header = parsed[0]
    for line, cells in zip(parsed[1:], printed, strict=True):
        # a column with no data (its version has no rows for the year) is empty, never 0
        shown = {k: None if k in report.empty else v for k, v in cells.items()}
        assert {k: int(line[header.index(k)]) if line[header.index(k)] else None for k in cells} == shown


@settings(max_examples=300, deadline=None)
@given(ore=st.integers(-(2**62), 2**62), unit=st.sampled_from(["kr", "tkr", "mkr"]))
def test_round_to_unit_is_half_away_from_zero(ore: int, unit: str) -> None:
    step = Decimal(UNITS[unit])
    expected = int((Decimal(ore) / step).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert round_to_unit(ore, unit) == expected
    assert round_to_unit(-ore, unit) == -expected


@SETTINGS
@given(rows=ledgers(), prefix=st.sampled_from(["289", "1", "0", "28910", "9"]), through=st.integers(1, 12))
def test_where_and_exclude_partition_the_table(workdir: Path, rows: list[Entry], prefix: str, through: int) -> None:
    """--where verksamhet=P and --exclude verksamhet=P split every leaf cell exactly."""
    # Both halves need the forecast version and a table row: add one to each.
    rows = [
        *rows,
        Entry(2024, 1, "prognos", "3111", None, prefix + "0", 1),
        Entry(2024, 1, "prognos", "3111", None, "x", 1),
    ]
    ledger = load(workdir, rows)
    spec = ReportSpec(year=2024, through=through, unit="kr")
    whole = values(build(workdir, ledger, spec))
    inside = values(build(workdir, apply_filters(ledger, [("verksamhet", (prefix,))], []), spec))
    outside = values(build(workdir, apply_filters(ledger, [], [("verksamhet", (prefix,))]), spec))
    for label, cells in whole.items():
        for key, value in cells.items():
            assert value == inside.get(label, {}).get(key, 0) + outside.get(label, {}).get(key, 0), (label, key)


@SETTINGS
@given(
    huge=st.lists(st.integers(9 * 10**17, 10**18 - 1), min_size=3, max_size=8),
    small=st.lists(st.integers(-(10**7), 10**7), min_size=1, max_size=3),
    month=st.integers(1, 12),
    account=st.sampled_from(["3111", "5011", "4611", "8411"]),
)
def test_huge_amounts_that_cancel_leave_the_exact_remainder(
    workdir: Path, huge: list[int], small: list[int], month: int, account: str
) -> None:
    """Amounts near the loader's limit (16 digits of kronor) that cancel: the cell is the exact
    sum of the small rest. (Σ|amount| passes 2**63 from five pairs on; an int64 sum of the
    magnitudes wraps around there.)"""
    rows = [Entry(2024, month, "utfall", account, None, None, x) for x in huge]
    rows += [Entry(2024, month, "utfall", account, None, None, x) for x in small]
    rows += [Entry(2024, month, "utfall", account, None, None, -x) for x in huge]
    rows += [Entry(2024, 1, version, "3111", None, None, 100) for version in ("budget", "prognos")]
    got = values(build(workdir, load(workdir, rows), ReportSpec(unit="kr")))
    assert got[row_of(account)]["outcome"] == -sum(small)
    assert got[RESULT]["outcome"] == -sum(small)


@settings(max_examples=60, deadline=None)
@given(kronor_digits=st.integers(17, 22), data=st.data())
def test_amounts_beyond_int64_are_errors_not_wrapped(workdir: Path, kronor_digits: int, data) -> None:
    """An amount whose öre do not fit int64 is never loaded as some other number."""
    whole = data.draw(st.integers(10 ** (kronor_digits - 1), 10**kronor_digits - 1))
    cents = data.draw(st.sampled_from(["", ".00", ".37"]))
    sign = data.draw(st.sampled_from(["", "-"]))
    path = workdir / "big.csv"
    path.write_text(f"år,period,version,konto,belopp\n2024,1,utfall,3111,{sign}{whole}{cents}\n", "utf-8")
    try:
        ledger = load_ledger([Source(path)], ReadOptions(sign="ledger")).frame
    except KfollowError as error:
        assert any("big.csv:2: column 'belopp'" in line for line in error.problems), error.problems
        return
    exact = int(whole) * 100 + (int(cents[1:]) if cents else 0)
    assert int(ledger["amount"].iloc[0]) == (-exact if sign else exact)


# --- round trip through every CSV dialect ------------------------------------------------------


@dataclass(frozen=True)
class Dialect:
    delimiter: str
    decimal: str
    thousands: str
    minus: str
    encoding: str
    bom: bool
    newline: str
    period: str  # month | yyyymm | yyyy-mm
    headers: tuple[str, ...]
    text: bool


HEADER_NAMES = {
    "year": ["år", "År", "ar", "year", " YEAR "],
    "period": ["period", "Period", "månad", "manad", "month"],
    "version": ["version", "Typ", "type"],
    "account": ["konto", "Konto", "account"],
    "ansvar": ["ansvar", "Ansvar"],
    "verksamhet": ["verksamhet", "VERKSAMHET"],
    "text": ["text", "beskrivning"],
    "amount": ["belopp", "Belopp", "amount", "kr"],
}
VERSION_SPELLINGS = {
    "utfall": ["utfall", "Utfall", "outcome", "actual", "bokfört", "UTFALL"],
    "budget": ["budget", "Budget"],
    "prognos": ["prognos", "forecast", "Prognos"],
}
TEXT_ALPHABET = "abcxyzåäöÅÄÖé 0123456789;,\"'-/&"


@st.composite
def dialects(draw: st.DrawFn) -> Dialect:
    delimiter = draw(st.sampled_from([";", ",", "\t"]))
    decimal = draw(st.sampled_from([",", "."]))
    encoding = draw(st.sampled_from(["utf-8", "cp1252"]))
    thousands = draw(st.sampled_from(["", " ", "\u00a0"] + (["\u202f"] if encoding == "utf-8" else [])))
    minus = draw(st.sampled_from(["-", "\u2013", "\u2013 "] + (["\u2212"] if encoding == "utf-8" else [])))
    period = draw(st.sampled_from(["month", "yyyymm", "yyyy-mm"]))
    keys = ["period", "version", "account", "ansvar", "verksamhet", "amount"]
    if period == "month":
        keys.insert(0, "year")
    text = draw(st.booleans())
    if text:
        keys.insert(draw(st.integers(0, len(keys))), "text")
    keys = draw(st.permutations(keys))
    headers = tuple(f"{key}={draw(st.sampled_from(HEADER_NAMES[key]))}" for key in keys)
    return Dialect(
        delimiter,
        decimal,
        thousands,
        minus,
        encoding,
        draw(st.booleans()) and encoding == "utf-8",
        draw(st.sampled_from(["\n", "\r\n"])),
        period,
        headers,
        text,
    )


def swedish(ore: int, dialect: Dialect) -> str:
    whole, cents = divmod(abs(ore), 100)
    digits = f"{whole:,}".replace(",", dialect.thousands)
    sign = dialect.minus if ore < 0 else ""
    return f"{sign}{digits}{dialect.decimal}{cents:02d}"


def dialect_csv(rows: list[tuple[Entry, str, str | None]], dialect: Dialect) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=dialect.delimiter, lineterminator=dialect.newline)
    keys = [h.split("=", 1)[0] for h in dialect.headers]
    writer.writerow([h.split("=", 1)[1] for h in dialect.headers])
    for entry, version, text in rows:
        period = {
            "month": str(entry.month),
            "yyyymm": f"{entry.year}{entry.month:02d}",
            "yyyy-mm": f"{entry.year}-{entry.month:02d}",
        }[dialect.period]
        cell = {
            "year": str(entry.year),
            "period": period,
            "version": version,
            "account": entry.account,
            "ansvar": entry.ansvar or "",
            "verksamhet": entry.verksamhet or "",
            "text": text or "",
            "amount": swedish(entry.ore, dialect),
        }
        writer.writerow([cell[k] for k in keys])
    data = buffer.getvalue().encode(dialect.encoding)
    return (b"\xef\xbb\xbf" + data) if dialect.bom else data


@st.composite
def spelled_rows(draw: st.DrawFn) -> list[tuple[Entry, str, str | None]]:
    # Up to 10**17 - 1 öre: the 16 digits of kronor the loader accepts.
    found = draw(st.lists(entries(limit=10**17 - 1), min_size=1, max_size=30))
    return [
        (
            entry,
            draw(st.sampled_from(VERSION_SPELLINGS[entry.version])),
            draw(st.none() | st.text(TEXT_ALPHABET, min_size=1, max_size=12).map(lambda t: "T" + t.strip())),
        )
        for entry in found
    ]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=spelled_rows(), dialect=dialects())
def test_every_dialect_round_trips_to_the_same_ore(workdir: Path, rows, dialect: Dialect) -> None:
    """A ledger written in any dialect of SPEC §1 loads back to exactly the rows written."""
    path = workdir / ("ledger.txt" if dialect.delimiter == "\t" else "ledger.csv")
    path.write_bytes(dialect_csv(rows, dialect))
    ledger = load_ledger([Source(path)], ReadOptions(sign="ledger")).frame
    assert ledger["amount"].dtype == "int64"
    assert len(ledger) == len(rows)
    by_line = ledger.sort_values("line").reset_index(drop=True)
    assert list(by_line["line"]) == list(range(2, len(rows) + 2))

    def cell(value: object) -> str | None:
        return None if value is None or value != value else str(value)  # NaN -> None

    for (entry, _, text), got in zip(rows, by_line.to_dict("records"), strict=True):
        assert int(got["amount"]) == entry.ore
        assert (int(got["year"]), int(got["period"])) == (entry.year, entry.month)
        assert (str(got["version"]), str(got["account"])) == (entry.version, entry.account)
        assert (cell(got["ansvar"]), cell(got["verksamhet"])) == (entry.ansvar, entry.verksamhet)
        if dialect.text:
            assert cell(got["text"]) == text


@SETTINGS
@given(rows=ledgers(), options=specs(), twice=st.lists(st.integers(0, 1000), max_size=3))
def test_reconcile_finds_what_the_model_finds(workdir: Path, rows: list[Entry], options: dict, twice) -> None:
    """On any ledger the table foots (no conservation or identity finding); each unmapped
    account is one finding with the model's row count and amount; identical rows are found as
    the model groups them; the budget warning appears exactly when the budget result is not 0."""
    from collections import Counter
    from dataclasses import replace

    from kfollow.reconcile import reconcile

    rows = rows + [rows[i % len(rows)] for i in twice]  # some rows exported twice
    spec, year, _ = make_spec(rows, options)
    ledger = load(workdir, rows)
    mapped, _ = assign_rows(ledger, load_rules(workdir / "kfollow.toml"))
    report = build_drift(ledger, mapped, replace(spec, period_budget=True))
    findings = reconcile(report, ledger, mapped).findings
    by_code = Counter(f.code for f in findings)
    assert by_code["conservation"] == by_code["identity"] == 0, findings

    unmapped: dict[str, list[int]] = {}
    for r in rows:
        if row_of(r.account) == UNMAPPED:
            unmapped.setdefault(r.account, []).append(r.ore)
    found = {f.figures["account"]: f.figures for f in findings if f.code == "unmapped-account"}
    assert found == {
        account: {"account": account, "rows": len(ore), "amount_kr": sum(ore) / 100}
        for account, ore in unmapped.items()
    }

    groups = sorted(n for n in Counter(rows).values() if n > 1)
    assert sorted(f.figures["rows"] for f in findings if f.code == "duplicate-rows") == groups

    budget = sum(r.ore for r in rows if r.version == "budget" and r.year == year and row_of(r.account) != "-")
    assert by_code["budget-unbalanced"] == (budget != 0)
