"""`kfollow accounts`: every account with the row it maps to and why, to write kfollow.toml by."""

from __future__ import annotations

import json

import pandas as pd

from .errors import OptionError
from .ledger import BUDGET, FORECAST, OUTCOME, row_counts
from .mapping import EXCLUDED, Rule
from .money import round_to_unit
from .render import listing_text

NOT_MAPPED = "EJ MAPPAT"
EXCLUDED_LABEL = "(exkluderas)"


def account_frame(ledger: pd.DataFrame, matched: list[Rule | None], year: int | None) -> pd.DataFrame:
    """One row per account: row label, rule, row count and öre (ledger sign) per version."""
    rules = dict(zip(ledger["account"].cat.categories.astype(str), matched, strict=True))
    frame = ledger
    if year is not None:
        in_year = ledger["year"].to_numpy() == year
        if not in_year.any():
            found = ", ".join(str(y) for y in sorted(ledger["year"].unique()))
            raise OptionError(
                f"--year {year}: the (filtered) ledger has no rows for {year}; years found: {found or 'none'}"
            )
        frame = ledger[in_year]
    # One pass over the ledger: sum and row count per account and version (a collapsed read's
    # rows count the ledger rows they stand for).
    counted = frame[["account", "version", "amount"]].assign(size=row_counts(frame) if "rows" in frame else 1)
    grouped = counted.groupby(["account", "version"], observed=True).agg(sum=("amount", "sum"), size=("size", "sum"))
    amounts = grouped["sum"].unstack(fill_value=0)
    known = [v for v in (BUDGET, FORECAST, OUTCOME) if v in amounts.columns]
    amounts = amounts[known + sorted(set(amounts.columns.astype(str)) - set(known))]
    counts = grouped["size"].groupby(level="account", observed=True).sum()
    out = pd.DataFrame(index=amounts.index.astype(str))
    rule = [rules.get(account) for account in out.index]
    out["row"] = [NOT_MAPPED if r is None else EXCLUDED_LABEL if r.row == EXCLUDED else r.row for r in rule]
    out["rule"] = ["" if r is None else f"{r.prefix} ({r.origin})" for r in rule]
    out["rows"] = counts.reindex(amounts.index).to_numpy()
    for version in amounts.columns:
        out[str(version)] = amounts[version].to_numpy()
    return out


def account_listing(ledger: pd.DataFrame, matched: list[Rule | None], year: int | None, fmt: str) -> str:
    frame = account_frame(ledger, matched, year)
    versions = [c for c in frame.columns if c not in ("row", "rule", "rows")]
    # One line per distinct account (not per ledger row), rounded once to whole kronor.
    records = [
        [account, row, rule, int(count), *(int(round_to_unit(int(a), "kr")) for a in amounts)]
        for account, row, rule, count, *amounts in frame.itertuples(name=None)
    ]
    if fmt == "json":
        keys = ["account", "row", "rule", "rows"]
        return (
            json.dumps(
                [
                    {**dict(zip(keys, r[:4], strict=True)), "amounts_kr": dict(zip(versions, r[4:], strict=True))}
                    for r in records
                ],
                ensure_ascii=False,
                indent=2,
            )
            + "\n"
        )
    headers = ["Konto", "Rad", "Regel", "Rader", *(f"{v} (kr)" for v in versions)]
    return listing_text(headers, records, fmt)
