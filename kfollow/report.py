"""Aggregate and compare: the mapped ledger -> the Drift table, every cell in exact öre.

One group-by over the ledger (row × version × year × month) gives a frame of at most a few
thousand sums; every column of the table is read from that, so a ten-million-row ledger is
scanned once. Values are kept in öre, report sign (revenue +, costs −); rounding to the unit
happens once per printed cell, in render.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import cast

import numpy as np
import pandas as pd

from .errors import LoadError, OptionError
from .ledger import BUDGET, FORECAST, OUTCOME, FullYearOnly
from .mapping import (
    ALLOCATION,
    EXCLUDED,
    FINANCIAL,
    INCOME,
    OTHER,
    PERSONNEL,
    PREMISES,
    SERVICES,
    UNMAPPED,
    in_table,
)
from .money import exact_group_sums, round_to_unit

# Months of a fiscal year, 1..36 (a long first year of an SIE file), and 0: the slots of the
# group-by key.
PERIOD_SLOTS = 37

COSTS = "Verksamhetens kostnader"
NET_COSTS = "Verksamhetens nettokostnader"
RESULT = "Årets resultat"

# (label, kind, parts): a subtotal is the sum of its parts, computed on exact öre.
DRIFT_LAYOUT: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (INCOME, "row", ()),
    (PERSONNEL, "row", ()),
    (PREMISES, "row", ()),
    (SERVICES, "row", ()),
    (OTHER, "row", ()),
    (COSTS, "subtotal", (PERSONNEL, PREMISES, SERVICES, OTHER)),
    (NET_COSTS, "subtotal", (INCOME, COSTS)),
    (ALLOCATION, "row", ()),
    (FINANCIAL, "row", ()),
    (RESULT, "total", (NET_COSTS, ALLOCATION, FINANCIAL)),
)


@dataclass(frozen=True)
class ReportSpec:
    """What to build. year/through None: the latest year and month with outcome."""

    year: int | None = None
    through: int | None = None
    unit: str = "tkr"
    # None: `prognos`, and its columns are empty (with a warning) where there is none. A version
    # named here must exist in the ledger.
    forecast_version: str | None = None
    # --previous-forecast: the forecast the current one is compared with (SPEC §9); it must exist.
    previous_forecast: str | None = None
    period_budget: bool = False
    # The (year, month) that year/through default to, when it is to come from more than the
    # ledger given to build_drift: the CLI takes it from the whole ledger before --where and
    # --exclude, so that a report's tables of one ledger cover the same period.
    default_period: tuple[int, int] | None = None
    # Header labels of fiscal years that are not calendar years (SIE #RAR): {2016: "2015/16"}.
    year_labels: dict[int, str] = field(default_factory=dict)
    # Years a file gives for the whole year only (Ledger.full_year_only): no part-year column.
    full_year_only: tuple[FullYearOnly, ...] = ()
    # The (version, year) pairs the whole ledger has rows of, before filters: a column of one
    # of them is 0 where the table's rows have none, and empty (no data) only where the
    # ledger has none (None: judged on the table's own rows).
    ledger_versions: frozenset[tuple[str, int]] | None = None


@dataclass(frozen=True)
class Selection:
    """The ledger rows a column sums: one version, one year, months 1..through."""

    version: str
    year: int
    through: int


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    # How the column is made, for the checks of reconcile: read from the ledger (selection),
    # or the difference of two other columns (minuend key, subtrahend key).
    selection: Selection | None = None
    difference: tuple[str, str] | None = None


@dataclass(frozen=True)
class Row:
    label: str
    kind: str  # row | subtotal | total
    level: int
    values: dict[str, int]  # öre, table sign
    parts: tuple[str, ...] = ()  # keys of the rows a subtotal or total sums
    path: str = ""  # where labels repeat (investment categories): the row's unique key
    # A drill-down part (kind "detail", SPEC §8): the label of the row it is part of, the
    # dimension it is drilled by, its code (None: Övrigt, or rows without a code) and name.
    parent: str | None = None
    dimension: str | None = None
    code: str | None = None
    name: str | None = None

    @property
    def key(self) -> str:
        return self.path or self.label


@dataclass(frozen=True)
class Threshold:
    """--threshold AMOUNT and/or PCT%: a deviation is material where it reaches every bound
    given (|deviation| >= öre; |deviation| / |the figure it deviates from| >= percent)."""

    ore: int | None = None
    percent: Decimal | None = None
    text: str = ""  # as the footnote names it: '500 tkr och 5 %'


@dataclass(frozen=True)
class Report:
    table: str
    year: int
    through: int
    unit: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    warnings: tuple[str, ...] = field(default=())
    # Ledger amount × sign = table amount: −1 for the Drift table (report sign: revenue +).
    sign: int = -1
    # Keys of the columns with no data: their version has no rows for their year (and the
    # differences made from them). Their values are 0 in `rows`, so that sums and checks hold;
    # they are printed empty (null in JSON), never as 0.
    empty: frozenset[str] = frozenset()
    # The line above a text table: what it is, the period and the filters
    # ('Drift januari–augusti 2024, exkl. verksamhet 289').
    caption: str = ""
    # --percent: a share column after each deviation column (SPEC §8).
    percent: bool = False
    # --threshold: rows and parts whose last deviation passes it are flagged.
    threshold: Threshold | None = None


def drift_columns(
    year: int,
    through: int,
    forecast: str,
    period_budget: bool,
    labels: dict[int, str] | None = None,
    previous: str | None = None,
) -> tuple[Column, ...]:
    """The columns of SPEC §3 (and §9 with a `previous` forecast); a difference always follows
    the columns it is made of. A year shows as its label where it has one (a broken fiscal
    year: 'Budget 2015/16')."""
    y, p = (labels or {}).get(year, str(year)), (labels or {}).get(year - 1, str(year - 1))
    ends = PERIOD_SLOTS - 1  # the whole year, however many months (an SIE year may have 14)
    columns = [
        Column("budget", f"Budget {y}", Selection(BUDGET, year, ends)),
        Column("forecast", f"Prognos helår {y}", Selection(forecast, year, ends)),
        Column("forecast_deviation", f"Avv. prognos/budget {y}", difference=("forecast", "budget")),
        *(
            [
                Column("previous_forecast", f"{previous_header(previous)} {y}", Selection(previous, year, ends)),
                Column("forecast_change", f"Prognosförändring {y}", difference=("forecast", "previous_forecast")),
            ]
            if previous
            else []
        ),
        Column("outcome", f"Delårsbokslut {y}", Selection(OUTCOME, year, through)),
        Column("outcome_previous", f"Delårsbokslut {p}", Selection(OUTCOME, year - 1, through)),
        Column(
            "outcome_change",
            f"Diff. utfall {p}–{y}" if "/" in y + p else f"Diff. utfall {p}/{y}",
            difference=("outcome", "outcome_previous"),
        ),
    ]
    if period_budget:
        columns += [
            Column("period_budget", f"Periodbudget {y}", Selection(BUDGET, year, through)),
            Column("period_deviation", f"Avv. utfall/periodbudget {y}", difference=("outcome", "period_budget")),
        ]
    return tuple(columns)


def previous_header(version: str) -> str:
    """A previous forecast's header: 'Prognos april' for prognos-april, else 'Föregående prognos'."""
    name, _, month = version.partition("-")
    if name == FORECAST and month.isalpha():
        return f"Prognos {month}"
    return "Föregående prognos"


def aggregate(ledger: pd.DataFrame, rows: pd.Categorical) -> pd.DataFrame:
    """Sum of öre (ledger sign) per table row × version × year × month; excluded rows dropped.

    Unmapped accounts (no rule) come out under UNMAPPED. One pass over the ledger: the four
    keys are packed into one integer and summed with exact_group_sums.
    """
    labels = [*rows.categories, UNMAPPED]
    versions = ledger["version"].cat.categories
    year = ledger["year"].to_numpy()
    first_year = int(year.min()) if len(year) else 0
    years = (int(year.max()) - first_year + 1) if len(year) else 1
    # key = ((row × versions + version) × years + year offset) × PERIOD_SLOTS + month, in place in
    # int32 so that ten million rows cost one 40 MB array.
    key = np.asarray(rows.codes).astype("int32")
    key[key < 0] = len(labels) - 1
    key *= len(versions)
    key += ledger["version"].cat.codes.to_numpy()
    key *= years
    key += year
    key -= first_year
    key *= PERIOD_SLOTS
    key += ledger["period"].to_numpy()
    groups = len(labels) * len(versions) * years * PERIOD_SLOTS
    counts, sums = exact_group_sums(key, ledger["amount"].to_numpy(), groups)
    present = np.flatnonzero(counts)
    rest, period = np.divmod(present, PERIOD_SLOTS)
    rest, year_offset = np.divmod(rest, years)
    row_code, version_code = np.divmod(rest, len(versions))
    categories = cast("pd.Index", labels)  # pandas-stubs want an Index; pandas takes any list-like
    out = pd.DataFrame(
        {
            "row": pd.Categorical.from_codes(row_code, categories),
            "version": np.asarray(versions.astype(str))[version_code],
            "year": year_offset + first_year,
            "period": period,
            "amount": sums[present],
        }
    )
    return out[out["row"] != EXCLUDED].reset_index(drop=True)


def latest_outcome(ledger: pd.DataFrame, rows: pd.Categorical, year: int | None = None) -> tuple[int, int] | None:
    """The latest year (or `year`), and its latest month, with outcome on an account of the table."""
    versions = list(ledger["version"].cat.categories.astype(str))
    if OUTCOME not in versions:
        return None
    keep = ledger["version"].cat.codes.to_numpy() == versions.index(OUTCOME)
    keep &= in_table(rows)
    if not keep.any():
        return None
    years = ledger["year"].to_numpy()
    if year is not None:
        keep &= years == year
        if not keep.any():
            return None
    latest = int(years[keep].max())
    return latest, int(ledger["period"].to_numpy()[keep & (years == latest)].max())


def resolve_period(sums: pd.DataFrame, spec: ReportSpec, known: set[int] | None = None) -> tuple[int, int]:
    """--year/--through, or the latest year and month with outcome (spec.default_period).
    `known`: the years of the whole ledger, where the table's own rows are fewer."""
    years = sorted({int(y) for y in sums["year"].unique()} | (known or set()))
    outcome = sums[sums["version"] == OUTCOME]
    if spec.year is not None:
        year = spec.year
        # The period of the report's Drift table counts as data: an investment table may be
        # all zeros in a year the Drift table has.
        if year not in years and not (spec.default_period and spec.default_period[0] == year):
            raise OptionError(
                f"--year {year}: the (filtered) ledger has no rows for {year}; "
                f"years found: {', '.join(map(str, years)) or 'none'}"
            )
    elif spec.default_period is not None:
        year = spec.default_period[0]
    elif years:
        year = int(outcome["year"].max()) if len(outcome) else years[-1]
    else:
        raise OptionError("the (filtered) ledger has no rows on any table row")
    if spec.through is not None:
        return year, spec.through
    if spec.default_period is not None and spec.default_period[0] == year:
        return year, spec.default_period[1]
    months = outcome.loc[outcome["year"] == year, "period"]
    if not len(months):
        raise OptionError(
            f"the ledger has no outcome (utfall) rows for {year}, so the period is unknown: give --through MONTH"
        )
    return year, int(months.max())


def resolve_columns(sums: pd.DataFrame, spec: ReportSpec, ledger: pd.DataFrame | None = None) -> tuple[int, int, str]:
    """Year, last month and the forecast version of a table (--forecast-version must exist).
    With `ledger`, a year or version of the whole ledger counts, though the table has no rows
    of it (an investment table in a year without investments shows zeros)."""
    known_years = {int(y) for y in ledger["year"].unique()} if ledger is not None else None
    year, through = resolve_period(sums, spec, known_years)
    versions = set(sums["version"].astype(str).unique())
    if ledger is not None:
        versions |= set(ledger["version"].cat.categories.astype(str))
    forecast = spec.forecast_version or FORECAST
    named = (("--forecast-version", spec.forecast_version), ("--previous-forecast", spec.previous_forecast))
    for option, name in named:
        if name is not None and name not in versions:
            raise OptionError(
                f"{option} {name}: no such version in the ledger; versions found: {', '.join(sorted(versions))}"
            )
    if spec.previous_forecast is not None and spec.previous_forecast == forecast:
        raise OptionError(f"--previous-forecast {forecast}: that is the forecast shown; name an earlier one")
    return year, through, forecast


def check_full_year(columns: tuple[Column, ...], spec: ReportSpec) -> None:
    """Stop where a column takes part of a year whose amounts a file gives for the whole year
    only (an SIE year that only #RES covers): a share of a year's result is no outcome."""
    problems, labels = [], spec.year_labels
    for part in spec.full_year_only:
        for column in columns:
            chosen = column.selection
            if chosen and (chosen.version, chosen.year) == (part.version, part.year) and chosen.through < part.months:
                year = labels.get(part.year, str(part.year))
                whole = (
                    f"give --through {part.months} to compare whole years"
                    if part.months <= 12  # a long first fiscal year has more months than --through can name
                    else f"{year} has {part.months} months, more than --through can name"
                )
                problems.append(
                    f"{part.where}: {part.record}: the file gives the {part.version} of {year} for the whole year "
                    f"only, so the column '{column.header}' (months 1–{chosen.through}) cannot be taken from it; "
                    f"{whole}, or give a ledger with {year}'s {part.version} by month"
                )
    if problems:
        raise LoadError(problems)


def _column_sums(sums: pd.DataFrame, selection: Selection, sign: int) -> pd.Series:
    """Table-sign öre per table row for one column's selection."""
    pick = (sums["version"] == selection.version) & (sums["year"] == selection.year)
    pick &= sums["period"] <= selection.through
    return sign * sums[pick].groupby("row", observed=True)["amount"].sum()


def build_drift(ledger: pd.DataFrame, rows: pd.Categorical, spec: ReportSpec) -> Report:
    """The Drift table of SPEC §3 from a mapped (and filtered) ledger."""
    sums = aggregate(ledger, rows)
    year, through, forecast = resolve_columns(sums, spec)
    warnings = []
    columns = drift_columns(year, through, forecast, spec.period_budget, spec.year_labels, spec.previous_forecast)
    check_full_year(columns, spec)
    layout = list(DRIFT_LAYOUT)
    if (sums["row"] == UNMAPPED).any():
        # --allow-unmapped: the unmapped accounts stay in the result, on a row of their own.
        layout.insert(-1, (UNMAPPED, "row", ()))
        layout[-1] = (RESULT, "total", (*layout[-1][2], UNMAPPED))
        warnings.append("accounts that map to no row are shown as 'Ej mappat' (--allow-unmapped)")
    sign = -1  # report sign: revenue +, costs −
    filled = table_rows(sums, columns, [Row(label, kind, 0, {}, parts) for label, kind, parts in layout], sign)
    empty = empty_columns(sums, columns, spec.ledger_versions)
    warnings += _version_warnings(sums, columns, empty, forecast)
    warnings += through_warnings(last_outcome_months(sums, year), through, spec)
    caption = f"Drift {period_words(year, through, spec.year_labels)}"
    return Report("drift", year, through, spec.unit, columns, filled, tuple(warnings), sign, empty, caption)


def table_rows(sums: pd.DataFrame, columns: tuple[Column, ...], layout: list[Row], sign: int) -> tuple[Row, ...]:
    """Fill the layout's rows with values: a leaf from the sums (its key in sums["row"]), a
    subtotal as the exact sum of its parts (which come earlier or later in the layout), a
    difference column from its two columns. All in öre, table sign."""
    read = {c.key: _column_sums(sums, c.selection, sign) for c in columns if c.selection}
    by_key = {row.key: row for row in layout}
    values: dict[str, dict[str, int]] = {}

    def fill(row: Row) -> dict[str, int]:
        if row.key not in values:
            if row.parts:
                cell = {key: sum(fill(by_key[part])[key] for part in row.parts) for key in read}
            else:
                cell = {key: int(series.get(row.key, 0)) for key, series in read.items()}
            for column in columns:
                if column.difference:
                    minuend, subtrahend = column.difference
                    cell[column.key] = cell[minuend] - cell[subtrahend]
            values[row.key] = {c.key: cell[c.key] for c in columns}
        return values[row.key]

    return tuple(replace(row, values=fill(row)) for row in layout)


def empty_columns(
    sums: pd.DataFrame, columns: tuple[Column, ...], found: frozenset[tuple[str, int]] | None = None
) -> frozenset[str]:
    """The columns whose version has no rows for their year (in `found`, the whole ledger's
    (version, year) pairs; else in `sums`), and the differences made from them: no data,
    which is not the same as 0."""
    if found is None:
        found = frozenset(zip(sums["version"].astype(str), sums["year"].astype(int), strict=True))
    empty: set[str] = set()
    for column in columns:  # a difference follows the columns it is made of
        if column.selection is not None:
            if (column.selection.version, column.selection.year) not in found:
                empty.add(column.key)
        elif column.difference is not None and empty.intersection(column.difference):
            empty.add(column.key)
    return frozenset(empty)


def _dependents(columns: tuple[Column, ...], keys: list[str]) -> list[str]:
    """The headers of the columns `keys` and of the differences made from them."""
    found = set(keys)
    for column in columns:
        if column.difference is not None and found.intersection(column.difference):
            found.add(column.key)
    return [c.header for c in columns if c.key in found]


def empty_column_warnings(columns: tuple[Column, ...], empty: frozenset[str]) -> list[str]:
    """A warning per version and year without rows, naming the columns left empty by it."""
    missing: dict[tuple[str, int], list[str]] = {}  # (version, year) -> its columns, in order
    for column in columns:
        if column.selection is not None and column.key in empty:
            missing.setdefault((column.selection.version, column.selection.year), []).append(column.key)
    warnings = []
    for (version, year), keys in missing.items():
        headers = _dependents(columns, keys)
        name = "outcome (utfall)" if version == OUTCOME else version
        shown = f"the column {headers[0]} is" if len(headers) == 1 else f"the columns {', '.join(headers)} are"
        warnings.append(f"no {name} rows for {year}: {shown} empty, not 0")
    return warnings


# Names that begin so are forecasts: prognos-april, prognos_augusti, "Prognos T2"
FORECAST_NAMES = ("prognos", "forecast")


def other_forecast(name: str, forecast: str, found: set[str]) -> bool:
    """Whether version `name` is another forecast beside the one the table shows (prognos-april
    beside prognos): a ledger carries every forecast of the year, and the earlier ones are no
    mistake. Only where the forecast shown has rows: else `name` may be the one meant."""
    folded, shown = name.casefold(), forecast.casefold()
    return forecast in found and folded != shown and folded.startswith((*FORECAST_NAMES, shown))


def _version_warnings(
    sums: pd.DataFrame, columns: tuple[Column, ...], empty: frozenset[str], forecast: str
) -> list[str]:
    """What an economist should know before trusting the table: versions missing or unused
    (not the other forecasts of the year: other_forecast)."""
    warnings = empty_column_warnings(columns, empty)
    year = next(c.selection.year for c in columns if c.selection)
    found = set(sums.loc[sums["year"] == year, "version"].astype(str))
    shown = {c.selection.version for c in columns if c.selection}
    unused = {name for name in found - shown - {BUDGET, forecast, OUTCOME} if not other_forecast(name, forecast, found)}
    for name in sorted(unused):
        warnings.append(
            f"version {name!r} is in no column (use --forecast-version {name} to show it as the forecast, "
            f"or --previous-forecast {name} to compare the forecast with it)"
        )
    return warnings


def last_outcome_months(sums: pd.DataFrame, year: int) -> dict[int, int]:
    """The last month with outcome in `year` and the year before, where they have outcome."""
    outcome = sums[(sums["version"] == OUTCOME) & sums["year"].isin((year, year - 1))]
    last = outcome.groupby("year")["period"].max()
    return dict(zip(last.index.astype(int).tolist(), last.astype(int).tolist(), strict=True))


def through_warnings(last: dict[int, int], through: int, spec: ReportSpec) -> list[str]:
    """Where --through goes past the last month with outcome of a year the table compares:
    those months add nothing, and the column looks like a longer period than it is. (The
    default period is the latest month with outcome: reconcile's missing-months tells the
    rest.)"""
    if spec.through is None:
        return []
    warnings = []
    for year, month in sorted(last.items(), reverse=True):
        if month < through:
            label = spec.year_labels.get(year, str(year))
            gap = f"month {through} is" if month + 1 == through else f"months {month + 1}–{through} are"
            warnings.append(f"--through {through}, but the outcome of {label} ends in month {month}: {gap} 0")
    return warnings


MONTH_NAMES = (
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
)


def period_words(year: int, through: int, labels: dict[int, str] | None = None) -> str:
    """'januari–augusti 2024'. A fiscal year that is not a calendar year (its label: '2015/16')
    does not start in January, and the ledger keeps no start month: 'period 1–8 2015/16'."""
    label = (labels or {}).get(year, str(year))
    if "/" in label or not 1 <= through <= 12:
        return f"period {through} {label}" if through == 1 else f"period 1–{through} {label}"
    months = MONTH_NAMES[0] if through == 1 else f"{MONTH_NAMES[0]}–{MONTH_NAMES[through - 1]}"
    return f"{months} {label}"


def filter_words(where: Sequence[tuple[str, tuple[str, ...]]], exclude: Sequence[tuple[str, tuple[str, ...]]]) -> str:
    """', endast verksamhet 289, exkl. ansvar 21 och 22': the filters, as the caption names them."""
    rules = [("endast", rule) for rule in where] + [("exkl.", rule) for rule in exclude]
    return "".join(f", {word} {column} {' och '.join(prefixes)}" for word, (column, prefixes) in rules)


def round_cells(report: Report) -> list[dict[str, int]]:
    """Each row's values in the report's unit, each cell rounded once from exact öre."""
    return [{key: int(round_to_unit(value, report.unit)) for key, value in row.values.items()} for row in report.rows]


def printed_cells(report: Report) -> list[dict[str, int | float | None]]:
    """round_cells as printed: None in a column with no data (Report.empty), never 0; with
    --percent, the shares (shown_columns) from the unrounded öre."""
    out: list[dict[str, int | float | None]] = []
    for row, cells in zip(report.rows, round_cells(report), strict=True):
        printed: dict[str, int | float | None] = {}
        for key, value in cells.items():
            printed[key] = None if key in report.empty else value
            base = PERCENT_OF.get(key)
            if report.percent and base in row.values:
                empty = key in report.empty or base in report.empty
                printed[percent_key(key)] = None if empty else share(row.values[key], row.values[str(base)])
        out.append(printed)
    return out


# --- drill-down, shares and materiality (SPEC §8) ------------------------------------------------

OTHER_PARTS = "Övrigt"
# The column of a drill-down dimension in the ledger frame.
DRILL_COLUMNS = {"konto": "account"}


@dataclass(frozen=True)
class Drill:
    """--by DIM[:N], --top N, --row LABEL: the parts of the table's leaf rows."""

    dimension: str  # konto, or a dimension of SPEC §1 (ansvar, verksamhet, …)
    width: int | None = None  # --by DIM:N: the code's first N characters
    top: int | None = None
    rows: tuple[str, ...] = ()  # labels (or category paths) of the rows to drill; () = every leaf row
    # code -> name: the ledger's (account names, SIE #KONTO) first, then [names.<dim>]
    names: dict[str, str] = field(default_factory=dict)
    # the column the parts are sorted by (None: the table's last deviation); explain sorts the
    # Investeringar table's parts by the forecast's deviation from budget
    sort: str | None = None

    @property
    def column(self) -> str:
        return DRILL_COLUMNS.get(self.dimension, self.dimension)


def last_deviation(report: Report) -> str | None:
    """The key of the table's last deviation column: parts are sorted and rows flagged by it."""
    keys = [c.key for c in report.columns if c.difference is not None]
    return keys[-1] if keys else None


def drilled_rows(report: Report, labels: Sequence[str]) -> list[Row]:
    """The leaf rows `labels` name (by label or category path, case ignored); every leaf row
    where none are named. A label that names no leaf row is an OptionError listing them."""
    leaves = [row for row in report.rows if row.kind == "row"]
    if not labels:
        return leaves
    wanted = {label.strip().casefold() for label in labels}
    known = {r.label.casefold() for r in leaves} | {r.key.casefold() for r in leaves}
    unknown = [label for label in labels if label.strip().casefold() not in known]
    if unknown:
        shown = ", ".join(f"'{row.label}'" for row in leaves)
        raise OptionError(
            f"--row {', '.join(repr(u) for u in unknown)}: no such row with parts (subtotals and totals have none); "
            f"the rows are {shown}"
        )
    return [row for row in leaves if row.label.casefold() in wanted or row.key.casefold() in wanted]


def _drill_codes(ledger: pd.DataFrame, drill: Drill) -> tuple[list[str], np.ndarray]:
    """The drill-down codes (cut to --by DIM:N) and each ledger row's index into them (-1: none)."""
    if drill.column not in ledger:
        raise OptionError(f"--by {drill.dimension}: the ledger has no {drill.dimension} column")
    column = ledger[drill.column]
    categories = column.cat.categories.astype(str)
    codes = column.cat.codes.to_numpy().astype("int64")
    if drill.width is None:
        return list(categories), codes
    short, inverse = np.unique(np.asarray(categories.str[: drill.width], dtype=object).astype(str), return_inverse=True)
    cut = np.where(codes >= 0, inverse.reshape(-1)[np.maximum(codes, 0)], -1) if len(categories) else codes
    return [str(code) for code in short], cut


def drill_down(report: Report, ledger: pd.DataFrame, rows: pd.Categorical, drill: Drill, unmapped: str) -> Report:
    """The report with the parts of its leaf rows by drill.dimension under each of them.

    Every ledger row of a drilled table row falls in exactly one (row, code) pair, so one more
    group-by over the pairs gives parts that sum to their row to the öre; checked below.
    `rows`: the table row of each ledger row (as the report was built from); `unmapped`: the
    key of the row that holds rows of no table row (Ej mappat, Ej kategoriserat)."""
    chosen = drilled_rows(report, drill.rows)
    codes, dim = _drill_codes(ledger, drill)
    keys = [*(str(c) for c in rows.categories), unmapped]
    wanted = np.zeros(len(keys), dtype=bool)
    index = {key: at for at, key in enumerate(keys)}
    for row in chosen:
        if row.key in index:
            wanted[index[row.key]] = True
    width = len(codes) + 1  # the last: rows without a code
    row_code = np.asarray(rows.codes).astype("int64")
    row_code[row_code < 0] = len(keys) - 1
    pair = row_code * width
    pair += np.where(dim >= 0, dim, len(codes))
    pair[~wanted[row_code]] = -1  # rows not drilled: out of the group-by
    present = np.flatnonzero(np.bincount(pair[pair >= 0], minlength=len(keys) * width))
    compact = np.full(len(keys) * width + 1, len(present), dtype="int64")  # the last: not drilled
    compact[present] = np.arange(len(present))
    labels = [f"{keys[p // width]}\x1f{p % width}" for p in present.tolist()]
    pairs = pd.Categorical.from_codes(compact[pair], cast("pd.Index", [*labels, EXCLUDED]))
    sums = aggregate(ledger, pairs)
    by_row: dict[str, list[Row]] = {}
    for p, label in zip(present.tolist(), labels, strict=True):
        key, at = keys[p // width], p % width
        code = codes[at] if at < len(codes) else None
        name = drill.names.get(code or "")
        by_row.setdefault(key, []).append(
            Row(_part_label(code, drill), "detail", 0, {}, (), label, None, drill.dimension, code, name)
        )
    layout = [part for parts in by_row.values() for part in parts]
    filled = {part.key: part for part in table_rows(sums, report.columns, layout, report.sign)}
    drilled = {row.key for row in chosen}
    out: list[Row] = []
    for row in report.rows:
        out.append(row)
        if row.key in drilled:
            parts = [replace(filled[p.key], level=row.level + 1, parent=row.label) for p in by_row.get(row.key, [])]
            out += _ordered_parts(row, parts, drill, drill.sort or last_deviation(report))
    return replace(report, rows=tuple(out))


def _ordered_parts(row: Row, parts: list[Row], drill: Drill, sort_key: str | None) -> list[Row]:
    """A row's parts, largest last deviation first (ties: by code), the --top largest and
    Övrigt; checked to sum to the row in every column."""
    parts.sort(key=lambda p: (-abs(p.values[sort_key]) if sort_key else 0, p.code is None, p.code or ""))
    if drill.top is not None and len(parts) > drill.top:
        rest = parts[drill.top :]
        other = {k: sum(p.values[k] for p in rest) for k in row.values}
        parts = [
            *parts[: drill.top],
            Row(OTHER_PARTS, "detail", row.level + 1, other, (), f"{row.key}\x1f", row.label, drill.dimension),
        ]
    for key, value in row.values.items():  # the promise of SPEC §8, checked where it is cheap
        if sum(p.values[key] for p in parts) != value:
            raise AssertionError(f"the parts of {row.label} by {drill.dimension} do not sum to it in {key}")
    return parts


def _part_label(code: str | None, drill: Drill) -> str:
    """'74100 Konsulttjänster', '74100' where the code has no name; rows without a code:
    '(utan konto)'."""
    if code is None:
        return f"(utan {drill.dimension})"
    name = drill.names.get(code)
    return f"{code} {name}" if name else code


# Deviation column -> the column it is a share of (--percent).
PERCENT_OF = {
    "forecast_deviation": "budget",
    "forecast_change": "previous_forecast",
    "outcome_change": "outcome_previous",
    "period_deviation": "period_budget",
}


def percent_key(key: str) -> str:
    return f"{key}_pct"


def shown_columns(report: Report) -> list[tuple[str, str]]:
    """(key, header) of every printed value column: the report's columns and, with --percent,
    after each deviation column its share ('Avv. prognos/budget 2024 %')."""
    out = []
    for column in report.columns:
        out.append((column.key, column.header))
        if report.percent and column.key in PERCENT_OF and PERCENT_OF[column.key] in {c.key for c in report.columns}:
            head, _, year = column.header.rpartition(" ")
            out.append((percent_key(column.key), f"{head or year} %"))
    return out


def share(deviation: int, base: int) -> float | None:
    """deviation / |base| in percent, one decimal, rounded half away from zero from exact öre;
    None where base is 0."""
    if base == 0:
        return None
    tenths = (abs(deviation) * 2000 + abs(base)) // (2 * abs(base))
    return (tenths if deviation >= 0 else -tenths) / 10


def flagged(report: Report, row: Row, key: str | None = None) -> bool:
    """Whether the row's last deviation (or the deviation `key`) reaches every bound of
    --threshold. A deviation from a figure of 0 is no share: it passes a percent bound where
    it is not 0."""
    threshold, key = report.threshold, key or last_deviation(report)
    if threshold is None or key is None or key in report.empty:
        return False
    deviation = row.values[key]
    if threshold.ore is not None and abs(deviation) < threshold.ore:
        return False
    if threshold.percent is not None:
        base = abs(row.values.get(PERCENT_OF.get(key, ""), 0))
        if base == 0:
            return deviation != 0
        return abs(deviation) * 100 >= threshold.percent * base
    return True
