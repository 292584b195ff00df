"""The fuzz suite's tools: running the CLI in-process, the clean-exit property, mutations of
bytes and lines, and an independent reference reader ("oracle") of a ledger CSV.

The oracle shares no code with kfollow/: it reads the mutated bytes with Python's csv module,
parses amounts with a strict Swedish parser of its own (digits 0-9 only, groups of three,
decimal comma or point, at most 2 decimals) and builds the Drift table by the rules of SPEC
§1-§3 in integer öre. A run of kfollow that exits 0 must print what the oracle computes from
the same bytes; where the oracle refuses the bytes, kfollow must refuse them too (exit 2 or 3).
The oracle is deliberately simple and slow (one Python loop per row): the example ledger
has 4 456 rows.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import json
import os
import re
import struct
import subprocess
import sys
import threading
import tomllib
import zipfile
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from kfollow.cli import cli

# --- running the CLI ---------------------------------------------------------------------------

# stderr lines a run may print besides `Error:` lines (SPEC §7): warnings and notes.
KNOWN_PREFIXES = ("Error: ", "Warning: ", "Note: ")
LONGEST_LINE = 1000  # an error message quotes at most 200 characters of the input


@dataclass
class Run:
    args: list[str]
    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None

    @property
    def command(self) -> str:
        return self.args[0]

    def first_error(self) -> str:
        lines = self.stderr.splitlines()
        return next((line for line in lines if line.startswith("Error:")), lines[0] if lines else "")[:300]


def invoke(*args: object) -> Run:
    """The CLI in-process (click's CliRunner): about 40 ms a run where a subprocess takes 1 s."""
    argv = [str(a) for a in args]
    # An exception in a worker thread goes to threading.excepthook (pytest's, which makes it a
    # warning of the test): the run's, here, as the traceback it prints on a terminal.
    # An exception nobody could raise (in a callback from C: "Exception ignored in …") goes to
    # sys.unraisablehook, likewise.
    stray: list[str] = []
    hooks = threading.excepthook, sys.unraisablehook
    threading.excepthook = lambda failed: stray.append(f"Exception in thread: {failed.exc_type.__name__}")
    sys.unraisablehook = lambda failed: stray.append(f"Exception ignored in: {failed.exc_type.__name__}")
    try:
        result = CliRunner().invoke(cli, argv, catch_exceptions=True)
    finally:
        threading.excepthook, sys.unraisablehook = hooks
    exception = result.exception if not isinstance(result.exception, SystemExit) else None
    stderr = "".join(f"{error} (Traceback …)\n" for error in sorted(set(stray))) + result.stderr
    return Run(argv, result.exit_code, result.stdout, stderr, exception)


def unclean(run: Run) -> list[str]:
    """What is wrong with how a run ended, whatever its input (SPEC §7): [] if nothing.

    Exit 0, 1 (reconcile's findings only), 2 or 3; every stderr line `Error:`, `Warning:` or
    `Note:`, none longer than LONGEST_LINE, no NUL, no traceback, no internal error; nothing on
    stdout after a refusal (no table from data that failed to load)."""
    return _ending(run) + _stderr(run)


def _ending(run: Run) -> list[str]:
    found = []
    allowed = (0, 1, 2, 3) if run.command == "reconcile" else (0, 2, 3)
    if run.exception is not None:
        found.append(f"exception {type(run.exception).__name__}: {str(run.exception)[:200]}")
    if run.exit_code not in allowed:
        found.append(f"exit {run.exit_code}")
    if run.exit_code in (2, 3) and run.stdout:
        found.append(f"exit {run.exit_code} but {len(run.stdout)} characters on stdout")
    return found


def _stderr(run: Run) -> list[str]:
    found = []
    if "Traceback" in run.stderr:
        found.append("traceback on stderr: " + next(x for x in run.stderr.splitlines() if "Traceback" in x)[:100])
    if "internal error" in run.stderr:
        found.append("internal error: " + run.first_error()[:200])
    if "\x00" in run.stderr:
        found.append("NUL on stderr")
    # reconcile's summary line goes to stderr when its reports go to files
    free = run.command == "reconcile" and run.exit_code in (0, 1)
    for line in run.stderr.splitlines():
        if len(line) > LONGEST_LINE:
            found.append(f"stderr line of {len(line)} characters")
            break
        if not line.startswith(KNOWN_PREFIXES) and not free:
            found.append(f"stderr line not Error/Warning/Note: {line[:120]!r}")
            break
    return found


# --- mutations ---------------------------------------------------------------------------------


def flip(data: bytes, at: int, xor: int) -> bytes:
    return data[:at] + bytes([data[at] ^ xor]) + data[at + 1 :]


def replace_at(data: bytes, at: int, new: bytes, length: int = 1) -> bytes:
    return data[:at] + new + data[at + length :]


def split_lines(data: bytes) -> list[bytes]:
    """Lines with their line ends (b'\\r\\n', b'\\n'), so that joining them gives data back."""
    return data.splitlines(keepends=True)


def ensure_line_end(line: bytes) -> bytes:
    return line if line.endswith((b"\n", b"\r")) else line + b"\r\n"


def delete_lines(data: bytes, indexes: list[int]) -> bytes:
    lines = split_lines(data)
    drop = {i % len(lines) for i in indexes}
    return b"".join(line for i, line in enumerate(lines) if i not in drop)


def swap_lines(data: bytes, first: int, second: int) -> bytes:
    lines = [ensure_line_end(line) for line in split_lines(data)]
    a, b = first % len(lines), second % len(lines)
    lines[a], lines[b] = lines[b], lines[a]
    return b"".join(lines)


def duplicate_lines(data: bytes, indexes: list[int]) -> bytes:
    lines = [ensure_line_end(line) for line in split_lines(data)]
    for i in sorted({i % len(lines) for i in indexes}, reverse=True):
        lines.insert(i, lines[i])
    return b"".join(lines)


def mutant(source: bytes, operation: str, at: int, xor: int) -> bytes:
    """flip (byte `at` XOR `xor`), cut (at `at`), delete, duplicate or swap (line `at`, with line
    `xor`); positions wrap around."""
    lines = len(split_lines(source))
    if operation == "flip":
        return flip(source, at % len(source), xor)
    if operation == "cut":
        return source[: at % len(source)]
    if operation == "delete":
        return delete_lines(source, [at % lines])
    if operation == "duplicate":
        return duplicate_lines(source, [at % lines])
    assert operation == "swap", operation
    return swap_lines(source, at % lines, xor % lines)


def field_spans(data: bytes, column: int, delimiter: bytes = b";") -> list[tuple[int, int]]:
    """(start, end) byte offsets of field `column` (-1: the last) of every line but the first."""
    spans = []
    start = 0
    for line in split_lines(data):
        body = line.rstrip(b"\r\n")
        offsets = [0] + [m.end() for m in re.finditer(re.escape(delimiter), body)]
        ends = [m.start() for m in re.finditer(re.escape(delimiter), body)] + [len(body)]
        if start and len(offsets) > abs(column):
            spans.append((start + offsets[column], start + ends[column]))
        start += len(line)
    return spans


# --- a strict Swedish amount parser (SPEC §1) ----------------------------------------------------

_SEPARATORS = " \u00a0\u202f"
_SWEDISH = re.compile(
    r"(?P<sign>[-+\u2212]|\u2013 ?)?"
    r"(?P<whole>[0-9]{1,3}(?:[" + _SEPARATORS + r"][0-9]{3})+|[0-9]+)"
    r"(?:[,.](?P<decimals>[0-9]{1,2}))?"
)
LIMIT_ORE = 10**18  # int64 holds it: what kfollow can hold (money.LIMIT_ORE, written out here)


def strict_ore(text: str) -> int | None:
    """'-1 234,5' -> -123450 öre; None for anything else: other digits, an exponent, a group
    that is not three long, more than 2 decimals, a trailing comma, a space after a hyphen."""
    match = _SWEDISH.fullmatch(text.strip())
    if not match:
        return None
    whole = int(re.sub("[^0-9]", "", match["whole"]))
    decimals = (match["decimals"] or "").ljust(2, "0")
    ore = whole * 100 + int(decimals)
    if ore >= LIMIT_ORE:
        return None
    return -ore if match["sign"] and match["sign"] != "+" else ore


_XSD_DOUBLE = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def number_ore(text: str) -> int | None:
    """A numeric cell's value (an xsd:double's text) as öre: None unless it is kronor with at
    most 2 decimals below 10^12 kr (what a double holds exactly to the öre)."""
    if not _XSD_DOUBLE.fullmatch(text.strip()):
        return None
    value = float(text)
    ore = round(value * 100)
    if abs(value) >= 1e12 or abs(value * 100 - ore) > 0.05:
        return None
    return ore


@dataclass(frozen=True)
class Number:
    """A numeric xlsx cell's text (<v>), as opposed to a text cell."""

    text: str


# --- the oracle: a ledger CSV read independently -------------------------------------------------

HEADER_ALIASES = {
    "år": "year", "ar": "year", "year": "year",
    "period": "period", "månad": "period", "manad": "period", "month": "period",
    "version": "version", "typ": "version", "type": "version",
    "konto": "account", "account": "account",
    "belopp": "amount", "amount": "amount", "kr": "amount",
    "ansvar": "ansvar", "verksamhet": "verksamhet", "aktivitet": "aktivitet", "projekt": "projekt",
    "motpart": "motpart", "text": "text", "beskrivning": "text",
    "kontotext": "account_name", "kontonamn": "account_name", "kontobenämning": "account_name",
    "benämning": "account_name", "account name": "account_name",
}  # fmt: skip
REQUIRED = ("year", "period", "version", "account", "amount")
CODES = ("year", "period", "version", "account", "ansvar", "verksamhet", "aktivitet", "projekt", "motpart")
VERSIONS = {
    "utfall": "utfall", "outcome": "utfall", "actual": "utfall", "bokfört": "utfall", "bokfort": "utfall",
    "budget": "budget", "prognos": "prognos", "forecast": "prognos",
}  # fmt: skip
NAMED_FORECAST = re.compile(r"(prognos|forecast)[-_ ].+")
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


class Refused(Exception):
    """Input the oracle holds to be unusable: kfollow must stop on it (exit 2 or 3)."""


@dataclass(frozen=True)
class Row:
    line: int
    year: int
    month: int
    version: str
    account: str
    ore: int
    cells: tuple[object, ...]  # the whole row as read, for the duplicate check


@dataclass
class Ledger:
    rows: list[Row]
    ends_without_line_end: bool = False
    sign: int = 1  # 1: ledger sign (debit +), -1: report sign

    def duplicates(self) -> bool:
        return any(n > 1 for n in Counter(r.cells for r in self.rows).values())


def decode(data: bytes) -> str:
    """SPEC §1's encodings, strictly: UTF-16 by its BOM; UTF-8 (BOM dropped) if the whole file
    is; cp1252 if no part of it is UTF-8; anything else is refused."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise Refused(f"not UTF-16 ({error})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if _UTF8_SEQUENCE.search(data):
        raise Refused("UTF-8 in part, not in whole")
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as error:
        raise Refused(f"an undecodable byte ({error})") from None


def sniff_rows(text: str) -> list[list[str]]:
    """The file's rows, split on the delimiter of its first line (';', TAB or ',')."""
    first = text.split("\n", 1)[0]
    delimiter = max(";\t,", key=first.count)
    # No field limit here (an unbalanced quote makes one field of the rest of the file), and
    # the module's own limit back at once: kfollow's csv use must meet its usual one.
    limit = csv.field_size_limit(1 << 31)
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    finally:
        csv.field_size_limit(limit)


def find_header(rows: list[list[object]]) -> tuple[int, dict[str, int]]:
    """(index, column of each key) of the header row; data rows above it are refused."""
    for index, cells in enumerate(rows[:30]):
        names = [" ".join(str(c).strip().lower().split()) for c in cells]
        keys = [HEADER_ALIASES.get(n) for n in names]
        if all(k in keys for k in REQUIRED):
            known = [k for k in keys if k]
            if len(known) != len(set(known)):
                raise Refused("two columns mean the same")
            if any(sum(bool(str(c).strip()) for c in row) > 1 for row in rows[:index]):
                raise Refused("data rows above the header row")
            return index, {k: i for i, k in enumerate(keys) if k}
    raise Refused("no header row")


@functools.lru_cache(maxsize=1 << 16)
def _integer(value: object, low: int, high: int, what: str) -> int:
    text = value.text if isinstance(value, Number) else str(value).strip()
    if isinstance(value, Number) and re.fullmatch(r"[0-9]+\.0*", text):
        text = text.split(".")[0]
    if not re.fullmatch(r"[0-9]+", text) or not low <= int(text) <= high:
        raise Refused(f"{what} {text!r}")
    return int(text)


@functools.lru_cache(maxsize=1 << 16)
def _period(value: object) -> tuple[int | None, int]:
    text = value.text if isinstance(value, Number) else str(value).strip()
    if isinstance(value, Number) and re.fullmatch(r"[0-9]+\.0*", text):
        text = text.split(".")[0]  # a whole number written with a point
    match = re.fullmatch(r"(?:([0-9]{4})-?)?([0-9]{1,2})", text)
    if not match or not 1 <= int(match[2]) <= 12:
        raise Refused(f"period {text!r}")
    return (int(match[1]) if match[1] else None), int(match[2])


@functools.lru_cache(maxsize=1 << 16)
def _version(value: object) -> str:
    name = str(value).strip().lower()
    if name in VERSIONS:
        return VERSIONS[name]
    if NAMED_FORECAST.fullmatch(name):
        return name
    raise Refused(f"version {name!r}")


@functools.lru_cache(maxsize=1 << 16)
def _account(value: object) -> str:
    text = str(value)
    if "\x00" in text or not text.split():
        raise Refused(f"account {text!r}")
    return text.split()[0]


@functools.lru_cache(maxsize=1 << 16)
def _amount(value: object) -> int:
    ore = number_ore(value.text) if isinstance(value, Number) else strict_ore(str(value))
    if ore is None:
        raise Refused(f"amount {value!r}")
    return ore


def read_row(line: int, cells: list[object], columns: dict[str, int], nul: bool = True) -> Row:
    if nul:
        for key in CODES:
            if key in columns and "\x00" in str(cells[columns[key]]):
                raise Refused(f"NUL in {key}")
    year_in_period, month = _period(cells[columns["period"]])
    year = _integer(cells[columns["year"]], 1900, 2200, "year")
    if year_in_period is not None and year_in_period != year:
        raise Refused("period and year disagree")
    version = _version(cells[columns["version"]])
    account = _account(cells[columns["account"]])
    ore = _amount(cells[columns["amount"]])
    return Row(line, year, month, version, account, ore, tuple(cells))


def read_rows(rows: list[list[object]], first_line: int = 1) -> Ledger:
    """Rows of cells (CSV text, or xlsx cells) -> the ledger, or Refused."""
    index, columns = find_header(rows)
    width = len(rows[index])
    nul = any("\x00" in str(c) for cells in rows for c in cells)
    out = []
    for number, cells in enumerate(rows[index + 1 :], start=first_line + index + 1):
        if not any(str(c).strip() for c in cells):
            continue  # a blank line
        if len(cells) != width:
            raise Refused(f"line {number}: {len(cells)} fields where the header has {width}")
        out.append(read_row(number, cells, columns, nul))
    if not out:
        raise Refused("no rows")
    return Ledger(out, sign=auto_sign(out))


def auto_sign(rows: list[Row]) -> int:
    """SPEC §1: ledger sign if the personnel accounts (class 5) sum positive, report sign if
    negative; refused where there are none to tell by."""
    personnel = sum(r.ore for r in rows if r.account.startswith("5"))
    if personnel == 0:
        raise Refused("sign cannot be told")
    return 1 if personnel > 0 else -1


def read_csv_bytes(data: bytes) -> Ledger:
    if not data.strip(b" \t\r\n\x00"):
        raise Refused("empty")
    text = decode(data)
    ledger = read_rows(sniff_rows(text))
    ledger.ends_without_line_end = not text.endswith(("\n", "\r"))
    return ledger


# --- the Drift table (SPEC §2, §3), from the oracle's ledger -------------------------------------

BUILT_IN = {
    "1": "-", "2": "-", "3": "Verksamhetens intäkter", "4": "Övriga kostnader", "46": "Köp av tjänster",
    "5": "Personalkostnader", "6": "Övriga kostnader", "60": "Lokalhyror", "7": "Övriga kostnader",
    "74": "Köp av tjänster", "75": "Köp av tjänster", "84": "Finansnetto", "85": "Finansnetto", "89": "-",
}  # fmt: skip
LEAVES = (
    "Verksamhetens intäkter", "Personalkostnader", "Lokalhyror", "Köp av tjänster", "Övriga kostnader",
    "Kommunbidrag", "Finansnetto",
)  # fmt: skip
SUBTOTALS = {
    "Verksamhetens kostnader": ("Personalkostnader", "Lokalhyror", "Köp av tjänster", "Övriga kostnader"),
    "Verksamhetens nettokostnader": ("Verksamhetens intäkter", "Verksamhetens kostnader"),
    "Årets resultat": ("Verksamhetens nettokostnader", "Kommunbidrag", "Finansnetto"),
}
ROW_ORDER = (*LEAVES[:5], "Verksamhetens kostnader", "Verksamhetens nettokostnader", *LEAVES[5:], "Årets resultat")


class Unmapped(Exception):
    """Accounts no rule maps: variance must stop (exit 3), reconcile must find it (exit 1)."""


def row_of(account: str, rules: dict[str, str]) -> str | None:
    for length in range(len(account), 0, -1):
        if account[:length] in rules:
            return rules[account[:length]]
    return None


def round_kr(ore: int) -> int:
    """Öre to kr, half away from zero."""
    whole = (abs(ore) + 50) // 100
    return whole if ore >= 0 else -whole


def drift(ledger: Ledger, rules: dict[str, str]) -> dict[str, object]:
    """{'year', 'through', 'rows': {label: {column key: kr or None}}} as `variance --unit kr`
    prints it; Unmapped if an account maps to no row."""
    mapped = [(r, row_of(r.account, rules)) for r in ledger.rows]
    if any(row is None for _, row in mapped):
        raise Unmapped(sorted({r.account for r, row in mapped if row is None}))
    shown = [(r, row) for r, row in mapped if row != "-"]
    outcome = [r for r, _ in shown if r.version == "utfall"]
    if not outcome:
        raise Refused("no outcome rows: the period is unknown")
    year = max(r.year for r in outcome)
    through = max(r.month for r in outcome if r.year == year)
    selections = {
        "budget": ("budget", year, 12),
        "forecast": ("prognos", year, 12),
        "outcome": ("utfall", year, through),
        "outcome_previous": ("utfall", year - 1, through),
    }
    present = {(r.version, r.year) for r, _ in shown}
    sums = _sums(shown, selections, ledger.sign)
    table = {}
    for label in ROW_ORDER:
        values: dict[str, int | None] = {}
        for key, (version, y, _) in selections.items():
            values[key] = sums[label][key] if (version, y) in present else None
        values["forecast_deviation"] = _difference(values["forecast"], values["budget"])
        values["outcome_change"] = _difference(values["outcome"], values["outcome_previous"])
        table[label] = {k: (round_kr(v) if v is not None else None) for k, v in values.items()}
    return {"year": year, "through": through, "rows": table}


def _sums(
    shown: list[tuple[Row, str | None]], selections: dict[str, tuple[str, int, int]], sign: int
) -> dict[str, dict[str, int]]:
    """Öre per table row and column, report sign (revenue +, costs −), subtotals included."""
    sums: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r, row in shown:
        for key, (version, y, last) in selections.items():
            if (r.version, r.year) == (version, y) and r.month <= last:
                sums[str(row)][key] -= r.ore * sign
    for label, parts in SUBTOTALS.items():
        for key in selections:
            sums[label][key] = sum(sums[p][key] for p in parts)
    return sums


def _difference(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a - b


def printed_drift(stdout: str) -> dict[str, object]:
    """`variance --format json --unit kr` in drift()'s shape."""
    report = json.loads(stdout)
    rows = {r["label"]: r["values"] for r in report["rows"]}
    return {"year": report["year"], "through": report["through"], "rows": rows}


def config_rules(text: str) -> dict[str, str]:
    """The account rules of a kfollow.toml over the built-in map; Refused where kfollow must
    refuse the file (exit 2): not TOML, an unknown section or key, a duplicate prefix after
    stripping, a row that is no row of the table."""
    try:
        config = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as error:
        raise Refused(f"not TOML: {error}") from None
    unknown = set(config) - {"accounts", "investments", "names", "report", "year"}
    if unknown:
        raise Refused(f"unknown sections {sorted(unknown)}")
    accounts = config.get("accounts", {})
    if not isinstance(accounts, dict):
        raise Refused("[accounts] is no table")
    rules = dict(BUILT_IN)
    seen: set[str] = set()
    for key, row in accounts.items():
        prefix = key.strip()
        if not prefix or prefix in seen or row not in (*LEAVES, "-"):
            raise Refused(f"[accounts] {key!r} = {row!r}")
        seen.add(prefix)
        rules[prefix] = row
    _check_investments(config.get("investments", {}))
    return rules


def _check_investments(section: object) -> None:
    if not isinstance(section, dict):
        raise Refused("[investments] is no table")
    for key, value in section.items():
        if key == "options":
            if not isinstance(value, dict) or set(value) - {"accounts"}:
                raise Refused(f"[investments.options] {value!r}")
        elif not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise Refused(f"[investments] {key!r} = {value!r}")


# --- what a run must have printed ---------------------------------------------------------------


def judge(run: Run, oracle: Callable[[], tuple[Ledger, dict[str, str]]], note: bool = False) -> list[str]:
    """The property of every run (SPEC §1, §7): it ends cleanly, and where it exits 0 (reconcile:
    0 or 1) it prints what the oracle reads from the same bytes; where the oracle refuses them,
    it must not exit 0 or 1. note: list refusals of what the oracle reads (REFUSALS)."""
    problems = unclean(run)
    if problems or run.exit_code not in (0, 1):
        if run.exit_code in (2, 3) and note:
            _note_refusal(run, oracle)
        return problems
    try:
        ledger, rules = oracle()
        return check_exit_zero(run, ledger, rules)
    except Refused as error:
        return [f"exit {run.exit_code} on input that must be refused ({str(error)[:120]})"]


# Runs that refused input the oracle reads: not a failure of the property (a refusal is always
# clean), but worth a look (kfollow may be stricter than SPEC). KFOLLOW_FUZZ_NOTES=FILE lists them.
REFUSALS: list[str] = []


def _note_refusal(run: Run, oracle: Callable[[], tuple[Ledger, dict[str, str]]]) -> None:
    try:
        ledger, rules = oracle()
        if run.command in ("variance", "reconcile"):
            drift(ledger, rules)
    except (Refused, Unmapped):
        return
    REFUSALS.append(f"{' '.join(run.args[:2])}: exit {run.exit_code}: {run.first_error()[:200]}")


def convert_rows(stdout: str) -> Counter[tuple[object, ...]]:
    """`convert`'s CSV as a multiset of (year, month, version, account, öre)."""
    rows = list(csv.reader(io.StringIO(stdout.lstrip("\ufeff")), delimiter=";"))
    header = rows[0]
    at = {name: header.index(name) for name in ("år", "period", "version", "konto", "belopp")}
    found: Counter[tuple[object, ...]] = Counter()
    for cells in rows[1:]:
        ore = strict_ore(cells[at["belopp"]])
        found[(int(cells[at["år"]]), int(cells[at["period"]]), cells[at["version"]], cells[at["konto"]], ore)] += 1
    return found


def account_sums(stdout: str) -> dict[str, tuple[int, dict[str, int]]]:
    """`accounts --format csv` as {account: (rows, {'utfall 2024': kr, …})}."""
    rows = list(csv.reader(io.StringIO(stdout)))
    header = rows[0]
    columns = [(i, h.removesuffix(" (kr)")) for i, h in enumerate(header) if h.endswith(" (kr)")]
    count = header.index("Rader")  # after Namn where the ledger names its accounts
    return {cells[0]: (int(cells[count]), {name: int(cells[i]) for i, name in columns}) for cells in rows[1:]}


def check_exit_zero(run: Run, ledger: Ledger, rules: dict[str, str]) -> list[str]:
    """What a run that exited 0 (or reconcile 1) printed, against the oracle's ledger."""
    checks = {"variance": _check_variance, "reconcile": _check_reconcile, "convert": _check_convert}
    check = checks.get(run.command, _check_accounts)
    return check(run, ledger, rules)


def _check_variance(run: Run, ledger: Ledger, rules: dict[str, str]) -> list[str]:
    try:
        expected = drift(ledger, rules)
    except Unmapped as error:
        return [f"exit 0 with unmapped accounts {error}"]
    printed = printed_drift(run.stdout)
    if printed == expected:
        return []
    return [_first_difference(printed, expected)]


def _first_difference(printed: dict[str, object], expected: dict[str, object]) -> str:
    for key in ("year", "through"):
        if printed[key] != expected[key]:
            return f"{key} {printed[key]} where the file gives {expected[key]}"
    rows_p, rows_e = printed["rows"], expected["rows"]
    assert isinstance(rows_p, dict) and isinstance(rows_e, dict)
    for label, values in rows_e.items():
        if rows_p.get(label) != values:
            got = rows_p.get(label, {})
            keys = [k for k in values if got.get(k) != values[k]]
            return f"{label} / {keys[0]}: printed {got.get(keys[0])} kr where the file gives {values[keys[0]]}"
    return f"rows {sorted(rows_p)} where the file gives {sorted(rows_e)}"


def _check_reconcile(run: Run, ledger: Ledger, rules: dict[str, str]) -> list[str]:
    report = json.loads(run.stdout)
    codes = {f["code"] for f in report["findings"]}
    messages = " ".join(f["message"].lower() for f in report["findings"])
    problems = []
    if report["ledger_rows"] != len(ledger.rows):
        problems.append(f"ledger_rows {report['ledger_rows']} where the file has {len(ledger.rows)}")
    if ledger.duplicates() and "duplicate-rows" not in codes:
        problems.append("duplicate rows not reported")
    if ledger.ends_without_line_end and not re.search(r"line end|newline|cut off|truncat", messages):
        problems.append("a last line without a line end, not noted")
    try:
        drift(ledger, rules)
    except Unmapped:
        if run.exit_code != 1 or "unmapped-account" not in codes:
            problems.append("unmapped accounts not reported as an error")
    return problems


def _check_convert(run: Run, ledger: Ledger, rules: dict[str, str]) -> list[str]:
    expected = Counter((r.year, r.month, r.version, r.account, r.ore * ledger.sign) for r in ledger.rows)
    found = convert_rows(run.stdout)
    if found == expected:
        return []
    extra, missing = found - expected, expected - found
    return [f"convert wrote {sorted(extra)[:2]} where the file has {sorted(missing)[:2]}"]


def _check_accounts(run: Run, ledger: Ledger, rules: dict[str, str]) -> list[str]:
    sums: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    counts: Counter[str] = Counter()
    printed = account_sums(run.stdout)
    one_year = not any(re.search(r" \d{4}$", k) for _, values in printed.values() for k in values)
    for r in ledger.rows:
        counts[r.account] += 1
        sums[r.account][r.version if one_year else f"{r.version} {r.year}"] += r.ore * ledger.sign
    expected = {a: (counts[a], {k: round_kr(v) for k, v in sums[a].items()}) for a in counts}
    for account, (rows, values) in expected.items():
        got_rows, got_values = printed.get(account, (None, {}))
        shown = {k: v for k, v in got_values.items() if k in values}
        if got_rows != rows or shown != values:
            return [f"account {account}: printed {got_rows} rows {shown} where the file gives {rows} rows {values}"]
    if set(printed) - set(expected):
        return [f"accounts {sorted(set(printed) - set(expected))[:3]} that the file does not have"]
    return []


# --- xlsx: sheets of our own, bombs, and a run in a process of its own --------------------------


def xlsx_with_sheet(example: Path, sheet: bytes) -> bytes:
    """The example workbook with its sheet's XML replaced."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(example) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target,
    ):
        for info in source.infolist():
            data = sheet if info.filename == "xl/worksheets/sheet1.xml" else source.read(info)
            target.writestr(info.filename, data)
    return out.getvalue()


@dataclass(frozen=True)
class Member:
    """A zip member as raw deflate bytes; `declared` is the size its headers state."""

    name: str
    deflated: bytes
    crc: int
    size: int
    declared: int | None = None


def deflated(data: bytes) -> Member:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    return Member("", compressor.compress(data) + compressor.flush(), zlib.crc32(data), len(data))


def zip_bytes(members: list[Member]) -> bytes:
    """A zip of deflated members, written by hand so that a member can state a size it does
    not have, or hold more than zlib would write in the time a test has (a bomb)."""
    out, central = io.BytesIO(), io.BytesIO()
    for member in members:
        offset = out.tell()
        size = member.size if member.declared is None else member.declared
        name = member.name.encode()
        fixed = struct.pack("<HHHHHIII", 20, 0, 8, 0, 0x21, member.crc, len(member.deflated), size)
        out.write(b"PK\x03\x04" + fixed + struct.pack("<HH", len(name), 0) + name + member.deflated)
        central.write(
            b"PK\x01\x02"
            + struct.pack("<H", 20)
            + fixed
            + struct.pack("<HHHHHII", len(name), 0, 0, 0, 0, 0, offset)
            + name
        )
    directory = central.getvalue()
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members), len(members), len(directory), out.tell(), 0)
    return out.getvalue() + directory + end


def xlsx_members(example: Path) -> list[Member]:
    """The example workbook's members but its sheet, deflated."""
    with zipfile.ZipFile(example) as source:
        return [
            Member(info.filename, *_deflate_fields(source.read(info)))
            for info in source.infolist()
            if info.filename != "xl/worksheets/sheet1.xml"
        ]


def _deflate_fields(data: bytes) -> tuple[bytes, int, int]:
    member = deflated(data)
    return member.deflated, member.crc, member.size


def padded_sheet(head: bytes, padding: int, tail: bytes, fill: bytes = b" ") -> Member:
    """sheet1.xml of head + `padding` bytes `fill` + tail, deflated without deflating them all: a
    16 MiB run of them is compressed once (full flush: it stands alone) and repeated."""
    chunk = 16 << 20
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    filler = fill * chunk
    run = compressor.compress(filler) + compressor.flush(zlib.Z_FULL_FLUSH)
    rest = fill * (padding % chunk) + tail
    last = compressor.compress(rest) + compressor.flush()
    crc = zlib.crc32(head)
    for _ in range(padding // chunk):
        crc = zlib.crc32(filler, crc)
    crc = zlib.crc32(rest, crc)
    data = first + run * (padding // chunk) + last
    return Member("xl/worksheets/sheet1.xml", data, crc, len(head) + padding + len(tail))


@dataclass
class Isolated:
    """A CLI run in a process of its own: exit code (negative: killed by that signal), stderr,
    and, where it ended by itself, the seconds kfollow ran (imports not counted) and its peak
    memory (MiB, VmHWM: of this process image, not of the pytest process it was forked from)."""

    exit_code: int
    stderr: str
    seconds: float | None
    peak_mib: float | None

    def run(self, args: list[str]) -> Run:
        return Run(args, self.exit_code, "", self.stderr, None)

    def costly(self, seconds: float, mib: float) -> str | None:
        """What went past `seconds` or `mib`, if anything."""
        if self.seconds is not None and self.seconds > seconds:
            return f"took {self.seconds:.1f} s"
        if self.peak_mib is not None and self.peak_mib > mib:
            return f"took {self.peak_mib:.0f} MiB"
        return None


# The child limits its own address space (no preexec_fn, which forks a threaded process): a
# resource bomb then fails inside it, not on the machine that runs the tests. It runs its cases
# one after the other, each through click's runner, and writes a line per case as it ends: the
# exit code, the seconds it ran and the process's peak memory during it (VmHWM, reset before
# each case through /proc/self/clear_refs; -1 where Linux does not offer it).
_CHILD = """
import json, resource, sys, time
limit, report, cases = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from click.testing import CliRunner
from kfollow.cli import cli

# A first run of its own, not timed: kfollow imports pandas, pyarrow and the readers when a
# command first needs them.
with open("warm-up.csv", "w", encoding="utf-8") as warm:
    warm.write("år;period;version;konto;belopp\\n2024;1;utfall;5011;1\\n")
CliRunner().invoke(cli, ["variance", "warm-up.csv"])

def peak():
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return -1

with open(report, "a") as out:
    for number, argv in cases:
        try:  # the peak from here on; where it cannot be reset, none is reported
            with open("/proc/self/clear_refs", "w") as clear:
                clear.write("5")
            reset = True
        except OSError:
            reset = False
        start = time.perf_counter()
        result = CliRunner().invoke(cli, argv)
        seconds = time.perf_counter() - start
        line = [number, result.exit_code, result.stderr, seconds, peak() if reset else -1]
        out.write(json.dumps(line) + "\\n")
        out.flush()
"""


def isolated(argvs: list[list[str]], cwd: Path, memory: int = 4 << 30, timeout: float = 120) -> list[Isolated]:
    """Each argv run in a child process (a native abort or an exhausted memory must not take
    pytest down): one child runs them in turn; where one dies, the case it was on gets its exit
    code and stderr, and a new child goes on with the next."""
    import kfollow

    # The kfollow this process tests (a worktree's, or the installed one), not whichever the
    # child would find first.
    env = {**os.environ, "PYTHONPATH": str(Path(kfollow.__file__).parent.parent)}
    report = cwd / "isolated-report.jsonl"
    results: dict[int, Isolated] = {}
    while len(results) < len(argvs):
        cases = [(n, argv) for n, argv in enumerate(argvs) if n not in results]
        command = [sys.executable, "-c", _CHILD, str(memory), str(report), json.dumps(cases)]
        with (cwd / "isolated-stderr.txt").open("wb") as sink:
            process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=sink, env=env)
        try:
            exit_code = process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            exit_code = process.wait()
        for line in report.read_text("utf-8").splitlines() if report.exists() else []:
            number, code, stderr, seconds, peak = json.loads(line)
            results[number] = Isolated(code, stderr, seconds, peak / 1024 if peak >= 0 else None)
        report.unlink(missing_ok=True)
        crashed = next((n for n, _ in cases if n not in results), None)
        if crashed is not None:  # the child died in this case: its own output is the case's
            text = (cwd / "isolated-stderr.txt").read_bytes().decode("utf-8", "replace")
            results[crashed] = Isolated(exit_code, text, None, None)
    return [results[n] for n in range(len(argvs))]
