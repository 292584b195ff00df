"""`kfollow accounts`: every account with the row it maps to and why, to write kfollow.toml by.

A listing's amounts say what they sum: one column per version where the rows listed are of
one year (--year, or a ledger of one year), else one per year and version. The helpers for
that (sums_by_year, amount_headers, amounts_json) serve `kfollow projects` too.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from .ledger import row_counts, sums_by_code, used_versions, year_rows
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


def account_names(ledger: pd.DataFrame, keep: np.ndarray | None = None) -> list[str | None] | None:
    """Each account's name (by the account's category code; None: it has none), of the rows
    under `keep`: the name most of its ledger rows give (a collapsed read's rows count the rows
    they stand for), of equally many the one found first. None where no row has a name."""
    if "account_name" not in ledger:
        return None
    name = ledger["account_name"].cat.codes.to_numpy().astype("int64")
    named = name >= 0 if keep is None else (name >= 0) & keep
    if not named.any():
        return None
    width = len(ledger["account_name"].cat.categories)
    pair = ledger["account"].cat.codes.to_numpy()[named].astype("int64") * width + name[named]
    pairs, first, inverse = np.unique(pair, return_index=True, return_inverse=True)
    weights = row_counts(ledger, named)
    rows = np.bincount(inverse, weights=weights) if weights is not None else np.bincount(inverse)
    account = pairs // width
    # Per account the pair of most rows, then the first found: sorted so, its first pair
    order = np.lexsort((first, -rows, account))
    chosen = order[np.r_[True, account[order][1:] != account[order][:-1]]]
    names: list[str | None] = [None] * len(ledger["account"].cat.categories)
    categories = ledger["account_name"].cat.categories.astype(str)
    for at in chosen:  # one per account, not per row
        names[int(account[at])] = str(categories[int(pairs[at] % width)])
    return names


def account_listing(ledger: pd.DataFrame, matched: list[Rule | None], year: int | None, fmt: str) -> str:
    """One line per distinct account (not per ledger row): its name where the ledger gives
    names (account_names), row, rule, ledger rows (all columns) and kr (ledger sign) per
    column, each rounded once from exact öre."""
    keep = year_rows(ledger, year)
    # One exact pass over the ledger: öre and row count per account, year and version (a
    # collapsed read's rows count the ledger rows they stand for). Every row has an account.
    accounts, slots, counts, sums = sums_by_year(ledger, "account", keep, "")
    present = np.flatnonzero(counts)
    kronor = round_to_unit(sums[present], "kr").tolist()
    names = account_names(ledger, keep)
    records = [
        [accounts[code], *_rule_columns(matched[code]), int(counts[code]), *amounts]
        for code, amounts in zip(present, kronor, strict=True)
    ]
    if fmt == "json":
        return _listing_json(records, slots, None if names is None else [names[code] for code in present])
    headers = ["Konto", "Rad", "Regel", "Rader", *amount_headers(slots)]
    if names is not None:  # Namn after Konto, "" for an account without one
        headers.insert(1, "Namn")
        for record, code in zip(records, present, strict=True):
            record.insert(1, names[code] or "")
    return listing_text(headers, records, fmt)


def _listing_json(records: list[list[Any]], slots: list[Slot], names: list[str | None] | None) -> str:
    """The listing as JSON: per account its account, name (where the ledger gives names; null
    for an account without one), row, rule, rows and amounts_kr."""
    keys = ["account", "row", "rule", "rows"]
    out = []
    for at, record in enumerate(records):
        item: dict[str, object] = dict(zip(keys, record[:4], strict=True))
        if names is not None:
            item = {"account": item.pop("account"), "name": names[at], **item}
        out.append({**item, "amounts_kr": amounts_json(slots, record[4:])})
    return json.dumps(out, ensure_ascii=False, indent=2) + "\n"
