"""`kfollow accounts`: every account with the row it maps to and why, to write kfollow.toml by.

A listing's amounts say what they sum: one column per version where the rows listed are of
one year (--year, or a ledger of one year), else one per year and version. The helpers for
that (sums_by_year, amount_headers, amounts_json) serve `kfollow projects` too.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from .ledger import sums_by_code, used_versions, year_rows
from .mapping import EXCLUDED, Rule
from .money import round_to_unit
from .render import listing_text

NOT_MAPPED = "EJ MAPPAT"
EXCLUDED_LABEL = "(exkluderas)"

# A listing's amount column: (year, version)
Slot = tuple[int, str]


def sums_by_year(
    ledger: pd.DataFrame, column: str, keep: np.ndarray, empty: str
) -> tuple[list[str], list[Slot], np.ndarray, np.ndarray]:
    """sums_by_code with each version split by year, in the same one exact pass: (codes, slots,
    rows, sums). Slots are the (year, version) that have kept rows: years ascending, each
    year's versions in listing order (used_versions). rows: ledger rows per code, all slots;
    sums: öre (ledger sign), codes × slots."""
    year = ledger["year"].to_numpy()
    years = np.unique(year[keep])
    versions = list(ledger["version"].cat.categories.astype(str))
    span = max(len(years), 1)
    # Each row's (year, version) as one code, for sums_by_code to sum per code × slot. Rows
    # outside `keep` may get any slot: they are not summed.
    at = np.searchsorted(years, year).clip(0, span - 1)
    slot = at * len(versions) + ledger["version"].cat.codes.to_numpy()
    split = ledger.assign(version=pd.Categorical.from_codes(slot, pd.RangeIndex(span * len(versions))))
    names, _, counts, sums = sums_by_code(split, column, keep, empty)
    by_year = counts.reshape(len(names), span, len(versions))
    slots = [(int(y), v) for i, y in enumerate(years) for v in used_versions(versions, by_year[:, i])]
    index = [int(np.searchsorted(years, y)) * len(versions) + versions.index(v) for y, v in slots]
    return names, slots, counts.sum(axis=1), sums[:, index]


def several_years(slots: list[Slot]) -> bool:
    return len({year for year, _ in slots}) > 1


def amount_headers(slots: list[Slot]) -> list[str]:
    """'budget (kr)' per version for one year; 'budget 2023 (kr)' per year and version for more."""
    if several_years(slots):
        return [f"{version} {year} (kr)" for year, version in slots]
    return [f"{version} (kr)" for _, version in slots]


def amounts_json(slots: list[Slot], kronor: list[int]) -> dict[str, int] | dict[str, dict[str, int]]:
    """{version: kr} for one year; {year: {version: kr}} for more."""
    if not several_years(slots):
        return {version: k for (_, version), k in zip(slots, kronor, strict=True)}
    out: dict[str, dict[str, int]] = {}
    for (year, version), k in zip(slots, kronor, strict=True):
        out.setdefault(str(year), {})[version] = k
    return out


def _rule_columns(rule: Rule | None) -> list[str]:
    """The Rad and Regel of an account matched by `rule` (None: no rule)."""
    if rule is None:
        return [NOT_MAPPED, ""]
    return [EXCLUDED_LABEL if rule.row == EXCLUDED else rule.row, f"{rule.prefix} ({rule.origin})"]


def account_listing(ledger: pd.DataFrame, matched: list[Rule | None], year: int | None, fmt: str) -> str:
    """One line per distinct account (not per ledger row): row, rule, ledger rows (all
    columns) and kr (ledger sign) per column, each rounded once from exact öre."""
    keep = year_rows(ledger, year)
    # One exact pass over the ledger: öre and row count per account, year and version (a
    # collapsed read's rows count the ledger rows they stand for). Every row has an account.
    accounts, slots, counts, sums = sums_by_year(ledger, "account", keep, "")
    present = np.flatnonzero(counts)
    kronor = round_to_unit(sums[present], "kr").tolist()
    records = [
        [accounts[code], *_rule_columns(matched[code]), int(counts[code]), *amounts]
        for code, amounts in zip(present, kronor, strict=True)
    ]
    if fmt == "json":
        keys = ["account", "row", "rule", "rows"]
        return (
            json.dumps(
                [{**dict(zip(keys, r[:4], strict=True)), "amounts_kr": amounts_json(slots, r[4:])} for r in records],
                ensure_ascii=False,
                indent=2,
            )
            + "\n"
        )
    headers = ["Konto", "Rad", "Regel", "Rader", *amount_headers(slots)]
    return listing_text(headers, records, fmt)
