"""The ledger files -> one ledger: each file's format found by its content (one dispatcher for
every format), read, normalised, signs decided, and concatenated."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import LoadError
from ..ledger import DIMENSIONS, HEADER_KEYS, FullYearOnly, Ledger, SieCheck, concat, counted_rows
from .csv import read_csv
from .hashing import RowHashing
from .normalise import normalise
from .options import Limits, ReadOptions, Source
from .parquet import read_parquet
from .sie import read_sie
from .table import FilterOnly, HeaderPlanner, NoHeader, Planner, Table, describe, found_cells, header_names
from .xlsx import DEFAULT_LIMITS, read_xlsx

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
    limits: Limits = DEFAULT_LIMITS,
) -> Table:
    """Read one ledger file of a table format (file_format: 'xlsx', 'parquet' or 'csv')."""
    if kind == "xlsx":
        return read_xlsx(path, plan, sheet, limits)
    if kind == "parquet":
        return read_parquet(path, plan, collapse, filter_only, hashing)
    return read_csv(path, plan, encoding, delimiter, collapse, filter_only, hashing, limits)


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
            limits=options.limits,
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
    is_report = _given_signs(names, options)
    undecided = _judge_by_personnel(frames, names, is_report, notes)
    _follow_decided(undecided, names, is_report, notes)
    for frame, name in zip(frames, names, strict=True):
        if is_report[name]:
            frame["amount"] = -frame["amount"]
    return is_report


def _given_signs(names: list[str], options: ReadOptions) -> dict[str, bool]:
    """Per file whose sign is given (--sign NAME=MODE, else --sign MODE, not auto): whether it
    is report sign."""
    is_report: dict[str, bool] = {}
    for name in names:
        mode = options.file_signs.get(name, options.sign)
        if mode != "auto":
            is_report[name] = mode == "report"
    return is_report


def _judge_by_personnel(
    frames: list[pd.DataFrame], names: list[str], is_report: dict[str, bool], notes: list[str]
) -> list[str]:
    """Into `is_report`: each file not yet decided whose personnel costs do not sum to 0, by
    their sign. The files they cannot decide, in order."""
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
    return undecided


def _follow_decided(undecided: list[str], names: list[str], is_report: dict[str, bool], notes: list[str]) -> None:
    """Into `is_report`: each undecided file in the sign of the decided files, if they agree;
    else a LoadError that asks for --sign (of that file, where there are several)."""
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


@dataclass
class _Files:
    """The ledger files read so far: each a frame still in its own sign, and what it says
    beside its rows."""

    # None: not every file's rows were hashed (RowHashing), so no file's hashes are kept
    hashes: list[np.ndarray] | None
    frames: list[pd.DataFrame] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    headers: dict[str, list[str]] = field(default_factory=dict)
    sie_checks: list[SieCheck] = field(default_factory=list)
    sie_notes: list[str] = field(default_factory=list)
    year_labels: dict[int, str] = field(default_factory=dict)
    full_year: list[FullYearOnly] = field(default_factory=list)
    signed: set[str] = field(default_factory=set)  # files whose sign is known: SIE is debit + by definition
    as_read: bool = True  # every row is a row of a file, with every column read (nothing summed)
    unterminated: list[str] = field(default_factory=list)  # text files without a last line end: name:line
    code_names: dict[str, dict[str, str]] = field(default_factory=dict)  # SIE #OBJEKT names, per column

    def add_sie(self, source: Source, options: ReadOptions) -> None:
        """An SIE file: ledger rows already, and its checks, notes and fiscal years."""
        self.hashes = None  # read row by row: the ledger's own rows are there to compare
        if source.version:
            raise LoadError(
                f"{source.path.name}: an SIE file holds its own versions (outcome, budget): "
                "give it as LEDGER, not with --budget/--forecast/--outcome"
            )
        # Texts and voucher ids: for a read of every column (reconcile, convert, accounts)
        details = options.columns is None or "text" in options.columns
        # #KONTO names: only where asked for by name (accounts, drill-down), not on a read of
        # every column: #TRANS rows carry no name, and convert writes the rows as read
        names = options.columns is None or "account_name" in options.columns  # every column, or asked for
        # #OBJEKT names of the dimensions asked for by name (the drill-down's), not on every read
        objects = tuple(c for c in options.columns or () if c in DIMENSIONS)
        sie = read_sie(source.path, options.encoding, options.dims, details=details, names=names, objects=objects)
        for column, found in sie.object_names.items():
            self.code_names.setdefault(column, {}).update(found)
        self.notes += sie.notes
        self.sie_notes += sie.notes
        self.sie_checks += sie.checks
        self.year_labels.update(sie.year_labels)
        self.full_year += sie.full_year
        self.signed.add(source.path.name)
        self.headers[source.path.name] = [c for c in sie.frame.columns if c not in ("source", "line")]
        self._add(source, sie.frame, [])

    def add_table(self, source: Source, kind: str, options: ReadOptions) -> None:
        """A CSV, XLSX or Parquet file, read and normalised, with its rows' hashes if read."""
        table = read_source(source, kind, options)
        normalised = normalise(table, source.version, options.extra_versions, options.year)
        frame, found = normalised.frame, normalised.problems
        self.notes += normalised.notes
        self.full_year += normalised.full_year
        self.as_read &= table.as_read
        if self.hashes is not None and table.row_hashes is not None and table.row_hashes.rows == counted_rows(frame):
            self.hashes.append(table.row_hashes.candidates)
        else:
            self.hashes = None
        self.headers[source.path.name] = [c.strip() for c in table.columns.header if c.strip()]
        self._add(source, frame, found)

    def _add(self, source: Source, frame: pd.DataFrame, found: list[str]) -> None:
        if (last := unterminated_line(source.path)) is not None:
            self.unterminated.append(f"{source.path.name}:{last}")
        self.problems += found
        self.frames.append(frame)
        self.names.append(source.path.name)

    def ledger(self, frame: pd.DataFrame, is_report: dict[str, bool]) -> Ledger:
        """The Ledger of these files' rows, `frame`, read in the signs `is_report`."""
        return Ledger(
            frame,
            notes=tuple(self.notes),
            headers=self.headers,
            sie_files=tuple(sorted(self.signed)),
            sie_checks=tuple(self.sie_checks),
            sie_notes=tuple(self.sie_notes),
            year_labels=self.year_labels,
            full_year_only=tuple(self.full_year),
            # The sign each file was read in: a second read of the same files needs no judging again.
            file_signs={name: "report" if report else "ledger" for name, report in is_report.items()},
            row_hashes=np.concatenate(self.hashes) if self.hashes else None,
            rows_as_read=self.as_read,
            unterminated=tuple(self.unterminated),
            code_names=self.code_names,
        )


def unterminated_line(path: Path) -> int | None:
    """The number of a text file's last line where it has no line end (the file may have been
    cut off there), else None. Workbooks and Parquet have no lines: None."""
    with path.open("rb") as handle:
        if handle.read(4) in (ZIP, PARQUET) or not handle.seek(0, 2):
            return None
        handle.seek(-1, 2)
        if handle.read(1) in (b"\n", b"\r", b"\x1a"):  # (0x1A: the DOS end-of-file mark some SIE files end with)
            return None
        handle.seek(0)
        lines = 1
        while block := handle.read(16 << 20):
            lines += block.count(b"\n")
        return lines


def same_content(sources: list[Source]) -> list[str]:
    """Files that hold the same bytes under two names (an export saved twice, or given once
    as LEDGER and once with --budget): their rows would count twice. Only files of equal size
    are read and hashed, so a usual call costs one stat per file."""
    by_size: dict[int, list[Path]] = {}
    for source in sources:
        by_size.setdefault(source.path.stat().st_size, []).append(source.path)
    problems = []
    for paths in by_size.values():
        if len(paths) < 2:
            continue
        seen: dict[bytes, Path] = {}
        for path in paths:
            digest = _digest(path)
            if digest in seen:
                problems.append(
                    f"{path.name} holds the same content as {seen[digest].name}: its rows would count twice; "
                    "give each export once"
                )
            else:
                seen[digest] = path
    return problems


def _digest(path: Path) -> bytes:
    import hashlib

    digest = hashlib.blake2b(digest_size=32)
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.digest()


def load_ledger(sources: list[Source], options: ReadOptions) -> Ledger:
    """Read, check and concatenate ledger files. Raises LoadError with every problem found.

    SIE files (sie.py) come as ledger rows already; what they say about themselves (vouchers
    that do not balance, #RES that differs) is kept in Ledger.sie_checks for reconcile, and
    their fiscal-year labels ('2015/16') in Ledger.year_labels.
    """
    files = _Files(hashes=[] if options.hashing is not None else None)
    files.problems += same_content(sources)  # with every other problem of the files
    for source in sources:
        try:
            kind = file_format(source.path)
            if kind == "sie":
                files.add_sie(source, options)
            else:
                files.add_table(source, kind, options)
        except LoadError as error:
            files.problems += error.problems
    if files.problems and options.collapse:
        # Read again row by row: each bad row is then named, and counted, as itself.
        return load_ledger(sources, replace(options, collapse=False))
    if files.problems:
        raise LoadError(files.problems)
    if not any(len(f) for f in files.frames):
        raise LoadError(f"{', '.join(files.names)}: no ledger rows below the header")
    _add_rows_columns(files.frames)
    is_report = _decide_signs(
        files.frames,
        files.names,
        replace(options, file_signs={**dict.fromkeys(files.signed, "ledger"), **options.file_signs}),
        files.notes,
    )
    return files.ledger(_concatenated(files.frames), is_report)


def _add_rows_columns(frames: list[pd.DataFrame]) -> None:
    """Where some files were read collapsed (a `rows` column), a `rows` column of 1 for the others."""
    if any("rows" in f for f in frames):  # some files read collapsed: every row counts its rows
        for frame in frames:
            if "rows" not in frame:
                frame["rows"] = np.ones(len(frame), dtype="int64")


def _concatenated(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The frames as one, its code and text columns categorical."""
    ledger = concat(frames)
    for key in ("account", "version", "source", *DIMENSIONS, "text", "account_name"):
        if key in ledger and not isinstance(ledger[key].dtype, pd.CategoricalDtype):
            ledger[key] = ledger[key].astype("category")
    return ledger
