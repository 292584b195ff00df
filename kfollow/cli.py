"""The command line: options in, one library call per stage, output and exit codes out.

Only click is imported at start-up; pandas and the rest load when a command runs, so that
`kfollow --help` answers at once.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import click

from .errors import KfollowError, OptionError

FORMATS = ("table", "markdown", "csv", "json", "xlsx")  # = render.FORMATS, without importing pandas
LISTING_FORMATS = ("table", "markdown", "csv", "json")
SUFFIX_FORMATS = {".xlsx": "xlsx", ".json": "json", ".csv": "csv", ".md": "markdown", ".txt": "table"}
DEBUG = "KFOLLOW_DEBUG"


class KfollowGroup(click.Group):
    """Turns library errors into `Error:` lines and exit codes (SPEC §7), never a traceback."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """As click's, but a usage error too is one `Error:` line, with the help to read."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as error:
            click.echo(error.ctx.get_help() if error.ctx else "", err=True)
            sys.exit(error.exit_code)
        except click.ClickException as error:
            hint = ""
            if isinstance(error, click.UsageError) and error.ctx is not None:
                hint = f" (see '{error.ctx.command_path} --help')"
            click.echo(f"Error: {error.format_message()}{hint}", err=True)
            sys.exit(error.exit_code)
        except click.Abort:
            click.echo("Error: aborted", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KfollowError as error:
            for problem in error.problems:  # every line an Error: line (a message may hold an example)
                for line in str(problem).splitlines() or [""]:
                    click.echo(f"Error: {line}", err=True)
            ctx.exit(error.exit_code)
        except BrokenPipeError:  # `kfollow variance … | head`
            sys.stderr.close()
            ctx.exit(0)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as error:
            if os.environ.get(DEBUG):
                raise
            click.echo(
                f"Error: internal error: {type(error).__name__}: {error}. "
                f"This is a bug in kfollow; set {DEBUG}=1 to see where it happened.",
                err=True,
            )
            ctx.exit(3)


class FilterType(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.5 only
    """DIM=P1[,P2…] -> (DIM, (P1, P2, …))."""

    name = "DIM=PREFIX[,PREFIX…]"

    def convert(self, value: Any, param: Any, ctx: Any) -> tuple[str, tuple[str, ...]]:
        from .syntax import parse_filter

        if isinstance(value, tuple):
            return value
        parsed = parse_filter(str(value))
        if parsed is None:
            self.fail(f"{value!r}: write DIM=PREFIX[,PREFIX…], e.g. verksamhet=289", param, ctx)
        return parsed


class DimType(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.5 only
    """N=COLUMN: SIE dimension number N is the ledger column COLUMN (ansvar, verksamhet, …)."""

    name = "N=COLUMN"

    def convert(self, value: Any, param: Any, ctx: Any) -> tuple[int, str]:
        from .ledger import DIMENSIONS  # a tuple of names: no pandas at import (cli stays light)

        if isinstance(value, tuple):
            return value
        number, sep, column = str(value).partition("=")
        column = column.strip().lower()
        if not sep or not number.strip().isdigit() or column not in DIMENSIONS:
            self.fail(
                f"{value!r}: write N=COLUMN, COLUMN one of {', '.join(DIMENSIONS)}, e.g. 20=verksamhet", param, ctx
            )
        return int(number), column


class SignType(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.5 only
    """auto | ledger | report, or NAME=ledger|report for one file (by its file name)."""

    name = "[NAME=]auto|ledger|report"
    MODES = ("auto", "ledger", "report")

    def convert(self, value: Any, param: Any, ctx: Any) -> tuple[str | None, str]:
        if isinstance(value, tuple):
            return value
        name, sep, mode = str(value).rpartition("=")
        if mode not in self.MODES or (sep and (not name or mode == "auto")):
            self.fail(f"{value!r}: write auto, ledger, report, or FILE=ledger|report", param, ctx)
        return (name or None, mode)


class LimitType(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.5 only
    """NAME=SIZE: one of read.options.LIMITS raised (or lowered), e.g. xlsx-size=4G."""

    name = "NAME=SIZE"

    def convert(self, value: Any, param: Any, ctx: Any) -> tuple[str, int]:
        from .read.options import LIMITS, parse_size  # no pandas there

        if isinstance(value, tuple):
            return value
        name, sep, size = str(value).partition("=")
        name = name.strip().lower()
        amount = parse_size(size, LIMITS[name][2]) if sep and name in LIMITS else None
        if amount is None:
            self.fail(f"{value!r}: write NAME=SIZE, NAME one of {', '.join(LIMITS)}, e.g. xlsx-size=4G", param, ctx)
        return name, amount


FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def ledger_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by every command that reads a ledger."""
    options = [
        click.argument("ledger", nargs=-1, type=FILE),
        click.option(
            "--budget",
            "budget_files",
            multiple=True,
            type=FILE,
            metavar="FILE",
            help="A file that holds only budget rows (no version column).",
        ),
        click.option(
            "--forecast",
            "forecast_files",
            multiple=True,
            type=FILE,
            metavar="FILE",
            help="A file that holds only forecast (prognos) rows.",
        ),
        click.option(
            "--outcome",
            "outcome_files",
            multiple=True,
            type=FILE,
            metavar="FILE",
            help="A file that holds only outcome (utfall) rows.",
        ),
        click.option(
            "--config",
            type=FILE,
            help="kfollow.toml with the kommun's account rules [default: ./kfollow.toml if present].",
        ),
        click.option("--sheet", metavar="NAME", help="Worksheet of .xlsx files [default: the first]."),
        click.option("--encoding", metavar="ENC", help="Encoding of CSV files [default: UTF-8, else cp1252]."),
        click.option("--delimiter", type=click.Choice([";", ",", "tab"]), help="CSV delimiter [default: sniffed]."),
        click.option(
            "--sign",
            type=SignType(),
            multiple=True,
            help="ledger: debit + (costs +, revenue −); report: as printed; auto (default): judged "
            "per file from personnel costs. NAME=ledger|report sets one file's. Repeatable.",
        ),
        click.option(
            "--where",
            multiple=True,
            type=FilterType(),
            help="Keep rows whose DIM starts with one of the prefixes, e.g. verksamhet=289. Repeatable.",
        ),
        click.option(
            "--exclude",
            multiple=True,
            type=FilterType(),
            help="Drop rows whose DIM starts with one of the prefixes. Repeatable.",
        ),
        click.option(
            "--year",
            type=click.IntRange(1900, 2200),
            help="Fiscal year [default: the latest with outcome; accounts and projects: all years].",
        ),
        click.option(
            "--quiet",
            "-q",
            is_flag=True,
            help="No progress line on stderr for long loads (warnings and errors are still shown).",
        ),
        click.option(
            "--dim",
            "dims",
            multiple=True,
            type=DimType(),
            help="SIE files: dimension N is the column COLUMN, e.g. 20=verksamhet [default: 1 ansvar, 6 projekt, "
            "others by their #DIM name]. Repeatable.",
        ),
        click.option(
            "--limit",
            "limits",
            multiple=True,
            type=LimitType(),
            help="Raise a limit past which a file is refused as damaged: xlsx-size (bytes a sheet inflates to, "
            "default 1G), sheet-cells (rows × columns of a sheet, default 40000000), cell (bytes of one CSV "
            "field or xlsx cell, default 1M). Repeatable, e.g. --limit xlsx-size=4G.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def table_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The period and forecast of a table (variance, investments, reconcile)."""
    command = click.option(
        "--previous-forecast",
        metavar="NAME",
        help="Add the columns of an earlier forecast and the change since, e.g. prognos-april.",
    )(command)
    command = click.option(
        "--forecast-version",
        metavar="NAME",
        help="The version shown as the forecast, e.g. prognos-april [default: prognos].",
    )(command)
    return click.option(
        "--through",
        type=click.IntRange(1, 12),
        metavar="MONTH",
        help="Last month of the period [default: the latest month with outcome in --year].",
    )(command)


class ByType(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.5 only
    """DIM[:N]: konto or a dimension, and the code's first N characters."""

    name = "DIM[:N]"

    def convert(self, value: Any, param: Any, ctx: Any) -> tuple[str, int | None]:
        from .ledger import DIMENSIONS
        from .syntax import parse_by

        if isinstance(value, tuple):
            return value
        parsed = parse_by(str(value), DIMENSIONS)
        if parsed is None:
            self.fail(
                f"{value!r}: write DIM or DIM:N, DIM one of konto, {', '.join(DIMENSIONS)}, N the code's first N "
                "characters, e.g. konto:3",
                param,
                ctx,
            )
        return parsed


def drill_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Drill-down, shares and materiality (SPEC §8) of variance and investments."""
    options = [
        click.option(
            "--by",
            type=ByType(),
            help="Under every row, its parts by konto or a dimension (ansvar, verksamhet, aktivitet, projekt, "
            "motpart); DIM:N groups by the code's first N characters, e.g. konto:3.",
        ),
        click.option(
            "--top",
            type=click.IntRange(1),
            metavar="N",
            help="With --by: the N largest parts, and Övrigt for the rest.",
        ),
        click.option(
            "--row",
            "drill_rows",
            multiple=True,
            metavar="LABEL",
            help="With --by: drill only this row (its label, e.g. 'Köp av tjänster'). Repeatable.",
        ),
        click.option(
            "--percent", is_flag=True, help="After each deviation column, its share of the figure it deviates from."
        ),
        click.option(
            "--threshold",
            "thresholds",
            multiple=True,
            metavar="AMOUNT|PCT%",
            help="Flag rows and parts whose last deviation reaches AMOUNT (in --unit) and/or PCT% of the figure "
            "it deviates from (given both: both). At most one of each.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _drill(kwargs: dict[str, Any]) -> dict[str, Any]:
    """--by, --top, --row, --percent, --threshold as the API's keyword arguments."""
    from .report import Drill

    by = kwargs["by"]
    if by is None and (kwargs["top"] is not None or kwargs["drill_rows"]):
        raise click.UsageError("--top and --row choose among the parts of --by: give --by DIM, e.g. --by konto")
    drill = Drill(by[0], by[1], kwargs["top"], tuple(kwargs["drill_rows"])) if by else None
    return {"drill": drill, "percent": kwargs["percent"], "threshold": _threshold(kwargs["thresholds"], kwargs["unit"])}


def _threshold(values: Sequence[str], unit: str) -> Any:
    """--threshold AMOUNT (in `unit`) and/or PCT%: a report.Threshold, or None."""
    from decimal import Decimal, InvalidOperation

    from .money import UNITS
    from .report import Threshold

    amount: Decimal | None = None
    percent: Decimal | None = None
    for value in values:
        text = value.strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
        is_percent = text.endswith("%")
        try:
            number = Decimal(text.rstrip("%"))
        except InvalidOperation:
            number = Decimal(-1)
        if not number.is_finite() or number < 0 or (percent if is_percent else amount) is not None:
            raise click.BadParameter(
                f"{value!r}: give an amount in {unit} (e.g. 500) and/or a percentage (e.g. 5%), each at most once",
                param_hint="--threshold",
            )
        if is_percent:
            percent = number
        else:
            amount = number
    if amount is None and percent is None:
        return None
    words = [
        *([f"{_swedish(amount)} {unit}"] if amount is not None else []),
        *([f"{_swedish(percent)} %"] if percent is not None else []),
    ]
    ore = int((amount * UNITS[unit]).to_integral_value()) if amount is not None else None
    return Threshold(ore, percent, " och ".join(words))


def _swedish(number: Any) -> str:
    return f"{number:f}".replace(".", ",")


def _drill_columns(kwargs: dict[str, Any]) -> tuple[str, ...]:
    """The ledger columns --by needs read: the dimension, and for konto the account names."""
    by = kwargs["by"]
    if by is None:
        return ()
    return ("account_name",) if by[0] == "konto" else (by[0],)


def output_options(formats: tuple[str, ...]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        command = click.option(
            "-o",
            "--output",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Write to FILE (whole or not at all) instead of stdout.",
        )(command)
        command = click.option(
            "--format", "fmt", type=click.Choice(formats), help="Output format [default: from -o's ending, else table]."
        )(command)
        return command

    return decorate


def _sources(kwargs: dict[str, Any]) -> list[Any]:
    from .ledger import BUDGET, FORECAST, OUTCOME
    from .read import Source

    sources = [Source(path) for path in kwargs["ledger"]]
    for key, version in (("budget_files", BUDGET), ("forecast_files", FORECAST), ("outcome_files", OUTCOME)):
        sources += [Source(path, version) for path in kwargs[key]]
    if not sources:
        raise click.UsageError("give at least one ledger file (or --budget/--forecast/--outcome FILE)")
    seen: set[Path] = set()
    for source in sources:  # a file given twice would count twice
        if source.path.resolve() in seen:
            raise click.UsageError(f"{source.path} is given twice; every file is read once")
        seen.add(source.path.resolve())
    return sources


def _config(kwargs: dict[str, Any]) -> Path | None:
    given: Path | None = kwargs["config"]
    if given:
        return given
    default = Path("kfollow.toml")
    return default if default.is_file() else None


def _filters(kwargs: dict[str, Any]) -> dict[str, Any]:
    """--where and --exclude, as the API's keyword arguments."""
    return {"where": list(kwargs["where"]), "exclude": list(kwargs["exclude"])}


def _warn(lines: list[str] | tuple[str, ...]) -> None:
    for line in lines:
        click.echo(f"Warning: {line}", err=True)


def load_mapped(
    kwargs: dict[str, Any],
    every_column: bool = False,
    columns: tuple[str, ...] = (),
    collapse: bool = False,
    hash_rows: bool = False,
) -> tuple[Any, Any]:
    """kfollow.toml, then the ledger files read and mapped: (ledger, rules). The rules come
    first, so that a bad kfollow.toml stops before a long load."""
    from .api import load_rules, map_accounts

    rules = load_rules(_config(kwargs))
    ledger = _load(kwargs, _read_options(kwargs, every_column, columns, collapse, hash_rows))
    return map_accounts(ledger, rules), rules


def _read_options(
    kwargs: dict[str, Any], every_column: bool, columns: tuple[str, ...], collapse: bool, hash_rows: bool = False
) -> Any:
    """The ledger options of the command line. Only the columns the filters use are read,
    unless every_column (reconcile's duplicate check compares whole rows). hash_rows (with
    collapse): every column is read and each row hashed (Ledger.row_hashes), but only
    `columns` and the filters' are kept."""
    from .ledger import DIMENSIONS, canonical_version, column_key, filter_verdict
    from .read import ReadOptions
    from .read.normalise import row_hashing
    from .read.options import LIMITS, Limits

    forecast = kwargs.get("forecast_version")
    where, exclude = list(kwargs["where"]), list(kwargs["exclude"])
    filtered_on = {column_key(name) for name, _ in (*where, *exclude)}
    # Dimensions read only for the filters: a collapsed read needs no more of them than the
    # filters' verdict (konto is always needed, for the mapping).
    filter_only = {
        key: filter_verdict(key, where, exclude)
        for key in filtered_on
        if collapse and key not in columns and key in DIMENSIONS
    }
    return ReadOptions(
        encoding=kwargs["encoding"],
        delimiter={"tab": "\t"}.get(kwargs["delimiter"], kwargs["delimiter"]),
        sheet=kwargs["sheet"],
        sign=next((mode for name, mode in reversed(kwargs["sign"]) if name is None), "auto"),
        file_signs={name: mode for name, mode in kwargs["sign"] if name is not None},
        # Read only the dimensions the filters use: fewer columns, faster loads.
        columns=None if every_column else frozenset((*columns, *filtered_on)),
        extra_versions=tuple(canonical_version(name) for name in (forecast, kwargs.get("previous_forecast")) if name),
        dims=dict(kwargs["dims"]),
        year=kwargs["year"],
        collapse=collapse,
        filter_only=filter_only,
        # every optional column read; those no check and no filter needs are only hashed
        hashing=row_hashing(frozenset((*DIMENSIONS, "text")) - set(columns) - filtered_on) if hash_rows else None,
        limits=Limits(**{LIMITS[name][0]: size for name, size in kwargs["limits"]}),
    )


def _load(kwargs: dict[str, Any], options: Any) -> Any:
    """The ledger files of the command line, read with `options` (a progress line if long)."""
    from .api import read_ledger
    from .progress import Progress

    sources = _sources(kwargs)
    label = sources[0].path.name + (f" and {len(sources) - 1} more" if len(sources) > 1 else "")
    with Progress(label) if not kwargs["quiet"] else nullcontext():
        return read_ledger(sources, options)


def _format(fmt: str | None, output: Path | None, allowed: tuple[str, ...]) -> str:
    """--format, else the format -o's ending names, else table."""
    if fmt:
        chosen = fmt
    elif output is not None:
        chosen = SUFFIX_FORMATS.get(output.suffix.lower(), "table")
        if chosen not in allowed:
            raise click.UsageError(f"-o {output}: this command writes no {chosen}; give --format {' | '.join(allowed)}")
    else:
        chosen = "table"
    if chosen == "xlsx" and (output is None or str(output) == "-"):
        raise click.UsageError("--format xlsx writes a workbook: give -o FILE.xlsx")
    return chosen


def xlsx_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option(
        "--sheet-name",
        metavar="NAME",
        help="The xlsx sheet's name [default: the table's, Drift or Investeringar].",
    )(command)
    return click.option(
        "--append",
        is_flag=True,
        help="Add the table to the workbook -o names, as a sheet of its own (a sheet of the same name is "
        "replaced), so that one file holds the report's tables.",
    )(command)


def check_xlsx_options(fmt: str, kwargs: dict[str, Any]) -> None:
    """--append and --sheet-name, checked before a long load."""
    name = kwargs["sheet_name"]
    if (kwargs["append"] or name is not None) and fmt != "xlsx":
        raise click.UsageError("--append and --sheet-name are for xlsx workbooks: give -o FILE.xlsx")
    bad = any(c in (name or "") for c in "[]:*?/\\") or (name or "x").startswith("'") or (name or "x").endswith("'")
    if name is not None and (not name.strip() or len(name) > 31 or bad):
        raise click.BadParameter(
            f"{name!r}: 1 to 31 characters, none of [ ] : * ? / \\, not starting or ending with '",
            param_hint="--sheet-name",
        )


def emit_report(report: Any, fmt: str, kwargs: dict[str, Any]) -> None:
    """Render a table to -o or stdout; with --append, into the existing workbook."""
    from .api import render_report

    output, name, into = kwargs["output"], kwargs["sheet_name"], None
    if kwargs["append"] and output.exists():
        into = output
    try:
        data = render_report(report, fmt, into, name)
    except Exception as error:  # openpyxl's errors for a file that is no workbook vary
        if into is None:
            raise
        message = f"-o {output} --append: {output.name} is not an xlsx workbook kfollow can add to ({error})"
        raise OptionError(message) from None
    emit(data, output)


def emit(data: bytes, output: Path | None) -> None:
    """Write to -o whole or not at all (render.write_outputs), or to stdout."""
    from .render import write_outputs

    if output is None or str(output) == "-":
        click.echo(data.decode("utf-8"), nl=False)
        return
    write_outputs([(output, data)])


_NEVER_OVER = "kfollow never writes over a file it reads; give another -o FILE"


def check_outputs(kwargs: dict[str, Any], outputs: Sequence[Path | None], config: bool = True) -> None:
    """-o checked before anything is read or written (SPEC §5): no -o is a file the command
    reads (a ledger, --budget/--forecast/--outcome, --control, or the config: --config, or
    ./kfollow.toml where `config` and it is used by default), compared as files, so that
    another path, a symlink or a hard link to an input is refused too; each -o is one that
    can be written (render.output_kind); and --append adds to a workbook file. Output to
    stdout is checked too: `>> ledger.csv` would add the report to the ledger."""
    from .render import IN_PLACE, output_kind

    files = [path for path in outputs if path is not None and str(path) != "-"]
    inputs = _inputs(kwargs, config)
    if len(files) < len(outputs):
        _check_stdout(inputs)
    for output in files:
        for what, path in inputs:
            if _same_file(output, path):
                raise OptionError(f"-o {output} is {what} {path}: {_NEVER_OVER}")
    for at, output in enumerate(files):
        if any(_same_file(output, other) for other in files[:at]):
            raise click.UsageError("each -o must name a different file (and '-' for stdout at most once)")
        kind = output_kind(output)
        if kwargs.get("append") and kind == IN_PLACE:
            raise OptionError(f"-o {output} --append: {output} is no file but a FIFO or device; it holds no workbook")


def _check_stdout(inputs: list[tuple[str, Path]]) -> None:
    """OptionError where stdout is a file the command reads (a shell's > or >> to it)."""
    try:
        out = os.fstat(sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # no file behind it (a test's capture)
        return
    for what, path in inputs:
        try:
            same = os.path.samestat(out, os.stat(path))
        except OSError:
            continue
        if same:
            raise OptionError(f"the output (stdout) is {what} {path}: {_NEVER_OVER.replace('another -o', '-o')}")


def _inputs(kwargs: dict[str, Any], config: bool) -> list[tuple[str, Path]]:
    """Every file the command reads, with what it is to the command."""
    inputs: list[tuple[str, Path]] = [("the ledger file", path) for path in kwargs["ledger"]]
    for key, option in (("budget_files", "--budget"), ("forecast_files", "--forecast"), ("outcome_files", "--outcome")):
        inputs += [(f"the {option} file", path) for path in kwargs[key]]
    if kwargs.get("control") is not None:
        inputs.append(("the --control file", kwargs["control"]))
    used = _config(kwargs) if config else kwargs["config"]
    if used is not None:
        inputs.append(("the --config file" if kwargs["config"] is not None else "the config (by default)", used))
    return inputs


def _same_file(output: Path, other: Path) -> bool:
    """Whether two paths name one file (through symlinks and hard links), or would (one
    path, spelled two ways, of a file not yet there)."""
    try:
        return os.path.samefile(output, other)
    except OSError:
        return os.path.realpath(output) == os.path.realpath(other)


@click.group(cls=KfollowGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kfollow")
def cli() -> None:
    """Budget follow-up tables for Swedish municipal interim reports.

    Reads ledger exports (CSV, XLSX) with budget, forecast and outcome, maps every account to
    its report row, and prints the tables of a delårsbokslut, exact to the öre.
    """


@cli.command()
@ledger_options
@table_options
@click.option(
    "--period-budget",
    is_flag=True,
    help="Add the columns Periodbudget and Avv. utfall/periodbudget (budget months 1..MONTH).",
)
@click.option("--allow-unmapped", is_flag=True, help="Show unmapped accounts as a row 'Ej mappat' instead of stopping.")
@click.option("--unit", type=click.Choice(["kr", "tkr", "mkr"]), default="tkr", show_default=True)
@drill_options
@xlsx_options
@output_options(FORMATS)
def variance(**kwargs: Any) -> None:
    """The Drift table: budget, forecast and outcome per report row, with deviations.

    LEDGER is one or more .csv/.xlsx files; see the README for the columns.
    """
    from .api import drift_table

    fmt = _format(kwargs["fmt"], kwargs["output"], FORMATS)
    check_xlsx_options(fmt, kwargs)
    check_outputs(kwargs, [kwargs["output"]])
    drill = _drill(kwargs)
    # sums only: rows may be summed (by the columns --by needs too)
    ledger, rules = load_mapped(kwargs, columns=_drill_columns(kwargs), collapse=True)
    # drift_table judges the period on the whole ledger, before the filters, so that e.g.
    # --where verksamhet=289 and --exclude verksamhet=289 cover the same months.
    spec = _spec(kwargs, kwargs["period_budget"])
    report = drift_table(ledger, rules, spec, allow_unmapped=kwargs["allow_unmapped"], **_filters(kwargs), **drill)
    _warn(report.warnings)
    emit_report(report, fmt, kwargs)


@cli.command()
@ledger_options
@table_options
@click.option(
    "--allow-unmapped",
    is_flag=True,
    help="Show projects that match no category as a row 'Ej kategoriserat' instead of stopping.",
)
@click.option("--unit", type=click.Choice(["kr", "tkr", "mkr"]), default="tkr", show_default=True)
@drill_options
@xlsx_options
@output_options(FORMATS)
def investments(**kwargs: Any) -> None:
    """The Investeringar table: budget, forecast and outcome per investment category.

    Categories and their project-code prefixes come from [investments] in kfollow.toml; rows
    are the ledger rows on the investment accounts (default 10, 11, 12), expenditure positive.
    """
    from .api import investment_table

    fmt = _format(kwargs["fmt"], kwargs["output"], FORMATS)
    check_xlsx_options(fmt, kwargs)
    check_outputs(kwargs, [kwargs["output"]])
    drill = _drill(kwargs)
    ledger, rules = load_mapped(kwargs, columns=("projekt", *_drill_columns(kwargs)), collapse=True)
    report = investment_table(
        ledger, rules, _spec(kwargs, False), allow_unmapped=kwargs["allow_unmapped"], **_filters(kwargs), **drill
    )
    _warn(report.warnings)
    emit_report(report, fmt, kwargs)


@cli.command()
@ledger_options
@output_options(LISTING_FORMATS)
def projects(**kwargs: Any) -> None:
    """Every project on the investment accounts with its category, row count and kr per version.

    Amounts are in kr, ledger sign (expenditure +), for --year (default: all years). Use it to
    write the [investments] of kfollow.toml.
    """
    from .api import projects_listing, select_rows

    fmt = _format(kwargs["fmt"], kwargs["output"], LISTING_FORMATS)
    check_outputs(kwargs, [kwargs["output"]])
    ledger, rules = load_mapped(kwargs, columns=("projekt",), collapse=True)  # sums only
    _warn(ledger.notes)
    listing = projects_listing(select_rows(ledger, **_filters(kwargs)), rules, kwargs["year"], fmt)
    emit(listing.encode("utf-8"), kwargs["output"])


def _spec(kwargs: dict[str, Any], period_budget: bool) -> Any:
    """The table's year, period, unit and forecast version, from the options."""
    from .ledger import canonical_version
    from .report import ReportSpec

    forecast, previous = kwargs["forecast_version"], kwargs["previous_forecast"]
    return ReportSpec(
        year=kwargs["year"],
        through=kwargs["through"],
        unit=kwargs["unit"],
        forecast_version=canonical_version(forecast) if forecast else None,
        previous_forecast=canonical_version(previous) if previous else None,
        period_budget=period_budget,
    )


RECONCILE_FORMATS = ("text", "json", "junit")
RECONCILE_SUFFIXES = {".json": "json", ".xml": "junit"}


@cli.command()
@ledger_options
@table_options
@click.option(
    "--unit",
    type=click.Choice(["kr", "tkr", "mkr"]),
    default="tkr",
    show_default=True,
    help="The unit the table is printed in (for the rounding differences).",
)
@click.option(
    "--control",
    type=FILE,
    metavar="FILE",
    help="CSV of control totals: rad;kolumn;belopp (a row of the table or an account prefix; a column: budget, "
    "forecast, forecast_deviation, outcome, outcome_previous, outcome_change, period_budget or period_deviation; "
    "the expected amount in kr as the table shows it: revenue +, costs −). Lines starting with # are comments.",
)
@click.option(
    "--tolerance",
    default="0",
    show_default=True,
    metavar="KR",
    help="How far a control total may be off, in kr, before it is an error.",
)
@click.option("--strict", is_flag=True, help="Warnings count as errors (exit 1).")
@click.option(
    "--by",
    type=ByType(),
    help="Also check that the Drift table's parts by konto or a dimension (as variance --by shows them) sum "
    "to their rows, to the öre.",
)
@click.option(
    "-o",
    "--output",
    "outputs",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to FILE (whole or not at all) instead of stdout; the summary line then goes to stderr. "
    "Repeatable, e.g. -o report.xml -o report.txt: each file in the format its ending names.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(RECONCILE_FORMATS),
    help="text for people, json for scripts, junit for CI test reports [default: from -o's ending "
    "(.json, .xml), else text].",
)
def reconcile(**kwargs: Any) -> None:
    """Check that the Drift table reconciles: every account mapped, every column summing to the
    ledger to the öre, subtotals and deviations, rounding, balanced budget, missing months,
    duplicate rows and control totals.

    Exit 0 when no check found an error, 1 when one did (--strict: or a warning), 2 for a usage
    error, 3 for input that cannot be used.
    """
    from .api import find_duplicates, reconcile_ledger
    from .reconcile import RENDERERS, parse_tolerance, summary_line
    from .render import write_outputs
    from .report import Drill

    outputs: tuple[Path, ...] = kwargs["outputs"] or (Path("-"),)
    if kwargs["fmt"] and len(outputs) > 1:
        raise click.UsageError("--format goes with one -o; with several, each file's ending names its format")
    if sum(str(path) == "-" for path in outputs) > 1:
        raise click.UsageError("each -o must name a different file (and '-' for stdout at most once)")
    formats = [kwargs["fmt"] or RECONCILE_SUFFIXES.get(path.suffix.lower(), "text") for path in outputs]
    check_outputs(kwargs, outputs)  # before a long load, and before the first report is written
    tolerance = parse_tolerance(kwargs["tolerance"])
    if tolerance is None:
        raise click.BadParameter(
            f"{kwargs['tolerance']!r}: give an amount in kr ≥ 0, e.g. 0,50", param_hint="--tolerance"
        )
    # Read collapsed, as variance does, with a hash of every row for the duplicate check:
    # memory follows the combinations, not the file. Only where two rows hash alike is the
    # file read again row by row (find_duplicates), to compare them in full.
    columns = ("projekt", *_drill_columns(kwargs))
    ledger, rules = load_mapped(kwargs, every_column=True, columns=columns, collapse=True, hash_rows=True)
    again = _read_options(kwargs, every_column=True, columns=(), collapse=False)
    duplicates = find_duplicates(ledger, _sources(kwargs), again, **_filters(kwargs))
    result = reconcile_ledger(
        ledger,
        rules,
        _spec(kwargs, True),
        controls=kwargs["control"],
        tolerance=tolerance,
        strict=kwargs["strict"],
        duplicates=duplicates,
        drill=Drill(*kwargs["by"]) if kwargs["by"] else None,
        **_filters(kwargs),
    )
    rendered = [(path, RENDERERS[fmt](result).encode("utf-8")) for path, fmt in zip(outputs, formats, strict=True)]
    # The files all or none (write_outputs), then stdout: nothing printed where a file failed.
    write_outputs([(path, data) for path, data in rendered if str(path) != "-"])
    for path, data in rendered:
        if str(path) == "-":
            emit(data, None)
    if all(str(path) != "-" for path in outputs):  # no report on stdout: the verdict on stderr
        click.echo(summary_line(result), err=True)
    click.get_current_context().exit(result.exit_code)


EXPLAIN_FORMATS = ("table", "markdown", "json")


@cli.command()
@ledger_options
@table_options
@click.option(
    "--table",
    "table_kind",
    type=click.Choice(["drift", "investments"]),
    default="drift",
    show_default=True,
    help="The table whose rows are explained: Drift, or Investeringar (from [investments]).",
)
@click.option("--unit", type=click.Choice(["kr", "tkr", "mkr"]), default="tkr", show_default=True)
@click.option(
    "--by", type=ByType(), help="The dimension of the largest parts [default: konto; projekt with --table investments]."
)
@click.option("--top", type=click.IntRange(0), default=3, show_default=True, help="How many parts a paragraph names.")
@click.option(
    "--threshold",
    "thresholds",
    multiple=True,
    metavar="AMOUNT|PCT%",
    help="Name also every part whose deviation reaches AMOUNT (in --unit) and/or PCT% (at least the largest).",
)
@click.option("--allow-unmapped", is_flag=True, help="Explain unmapped accounts (projects) as a row of their own.")
@output_options(EXPLAIN_FORMATS)
def explain(**kwargs: Any) -> None:
    """The report's sentences: a paragraph per row of the Drift (or Investeringar) table, SPEC §10.

    The outcome for the period, its deviation against the period budget, the forecast against
    the budget for the year (and against --previous-forecast), and the largest parts of the
    deviation by --by. Figures and directions only: the causes are the economist's to write.
    The wording is in kfollow/explain.py (TEMPLATES, SUBJECTS).
    """
    from .api import drift_table, investment_table
    from .explain import PART_DEVIATION, render
    from .explain import explain as paragraphs
    from .report import Drill

    fmt = _format(kwargs["fmt"], kwargs["output"], EXPLAIN_FORMATS)
    check_outputs(kwargs, [kwargs["output"]])
    investments = kwargs["table_kind"] == "investments"
    table = "investeringar" if investments else "drift"
    by = kwargs["by"] or (("projekt", None) if investments else ("konto", None))
    columns = ("account_name",) if by[0] == "konto" else (by[0],)
    ledger, rules = load_mapped(kwargs, columns=("projekt", *columns) if investments else columns, collapse=True)
    # every part, sorted by the deviation the paragraphs speak of: explain picks the --top
    # largest and those --threshold makes material
    drill = Drill(by[0], by[1], sort=PART_DEVIATION[table])
    build = investment_table if investments else drift_table
    report = build(
        ledger,
        rules,
        _spec(kwargs, not investments),
        allow_unmapped=kwargs["allow_unmapped"],
        drill=drill,
        threshold=_threshold(kwargs["thresholds"], kwargs["unit"]),
        **_filters(kwargs),
    )
    _warn(report.warnings)
    text = render(paragraphs(report, kwargs["top"]), "markdown" if fmt == "markdown" else fmt, table)
    emit(text.encode("utf-8"), kwargs["output"])


REPORT_SUFFIXES = (".xlsx", ".docx")


@cli.command()
@ledger_options
@table_options
@click.option(
    "--unit", type=click.Choice(["kr", "tkr", "mkr"]), help="The unit of every table [default: [report]'s, else tkr]."
)
@click.option(
    "--title", help="The chapter's title [default: [report] title, else 'Ekonomisk uppföljning' and the period]."
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="FILE.xlsx (a sheet per table, charts, a sheet Kontroll) or FILE.docx (a Word chapter); written whole "
    "or not at all.",
)
def report(**kwargs: Any) -> None:
    """The chapter: every table [report] of kfollow.toml names, from one load of the ledger.

    Each [[report.table]] has a name, a kind (drift or investments) and its command's options
    (where, exclude, period_budget, by, top, previous_forecast, forecast_version, year, through,
    unit). Under each table its explain paragraphs. Without [report]: Drift with the period
    budget and, with [investments], Investeringar. --where/--exclude apply to every table; the
    other options take the place of the config's.
    """
    from dataclasses import replace

    from .chapter import (
        Overrides,
        build_chapter,
        chapter_spec,
        filter_verdicts,
        provenance,
        read_columns,
        start_digests,
        versions,
    )

    output: Path = kwargs["output"]
    if output.suffix.lower() not in REPORT_SUFFIXES:
        raise click.UsageError(f"-o {output}: give FILE.xlsx or FILE.docx")
    check_outputs(kwargs, [output])
    from .api import load_rules, map_accounts

    rules = load_rules(_config(kwargs))  # before the long load: a bad [report] stops here
    spec = chapter_spec(rules, _overrides(kwargs, Overrides))
    sources = _sources(kwargs)
    digests = start_digests([source.path for source in sources])  # while the ledger loads
    if output.suffix.lower() == ".docx":
        from .document import start_imports

        imports = start_imports()  # while the ledger loads, too
    # The tables' own filters differ: the read keeps what each needs (chapter.filter_verdicts).
    plain = dict(kwargs, where=(), exclude=(), forecast_version=None, previous_forecast=None)
    options = _read_options(plain, False, read_columns(spec), True)
    options = replace(options, extra_versions=versions(spec), filter_only=filter_verdicts(spec))
    ledger = map_accounts(_load(kwargs, options), rules)
    chapter = build_chapter(ledger, rules, spec, provenance(digests.result()))
    _warn(chapter.warnings)
    if output.suffix.lower() == ".xlsx":
        from .workbook import workbook_bytes

        data = workbook_bytes(chapter)
    else:
        from .document import document_bytes

        imports.result()  # (raises what the import raised)
        data = document_bytes(chapter)
    emit(data, output)


def _overrides(kwargs: dict[str, Any], overrides: Any) -> Any:
    """The command line's options over [report] (chapter.Overrides)."""
    return overrides(
        where=tuple(kwargs["where"]),
        exclude=tuple(kwargs["exclude"]),
        year=kwargs["year"],
        through=kwargs["through"],
        unit=kwargs["unit"],
        forecast_version=kwargs["forecast_version"],
        previous_forecast=kwargs["previous_forecast"],
        title=kwargs["title"],
    )


@cli.command()
@ledger_options
@output_options(LISTING_FORMATS)
def accounts(**kwargs: Any) -> None:
    """Every account in the ledger, the row it maps to and the rule that mapped it.

    Amounts are per version in kr, ledger sign (debit +), for --year (default: all years).
    Use it to write the [accounts] of kfollow.toml.
    """
    from .api import account_listing, select_rows

    fmt = _format(kwargs["fmt"], kwargs["output"], LISTING_FORMATS)
    check_outputs(kwargs, [kwargs["output"]])
    ledger, rules = load_mapped(kwargs, columns=("account_name",), collapse=True)  # sums and counts only
    _warn(ledger.notes)
    listing = account_listing(select_rows(ledger, **_filters(kwargs)), rules, kwargs["year"], fmt)
    emit(listing.encode("utf-8"), kwargs["output"])


@cli.command()
@ledger_options
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to FILE (.csv or .xlsx, whole or not at all) instead of stdout (CSV).",
)
def convert(**kwargs: Any) -> None:
    """Write what kfollow reads from any input (CSV, XLSX, SIE) as one canonical long ledger.

    Columns år;period;version;konto, the dimensions present, text and belopp (kronor with öre,
    ledger sign: debit +). CSV is UTF-8 with BOM, ';' and a decimal comma; -o FILE.xlsx writes
    a workbook. --where/--exclude and --year select rows.
    """
    from .api import select_rows, sie_warnings
    from .convert import csv_bytes, xlsx_bytes

    output = kwargs["output"]
    wants_xlsx = output is not None and output.suffix.lower() == ".xlsx"
    check_outputs(kwargs, [output])
    ledger = _load(kwargs, _read_options(kwargs, every_column=True, columns=(), collapse=False))
    _warn([*ledger.notes, *sie_warnings(ledger)])
    frame = select_rows(ledger, year=kwargs["year"], **_filters(kwargs)).frame
    emit(xlsx_bytes(frame) if wants_xlsx else csv_bytes(frame), output)


@cli.command()
@ledger_options
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("kfollow.toml"),
    show_default=True,
    help="Write to FILE, which must not exist (init never overwrites a file); - prints to stdout.",
)
def init(**kwargs: Any) -> None:
    """Write a kfollow.toml to start from, for this ledger.

    [accounts] with every account the built-in Kommun-Bas map does not place and a suggested
    row, an [investments] skeleton from the projects on the investment accounts, and the
    ledger's codes as commented --where/--exclude filters; rows and kr (ledger sign) of --year
    (default: the latest year with outcome) as comments. --where/--exclude select rows.
    """
    from .api import select_rows, starter_config
    from .ledger import DIMENSIONS

    output: Path = kwargs["output"]
    if kwargs["config"] is not None:
        raise click.UsageError(
            "init writes a kfollow.toml from the built-in Kommun-Bas map and reads none: drop --config"
        )
    check_outputs(kwargs, [output], config=False)
    if str(output) != "-":
        _check_new(output)  # before a long load
    ledger = _load(kwargs, _read_options(kwargs, every_column=False, columns=DIMENSIONS, collapse=True))
    _warn(ledger.notes)
    starter = starter_config(select_rows(ledger, **_filters(kwargs)), kwargs["year"])
    if str(output) == "-":
        click.echo(starter.text, nl=False)
    else:
        _write_new(output, starter.text.encode("utf-8"))
    _warn(starter.notes)  # about what was written


_ELSEWHERE = "give another -o FILE (or -o - to print it)"


def _check_new(output: Path) -> None:
    """-o of init: no file there (a FIFO or a device is written in place, and holds no file)."""
    from .render import IN_PLACE, output_kind

    if output.exists() and output_kind(output) == IN_PLACE:
        return
    if output.exists() or output.is_symlink():
        raise OptionError(f"-o {output}: the file exists, and kfollow init never overwrites a file; {_ELSEWHERE}")
    if not output.parent.exists():
        raise OptionError(f"-o {output}: the folder {output.parent} does not exist")


def _write_new(output: Path, data: bytes) -> None:
    """Write -o, whole or not at all, never over an existing file (a FIFO or device: in place)."""
    from .render import IN_PLACE, output_kind, write_outputs
    from .starter import write_new

    if output.exists() and output_kind(output) == IN_PLACE:
        write_outputs([(output, data)])
        return
    try:
        write_new(output, data)
    except FileExistsError:
        message = f"-o {output}: the file appeared while kfollow init ran and is left as it is; {_ELSEWHERE}"
        raise OptionError(message) from None
    except OSError as error:
        raise OptionError(f"-o {output}: cannot write ({error.strerror})") from None


def main() -> None:
    cli(prog_name="kfollow")


if __name__ == "__main__":  # pragma: no cover
    main()
