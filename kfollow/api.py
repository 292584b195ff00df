"""The library API: what the `kfollow` commands do, as functions. The CLI is a thin shell over
them (each command: options -> these calls -> output), and a script can call them directly:

    from pathlib import Path
    import kfollow

    rules = kfollow.load_rules(Path("examples/kfollow.toml"))
    ledger = kfollow.map_accounts(kfollow.read_ledger(["examples/ks-2024.csv"]), rules)
    drift = kfollow.drift_table(ledger, rules, exclude=[("verksamhet", ("289",))])
    print(kfollow.render_report(drift, "table").decode())
    result = kfollow.reconcile_ledger(ledger, rules, exclude=[("verksamhet", ("289",))])
    print(result.exit_code)  # 0: every check passed

The data flows load -> map -> select -> aggregate -> compare -> render / check: read_ledger,
map_accounts, select_rows, then drift_table / investment_table / reconcile_ledger, and
render_report. Every problem is a KfollowError (LoadError, ConfigError, MappingError, OptionError)
carrying every problem found, one line each: the CLI prints those lines as `Error:` lines.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import OptionError
from .investments import (
    UNCATEGORISED,
    build_investments,
    check_projects,
    has_investments,
    investment_plan,
    investment_rows,
    project_listing,
)
from .ledger import Ledger, counted_rows, filter_mask
from .mapping import UNMAPPED, Rules, assign_rows, check_unmapped, load_rules
from .read import ReadOptions, Source, load_ledger
from .read.normalise import row_hashing
from .reconcile import (
    Finding,
    InvestmentTable,
    Reconciliation,
    check_duplicates,
    read_controls,
    reconcile,
    table_findings,
)
from .render import render_bytes
from .report import (
    Drill,
    Report,
    ReportSpec,
    Threshold,
    build_drift,
    drill_down,
    filter_words,
    latest_outcome,
    through_warnings,
)
from .starter import StarterConfig, build_starter

# A --where/--exclude rule: (column, code prefixes), e.g. ("verksamhet", ("289",))
Filter = tuple[str, tuple[str, ...]]

__all__ = [
    "Drill",
    "Filter",
    "Ledger",
    "ReadOptions",
    "Report",
    "ReportSpec",
    "Rules",
    "Source",
    "StarterConfig",
    "Threshold",
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


# --- load, map, select ------------------------------------------------------------------------


def read_ledger(files: Iterable[Source | str | os.PathLike[str]], options: ReadOptions | None = None) -> Ledger:
    """Read ledger files (CSV, XLSX, Parquet, SIE; a Source also for a budget- or forecast-only
    file) into one ledger, in ledger sign. Each file is read once: one given twice is an error."""
    sources = [f if isinstance(f, Source) else Source(Path(f)) for f in files]
    if not sources:
        raise OptionError("no ledger file given")
    seen: set[Path] = set()
    for source in sources:
        if source.path.resolve() in seen:
            raise OptionError(f"{source.path} is given twice; every file is read once")
        seen.add(source.path.resolve())
    return load_ledger(sources, options or ReadOptions())


def map_accounts(ledger: Ledger, rules: Rules) -> Ledger:
    """The ledger with each row's table row (Ledger.rows) by the account rules."""
    rows, _ = assign_rows(ledger.frame, rules)
    return replace(ledger, rows=rows)


def select_rows(
    ledger: Ledger,
    where: Sequence[Filter] = (),
    exclude: Sequence[Filter] = (),
    *,
    year: int | None = None,
    require_rows: bool = True,
) -> Ledger:
    """The rows whose codes match every `where` and no `exclude` prefix (and of `year`), their
    table rows with them. Filters that leave none of a ledger's rows are an OptionError (most
    likely a typo), unless not require_rows."""
    keep = filter_mask(ledger.frame, list(where), list(exclude), require_rows, ledger.headers)
    if year is not None:
        in_year = ledger.frame["year"].to_numpy() == year
        keep = in_year if keep is None else keep & in_year
    return ledger.select(keep)


# --- the tables -------------------------------------------------------------------------------


def _mapped(ledger: Ledger, rules: Rules) -> Ledger:
    return ledger if ledger.rows is not None else map_accounts(ledger, rules)


def _spec_for(ledger: Ledger, spec: ReportSpec | None) -> ReportSpec:
    """The spec, with what the ledger knows: the default period, judged on the whole ledger
    before any filter (so that a report's tables cover the same months), SIE fiscal-year
    labels, the years given for the whole year only, and the versions each year has."""
    spec = spec or ReportSpec()
    period = spec.default_period or latest_outcome(ledger.frame, ledger.mapped(), spec.year)
    return replace(
        spec,
        default_period=period,
        year_labels={**ledger.year_labels, **spec.year_labels},
        full_year_only=spec.full_year_only or ledger.full_year_only,
        ledger_versions=spec.ledger_versions if spec.ledger_versions is not None else _versions(ledger),
    )


def _versions(ledger: Ledger) -> frozenset[tuple[str, int]]:
    """The (version, year) pairs the ledger has rows of."""
    pairs = ledger.frame.groupby(["version", "year"], observed=True).size().index
    return frozenset((str(version), int(year)) for version, year in pairs)


def sie_warnings(ledger: Ledger) -> list[str]:
    """One line when an SIE file's own checks failed (a voucher that does not balance, …)."""
    if not ledger.sie_checks:
        return []
    return [
        f"{len(ledger.sie_checks)} check(s) of the SIE file(s) failed (first: {ledger.sie_checks[0].message}); "
        "run 'kfollow reconcile' for all of them"
    ]


def _warnings(
    report: Report,
    ledger: Ledger,
    rows: pd.Categorical,
    where: Sequence[Filter] = (),
    exclude: Sequence[Filter] = (),
) -> Report:
    """The load notes, a line for failed SIE checks, and a warning if the table fails its own
    checks (a bug in kfollow: a safety net), before the table's own warnings. The caption names
    the filters. (No duplicate-rows warning: a collapsed read has summed them, and seeing them
    takes reconcile's second read.)"""
    notes = [*ledger.notes, *sie_warnings(ledger)]
    broken = table_findings(report, ledger.frame, rows)
    if broken:
        notes.append(
            f"the table does not reconcile ({len(broken)} error(s), first: {broken[0].message}); "
            "run 'kfollow reconcile' on the same ledger, config and filters for the details"
        )
    caption = report.caption + filter_words(where, exclude) if report.caption else ""
    return replace(report, warnings=(*notes, *report.warnings), caption=caption)


def drift_table(
    ledger: Ledger,
    rules: Rules,
    spec: ReportSpec | None = None,
    *,
    where: Sequence[Filter] = (),
    exclude: Sequence[Filter] = (),
    allow_unmapped: bool = False,
    drill: Drill | None = None,
    percent: bool = False,
    threshold: Threshold | None = None,
) -> Report:
    """The Drift table (SPEC §3) of the rows `where`/`exclude` select. An account no rule maps
    is a MappingError, unless allow_unmapped (a row 'Ej mappat'). `drill`, `percent`,
    `threshold`: SPEC §8 (parts by a dimension, shares of the deviations, materiality)."""
    ledger = _mapped(ledger, rules)
    spec = _spec_for(ledger, spec)
    part = select_rows(ledger, where, exclude)
    if not allow_unmapped:
        # each account's amounts of the table's year: --year, else the default period's
        year = spec.year if spec.year is not None else spec.default_period[0] if spec.default_period else None
        check_unmapped(part.frame, part.mapped(), rules, year)
    report = _warnings(build_drift(part.frame, part.mapped(), spec), part, part.mapped(), where, exclude)
    return _explained(report, part, part.mapped(), rules, UNMAPPED, drill, percent, threshold)


def _explained(
    report: Report,
    ledger: Ledger,
    rows: pd.Categorical,
    rules: Rules,
    unmapped: str,
    drill: Drill | None,
    percent: bool,
    threshold: Threshold | None,
) -> Report:
    """SPEC §8 on a table that has passed its own checks: the parts come after them, as they
    are no rows of the table's sums (reconcile's leaves)."""
    if drill is not None:
        report = _with_parts(report, ledger, rows, rules, unmapped, drill)
    return replace(report, percent=percent, threshold=threshold)


def _with_parts(
    report: Report, ledger: Ledger, rows: pd.Categorical, rules: Rules, unmapped: str, drill: Drill
) -> Report:
    """The report with the parts of its leaf rows by drill (names from the ledger and the rules)."""
    named = replace(drill, names=_drill_names(ledger, drill, rules))
    return drill_down(report, ledger.frame, rows, named, unmapped)


def _drill_names(ledger: Ledger, drill: Drill, rules: Rules) -> dict[str, str]:
    """Code -> name for the drill-down: the names the caller gave, then [names.<dimension>] of
    kfollow.toml, then the ledger's own, which win (its account-name column and SIE #KONTO for
    konto, SIE #OBJEKT for a dimension). A code cut by --by DIM:N is named where it is itself a
    code with a name."""
    from .accounts import account_names

    frame = ledger.frame
    names: dict[str, str] = dict(drill.names)
    configured = rules.sections.get("names", {}).get(drill.dimension, {})
    if isinstance(configured, dict):
        names.update({str(code): str(name) for code, name in configured.items()})
    names.update(ledger.code_names.get(drill.dimension, {}))
    if drill.dimension == "konto":
        found = account_names(frame)
        if found is not None:
            codes = frame["account"].cat.categories.astype(str)
            names.update({code: name for code, name in zip(codes, found, strict=True) if name})
    return names


def investment_table(
    ledger: Ledger,
    rules: Rules,
    spec: ReportSpec | None = None,
    *,
    where: Sequence[Filter] = (),
    exclude: Sequence[Filter] = (),
    allow_unmapped: bool = False,
    drill: Drill | None = None,
    percent: bool = False,
    threshold: Threshold | None = None,
) -> Report:
    """The Investeringar table (SPEC §4) from [investments] of the rules. A project on an
    investment account in no category is a MappingError, unless allow_unmapped; in two, always.
    `drill`, `percent`, `threshold`: as drift_table's."""
    ledger = _mapped(ledger, rules)
    plan = investment_plan(rules)
    spec = replace(_spec_for(ledger, spec), period_budget=False)
    part = select_rows(ledger, where, exclude)
    rows, match = investment_rows(part.frame, plan)
    check_projects(part.frame, rows, match, plan, allow_unmapped)
    report = build_investments(part.frame, rows, plan, spec)
    # --through past the outcome: judged on the Drift table's accounts, whose period this is
    # (investment accounts may well have no outcome in the last months).
    latest = (latest_outcome(part.frame, part.mapped(), y) for y in (report.year, report.year - 1))
    last = dict(found for found in latest if found is not None)
    report = replace(report, warnings=(*report.warnings, *through_warnings(last, report.through, spec)))
    report = _warnings(report, part, rows, where, exclude)
    return _explained(report, part, rows, rules, UNCATEGORISED, drill, percent, threshold)


# --- reconcile --------------------------------------------------------------------------------


def find_duplicates(
    ledger: Ledger,
    files: Sequence[Source],
    options: ReadOptions,
    where: Sequence[Filter] = (),
    exclude: Sequence[Filter] = (),
) -> list[Finding] | None:
    """reconcile's duplicate-rows findings for a ledger read collapsed with row hashes
    (ReadOptions.collapse and hashing), or None where the ledger holds its rows as read (then
    reconcile_ledger checks them itself). Only the rows whose hashes the read's twin filter
    kept (row_hashes: every row with a twin, and a few without) are read again, row by row,
    with `options` (those of the first read), and compared in full."""
    hashes, ledger.row_hashes = ledger.row_hashes, None
    if hashes is None:
        if ledger.rows_as_read:
            return None
        keep = None  # rows summed but not hashed (a wide file): read them all again
    elif not len(hashes):
        return []  # no row may have a twin: no duplicates, and no second read
    else:
        keep = np.unique(hashes)
    # Each file in the sign the first read found, every column, row by row.
    again = replace(
        options,
        collapse=False,
        columns=None,
        filter_only={},
        hashing=None if keep is None else row_hashing(frozenset(), keep),
        file_signs=ledger.file_signs,
    )
    candidates = load_ledger(list(files), again)
    return check_duplicates(select_rows(candidates, where, exclude, require_rows=False).frame)


def reconcile_ledger(
    ledger: Ledger,
    rules: Rules,
    spec: ReportSpec | None = None,
    *,
    where: Sequence[Filter] = (),
    exclude: Sequence[Filter] = (),
    controls: Path | None = None,
    tolerance: int = 0,
    strict: bool = False,
    duplicates: list[Finding] | None = None,
    drill: Drill | None = None,
) -> Reconciliation:
    """Every check of SPEC §6 on the rows `where`/`exclude` select, and the Drift table (with
    its period budget) and, where the rules have [investments], the Investeringar table built
    from them. `controls`: a CSV of control totals; `tolerance` in öre. `duplicates`: from
    find_duplicates where the ledger was read collapsed; else the check runs on the ledger."""
    ledger = _mapped(ledger, rules)
    spec = replace(_spec_for(ledger, spec), period_budget=True)
    part = select_rows(ledger, where, exclude)
    report = build_drift(part.frame, part.mapped(), spec)
    investments = None
    if has_investments(rules):
        plan = investment_plan(rules)
        rows, match = investment_rows(part.frame, plan)
        investments = InvestmentTable(build_investments(part.frame, rows, plan, spec), rows, match, plan)
    return reconcile(
        report,
        part.frame,
        part.mapped(),
        notes=ledger.notes,
        controls=read_controls(controls, report) if controls is not None else None,
        tolerance=tolerance,
        strict=strict,
        investments=investments,
        unfiltered_rows=counted_rows(ledger.frame),
        duplicates=duplicates,
        sie_checks=list(ledger.sie_checks) if ledger.sie_files else None,  # None: not run
        sie_notes=ledger.sie_notes,
        full_year_only=ledger.full_year_only,
        unmapped_year=report.year,
        unterminated=ledger.unterminated,
        drilled=_drilled(report, part, rules, drill),
    )


def _drilled(report: Report, part: Ledger, rules: Rules, drill: Drill | None) -> Report | str | None:
    """The Drift table with its parts by --by, for reconcile's drill-parts check; the message of
    drill_down's own check where the parts do not sum; None without --by."""
    if drill is None:
        return None
    try:
        return _with_parts(report, part, part.mapped(), rules, UNMAPPED, drill)
    except AssertionError as error:
        return str(error)


# --- listings and output ------------------------------------------------------------------------


def account_listing(ledger: Ledger, rules: Rules, year: int | None = None, fmt: str = "table") -> str:
    """Every account, the row it maps to, the rule that maps it, and per version its rows and
    kr (ledger sign), for `year` (None: all years)."""
    from .accounts import account_listing as listing

    _, matched = assign_rows(ledger.frame, rules)
    return listing(ledger.frame, matched, year, fmt)


def projects_listing(ledger: Ledger, rules: Rules, year: int | None = None, fmt: str = "table") -> str:
    """Every project on the investment accounts, its category, rows and kr per version."""
    plan = investment_plan(rules, required=False)
    rows, match = investment_rows(ledger.frame, plan)
    return project_listing(ledger.frame, rows, match, year, fmt)


def render_report(report: Report, fmt: str = "table", into: Path | None = None, sheet_name: str | None = None) -> bytes:
    """A table as text (table, markdown), csv, json or an xlsx workbook (into: a workbook to
    add the table to, as the sheet `sheet_name`)."""
    return render_bytes(report, fmt, into, sheet_name)


# --- a configuration to start from ------------------------------------------------------------


def starter_config(ledger: Ledger, year: int | None = None) -> StarterConfig:
    """A kfollow.toml to start from (kfollow init, SPEC §11): [accounts] with every account the
    built-in Kommun-Bas map does not place and a suggested row, an [investments] skeleton from
    the projects on the investment accounts, and the dimensions' codes as commented filters.
    The comments give rows and kr (ledger sign) of `year` (None: the latest year with outcome).
    `text` is the file; `notes` say which accounts are written as "-" until decided."""
    return build_starter(ledger.frame, year)
