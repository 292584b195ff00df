"""The ledger files -> one ledger: each file's format found by its content (one dispatcher for
every format), read, normalised, signs decided, and concatenated."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import LoadError
from ..ledger import DIMENSIONS, HEADER_KEYS, FullYearOnly, Ledger, SieCheck, concat, counted_rows
from .csv import read_csv
from .hashing import RowHashing
from .normalise import normalise
from .options import ReadOptions, Source
from .parquet import read_parquet
from .sie import read_sie
from .table import FilterOnly, HeaderPlanner, NoHeader, Planner, Table, describe, found_cells, header_names
from .xlsx import read_xlsx

ZIP = b"PK\x03\x04"  # an .xlsx workbook is a zip archive
PARQUET = b"PAR1"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an old .xls workbook
SIE_SUFFIXES = (".se", ".si")


def file_format(path: Path) -> str:
    """'sie', 'xlsx', 'parquet' or 'csv', by the file's content: an SIE file by its ending or a
    first record #FLAGGA, a workbook by its zip signature, Parquet by PAR1, anything else is
    CSV text. An old .xls, or a file named .xlsx that is none, is an error that says so."""
    with path.open("rb") as handle:
        start = handle.read(64)
    if path.suffix.lower() in SIE_SUFFIXES or start.lstrip(b"\xef\xbb\xbf \t\r\n").upper().startswith(b"#FLAGGA"):
        return "sie"
    if start.startswith(OLE):
        raise LoadError(
            f"{describe(path)}: an old Excel (.xls) workbook, which kfollow does not read: "
            "save it as .xlsx (or CSV UTF-8) and give that file"
        )
    if start.startswith(ZIP):
        return "xlsx"
    if start.startswith(PARQUET):
        return "parquet"
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raise LoadError(f"{describe(path)}: named .xlsx but it is no workbook; if it is CSV text, rename it .csv")
    return "csv"


def read_table(
    path: Path,
    kind: str,
    plan: Planner,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    collapse: bool = False,
    filter_only: FilterOnly | None = None,
    hashing: RowHashing | None = None,
) -> Table:
    """Read one ledger file of a table format (file_format: 'xlsx', 'parquet' or 'csv')."""
    if kind == "xlsx":
        return read_xlsx(path, plan, sheet)
    if kind == "parquet":
        return read_parquet(path, plan, collapse, filter_only, hashing)
    return read_csv(path, plan, encoding, delimiter, collapse, filter_only, hashing)


def read_source(source: Source, kind: str, options: ReadOptions) -> Table:
    """A CSV, XLSX or Parquet ledger file as read, or a LoadError that names the header row
    that came nearest and what it lacks."""
    try:
        return read_table(
            source.path,
            kind,
            HeaderPlanner(source.version, options.columns),
            encoding=options.encoding,
            delimiter=options.delimiter,
            sheet=options.sheet,
            collapse=options.collapse,
            filter_only=options.filter_only,
            # a --budget/--forecast file's rows hash with the version they are given
            hashing=replace(options.hashing, fixed_version=source.version) if options.hashing else None,
        )
    except NoHeader as missing:
        found = {HEADER_KEYS.get(c.strip().lower()) for c in missing.cells}
        need = ["account", "amount"]
        swedish = {"account": "konto", "amount": "belopp"}
        absent = [f"{swedish[k]} ({header_names(k)})" for k in need if k not in found]
        if source.version is None and "amount" not in found:
            absent[-1] += " or one column per version (budget, prognos, utfall)"
        is_sheet = source.path.suffix.lower() in (".xlsx", ".xlsm")
        raise LoadError(
            f"{source.path.name}:{missing.line}: no header row: missing column "
            f"{' and '.join(absent) or 'konto/belopp'}. "
            f"{'Row' if is_sheet else 'Line'} {missing.line} has: {found_cells(missing.cells)}"
            + (
                " (title rows above the header are skipped; pick another sheet with --sheet NAME)"
                if is_sheet
                else " (is --delimiter right?)"
                if len(missing.cells) == 1
                else ""
            )
        ) from None

def _personnel_sum(frame: pd.DataFrame) -> int:
    is_personnel = np.append(frame["account"].cat.categories.str.startswith("5"), False)
    return int(frame["amount"].to_numpy()[is_personnel[frame["account"].cat.codes.to_numpy()]].sum())

def _decide_signs(
    frames: list[pd.DataFrame], names: list[str], options: ReadOptions, notes: list[str]
) -> dict[str, bool]:
    """Turn every frame into ledger sign, in place; per file, whether it was in report sign.
    See SPEC §1 on --sign auto.

    A file's own --sign NAME=MODE comes first, then --sign MODE; `auto` judges a file by its
    personnel costs (class 5), and a file without any follows the files that were decided.
    """
    is_report: dict[str, bool] = {}
    for name in names:
        mode = options.file_signs.get(name, options.sign)
        if mode != "auto":
            is_report[name] = mode == "report"
    undecided = []
    for frame, name in zip(frames, names, strict=True):
        if name in is_report:
            continue
        total = _personnel_sum(frame)
        if total:
            is_report[name] = total < 0
            if total < 0:
                notes.append(
                    f"{name}: personnel costs are negative, so amounts are read as report sign "
                    f"(revenue +, costs −); --sign {name}=ledger overrides"
                )
        else:
            undecided.append(name)
    for name in undecided:
        conventions = set(is_report.values())
        if len(conventions) != 1:
            option = "--sign " if len(names) == 1 else f"--sign {name}="
            raise LoadError(
                f"{name}: cannot tell the sign convention (personnel costs, class 5, are absent or "
                f"sum to 0): give {option}ledger (debit +, costs +, revenue −, as bookkeeping "
                f"exports) or {option}report (revenue +, costs −, as the printed report)"
            )
        is_report[name] = conventions.pop()
        if is_report[name]:
            notes.append(f"{name}: read as report sign, like the other files; --sign {name}=ledger overrides")
    for frame, name in zip(frames, names, strict=True):
        if is_report[name]:
            frame["amount"] = -frame["amount"]
    return is_report

def load_ledger(sources: list[Source], options: ReadOptions) -> Ledger:
    """Read, check and concatenate ledger files. Raises LoadError with every problem found.

    SIE files (sie.py) come as ledger rows already; what they say about themselves (vouchers
    that do not balance, #RES that differs) is kept in Ledger.sie_checks for reconcile, and
    their fiscal-year labels ('2015/16') in Ledger.year_labels.
    """
    frames, names, problems, notes = [], [], [], []
    headers: dict[str, list[str]] = {}
    sie_checks: list[SieCheck] = []
    sie_notes: list[str] = []
    year_labels: dict[int, str] = {}
    full_year: list[FullYearOnly] = []
    signed: set[str] = set()  # files whose sign is known: SIE is debit + by definition
    hashes: list[np.ndarray] | None = [] if options.hashing is not None else None
    as_read = True  # every row is a row of a file, with every column read (nothing summed)
    for source in sources:
        try:
            kind = file_format(source.path)
            if kind == "sie":
                hashes = None  # read row by row: the ledger's own rows are there to compare
                if source.version:
                    raise LoadError(
                        f"{source.path.name}: an SIE file holds its own versions (outcome, budget): "
                        "give it as LEDGER, not with --budget/--forecast/--outcome"
                    )
                # Texts and voucher ids: for a read of every column (reconcile, convert, accounts)
                details = options.columns is None or "text" in options.columns
                sie = read_sie(source.path, options.encoding, options.dims, details=details)
                frame, found = sie.frame, []
                notes += sie.notes
                sie_notes += sie.notes
                sie_checks += sie.checks
                year_labels.update(sie.year_labels)
                full_year += sie.full_year
                signed.add(source.path.name)
                headers[source.path.name] = [c for c in frame.columns if c not in ("source", "line")]
            else:
                table = read_source(source, kind, options)
                frame, found = normalise(table, source.version, options.extra_versions)
                as_read &= table.as_read
                if hashes is not None and table.row_hashes is not None and len(table.row_hashes) == counted_rows(frame):
                    hashes.append(table.row_hashes)
                else:
                    hashes = None
                headers[source.path.name] = [c.strip() for c in table.columns.header if c.strip()]
        except LoadError as error:
            problems += error.problems
            continue
        problems += found
        frames.append(frame)
        names.append(source.path.name)
    if problems and options.collapse:
        # Read again row by row: each bad row is then named, and counted, as itself.
        return load_ledger(sources, replace(options, collapse=False))
    if problems:
        raise LoadError(problems)
    if not any(len(f) for f in frames):
        raise LoadError(f"{', '.join(names)}: no ledger rows below the header")
    if any("rows" in f for f in frames):  # some files read collapsed: every row counts its rows
        for frame in frames:
            if "rows" not in frame:
                frame["rows"] = np.ones(len(frame), dtype="int64")
    is_report = _decide_signs(
        frames, names, replace(options, file_signs={**dict.fromkeys(signed, "ledger"), **options.file_signs}), notes
    )
    ledger = concat(frames)
    for key in ("account", "version", "source", *DIMENSIONS, "text"):
        if key in ledger and not isinstance(ledger[key].dtype, pd.CategoricalDtype):
            ledger[key] = ledger[key].astype("category")
    return Ledger(
        ledger,
        notes=tuple(notes),
        headers=headers,
        sie_files=tuple(sorted(signed)),
        sie_checks=tuple(sie_checks),
        sie_notes=tuple(sie_notes),
        year_labels=year_labels,
        full_year_only=tuple(full_year),
        # The sign each file was read in: a second read of the same files needs no judging again.
        file_signs={name: "report" if report else "ledger" for name, report in is_report.items()},
        row_hashes=np.concatenate(hashes) if hashes else None,
        rows_as_read=as_read,
    )
