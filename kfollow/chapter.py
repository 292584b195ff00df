"""The chapter (SPEC §12, `kfollow report`): the tables [report] of kfollow.toml names, each
with its own filters and options, their drill-down and explain paragraphs, and reconcile's
findings, all from one load of the ledger. workbook.py and document.py write it.

Without [report], the chapter is what a nämnd's chapter most often holds: Drift (with the
period budget) and, where kfollow.toml has [investments], Investeringar. The command line's
--where/--exclude apply to every table (with each table's own); its --year, --through, --unit,
--forecast-version and --previous-forecast take the place of those of [report] and its tables.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from .api import Filter, drift_table, investment_table, reconcile_ledger
from .errors import ConfigError, KfollowError, shown
from .explain import PART_DEVIATION, Paragraph, explain
from .investments import has_investments
from .ledger import DIMENSIONS, Ledger, canonical_version
from .mapping import REPORT_TABLE_NAMES, Rules
from .reconcile import Finding, Reconciliation
from .report import Drill, Report, ReportSpec, filter_words, period_words
from .syntax import parse_by, parse_filter

# A [[report.table]] kind -> the table it builds (Report.table)
REPORT_TABLES = {"drift": "drift", "investments": "investeringar"}
# The parts the paragraphs name where a table gives no `by`: those of `kfollow explain`
# (--table drift: by konto; --table investments: by projekt), the `top` largest.
EXPLAIN_BY: dict[str, tuple[str, int | None]] = {"drift": ("konto", None), "investments": ("projekt", None)}
EXPLAIN_TOP = 3

T = TypeVar("T")

SHA_PREFIX = 12  # hex digits of a source file's SHA-256 shown in the title block


@dataclass(frozen=True)
class TableSpec:
    """One [[report.table]]: its command's options."""

    name: str
    kind: str  # drift | investments
    where: tuple[Filter, ...] = ()
    exclude: tuple[Filter, ...] = ()
    period_budget: bool = False
    by: tuple[str, int | None] | None = None  # shown as parts in the table; None: none (explain's own parts)
    top: int = EXPLAIN_TOP  # 0: no parts, in the table or in the text
    previous_forecast: str | None = None
    forecast_version: str | None = None
    year: int | None = None
    through: int | None = None
    unit: str = "tkr"


@dataclass(frozen=True)
class ChapterSpec:
    title: str
    tables: tuple[TableSpec, ...]
    # kfollow.toml has [investments]: reconcile checks the Investeringar table of every
    # table's selection, so projekt is read whatever the tables are.
    investments: bool = False


@dataclass(frozen=True)
class Overrides:
    """The command line's options, over [report]: filters added to every table's."""

    where: tuple[Filter, ...] = ()
    exclude: tuple[Filter, ...] = ()
    year: int | None = None
    through: int | None = None
    unit: str | None = None
    forecast_version: str | None = None
    previous_forecast: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class Provenance:
    """Where the figures come from, for the title block."""

    sources: tuple[tuple[str, str], ...]  # (file name, SHA-256 prefix)
    version: str
    written: str  # 'YYYY-MM-DD HH:MM', local time


@dataclass(frozen=True)
class ChapterTable:
    spec: TableSpec
    report: Report  # as shown: parts only where the table gives `by`
    paragraphs: tuple[Paragraph, ...]
    period: str  # 'januari–augusti 2024'
    selection: str  # 'exkl. verksamhet 289', '' for the whole ledger


@dataclass(frozen=True)
class Check:
    """A reconcile finding, with the tables whose reconciliation found it."""

    severity: str
    code: str
    message: str
    sources: tuple[str, ...]
    tables: tuple[str, ...]


@dataclass(frozen=True)
class Chapter:
    title: str
    tables: tuple[ChapterTable, ...]
    checks: tuple[Check, ...]
    verdicts: tuple[tuple[str, str], ...]  # (table, its counts and verdict)
    provenance: Provenance
    warnings: tuple[str, ...] = field(default=())
    skipped: tuple[tuple[str, str], ...] = ()  # (check, why it did not run), as reconcile says


# --- what to build ------------------------------------------------------------------------------


def _filters(value: Any) -> tuple[Filter, ...]:
    """'verksamhet=289' or a list of them (checked by mapping) -> ((verksamhet, (289,)), …)."""
    texts = [value] if isinstance(value, str) else value or []
    return tuple(parsed for text in texts if (parsed := parse_filter(str(text))) is not None)


def _by(value: Any) -> tuple[str, int | None] | None:
    return None if value is None else parse_by(str(value), DIMENSIONS)


def _version(name: Any) -> str | None:
    return canonical_version(str(name)) if name else None


def chapter_spec(rules: Rules, overrides: Overrides) -> ChapterSpec:
    """The tables of [report] (a checked kfollow.toml), the command line over them; without
    [report], Drift with the period budget and, with [investments], Investeringar."""
    section: dict[str, Any] = rules.sections.get("report", {})
    entries: list[dict[str, Any]] = section.get("table", [])
    if not entries:
        entries = [{"kind": "drift", "period_budget": True}]
        if has_investments(rules):
            entries.append({"kind": "investments"})
    tables = tuple(_table_spec(entry, section, overrides) for entry in entries)
    if any(t.kind == "investments" for t in tables) and not has_investments(rules):
        where = str(rules.config.name) if rules.config else "no kfollow.toml"
        raise ConfigError(
            f"{where}: [report] names an investments table, but there is no [investments] with its categories; "
            "add them (kfollow projects lists the projects) or drop the table"
        )
    return ChapterSpec(overrides.title or str(section.get("title", "")).strip(), tables, has_investments(rules))


def _table_spec(entry: dict[str, Any], section: dict[str, Any], overrides: Overrides) -> TableSpec:
    def pick(key: str) -> Any:
        given = getattr(overrides, key)
        return given if given is not None else entry.get(key, section.get(key))

    kind = str(entry.get("kind", "drift"))
    return TableSpec(
        name=str(entry.get("name", REPORT_TABLE_NAMES[kind])).strip(),
        kind=kind,
        where=(*_filters(entry.get("where")), *overrides.where),
        exclude=(*_filters(entry.get("exclude")), *overrides.exclude),
        period_budget=bool(entry.get("period_budget", False)) and kind == "drift",
        by=_by(entry.get("by")),
        top=int(entry.get("top", EXPLAIN_TOP)),
        previous_forecast=_version(overrides.previous_forecast or entry.get("previous_forecast")),
        forecast_version=_version(overrides.forecast_version or entry.get("forecast_version")),
        year=pick("year"),
        through=pick("through"),
        unit=str(pick("unit") or "tkr"),
    )


def read_columns(spec: ChapterSpec) -> tuple[str, ...]:
    """The ledger columns the chapter's tables need: their filters', projekt for investments,
    the drill-down's (account names for konto)."""
    return tuple(sorted(_filtered_on(spec) | _kept(spec)))


def _kept(spec: ChapterSpec) -> set[str]:
    """The columns whose codes a table shows or groups by: read whole."""
    columns: set[str] = {"projekt"} if spec.investments else set()
    for table in spec.tables:
        if table.top:
            dim = (table.by or EXPLAIN_BY[table.kind])[0]
            columns.add("account_name" if dim == "konto" else dim)
    return columns


def _filtered_on(spec: ChapterSpec) -> set[str]:
    from .ledger import column_key

    return {column_key(name) for t in spec.tables for name, _ in (*t.where, *t.exclude)} - {"konto", "account"}


def filter_verdicts(spec: ChapterSpec) -> dict[str, Callable[[str], Any]]:
    """ReadOptions.filter_only for a chapter: a column read only for the tables' filters keeps
    one code per combination of the tables' verdicts on it (the reader keys its classes by the
    verdict, which need only be hashable: here a tuple, one verdict per table), so that the
    summed read stays as small as variance's while every table's filter still sees a code
    that it judges as it would the code it stands for."""
    from .ledger import DIMENSIONS, filter_verdict

    out: dict[str, Callable[[str], Any]] = {}
    for column in _filtered_on(spec) - _kept(spec):
        if column in DIMENSIONS:
            verdicts = [filter_verdict(column, list(t.where), list(t.exclude)) for t in spec.tables]
            out[column] = _verdicts(verdicts)
    return out


def _verdicts(verdicts: list[Callable[[str], bool]]) -> Callable[[str], tuple[bool, ...]]:
    def judge(code: str) -> tuple[bool, ...]:
        return tuple(passes(code) for passes in verdicts)

    return judge


def versions(spec: ChapterSpec) -> tuple[str, ...]:
    """Every version a table names (ReadOptions.extra_versions)."""
    named = {v for t in spec.tables for v in (t.forecast_version, t.previous_forecast) if v}
    return tuple(sorted(named))


# --- provenance ---------------------------------------------------------------------------------


def in_background(work: Callable[[], T]) -> Future[T]:
    """`work` run in a thread of its own while the ledger loads; its result (or what it raised)
    from the Future."""
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(work)
    pool.shutdown(wait=False)
    return future


def start_digests(paths: Sequence[Path]) -> Future[tuple[tuple[str, str], ...]]:
    """The SHA-256 prefix of every source file, computed in a thread while the ledger loads
    (hashlib lets go of the GIL on large blocks): a 600 MB file costs no wall time of its own."""
    return in_background(lambda: tuple((path.name, _digest(path)) for path in paths))


NO_DIGEST = "ingen, ej en vanlig fil"


def _digest(path: Path) -> str:
    """The SHA-256 prefix of a regular file. A FIFO or device (a ledger piped in through
    <(…)) is read once, by the loader: read here too, it would lose the loader its rows."""
    if not path.is_file():
        return NO_DIGEST
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()[:SHA_PREFIX]


def provenance(digests: tuple[tuple[str, str], ...], now: datetime | None = None) -> Provenance:
    """The sources, kfollow's version and the time written: now, or SOURCE_DATE_EPOCH where
    set (the reproducible-builds convention: a regenerated example changes only with its data)."""
    import os
    from importlib import import_module

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if now is None and epoch.isdigit():
        try:
            now = datetime.fromtimestamp(int(epoch), UTC)
        except (OverflowError, OSError, ValueError):
            raise ConfigError(f"SOURCE_DATE_EPOCH={shown(epoch)}: give seconds since 1970 (e.g. 1725148800)") from None
    if now is None:
        now = datetime.now().astimezone()
    version = str(import_module("kfollow").__version__)  # the package's, as `kfollow --version` names it
    return Provenance(digests, version, now.strftime("%Y-%m-%d %H:%M"))


# --- building -----------------------------------------------------------------------------------


def build_chapter(ledger: Ledger, rules: Rules, spec: ChapterSpec, origin: Provenance) -> Chapter:
    """Every table of `spec` from the one (mapped) ledger, its paragraphs and the reconcile
    findings for its selection."""
    tables = tuple(_named_build(ledger, rules, table) for table in spec.tables)
    results = [(t, _reconcile(ledger, rules, t)) for t in spec.tables]
    checks, verdicts = _checks(results)
    warnings = _warnings(tables)
    title = spec.title or f"Ekonomisk uppföljning {tables[0].period}"
    skipped = {code: why for _, result in results for code, why in result.skipped.items()}
    return Chapter(title, tables, checks, verdicts, origin, warnings, tuple(skipped.items()))


def _warnings(tables: tuple[ChapterTable, ...]) -> tuple[str, ...]:
    """Each table's warnings, with its name; one that every table has (about the ledger), once."""
    found: dict[str, list[str]] = {}
    for table in tables:
        for warning in table.report.warnings:
            found.setdefault(warning, []).append(table.spec.name)
    return tuple(w if len(names) == len(tables) else f"{', '.join(names)}: {w}" for w, names in found.items())


def _report_spec(table: TableSpec) -> ReportSpec:
    return ReportSpec(
        year=table.year,
        through=table.through,
        unit=table.unit,
        forecast_version=table.forecast_version,
        previous_forecast=table.previous_forecast,
        period_budget=table.period_budget,
    )


def _named_build(ledger: Ledger, rules: Rules, table: TableSpec) -> ChapterTable:
    """_build_table, its errors naming the table they are of: a bad value of [[report.table]]
    is met as the command's option (--where, --year, …) by the code that builds the table."""
    try:
        return _build_table(ledger, rules, table)
    except KfollowError as error:
        where = f"the table {table.name!r} ([[report.table]] of kfollow.toml, or the command line's option)"
        raise type(error)([f"{where}: {problem}" for problem in error.problems]) from error


def _build_table(ledger: Ledger, rules: Rules, table: TableSpec) -> ChapterTable:
    """The table as its command prints it (with `by`: its parts, as --by/--top), and its
    paragraphs as `kfollow explain` writes them: from the table with the period budget (as
    the reference report's text speaks of the deviation from it, whether or not its table
    shows it) and every part, sorted by the deviation the text speaks of, of which explain
    names the `top` largest."""
    build = drift_table if table.kind == "drift" else investment_table
    spec = _report_spec(table)

    def built(spec: ReportSpec, drill: Drill | None) -> Report:
        return build(ledger, rules, spec, where=table.where, exclude=table.exclude, drill=drill)

    by = table.by or EXPLAIN_BY[table.kind]
    kind = REPORT_TABLES[table.kind]
    text = built(
        replace(spec, period_budget=True), Drill(by[0], by[1], sort=PART_DEVIATION[kind]) if table.top else None
    )
    paragraphs = tuple(explain(text, table.top))
    if table.by is not None and table.top:
        shown = built(spec, Drill(by[0], by[1], table.top))
    else:
        shown = _as_specified(text, table)
    period = period_words(shown.year, shown.through, ledger.year_labels)
    selection = filter_words(table.where, table.exclude).removeprefix(", ")
    return ChapterTable(table, shown, paragraphs, period, selection)


PERIOD_BUDGET_KEYS = frozenset({"period_budget", "period_deviation"})


def _as_specified(text: Report, table: TableSpec) -> Report:
    """The paragraphs' table as the chapter shows it: no parts, and no period budget columns
    where the table has none (every other figure is the same: each column is made alone)."""
    rows = tuple(row for row in text.rows if row.kind != "detail")
    if table.period_budget or text.table != "drift":
        return replace(text, rows=rows)
    keep = tuple(column for column in text.columns if column.key not in PERIOD_BUDGET_KEYS)
    rows = tuple(replace(r, values={k: v for k, v in r.values.items() if k not in PERIOD_BUDGET_KEYS}) for r in rows)
    return replace(text, columns=keep, rows=rows, empty=text.empty - PERIOD_BUDGET_KEYS)


def _reconcile(ledger: Ledger, rules: Rules, table: TableSpec) -> Reconciliation:
    """reconcile's checks on the table's selection. The ledger is read summed, so duplicate
    rows cannot be told apart here: that check is left to `kfollow reconcile`."""
    result = reconcile_ledger(
        ledger, rules, _report_spec(table), where=table.where, exclude=table.exclude, duplicates=[]
    )
    skipped = {**result.skipped, "duplicate-rows": "the report reads the ledger summed: run kfollow reconcile"}
    return replace(result, skipped=skipped)


# reconcile checks the Drift table and the Investeringar table of a selection together; a
# chapter's table shows the findings about itself and about the ledger. Findings about the
# Investeringar table have these codes, or a message that starts with its name.
INVESTMENT_CODES = frozenset({"unmapped-project", "ambiguous-project", "investment-no-project"})
INVESTMENT_PREFIX = "Investeringar:"
# Findings about the Drift table's figures (else: about the ledger, shown for every table).
DRIFT_CODES = frozenset(
    {"conservation", "identity", "rounding-difference", "budget-unbalanced", "drill-parts", "control-total"}
)


# reconcile checks the Drift table with its period budget: where a chapter's table has none,
# findings about those columns are about no figure it shows.
PERIOD_BUDGET_HEADERS = ("Periodbudget ", "Avv. utfall/periodbudget ")


def _about(finding: Finding, table: TableSpec) -> bool:
    """Whether a finding of reconcile is about `table` (or the ledger)."""
    investments = finding.code in INVESTMENT_CODES or finding.message.startswith(INVESTMENT_PREFIX)
    if table.kind == "investments":
        return investments or finding.code not in DRIFT_CODES
    hidden = not table.period_budget and any(header in finding.message for header in PERIOD_BUDGET_HEADERS)
    return not investments and not (hidden and finding.code in DRIFT_CODES)


def _checks(
    results: list[tuple[TableSpec, Reconciliation]],
) -> tuple[tuple[Check, ...], tuple[tuple[str, str], ...]]:
    """The findings of every table's reconciliation about it, each once, with the tables that
    found it, errors first; and each table's counts."""
    from .reconcile import SEVERITIES

    found: dict[tuple[str, str, str], tuple[Finding, list[str]]] = {}
    verdicts = []
    for table, result in results:
        counts = dict.fromkeys(SEVERITIES, 0)
        for finding in result.findings:
            if _about(finding, table):
                counts[finding.severity] += finding.stands_for
                key = (finding.severity, finding.code, finding.message)
                found.setdefault(key, (finding, []))[1].append(table.name)
        words = ", ".join(f"{n} {COUNT_WORDS[s][n != 1]}" for s, n in counts.items())
        verdicts.append((table.name, f"{words}: {'inte godkänd' if counts['error'] else 'godkänd'}"))
    order = {severity: at for at, severity in enumerate(SEVERITIES)}
    checks = sorted(
        (Check(f.severity, f.code, f.message, f.sources, tuple(names)) for f, names in found.values()),
        key=lambda c: order[c.severity],
    )
    return tuple(checks), tuple(verdicts)


COUNT_WORDS = {"error": ("fel", "fel"), "warning": ("varning", "varningar"), "info": ("info", "info")}
