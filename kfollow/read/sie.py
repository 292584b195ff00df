"""SIE 4 files (types 1, 2, 3, 4 and 4I) -> ledger frame, read with Arrow's vectorised regex.

The file is split into lines once; each line's label is found by one regex over all lines, and
the bulk records (#TRANS, #PSALDO, #PBUDGET, #RES) are taken apart by one regex per label, in
C++ (RE2), never by a Python loop per line or character. Only the few header records (#RAR,
#DIM, #OBJEKT, …) and each distinct object list are read in Python.

What becomes what (README "SIE files", "What becomes what"):
- Each fiscal year's outcome comes from the finest record the file has for that year: #TRANS
  inside #VER (period from the voucher date), else #PSALDO, else #RES (one sum for the whole
  year, in its last month: a part-year column from it is an error, report.check_full_year).
  A year's coarser records are only cross-checked against the finer ones.
- #PBUDGET → budget. Type 3 repeats each total per object: per account and period either the
  total line or the object lines of one dimension set count, never both, never two sets.
- Years are fiscal years from #RAR, numbered by the calendar year they end in; periods are
  months of the fiscal year (July = 1 in a July–June year).
Amounts keep the file's sign (debit +): ledger sign.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import MAX_REPORTED, LoadError, OptionError, capped, shown
from ..ledger import BUDGET, OUTCOME, FullYearOnly, SieCheck, concat
from ..money import decimal_ore, exact_group_sums, format_kr, kr

# The longest fiscal year read (a first or changed year can be long: XE_SIE_4's −1 year has
# 26 months); report.PERIOD_SLOTS holds its months.
MAX_MONTHS = 36

# dimension number -> ledger column, before the #DIM names are read
DEFAULT_DIMS = {1: "ansvar", 6: "projekt"}
# #DIM names that name a ledger column
DIM_NAMES = {
    "ansvar": "ansvar",
    "kostnadsställe": "ansvar",
    "resultatenhet": "ansvar",
    "verksamhet": "verksamhet",
    "aktivitet": "aktivitet",
    "projekt": "projekt",
    "motpart": "motpart",
}

# A field: "quoted, with \" inside" or a run without space, quote or brace.
_FIELD = r'"(?:[^"\\]|\\.)*"|[^\s"{}]+'
_OBJECTS = r'\{(?:"(?:[^"\\]|\\.)*"|[^}"])*\}'  # a quoted id may hold a }
_LABEL = r"^[ \t]*(?P<label>#[A-Za-z0-9_]+)"
# Each pattern takes the whole line: a field ends at a space or the line's end (a line cut
# short must not read '5011' as account 501 and amount 1). What follows the known fields
# (kvantitet, sign, …) is allowed and not read.
_REST = r"(?:\s(?s:.*))?$"  # a line keeps its '\n'; what follows is not read
_BEFORE_AMOUNT = rf"(?:\s*(?P<objects>{_OBJECTS})\s*|\s+)"
_RECORDS = {
    # RE2 is slower with each group: the date and text are read from `rest` only when wanted.
    "#TRANS": rf"^\s*#(?i:TRANS)\s+(?P<account>{_FIELD}){_BEFORE_AMOUNT}(?P<amount>{_FIELD})"
    rf"(?P<rest>(?:\s(?s:.*))?)$",
    "#VER": rf"^\s*#(?i:VER)\s+(?P<series>{_FIELD})\s+(?P<number>{_FIELD})\s+(?P<date>{_FIELD})"
    rf"(?:\s+(?P<text>{_FIELD}))?{_REST}",
    "#PSALDO": rf"^\s*#(?i:PSALDO|PBUDGET)\s+(?P<year>{_FIELD})\s+(?P<period>{_FIELD})\s+(?P<account>{_FIELD})"
    rf"{_BEFORE_AMOUNT}(?P<amount>{_FIELD}){_REST}",
    "#RES": rf"^\s*#(?i:RES)\s+(?P<year>{_FIELD})\s+(?P<account>{_FIELD})\s+(?P<amount>{_FIELD}){_REST}",
}
_TRANS_TEXT = rf"^\s+(?:{_FIELD})\s+(?P<text>{_FIELD})"  # transdat, transtext
_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|([^\s"{}]+)|[{}]')
_AMOUNT = r"^-?[0-9]{1,16}(\.[0-9]{0,2})?$"


@dataclass
class SieFile:
    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    checks: list[SieCheck] = field(default_factory=list)
    year_labels: dict[int, str] = field(default_factory=dict)
    vouchers: int = 0  # #VER records read
    full_year: list[FullYearOnly] = field(default_factory=list)  # years whose outcome is #RES only
    object_names: dict[str, dict[str, str]] = field(default_factory=dict)  # column -> code -> #OBJEKT name


def tokens(line: str) -> list[str]:
    """A record's fields: quotes removed (\\" is "), an object list {…} as its own tokens."""
    out = []
    for match in _TOKEN.finditer(line):
        quoted, plain = match.group(1), match.group(2)
        out.append(quoted.replace('\\"', '"') if quoted is not None else plain if plain is not None else match[0])
    return out


# --- reading -----------------------------------------------------------------------------------


class Lines:
    """The file's lines as one Arrow string array, built from the text's bytes (no Python list
    of a million strings); each holds its own '\n'. A line as str only for messages and the
    few header records."""

    def __init__(self, text: str) -> None:
        import pyarrow as pa

        self.data = text.encode("utf-8")
        ends = np.flatnonzero(np.frombuffer(self.data, dtype=np.uint8) == 10) + 1
        if not len(ends) or ends[-1] != len(self.data):
            ends = np.append(ends, len(self.data))
        self.offsets = np.concatenate([[0], ends])
        large = len(self.data) >= 2**31
        self.array = pa.Array.from_buffers(
            pa.large_string() if large else pa.string(),
            len(ends),
            [None, pa.py_buffer(self.offsets.astype("int64" if large else "int32")), pa.py_buffer(self.data)],
        )

    def __getitem__(self, index: int) -> str:
        return self.region(index, index + 1).rstrip("\n")

    def region(self, start: int, stop: int) -> str:
        """Lines start..stop-1 as one text."""
        return self.data[self.offsets[start] : self.offsets[stop]].decode("utf-8")


@dataclass(frozen=True)
class Labels:
    """Each line's label ('#TRANS', in upper case) as a code into `dictionary`; -1: no label."""

    codes: np.ndarray
    dictionary: list[str]

    def where(self, *wanted: str) -> np.ndarray:
        """The lines (0-based) that have one of these labels."""
        hits = [self.dictionary.index(label) for label in wanted if label in self.dictionary]
        return np.flatnonzero(np.isin(self.codes, hits)) if hits else np.zeros(0, dtype=np.int64)


def decode(data: bytes, name: str, encoding: str | None, notes: list[str]) -> str:
    """CP437 as the spec says; valid UTF-8 with non-ASCII text is read as UTF-8, with a note."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not encoding and data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        encoding = "utf-16"  # saved as "Unicode" by an editor: its byte-order mark says so
    if encoding:
        try:
            return data.decode(encoding).removeprefix("\ufeff")
        except UnicodeDecodeError as error:
            line = data[: error.start].count(b"\n") + 1
            raise LoadError(f"{name}:{line}: not {encoding} text (--encoding {encoding})") from None
        except LookupError:
            raise OptionError(f"--encoding {encoding}: no such encoding") from None
    if not data.isascii():
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("cp437")
        notes.append(f"{name}: read as UTF-8, though SIE files are CP437 (PC8); --encoding cp437 overrides")
        return text
    return data.decode("ascii")


def read_sie(
    path: Path,
    encoding: str | None = None,
    dims: dict[int, str] | None = None,
    details: bool = True,
    names: bool = False,
    objects: tuple[str, ...] = (),
) -> SieFile:
    """Read one SIE file into ledger rows (`details`: with the #TRANS/#VER texts and each row's
    voucher, which only listings and reconcile's duplicate check need; `names`: with each
    account's #KONTO name, column account_name; `objects`: the ledger columns whose #OBJEKT
    names to read, for the drill-down). Raises LoadError with every problem found."""
    name = path.name
    notes: list[str] = []
    problems: list[str] = []
    raw = path.read_bytes()
    lines = _decoded_lines(raw, name, encoding, notes)
    labels = _label_lines(lines)
    problems += _stray_lines(name, lines, labels)
    _check_ksumma(name, raw, lines, labels.codes, labels.dictionary, problems)

    wanted = (*_HEADER_LABELS, "#KONTO") if names else _HEADER_LABELS
    header = {label: [(int(i) + 1, tokens(lines[i])) for i in labels.where(label)] for label in wanted}
    years = _fiscal_years(name, header["#RAR"], problems)
    columns = _dimension_columns(header, dims or {})

    vouchers = labels.where("#VER")
    voucher_rows, checks = _voucher_rows(name, lines, labels, vouchers, years, columns, details, problems)
    results = labels.where("#RES")
    res = _results(name, lines.array, results, years, problems) if len(results) else None
    period_rows = _period_rows(name, lines, labels, years, columns, res, problems, notes)
    if problems:
        raise LoadError(capped(problems, what="more problems"))

    # Each fiscal year's outcome comes from the finest record the file has for that year:
    # vouchers, else #PSALDO, else #RES; the coarser records of a year are only cross-checked.
    frames = _finest_records(voucher_rows, period_rows)
    counted = _outcome_sums(frames) if res is not None else None  # öre of the years with finer records
    full_year_rows, full_year = _full_year_results(name, res, counted, years, notes)
    frames += full_year_rows
    checks += _cross_checks(name, voucher_rows, period_rows, res, counted)

    if not frames:
        raise LoadError(f"{name}: no #TRANS, #PSALDO, #PBUDGET or #RES records: nothing to read")
    frame = concat([f.reset_index(drop=True) for f in frames])
    if years.source == "calendar":
        notes.append(f"{name}: no usable #RAR: fiscal years are taken as calendar years")
    out = _ledger_frame(frame, name, columns)
    if names:
        _add_account_names(out, header["#KONTO"])
    named = _object_names(lines, labels.where("#OBJEKT"), columns, objects) if objects else {}
    return SieFile(out, notes, checks, years.labels(), len(vouchers), full_year, named)


def _decoded_lines(raw: bytes, name: str, encoding: str | None, notes: list[str]) -> Lines:
    """The file's text (see decode) as Lines, each line ending in '\\n'."""
    content = decode(raw, name, encoding, notes)
    if "\x00" in content:
        line = content[: content.index("\x00")].count("\n") + 1
        raise LoadError(f"{name}:{line}: a NUL byte: not SIE text (a damaged file, or give --encoding)")
    return Lines(content.replace("\r\n", "\n").replace("\r", "\n"))


def _label_lines(lines: Lines) -> Labels:
    """Every line's label, by one Arrow regex over all lines."""
    import pyarrow.compute as pc

    label_struct = pc.extract_regex(lines.array, _LABEL)
    labels = pc.utf8_upper(pc.struct_field(label_struct, [0]))
    encoded = pc.dictionary_encode(labels)
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    codes = np.where(encoded.indices.is_null().to_numpy(zero_copy_only=False), -1, codes)
    return Labels(codes, encoded.dictionary.to_pylist())


def _stray_lines(name: str, lines: Lines, labels: Labels) -> list[str]:
    """A problem for each line without a label that is not blank, nor a voucher's { or }."""
    import pyarrow as pa
    import pyarrow.compute as pc

    stray = np.flatnonzero(labels.codes == -1)
    if not len(stray):
        return []
    loose = pc.utf8_trim_whitespace(lines.array.take(pa.array(stray)))
    bad = stray[~pc.is_in(loose, pa.array(["", "{", "}"])).to_numpy(zero_copy_only=False)]
    return capped(
        [f"{name}:{i + 1}: not an SIE record (a line starts with #LABEL): {lines[i][:60]!r}" for i in bad[:30]],
        len(bad),
        "lines that are no SIE record",
    )


def _voucher_rows(
    name: str,
    lines: Lines,
    labels: Labels,
    vouchers: np.ndarray,
    years: FiscalYears,
    columns: dict[int, str],
    details: bool,
    problems: list[str],
) -> tuple[pd.DataFrame | None, list[SieCheck]]:
    """The #TRANS rows (None: the file has none) and a check for each voucher that does not balance."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = lines.array
    trans = labels.where("#TRANS")
    if len(vouchers):  # '#VER A 2 20240115 "x" { #TRANS … }' on one line would lose its #TRANS
        inline = pc.match_substring_regex(array.take(pa.array(vouchers)), rf"^\s*#(?i:VER)(?:\s+(?:{_FIELD}))*\s*\{{")
        for i in vouchers[inline.to_numpy(zero_copy_only=False)][:MAX_REPORTED]:
            problems.append(f"{name}:{i + 1}: #VER: its {{, #TRANS and }} must stand on lines of their own")
    if not len(trans):
        return None, []
    return _vouchers(
        name, array, lines, vouchers, trans, _braces(array, labels.codes), years, columns, details, problems
    )


def _period_rows(
    name: str,
    lines: Lines,
    labels: Labels,
    years: FiscalYears,
    columns: dict[int, str],
    res: pd.DataFrame | None,
    problems: list[str],
    notes: list[str],
) -> pd.DataFrame | None:
    """The #PSALDO and #PBUDGET rows that count (None: the file has none, or there are problems)."""
    balances = labels.where("#PSALDO", "#PBUDGET")
    if not len(balances):
        return None
    every, empty, dimsets = _balances(
        name, lines.array, lines, balances, labels.dictionary, labels.codes, years, columns, problems, notes
    )
    return None if problems else _object_level(name, every, empty, dimsets, res, notes)


def _finest_records(vouchers: pd.DataFrame | None, periods: pd.DataFrame | None) -> list[pd.DataFrame]:
    """The voucher rows, and the #PSALDO/#PBUDGET rows but the #PSALDO of the vouchers' years."""
    if periods is not None and vouchers is not None:
        covered = (periods["version"] == OUTCOME) & periods["year"].isin(set(vouchers["year"]))
        periods = periods[~covered]
    return [rows for rows in (vouchers, periods) if rows is not None]


def _full_year_results(
    name: str, res: pd.DataFrame | None, counted: pd.Series | None, years: FiscalYears, notes: list[str]
) -> tuple[list[pd.DataFrame], list[FullYearOnly]]:
    """The #RES rows of the years no finer record covers (none in `counted`), as outcome in the
    year's last month, with a note; and those years."""
    if res is None or counted is None:
        return [], []
    only = res[~res["year"].isin(set(counted.index.get_level_values("year")))]
    if not len(only):
        return [], []
    months = {y.number: y.months for y in years.values()}
    rows = only.assign(period=only["year"].map(months).astype("int8"), version=OUTCOME)
    full_year: list[FullYearOnly] = []
    for label, first in only.groupby("year")["line"].min().items():
        year = cast(int, label)  # a year number (pandas-stubs type index labels as Hashable)
        full_year.append(FullYearOnly(OUTCOME, int(year), months[year], f"{name}:{first}", "#RES"))
    labels = years.labels()
    said = ", ".join(labels[f.year] for f in full_year)
    notes.append(f"{name}: {said}: full-year results only (#RES), read as outcome in the year's last month")
    return [rows], full_year


def _cross_checks(
    name: str,
    vouchers: pd.DataFrame | None,
    periods: pd.DataFrame | None,
    res: pd.DataFrame | None,
    counted: pd.Series | None,
) -> list[SieCheck]:
    """A year's coarser records against its finer ones: #PSALDO against the vouchers, #RES
    against the outcome rows read."""
    checks: list[SieCheck] = []
    if vouchers is not None and periods is not None:
        outcome = periods[periods["version"] == OUTCOME]
        checks += _cross_check_periods(name, vouchers, outcome)  # the vouchers' years only
    if res is not None and counted is not None:
        checks += _cross_check_results(name, res, counted)  # the years with finer records
    return checks


_HEADER_LABELS = ("#RAR", "#DIM", "#UNDERDIM")  # the header records read (#OBJEKT lists can be long)


def account_names(records: list[tuple[int, list[str]]]) -> dict[str, str]:
    """#KONTO kontonr kontonamn -> {account: name}; a record without a name gives none, and of
    two records for one account the last counts (as a later #KONTO corrects an earlier one)."""
    return {fields[1]: fields[2].strip() for _, fields in records if len(fields) >= 3 and fields[2].strip()}


def _object_names(
    lines: Lines, found: np.ndarray, columns: dict[int, str], wanted: tuple[str, ...]
) -> dict[str, dict[str, str]]:
    """#OBJEKT dimensionsnr objektnr objektnamn -> {column: {object: name}} for the `wanted`
    ledger columns (a dimension kfollow reads as one). A line per object, not per ledger row;
    of two records for one object the last counts, as for #KONTO."""
    out: dict[str, dict[str, str]] = {}
    for at in found.tolist():
        fields = tokens(lines[at])
        column = columns.get(int(fields[1])) if len(fields) >= 4 and fields[1].isdigit() else None
        if column in wanted and fields[3].strip():
            out.setdefault(column, {})[fields[2]] = fields[3].strip()
    return out


def _add_account_names(out: pd.DataFrame, records: list[tuple[int, list[str]]]) -> None:
    """Into `out`: each row's account name (column account_name) from #KONTO, looked up per
    distinct account, not per row; no column where no account read has a name."""
    found = account_names(records)
    accounts = out["account"].cat
    per_account = [found.get(str(account)) for account in accounts.categories]
    if not any(per_account):
        return
    distinct = sorted({n for n in per_account if n})
    index = {n: i for i, n in enumerate(distinct)}
    lookup = np.array([index[n] if n else -1 for n in per_account] + [-1], dtype="int32")
    categories = cast("pd.Index[str]", distinct)  # pandas-stubs want an Index; pandas takes any list-like
    out["account_name"] = pd.Categorical.from_codes(lookup[accounts.codes.to_numpy()], categories=categories)


# --- #KSUMMA ------------------------------------------------------------------------------------


def _check_ksumma(
    name: str,
    raw: bytes,
    lines: Lines,
    codes: np.ndarray,
    dictionary: list[str],
    problems: list[str],
) -> None:
    """A file that opens with #KSUMMA must close with #KSUMMA <CRC-32> of what lies between."""
    if "#KSUMMA" not in dictionary:
        return
    records = np.flatnonzero(codes >= 0)
    ksumma = np.flatnonzero(codes == dictionary.index("#KSUMMA"))
    opening = ksumma[0]
    if len(records) < 2 or opening not in records[:2] or len(tokens(lines[opening])) > 1:
        return  # not a checksummed file: a stray #KSUMMA is an unknown record
    closing = ksumma[-1] if len(ksumma) > 1 else None
    if closing is None or len(tokens(lines[closing])) < 2:
        problems.append(f"{name}: opens with #KSUMMA but has no closing #KSUMMA <checksum>: the file is cut short")
        return
    stated = tokens(lines[closing])[1]
    # The sum is over the file's own bytes (CP437 as written), lines opening+1 .. closing-1.
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    if b"\r" in raw:  # line ends as Lines has them
        raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    data = np.frombuffer(raw, dtype=np.uint8)
    starts = np.concatenate([[0], np.flatnonzero(data == 10) + 1])
    crc = zlib.crc32(checksum_bytes(data[starts[opening + 1] : starts[closing]]))
    if not stated.lstrip("-").isdigit() or int(stated) % 2**32 != crc:
        problems.append(
            f"{name}:{closing + 1}: #KSUMMA {stated} does not match the file's checksum {crc}: "
            "the file was changed or damaged after export"
        )


_LAYOUT_BYTES = np.zeros(256, dtype=bool)  # what separates fields: space, TAB, CR, LF, { and }
_LAYOUT_BYTES[list(b" \t\r\n{}")] = True


def checksum_bytes(data: npt.NDArray[np.uint8]) -> bytes:
    """What #KSUMMA sums (domain.md §3.6): each field's bytes with no spaces, TABs, line breaks,
    braces or delimiting quotes between them, and \\" as ". Vectorised: a byte is inside
    quotes where an odd number of (unescaped) quotes precede it."""
    quote = data == 34
    backslashes = np.flatnonzero(data[:-1] == 92)  # few: the escapes \" are found among them
    escapes = backslashes[data[backslashes + 1] == 34]
    quote[escapes + 1] = False  # an escaped quote is text, not a delimiter
    # The parity of the quotes so far; uint8 wraps, which keeps the parity, at a tenth of the cost
    inside = np.bitwise_xor.accumulate(quote.view(np.uint8)).view(bool)
    keep = inside | ~_LAYOUT_BYTES[data]
    keep &= ~quote  # an opening quote is 'inside' by the parity: drop every delimiting quote
    keep[escapes] = False
    return data[keep].tobytes()


# --- fiscal years -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FiscalYear:
    index: int  # årsnr: 0, -1, …
    number: int  # the calendar year it ends in
    start: int  # YYYYMM
    months: int

    def period(self, yyyymm: np.ndarray) -> np.ndarray:
        """Month of the fiscal year (1..months); 0 outside it."""
        offset = (yyyymm // 100 - self.start // 100) * 12 + (yyyymm % 100 - self.start % 100) + 1
        return np.where((offset >= 1) & (offset <= self.months), offset, 0)


class FiscalYears(dict[int, FiscalYear]):
    """årsnr -> FiscalYear, from #RAR; `source` says 'rar' or 'calendar' (no usable #RAR)."""

    source = "rar"

    def labels(self) -> dict[int, str]:
        """Year number -> header label: '2016', or '2015/16' for a year that is not Jan–Dec."""
        out = {}
        for year in self.values():
            broken = year.start % 100 != 1 or year.months != 12
            start = year.start // 100
            out[year.number] = (
                f"{start}/{year.number % 100:02d}" if broken and start != year.number else str(year.number)
            )
        return out

    def locate(self, yyyymm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(year number, period) of calendar months; (0, 0) where no fiscal year holds them."""
        number = np.zeros(len(yyyymm), dtype="int32")
        period = np.zeros(len(yyyymm), dtype="int32")
        if self.source == "calendar":
            return yyyymm // 100, yyyymm % 100
        for year in self.values():
            inside = year.period(yyyymm)
            hit = (inside > 0) & (period == 0)
            number[hit], period[hit] = year.number, inside[hit]
        return number, period


def _fiscal_years(name: str, records: list[tuple[int, list[str]]], problems: list[str]) -> FiscalYears:
    years = FiscalYears()
    for line, fields in records:
        if len(fields) < 4 or not all(re.fullmatch(r"\d{8}", f) for f in fields[2:4]):
            continue  # '#RAR 0 "" ""' in some 4I files: no fiscal year
        try:
            index = int(fields[1])
        except ValueError:
            problems.append(f"{name}:{line}: #RAR {fields[1]!r}: not a year number (0, -1, …)")
            continue
        start, end = int(fields[2][:6]), int(fields[3][:6])
        months = (end // 100 - start // 100) * 12 + end % 100 - start % 100 + 1
        if months < 1 or months > MAX_MONTHS:
            problems.append(f"{name}:{line}: #RAR {index} {fields[2]} {fields[3]}: not a fiscal year")
            continue
        years[index] = FiscalYear(index, end // 100, start, months)
    numbers = [y.number for y in years.values()]
    if len(set(numbers)) < len(numbers):
        problems.append(f"{name}: two fiscal years (#RAR) end in the same calendar year; kfollow numbers them by it")
    if not years:
        years.source = "calendar"
    return years


# --- dimensions ---------------------------------------------------------------------------------


def _dimension_columns(header: dict[str, list[tuple[int, list[str]]]], given: dict[int, str]) -> dict[int, str]:
    """Dimension number -> ledger column: 1 ansvar, 6 projekt, others by #DIM/#UNDERDIM name;
    --dim N=COLUMN makes N the only dimension of COLUMN."""
    columns = dict(DEFAULT_DIMS)
    for label in ("#DIM", "#UNDERDIM"):
        for _, fields in header[label]:
            if len(fields) >= 3 and fields[1].isdigit():
                column = DIM_NAMES.get(fields[2].strip().lower())
                if column and int(fields[1]) not in DEFAULT_DIMS:
                    columns[int(fields[1])] = column
    for number, column in given.items():  # --dim N=COLUMN: N is the column, no other dimension
        columns = {n: c for n, c in columns.items() if c != column}
        columns[number] = column
    return columns


def _object_columns(values: Any, columns: dict[int, str]) -> tuple[dict[str, pd.Categorical], Any, np.ndarray]:
    """Object lists -> (column -> Categorical of object ids, the distinct lists, each row's
    index into them; -1: no list). Each dimension's id is found by one Arrow regex over the
    distinct lists, at a pair boundary: {1 "2100" 20 "28910"} gives 20 -> 28910."""
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(values)
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype("int64")
    lists = encoded.dictionary
    out = {}
    for column in dict.fromkeys(columns.values()):
        ids = None
        for number in (n for n, c in columns.items() if c == column):
            pattern = rf'^\{{\s*(?:(?:{_FIELD})\s+(?:{_FIELD})\s+)*?"?{number}"?\s+(?P<id>{_FIELD})'
            found = pc.struct_field(pc.extract_regex(lists, pattern), [0])
            ids = found if ids is None else pc.coalesce(ids, found)
        if ids is None or not pc.any(pc.is_valid(ids)).as_py():
            continue
        per_list = _categorical(_unquote_array(ids))
        row_codes = np.append(np.asarray(per_list.codes), -1)[codes]
        out[column] = pd.Categorical.from_codes(row_codes, categories=per_list.categories)
    return out, lists, codes


def _dimension_sets(lists: Any, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: whether its object list is empty, and its dimension set ('1,20,'): the list
    with its object ids taken out, by one Arrow regex over the distinct lists."""
    import pyarrow.compute as pc

    numbers = pc.replace_substring_regex(lists, rf'\s*"?([0-9]+)"?\s+(?:{_FIELD})', r"\1,")
    numbers = pc.replace_substring_regex(numbers, r"[{}\s]", "")
    sets = np.append(numbers.to_numpy(zero_copy_only=False).astype(object), "")
    empty = (sets == "")[codes]
    return empty, sets[codes]


# --- records -------------------------------------------------------------------------------------


def _fields(array: Any, rows: np.ndarray, pattern: str) -> tuple[dict[str, Any], np.ndarray]:
    """Named regex groups of the given lines (Arrow arrays, quotes removed) and a mask of the
    lines the pattern does not fit."""
    import pyarrow as pa
    import pyarrow.compute as pc

    matched = pc.extract_regex(array.take(pa.array(rows)), pattern)
    bad = matched.is_null().to_numpy(zero_copy_only=False)
    out = {}
    for i in range(matched.type.num_fields):
        name = matched.type.field(i).name
        column = pc.struct_field(matched, [i])
        out[name] = _unquote_array(column)
    return out, bad


def _unquote_array(column: Any) -> Any:
    """'"a \\"b\\""' -> 'a "b"', vectorised: quoted values lose their first and last character."""
    import pyarrow.compute as pc

    quoted = pc.starts_with(column, '"')
    if not pc.any(quoted).as_py():
        return column
    inner = pc.utf8_slice_codeunits(column, 1, -1)
    if pc.any(pc.match_substring(inner, '\\"')).as_py():
        inner = pc.replace_substring(inner, '\\"', '"')
    return pc.if_else(quoted, inner, column)


def _categorical(values: Any) -> pd.Categorical:
    """An Arrow string array -> pandas Categorical (nulls and '' as missing), via Arrow's
    dictionary encoding: no Python object per row."""
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(values)
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype("int32")
    categories = encoded.dictionary.to_pylist()
    if "" in categories:
        codes[codes == categories.index("")] = -1
    keep = [c for c in categories if c != ""]
    if len(keep) < len(categories):
        remap = np.array([keep.index(c) if c != "" else -1 for c in categories] + [-1], dtype="int32")
        codes = remap[codes]
    return pd.Categorical.from_codes(codes, categories=pd.Index(keep, dtype=object))


def _integers(column: Any) -> np.ndarray:
    """Integer text ('0', '-1', '202403') -> float values, NaN where a field is none: one Arrow
    pass, no Python object per line."""
    import pyarrow as pa
    import pyarrow.compute as pc

    whole = pc.fill_null(pc.match_substring_regex(column, r"^-?[0-9]{1,9}$"), False)
    numbers = pc.cast(pc.if_else(whole, column, pa.scalar(None, pa.string())), pa.int64())
    floats: np.ndarray = numbers.to_numpy(zero_copy_only=False).astype("float64")
    return floats


def _bad_lines(name: str, rows: np.ndarray, bad: np.ndarray, lines: Lines, what: str) -> list[str]:
    at = rows[bad]
    return capped(
        [f"{name}:{i + 1}: {what}: cannot read {lines[i].strip()[:80]!r}" for i in at[:MAX_REPORTED]],
        len(at),
        f"more {what} lines",
    )


def _ore(name: str, amounts: Any, rows: np.ndarray, problems: list[str]) -> np.ndarray:
    """SIE amounts ('-133', '1234.50', '-0.5') -> exact öre; bad ones named by line."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ok = pc.fill_null(pc.match_substring_regex(amounts, _AMOUNT), False).to_numpy(zero_copy_only=False)
    if not ok.all():
        at = rows[~ok]
        problems += capped(
            [
                f"{name}:{i + 1}: amount {shown(a)}: not an SIE amount (digits 0–9, a point as decimal mark, "
                "at most 2 decimals)"
                for i, a in zip(at[:MAX_REPORTED], np.asarray(amounts.to_pylist(), dtype=object)[~ok], strict=False)
            ],
            len(at),
            "more bad amounts",
        )
        amounts = pc.if_else(pa.array(ok), amounts, "0")
    ore = decimal_ore(pc.cast(amounts, pa.decimal128(18, 2)))
    if ore is None:
        problems.append(f"{name}: an amount is beyond 16 digits of kronor")
        return np.zeros(len(rows), dtype="int64")
    return ore


def _dates(name: str, dates: Any, rows: np.ndarray, lines: Lines, problems: list[str]) -> np.ndarray:
    """YYYYMMDD -> YYYYMM (int); bad dates named by line."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ok = pc.fill_null(pc.match_substring_regex(dates, r"^[0-9]{8}$"), False).to_numpy(zero_copy_only=False)
    # A real date: month 1–12 and a day the month has (each distinct date checked once).
    values = pd.Series(pc.if_else(pa.array(ok), dates, "19000101").to_numpy(zero_copy_only=False))
    distinct = values.unique()
    real = pd.to_datetime(pd.Series(distinct), format="%Y%m%d", errors="coerce").notna().to_numpy()
    ok &= values.map(dict(zip(distinct, real, strict=True))).to_numpy(dtype=bool)
    if not ok.all():
        at = rows[~ok]
        problems += capped(
            [f"{name}:{i + 1}: date: not YYYYMMDD: {lines[i].strip()[:80]!r}" for i in at[:MAX_REPORTED]],
            len(at),
            "more bad dates",
        )
    text = pc.utf8_slice_codeunits(pc.fill_null(dates, "00000000"), 0, 6)
    safe = pc.if_else(pa.array(ok), text, "0")
    return np.where(ok, pc.cast(safe, pa.int64()).to_numpy(zero_copy_only=False), 0)


def _last_before(marks: np.ndarray, at: np.ndarray) -> np.ndarray:
    """For each position, the last mark (sorted line numbers) above it; -1 where none."""
    if not len(marks):
        return np.full(len(at), -1)
    index = np.searchsorted(marks, at) - 1
    return np.where(index >= 0, marks[np.maximum(index, 0)], -1)


def _braces(array: Any, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Line numbers (0-based) of the lines that are '{' and '}' (a voucher's brackets)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    loose = np.flatnonzero(codes == -1)
    if not len(loose):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    text = pc.utf8_trim_whitespace(array.take(pa.array(loose)))
    return (
        loose[pc.equal(text, "{").to_numpy(zero_copy_only=False)],
        loose[pc.equal(text, "}").to_numpy(zero_copy_only=False)],
    )


def _vouchers(
    name: str,
    array: Any,
    lines: Lines,
    vouchers: np.ndarray,
    trans: np.ndarray,
    braces: tuple[np.ndarray, np.ndarray],
    years: FiscalYears,
    columns: dict[int, str],
    details: bool,
    problems: list[str],
) -> tuple[pd.DataFrame, list[SieCheck]]:
    """#TRANS rows, dated by their #VER; and an error check for each voucher that does not balance."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ver, ver_bad = _fields(array, vouchers, _RECORDS["#VER"])
    problems += _bad_lines(name, vouchers, ver_bad, lines, "#VER")
    fields, bad = _fields(array, trans, _RECORDS["#TRANS"])
    problems += _bad_lines(name, trans, bad, lines, "#TRANS")
    if ver_bad.any() or bad.any():
        return pd.DataFrame(), []
    # The voucher of each #TRANS: the last #VER above it, whose { } must hold it (a #TRANS
    # after a voucher's '}' belongs to none).
    owner = np.searchsorted(vouchers, trans) - 1
    inside = owner >= 0
    opens, closes = braces
    if len(opens):
        last_open = _last_before(opens, trans)
        inside &= (last_open > vouchers[np.maximum(owner, 0)]) & (last_open > _last_before(closes, trans))
    orphans = trans[~inside]
    problems += capped(
        [f"{name}:{i + 1}: #TRANS outside a #VER {{ … }}" for i in orphans[:MAX_REPORTED]],
        len(orphans),
        "more #TRANS outside a voucher",
    )
    if not len(vouchers):  # every #TRANS is an orphan, named above: no voucher to date them by
        return pd.DataFrame(), []
    owner = np.maximum(owner, 0)
    ver_dates = _dates(name, ver["date"], vouchers, lines, problems)
    number_by_ver, period_by_ver = years.locate(ver_dates)
    outside = np.flatnonzero((period_by_ver == 0) & (ver_dates > 0))
    problems += capped(
        [
            f"{name}:{vouchers[i] + 1}: #VER date {ver_dates[i]}: in no fiscal year of #RAR"
            for i in outside[:MAX_REPORTED]
        ],
        len(outside),
        "more vouchers outside the fiscal years",
    )
    number, period = number_by_ver[owner], period_by_ver[owner]
    amount = _ore(name, fields["amount"], trans, problems)
    objects, _, _ = _object_columns(fields["objects"], columns)
    outcome = cast("pd.Index", [OUTCOME])  # pandas-stubs want an Index; pandas takes any list-like
    frame = pd.DataFrame(
        {
            "year": number,
            "period": period,
            "version": pd.Categorical.from_codes(np.zeros(len(trans), dtype="int8"), categories=outcome),
            "account": _categorical(fields["account"]),
            "amount": amount,
            "line": trans + 1,
            **objects,
        }
    )
    if details:  # the transaction's text, else its voucher's; the voucher itself
        frame["voucher"] = _voucher_of(ver, vouchers, owner)
        own = _unquote_array(pc.struct_field(pc.extract_regex(fields["rest"], _TRANS_TEXT), [0]))
        own = pc.if_else(pc.fill_null(pc.equal(own, ""), True), pa.nulls(len(own), pa.string()), own)
        texts = pc.coalesce(own, ver["text"].take(pa.array(owner))) if len(vouchers) else own
        frame["text"] = _categorical(texts)
    checks = []
    if len(vouchers) and not problems:
        sums = exact_group_sums(owner.astype("int64"), amount, len(vouchers))[1]
        for i in np.flatnonzero(sums)[: MAX_REPORTED + 1]:
            series, number = ver["series"][i].as_py(), ver["number"][i].as_py()
            where_ = f"{name}:{vouchers[i] + 1}"
            what = f"verifikation {series} {number}".replace("  ", " ")
            checks.append(
                SieCheck(
                    "sie-voucher-balance",
                    f"{where_}: {what} ({ver_dates[i]}) does not balance: its #TRANS sum to {format_kr(int(sums[i]))}",
                    f"{name} {what}",
                    {"file": name, "series": series, "number": number, "sum_kr": kr(sums[i])},
                    (where_,),
                )
            )
    return frame, checks


def _voucher_of(ver: dict[str, Any], vouchers: np.ndarray, owner: np.ndarray) -> pd.Categorical:
    """Each #TRANS's voucher, 'A 12' (series and number): two equal #TRANS lines of two
    vouchers are two postings, those of one voucher given twice are a duplicate. A voucher
    without a number is known by its line ('@120'). Encoded per voucher, not per #TRANS."""
    import pyarrow as pa
    import pyarrow.compute as pc

    series, number = pc.fill_null(ver["series"], ""), pc.fill_null(ver["number"], "")
    keys = pc.binary_join_element_wise(series, number, " ")
    at = pc.binary_join_element_wise("@", pc.cast(pa.array(vouchers + 1), pa.string()), "")
    per_voucher = _categorical(pc.if_else(pc.equal(number, ""), at, keys))
    return pd.Categorical.from_codes(np.asarray(per_voucher.codes)[owner], per_voucher.categories)


def _balances(
    name: str,
    array: Any,
    lines: Lines,
    rows: np.ndarray,
    dictionary: list[str],
    codes: np.ndarray,
    years: FiscalYears,
    columns: dict[int, str],
    problems: list[str],
    notes: list[str],
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Every #PSALDO (utfall) and #PBUDGET (budget) line as a row, with whether its object list
    is empty and its dimension set ('1,20'): _object_level chooses which rows count."""
    fields, bad = _fields(array, rows, _RECORDS["#PSALDO"])
    problems += _bad_lines(name, rows, bad, lines, "#PSALDO/#PBUDGET")
    if bad.any():
        return pd.DataFrame(), np.zeros(0, bool), np.zeros(0, object)
    is_budget = codes[rows] == dictionary.index("#PBUDGET") if "#PBUDGET" in dictionary else np.zeros(len(rows), bool)
    index = _integers(fields["year"])
    yyyymm = np.nan_to_num(_integers(fields["period"])).astype("int64")
    number = np.zeros(len(rows), dtype="int32")
    period = np.zeros(len(rows), dtype="int32")
    if years.source == "calendar":  # no #RAR dates: the periods' own calendar years
        number, period = years.locate(yyyymm)
        number = np.where((period >= 1) & (period <= 12), number, 0)
        period = np.where(number > 0, period, 0)
    for i in np.unique(index[~np.isnan(index)]).astype(int) if years.source != "calendar" else []:
        year = years.get(i)
        mine = index == i
        if year is None:
            problems += [f"{name}:{r + 1}: årsnr {i}: no #RAR {i} in the file" for r in rows[mine][:5]]
            continue
        number[mine] = year.number
        period[mine] = year.period(yyyymm[mine])
        # Some exporters write a year −1 budget with the periods of year 0 (#PBUDGET -1 201101
        # in a 2011 file): the month is read within the årsnr's own year.
        # (A YYYYMM of six digits only: '5011' is an account in the period's place, not November.)
        is_month = (yyyymm >= 100001) & (yyyymm <= 999912) & (yyyymm % 100 >= 1) & (yyyymm % 100 <= 12)
        shifted = mine & (period == 0) & is_month
        if shifted.any() and year.months == 12:
            period[shifted] = (yyyymm[shifted] % 100 - year.start % 100) % 12 + 1
            notes.append(
                f"{name}: {int(shifted.sum())} lines of årsnr {i} give months outside that fiscal year "
                f"(first at line {rows[shifted][0] + 1}): read as those months of the year of årsnr {i}"
            )
    off = period == 0  # (no line is bad here: those return above)
    problems += [
        f"{name}:{r + 1}: period {p!r}: not a month (YYYYMM) of its fiscal year (#RAR)"
        for r, p in zip(
            rows[off][:MAX_REPORTED],
            fields["period"].take(np.flatnonzero(off)[:MAX_REPORTED]).to_pylist(),
            strict=False,
        )
    ]
    amount = _ore(name, fields["amount"], rows, problems)
    objects, lists, list_codes = _object_columns(fields["objects"], columns)
    empty, dimsets = _dimension_sets(lists, list_codes)
    frame = pd.DataFrame(
        {
            "year": number,
            "period": period,
            "version": pd.Categorical(np.where(is_budget, BUDGET, OUTCOME)),
            "account": _categorical(fields["account"]),
            "amount": amount,
            "line": rows + 1,
            **objects,
        }
    )
    return frame, empty, dimsets


def _object_level(
    name: str, every: pd.DataFrame, empty: np.ndarray, dimsets: np.ndarray, res: pd.DataFrame | None, notes: list[str]
) -> pd.DataFrame:
    """Which balance lines count. The spec (type 3) repeats each total per object: then per
    account and period the total line, or the richest object set summing to it, counts. Some
    exporters (Avendo) instead split the balance: each line holds what was booked on exactly
    its objects. The file's own #RES tells which: the reading whose result accounts sum to
    more of its #RES lines wins."""
    if empty.all():
        return every
    found: list[str] = []
    repeated = _one_level(every, empty, dimsets, name, found)
    if res is not None and len(res):

        def matches(rows: pd.DataFrame) -> int:
            outcome = rows[rows["version"] == OUTCOME].groupby(["year", "account"])["amount"].sum()
            stated = res.groupby(["year", "account"])["amount"].sum()
            both = stated.to_frame("stated").join(outcome.rename("rows"), how="left").fillna(0)
            return int((both["stated"] == both["rows"]).sum())

        if matches(every) > matches(repeated):
            notes.append(
                f"{name}: the object lines of #PSALDO/#PBUDGET are parts of the balance, not repeats of the "
                "total (so the file's #RES add up): every line counts"
            )
            return every
    notes += found
    return repeated


def _one_level(
    frame: pd.DataFrame, empty: np.ndarray, dimsets: np.ndarray, name: str, notes: list[str]
) -> pd.DataFrame:
    """Keep, per (version, year, period, account), the rows of one level, never two: the total
    line, or the richest set of object lines that sums to it (the same amount, with the
    dimensions to filter on). Without a total line, one dimension set: the richest where all
    sets sum alike (each repeats the total), else the set of the lowest dimension numbers."""
    if empty.all():
        return frame
    group = frame.groupby(["version", "year", "period", "account"], sort=False).ngroup().to_numpy()
    work = pd.DataFrame({"group": group, "dimset": dimsets, "amount": frame["amount"].to_numpy(), "empty": empty})
    totals = work[work["empty"]].groupby("group")["amount"].sum()
    sets = work[~work["empty"]].groupby(["group", "dimset"])["amount"].sum().reset_index()
    sets["total"] = sets["group"].map(totals)
    sets["size"] = sets["dimset"].str.count(",")  # '1,20,': two dimensions
    # '1,20,' -> (1, 20): each distinct set ranked by its dimension numbers, lowest first
    distinct = sorted(sets["dimset"].unique(), key=lambda d: [int(n) for n in d.split(",") if n])
    sets["order"] = sets["dimset"].map({d: rank for rank, d in enumerate(distinct)})
    has_total = sets["total"].notna()
    alike = sets[~has_total].groupby("group")["amount"].nunique() == 1
    fits = sets[(sets["amount"] == sets["total"]) | sets["group"].isin(alike[alike].index)]
    chosen = fits.sort_values(["group", "size"], ascending=[True, False]).drop_duplicates("group")
    differ = sets[sets["group"].isin(alike[~alike].index)]
    lowest = differ.sort_values(["group", "order"]).drop_duplicates("group")
    chosen = pd.concat([chosen, lowest])
    if len(lowest):
        first = frame.iloc[int(np.flatnonzero(group == lowest["group"].iloc[0])[0])]
        notes.append(
            f"{name}: for {len(lowest)} account and period(s) without a total line (the first: konto "
            f"{first['account']}, {first['year']} period {first['period']}, line {first['line']}) the object lines "
            "of different dimensions differ: the lines of the lowest-numbered dimensions count"
        )
    unmatched = sorted(set(sets["group"]) - set(chosen["group"]))
    if unmatched:
        first = frame.iloc[int(np.flatnonzero(group == unmatched[0])[0])]
        notes.append(
            f"{name}: for {len(unmatched)} account and period(s) (the first: konto {first['account']}, "
            f"{first['year']} period {first['period']}, line {first['line']}) the object lines do not sum "
            "to the total: the totals are used, without their objects"
        )
    key = pd.Series(True, index=pd.MultiIndex.from_frame(chosen[["group", "dimset"]]))
    keep_objects = ~empty & key.reindex(pd.MultiIndex.from_arrays([group, dimsets]), fill_value=False).to_numpy()
    keep_totals = empty & ~np.isin(group, chosen["group"].to_numpy())
    return frame[keep_objects | keep_totals]


def _results(name: str, array: Any, rows: np.ndarray, years: FiscalYears, problems: list[str]) -> pd.DataFrame:
    fields, bad = _fields(array, rows, _RECORDS["#RES"])
    problems += [f"{name}:{r + 1}: #RES: cannot read the line" for r in rows[bad][:MAX_REPORTED]]
    if bad.any():
        return pd.DataFrame({"year": [], "version": [], "account": [], "amount": [], "line": []})
    index = _integers(fields["year"])
    number = np.zeros(len(rows), dtype="int32")
    for i, year in years.items():
        number[index == i] = year.number
    missing = rows[number == 0]
    problems += [f"{name}:{r + 1}: #RES: årsnr with no #RAR in the file" for r in missing[:MAX_REPORTED]]
    return pd.DataFrame(
        {
            "year": number,
            "version": OUTCOME,
            "account": _categorical(fields["account"]),
            "amount": _ore(name, fields["amount"], rows, problems),
            "line": rows + 1,
        }
    )


# --- cross-checks -------------------------------------------------------------------------------


def _differences(name: str, stated: pd.Series, counted: pd.Series, code: str, what: str) -> list[SieCheck]:
    both = pd.concat([stated.rename("stated"), counted.rename("counted")], axis=1).fillna(0).astype("int64")
    off = both[both["stated"] != both["counted"]]
    checks = []
    for key, row in off.head(MAX_REPORTED).iterrows():
        key = key if isinstance(key, tuple) else (key,)
        subject = " ".join(str(k) for k in key)
        checks.append(
            SieCheck(
                code,
                f"{name}: {what} {subject}: the file states {format_kr(int(row['stated']))}, its rows sum to "
                f"{format_kr(int(row['counted']))}",
                f"{name} {subject}",
                {
                    "file": name,
                    "key": [str(k) for k in key],
                    "stated_kr": kr(row["stated"]),
                    "rows_kr": kr(row["counted"]),
                },
                (),
            )
        )
    return checks


def _outcome_sums(frames: list[pd.DataFrame]) -> pd.Series:
    """Öre of the outcome rows per (year, account), over the frames read (no copy of them)."""
    sums: list[pd.Series[int]] = []
    for frame in frames:
        outcome = frame["version"] == OUTCOME
        rows = frame if outcome.all() else frame[outcome]
        sums.append(_by_year_and_account(rows))
    if not sums:
        return pd.Series([], index=pd.MultiIndex.from_tuples([], names=["year", "account"]), dtype="int64")
    return pd.concat(sums).groupby(level=["year", "account"]).sum()


def _by_year_and_account(rows: pd.DataFrame) -> pd.Series:
    """Öre per (year, account as text): frames whose account categories differ sum together."""
    sums = rows.groupby(["year", "account"], observed=True)["amount"].sum()
    index = cast(pd.MultiIndex, sums.index)  # grouped by two keys (pandas-stubs: any Index)
    accounts = cast("list[str]", index.levels[1].astype(str))  # an Index: pandas takes one, pandas-stubs want a list
    return sums.set_axis(index.set_levels(accounts, level="account"))


def _cross_check_results(name: str, res: pd.DataFrame, counted: pd.Series) -> list[SieCheck]:
    """#RES per year and account against the sums of the outcome rows read (years they cover)."""
    covered = set(counted.index.get_level_values("year"))
    stated = _by_year_and_account(res[res["year"].isin(covered)])
    # Only what the file states: a result account whose #RES is 0 may be left out.
    return _differences(name, stated, counted.reindex(stated.index, fill_value=0), "sie-result", "#RES year, account")


def _cross_check_periods(name: str, vouchers: pd.DataFrame, balances: pd.DataFrame) -> list[SieCheck]:
    """#PSALDO per year, period and account against the vouchers (where the vouchers cover the year)."""
    covered = set(vouchers["year"])
    stated = balances[balances["year"].isin(covered)].groupby(["year", "period", "account"])["amount"].sum()
    # Only the balances the file states (an export may write a few, as XE_SIE_4 does).
    counted = vouchers.groupby(["year", "period", "account"])["amount"].sum().reindex(stated.index, fill_value=0)
    return _differences(name, stated, counted, "sie-period-balance", "#PSALDO year, period, account")


# --- the ledger frame ---------------------------------------------------------------------------


def _ledger_frame(frame: pd.DataFrame, name: str, columns: dict[int, str]) -> pd.DataFrame:
    """The columns and dtypes of the ledger frame (kfollow/ledger.py)."""

    def categorical(column: str) -> pd.Categorical[str]:
        values = frame[column]
        return values.array if isinstance(values.dtype, pd.CategoricalDtype) else pd.Categorical(values.astype(str))

    out = pd.DataFrame(
        {
            "year": frame["year"].astype("int16").to_numpy(),
            "period": frame["period"].astype("int8").to_numpy(),
            "version": categorical("version"),
            "account": categorical("account"),
            "amount": frame["amount"].astype("int64").to_numpy(),
        }
    )
    for column in (*dict.fromkeys(columns.values()), "text", "voucher"):
        if column in frame and frame[column].notna().any():
            out[column] = (
                frame[column].to_numpy()
                if not isinstance(frame[column].dtype, pd.CategoricalDtype)
                else frame[column].array
            )
    source = cast("pd.Index", [name])  # pandas-stubs want an Index; pandas takes any list-like
    out["source"] = pd.Categorical.from_codes(np.zeros(len(out), dtype="int8"), categories=source)
    out["line"] = frame["line"].astype("int32").to_numpy()
    return out
