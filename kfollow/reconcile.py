"""Does the report foot? Every check of SPEC §6 on a mapped, filtered ledger and its table.

Each check returns findings; a finding has a stable code, a severity, a message for the
economist, the figures involved and, where there is one, the source file:line. The checks
recompute what they verify by another route than report.py: the ledger is summed per
version × year × month without the table rows, and the identities are checked on the Report
the renderers print.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import MAX_REPORTED, LoadError, shown_code
from .ledger import DIMENSIONS, OUTCOME, FullYearOnly, counted_rows, row_counts, sums_by_code
from .mapping import (
    ALLOCATION,
    FINANCIAL,
    INCOME,
    OTHER,
    PERSONNEL,
    PREMISES,
    SERVICES,
    UNMAPPED,
    in_table,
)
from .money import exact_group_sums, format_amount, format_kr, kr, text_to_ore
from .read.hashing import frame_row_hashes
from .report import COSTS, NET_COSTS, PERIOD_SLOTS, RESULT, Column, Report, Selection, other_forecast, round_cells

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITIES = (ERROR, WARNING, INFO)

# code -> (severity, what the check asks). The codes are a contract: CI scripts match on them.
CHECKS: dict[str, tuple[str, str]] = {
    "unmapped-account": (ERROR, "every account maps to a row of the table"),
    "conservation": (ERROR, "each column's rows sum to the ledger rows of that column, to the öre"),
    "identity": (ERROR, "subtotals, result and deviations follow from their parts (unrounded)"),
    "drill-parts": (ERROR, "the parts of every row drilled by --by sum to it in every column, to the öre"),
    "control-total": (ERROR, "the table matches the control totals of --control"),
    "unmapped-project": (ERROR, "every project on an investment account is in an [investments] category"),
    "ambiguous-project": (ERROR, "no project is in two [investments] categories"),
    "sie-voucher-balance": (ERROR, "every SIE voucher (#VER) sums to zero"),
    "budget-unbalanced": (WARNING, "the budget result is zero"),
    "missing-version": (WARNING, "budget, forecast and outcome all have rows for the year"),
    "missing-months": (WARNING, "outcome has every month of the period, this year and last"),
    "missing-previous-year": (WARNING, "the previous year has outcome to compare with"),
    "unused-version": (WARNING, "every version in the ledger is shown in a column, or is another forecast"),
    "duplicate-rows": (WARNING, "no ledger row appears twice"),
    "sie-result": (WARNING, "an SIE file's #RES equal the sums of its period balances or vouchers"),
    "sie-period-balance": (WARNING, "an SIE file's #PSALDO equal the sums of its vouchers"),
    # Each printed figure is rounded once from exact öre, so a printed subtotal can be a unit
    # off the sum of its printed rows (as in the reference report): info, not an error.
    "rounding-difference": (INFO, "printed subtotals and deviations equal the sums of printed figures"),
    "sign-convention": (INFO, "how the sign of each file was read"),
    "sie-note": (INFO, "how the SIE files were read (encoding, fiscal years, object lines)"),
    # Read as it is, but an export cut off in transfer ends the same way.
    "no-final-line-end": (INFO, "every text file ends with a line end (one without may have been cut off)"),
    # Depreciation, bank and closing entries on the investment accounts carry no project.
    "investment-no-project": (INFO, "rows on investment accounts without a project, in no investment row"),
}


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    subject: str = ""  # what it is about, short: 'konto 9111', 'Årets resultat / budget'
    figures: dict[str, Any] = field(default_factory=dict)
    sources: tuple[str, ...] = ()  # file:line
    # How many findings this one stands for: more than 1 for the '… and N more' line that ends
    # a capped list, so that the summary counts every account or group.
    stands_for: int = 1

    @property
    def severity(self) -> str:
        return CHECKS[self.code][0]


@dataclass(frozen=True)
class Reconciliation:
    year: int
    through: int
    unit: str
    files: tuple[str, ...]
    ledger_rows: int
    findings: tuple[Finding, ...]
    skipped: dict[str, str] = field(default_factory=dict)  # code -> why it did not run
    strict: bool = False
    unfiltered_rows: int | None = None  # before --where/--exclude

    def count(self, severity: str) -> int:
        return sum(f.stands_for for f in self.findings if f.severity == severity)

    @property
    def failed(self) -> bool:
        return self.count(ERROR) > 0 or (self.strict and self.count(WARNING) > 0)

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


# --- the ledger side: sums without the table rows ------------------------------------------


def ledger_totals(ledger: pd.DataFrame, rows: pd.Categorical) -> pd.DataFrame:
    """Row count and öre (ledger sign) per version × year × month of the rows the table shows.

    The table rows play no part, so the sums are an independent measure of what the table's
    leaf rows must add up to.
    """
    versions = ledger["version"].cat.categories.astype(str)
    year = ledger["year"].to_numpy()
    first = int(year.min()) if len(year) else 0
    years = int(year.max()) - first + 1 if len(year) else 1
    key = ledger["version"].cat.codes.to_numpy().astype("int32") * years
    key += year
    key -= first
    key *= PERIOD_SLOTS
    key += ledger["period"].to_numpy()
    groups = len(versions) * years * PERIOD_SLOTS
    key[~in_table(rows)] = groups  # one more group for the rest
    counts, sums = exact_group_sums(key, ledger["amount"].to_numpy(), groups + 1, row_counts(ledger))
    present = np.flatnonzero(counts[:groups])
    rest, period = np.divmod(present, PERIOD_SLOTS)
    version, year_offset = np.divmod(rest, years)
    return pd.DataFrame(
        {
            "version": np.asarray(versions)[version],
            "year": year_offset + first,
            "period": period,
            "rows": counts[present],
            "amount": sums[present],
        }
    )


def _selected(totals: pd.DataFrame, selection: Selection) -> pd.DataFrame:
    pick = (totals["version"] == selection.version) & (totals["year"] == selection.year)
    return totals[pick & (totals["period"] <= selection.through)]


# --- checks on the table ---------------------------------------------------------------------


def _cell(report: Report, row: str, column: str) -> str:
    header = next(c.header for c in report.columns if c.key == column)
    return f"{_table(report)}{row} / {header}"


def _table(report: Report) -> str:
    """'' for the Drift table, 'Investeringar: ' for another: subjects stay unique."""
    return "" if report.table == "drift" else f"{report.table.capitalize()}: "


def check_conservation(report: Report, totals: pd.DataFrame) -> list[Finding]:
    """For each column read from the ledger: Σ leaf rows of the table = Σ ledger rows selected."""
    findings = []
    leaves = [row for row in report.rows if not row.parts]
    for column in report.columns:
        if column.selection is None:
            continue
        table = sum(row.values[column.key] for row in leaves)
        ledger = report.sign * int(_selected(totals, column.selection)["amount"].sum())
        if table != ledger:
            s = column.selection
            findings.append(
                Finding(
                    "conservation",
                    f"column {column.header!r}: the table's rows sum to {format_kr(table)}, but the ledger rows "
                    f"it should hold ({s.version}, {s.year}, months 1–{s.through}) sum to {format_kr(ledger)}; "
                    f"difference {format_kr(table - ledger)}",
                    f"{_table(report)}{column.header}",
                    {
                        "column": column.key,
                        "table_kr": kr(table),
                        "ledger_kr": kr(ledger),
                        "difference_kr": kr(table - ledger),
                    },
                )
            )
    return findings


# The identities of SPEC §3, written out here rather than read from the Report, so that a
# wrong layout or column in report.py is caught, not repeated.
SPEC_ROWS = {
    COSTS: (PERSONNEL, PREMISES, SERVICES, OTHER),
    NET_COSTS: (INCOME, COSTS),
    RESULT: (NET_COSTS, ALLOCATION, FINANCIAL, UNMAPPED),  # Ej mappat: with --allow-unmapped
}
SPEC_COLUMNS = {
    "drift": {
        "forecast_deviation": ("forecast", "budget"),
        "forecast_change": ("forecast", "previous_forecast"),
        "outcome_change": ("outcome", "outcome_previous"),
        "period_deviation": ("outcome", "period_budget"),
    },
    "investeringar": {  # SPEC §4: + is an underspend
        "forecast_deviation": ("budget", "forecast"),
        "forecast_change": ("forecast", "previous_forecast"),
        "outcome_change": ("outcome", "outcome_previous"),
    },
}


def _formulas(report: Report) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, str]]]:
    """Row key -> part keys, column key -> (minuend, subtrahend): SPEC's for the Drift table;
    an investment table's parents sum the categories kfollow.toml nests under them."""
    keys = {row.key for row in report.rows}
    if report.table == "drift":
        rows = {label: tuple(p for p in parts if p in keys) for label, parts in SPEC_ROWS.items() if label in keys}
    else:
        # A category's children are the categories one level down its path; the total's, the
        # top categories: found from the paths, not from the parts the table was summed by.
        rows = {}
        for row in report.rows:
            if row.kind == "total":
                rows[row.key] = tuple(r.key for r in report.rows if r.kind != "total" and "/" not in r.key)
            elif row.kind == "subtotal":
                rows[row.key] = tuple(r.key for r in report.rows if r.key.rpartition("/")[0] == row.key)
    columns = {k: v for k, v in SPEC_COLUMNS.get(report.table, {}).items() if k in {c.key for c in report.columns}}
    return rows, columns


def _identities(report: Report, values: list[dict[str, int]]) -> Iterable[tuple[str, str, str, int, int, str]]:
    """(kind, row, column, value, value from its parts, formula) for every identity of the table."""
    by_key = {row.key: cells for row, cells in zip(report.rows, values, strict=True)}
    labels = {row.key: row.label for row in report.rows}
    headers = {c.key: c.header for c in report.columns}
    row_formulas, column_formulas = _formulas(report)
    for row, cells in zip(report.rows, values, strict=True):
        for column in report.columns:
            if row.key in row_formulas:
                parts = row_formulas[row.key]
                expected = sum(by_key[part][column.key] for part in parts)
                yield "row", row.label, column.key, cells[column.key], expected, " + ".join(labels[p] for p in parts)
            if column.key in column_formulas:
                minuend, subtrahend = column_formulas[column.key]
                expected = cells[minuend] - cells[subtrahend]
                formula = f"{headers[minuend]} − {headers[subtrahend]}"
                yield "column", row.label, column.key, cells[column.key], expected, formula


def check_identities(report: Report) -> list[Finding]:
    """Subtotals = Σ parts and deviations = differences, on the unrounded öre."""
    exact = [dict(row.values) for row in report.rows]
    return [
        Finding(
            "identity",
            f"{_cell(report, label, key)}: {format_kr(value)}, but {parts} gives {format_kr(expected)}",
            f"{_cell(report, label, key)} = {parts}",
            {"row": label, "column": key, "value_kr": kr(value), "expected_kr": kr(expected), "formula": parts},
        )
        for _kind, label, key, value, expected, parts in _identities(report, exact)
        if value != expected
    ]


def check_rounding(report: Report) -> list[Finding]:
    """Where a printed subtotal or deviation differs from what its printed parts give.

    Not an error: each cell is rounded once from exact öre, so the printed figures may be one
    unit off their printed parts, as in the reference report. The finding says where, so that
    nobody 'corrects' the table by hand. One finding per cell, the first identity that differs.
    """
    unit = report.unit
    findings, seen = [], set()
    for kind, label, key, value, expected, parts in _identities(report, round_cells(report)):
        if value == expected or (label, key) in seen:
            continue
        seen.add((label, key))
        what = "its rows" if kind == "row" else parts
        findings.append(
            Finding(
                "rounding-difference",
                f"{_cell(report, label, key)}: printed {format_amount(value)} {unit}, "
                f"{what} as printed give {format_amount(expected)} ({value - expected:+d} {unit})",
                _cell(report, label, key),
                {
                    "row": label,
                    "column": key,
                    "printed": value,
                    "from_printed_parts": expected,
                    "difference": value - expected,
                    "unit": unit,
                },
            )
        )
    return findings


def check_budget_balance(report: Report) -> list[Finding]:
    total = report.rows[-1]
    if "budget" not in total.values or total.values["budget"] == 0:
        return []
    budget = total.values["budget"]
    return [
        Finding(
            "budget-unbalanced",
            f"{total.label} in the budget is {format_kr(budget)}, not 0: a nämnd's budget is balanced "
            "(is a budget row missing, or on an account mapped elsewhere?)",
            _cell(report, total.label, "budget"),
            {"row": total.label, "budget_kr": kr(budget)},
        )
    ]


# --- checks on the ledger --------------------------------------------------------------------


def check_unmapped(ledger: pd.DataFrame, rows: pd.Categorical, year: int | None = None) -> list[Finding]:
    """Each account no rule maps, with its row count and amount per version in `year`, the
    table's (None: in every year), and its first line. The figures give the year's rows and
    their öre over all versions (amount_kr), as they always did."""
    from .mapping import describe_unmapped, unmapped_summary, year_scope

    findings = []
    unmapped = unmapped_summary(ledger, rows, year)
    scope = year_scope(ledger, year) if len(unmapped) else ""
    for account, count, amount, amounts, elsewhere, file, line in unmapped.itertuples(index=False, name=None):
        source = f"{file}:{line}"
        what = describe_unmapped(count, amounts, elsewhere, format_kr, "ledger row")
        findings.append(
            Finding(
                "unmapped-account",
                f"konto {shown_code(account)} maps to no row of the table: {f'{scope}, ' if scope else ''}{what}, "
                f'first at {source}. Map it in kfollow.toml [accounts] (e.g. "91" = "Kommunbidrag", or "-" to '
                "exclude it)",
                f"konto {shown_code(account)}",
                {"account": account, "rows": int(count), "amount_kr": kr(amount)},
                (source,),
            )
        )
    if len(findings) > MAX_REPORTED:
        rest = unmapped.iloc[MAX_REPORTED:]
        rows_left, amount = int(rest["rows"].sum()), sum(int(a) for a in rest["amount"])
        what = f"accounts ({rows_left} rows, {format_kr(amount)} ledger sign)"
        findings = [*findings[:MAX_REPORTED], _more("unmapped-account", len(rest), what, rows_left, amount)]
    return findings


def check_coverage(
    report: Report, totals: pd.DataFrame, versions: Iterable[str], whole_years: Iterable[int] = ()
) -> list[Finding]:
    """Versions without rows for the year, outcome months missing, no previous year, and
    versions that no column shows. `whole_years`: years whose outcome a file gives for the
    whole year only (an SIE #RES), where months are not missing but never were."""
    year, through = report.year, report.through
    findings = []
    shown = list(dict.fromkeys(c.selection.version for c in report.columns if c.selection))
    found = set(totals.loc[totals["year"] == year, "version"])
    for version in shown:
        if version not in found:
            findings.append(
                Finding(
                    "missing-version",
                    f"no {version} rows for {year}: its columns are empty",
                    version,
                    {"version": version, "year": year},
                )
            )
    outcome = totals[totals["version"] == OUTCOME]
    previous = outcome[outcome["year"] == year - 1]
    if not len(previous):
        findings.append(
            Finding(
                "missing-previous-year",
                f"no outcome (utfall) rows for {year - 1}: the column Delårsbokslut {year - 1} is empty",
                str(year - 1),
                {"year": year - 1},
            )
        )
    findings += _missing_months(outcome, year, through, whole_years)
    recent = totals[totals["year"].isin((year, year - 1))]
    forecast = next((c.selection.version for c in report.columns if c.selection and c.key == "forecast"), "")
    for version in sorted(set(versions) - set(shown)):
        rows = int(recent.loc[recent["version"] == version, "rows"].sum())
        # another forecast beside the one shown (prognos-april beside prognos) is no mistake: a
        # ledger carries every forecast of the year, and --previous-forecast shows one
        if rows and not (forecast and other_forecast(version, forecast, found)):
            findings.append(
                Finding(
                    "unused-version",
                    f"version {version!r} has {rows} rows in {year - 1}–{year} that no column shows "
                    f"(--forecast-version {version} shows it as the forecast)",
                    version,
                    {"version": version, "rows": rows},
                )
            )
    return findings


def _missing_months(outcome: pd.DataFrame, year: int, through: int, whole_years: Iterable[int]) -> list[Finding]:
    """Months 1..through without outcome rows, this year and last, where a year has some."""
    findings = []
    for when in (year, year - 1):
        if when in whole_years:
            continue
        months = set(outcome.loc[outcome["year"] == when, "period"].astype(int))
        gaps = [m for m in range(1, through + 1) if m not in months]
        if months and gaps:
            findings.append(
                Finding(
                    "missing-months",
                    f"outcome (utfall) {when} has no rows for month{'s' if len(gaps) > 1 else ''} "
                    f"{', '.join(map(str, gaps))} of 1–{through}: "
                    "is the export complete?",
                    str(when),
                    {"year": when, "months": gaps, "through": through},
                )
            )
    return findings


def check_duplicates(ledger: pd.DataFrame) -> list[Finding]:
    """Rows equal in every column but their place in the files (a double export, a file
    pasted twice). A warning: two identical postings can be real."""
    columns = [c for c in ledger.columns if c not in ("source", "line")]
    if not len(ledger):
        return []
    # Hash each row (vectorised), then compare in full only the rows whose hashes collide.
    hashes = frame_row_hashes(ledger, columns)
    ordered = np.sort(hashes)
    repeated = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    if not len(repeated):
        return []
    at = np.minimum(np.searchsorted(repeated, hashes), len(repeated) - 1)
    candidates = np.flatnonzero(repeated[at] == hashes)
    subset = ledger.iloc[candidates]
    twins = subset.duplicated(subset=columns, keep=False).to_numpy()
    subset = subset[twins]
    if not len(subset):
        return []
    # Only the first groups become findings: a file read twice makes millions of them.
    group = subset.groupby(columns, observed=True, dropna=False, sort=False).ngroup().to_numpy()
    total = int(group.max()) + 1
    order = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[order], np.arange(min(total, MAX_REPORTED) + 1))
    findings = []
    for start, stop in pairwise(bounds):
        members = subset.iloc[order[start:stop]]
        first = members.iloc[0]
        sources = tuple(f"{s}:{line}" for s, line in zip(members["source"], members["line"], strict=True))
        shown = ", ".join(sources[:10]) + (f" and {len(sources) - 10} more" if len(sources) > 10 else "")
        findings.append(
            Finding(
                "duplicate-rows",
                f"{len(members)} rows identical in every column kfollow reads ({_describe(first, columns)}): {shown}",
                sources[0],
                {"rows": len(members), "amount_kr": kr(int(first["amount"]))},
                sources,
            )
        )
    if total > MAX_REPORTED:
        rows = len(subset) - int(bounds[-1])
        findings.append(_more("duplicate-rows", total - MAX_REPORTED, f"groups of identical rows ({rows} rows)", rows))
    return findings


def _describe(row: pd.Series, columns: list[str]) -> str:
    parts = [f"{row['version']} {row['year']}-{int(row['period']):02d}", f"konto {shown_code(row['account'])}"]
    parts += [f"{c} {row[c]}" for c in (*DIMENSIONS, "text") if c in columns and pd.notna(row[c])]
    if "voucher" in columns and pd.notna(row["voucher"]):  # SIE: the #VER's series and number
        parts.append(f"verifikation {row['voucher']}")
    parts.append(f"{format_kr(int(row['amount']))} ledger sign")
    return ", ".join(parts)


def _more(code: str, rest: int, what: str, rows: int, amount: int | None = None) -> Finding:
    """The line that ends a list capped at MAX_REPORTED findings: it counts as the `rest`."""
    figures: dict[str, Any] = {"more": rest, "rows": rows}
    if amount is not None:
        figures["amount_kr"] = kr(amount)
    return Finding(code, f"… and {rest} more {what}", f"{rest} more", figures, stands_for=rest)


# --- control totals --------------------------------------------------------------------------


@dataclass(frozen=True)
class Control:
    """One line of a --control file: a table row (label) or account prefix, a column, öre."""

    source: str  # file:line
    subject: str
    column: str
    expected: int  # öre, table sign


CONTROL_HEADERS = {
    "subject": ("rad", "row", "konto", "account"),
    "column": ("kolumn", "column"),
    "amount": ("belopp", "amount", "kr"),
}


def read_controls(path: Path, report: Report) -> list[Control]:
    """Read a control-totals CSV: rad;kolumn;belopp. All problems are reported at once."""
    control_file = _control_file(path)
    controls, cells, problems = _control_lines(control_file, report)
    ore, bad = text_to_ore(pd.Series(cells, dtype=object)) if cells else (np.array([]), np.array([], dtype=bool))
    named = control_file.header[control_file.where["amount"]]
    for control, cell, is_bad in zip(controls, cells, bad, strict=True):
        if is_bad:
            problems.append(
                f"{control.source}: column {named!r}: {cell.strip()!r} is no amount in kr "
                "(write e.g. -114 196 000 or -114196000,00)"
            )
    if not controls and not problems:
        problems.append(f"{path.name}: the --control file has a header but no control totals")
    if problems:
        raise LoadError(problems)
    return [Control(c.source, c.subject, c.column, int(o)) for c, o in zip(controls, ore, strict=True)]


@dataclass(frozen=True)
class _ControlFile:
    """A --control file split into fields, and where its header names the three columns."""

    name: str
    records: list[list[str]]  # one per line of the file; a comment line is an empty record
    header_at: int  # the header's index in records
    header: list[str]  # its names, stripped and in lower case
    where: dict[str, int]  # CONTROL_HEADERS key -> index of the field
    delimiter: str


def _control_file(path: Path) -> _ControlFile:
    """Decode and split a --control file; stop where it has no header with the three columns."""
    import csv

    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    # Comment lines (#) say where a figure comes from; they keep their place so that line
    # numbers stay the file's.
    lines = ["" if line.lstrip().startswith("#") else line for line in text.splitlines()]
    header_at = next((i for i, line in enumerate(lines) if line.strip()), None)
    if header_at is None:
        raise LoadError(f"{path.name}: the --control file is empty; write a header rad;kolumn;belopp, a line a total")
    first = lines[header_at]
    delimiter = ";" if ";" in first else "\t" if "\t" in first else ","
    records = list(csv.reader(lines, delimiter=delimiter))
    header = [cell.strip().lower() for cell in records[header_at]]
    where = {key: next((header.index(n) for n in names if n in header), None) for key, names in CONTROL_HEADERS.items()}
    if None in where.values():
        missing = [" or ".join(CONTROL_HEADERS[key]) for key, at in where.items() if at is None]
        raise LoadError(
            f"{path.name}:{header_at + 1}: --control file: no column {'; no column '.join(missing)}. The first "
            f"line that is not a # comment must be the header rad;kolumn;belopp; found: {', '.join(records[header_at])}"
        )
    found = {key: at for key, at in where.items() if at is not None}  # all of them
    return _ControlFile(path.name, records, header_at, header, found, delimiter)


def _control_lines(control_file: _ControlFile, report: Report) -> tuple[list[Control], list[str], list[str]]:
    """The controls of the data lines (their amounts 0 as yet), each one's amount field, and the
    problems of subjects and columns the table does not have."""
    header, where, header_at = control_file.header, control_file.where, control_file.header_at
    labels = {row.label.lower(): row.label for row in report.rows}
    keys = [c.key for c in report.columns]
    controls: list[Control] = []
    problems: list[str] = []
    cells: list[str] = []
    for number, record in enumerate(control_file.records[header_at + 1 :], start=header_at + 2):
        if not any(cell.strip() for cell in record):
            continue
        source = f"{control_file.name}:{number}"
        if len(record) != len(header):
            comma = control_file.delimiter == ","
            hint = ": a decimal comma in a comma-separated file? Quote the amount or use ;" if comma else ""
            problems.append(f"{source}: --control line has {len(record)} fields, the header {len(header)}{hint}")
            continue
        subject = record[where["subject"]].strip()
        column = record[where["column"]].strip().lower()
        if subject.lower() in labels:
            subject = labels[subject.lower()]
        elif not subject.isdigit():
            problems.append(
                f"{source}: column {header[where['subject']]!r}: {subject!r} is neither a row of the table "
                f"({', '.join(r.label for r in report.rows)}) nor an account prefix (digits)"
            )
        if column not in keys:
            named = header[where["column"]]
            problems.append(f"{source}: column {named!r}: {column!r} is no column; use {', '.join(keys)}")
        cells.append(record[where["amount"]])
        controls.append(Control(source, subject, column, 0))
    return controls, cells, problems


class ControlValues:
    """The table's exact öre for controls: a row's cell, or an account prefix summed like a
    column over the rows the table shows (accounts excluded with "-" count as 0).

    Each column's selection is summed per account once (one pass over the ledger), so that
    hundreds of account controls cost no more than one.
    """

    def __init__(self, report: Report, ledger: pd.DataFrame, rows: pd.Categorical) -> None:
        self.report, self.ledger = report, ledger
        self.columns = {c.key: c for c in report.columns}
        self.cells = {(row.label, key): value for row in report.rows for key, value in row.values.items()}
        self.shown = in_table(rows)
        self.per_account: dict[Selection, np.ndarray] = {}

    def __call__(self, control: Control) -> int:
        if (control.subject, control.column) in self.cells:
            return self.cells[control.subject, control.column]
        accounts = self.ledger["account"].cat.categories.astype(str).str.startswith(control.subject)
        return self._value(self.columns[control.column], np.asarray(accounts))

    def _value(self, column: Column, accounts: np.ndarray) -> int:
        if column.difference:
            minuend, subtrahend = (self.columns[key] for key in column.difference)
            return self._value(minuend, accounts) - self._value(subtrahend, accounts)
        assert column.selection is not None
        sums = self._sums(column.selection)
        return self.report.sign * sum(int(x) for x in sums[accounts])

    def _sums(self, selection: Selection) -> np.ndarray:
        if selection not in self.per_account:
            ledger = self.ledger
            pick = self.shown & (ledger["year"].to_numpy() == selection.year)
            pick &= ledger["period"].to_numpy() <= selection.through
            pick &= (ledger["version"] == selection.version).to_numpy()
            codes = ledger["account"].cat.codes.to_numpy()[pick].astype("int64")
            accounts = len(ledger["account"].cat.categories)
            self.per_account[selection] = exact_group_sums(codes, ledger["amount"].to_numpy()[pick], accounts)[1]
        return self.per_account[selection]


def check_controls(
    controls: list[Control], report: Report, ledger: pd.DataFrame, rows: pd.Categorical, tolerance: int
) -> list[Finding]:
    findings = []
    value = ControlValues(report, ledger, rows)
    for control in controls:
        actual = value(control)
        difference = actual - control.expected
        if abs(difference) <= tolerance:
            continue
        what = control.subject if not control.subject.isdigit() else f"konto {control.subject}*"
        header = next(c.header for c in report.columns if c.key == control.column)
        findings.append(
            Finding(
                "control-total",
                f"{what} / {header}: the table has {format_kr(actual)}, "
                f"the control total {format_kr(control.expected)}; "
                f"difference {format_kr(difference)} (tolerance {format_kr(tolerance)})",
                f"{what} / {header} ({control.source})",
                {
                    "subject": control.subject,
                    "column": control.column,
                    "table_kr": kr(actual),
                    "control_kr": kr(control.expected),
                    "difference_kr": kr(difference),
                    "tolerance_kr": kr(tolerance),
                },
                (control.source,),
            )
        )
    return findings


# --- the Investeringar table ------------------------------------------------------------------


@dataclass(frozen=True)
class InvestmentTable:
    report: Report
    rows: pd.Categorical  # category path per ledger row (investment_rows)
    match: Any  # investments.ProjectMatch
    plan: Any  # investments.InvestmentPlan


def check_investments(table: InvestmentTable, ledger: pd.DataFrame) -> list[Finding]:
    """Projects in no category or in two (errors), and the table's own checks."""
    from .investments import project_problems

    findings = []
    for problem in project_problems(ledger, table.rows, table.match):
        project, paths = problem.project, problem.paths
        figures = {
            "project": project,
            "rows": problem.rows,
            "amounts_kr": {version: kr(ore) for version, ore in problem.amounts.items()},
            "categories": paths,
        }
        if paths:
            message = f"projekt {project} matches {len(paths)} categories ({', '.join(paths)}): {problem.describe()}"
            code = "ambiguous-project"
        else:
            message = f"projekt {project} is on an investment account but in no [investments] category: "
            message += problem.describe()
            code = "unmapped-project"
        findings.append(Finding(code, message, f"projekt {project}", figures, (problem.source,)))
    findings += _without_project(table, ledger)
    return [*findings, *table_findings(table.report, ledger, table.rows), *check_rounding(table.report)]


def _without_project(table: InvestmentTable, ledger: pd.DataFrame) -> list[Finding]:
    """One info finding: the count and sum per version of the rows on investment accounts that
    carry no project (SPEC §4: not investment expenditure)."""
    from .investments import rows_without_project

    mask = rows_without_project(ledger, table.plan)
    if not mask.any():
        return []
    # Every masked row has no project: all of them come under the last code, `empty`.
    _, versions, counts, sums = sums_by_code(ledger, "projekt", mask, empty="")
    amounts = {version: int(sums[-1, v]) for v, version in enumerate(versions) if counts[-1, v]}
    count = int(counts[-1].sum())
    first = int(np.flatnonzero(mask)[0])
    source = f"{ledger['source'].iloc[first]}:{ledger['line'].iloc[first]}"
    said = ", ".join(f"{version} {format_kr(ore)}" for version, ore in amounts.items())
    return [
        Finding(
            "investment-no-project",
            f"{count} row{'s' if count != 1 else ''} on investment accounts ({table.plan.accounts_text}) "
            f"{'has' if count == 1 else 'have'} no project ({said}), "
            f"first at {source}: depreciation, bank or closing entries, not investment expenditure; in no row "
            "of the Investeringar table",
            "investment accounts without a project",
            {"rows": count, "amounts_kr": {version: kr(ore) for version, ore in amounts.items()}},
            (source,),
        )
    ]


# --- all of it -------------------------------------------------------------------------------


def check_drill(drilled: Report | str) -> list[Finding]:
    """Each drilled row against the sum of its parts (kind detail), column by column, in öre:
    the parts come from a group-by of their own, the row from the table's."""
    if isinstance(drilled, str):
        return [Finding("drill-parts", drilled)]
    totals = _part_sums(drilled)
    findings = []
    for row in drilled.rows:
        parts = totals.get(row.key) or totals.get(row.label)
        if row.kind == "detail" or parts is None:
            continue
        for column in drilled.columns:
            if parts.get(column.key, 0) != row.values[column.key]:
                subject = f"{row.label} / {column.header}"
                message = (
                    f"{subject}: its parts sum to {format_kr(parts.get(column.key, 0))}, "
                    f"the row is {format_kr(row.values[column.key])}"
                )
                findings.append(Finding("drill-parts", message, subject))
    return findings


def _part_sums(drilled: Report) -> dict[str, dict[str, int]]:
    """Per parent row, the sum of its parts' values, column by column."""
    totals: dict[str, dict[str, int]] = {}
    for row in drilled.rows:
        if row.kind == "detail" and row.parent is not None:
            into = totals.setdefault(row.parent, {})
            for key, value in row.values.items():
                into[key] = into.get(key, 0) + value
    return totals


def table_findings(report: Report, ledger: pd.DataFrame, rows: pd.Categorical) -> list[Finding]:
    """The checks on the table itself (conservation, identities): what `variance` runs too."""
    return check_conservation(report, ledger_totals(ledger, rows)) + check_identities(report)


def reconcile(
    report: Report,
    ledger: pd.DataFrame,
    rows: pd.Categorical,
    *,
    notes: Iterable[str] = (),
    controls: list[Control] | None = None,
    tolerance: int = 0,
    strict: bool = False,
    investments: InvestmentTable | None = None,
    unfiltered_rows: int | None = None,
    sie_checks: list[Any] | None = None,
    sie_notes: list[str] | tuple[str, ...] = (),
    duplicates: list[Finding] | None = None,
    full_year_only: Iterable[FullYearOnly] = (),
    unmapped_year: int | None = None,
    unterminated: Iterable[str] = (),
    drilled: Report | str | None = None,
) -> Reconciliation:
    """Every check on a filtered, mapped ledger and the tables built from it. `duplicates`:
    the duplicate-rows findings where the caller has them (a ledger read collapsed cannot
    tell them itself). `unmapped_year`: the year whose amounts an unmapped account's finding
    gives (the table's; None: all years together). `unterminated`: `file:line` of text files
    whose last line has no line end (Ledger.unterminated). `drilled`: the Drift table with its
    parts by --by (or the message of a drill-down whose parts did not sum); None: no --by."""
    totals = ledger_totals(ledger, rows)
    findings = [
        *check_unmapped(ledger, rows, unmapped_year),
        *check_conservation(report, totals),
        *check_identities(report),
        *(check_controls(controls, report, ledger, rows, tolerance) if controls is not None else []),
        *check_budget_balance(report),
        *check_coverage(
            report,
            totals,
            ledger["version"].cat.categories.astype(str),
            {part.year for part in full_year_only if part.version == OUTCOME},
        ),
        *(check_duplicates(ledger) if duplicates is None else duplicates),
        *check_rounding(report),
        *(Finding("sign-convention", note, note.partition(":")[0]) for note in notes if note not in sie_notes),
        *(Finding("sie-note", note, note.partition(":")[0]) for note in sie_notes),
        *(check_investments(investments, ledger) if investments is not None else []),
        *(Finding(c.code, c.message, c.subject, c.figures, c.sources) for c in sie_checks or []),
        *(
            Finding(
                "no-final-line-end",
                f"{where}: the last line has no line end; it was read as it is, but check that the export "
                "was not cut off there (compare its last row with the system's)",
                where.rpartition(":")[0],
                sources=(where,),
            )
            for where in unterminated
        ),
        *(check_drill(drilled) if drilled is not None else []),
    ]
    skipped = {} if controls is not None else {"control-total": "no --control file given"}
    if drilled is None:
        skipped["drill-parts"] = "no --by given"
    if investments is None:
        skipped |= {
            code: "no [investments] in kfollow.toml"
            for code in ("unmapped-project", "ambiguous-project", "investment-no-project")
        }
    if sie_checks is None:
        skipped |= {code: "no SIE file" for code in CHECKS if code.startswith("sie-")}
    files = tuple(str(name) for name in ledger["source"].cat.categories)
    return Reconciliation(
        report.year,
        report.through,
        report.unit,
        files,
        counted_rows(ledger),
        tuple(findings),
        skipped,
        strict,
        unfiltered_rows,
    )


# --- output ----------------------------------------------------------------------------------

HEADINGS = {ERROR: "Errors", WARNING: "Warnings", INFO: "Info"}


def summary_line(result: Reconciliation) -> str:
    counts = [(result.count(s), s) for s in SEVERITIES]
    words = {ERROR: "error", WARNING: "warning", INFO: "info"}
    parts = ", ".join(f"{n} {words[s]}{'s' if n != 1 and s != INFO else ''}" for n, s in counts)
    verdict = "FAILED" if result.failed else "OK"
    why = " (--strict: warnings count)" if result.strict and result.count(WARNING) and not result.count(ERROR) else ""
    run = len(CHECKS) - len(result.skipped)
    return f"reconcile {result.year} months 1–{result.through}: {run} checks, {parts}: {verdict}{why}"


def render_text(result: Reconciliation) -> str:
    rows = format_amount(result.ledger_rows)
    if result.unfiltered_rows not in (None, result.ledger_rows):
        rows += f" of {format_amount(result.unfiltered_rows)}"
    files = ", ".join(result.files)
    lines = [f"kfollow reconcile: {files} ({rows} ledger rows), {result.year} months 1–{result.through}"]
    for severity in SEVERITIES:
        found = [f for f in result.findings if f.severity == severity]
        if not found:
            continue
        lines += ["", f"{HEADINGS[severity]} ({sum(f.stands_for for f in found)})"]
        for finding in found:
            lines.append(f"  {finding.code}: {finding.message}")
    for code, why in result.skipped.items():
        lines += ["", f"Skipped: {code} ({why})"]
    lines += ["", summary_line(result)]
    return "\n".join(lines) + "\n"


def result_dict(result: Reconciliation) -> dict[str, Any]:
    checks = []
    for code, (severity, question) in CHECKS.items():
        found = [f for f in result.findings if f.code == code]
        status = _status(result, code, severity, bool(found))
        checks.append(
            {
                "code": code,
                "severity": severity,
                "checks": question,
                "status": status,
                "findings": sum(f.stands_for for f in found),
            }
        )
    return {
        "command": "reconcile",
        "year": result.year,
        "through": result.through,
        "unit": result.unit,
        "files": list(result.files),
        "ledger_rows": result.ledger_rows,
        "checks": checks,
        "findings": [
            {
                "code": f.code,
                "severity": f.severity,
                "subject": f.subject,
                "message": f.message,
                "figures": f.figures,
                "sources": list(f.sources),
            }
            for f in result.findings
        ],
        "summary": {
            "errors": result.count(ERROR),
            "warnings": result.count(WARNING),
            "info": result.count(INFO),
            "strict": result.strict,
            "ok": not result.failed,
            "exit_code": result.exit_code,
        },
    }


def _status(result: Reconciliation, code: str, severity: str, found: bool) -> str:
    """skipped | pass | fail (errors, or warnings under --strict) | warn | info."""
    if code in result.skipped:
        return "skipped"
    if not found:
        return "pass"
    if severity == ERROR or (severity == WARNING and result.strict):
        return "fail"
    return "warn" if severity == WARNING else "info"


def render_json(result: Reconciliation) -> str:
    import json

    return json.dumps(result_dict(result), ensure_ascii=False, indent=2) + "\n"


def render_junit(result: Reconciliation) -> str:
    """JUnit XML as GitLab and Jenkins read it: a testcase per check, and per finding where a
    check has findings. Errors fail; warnings fail under --strict; info passes with its text."""
    import re
    import xml.etree.ElementTree as ET

    # Ledger text may hold control characters that XML 1.0 cannot: they would make the file
    # unreadable to the CI, so they become U+FFFD.
    invalid = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
    result = replace(
        result,
        findings=tuple(
            replace(
                f,
                message=invalid.sub("\ufffd", f.message),
                subject=invalid.sub("\ufffd", f.subject),
                sources=tuple(invalid.sub("\ufffd", x) for x in f.sources),
            )
            for f in result.findings
        ),
    )
    suite = ET.Element("testsuite", name="kfollow reconcile")
    tests = failures = skipped = 0
    for code, (severity, question) in CHECKS.items():
        found = [f for f in result.findings if f.code == code]
        if code in result.skipped:
            case = ET.SubElement(suite, "testcase", classname=f"kfollow.reconcile.{code}", name=code)
            ET.SubElement(case, "skipped", message=result.skipped[code])
            tests, skipped = tests + 1, skipped + 1
            continue
        if not found:
            case = ET.SubElement(suite, "testcase", classname=f"kfollow.reconcile.{code}", name=code)
            ET.SubElement(case, "system-out").text = f"OK: {question}"
            tests += 1
            continue
        for finding in found:
            name = f"{code}: {finding.subject}" if finding.subject else code
            case = ET.SubElement(suite, "testcase", classname=f"kfollow.reconcile.{code}", name=name)
            text = "\n".join([finding.message, *finding.sources])
            if severity == ERROR or (severity == WARNING and result.strict):
                ET.SubElement(case, "failure", message=finding.message, type=severity).text = text
                failures += 1
            else:
                ET.SubElement(case, "system-out").text = f"{severity}: {text}"
            tests += 1
    for key, value in (("tests", tests), ("failures", failures), ("errors", 0), ("skipped", skipped)):
        suite.set(key, str(value))
    suite.set("time", "0")
    root = ET.Element("testsuites", name="kfollow", tests=str(tests), failures=str(failures), errors="0")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


RENDERERS = {"text": render_text, "json": render_json, "junit": render_junit}


def parse_tolerance(text: str) -> int | None:
    """--tolerance in kr ('0', '0,50', '1 000') -> öre; None if it is no amount."""
    ore, bad = text_to_ore(pd.Series([text], dtype=object))
    return None if bad[0] or ore[0] < 0 else int(ore[0])
