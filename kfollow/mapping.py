"""Accounts -> rows of the Drift table: the built-in Kommun-Bas map with kfollow.toml over it.

The longest matching prefix wins. A rule's row "-" excludes the account from every table.
Matching runs once per distinct account (a ledger has thousands, not millions), and rows
follow through their category codes.

kfollow.toml is checked whole before any of it is used (SPEC §1: nothing is read wrong in
silence), and every problem found is reported at once, each at its file:line:
- the file: at most CONFIG_SIZE bytes of UTF-8 (a BOM is allowed), no NUL, valid TOML, nested
  no deeper than tomllib can read;
- every section and key is one SPEC defines (KNOWN, those of features not built yet too);
  any other is an error that names it, the known ones and the nearest of them;
- every value is of the type its key takes;
- no two keys of a section are one to kfollow. Account prefixes and codes are compared as
  written: case and leading zeros count ("04711" is not "4711"), as in the ledger. A code key
  with space around it (" 91 ") would match no account (the ledger's codes are stripped), so
  it is refused with what to write ("91") rather than stripped in silence, and " 91 " beside
  "91" is one error naming both. Category paths of [investments] are labels, read with the
  space around each "/" part stripped: two paths that are one so are refused.
"""

from __future__ import annotations

import contextlib
import difflib
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from .errors import QUOTE_LIMIT, ConfigError, MappingError, capped, shown, shown_code
from .ledger import DIMENSIONS
from .read.normalise import has_control_characters
from .syntax import parse_by, parse_filter

INCOME = "Verksamhetens intäkter"
PERSONNEL = "Personalkostnader"
PREMISES = "Lokalhyror"
SERVICES = "Köp av tjänster"
OTHER = "Övriga kostnader"
ALLOCATION = "Kommunbidrag"
FINANCIAL = "Finansnetto"
UNMAPPED = "Ej mappat"
EXCLUDED = "-"

# The rows an account can map to, in table order.
LEAF_ROWS = (INCOME, PERSONNEL, PREMISES, SERVICES, OTHER, ALLOCATION, FINANCIAL)

BUILT_IN = "Kommun-Bas"

# A kommun's kfollow.toml is a few KiB. One of megabytes is another file given as --config, or
# hostile: tomllib reads about 1.5 MiB a second (2 MiB: about 1.5 s), so larger is refused unread.
CONFIG_SIZE = 2 << 20

# Every section SPEC defines (§2, §8–§12), built or not yet: one of a feature to come is no
# error, a misspelt one is. [names.<dimension>]: konto and the dimensions of SPEC §1.
KNOWN = (
    "[accounts], [investments], [investments.options], [names.<dimension>], [year], and [report] with [[report.table]]"
)
INVESTMENT_OPTIONS = ("accounts",)
NAMED = ("konto", *DIMENSIONS)
YEAR_KEYS = ("start_month",)
# [report] (SPEC §12, kfollow report): the chapter's title and period, and its tables, each
# with the options of its command as keys. year, through and unit: for every table, or one's own.
REPORT_KEYS = ("title", "year", "through", "unit", "table")
REPORT_PERIOD_KEYS = ("year", "through", "unit")
REPORT_TABLE_KEYS = (
    "name",
    "kind",
    "where",
    "exclude",
    "period_budget",
    "by",
    "top",
    "previous_forecast",
    "forecast_version",
    *REPORT_PERIOD_KEYS,
)
REPORT_KINDS = ("drift", "investments")
REPORT_UNITS = ("kr", "tkr", "mkr")
REPORT_TABLE_NAMES = {"drift": "Drift", "investments": "Investeringar"}
# A table's name is its sheet's name: what Excel allows in one.
SHEET_NAME_LIMIT = 31
SHEET_NAME_FORBIDDEN = "[]:*?/\\"
# The Investeringar table's own rows (investments.TOTAL, UNCATEGORISED; that module imports
# this one): no category may be named so.
OWN_INVESTMENT_ROWS = ("Totala utgifter", "Ej kategoriserat")


@dataclass(frozen=True)
class Rule:
    prefix: str
    row: str  # a LEAF_ROWS label or EXCLUDED
    origin: str  # "Kommun-Bas" or the config file's name


@dataclass(frozen=True)
class Rules:
    accounts: dict[str, Rule]
    config: Path | None = None
    # Raw sections kept for later stages (investments).
    sections: dict[str, Any] = field(default_factory=dict)


def load_rules(config: Path | None) -> Rules:
    """The built-in map, with the [accounts] of `config` (if any) laid over it. The whole of
    `config` is checked first (the module's docstring); every problem is a ConfigError line."""
    text = resources.files("kfollow").joinpath("data/kommun-bas.toml").read_text("utf-8")
    accounts = _account_rules(tomllib.loads(text)["accounts"], BUILT_IN)
    if config is None:
        return Rules(accounts)
    text = _config_text(config)
    sections = _read_toml(text, config.name)
    problems = _check_config(sections)
    if problems:
        raise ConfigError(_placed(problems, text, config.name))
    return Rules({**accounts, **_account_rules(sections.get("accounts", {}), config.name)}, config, sections)


def _account_rules(table: dict[str, str], origin: str) -> dict[str, Rule]:
    return {prefix: Rule(prefix, row, origin) for prefix, row in table.items()}


# --- reading the file ---------------------------------------------------------------------------


def _config_text(config: Path) -> str:
    """The text of kfollow.toml: at most CONFIG_SIZE bytes of UTF-8 (a BOM is allowed), no NUL."""
    try:
        with config.open("rb") as file:
            data = file.read(CONFIG_SIZE + 1)  # never more: --config may name a device or a FIFO
    except OSError as error:
        raise ConfigError(f"{config}: cannot be read ({error.strerror})") from None
    if len(data) > CONFIG_SIZE:
        raise ConfigError(
            f"{config.name}: over {CONFIG_SIZE >> 20} MiB, too large for a kfollow.toml (a kommun's is a few KiB); "
            "is it the file you meant to give as --config?"
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ConfigError(f"{config.name}: UTF-16 text; save kfollow.toml as UTF-8")
    if (nul := data.find(b"\0")) >= 0:
        raise ConfigError(f"{config.name}:{_line_column(data, nul)}: a NUL byte; kfollow.toml is text, saved as UTF-8")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{config.name}:{_line_column(data, error.start)}: byte 0x{data[error.start]:02x} is not UTF-8; "
            "save kfollow.toml as UTF-8"
        ) from None
    return text.removeprefix("\ufeff")


def _line_column(data: bytes, at: int) -> str:
    """'3:7': the line and the column (in characters) of byte `at`."""
    start = data.rfind(b"\n", 0, at) + 1
    line = data.count(b"\n", 0, at) + 1
    return f"{line}:{len(data[start:at].decode('utf-8', 'replace')) + 1}"


def _read_toml(text: str, origin: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        at = re.search(r" \(at line (\d+), column (\d+)\)$", message)
        where = f"{origin}:{at[1]}:{at[2]}" if at else origin
        message = message[: at.start()] if at else message
        if len(message) > QUOTE_LIMIT:  # "Cannot declare ('…',) twice" quotes the key
            message = f"{message[:QUOTE_LIMIT]}…"
        raise ConfigError(f"{where}: not valid TOML: {message}") from None
    except RecursionError:  # tomllib recurses once per level of nested arrays and inline tables
        raise ConfigError(
            f"{origin}: arrays or inline tables nested too deep to read (a kfollow.toml nests two or three "
            "levels); is it the file you meant to give as --config?"
        ) from None
    except ValueError:  # Python reads no integer of over 4 300 digits
        long = re.search(r"[0-9_]{4300}", text)
        where = f"{origin}:{text.count(chr(10), 0, long.start()) + 1}" if long else origin
        text = "a number of thousands of digits; is it the file you meant to give as --config?"
        raise ConfigError(f"{where}: {text}") from None


# --- what is in it ------------------------------------------------------------------------------

KeyPath = tuple[str | int, ...]  # ("accounts", "91"); ("report", "table", 0, "kind")


@dataclass(frozen=True)
class _Problem:
    """What is wrong at the key `at`. Where `other` is given, the message is text, the place of
    `other`, then tail. Lines are looked up only when there are problems (_KeyLines)."""

    at: KeyPath
    text: str
    other: KeyPath | None = None
    tail: str = ""


def _check_config(document: dict[str, Any]) -> list[_Problem]:
    """Every problem of a parsed kfollow.toml: unknown sections and keys, values of the wrong
    type, and keys that kfollow would read as one."""
    checks: dict[str, Callable[[dict[str, Any]], list[_Problem]]] = {
        "accounts": _check_accounts,
        "investments": _check_investments,
        "names": _check_names,
        "year": _check_year,
        "report": _check_report,
    }
    problems = []
    for key, value in document.items():
        if key not in checks:
            rule = isinstance(value, str) and value in (*LEAF_ROWS, EXCLUDED)
            hint = " (an account rule goes under [accounts])" if rule else ""
            problems.append(_unknown((key,), value, {k: f"[{k}]" for k in checks}, KNOWN, hint))
        elif not isinstance(value, dict):
            problems.append(_Problem((key,), f"{key} = {_found(value)}: must be the section [{key}]"))
        else:
            problems += checks[key](value)
    return problems


def _check_accounts(table: dict[str, Any]) -> list[_Problem]:
    problems = _code_keys(("accounts",), table, "account prefix")
    rows = (*LEAF_ROWS, EXCLUDED)
    allowed = ", ".join(f'"{row}"' for row in rows)
    for prefix, row in table.items():
        start = f"[accounts] {shown(prefix)} = "
        if not isinstance(row, str):
            text = f"{start}{_found(row)}: a row is text; use one of {allowed}"
            problems.append(_Problem(("accounts", prefix), text))
        elif row not in rows:
            guess = difflib.get_close_matches(row, rows, n=1)
            hint = f" (did you mean {shown(guess[0])}?)" if guess else ""
            text = f"{start}{shown(row)} is not a row of the Drift table{hint}; use one of {allowed}"
            problems.append(_Problem(("accounts", prefix), text))
    return problems


def _check_investments(table: dict[str, Any]) -> list[_Problem]:
    """[investments] as investments.investment_plan reads it (which checks the same for Rules
    made in code): each category a list of prefixes, a path of non-empty parts that is not one
    of kfollow's own rows, named once, and a parent's projects in a sub-category."""
    problems: list[_Problem] = []
    paths: dict[str, list[str]] = {}  # category path as investment_plan reads it -> its keys
    for key, value in table.items():
        at = ("investments", key)
        if key == "options":
            problems += _check_investment_options(value)
        elif isinstance(value, dict):
            known = {"options": "[investments.options]"}
            problems.append(_unknown(at, value, known, '[investments.options] and categories, "A/B" = ["943"]'))
        else:
            path = "/".join(part.strip() for part in key.split("/"))
            paths.setdefault(path, []).append(key)
            problems += _category_problems(key, path, value)
    problems += _same_keys(("investments",), paths, 'category (space around "/" and at the ends does not count)')
    return problems + _parents_with_projects(paths, table)


def _category_problems(key: str, path: str, prefixes: object) -> list[_Problem]:
    at, start = ("investments", key), f"[investments] {shown(key)}"
    problems = []
    if not _prefixes(prefixes):
        text = f'{start} = {_found(prefixes)}: give a list of project-code prefixes, e.g. ["943"]'
        problems.append(_Problem(at, text))
    parts = path.split("/")
    if not all(parts):
        problems.append(_Problem(at, f"{start}: a category path has an empty part"))
    if any(row in parts for row in OWN_INVESTMENT_ROWS):
        rows = " and ".join(f'"{row}"' for row in OWN_INVESTMENT_ROWS)
        problems.append(_Problem(at, f"{start}: {rows} are kfollow's own rows"))
    return problems


def _parents_with_projects(paths: dict[str, list[str]], table: dict[str, Any]) -> list[_Problem]:
    """A category with sub-categories is their sum: projects of its own would be in no row."""
    parents = {path[:at] for path in paths for at, c in enumerate(path) if c == "/"}
    problems = []
    for path, keys in paths.items():
        if path in parents and _prefixes(table[keys[0]]) and table[keys[0]]:
            text = (
                f"[investments] {shown(keys[0])} has sub-categories and projects of its own; its value is the sum "
                f"of its sub-categories, so give its projects one, e.g. {shown(path + '/Övrigt')}"
            )
            problems.append(_Problem(("investments", keys[0]), text))
    return problems


def _check_investment_options(options: object) -> list[_Problem]:
    at: KeyPath = ("investments", "options")
    if not isinstance(options, dict):
        return [_Problem(at, f"[investments] options = {_found(options)}: must be the section [investments.options]")]
    problems = [
        _unknown((*at, key), value, {"accounts": "accounts"}, "accounts")
        for key, value in options.items()
        if key not in INVESTMENT_OPTIONS
    ]
    accounts = options.get("accounts", ["10"])
    if not _prefixes(accounts) or not accounts:
        text = f'[investments.options] accounts = {_found(accounts)}: give a list of account prefixes, e.g. ["10"]'
        problems.append(_Problem((*at, "accounts"), text))
    return problems


def _check_names(table: dict[str, Any]) -> list[_Problem]:
    problems = []
    for dimension, names in table.items():
        at = ("names", dimension)
        if dimension not in NAMED:
            known = {d: f"[names.{d}]" for d in NAMED}
            problems.append(_unknown(at, names, known, ", ".join(known.values())))
        elif not isinstance(names, dict):
            text = f"names.{dimension} = {_found(names)}: must be the section [names.{dimension}]"
            problems.append(_Problem(at, text))
        else:
            problems += _code_keys(at, names, f"{dimension} code")
            problems += [
                _Problem((*at, code), f"[names.{dimension}] {shown(code)} = {_found(name)}: a name is text")
                for code, name in names.items()
                if not isinstance(name, str)
            ]
    return problems


def _check_year(table: dict[str, Any]) -> list[_Problem]:
    problems = [
        _unknown(("year", key), value, {k: k for k in YEAR_KEYS}, ", ".join(YEAR_KEYS))
        for key, value in table.items()
        if key not in YEAR_KEYS
    ]
    month = table.get("start_month", 1)
    if type(month) is not int or not 1 <= month <= 12:  # type(): True is an int too
        text = f"[year] start_month = {_found(month)}: give the month the fiscal year starts in, 1 to 12"
        problems.append(_Problem(("year", "start_month"), text))
    return problems


def _check_report(table: dict[str, Any]) -> list[_Problem]:
    """[report]: title, the period keys for every table, and [[report.table]] sections."""
    known = {k: k for k in REPORT_KEYS if k != "table"} | {"table": "[[report.table]]"}
    listing = ", ".join(k for k in REPORT_KEYS if k != "table") + " and [[report.table]]"
    problems = [_unknown(("report", key), value, known, listing) for key, value in table.items() if key not in known]
    title: _ValueCheck = (
        "title",
        lambda v: isinstance(v, str) and bool(v.strip()) and not has_control_characters([v]),
        "give the title as text (no control characters)",
    )
    problems += _value_problems(("report",), table, (title, *_PERIOD_CHECKS))
    tables = table.get("table", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        text = f"report.table = {_found(tables)}: give each of the report's tables as a [[report.table]] section"
        return [*problems, _Problem(("report", "table"), text)]
    names: dict[str, list[int]] = {}
    for number, entry in enumerate(tables):
        problems += _check_report_table(("report", "table", number), entry)
        name = report_table_name(entry)
        if isinstance(name, str):
            names.setdefault(name.strip().casefold(), []).append(number)
    for first, *later in names.values():
        for number in later:
            at: KeyPath = ("report", "table", number, *(("name",) if "name" in tables[number] else ()))
            text = (
                f"[[report.table]] #{number + 1} name = {_found(report_table_name(tables[number]))}: the same name as "
                f"#{first + 1}'s, case ignored (a name is a sheet's and a heading's; a table without one takes its "
                "kind's, Drift or Investeringar); give each table its own"
            )
            problems.append(_Problem(at, text))
    return problems


def report_table_name(entry: dict[str, Any]) -> object:
    """A [[report.table]]'s name: its own, else its kind's table's (Drift, Investeringar)."""
    return entry.get("name", REPORT_TABLE_NAMES.get(entry.get("kind", REPORT_KINDS[0]), ""))


# (key, whether a value is good, what to write instead), of [report] and [[report.table]]
_ValueCheck = tuple[str, Callable[[Any], bool], str]
_PERIOD_CHECKS: tuple[_ValueCheck, ...] = (
    ("year", lambda v: type(v) is int and 1900 <= v <= 2200, "give the fiscal year, e.g. 2024"),  # True is an int
    ("through", lambda v: type(v) is int and 1 <= v <= 12, "give the period's last month, 1 to 12"),
    ("unit", lambda v: v in REPORT_UNITS, "give " + " or ".join(f'"{u}"' for u in REPORT_UNITS)),
)
_TABLE_CHECKS: tuple[_ValueCheck, ...] = (
    ("kind", lambda v: v in REPORT_KINDS, "give " + " or ".join(f'"{k}"' for k in REPORT_KINDS)),
    (
        "name",
        lambda v: _sheet_name(v),
        f"a name is text of 1 to {SHEET_NAME_LIMIT} characters (a sheet's), none of [ ] : * ? / \\",
    ),
    *(
        (
            key,
            lambda v: _filters(v),
            'give filters as on the command line, DIM=PREFIX[,PREFIX…], e.g. ["verksamhet=289"]',
        )
        for key in ("where", "exclude")
    ),
    *(
        (key, lambda v: isinstance(v, str) and bool(v.strip()), 'give a version\'s name, e.g. "prognos-april"')
        for key in ("previous_forecast", "forecast_version")
    ),
    ("period_budget", lambda v: isinstance(v, bool), "give true or false"),
    (
        "by",
        lambda v: _drill_by(v),
        f'give DIM or DIM:N, DIM one of konto, {", ".join(DIMENSIONS)}, e.g. "konto" or "konto:3"',
    ),
    ("top", lambda v: type(v) is int and v >= 0, "give how many parts to name, 0 or more"),
    *_PERIOD_CHECKS,
)


def _value_problems(at: KeyPath, entry: dict[str, Any], checks: tuple[_ValueCheck, ...]) -> list[_Problem]:
    section = _section(at)
    return [
        _Problem((*at, key), f"{section} {key} = {_found(entry[key])}: {hint}")
        for key, good, hint in checks
        if key in entry and not good(entry[key])
    ]


def _check_report_table(at: KeyPath, entry: dict[str, Any]) -> list[_Problem]:
    known = {k: k for k in REPORT_TABLE_KEYS}
    problems = [_unknown((*at, k), v, known, ", ".join(known)) for k, v in entry.items() if k not in known]
    return problems + _value_problems(at, entry, _TABLE_CHECKS)


def _sheet_name(name: object) -> bool:
    return (
        isinstance(name, str)
        and not has_control_characters([name])  # an xlsx cannot hold one
        and 0 < len(name.strip()) <= SHEET_NAME_LIMIT
        and not any(c in name for c in SHEET_NAME_FORBIDDEN)
        and not name.startswith("'")
        and not name.endswith("'")
    )


def _filters(value: object) -> bool:
    """One filter (text) or a list of them, each DIM=PREFIX[,PREFIX…]."""
    filters = [value] if isinstance(value, str) else value
    return isinstance(filters, list) and all(isinstance(f, str) and parse_filter(f) is not None for f in filters)


def _drill_by(value: object) -> bool:
    return isinstance(value, str) and parse_by(value, DIMENSIONS) is not None


def _code_keys(at: KeyPath, table: dict[str, Any], what: str) -> list[_Problem]:
    """Keys that are codes (account prefixes, a dimension's codes) are matched as written, so a
    key with space around it would match nothing: refused, and so are two keys that are one
    code once the space is gone (the later would win in silence) and an empty key."""
    codes: dict[str, list[str]] = {}
    for key in table:
        codes.setdefault(key.strip(), []).append(key)
    same = {code: keys for code, keys in codes.items() if code}
    problems = _same_keys(at, same, f"{what} but for the space around it")
    section = _section(at)
    for code, keys in codes.items():
        if not code:
            problems += [_Problem((*at, key), f"{section} {shown(key)}: an empty key") for key in keys]
        elif len(keys) == 1 and keys[0] != code:
            why = "kfollow matches keys as written, and a ledger's codes have none"
            text = f"{section} {shown(keys[0])}: space around the key ({why}); write {shown(code)}"
            problems.append(_Problem((*at, keys[0]), text))
    return problems


def _same_keys(at: KeyPath, groups: dict[str, list[str]], what: str) -> list[_Problem]:
    """For each group of keys that kfollow reads as one: each later key against the first."""
    section, tail = _section(at), f" are the same {what}; keep one"
    return [
        _Problem((*at, key), f"{section} {shown(key)} and {shown(first)} at ", (*at, first), tail)
        for first, *later in groups.values()
        for key in later
    ]


def _unknown(at: KeyPath, value: object, known: dict[str, str], listing: str, hint: str = "") -> _Problem:
    """A section or key that SPEC does not define, with the nearest known one."""
    guess = difflib.get_close_matches(str(at[-1]).lower(), list(known), n=1, cutoff=0.6)
    hint = hint or (f" (did you mean {known[guess[0]]}?)" if guess else "")
    if isinstance(value, dict) or (isinstance(value, list) and value and all(isinstance(v, dict) for v in value)):
        return _Problem(at, f"{_section(at)}: no such section{hint}; kfollow knows {listing}")
    where = f"{_section(at[:-1])} " if len(at) > 1 else ""
    return _Problem(at, f"{where}{_part(at[-1])} = …: no such key{hint}; kfollow knows {listing}")


def _prefixes(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(p, str) and p.strip() for p in value)


def _found(value: object) -> str:
    """A TOML value for a message: text quoted (errors.shown), numbers as they are, else its kind."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        text = str(value)
        return text if len(text) <= QUOTE_LIMIT else shown(text)
    if isinstance(value, list):
        text = repr(value)  # ['943', 944]: TOML would read it back
        return text if len(text) <= QUOTE_LIMIT else f"a list of {len(value)}"
    if isinstance(value, dict):
        return "a table"
    return shown(value) if isinstance(value, str) else f"a date or time ({value})"


def _part(key: str | int) -> str:
    return key if isinstance(key, str) and _BARE.fullmatch(key) else shown(key)


def _section(at: KeyPath) -> str:
    """'[investments.options]'; '[[report.table]] #2' for the second [[report.table]]."""
    if len(at) > 2 and isinstance(at[2], int):
        rest = " ".join(_part(k) for k in at[3:])
        return f"[[{'.'.join(_part(k) for k in at[:2])}]] #{at[2] + 1}" + (f" {rest}" if rest else "")
    return f"[{'.'.join(_part(k) for k in at)}]"


def _placed(problems: list[_Problem], text: str, origin: str) -> list[str]:
    """Each problem as an error line that starts with its file:line, in the order of the file."""
    wanted = {p.at for p in problems} | {p.other for p in problems if p.other}
    lines = _KeyLines(text, wanted).run()

    def place(at: KeyPath) -> str:
        return f"{origin}:{lines[at]}" if at in lines else origin

    placed = [
        (lines.get(p.at, len(text) + 1), f"{place(p.at)}: {p.text}" + (f"{place(p.other)}{p.tail}" if p.other else ""))
        for p in problems
    ]
    return capped([message for _, message in sorted(placed, key=lambda item: item[0])], what=f"more in {origin}")


# --- where each key is --------------------------------------------------------------------------

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_BASIC = re.compile(r'"(?:[^"\\\n]|\\.)*+"')
_LITERAL = re.compile(r"'[^'\n]*'")
# A multi-line string's closing quotes may follow one or two quotes of its own text.
_MULTI_BASIC = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*+"""(?:"{1,2})?', re.DOTALL)
_MULTI_LITERAL = re.compile(r"'''(?:[^']|'(?!''))*+'''(?:'{1,2})?")
_BLANK = re.compile(r"(?:[ \t\r\n]|#[^\n]*)*+")
_SPACE = re.compile(r"[ \t]*")
_SCALAR = re.compile(r"[^,\]}#\n]+")  # numbers, booleans, dates (which may hold a space)


class _Stop(Exception):
    """The scanner met what it does not follow: the lines found so far are kept."""


class _KeyLines:
    """The line of each key and table header of a kfollow.toml that tomllib has read (tomllib
    gives no positions): one pass, no recursion (a deep file must not blow the stack), that
    stops once it has found every key `wanted` (a scan of 2 MiB takes a second)."""

    def __init__(self, text: str, wanted: set[KeyPath] | None = None) -> None:
        self.text, self.at, self.line = text, 0, 1
        self.lines: dict[KeyPath, int] = {}
        self.arrays: dict[tuple[str, ...], int] = {}  # [[a.b]] -> how many so far
        self.wanted = set(wanted) if wanted is not None else None

    def run(self) -> dict[KeyPath, int]:
        table: KeyPath = ()
        with contextlib.suppress(_Stop, IndexError, tomllib.TOMLDecodeError):
            while self.skip(_BLANK) < len(self.text):
                if self.text.startswith("[[", self.at):
                    table = self.header(2)
                elif self.text[self.at] == "[":
                    table = self.header(1)
                else:
                    self.pair(table)
        return self.lines

    def skip(self, pattern: re.Pattern[str]) -> int:
        """Past what `pattern` matches here (maybe nothing); the position after it."""
        match = pattern.match(self.text, self.at)
        if match:
            self.at, self.line = match.end(), self.line + match[0].count("\n")
        return self.at

    def take(self, pattern: re.Pattern[str]) -> str:
        match = pattern.match(self.text, self.at)
        if not match or not match[0]:  # each step moves on, or the scan stops
            raise _Stop
        self.at, self.line = match.end(), self.line + match[0].count("\n")
        return match[0]

    def expect(self, token: str) -> None:
        self.skip(_SPACE)
        if not self.text.startswith(token, self.at):
            raise _Stop
        self.at += len(token)

    def note(self, path: KeyPath) -> None:
        self.lines.setdefault(path, self.line)
        if self.wanted is not None:
            self.wanted.discard(path)
            if not self.wanted:
                raise _Stop

    def header(self, brackets: int) -> KeyPath:
        """[a.b] or [[a.b]]: the table's path, its element's index after each array's name."""
        self.at += brackets
        keys = self.key()
        self.expect("]" * brackets)
        if brackets == 2:
            self.arrays[keys] = self.arrays.get(keys, 0) + 1
        path: KeyPath = ()
        for depth, key in enumerate(keys, 1):
            path = (*path, key)
            self.note(path)
            if keys[:depth] in self.arrays:  # a key of the latest [[…]] of that name
                path = (*path, self.arrays[keys[:depth]] - 1)
                self.note(path)
        return path

    def key(self) -> tuple[str, ...]:
        """A key, dotted or not, each part as tomllib reads it."""
        keys = []
        while True:
            self.skip(_SPACE)
            quote = self.text[self.at]
            token = self.take(_BASIC if quote == '"' else _LITERAL if quote == "'" else _BARE)
            if quote == '"' and "\\" in token:
                keys.append(tomllib.loads(f"k = {token}")["k"])  # its escapes, as tomllib reads them
            else:
                keys.append(token[1:-1] if quote in "\"'" else token)
            self.skip(_SPACE)
            if not self.text.startswith(".", self.at):
                return tuple(keys)
            self.at += 1

    def pair(self, table: KeyPath, stack: list[list[Any]] | None = None) -> None:
        """key = value, each key noted. A top-level pair (no stack) follows its inline tables
        and arrays to their end; within them, a pair only opens them on `stack`."""
        keys = self.key()
        self.expect("=")
        for depth in range(1, len(keys) + 1):
            self.note((*table, *keys[:depth]))
        if stack is not None:
            self.value((*table, *keys), stack)
            return
        stack = []  # [path, index] of each open array; [path, None] of an inline table
        self.value((*table, *keys), stack)
        while stack:
            self.skip(_BLANK)
            path, index = stack[-1]
            if self.text[self.at] in "]}":
                self.at += 1
                stack.pop()
            elif self.text[self.at] == ",":
                self.at += 1
                stack[-1][1] = None if index is None else index + 1
            elif index is None:
                self.pair(path, stack)
            else:
                self.value((*path, index), stack)

    def value(self, path: KeyPath, stack: list[list[Any]]) -> None:
        """Past a value; an array or inline table is opened on `stack`."""
        self.skip(_SPACE)
        self.note(path)
        opening = self.text[self.at]
        if opening in "[{":
            self.at += 1
            stack.append([path, 0 if opening == "[" else None])
        elif self.text.startswith(('"""', "'''"), self.at):
            self.take(_MULTI_BASIC if opening == '"' else _MULTI_LITERAL)
        elif opening in "\"'":
            self.take(_BASIC if opening == '"' else _LITERAL)
        else:
            self.take(_SCALAR)


def match_accounts(accounts: pd.Index, rules: Rules) -> list[Rule | None]:
    """The winning rule (longest matching prefix) for each distinct account, None if none."""
    lengths = sorted({len(prefix) for prefix in rules.accounts}, reverse=True)

    def match(account: str) -> Rule | None:
        for length in lengths:
            if len(account) >= length and (rule := rules.accounts.get(account[:length])):
                return rule
        return None

    return [match(account) for account in accounts.astype(str)]


def assign_rows(ledger: pd.DataFrame, rules: Rules) -> tuple[pd.Categorical, list[Rule | None]]:
    """Each ledger row's table row (EXCLUDED for "-", NaN where unmapped), and the per-account
    rules in the order of the account categories."""
    matched = match_accounts(ledger["account"].cat.categories, rules)
    labels = [*LEAF_ROWS, EXCLUDED]
    index = {label: i for i, label in enumerate(labels)}
    lookup = np.array([index[r.row] if r else -1 for r in matched] + [-1], dtype="int8")
    categories = cast("pd.Index", labels)  # pandas-stubs want an Index; pandas takes any list-like
    rows = pd.Categorical.from_codes(lookup[ledger["account"].cat.codes.to_numpy()], categories)
    return rows, matched


def in_table(rows: pd.Categorical) -> np.ndarray:
    """Ledger rows the table shows: mapped or unmapped, not excluded ("-")."""
    shown: np.ndarray = np.asarray(rows.codes) != list(rows.categories).index(EXCLUDED)
    return shown


def unmapped_summary(ledger: pd.DataFrame, rows: pd.Categorical, year: int | None = None) -> pd.DataFrame:
    """Accounts that no rule maps, one row each: account; its ledger rows, exact amount (öre,
    ledger sign) and amount per version (`amounts`: {version: öre}, the versions it has, in
    listing order) in `year` (None: every year); its rows in other years (`elsewhere`); and
    the file and line where it first appears."""
    from .ledger import sums_by_code, used_versions

    unmapped = np.asarray(rows.codes) == -1
    missing = np.flatnonzero(unmapped)
    if not len(missing):  # the usual case: no pass over the ledger
        return pd.DataFrame(columns=["account", "rows", "amount", "amounts", "elsewhere", "source", "line"])
    present, first = np.unique(ledger["account"].cat.codes.to_numpy()[missing], return_index=True)
    at = missing[first]
    shown = unmapped if year is None else unmapped & (ledger["year"].to_numpy() == year)
    # Exact öre and rows per account × version of the year, and rows of every year.
    _, versions, counts, sums = sums_by_code(ledger, "account", shown, "")
    everywhere = counts if year is None else sums_by_code(ledger, "account", unmapped, "")[2]
    counts, sums = counts[present], sums[present]
    order = [versions.index(v) for v in used_versions(versions, counts)]
    in_year = counts.sum(axis=1)
    return pd.DataFrame(
        {
            "account": np.asarray(ledger["account"].cat.categories.astype(str))[present],
            "rows": in_year,
            "amount": [sum(int(ore) for ore in row) for row in sums],  # Python ints: exact
            "amounts": [{versions[v]: int(s[v]) for v in order if c[v]} for c, s in zip(counts, sums, strict=True)],
            "elsewhere": everywhere[present].sum(axis=1) - in_year,
            # .iloc first: the whole column as Python strings would take seconds at 10M rows
            "source": ledger["source"].iloc[at].astype(str).to_numpy(),
            "line": ledger["line"].to_numpy()[at],
        }
    )


def year_scope(ledger: pd.DataFrame, year: int | None) -> str:
    """What the amounts of unmapped_summary cover, for a message: 'for 2024', 'for all years
    together', or '' where every row of the ledger is of that year (nothing to tell apart)."""
    years = ledger["year"].to_numpy()
    if not len(years) or (years.min() == years.max() and year in (None, years.min())):
        return ""
    return f"for {year}" if year is not None else "for all years together"


def describe_unmapped(
    count: int, amounts: dict[str, int], elsewhere: int, money: Callable[[int], str], noun: str
) -> str:
    """An unmapped account's rows and amount per version in a year (year_scope says which),
    for a message: '2 rows, 351 kr (ledger sign), all utfall'; '3 rows, budget 5 kr, utfall
    -2 kr (ledger sign)'; 'no rows'; then '; 4 rows in other years' where it has some there.
    `noun`: 'row' or 'ledger row'."""

    def rows(n: int) -> str:
        return f"{n} {noun}{'s' if n != 1 else ''}"

    if not amounts:
        text = f"no {noun}s"
    elif len(amounts) == 1:
        ((version, ore),) = amounts.items()
        text = f"{rows(count)}, {money(ore)} (ledger sign), all {version}"
    else:
        text = f"{rows(count)}, {', '.join(f'{v} {money(ore)}' for v, ore in amounts.items())} (ledger sign)"
    return f"{text}; {rows(elsewhere)} in other years" if elsewhere else text


def check_unmapped(ledger: pd.DataFrame, rows: pd.Categorical, rules: Rules, year: int | None = None) -> None:
    """Raise MappingError listing each unmapped account with its row count and amount per
    version in `year`, the table's (None: in every year)."""
    from .money import format_amount, round_to_unit

    unmapped = unmapped_summary(ledger, rows, year)
    if not len(unmapped):
        return
    source = f"built-in Kommun-Bas + {rules.config}" if rules.config else "built-in Kommun-Bas; no kfollow.toml"
    scope = year_scope(ledger, year)
    lines = [
        f"{len(unmapped)} account(s) map to no row of the Drift table (rules: {source})"
        + (f"; their rows and amounts {scope}:" if scope else ":")
    ]

    def kronor(ore: int) -> str:
        return f"{format_amount(int(round_to_unit(ore, 'kr')))} kr"

    lines += [
        f"  konto {shown_code(account)}: {describe_unmapped(count, amounts, elsewhere, kronor, 'row')}"
        for account, count, amounts, elsewhere in unmapped[["account", "rows", "amounts", "elsewhere"]].itertuples(
            index=False, name=None
        )
    ]
    lines.append(
        'map them in kfollow.toml [accounts] (e.g. "91" = "Kommunbidrag", or "-" to exclude), '
        "or give --allow-unmapped to show them as 'Ej mappat'"
    )
    raise MappingError(lines)
