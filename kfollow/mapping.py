"""Accounts -> rows of the Drift table: the built-in Kommun-Bas map with kfollow.toml over it.

The longest matching prefix wins. A rule's row "-" excludes the account from every table.
Matching runs once per distinct account (a ledger has thousands, not millions), and rows
follow through their category codes.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from .errors import ConfigError, MappingError

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


def _read_toml(text: str, origin: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{origin}: not valid TOML: {error}") from None


def _account_rules(table: dict[str, Any], origin: str) -> tuple[dict[str, Rule], list[str]]:
    rules, problems = {}, []
    allowed = ", ".join(f'"{row}"' for row in (*LEAF_ROWS, EXCLUDED))
    for prefix, row in table.items():
        prefix = str(prefix).strip()
        if not prefix:
            problems.append(f'{origin}: [accounts] has an empty account prefix ""')
        elif not isinstance(row, str) or row not in (*LEAF_ROWS, EXCLUDED):
            problems.append(
                f'{origin}: [accounts] "{prefix}" = {row!r} is not a row of the Drift table; use one of {allowed}'
            )
        else:
            rules[prefix] = Rule(prefix, row, origin)
    return rules, problems


def load_rules(config: Path | None) -> Rules:
    """The built-in map, with the [accounts] of `config` (if any) laid over it."""
    text = resources.files("kfollow").joinpath("data/kommun-bas.toml").read_text("utf-8")
    accounts, _ = _account_rules(_read_toml(text, BUILT_IN)["accounts"], BUILT_IN)
    if config is None:
        return Rules(accounts)
    try:
        text = config.read_text("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{config}: not UTF-8 text; save kfollow.toml as UTF-8") from None
    except OSError as error:
        raise ConfigError(f"{config}: cannot be read ({error.strerror})") from None
    sections = _read_toml(text, config.name)
    own = sections.get("accounts", {})
    if not isinstance(own, dict):
        raise ConfigError(f"{config.name}: [accounts] must be a table of prefix = row")
    overrides, problems = _account_rules(own, config.name)
    if problems:
        raise ConfigError(problems)
    return Rules({**accounts, **overrides}, config, sections)


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
        f"  konto {account}: {describe_unmapped(count, amounts, elsewhere, kronor, 'row')}"
        for account, count, amounts, elsewhere in unmapped[["account", "rows", "amounts", "elsewhere"]].itertuples(
            index=False, name=None
        )
    ]
    lines.append(
        'map them in kfollow.toml [accounts] (e.g. "91" = "Kommunbidrag", or "-" to exclude), '
        "or give --allow-unmapped to show them as 'Ej mappat'"
    )
    raise MappingError(lines)
