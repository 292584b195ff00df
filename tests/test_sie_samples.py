"""Nine real SIE files of ../shared/sie-corpus/ against an independent reference reader.

The files come from a public repository (idstam/jsisie) and are not part of this project: the
tests read them from ../shared/sie-corpus/ (a sibling of the checkout) and skip, with that
reason, where it is absent (a user's clone). SHA256 below pins the exact bytes the
hand-checked figures come from.

The reference reader ("oracle") below is deliberately simple and slow: one Python loop per
line and per character, no regular expressions, no shared code with kfollow/sie.py. The tests
compare kfollow's ledger with what the oracle reads from the same bytes, row by row (every
ledger row names its file line) and as totals; a few totals are also worked out by hand from
the file's lines, so that the tests do not only compare two parsers.

Rules (SIE 4B and kfollow's README; SPEC §1, the .se row):
- Each fiscal year's outcome comes from the finest record the file has for that year:
  #TRANS inside #VER { } (dated by the #VER date; #RTRANS/#BTRANS are not rows), else
  #PSALDO, else #RES (in the year's last period). The coarser records of a year are
  cross-checked, not counted.
- #PBUDGET -> budget. Type 3 repeats each total per object: per (record, årsnr, period,
  account) the rows are the {} line, or the object lines of one dimension set that sum
  exactly to it; without a {} line, one dimension set.
- year = calendar year in which the #RAR fiscal year ends; period = month of the fiscal year.

Except: objektsaldo_ovnbolag.se's #PSALDO lines are disjoint, not totals plus breakdowns (see
DISJOINT).
"""

from __future__ import annotations

import hashlib
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from kfollow.errors import LoadError
from kfollow.ledger import ReadOptions, Source, load_ledger

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "sie-corpus"
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/sie-corpus not present")
SHA256 = {
    "BL0001_typ2.SE": "89eb817f66e7aa393a482abf1f94c2b104fdefc9c132f9a63c31b176e73f2896",
    "BL0001_typ3.SE": "b894299db09751ca7e1c594cb40623e846df96201c318b62178d95455dc5282f",
    "BL0001_typ4.SE": "298f97b021f51e7ab1ef0708b3db315ee7f9e66764f5d9aa77b49e8f2a548921",
    "BL0001_typ4I.SI": "29cb880d46c05d4240a6550d9b326b7cb65039bac191637e3558a13c86c0f647",
    "Norstedts_Bokslut_SIE_4I.si": "4515fa9f7b4c489d87ee137bca28c6b17be97a1ab60d87592e89e60938d62fa2",
    "SIE4_Exempelfil_med_underdim.SE": "160e72574da5a2738056d34ea45de18d7e203d84f9991311bc6cb222ffc8ea89",
    "Sie1.se": "411e6be3aac1dec0bfdb21a5b3c54eb6a3738d2902fc5f99d07ca28047d860b5",
    "XE_SIE_4_20151125095119.SE": "0549bdf9bc58508e6cd87211f9d13cda90b17c7d9ae4801508ee074e747f3674",
    "objektsaldo_ovnbolag.se": "85bb7100eb069893b9f2b85b574b549ba52b7b572be76f661182ef72afeeacce",
}
SAMPLES = sorted(SHA256)


def sample(name: str) -> Path:
    """A sample's path in the corpus, where its name carries the source repository's prefix."""
    return CORPUS / f"jsisie__{name}"
WITH_VOUCHERS = [
    "BL0001_typ4.SE",
    "BL0001_typ4I.SI",
    "Norstedts_Bokslut_SIE_4I.si",
    "SIE4_Exempelfil_med_underdim.SE",
    "XE_SIE_4_20151125095119.SE",
]
WITH_BALANCES = ["BL0001_typ2.SE", "BL0001_typ3.SE", "objektsaldo_ovnbolag.se"]
# objektsaldo_ovnbolag.se (Avendo) writes its type 3 #PSALDO lines as *disjoint* buckets: {} holds
# only what was booked without objects, {"7" "1"} only what was booked on exactly that object,
# and so on; the account's change is the sum of ALL its lines (test_oracle_type2_and_type3_…).
# The rule "the {} line is the total" (spec 4B, and BL0001_typ3.SE) undercounts it.
DISJOINT = {"objektsaldo_ovnbolag.se"}
COLUMN_OF_DIM = {"1": "ansvar", "6": "projekt"}
NAMED_DIMS = ("verksamhet", "aktivitet", "motpart")


# --- the reference reader -----------------------------------------------------------------------


def decode(data: bytes) -> str:
    """UTF-8 if the bytes are valid UTF-8, else CP437 (PC8, what the spec prescribes)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp437")


def tokenize(line: str) -> list[str | tuple[str, ...]]:
    """One line -> its fields. An object list {…} is one field: a tuple of its items.

    Fields are separated by spaces or TABs; "…" quotes a field, \\" inside it is a quote, any
    other backslash is kept as it is.
    """
    fields: list[str | tuple[str, ...]] = []
    i = 0

    def word(i: int, stops: str) -> tuple[str, int]:
        if line[i] == '"':
            chars = []
            i += 1
            while i < len(line) and line[i] != '"':
                if line[i] == "\\" and i + 1 < len(line) and line[i + 1] == '"':
                    chars.append('"')
                    i += 2
                else:
                    chars.append(line[i])
                    i += 1
            return "".join(chars), i + 1
        start = i
        while i < len(line) and line[i] not in stops:
            i += 1
        return line[start:i], i

    while i < len(line):
        if line[i] in " \t":
            i += 1
        elif line[i] == "{":
            items = []
            i += 1
            while i < len(line) and line[i] != "}":
                if line[i] in " \t":
                    i += 1
                else:
                    item, i = word(i, " \t}")
                    items.append(item)
            fields.append(tuple(items))
            i += 1
        else:
            item, i = word(i, " \t")
            fields.append(item)
    return fields


def to_ore(text: str) -> int:
    value = Decimal(text) * 100
    assert value == int(value), text
    return int(value)


def months(start: str, end: str) -> int:
    """Months from the month of start (YYYYMM…) to that of end, counting both."""
    return (int(end[:4]) - int(start[:4])) * 12 + int(end[4:6]) - int(start[4:6]) + 1


@dataclass
class Row:
    """What the ledger row made of one file line must hold."""

    version: str
    year: int
    period: int
    account: str
    amount: int
    dims: dict[str, str]
    text: str | None = None
    voucher: int | None = None  # line of its #VER


@dataclass
class Balance:
    line: int
    label: str
    arsnr: str
    period: str  # YYYYMM
    account: str
    objects: tuple[str, ...]
    amount: int


@dataclass
class Oracle:
    name: str
    records: list[tuple[int, list]] = field(default_factory=list)  # (line, [label, fields…])
    rar: dict[str, list[str]] = field(default_factory=dict)
    dims: dict[str, str] = field(default_factory=dict)
    objects: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    vouchers: list[tuple[int, str, str]] = field(default_factory=list)  # (line, date, text)
    trans: dict[int, Row] = field(default_factory=dict)  # #TRANS line -> row
    balances: list[Balance] = field(default_factory=list)
    res: list[tuple[int, str, str, int]] = field(default_factory=list)  # (line, årsnr, account, öre)
    ksumma: tuple[int, int] | None = None  # (stated, computed)

    def dimension_columns(self) -> dict[str, str]:
        columns = dict(COLUMN_OF_DIM)
        for number, name in self.dims.items():
            if name.lower() in NAMED_DIMS:
                columns[number] = name.lower()
        return columns

    def dims_of(self, objects: tuple[str, ...]) -> dict[str, str]:
        columns = self.dimension_columns()
        pairs = zip(objects[0::2], objects[1::2], strict=True)
        return {columns[d]: o for d, o in pairs if d in columns}

    def fiscal(self, date: str, arsnr: str | None = None) -> tuple[int, int] | None:
        """(year, period) of a YYYYMM[DD] date, in #RAR årsnr (None: whichever holds it)."""
        dated = {key: value[:2] for key, value in self.rar.items() if len(value) >= 2 and value[0]}
        if not dated:
            return int(date[:4]), int(date[4:6])  # #RAR without dates: the calendar year
        for key in [arsnr] if arsnr is not None else list(dated):
            start, end = dated.get(key, ["", ""])
            if start and start[: len(date)] <= date <= end[: len(date)]:
                return int(end[:4]), months(start, date)
        return None

    @property
    def is_type1(self) -> bool:
        return not self.vouchers and not self.balances


@cache
def oracle(name: str) -> Oracle:
    """Read a sample with the reference reader."""
    o = Oracle(name)
    text = decode(sample(name).read_bytes())
    voucher: tuple[int, str, str] | None = None
    crc, in_ksumma = 0, False
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip("\r").strip(" \t")
        if line in ("{", "}", ""):  # a voucher's braces, on their own lines; blank lines
            continue
        fields = tokenize(line)
        label, rest = fields[0], fields[1:]
        o.records.append((number, fields))
        if label == "#KSUMMA":
            if not in_ksumma:
                in_ksumma = True
            else:
                o.ksumma = (int(rest[0]), crc)
            continue
        if in_ksumma and o.ksumma is None:
            flat = "".join("".join(f) if isinstance(f, tuple) else f for f in fields)
            crc = zlib.crc32(flat.encode("cp437"), crc)
        if label == "#RAR":
            o.rar[rest[0]] = list(rest[1:])
        elif label == "#DIM":
            o.dims[rest[0]] = rest[1]
        elif label == "#OBJEKT":
            o.objects[rest[0]].add(rest[1])
        elif label == "#VER":
            voucher = (number, rest[2], rest[3] if len(rest) > 3 else "")
            o.vouchers.append(voucher)
        elif label == "#TRANS":
            assert voucher is not None, f"{name}:{number}: #TRANS outside a voucher"
            account, objects, amount = rest[0], rest[1], rest[2]
            trans_text = rest[4] if len(rest) > 4 else ""
            where = o.fiscal(voucher[1])
            assert where is not None, f"{name}:{number}: date {voucher[1]} in no #RAR"
            o.trans[number] = Row(
                "utfall",
                *where,
                account,
                to_ore(amount),
                o.dims_of(objects),
                text=trans_text or voucher[2] or None,
                voucher=voucher[0],
            )
        elif label in ("#PSALDO", "#PBUDGET"):
            arsnr, period, account, objects, amount = rest[:5]
            o.balances.append(Balance(number, label, arsnr, period, account, objects, to_ore(amount)))
        elif label == "#RES":
            o.res.append((number, rest[0], rest[1], to_ore(rest[2])))
    return o


def nonzero(amounts: dict) -> Counter:
    """Without the keys whose amount is 0 (Counter's unary + would also drop negative ones)."""
    return Counter({key: amount for key, amount in amounts.items() if amount})


def balance_row(o: Oracle, b: Balance) -> Row | None:
    """The row a #PSALDO/#PBUDGET line makes.

    A period outside its årsnr's year (objektsaldo_ovnbolag.se: #PBUDGET -1 201101 in a file whose
    year −1 is 2010) is read as that month of the årsnr's year, as kfollow does (with a note);
    see test_hand_checked_objektsaldo_budget.
    """
    where = o.fiscal(b.period, b.arsnr)
    if where is None:
        start, end = o.rar[b.arsnr][:2]
        if months(start, end) != 12:
            return None
        where = int(end[:4]), (int(b.period[4:6]) - int(start[4:6])) % 12 + 1
    version = "budget" if b.label == "#PBUDGET" else "utfall"
    return Row(version, *where, b.account, b.amount, o.dims_of(b.objects))


def voucher_years(o: Oracle) -> set[int]:
    return {row.year for row in o.trans.values()}


def res_rows(o: Oracle, outcome_years: set[int]) -> dict[int, Row]:
    """#RES lines of the years no finer record covers: utfall in the year's last period."""
    rows = {}
    for line, arsnr, account, amount in o.res:
        start, end = o.rar[arsnr][:2]
        if int(end[:4]) not in outcome_years:
            rows[line] = Row("utfall", int(end[:4]), months(start, end), account, amount, {})
    return rows


def line_rows(o: Oracle) -> dict[int, Row]:
    """Every file line that may become a ledger row -> that row."""
    rows: dict[int, Row] = dict(o.trans)
    covered = voucher_years(o)
    psaldo_years = set()
    for b in o.balances:
        row = balance_row(o, b)
        if row is None:
            continue
        if b.label == "#PSALDO":
            psaldo_years.add(row.year)
            if row.year in covered:
                continue
        rows[b.line] = row
    rows.update(res_rows(o, covered | psaldo_years))
    return rows


def expected_totals(o: Oracle, disjoint: bool = False) -> Counter:
    """Öre per (version, year, period, account) by the rules in the module docstring.

    Balances: per (record, årsnr, period, account) the {} line, or, where there is none, the
    object lines of one dimension set (all sets alike: any; else the lowest-numbered
    dimensions'); disjoint=True: the sum of all lines (objektsaldo_ovnbolag.se's truth).
    """
    totals: Counter = Counter()
    for row in o.trans.values():
        totals[row.version, row.year, row.period, row.account] += row.amount
    covered = voucher_years(o)
    psaldo_years = set()
    groups: dict[tuple, list[Balance]] = defaultdict(list)
    for b in o.balances:
        groups[b.label, b.arsnr, b.period, b.account].append(b)
    for (label, *_), lines in groups.items():
        row = balance_row(o, lines[0])
        if row is None:
            continue
        if label == "#PSALDO":
            psaldo_years.add(row.year)
            if row.year in covered:
                continue
        whole = [b.amount for b in lines if not b.objects]
        sets: dict[tuple, int] = defaultdict(int)
        for b in lines:
            if b.objects:
                sets[tuple(int(d) for d in b.objects[0::2])] += b.amount
        if disjoint:
            amount = sum(b.amount for b in lines)
        elif whole:
            amount = whole[0]
        else:
            amount = sets[min(sets)]  # alike or not, the lowest-numbered set's sum is right
        totals[row.version, row.year, row.period, row.account] += amount
    for row in res_rows(o, covered | psaldo_years).values():
        totals[row.version, row.year, row.period, row.account] += row.amount
    return nonzero(totals)


# --- kfollow -------------------------------------------------------------------------------------


@cache
def _load(name: str) -> tuple[pd.DataFrame, tuple[str, ...]]:
    ledger, notes = load_ledger([Source(sample(name))], ReadOptions())
    return ledger, tuple(notes)


def load(name: str) -> pd.DataFrame:
    return _load(name)[0].copy()


def totals(ledger: pd.DataFrame, keys: list[str]) -> Counter:
    sums = ledger.groupby(keys, observed=True)["amount"].sum()
    if len(keys) == 1:
        sums.index = [(key,) for key in sums.index]
    return nonzero({tuple(k if isinstance(k, str) else int(k) for k in key): int(v) for key, v in sums.items()})


def oracle_totals(o: Oracle, keys: list[str], disjoint: bool = False) -> Counter:
    where = {"version": 0, "year": 1, "period": 2, "account": 3}
    out: Counter = Counter()
    for key, amount in expected_totals(o, disjoint).items():
        out[tuple(key[where[k]] for k in keys)] += amount
    return nonzero(out)


def kept_utfall(ledger: pd.DataFrame, name: str) -> pd.DataFrame:
    """Without objektsaldo_ovnbolag.se's utfall, which test_bug_objektsaldo_… covers."""
    if name in DISJOINT:
        return ledger[ledger["version"] != "utfall"]
    return ledger


# --- the samples and the oracle themselves --------------------------------------------------------


def test_samples_are_byte_for_byte_the_listed_files() -> None:
    for name, digest in SHA256.items():
        assert hashlib.sha256(sample(name).read_bytes()).hexdigest() == digest, name


def test_oracle_tokenizer() -> None:
    assert tokenize('#TRANS\t1510  {} 1063 20110824 "" ') == ["#TRANS", "1510", (), "1063", "20110824", ""]
    assert tokenize('#TRANS 3010  { "1" "1" "6" "1010"} -1000') == ["#TRANS", "3010", ("1", "1", "6", "1010"), "-1000"]
    assert tokenize("#TRANS\t1010 { } 12.00") == ["#TRANS", "1010", (), "12.00"]
    assert tokenize("#TRANS 3041 {1 Nord 6 0001} -52625.00") == [
        "#TRANS",
        "3041",
        ("1", "Nord", "6", "0001"),
        "-52625.00",
    ]
    assert tokenize(r'#VER A 1 20090731 "1820\A012 Cykel"') == ["#VER", "A", "1", "20090731", r"1820\A012 Cykel"]
    assert tokenize(r'#KONTO 1 "Sa \"hej\" {x}"') == ["#KONTO", "1", 'Sa "hej" {x}']
    assert tokenize("#RAR 0  ") == ["#RAR", "0"]


def test_oracle_ksumma_matches_the_stated_checksums() -> None:
    assert oracle("Sie1.se").ksumma == (909685525, 909685525)
    assert oracle("Norstedts_Bokslut_SIE_4I.si").ksumma == (1573150874, 1573150874)
    assert all(oracle(n).ksumma is None for n in SAMPLES if n not in ("Sie1.se", "Norstedts_Bokslut_SIE_4I.si"))


def test_oracle_type2_and_type3_balances_add_up_to_the_files_own_ib_ub_res() -> None:
    """Σ #PSALDO per account and årsnr = #UB − #IB (balance accounts) or #RES (result accounts).

    BL0001_typ2/3: with {} as the total. objektsaldo_ovnbolag.se: only with all lines added up
    (e.g. 1460: #UB 688700.22 − #IB 612139.47 = 76560.75 = 201101 {"7" "1"} −283908.00 +
    {"7" "4"} 140821.50 + {"1" "Nord" "7" "1"} 8550.00 + 201102 {"7" "1"} −242194.30 +
    {"7" "4"} 204430.00 + 201103 {} 248861.55; the {} line alone gives 248861.55).
    """
    for name in WITH_BALANCES:
        o = oracle(name)
        stated: Counter = Counter()
        for _, fields in o.records:
            if fields[0] in ("#UB", "#RES"):
                stated[fields[1], fields[2]] += to_ore(fields[3])
            elif fields[0] == "#IB":
                stated[fields[1], fields[2]] -= to_ore(fields[3])
        psaldo = [b for b in o.balances if b.label == "#PSALDO"]
        wholes = {(b.arsnr, b.period, b.account) for b in psaldo if not b.objects}
        for disjoint in (False, True):
            counted: Counter = Counter()
            for b in psaldo:
                if disjoint or not b.objects or (b.arsnr, b.period, b.account) not in wholes:
                    counted[b.arsnr, b.account] += b.amount
            agrees = all(stated[key] == amount for key, amount in counted.items())
            fits = (name in DISJOINT) if disjoint else (name not in DISJOINT)
            assert agrees == (fits or not any(b.objects for b in psaldo)), (name, disjoint)


def test_oracle_vouchers_balance_except_one_in_xe() -> None:
    """Each voucher sums to 0, but XE's #VER 1 1 (line 1356): 1010 +12.00, 3520 −10.00."""
    unbalanced = []
    for name in WITH_VOUCHERS:
        sums: Counter = Counter()
        for row in oracle(name).trans.values():
            sums[row.voucher] += row.amount
        unbalanced += [(name, line, s) for line, s in sums.items() if s]
    assert unbalanced == [("XE_SIE_4_20151125095119.SE", 1356, 200)]


# --- kfollow against the oracle -------------------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLES)
def test_loads_with_ledger_columns(name: str) -> None:
    ledger = load(name)
    assert len(ledger)
    for column in ("year", "period", "line"):
        assert pd.api.types.is_integer_dtype(ledger[column]), column
    assert ledger["amount"].dtype == "int64"
    for column in ("version", "account", "source"):
        assert isinstance(ledger[column].dtype, pd.CategoricalDtype), column
    assert set(ledger["version"]) <= {"utfall", "budget"}
    assert set(ledger["source"]) == {sample(name).name}


@pytest.mark.parametrize("name", SAMPLES)
def test_every_row_is_what_its_line_says(name: str) -> None:
    """Each row's line is a record that makes a row, and the row holds that record's values."""
    o = oracle(name)
    expected = line_rows(o)
    ledger = load(name)
    columns = sorted(set(o.dimension_columns().values()) & set(ledger.columns))
    wrong = []
    for row in ledger.itertuples(index=False):
        want = expected.get(row.line)
        if want is None:
            wrong.append(f"line {row.line}: no row expected ({row.version} {row.account} {row.amount})")
            continue
        got = (row.version, int(row.year), int(row.period), str(row.account), int(row.amount))
        if got != (want.version, want.year, want.period, want.account, want.amount):
            wrong.append(f"line {row.line}: {got} != {(want.version, want.year, want.period, want.account)}")
        dims = {c: getattr(row, c) for c in columns if not pd.isna(getattr(row, c))}
        # type 3: the {} line's row carries no objects, an object line's row its objects
        if dims != want.dims:
            wrong.append(f"line {row.line}: objects {dims} != {want.dims}")
    assert not wrong, "\n".join(wrong[:20])


@pytest.mark.parametrize("name", SAMPLES)
def test_totals_per_version_year_account(name: str) -> None:
    ledger = kept_utfall(load(name), name)
    keys = ["version", "year", "account"]
    want = oracle_totals(oracle(name), keys)
    if name in DISJOINT:
        want = nonzero({k: v for k, v in want.items() if k[0] != "utfall"})
    assert totals(ledger, keys) == want


@pytest.mark.parametrize("name", SAMPLES)
def test_totals_per_version_year_period_account(name: str) -> None:
    ledger = kept_utfall(load(name), name)
    keys = ["version", "year", "period", "account"]
    want = oracle_totals(oracle(name), keys)
    if name in DISJOINT:
        want = nonzero({k: v for k, v in want.items() if k[0] != "utfall"})
    assert totals(ledger, keys) == want


@pytest.mark.parametrize("name", [n for n in WITH_BALANCES if n not in DISJOINT])
def test_type3_rows_are_one_level_per_account_and_period(name: str) -> None:
    """Per (record, årsnr, period, account): the {} line's row, or the rows of all object lines
    of one dimension set that sum to the {} line; never both, never two sets."""
    o = oracle(name)
    by_line = {b.line: b for b in o.balances}
    used: dict[tuple, list[Balance]] = defaultdict(list)
    for line in load(name)["line"]:
        b = by_line.get(int(line))
        if b is None:  # a #RES line: the outcome of a year no balance covers
            continue
        used[b.label, b.arsnr, b.period, b.account].append(b)
    wrong = []
    for key, rows in used.items():
        group = [b for b in o.balances if (b.label, b.arsnr, b.period, b.account) == key]
        dimsets = {b.objects[0::2] for b in rows}
        level = [b.line for b in group if b.objects[0::2] in dimsets]
        whole = [b.amount for b in group if not b.objects]
        if len(dimsets) != 1 or sorted(b.line for b in rows) != level:
            wrong.append(f"{key}: rows from lines {sorted(b.line for b in rows)}, not one level")
        elif whole and sum(b.amount for b in rows) != whole[0]:
            wrong.append(f"{key}: rows sum to {sum(b.amount for b in rows)}, the {{}} line says {whole[0]}")
    assert not wrong, "\n".join(wrong[:20])


def test_objektsaldo_outcome_is_the_sum_of_all_its_lines() -> None:
    """objektsaldo_ovnbolag.se's #PSALDO lines are disjoint (see the oracle test above): per year,
    period and account the outcome is the sum of all lines, which is what its #UB − #IB and #RES
    say. Hand-checked:

    3041 in 2011 = #RES 0 3041 -386180.00 (line 1864) = Σ lines 1865–1875: 201101 {"7" "4"}
    -103850.00, {"1" "Nord" "7" "4"} -7225.00, {"1" "Syd" "7" "4"} -8500.00,
    {"1" "Syd" "6" "0001" "7" "4"} -50400.00; 201102 {"7" "4"} -98650.00, {"1" "Syd" "7" "4"}
    -4100.00; 201103 {"7" "1"} -17000.00, {"7" "4"} -9630.00, {"1" "Nord" "7" "4"} -22875.00,
    {"1" "Syd" "7" "4"} -27950.00, {"1" "Syd" "6" "0001" "7" "4"} -36000.00.
    (Read as repeats of a total, as the spec's type 3 has it, only the richest set of each month
    would count: -50400 - 4100 - 36000 = -90500.00. kfollow reads them as parts because that
    is how the file's #RES add up, and says so in a note.)
    1460 in 2011 = #UB 688700.22 − #IB 612139.47 = 76560.75.
    1510 in 201103: {} 735232.00 + {"7" "1"} -327013.00 + {"7" "4"} -181626.00 = 226593.00.
    """
    name = "objektsaldo_ovnbolag.se"
    ledger = load(name)
    outcome = ledger[ledger["version"] == "utfall"]
    by_year = totals(outcome, ["year", "account"])
    assert by_year[(2011, "3041")] == -38618000
    assert by_year[(2011, "1460")] == 7656075
    keys = ["version", "year", "period", "account"]
    got = totals(outcome, keys)
    assert got[("utfall", 2011, 3, "1510")] == 22659300
    want = nonzero({k: v for k, v in oracle_totals(oracle(name), keys, disjoint=True).items() if k[0] == "utfall"})
    assert got == want


@pytest.mark.parametrize("name", WITH_VOUCHERS)
def test_voucher_rows(name: str) -> None:
    """One utfall row per #TRANS line (not #RTRANS/#BTRANS), and every voucher has one."""
    o = oracle(name)
    outcome = load(name).query("version == 'utfall'")
    outcome = outcome[outcome["year"].isin(voucher_years(o))]  # other years: #RES or #PSALDO
    assert len(outcome) == len(o.trans)
    assert sorted(outcome["line"]) == sorted(o.trans)
    assert len({row.voucher for row in o.trans.values()}) == len(o.vouchers)


@pytest.mark.parametrize("name", WITH_VOUCHERS)
def test_the_number_of_vouchers(name: str) -> None:
    """kfollow reads as many #VER records as the file has (84, 1, 2, 295, 65)."""
    from kfollow.sie import read_sie

    assert read_sie(sample(name)).vouchers == len(oracle(name).vouchers)


@pytest.mark.parametrize("name", WITH_VOUCHERS)
def test_texts_from_the_transaction_or_the_voucher(name: str) -> None:
    o = oracle(name)
    ledger = load(name)
    assert "text" in ledger.columns
    outcome = ledger[(ledger["version"] == "utfall") & ledger["year"].isin(voucher_years(o))]
    wrong = []
    for line, text in zip(outcome["line"], outcome["text"], strict=True):
        want = o.trans[int(line)].text
        got = None if pd.isna(text) else str(text)
        if want and "\ufffd" in want and got:  # the broken file: U+FFFD read as CP437 is ∩┐╜
            got = got.replace("∩┐╜", "\ufffd")
        if got != want:
            wrong.append(f"line {line}: {got!r} != {want!r}")
    assert not wrong, "\n".join(wrong[:20])


@pytest.mark.parametrize("name", SAMPLES)
def test_objects_are_the_files_objects(name: str) -> None:
    """ansvar/projekt values are object ids of dims 1/6 that the file declares or uses.

    Two files use ids they never declare with #OBJEKT (see the README notes): BL0001_typ4.SE
    (dim 1: 1010 1011 1012 1100 1200 1300; dim 6: 1010 1118 1129 1131 1160 1161 1162) and
    SIE4_Exempelfil_med_underdim.SE (dim 6: 0037, declared as #OBJEKT 62 0037).
    """
    o = oracle(name)
    ledger = load(name)
    counted = line_rows(o)
    for dim, column in COLUMN_OF_DIM.items():
        used = {r.dims[column] for r in counted.values() if column in r.dims}
        got = set(ledger[column].dropna().astype(str)) if column in ledger else set()
        assert got <= o.objects.get(dim, set()) | used
        assert got <= used


# --- hand-checked figures --------------------------------------------------------------------------


def test_hand_checked_bl0001_typ4i() -> None:
    """#RAR 0 has no dates: the calendar year of the voucher date (20110824: 2011, August).

    #TRANS 1510  {} 1063 / 1000 / 250 / 1000 -> 3313.00 kr;  #TRANS 2610  {} -212.5;
    #TRANS 3740  {} -0.5.
    """
    ledger, notes = _load("BL0001_typ4I.SI")
    assert {(int(y), int(p)) for y, p in zip(ledger["year"], ledger["period"], strict=True)} == {(2011, 8)}
    got = totals(ledger, ["account"])
    assert got[("1510",)] == 331300
    assert got[("2610",)] == -21250
    assert got[("3740",)] == -50
    assert sum(got.values()) == 0
    assert any("BL0001_typ4I.SI" in note for note in notes), notes


def test_hand_checked_norstedts_4i() -> None:
    """#VER A 53 20100630: #TRANS 8999 {} 1104488.11, #TRANS 2099 {} -1104488.11; and
    #VER A 52: 1518 10000, 3304 -10000. June 2010 is period 12 of 20090701–20100630 (year 2010)."""
    ledger = load("Norstedts_Bokslut_SIE_4I.si")
    assert totals(ledger, ["version", "year", "period", "account"]) == Counter(
        {
            ("utfall", 2010, 12, "8999"): 110448811,
            ("utfall", 2010, 12, "2099"): -110448811,
            ("utfall", 2010, 12, "1518"): 1000000,
            ("utfall", 2010, 12, "3304"): -1000000,
        }
    )
    assert set(ledger["text"].astype(str)) == {"Exempel på bokslutstransaktion", "Årets resultat"}


def test_hand_checked_sie1_res() -> None:
    """Type 1: #RES 0 3001 -1068599.00, #RES -1 3001 -1491010.00 (years 2010, 2009, Jan–Dec:
    period 12); #RES 0 4010 75213.00; #RES -1 3740 -6.86."""
    got = totals(load("Sie1.se"), ["version", "year", "period", "account"])
    assert got[("utfall", 2010, 12, "3001")] == -106859900
    assert got[("utfall", 2009, 12, "3001")] == -149101000
    assert got[("utfall", 2010, 12, "4010")] == 7521300
    assert got[("utfall", 2009, 12, "3740")] == -686
    res = Counter()
    for _, arsnr, account, amount in oracle("Sie1.se").res:
        res[2010 + int(arsnr), account] += amount
    assert totals(load("Sie1.se"), ["year", "account"]) == nonzero(res)


def test_hand_checked_bl0001_split_year() -> None:
    """20090701–20100630 is year 2010, July 2009 period 1, June 2010 period 12.

    BL0001_typ2.SE/typ3.SE: #PSALDO 0 200911 3010 {} -1000, 200912 -200000, 201001 -7200,
    201006 -20000 -> −228200 (= #RES 0 3010 -228200); #PBUDGET 0 2009xx/2010xx 3010 {} -100000
    × 12. typ3 also has 201006 3010 {1 "1"} -20000: either line, not both.
    #PSALDO 0 200907 1229 {} -133 -> period 1; #PSALDO 0 201006 1229 {} -514 -> period 12.
    Year −1 (20080701–20090630, 2009) has only #RES (line 378: #RES -1 3010 -37200): its outcome,
    in period 12, nine accounts, with nothing else of 2009.
    """
    for name in ("BL0001_typ2.SE", "BL0001_typ3.SE", "BL0001_typ4.SE"):
        full = load(name)
        previous = full[full["year"] == 2009]
        assert set(previous["version"]) == {"utfall"} and set(previous["period"]) == {12}, name
        assert totals(previous, ["account"])[("3010",)] == -3720000, name
        assert totals(previous, ["account"])[("5020",)] == 144240, name
        assert len(previous) == 9, name
        ledger = full[full["year"] == 2010]
        assert len(ledger) + len(previous) == len(full), name
        assert set(ledger["period"]) <= set(range(1, 13)), name
        got = totals(ledger, ["version", "account"])
        assert got[("budget", "3010")] == -120000000, name
        if name != "BL0001_typ4.SE":
            assert got[("utfall", "3010")] == -22820000, name
            by_period = totals(ledger, ["version", "period", "account"])
            assert by_period[("utfall", 1, "1229")] == -13300, name
            assert by_period[("utfall", 12, "1229")] == -51400, name
            assert by_period[("utfall", 12, "3010")] == -2000000, name


def test_hand_checked_objektsaldo_budget() -> None:
    """#PBUDGET 0 201101..201112 3041 {} -150000.00 -> −1 800 000 kr for 2011.

    The file's 624 #PBUDGET -1 lines (from line 3551: #PBUDGET -1 201101 3041 {} -150000.00) have
    the periods of year 0, 201101..201112, outside year −1 (20100101–20101231), and repeat the
    year-0 lines exactly. kfollow reads them as the months of 2010, with a note; they must not
    double the 2011 budget.
    """
    ledger, notes = _load("objektsaldo_ovnbolag.se")
    got = totals(ledger, ["version", "year", "account"])
    assert got[("budget", 2011, "3041")] == -180000000
    assert got[("budget", 2010, "3041")] == -180000000
    assert any("624 lines of årsnr -1" in note and "line 3551" in note for note in notes), notes


# --- broken years, checksums, broken text -------------------------------------------------------------


def test_xe_broken_years(tmp_path: Path) -> None:
    """#RAR 0 20150901 20160831 -> 2016 (September = 1); #RAR -1 20130701 20150831 -> 2015.

    The −1 year is 26 months long (July 2013 – August 2015), not 14 as the sample list says.
    The file has no rows in it, so a copy gets a balanced voucher on its first and last day.
    """
    ledger = load("XE_SIE_4_20151125095119.SE")
    assert set(ledger["year"]) == {2015, 2016}
    assert set(ledger.loc[ledger["year"] == 2016, "period"]) == {1, 2, 3}  # vouchers dated 201509..201511
    assert set(ledger.loc[ledger["year"] == 2015, "period"]) == {26}  # #RES -1: the long year's last month
    copy = tmp_path / "XE_SIE_4_20151125095119.SE"
    data = sample(copy.name).read_bytes()
    extra = (
        b'#VER\t9 1 20130701 "first day"\n{\n\t#TRANS\t1910 { } 1.00\n\t#TRANS\t3010 { } -1.00\n}\n'
        b'#VER\t9 2 20150831 "last day"\n{\n\t#TRANS\t1910 { } 2.00\n\t#TRANS\t3010 { } -2.00\n}\n'
    )
    copy.write_bytes(data + extra)
    extended, _ = load_ledger([Source(copy)], ReadOptions())
    old = extended[extended["year"] == 2015]  # with vouchers, the #RES of 2015 are only cross-checked
    assert sorted(zip(old["period"].astype(int), old["amount"].astype(int), strict=True)) == [
        (1, -100),
        (1, 100),
        (26, -200),
        (26, 200),
    ]


@pytest.mark.parametrize("name", ["Sie1.se", "Norstedts_Bokslut_SIE_4I.si"])
def test_ksumma_tampered_or_cut_short_fails(name: str, tmp_path: Path) -> None:
    load(name)  # the stated #KSUMMA verifies
    data = sample(name).read_bytes()
    tampered = tmp_path / "tampered" / name
    tampered.parent.mkdir()
    if name == "Sie1.se":  # #RES<TAB>0<TAB>4010<TAB>75213.00
        changed = data.replace(b"\t4010\t75213.00", b"\t4010\t75213.01")
    else:  # both lines of #VER A 52, so the voucher still balances
        changed = data.replace(b"{}      10000 ", b"{}      10001 ").replace(b"{}     -10000 ", b"{}     -10001 ")
    assert changed != data
    tampered.write_bytes(changed)
    with pytest.raises(LoadError, match="KSUMMA") as error:
        load_ledger([Source(tampered)], ReadOptions())
    assert name in str(error.value)
    cut = tmp_path / "cut" / name
    cut.parent.mkdir()
    lines = data.rstrip(b"\n").split(b"\n")
    assert lines[-1].startswith(b"#KSUMMA")
    cut.write_bytes(b"\n".join(lines[:-1]) + b"\n")
    with pytest.raises(LoadError, match="KSUMMA") as error:
        load_ledger([Source(cut)], ReadOptions())
    assert name in str(error.value)


def test_underdim_file_with_replacement_characters_loads() -> None:
    """SIE4_Exempelfil_med_underdim.SE: 702 × EF BF BD (U+FFFD) on 430 lines, else ASCII.

    #VER A 1 20210101: #TRANS 1510 {} 55000.00 … ; Σ per account is checked by the totals tests;
    here: it loads, 1330 voucher rows in 2021 (Jan = 1) that sum to 0, and 2020's 61 #RES -1
    lines as that year's outcome.
    """
    full = load("SIE4_Exempelfil_med_underdim.SE")
    assert set(full["year"]) == {2020, 2021}
    assert len(full[full["year"] == 2020]) == 61
    ledger = full[full["year"] == 2021]
    assert set(ledger["period"]) == set(range(1, 13))
    assert len(ledger) == 1330
    assert int(ledger["amount"].sum()) == 0
