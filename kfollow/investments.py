"""The Investeringar table (SPEC §4): projects on investment accounts, by kommun categories.

kfollow.toml's [investments] maps category paths ("Reinvestering/Fastigheter") to project-code
prefixes. Categories nest by their paths; a parent's value is the exact sum of its children.
Like the Drift table, one group-by over the ledger gives every cell, in öre, ledger sign
(expenditure +), rounded once when printed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, cast

import numpy as np
import pandas as pd

from .errors import ConfigError, LoadError, MappingError, capped
from .ledger import OUTCOME, counted_rows, prefix_mask, sums_by_code, used_versions, year_rows
from .mapping import EXCLUDED, UNMAPPED, Rules, in_table
from .money import format_kr
from .report import (
    Column,
    Report,
    ReportSpec,
    Row,
    aggregate,
    check_full_year,
    drift_columns,
    empty_column_warnings,
    empty_columns,
    period_words,
    resolve_columns,
    table_rows,
)

TOTAL = "Totala utgifter"
UNCATEGORISED = "Ej kategoriserat"
NO_PROJECT = "(inget projekt)"
# Kommun-Bas 10–12: immateriella and materiella anläggningstillgångar. Not 13–19 (financial
# assets, stock, receivables, bank), whose rows are no investment expenditure.
DEFAULT_ACCOUNTS = ("10", "11", "12")


@dataclass(frozen=True)
class Category:
    path: str  # "Expansionsinvestering/Markinköp": the row's key
    prefixes: tuple[str, ...]  # project-code prefixes (leaf categories only)
    children: tuple[str, ...] = ()  # paths, in table order

    @property
    def label(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def level(self) -> int:
        return self.path.count("/")


@dataclass(frozen=True)
class InvestmentPlan:
    categories: tuple[Category, ...]  # table order: each parent before its children
    accounts: tuple[str, ...]  # account prefixes that carry investment expenditure
    origin: str

    @property
    def accounts_text(self) -> str:
        """'10*, 11*, 12*': the investment accounts as messages name them."""
        return ", ".join(f"{prefix}*" for prefix in self.accounts)

    @property
    def leaves(self) -> tuple[Category, ...]:
        return tuple(c for c in self.categories if not c.children)


def has_investments(rules: Rules) -> bool:
    section = rules.sections.get("investments")
    return isinstance(section, dict) and any(k != "options" for k in section)


def investment_plan(rules: Rules, required: bool = True) -> InvestmentPlan:
    """The [investments] of kfollow.toml, checked; every problem is reported at once.
    Not required (kfollow projects): without it, no categories on the default accounts."""
    origin = rules.config.name if rules.config else "kfollow.toml"
    section = rules.sections.get("investments")
    if not isinstance(section, dict) or (required and not has_investments(rules)):
        if not required:
            return InvestmentPlan((), DEFAULT_ACCOUNTS, origin)
        where = f"{rules.config}" if rules.config else "no kfollow.toml was found (give --config FILE)"
        raise ConfigError(
            f"{where}: no [investments] categories. Add them, e.g.\n"
            '  [investments]\n  "Reinvestering/Fastigheter" = ["943", "944"]\n  "Imageinvestering" = []'
        )
    problems: list[str] = []
    accounts = _accounts_option(section, origin, problems)
    own, children = _category_tree(section, origin, problems)
    for path, prefixes in own.items():
        if prefixes and children[path]:
            problems.append(
                f'{origin}: [investments] "{path}" has sub-categories and projects of its own; its value is the '
                f'sum of its sub-categories, so give its projects one, e.g. "{path}/Övrigt"'
            )
    if problems:
        raise ConfigError(problems)

    def walk(path: str) -> list[Category]:
        return [Category(path, own.get(path, ()), tuple(children[path])), *(c for k in children[path] for c in walk(k))]

    categories = tuple(c for top in children[""] for c in walk(top))
    return InvestmentPlan(categories, tuple(a.strip() for a in accounts), origin)


def _accounts_option(section: dict[str, Any], origin: str, problems: list[str]) -> list[str]:
    """[investments.options] accounts, or the default accounts where it is not given (or wrong:
    then with a problem)."""
    options = section.get("options", {})
    accounts = options.get("accounts", list(DEFAULT_ACCOUNTS)) if isinstance(options, dict) else None
    unknown = sorted(set(options) - {"accounts"}) if isinstance(options, dict) else []
    if unknown:
        problems.append(
            f"{origin}: [investments.options] {', '.join(unknown)}: no such option (the one option is accounts)"
        )
    if not isinstance(accounts, list) or not accounts or not all(isinstance(a, str) and a.strip() for a in accounts):
        problems.append(f'{origin}: [investments.options] accounts must be a list of account prefixes, e.g. ["1"]')
        accounts = list(DEFAULT_ACCOUNTS)
    return accounts


def _category_tree(
    section: dict[str, Any], origin: str, problems: list[str]
) -> tuple[dict[str, tuple[str, ...]], dict[str, list[str]]]:
    """(path -> its own project prefixes, path -> child paths; "" -> the top categories) of the
    keys that are well-formed; the others become problems."""
    # Build the tree in config order: a path's parents are made when it is first named.
    own: dict[str, tuple[str, ...]] = {}
    children: dict[str, list[str]] = {"": []}
    for raw, prefixes in section.items():
        if raw == "options":
            continue
        parts = [p.strip() for p in str(raw).split("/")]
        problem = _category_problem(raw, parts, prefixes, own)
        if problem:
            problems.append(f"{origin}: [investments] {problem}")
            continue
        for depth in range(1, len(parts) + 1):
            path, parent = "/".join(parts[:depth]), "/".join(parts[: depth - 1])
            if path not in children:
                children[path] = []
                children[parent].append(path)
        own[path] = tuple(p.strip() for p in prefixes)
    return own, children


def _category_problem(raw: str, parts: list[str], prefixes: object, own: dict[str, tuple[str, ...]]) -> str | None:
    """What is wrong with a category key `raw` (split into `parts`) and its value, if anything."""
    if not all(parts):
        return f'"{raw}": a category path has an empty part'
    if not isinstance(prefixes, list) or not all(isinstance(p, str) and p.strip() for p in prefixes):
        return f'"{raw}" = {prefixes!r}: give a list of project-code prefixes, e.g. ["943"]'
    if TOTAL in parts or UNCATEGORISED in parts:
        return f'"{raw}": "{TOTAL}" and "{UNCATEGORISED}" are kfollow\'s own rows'
    if "/".join(parts) in own:
        return f'"{raw}" names a category that another key names too'
    return None


@dataclass(frozen=True)
class ProjectMatch:
    """For each distinct project on investment accounts: the leaf categories it matches."""

    projects: list[str]
    matches: list[list[str]]  # paths


def investment_rows(ledger: pd.DataFrame, plan: InvestmentPlan) -> tuple[pd.Categorical, ProjectMatch]:
    """Each ledger row's category path (EXCLUDED off the investment accounts, NaN where its
    project matches no category or several), and the match of each distinct project."""
    on_accounts = prefix_mask(ledger, "account", plan.accounts)
    if "projekt" not in ledger and on_accounts.any() and plan.categories:
        files = ", ".join(str(name) for name in ledger["source"].cat.categories)
        raise LoadError(
            f"{files}: no projekt column, but {_rows(counted_rows(ledger, on_accounts))} on investment accounts "
            f"({plan.accounts_text}): the Investeringar table needs each row's project"
        )
    names, codes = _projects(ledger)
    # A row with no project (a depreciation, a bank or closing entry) is no investment
    # expenditure: in no row and no error; reconcile reports them (rows_without_project).
    expenditure = on_accounts & (codes >= 0)
    used = np.unique(codes[expenditure])
    leaves = plan.leaves
    projects, matches = [], []
    lookup = np.full(len(names), -1, dtype="int32")  # project code -> leaf index
    for code in used:
        project = names[code]
        hits = [i for i, leaf in enumerate(leaves) if project.startswith(leaf.prefixes)]
        projects.append(project)
        matches.append([leaves[i].path for i in hits])
        lookup[code] = hits[0] if len(hits) == 1 else -1
    labels = [*(leaf.path for leaf in leaves), EXCLUDED]
    row_codes = np.full(len(ledger), len(leaves), dtype="int32")
    row_codes[expenditure] = lookup[codes[expenditure]]
    categories = cast("pd.Index", labels)  # pandas-stubs want an Index; pandas takes any list-like
    return pd.Categorical.from_codes(row_codes, categories), ProjectMatch(projects, matches)


def _projects(ledger: pd.DataFrame) -> tuple[pd.Index, np.ndarray]:
    """The project names and each row's code into them (-1: no project)."""
    if "projekt" not in ledger:
        return pd.Index([], dtype=object), np.full(len(ledger), -1, dtype="int8")
    return ledger["projekt"].cat.categories.astype(str), ledger["projekt"].cat.codes.to_numpy()


def rows_without_project(ledger: pd.DataFrame, plan: InvestmentPlan) -> np.ndarray:
    """The rows on investment accounts with no project: not investment expenditure."""
    return prefix_mask(ledger, "account", plan.accounts) & (_projects(ledger)[1] < 0)


@dataclass(frozen=True)
class ProjectProblem:
    """A project on investment accounts in no category (paths empty) or in several."""

    project: str
    rows: int
    amounts: dict[str, int]  # version -> öre, expenditure +
    paths: list[str]
    source: str  # first file:line

    def describe(self) -> str:
        """'2 rows (budget 5 000,00 kr, utfall 300,50 kr), first at ledger.csv:19'"""
        amounts = ", ".join(f"{version} {format_kr(ore)}" for version, ore in self.amounts.items())
        return f"{_rows(self.rows)} ({amounts}), first at {self.source}"


def _project_sums(ledger: pd.DataFrame, keep: np.ndarray) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """sums_by_code per project; rows without a project are NO_PROJECT."""
    return sums_by_code(ledger, "projekt", keep, NO_PROJECT)


def project_problems(ledger: pd.DataFrame, rows: pd.Categorical, match: ProjectMatch) -> list[ProjectProblem]:
    """Projects on investment accounts in no category or in several, with their row count,
    amount per version (all years) and first line."""
    uncategorised = np.asarray(rows.codes) == -1
    if not uncategorised.any():
        return []
    names, versions, counts, sums = _project_sums(ledger, uncategorised)
    at = np.flatnonzero(uncategorised)
    codes = ledger["projekt"].cat.codes.to_numpy()[at] if "projekt" in ledger else np.full(len(at), -1)
    codes = np.where(codes < 0, len(names) - 1, codes)
    firsts, first_at = np.unique(codes, return_index=True)
    paths = dict(zip(match.projects, match.matches, strict=True))
    out = []
    for code, index in zip(firsts, first_at, strict=True):
        row = at[index]
        amounts = {versions[v]: int(sums[code, v]) for v in np.flatnonzero(counts[code])}
        source = f"{ledger['source'].iloc[row]}:{ledger['line'].iloc[row]}"
        project = names[code]
        out.append(ProjectProblem(project, int(counts[code].sum()), amounts, paths.get(project, []), source))
    return sorted(out, key=lambda problem: problem.project)


def check_projects(
    ledger: pd.DataFrame, rows: pd.Categorical, match: ProjectMatch, plan: InvestmentPlan, allow: bool
) -> None:
    """Stop (exit 3) on projects in two categories, and on projects in none unless `allow`."""
    none, several = [], []
    for problem in project_problems(ledger, rows, match):
        what = f"  projekt {problem.project}: {problem.describe()}"
        if problem.paths:
            several.append(f"{what}; matches {', '.join(problem.paths)}")
        else:
            none.append(what)
    lines = []
    if several:
        lines += [f"{len(several)} project(s) match more than one [investments] category in {plan.origin}:"]
        lines += [*capped(several, what="more projects"), "make the categories' prefixes distinct"]
    if none and not allow:
        lines += [f"{len(none)} project(s) on investment accounts ({plan.accounts_text}) match no category:"]
        lines += capped(none, what="more projects")
        lines.append(
            f"add their prefixes to [investments] in {plan.origin}, or give --allow-unmapped to show them as "
            f"'{UNCATEGORISED}'"
        )
    if lines:
        raise MappingError(lines)


def investment_columns(
    year: int, through: int, forecast: str, labels: dict[int, str] | None = None, previous: str | None = None
) -> tuple[Column, ...]:
    """SPEC §4: as the Drift table, but the forecast deviation is budget − forecast (+ = underspend)."""
    columns = drift_columns(year, through, forecast, False, labels, previous)
    return tuple(replace(c, difference=("budget", "forecast")) if c.key == "forecast_deviation" else c for c in columns)


def build_investments(ledger: pd.DataFrame, rows: pd.Categorical, plan: InvestmentPlan, spec: ReportSpec) -> Report:
    """The Investeringar table from a (filtered) ledger and its investment_rows."""
    sums = aggregate(ledger, rows)
    sums["row"] = sums["row"].cat.rename_categories({UNMAPPED: UNCATEGORISED})
    year, through, forecast = resolve_columns(sums, spec, ledger)
    layout = [
        Row(c.label, "subtotal" if c.children else "row", c.level, {}, c.children, c.path) for c in plan.categories
    ]
    warnings = []
    if (sums["row"] == UNCATEGORISED).any():
        layout.append(Row(UNCATEGORISED, "row", 0, {}, (), UNCATEGORISED))
        warnings.append(f"projects that match no category are shown as '{UNCATEGORISED}' (--allow-unmapped)")
    top = tuple(row.key for row in layout if row.level == 0)
    layout.append(Row(TOTAL, "total", 0, {}, top, TOTAL))
    columns = investment_columns(year, through, forecast, spec.year_labels, spec.previous_forecast)
    check_full_year(columns, spec)
    later = sums[(sums["version"] == OUTCOME) & (sums["year"] == year) & (sums["period"] > through)]
    if len(later):
        warnings.append(
            f"investment outcome after month {through} (up to month {int(later['period'].max())}) is not in the "
            f"table: the period is the Drift table's; --through {int(later['period'].max())} shows it"
        )
    # A version without rows on the investment accounts leaves its columns empty, never 0.
    empty = empty_columns(sums, columns, spec.ledger_versions)
    warnings += empty_column_warnings(columns, empty)
    sign = 1  # expenditure positive, as booked
    filled = table_rows(sums, columns, layout, sign)
    caption = f"Investeringar {period_words(year, through, spec.year_labels)}"
    return Report(
        "investeringar", year, through, spec.unit, columns, filled, tuple(warnings), sign, empty, caption=caption
    )


NOT_CATEGORISED = "EJ KATEGORISERAT"


def project_listing(ledger: pd.DataFrame, rows: pd.Categorical, match: ProjectMatch, year: int | None, fmt: str) -> str:
    """`kfollow projects`: each project on investment accounts, its category, row count and kr
    per version (ledger sign: expenditure +), for --year (default: all years)."""
    import json

    from .money import round_to_unit
    from .render import listing_text

    keep = in_table(rows) & year_rows(ledger, year)
    names, versions, counts, sums = _project_sums(ledger, keep)
    used = used_versions(versions, counts)
    columns = [versions.index(v) for v in used]
    kronor = round_to_unit(sums[:, columns], "kr") if len(columns) else np.zeros((len(names), 0), dtype="int64")
    categories = dict(zip(match.projects, match.matches, strict=True))
    records: list[list[str | int]] = []
    for code in np.flatnonzero(counts.sum(axis=1)):
        paths = categories.get(names[code], [])
        category = paths[0] if len(paths) == 1 else NOT_CATEGORISED if not paths else "FLERA: " + ", ".join(paths)
        records.append([names[code], category, int(counts[code].sum()), *(int(k) for k in kronor[code])])
    records.sort(key=lambda r: r[0])
    if fmt == "json":
        items = [
            {"project": r[0], "category": r[1], "rows": r[2], "amounts_kr": dict(zip(used, r[3:], strict=True))}
            for r in records
        ]
        return json.dumps(items, ensure_ascii=False, indent=2) + "\n"
    return listing_text(["Projekt", "Kategori", "Rader", *(f"{v} (kr)" for v in used)], records, fmt)


def _rows(count: int) -> str:
    return f"{count} row{'s' if count != 1 else ''}"
