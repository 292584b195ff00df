"""`kfollow accounts`: every account with the row it maps to and why, to write kfollow.toml by."""

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


def account_frame(ledger: pd.DataFrame, matched: list[Rule | None], year: int | None) -> pd.DataFrame:
    """One row per account: row label, rule, row count and öre (ledger sign) per version."""
    keep = year_rows(ledger, year)
    # One exact pass over the ledger: öre and row count per account and version (a collapsed
    # read's rows count the ledger rows they stand for). Every row has an account.
    accounts, versions, counts, sums = sums_by_code(ledger, "account", keep, "")
    present = np.flatnonzero(counts.sum(axis=1))
    used = used_versions(versions, counts[present])
    rule = [matched[code] for code in present]
    out = pd.DataFrame(index=pd.Index([accounts[code] for code in present], name="account"))
    out["row"] = [NOT_MAPPED if r is None else EXCLUDED_LABEL if r.row == EXCLUDED else r.row for r in rule]
    out["rule"] = ["" if r is None else f"{r.prefix} ({r.origin})" for r in rule]
    out["rows"] = counts[present].sum(axis=1)
    for version in used:
        out[version] = sums[present, versions.index(version)]
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
