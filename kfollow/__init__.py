"""kfollow: budget follow-up tables for Swedish municipal interim reports, from ledger exports.

The library reads in the order the data flows:

    ledger, notes = load_ledger([Source(Path("ks-2024.xlsx"))], ReadOptions())
    rules = load_rules(Path("kfollow.toml"))
    ledger = apply_filters(ledger, where=[], exclude=[("verksamhet", ("289",))])
    rows, _ = assign_rows(ledger, rules)
    report = build_drift(ledger, rows, ReportSpec(unit="tkr"))
    print(render_table(report))

Names are imported lazily so that `kfollow --help` does not pay for pandas.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_API = {
    "Source": "read",
    "ReadOptions": "read",
    "load_ledger": "read",
    "apply_filters": "ledger",
    "filter_mask": "ledger",
    "load_rules": "mapping",
    "assign_rows": "mapping",
    "unmapped_summary": "mapping",
    "check_unmapped": "mapping",
    "ReportSpec": "report",
    "Report": "report",
    "build_drift": "report",
    "latest_outcome": "report",
    "round_cells": "report",
    "render_table": "render",
    "render_bytes": "render",
    "KfollowError": "errors",
}
__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module(f".{_API[name]}", __name__), name)
    raise AttributeError(f"module 'kfollow' has no attribute {name!r}")
