"""kfollow: budget follow-up tables for Swedish municipal interim reports, from ledger exports.

The library API (kfollow/api.py), in the order the data flows; the `kfollow` commands call
these same functions:

    from pathlib import Path
    import kfollow

    rules = kfollow.load_rules(Path("examples/kfollow.toml"))
    ledger = kfollow.map_accounts(kfollow.read_ledger(["examples/ks-2024.csv"]), rules)
    drift = kfollow.drift_table(ledger, rules, exclude=[("verksamhet", ("289",))])
    print(kfollow.render_report(drift, "table").decode())
    print(kfollow.reconcile_ledger(ledger, rules, exclude=[("verksamhet", ("289",))]).exit_code)

Errors are KfollowError (LoadError, ConfigError, MappingError, OptionError), each carrying
every problem found. Names are imported on first use, so that `kfollow --help` does not pay
for pandas; type checkers see them through the imports below.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .api import (
        Filter,
        account_listing,
        drift_table,
        find_duplicates,
        investment_table,
        map_accounts,
        projects_listing,
        read_ledger,
        reconcile_ledger,
        render_report,
        select_rows,
        sie_warnings,
        starter_config,
    )
    from .errors import ConfigError, KfollowError, LoadError, MappingError, OptionError
    from .ledger import Ledger
    from .mapping import Rules, load_rules
    from .read import Limits, ReadOptions, Source
    from .reconcile import Finding, Reconciliation
    from .report import Report, ReportSpec
    from .starter import StarterConfig

__version__ = "0.1.0"

_API = {
    **dict.fromkeys(
        [
            "Filter",
            "account_listing",
            "drift_table",
            "find_duplicates",
            "investment_table",
            "map_accounts",
            "projects_listing",
            "read_ledger",
            "reconcile_ledger",
            "render_report",
            "select_rows",
            "sie_warnings",
            "starter_config",
        ],
        "api",
    ),
    **dict.fromkeys(["ConfigError", "KfollowError", "LoadError", "MappingError", "OptionError"], "errors"),
    "Ledger": "ledger",
    "Rules": "mapping",
    "load_rules": "mapping",
    "Limits": "read",
    "ReadOptions": "read",
    "Source": "read",
    "Finding": "reconcile",
    "Reconciliation": "reconcile",
    "Report": "report",
    "ReportSpec": "report",
    "StarterConfig": "starter",
}
__all__ = [
    "ConfigError",
    "Filter",
    "Finding",
    "KfollowError",
    "Ledger",
    "Limits",
    "LoadError",
    "MappingError",
    "OptionError",
    "ReadOptions",
    "Reconciliation",
    "Report",
    "ReportSpec",
    "Rules",
    "Source",
    "StarterConfig",
    "account_listing",
    "drift_table",
    "find_duplicates",
    "investment_table",
    "load_rules",
    "map_accounts",
    "projects_listing",
    "read_ledger",
    "reconcile_ledger",
    "render_report",
    "select_rows",
    "sie_warnings",
    "starter_config",
]


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module(f".{_API[name]}", __name__), name)
    raise AttributeError(f"module 'kfollow' has no attribute {name!r}")
