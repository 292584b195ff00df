"""Accounts -> rows of the Drift table: the built-in Kommun-Bas map with kfollow.toml over it.

The longest matching prefix wins. A rule's row "-" excludes the account from every table.
Matching runs once per distinct account (a ledger has thousands, not millions), and rows
follow through their category codes.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from .errors import ConfigError, MappingError
from .money import exact_group_sums

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


def unmapped_summary(ledger: pd.DataFrame, rows: pd.Categorical) -> pd.DataFrame:
    """Accounts that no rule maps: account, row count, exact amount (öre, ledger sign), and the
    file and line where each first appears."""
    from .ledger import row_counts

    missing = np.flatnonzero(np.asarray(rows.codes) == -1)
    codes = ledger["account"].cat.codes.to_numpy()[missing].astype("int64")
    accounts = len(ledger["account"].cat.categories)
    counts, sums = exact_group_sums(codes, ledger["amount"].to_numpy()[missing], accounts, row_counts(ledger, missing))
    present, first = np.unique(codes, return_index=True)
    at = missing[first]
    return pd.DataFrame(
        {
            "account": np.asarray(ledger["account"].cat.categories.astype(str))[present],
            "rows": counts[present],
            "amount": sums[present],
            # .iloc first: the whole column as Python strings would take seconds at 10M rows
            "source": ledger["source"].iloc[at].astype(str).to_numpy(),
            "line": ledger["line"].to_numpy()[at],
        }
    )


def check_unmapped(ledger: pd.DataFrame, rows: pd.Categorical, rules: Rules) -> None:
    """Raise MappingError listing each unmapped account with its row count and amount."""
    from .money import format_amount, round_to_unit

    unmapped = unmapped_summary(ledger, rows)
    if not len(unmapped):
        return
    source = f"built-in Kommun-Bas + {rules.config}" if rules.config else "built-in Kommun-Bas; no kfollow.toml"
    lines = [f"{len(unmapped)} account(s) map to no row of the Drift table (rules: {source}):"]
    lines += [
        f"  konto {account}: {count} row{'s' if count != 1 else ''}, "
        f"{format_amount(int(round_to_unit(int(amount), 'kr')))} kr (ledger sign)"
        for account, count, amount in unmapped[["account", "rows", "amount"]].itertuples(index=False, name=None)
    ]
    lines.append(
        'map them in kfollow.toml [accounts] (e.g. "91" = "Kommunbidrag", or "-" to exclude), '
        "or give --allow-unmapped to show them as 'Ej mappat'"
    )
    raise MappingError(lines)
