"""`kfollow init`: a starting kfollow.toml for a ledger (SPEC §11).

Three parts, each from the ledger's own codes: [accounts] with every account the built-in
Kommun-Bas map does not place and a suggested row for it; an [investments] skeleton with the
projects on the investment accounts, to group into categories; and, as comments, the codes of
each dimension by their leading characters, for --where/--exclude. Every figure is a comment:
rows and kr per version (ledger sign) of one year. What is written is valid TOML that
mapping.load_rules accepts, so `kfollow variance --config` runs on it as it stands.
"""

from __future__ import annotations

import json
import os
import shlex
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import capped
from .investments import DEFAULT_ACCOUNTS
from .ledger import DIMENSIONS, prefix_mask, sums_by_code, used_versions, year_rows
from .mapping import ALLOCATION, EXCLUDED, INCOME, LEAF_ROWS, OTHER, assign_rows, load_rules
from .money import format_amount, format_kr
from .report import latest_outcome

DECIDE = "TO DECIDE"
WIDTH = 96  # comment lines (a rule and the comment after it may be longer)
# A dimension's codes are shown by the longest prefix that needs at most this many lines;
# projects (to group into categories) each on a line up to PROJECT_LINES.
FILTER_LINES = 15
PROJECT_LINES = 40


@dataclass(frozen=True)
class Suggestion:
    """A suggested row for unplaced accounts by their leading digits, and why (the comment
    above them). Rows "-" are suggestions no one should take unread: TO DECIDE."""

    rows: tuple[tuple[str, str], ...]  # (account prefix, row); prefix "": any account
    why: str

    def row_for(self, account: str) -> str | None:
        return next((row for prefix, row in self.rows if account.startswith(prefix)), None)


SUGGESTIONS = (
    Suggestion(
        (("9", ALLOCATION),),
        "Class 9 is no Kommun-Bas class: kommuner keep their internal accounts there, and most book the "
        "kommunbidrag on one (Kommun-Bas has no account for it). Check that each is kommunbidrag (a credit: "
        "negative here); another internal item belongs on another row.",
    ),
    Suggestion(
        (("87", INCOME), ("88", OTHER)),
        "Extraordinära poster (87 intäkter, 88 kostnader) have no row of their own in the Drift table: "
        "suggested by their class. Check them.",
    ),
    Suggestion(
        (("80", EXCLUDED), ("82", EXCLUDED), ("83", EXCLUDED)),
        "Skatteintäkter (80), generella statsbidrag and utjämning (82, 83) are the kommun's financing, no row "
        f'of a nämnd\'s Drift table. {DECIDE}; until then "-" leaves them out of every table.',
    ),
    Suggestion(
        (("", EXCLUDED),),
        "Accounts kfollow cannot place by their class (not Kommun-Bas 3-7, 84, 85, or a code that is no "
        f'account number). {DECIDE}; until then "-" leaves them out of every table.',
    ),
)


@dataclass(frozen=True)
class StarterConfig:
    """What `kfollow init` writes (`text`, TOML) and says on stderr (`notes`)."""

    text: str
    undecided: tuple[str, ...]  # accounts written as "-" until someone decides their row
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Figures:
    """A code (or a prefix of codes) with its rows in every year, and its rows and öre per
    version in the year shown (in the order of Listing.versions)."""

    code: str  # "" for rows without a code
    rows: int
    counts: tuple[int, ...]
    sums: tuple[int, ...]
    codes: tuple[str, ...] = ()  # a prefix's codes


@dataclass(frozen=True)
class Listing:
    versions: tuple[str, ...]
    year: int | None
    figures: tuple[Figures, ...]  # by code; rows without a code last

    def describe(self, item: Figures) -> str:
        """'128 rows: budget -114 541 692,00 kr, utfall -76 360 514,00 kr'"""
        if not sum(item.counts):
            return f"no rows in {self.year} ({rows_text(item.rows)} in other years)"
        amounts = ", ".join(
            f"{version} {format_kr(ore)}"
            for version, count, ore in zip(self.versions, item.counts, item.sums, strict=True)
            if count
        )
        return f"{rows_text(sum(item.counts))}: {amounts}"

    def rows(self, item: Figures) -> str:
        """'128 rows' (in the year shown)"""
        if not sum(item.counts):
            return f"no rows in {self.year} ({rows_text(item.rows)} in other years)"
        return rows_text(sum(item.counts))


def counted(count: int, what: str) -> str:
    """'1 row', '1 101 rows'"""
    return f"{format_amount(count)} {what}{'s' if count != 1 else ''}"


def rows_text(count: int) -> str:
    return counted(count, "row")


def listing(ledger: pd.DataFrame, column: str, keep: np.ndarray, year: int | None) -> Listing:
    """The codes of `column` on the rows under `keep`, each with its figures."""
    names, versions, counts, _ = sums_by_code(ledger, column, keep, "")
    shown = keep & (ledger["year"].to_numpy() == year) if year is not None else np.zeros_like(keep)
    _, _, year_counts, sums = sums_by_code(ledger, column, shown, "")
    order = used_versions(versions, year_counts) if year_counts.any() else []
    at = [versions.index(version) for version in order]
    figures = [
        Figures(
            names[i],
            int(counts[i].sum()),
            tuple(int(c) for c in year_counts[i, at]),
            tuple(int(s) for s in sums[i, at]),
        )
        for i in np.flatnonzero(counts.sum(axis=1))
    ]
    figures.sort(key=lambda item: (item.code == "", item.code))
    return Listing(tuple(order), year, tuple(figures))


def by_prefix(items: Listing, length: int) -> Listing:
    """The listing's codes grouped by their first `length` characters (rows without a code
    stay on their own)."""
    groups: dict[str, list[Figures]] = {}
    for item in items.figures:
        groups.setdefault(item.code[:length], []).append(item)
    return Listing(
        items.versions,
        items.year,
        tuple(
            Figures(
                prefix,
                sum(item.rows for item in members),
                tuple(int(c) for c in np.sum([item.counts for item in members], axis=0, dtype="int64")),
                tuple(int(s) for s in np.sum([item.sums for item in members], axis=0, dtype="int64")),
                tuple(item.code for item in members),
            )
            for prefix, members in groups.items()
        ),
    )


def fewest_lines(items: Listing, lines: int) -> Listing:
    """The codes themselves if they fit in `lines`, else by the longest prefix that does (by
    the first character where none does); rows without a code are no line of the count."""
    codes = [item.code for item in items.figures if item.code]
    for length in range(max(map(len, codes), default=0), 0, -1):
        grouped = by_prefix(items, length)
        if len([item for item in grouped.figures if item.code]) <= lines:
            return grouped
    return by_prefix(items, 1)


def toml_string(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's; DEL too must be escaped)."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def shown(code: str) -> str:
    """A code as a comment shows it: as it is, or quoted where it holds a line break or the like."""
    return code if code.isprintable() and code.strip() == code and code else toml_string(code)


def comment(text: str) -> list[str]:
    """Comment lines: each line of `text` wrapped to WIDTH, but those indented (examples) as they are."""
    lines = []
    for line in text.split("\n"):
        wrapped = [line] if line.startswith(" ") else textwrap.wrap(line, WIDTH - 2, break_on_hyphens=False)
        lines += [f"# {part}" for part in wrapped] or ["#"]
    return lines


# --- the year shown ---------------------------------------------------------------------------


def shown_year(ledger: pd.DataFrame, rows: pd.Categorical, year: int | None) -> tuple[int | None, str]:
    """The year whose rows and amounts the comments show, and how it was chosen: --year, else
    the latest with outcome (the year `variance` shows by default), else the latest year."""
    if year is not None:
        year_rows(ledger, year)  # an OptionError naming the years found, for a year with no rows
        return year, "--year"
    latest = latest_outcome(ledger, rows)
    if latest is not None:
        return latest[0], "the latest year with outcome; --year YEAR for another"
    if not len(ledger):
        return None, "the ledger has no rows"
    return int(ledger["year"].max()), "the latest year; the ledger has no outcome"


# --- the parts of the file --------------------------------------------------------------------


def header(files: list[str], year: int | None, how: str) -> list[str]:
    return comment(
        f"kfollow.toml for {', '.join(files)}, written by `kfollow init`: a start, to check and complete.\n"
        f"The comments give rows and amounts of {year} ({how}), in kr, ledger sign (debit +: costs and "
        "investment expenditure +, revenue and kommunbidrag −). Accounts, projects and codes that only other "
        "years have are listed too."
    )


ACCOUNTS_INTRO = (
    "Account prefix = Drift row, one of\n"
    f"  {', '.join(toml_string(row) for row in LEAF_ROWS[:4])},\n"
    f'  {", ".join(toml_string(row) for row in LEAF_ROWS[4:])}, or "-" (in no table).\n'
    "The longest matching prefix wins, over kfollow's built-in Kommun-Bas map (3 intäkter, 5 personal, "
    "60 lokalhyror, 46, 74, 75 köp av tjänster, 4, 6, 7 övriga kostnader, 84, 85 finansnetto; 1, 2, 89 in "
    'no table). A shorter prefix ("91") covers every account under it. Below: each account of the ledger '
    "that the built-in map does not place, with a suggested row."
)


def account_lines(accounts: Listing, unplaced: set[str]) -> tuple[list[str], list[str]]:
    """[accounts]: each unplaced account with its suggested row, grouped under the reason;
    and the accounts written as "-" TO DECIDE."""
    lines = ["[accounts]", *comment(ACCOUNTS_INTRO)]
    if not unplaced:
        lines += comment("(The built-in map places every account of this ledger: nothing to add.)")
    undecided: list[str] = []
    left = [item for item in accounts.figures if item.code in unplaced]
    for suggestion in SUGGESTIONS:
        mine = [(item, row) for item in left if (row := suggestion.row_for(item.code)) is not None]
        left = [item for item in left if suggestion.row_for(item.code) is None]
        if not mine:
            continue
        rules = [f"{toml_string(item.code)} = {toml_string(row)}" for item, row in mine]
        width = max(map(len, rules))
        lines += ["", *comment(suggestion.why)]
        for rule, (item, row) in zip(rules, mine, strict=True):
            lines.append(f"{rule:<{width}}  # {account_note(accounts, item, row)}")
        undecided += [item.code for item, row in mine if row == EXCLUDED]
    return lines, undecided


def account_note(accounts: Listing, item: Figures, row: str) -> str:
    note = accounts.describe(item)
    if row == EXCLUDED:
        return f"{DECIDE}; {note}"
    if row == ALLOCATION and any(item.sums) and all(s > 0 for s, c in zip(item.sums, item.counts, strict=True) if c):
        return f"{note}; a debit, where kommunbidrag received is a credit: check"
    return note


INVESTMENTS_INTRO = (
    "Category path = project-code prefixes; the order here is the table's (kfollow investments).\n"
    '"/" nests categories: a parent is the sum of its sub-categories. For example:\n'
    '  "Expansionsinvestering/Exploatering" = ["920"]\n'
    '  "Reinvestering/Fastigheter" = ["943", "944"]\n'
    '  "Imageinvestering" = []  # no projects this year: a row of zeros'
)


def investment_lines(projects: Listing) -> list[str]:
    accounts = ", ".join(f"{prefix}*" for prefix in DEFAULT_ACCOUNTS)
    lines = ["", "[investments]", *comment(INVESTMENTS_INTRO)]
    if not projects.figures:
        lines += comment(f"No row on the investment accounts ({accounts}) has a project: nothing to group.")
    else:
        grouped = fewest_lines(projects, PROJECT_LINES)
        by = "" if all(item.codes == (item.code,) for item in grouped.figures) else ", by their leading characters"
        lines += comment(
            f"The {counted(len(projects.figures), 'project')} on the investment accounts ({accounts}){by}, "
            "to group into categories:"
        )
        lines += aligned([(shown(item.code), projects.describe(item) + codes_note(item)) for item in grouped.figures])
    quoted = ", ".join(toml_string(prefix) for prefix in DEFAULT_ACCOUNTS)
    lines += ["", "# [investments.options]", f"# accounts = [{quoted}]  # the default: Kommun-Bas 10-12"]
    return lines


def codes_note(item: Figures) -> str:
    """' (28910, 28920, 28950)': the codes under a prefix, where it is not the one code."""
    if not item.codes or item.codes == (item.code,):
        return ""
    if len(item.codes) <= 3:
        return f" ({', '.join(map(shown, item.codes))})"
    return f" ({len(item.codes)} codes: {shown(item.codes[0])} … {shown(item.codes[-1])})"


def aligned(pairs: list[tuple[str, str]]) -> list[str]:
    """Indented comment lines, the second parts aligned."""
    width = max((len(left) for left, _ in pairs), default=0)
    return [f"#   {left:<{width}}  {right}" for left, right in pairs]


def filter_lines(dimensions: dict[str, Listing], files: list[str]) -> list[str]:
    """Comments: each dimension's codes by their leading characters, for --where/--exclude."""
    if not dimensions:
        return []
    name = "verksamhet" if "verksamhet" in dimensions else next(iter(dimensions))
    *_, last = (item for item in fewest_lines(dimensions[name], FILTER_LINES).figures if item.code)
    command = shlex.join(["kfollow", "variance", *files, "--exclude", f"{name}={shown(last.code)}"])
    lines = [
        "",
        *comment(
            "Filters are options, not kfollow.toml: --where DIM=PREFIX keeps the rows whose DIM code starts "
            "with PREFIX, --exclude DIM=PREFIX drops them. For example:\n"
            f"  {command}\n"
            f"This ledger's codes, by the longest prefix that needs at most {FILTER_LINES} lines:"
        ),
    ]
    for column, items in dimensions.items():
        lines += dimension_lines(column, items)
    return lines


def dimension_lines(column: str, items: Listing) -> list[str]:
    """A dimension's codes by prefix, as the --where/--exclude value, with their rows."""
    grouped = fewest_lines(items, FILTER_LINES).figures
    coded = [item for item in grouped if item.code]
    pairs = [(f"{column}={shown(item.code)}", items.rows(item) + codes_note(item)) for item in coded[:FILTER_LINES]]
    pairs += [("(no code)", items.rows(item)) for item in grouped if not item.code]
    codes = counted(sum(len(item.codes) for item in coded), "code")
    more = [f"#   … and {len(coded) - FILTER_LINES} more"] if len(coded) > FILTER_LINES else []
    return [f"# {column}: {codes}", *aligned(pairs), *more]


# --- the whole file ----------------------------------------------------------------------------


def build_starter(ledger: pd.DataFrame, year: int | None = None) -> StarterConfig:
    """kfollow.toml for the ledger: [accounts] for every account the built-in map does not place,
    an [investments] skeleton, and commented filters; figures of `year` (None: the latest year
    with outcome)."""
    rows, matched = assign_rows(ledger, load_rules(None))
    year, how = shown_year(ledger, rows, year)
    everything = np.ones(len(ledger), dtype=bool)
    accounts = listing(ledger, "account", everything, year)
    rule = dict(zip(ledger["account"].cat.categories.astype(str), matched, strict=True))
    unplaced = {item.code for item in accounts.figures if rule[item.code] is None}  # accounts with rows
    files = [shown(str(name)) for name in ledger["source"].cat.categories]
    account_part, undecided = account_lines(accounts, unplaced)
    projects = listing(ledger, "projekt", investment_rows(ledger), year)
    dimensions = {
        column: listing(ledger, column, everything, year)
        for column in DIMENSIONS
        if column in ledger and (ledger[column].cat.codes.to_numpy() >= 0).any()
    }
    lines = [*header(files, year, how), "", *account_part, *investment_lines(projects)]
    lines += filter_lines(dimensions, files)
    return StarterConfig("\n".join(lines) + "\n", tuple(undecided), tuple(undecided_notes(undecided)))


def investment_rows(ledger: pd.DataFrame) -> np.ndarray:
    """Rows with a project on the default investment accounts: investment expenditure."""
    if "projekt" not in ledger:
        return np.zeros(len(ledger), dtype=bool)
    has_project: np.ndarray = ledger["projekt"].cat.codes.to_numpy() >= 0
    expenditure: np.ndarray = prefix_mask(ledger, "account", DEFAULT_ACCOUNTS) & has_project
    return expenditure


def undecided_notes(undecided: list[str]) -> list[str]:
    if not undecided:
        return []
    accounts = ", ".join(capped([shown(code) for code in undecided], what="more"))
    return [
        f'{len(undecided)} account(s) are written as "-" (in no table) until their row is decided: '
        f"{accounts} ({DECIDE} in the file)"
    ]


# --- writing -----------------------------------------------------------------------------------


def write_new(path: Path, data: bytes) -> None:
    """Write `path`, which must not exist, whole or not at all. FileExistsError if it exists,
    also where it appears while this writes: an existing file is never replaced."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        umask = os.umask(0)  # mkstemp's file is private (0600); give it a new file's mode
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(temporary, path)  # fails where path exists: never replaces it
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links: create it exclusively
            write_exclusive(path, data)
    finally:
        os.unlink(temporary)


def write_exclusive(path: Path, data: bytes) -> None:
    with open(path, "xb") as out:  # FileExistsError where it exists
        try:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        except BaseException:
            path.unlink()
            raise
