"""Fuzz: mutations of the example files through variance, reconcile, accounts and convert
(issue 13 item 4).

Every run must end cleanly (fuzzing.unclean: exit 0, 1 for reconcile's findings, 2 or 3;
only `Error:`/`Warning:`/`Note:` lines on stderr, none over 1000 characters, no traceback, no
internal error) and, where it exits 0, print what an independent reader of the same bytes
computes (fuzzing.judge): the Drift table, the converted rows, the account sums, reconcile's
row count, its duplicates and its note on a last line without a line end. Where that reader
refuses the bytes (an amount that is not strictly Swedish, an undecodable byte, a NUL in a
code, data rows above the header, ...), kfollow must refuse them too.

Mutations are drawn by hypothesis, derandomized (the same ones in every run, on every
machine), without shrinking: each test runs all its examples and lists every failure, grouped.
Binary formats (xlsx, Parquet, SIE with its checksum), where no cheap independent reader is at
hand, must give the unmutated file's table or refuse. Bombs (xlsx sheets that declare or reach
huge sizes) need a process of their own: they are in test_hostile_inputs.py, in one batch.
"""

from __future__ import annotations

import html
import json
import os
import re
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import EXAMPLES
from fuzzing import (
    REFUSALS,
    Ledger,
    Number,
    Refused,
    Run,
    config_rules,
    delete_lines,
    duplicate_lines,
    field_spans,
    flip,
    invoke,
    judge,
    mutant,
    read_csv_bytes,
    read_rows,
    replace_at,
    split_lines,
    strict_ore,
    swap_lines,
    unclean,
    xlsx_with_sheet,
)
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

CSV = EXAMPLES / "ks-2024.csv"
XLSX = EXAMPLES / "ks-2024.xlsx"
SIE = EXAMPLES / "ks-2024.se"
CONFIG = EXAMPLES / "kfollow.toml"
AMOUNT = -1  # the amount (belopp) is the last field of the example's lines
TEXT = 8  # the free text field

Oracle = Callable[[], tuple[Ledger, dict[str, str]]]


def fuzz(examples: int) -> settings:
    """Reproducible (derandomize), no deadline, no shrinking (every example runs; failures are
    collected and listed, not shrunk). KFOLLOW_FUZZ_SCALE=N runs N times the examples (a deeper
    sweep by hand; CI runs the default)."""
    return settings(
        max_examples=examples * int(os.environ.get("KFOLLOW_FUZZ_SCALE", "1")),
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


COMMANDS = {
    "variance": ("--format", "json", "--unit", "kr"),
    "reconcile": ("--format", "json"),
    "accounts": ("--format", "csv"),
    "convert": (),
}


def run_command(command: str, ledger: Path, config: Path = CONFIG) -> Run:
    options = () if command == "convert" else ("--config", config)
    return invoke(command, ledger, *options, *COMMANDS[command])


class Sweep:
    """Runs mutants through commands and collects what failed, grouped by what went wrong."""

    def __init__(self, folder: Path, name: str) -> None:
        self.path = folder / name
        self.failures: dict[str, list[str]] = defaultdict(list)
        self.runs = 0
        self.outcomes: Counter[str] = Counter()  # "variance exit 3": how the runs ended

    def check(self, what: str, data: bytes, commands: tuple[str, ...], oracle: Oracle, config: Path = CONFIG) -> None:
        self.path.write_bytes(data)
        cached: list[tuple[Ledger, dict[str, str]]] = []
        refused: list[Refused] = []

        def once() -> tuple[Ledger, dict[str, str]]:
            if refused:
                raise refused[0]
            if not cached:
                try:
                    cached.append(oracle())
                except Refused as error:
                    refused.append(error)
                    raise
            return cached[0]

        for command in commands:
            run = run_command(command, self.path, config)
            self.record(what, run, judge(run, once, note=self.path.suffix == ".csv"))

    def record(self, what: str, run: Run, problems: list[str]) -> None:
        self.runs += 1
        self.outcomes[f"{run.command} exit {run.exit_code}"] += 1
        for problem in problems:
            self.failures[_kind(run.command, problem)].append(f"{what}: {problem} | {run.first_error()[:160]}")

    def assert_clean(self) -> None:
        _write_notes(f"{self.path.name}: {self.runs} runs: {dict(sorted(self.outcomes.items()))}")
        if not self.failures:
            return
        lines = [f"{sum(map(len, self.failures.values()))} failures in {self.runs} runs:"]
        for kind, examples in sorted(self.failures.items(), key=lambda item: -len(item[1])):
            lines.append(f"[{len(examples)}x] {kind}")
            lines += [f"    {example}" for example in examples[:3]]
        pytest.fail("\n".join(lines), pytrace=False)


def _kind(command: str, problem: str) -> str:
    """A failure's class: the problem with its numbers, names and quotes taken out."""
    shape = re.sub(r"'[^']*'|\"[^\"]*\"|\d[\d ]*", "#", problem)
    return f"{command}: {shape[:110]}"


def _write_notes(summary: str) -> None:
    """KFOLLOW_FUZZ_NOTES=FILE: how each sweep's runs ended, and the refusals of input the oracle
    reads (fuzzing.REFUSALS), for a look at what the sweeps reach."""
    target = os.environ.get("KFOLLOW_FUZZ_NOTES")
    if target:
        with open(target, "a", encoding="utf-8") as notes:
            notes.write("\n".join([summary, *REFUSALS]) + "\n")
    REFUSALS.clear()


# --- the example files and their oracles --------------------------------------------------------


@pytest.fixture(scope="module")
def rules() -> dict[str, str]:
    return config_rules(CONFIG.read_text("utf-8"))


@pytest.fixture(scope="module")
def csv_bytes() -> bytes:
    return CSV.read_bytes()  # cp1252, CRLF


@pytest.fixture(scope="module")
def utf8_bytes(csv_bytes: bytes) -> bytes:
    return csv_bytes.decode("cp1252").encode("utf-8")


@pytest.fixture(scope="module")
def quoted_bytes(utf8_bytes: bytes) -> bytes:
    """The example with its text field quoted ("Köp av verksamhet, kommunalförbund")."""
    lines = []
    for line in split_lines(utf8_bytes):
        cells = line.rstrip(b"\r\n").split(b";")
        cells[TEXT] = b'"' + cells[TEXT] + b'"'
        lines.append(b";".join(cells) + b"\r\n")
    return b"".join(lines)


def csv_oracle(data: bytes, rules: dict[str, str]) -> Oracle:
    return lambda: (read_csv_bytes(data), rules)


def test_the_oracle_reads_the_examples_as_kfollow_does(
    tmp_path: Path, rules: dict[str, str], csv_bytes: bytes, utf8_bytes: bytes, quoted_bytes: bytes
) -> None:
    """The reference for every other test: unmutated, every command agrees with the oracle."""
    sweep = Sweep(tmp_path, "ks-2024.csv")
    sweep.check("cp1252", csv_bytes, tuple(COMMANDS), csv_oracle(csv_bytes, rules))
    for what, data in (("utf-8", utf8_bytes), ("quoted", quoted_bytes)):
        sweep.check(what, data, ("variance", "convert"), csv_oracle(data, rules))
    assert not sweep.failures, dict(sweep.failures)


# --- CSV: cut off ---------------------------------------------------------------------------------


def test_csv_cut_anywhere(tmp_path: Path, rules: dict[str, str], csv_bytes: bytes) -> None:
    sweep = Sweep(tmp_path, "ks-2024.csv")

    @fuzz(10)
    @given(st.integers(1, len(csv_bytes) - 1), st.sampled_from(["reconcile", "accounts", "convert"]))
    def one(at: int, other: str) -> None:
        data = csv_bytes[:at]
        sweep.check(f"cut at byte {at}", data, ("variance", other), csv_oracle(data, rules))

    one()
    sweep.assert_clean()


@pytest.mark.parametrize("variant", ["cp1252", "utf-8"])
def test_csv_cut_inside_an_amount(
    tmp_path: Path, rules: dict[str, str], variant: str, csv_bytes: bytes, utf8_bytes: bytes
) -> None:
    """'357 515,17' cut to '357 5', '357 515,', '357 51': read right, or refused."""
    source = csv_bytes if variant == "cp1252" else utf8_bytes
    spans = field_spans(source, AMOUNT)
    sweep = Sweep(tmp_path, "ks-2024.csv")

    @fuzz(8)
    @given(st.sampled_from(spans), st.integers(1, 9), st.sampled_from(["reconcile", "convert"]))
    def one(span: tuple[int, int], into: int, other: str) -> None:
        start, end = span
        data = source[: start + min(into, end - start - 1)]
        sweep.check(f"cut to {data[start:]!r}", data, ("variance", other), csv_oracle(data, rules))

    one()
    sweep.assert_clean()


def test_csv_cut_inside_a_quoted_field(tmp_path: Path, rules: dict[str, str], quoted_bytes: bytes) -> None:
    spans = field_spans(quoted_bytes, TEXT)
    sweep = Sweep(tmp_path, "ks-2024.csv")

    @fuzz(6)
    @given(st.sampled_from(spans), st.integers(1, 30))
    def one(span: tuple[int, int], into: int) -> None:
        start, end = span
        data = quoted_bytes[: start + min(into, end - start - 1)]
        sweep.check(f"cut to {data[start:]!r}", data, ("variance", "reconcile"), csv_oracle(data, rules))

    one()
    sweep.assert_clean()


def test_csv_cut_inside_a_multibyte_character(tmp_path: Path, rules: dict[str, str], utf8_bytes: bytes) -> None:
    """UTF-8 cut between the two bytes of 'ö': the file is UTF-8 in part, not in whole."""
    starts = [m.start() + 1 for m in re.finditer(rb"[\xc3][\x80-\xbf]", utf8_bytes)]
    sweep = Sweep(tmp_path, "ks-2024.csv")

    @fuzz(4)
    @given(st.sampled_from(starts))
    def one(at: int) -> None:
        data = utf8_bytes[:at]
        sweep.check(
            f"cut at byte {at}, inside {utf8_bytes[at - 1 : at + 1]!r}", data, ("variance",), csv_oracle(data, rules)
        )

    one()
    sweep.assert_clean()


# --- CSV: bytes changed ---------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["cp1252", "utf-8"])
def test_csv_byte_flips(
    tmp_path: Path, rules: dict[str, str], variant: str, csv_bytes: bytes, utf8_bytes: bytes
) -> None:
    source = csv_bytes if variant == "cp1252" else utf8_bytes
    sweep = Sweep(tmp_path, "ks-2024.csv")

    @fuzz(10)
    @given(st.integers(0, len(source) - 1), st.integers(1, 255), st.sampled_from(["reconcile", "accounts", "convert"]))
    def one(at: int, xor: int, other: str) -> None:
        data = flip(source, at, xor)
        what = f"byte {at} {source[at : at + 1]!r} -> {data[at : at + 1]!r}"
        sweep.check(what, data, ("variance", other), csv_oracle(data, rules))

    one()
    sweep.assert_clean()


AMOUNT_BYTES = [b"0", b"1", b"5", b"9", b" ", b",", b".", b"-", b"+", b"e", b"E", b"\xa0", b"\x00", b"\t", b"'", b"O"]


def test_csv_byte_changes_inside_amounts(tmp_path: Path, rules: dict[str, str], csv_bytes: bytes) -> None:
    """A byte of an amount changed: exit 0 only with the amount the strict parser reads."""
    spans = field_spans(csv_bytes, AMOUNT)
    sweep = Sweep(tmp_path, "ks-2024.csv")

    @fuzz(24)
    @given(st.sampled_from(spans), st.integers(0, 12), st.sampled_from(AMOUNT_BYTES), st.booleans())
    def one(span: tuple[int, int], into: int, byte: bytes, insert: bool) -> None:
        start, end = span
        at = start + min(into, end - start - 1)
        data = replace_at(csv_bytes, at, byte, 0 if insert else 1)
        what = f"{csv_bytes[start:end]!r} -> {data[start : end + len(data) - len(csv_bytes)]!r}"
        sweep.check(what, data, ("variance", "convert") if into % 3 == 0 else ("variance",), csv_oracle(data, rules))

    one()
    sweep.assert_clean()


def test_csv_nuls(tmp_path: Path, rules: dict[str, str], csv_bytes: bytes) -> None:
    """A NUL inserted or written over a byte anywhere, in an account code, or a run of them."""
    accounts = field_spans(csv_bytes, 3)
    sweep = Sweep(tmp_path, "ks-2024.csv")

    @fuzz(10)
    @given(st.integers(0, len(csv_bytes) - 1), st.sampled_from(accounts), st.sampled_from(["any", "konto", "run"]))
    def one(at: int, account: tuple[int, int], where: str) -> None:
        if where == "konto":
            at = account[0] + at % (account[1] - account[0])
        data = replace_at(csv_bytes, at, b"\x00" * (4096 if where == "run" else 1), 0 if where == "run" else 1)
        sweep.check(f"NUL ({where}) at byte {at}", data, ("variance", "convert"), csv_oracle(data, rules))

    one()
    sweep.assert_clean()


def test_csv_unbalanced_quotes(tmp_path: Path, rules: dict[str, str], csv_bytes: bytes) -> None:
    """A quote opened at the start of a field (or inside one) and never closed."""
    sweep = Sweep(tmp_path, "ks-2024.csv")
    lines = split_lines(csv_bytes)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    @fuzz(6)
    @given(st.integers(1, len(lines) - 1), st.integers(0, 9), st.integers(0, 3))
    def one(line: int, field: int, offset: int) -> None:
        body = lines[line]
        fields = [0] + [m.end() for m in re.finditer(rb";", body)]
        at = starts[line] + fields[min(field, len(fields) - 1)] + offset
        data = replace_at(csv_bytes, at, b'"', 0)
        sweep.check(f"quote at line {line + 1}, byte {at}", data, ("variance", "reconcile"), csv_oracle(data, rules))

    one()
    sweep.assert_clean()


# --- CSV: lines deleted, swapped, duplicated --------------------------------------------------------


def test_csv_lines_deleted_swapped_duplicated(tmp_path: Path, rules: dict[str, str], csv_bytes: bytes) -> None:
    """The table of the lines that are there; reconcile's row count and duplicates follow."""
    count = len(split_lines(csv_bytes))
    sweep = Sweep(tmp_path, "ks-2024.csv")
    # Line 0 (the header) comes up often: data rows above the header must be refused.
    line = st.one_of(st.just(0), st.integers(0, 6), st.integers(0, count - 1))

    @fuzz(20)
    @given(st.sampled_from(["delete", "swap", "duplicate"]), st.lists(line, min_size=1, max_size=3), line)
    def one(operation: str, lines: list[int], other: int) -> None:
        if operation == "delete":
            data = delete_lines(csv_bytes, lines)
        elif operation == "swap":
            data = swap_lines(csv_bytes, lines[0], other)
        else:
            data = duplicate_lines(csv_bytes, lines)
        what = f"{operation} {lines if operation != 'swap' else [lines[0], other]}"
        # reconcile counts the rows and finds the duplicates; variance prints the table
        commands = ("variance", "reconcile") if operation == "duplicate" or other % 3 == 0 else ("variance",)
        sweep.check(what, data, commands, csv_oracle(data, rules))

    one()
    sweep.assert_clean()


# --- CSV: encodings ---------------------------------------------------------------------------------


def reencodings(csv_bytes: bytes, utf8_bytes: bytes) -> Iterator[tuple[str, bytes]]:
    text = csv_bytes.decode("cp1252")
    yield "utf-8", utf8_bytes
    yield "utf-8 with BOM", b"\xef\xbb\xbf" + utf8_bytes
    yield "utf-16 (BOM, LE)", text.encode("utf-16")
    yield "utf-16-be with BOM", b"\xfe\xff" + text.encode("utf-16-be")
    yield "utf-16-le without BOM", text.encode("utf-16-le")
    yield "cp1252 read twice as utf-8 (mojibake, valid UTF-8)", text.encode("utf-8").decode("cp1252").encode("utf-8")
    for fraction in (0.02, 0.5, 0.9):  # 0.9: past the 256 KB sample
        at = utf8_bytes.index("ö".encode(), int(len(utf8_bytes) * fraction))
        yield f"a latin-1 ö at byte {at} of UTF-8", replace_at(utf8_bytes, at, b"\xf6", 2)
    lines = split_lines(csv_bytes)
    middle = len(lines) // 2
    mixed = b"".join(line.decode("cp1252").encode("utf-8") if i == middle else line for i, line in enumerate(lines))
    yield f"cp1252 with line {middle + 1} in UTF-8", mixed


def test_csv_reencoded(tmp_path: Path, rules: dict[str, str], csv_bytes: bytes, utf8_bytes: bytes) -> None:
    sweep = Sweep(tmp_path, "ks-2024.csv")
    for what, data in reencodings(csv_bytes, utf8_bytes):
        sweep.check(what, data, ("variance", "accounts"), csv_oracle(data, rules))
    sweep.assert_clean()


# --- amounts of every kind (hypothesis) -------------------------------------------------------------

SMALL = "år;period;version;konto;belopp\n2024;1;utfall;5011;1 000,00\n2024;1;budget;5011;2 000,00\n"
DIGITS = "0123456789"
OTHER_DIGITS = "０１２３４５６７８９٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹०१२३"
amount_texts = st.one_of(
    # Well-formed Swedish amounts, in every dialect of SPEC §1.
    st.builds(
        lambda sign, whole, sep, decimals: sign + f"{whole:,}".replace(",", sep) + decimals,
        st.sampled_from(["", "-", "\u2212", "\u2013", "\u2013 "]),
        st.integers(0, 10**13),
        st.sampled_from([" ", "\u00a0", "\u202f", ""]),
        st.sampled_from(["", ",5", ",05", ".75", ",00"]),
    ),
    # Anything made of what amounts are made of.
    st.text(alphabet=DIGITS + " ,.-+eE\u2212\u2013\u00a0" + OTHER_DIGITS[:6], min_size=1, max_size=14),
    st.sampled_from(["1e15", "4e-4", "1 2 3", "357 5", "２７４ ７８４,７０", "٢٧٤", "1,000.50", "12 345,678", "0x10"]),
)


def test_amount_texts(tmp_path: Path, rules: dict[str, str]) -> None:
    """Exit 0 only with the strict Swedish reading of the amount; else exit 3 naming file:line."""
    sweep = Sweep(tmp_path, "ledger.csv")
    failures: list[str] = []

    @fuzz(80)
    @given(amount_texts)
    def one(text: str) -> None:
        if ";" in text or "\n" in text:
            return
        data = (SMALL + f"2024;2;utfall;5011;{text}\n").encode("utf-8")
        sweep.path.write_bytes(data)
        run = run_command("variance", sweep.path)
        problems = judge(run, csv_oracle(data, rules))
        if run.exit_code == 3 and strict_ore(text) is None and "ledger.csv:4" not in run.stderr:
            problems.append("the error does not name ledger.csv:4")
        failures.extend(f"{text!r}: exit {run.exit_code}: {p} | {run.first_error()[:120]}" for p in problems)

    one()
    assert not failures, f"{len(failures)} amounts read wrong or refused unclearly:\n" + "\n".join(failures[:40])


# --- xlsx ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def xlsx_bytes() -> bytes:
    return XLSX.read_bytes()


@pytest.fixture(scope="module")
def xlsx_sheet() -> bytes:
    with zipfile.ZipFile(XLSX) as workbook:
        return workbook.read("xl/worksheets/sheet1.xml")


def test_xlsx_byte_flips_and_cuts(tmp_path: Path, rules: dict[str, str], csv_bytes: bytes, xlsx_bytes: bytes) -> None:
    """A damaged zip: the unmutated table (the zip's checksums) or a clean refusal."""
    sweep = Sweep(tmp_path, "ks-2024.xlsx")
    oracle = csv_oracle(csv_bytes, rules)  # the example's xlsx and csv hold the same rows

    @fuzz(16)
    @given(st.integers(0, len(xlsx_bytes) - 1), st.integers(1, 255), st.sampled_from(["flip", "flip", "cut"]))
    def one(at: int, xor: int, operation: str) -> None:
        data = flip(xlsx_bytes, at, xor) if operation == "flip" else xlsx_bytes[:at]
        sweep.check(f"{operation} at byte {at}", data, ("variance",) if at % 3 else ("variance", "reconcile"), oracle)

    one()
    sweep.assert_clean()


def xlsx_cells(sheet: bytes) -> list[list[object]]:
    """The sheet's rows of cells (numbers as Number), by their A1 references: the oracle's view
    of sheet1.xml, read with regular expressions (the example writes inline strings only)."""
    rows: list[list[object]] = []
    for row in re.finditer(rb'<row r="(\d+)"[^>]*>(.*?)</row>', sheet, re.S):
        number = int(row[1])
        while len(rows) < number:
            rows.append([])
        rows[number - 1] = xlsx_row(row[2])
    return rows


def xlsx_row(row: bytes) -> list[object]:
    cells: list[object] = [""] * 11  # A–K: the example's columns
    for cell in re.finditer(rb'<c r="([A-Z]+)\d+"([^>]*)>(.*?)</c>', row, re.S):
        column = ord(cell[1].decode()[-1]) - ord("A")
        # entities and character references (&#229;: openpyxl writes them where lxml is installed)
        text = html.unescape(re.sub(rb"<[^>]+>", b"", cell[3]).decode("utf-8"))
        cells[column] = Number(text) if b't="n"' in cell[2] or b"t=" not in cell[2] else text
    return cells


def xlsx_cells_changed(original: list[list[object]], sheet: bytes, at: int) -> list[list[object]]:
    """xlsx_cells of a sheet changed at byte `at` only: the row around it read again."""
    start = sheet.rindex(b"<row ", 0, at)
    end = sheet.index(b"</row>", at)
    match = re.match(rb'<row r="(\d+)"', sheet[start:])
    assert match
    rows = list(original)
    rows[int(match[1]) - 1] = xlsx_row(sheet[sheet.index(b">", start) + 1 : end])
    return rows


def test_xlsx_cell_values_changed(tmp_path: Path, rules: dict[str, str], xlsx_sheet: bytes) -> None:
    """A character of a cell's value changed inside sheet1.xml (a valid zip): exit 0 only with
    the value the changed cell holds (numbers: an xsd:double of kronor with ≤ 2 decimals)."""
    values = [(m.start(1), m.end(1)) for m in re.finditer(rb"<(?:v|t)>([^<]+)</(?:v|t)>", xlsx_sheet)][6:]
    sweep = Sweep(tmp_path, "ks-2024.xlsx")
    alphabet = [*b"0123456789 .,-+eEx", 0xC2]
    original = xlsx_cells(xlsx_sheet)

    @fuzz(20)
    @given(st.sampled_from(values), st.integers(0, 12), st.sampled_from(alphabet))
    def one(span: tuple[int, int], into: int, byte: int) -> None:
        at = span[0] + into % (span[1] - span[0])
        sheet = replace_at(xlsx_sheet, at, bytes([byte]) if byte < 0x80 else "\u00a0".encode())
        data = xlsx_with_sheet(XLSX, sheet)
        what = f"{xlsx_sheet[span[0] : span[1]]!r} -> {sheet[span[0] : span[1] + len(sheet) - len(xlsx_sheet)]!r}"
        sweep.check(what, data, ("variance",), lambda: (read_rows(xlsx_cells_changed(original, sheet, at)), rules))

    one()
    sweep.assert_clean()


def test_xlsx_sheet_cut_inside_a_valid_zip(tmp_path: Path, rules: dict[str, str], xlsx_sheet: bytes) -> None:
    """sheet1.xml cut off (the zip itself whole): malformed XML is refused, not read in part."""
    sweep = Sweep(tmp_path, "ks-2024.xlsx")

    @fuzz(4)
    @given(st.integers(2000, len(xlsx_sheet) - 1))
    def one(at: int) -> None:
        data = xlsx_with_sheet(XLSX, xlsx_sheet[:at])
        sweep.check(f"sheet1.xml cut at {at} of {len(xlsx_sheet)}", data, ("variance",), _refused)

    one()
    sweep.assert_clean()


def _refused() -> tuple[Ledger, dict[str, str]]:
    raise Refused("a damaged file")


# --- SIE ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sie_tables() -> dict[str, bytes]:
    data = SIE.read_bytes()
    plain = b"".join(line for line in split_lines(data) if not line.startswith(b"#KSUMMA"))
    return {"checksummed": data, "plain": plain}


SIE_AMOUNT = re.compile(rb"^#(?:PSALDO|PBUDGET) \S+ \S+ \S+ \{[^}]*\} (\S+)|^#RES \S+ \S+ (\S+)", re.M)


def test_sie_mutations(tmp_path: Path, rules: dict[str, str], sie_tables: dict[str, bytes]) -> None:
    """Checksummed (#KSUMMA): the unmutated table or a refusal. Without the checksum: a clean
    end, and exit 0 only where a changed amount is still a SIE amount (-?digits[.dd])."""
    sweep = Sweep(tmp_path, "ks-2024.se")
    original = run_command("variance", SIE).stdout

    @fuzz(16)
    @given(
        st.sampled_from(["checksummed", "plain"]),
        st.sampled_from(["flip", "flip amount", "cut", "delete", "duplicate", "swap"]),
        st.integers(0, 10**9),
        st.integers(1, 255),
    )
    def one(variant: str, operation: str, at: int, xor: int) -> None:
        source = sie_tables[variant]
        data, amount = _sie_mutant(source, operation, at, xor)
        sweep.path.write_bytes(data)
        run = run_command("variance", sweep.path)
        problems = unclean(run)
        if run.exit_code == 0 and variant == "checksummed" and run.stdout != original:
            problems.append("exit 0 with another table from a file whose #KSUMMA does not match")
        if run.exit_code == 0 and amount is not None and not re.fullmatch(rb"-?[0-9]+(\.[0-9]{1,2})?", amount):
            problems.append(f"exit 0 with the amount {amount!r}")
        sweep.record(f"{variant} {operation} {at}/{xor}", run, problems)

    one()
    sweep.assert_clean()


def _sie_mutant(source: bytes, operation: str, at: int, xor: int) -> tuple[bytes, bytes | None]:
    """The mutated file, and the amount token a "flip amount" left (else None)."""
    if operation != "flip amount":
        return mutant(source, operation, at, xor), None
    amounts = list(SIE_AMOUNT.finditer(source))
    match = amounts[at % len(amounts)]
    group = 1 if match.start(1) >= 0 else 2
    position = match.start(group) + xor % (match.end(group) - match.start(group))
    data = flip(source, position, 1 << (xor % 7))
    return data, re.split(rb"\s", data[match.start(group) :], maxsplit=1)[0]


# --- kfollow.toml ---------------------------------------------------------------------------------------


def test_config_mutations(tmp_path: Path, csv_bytes: bytes) -> None:
    """kfollow.toml damaged: the Drift table by the rules it still states, or exit 2; unknown
    sections and keys, and a prefix given twice (" 91 " and "91"), are refused."""
    config = CONFIG.read_bytes()
    ledger = tmp_path / "ks-2024.csv"
    ledger.write_bytes(csv_bytes)
    sweep = Sweep(tmp_path, "kfollow.toml")

    @fuzz(20)
    @given(st.sampled_from(["flip", "cut", "delete", "duplicate", "swap"]), st.integers(0, 10**9), st.integers(1, 255))
    def one(operation: str, at: int, xor: int) -> None:
        data = mutant(config, operation, at, xor)

        def oracle() -> tuple[Ledger, dict[str, str]]:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                raise Refused("kfollow.toml is not UTF-8") from None
            return read_csv_bytes(csv_bytes), config_rules(text)

        sweep.path.write_bytes(data)
        run = run_command("variance", ledger, sweep.path)
        sweep.record(f"{operation} {at}/{xor}", run, judge(run, oracle))

    one()
    sweep.assert_clean()


# --- Parquet ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def parquet_files(tmp_path_factory: pytest.TempPathFactory, csv_bytes: bytes) -> dict[str, bytes]:
    """The example as Parquet (codes as text, belopp decimal(18, 2)), written by pyarrow: as is
    (snappy, no checksums) and with page checksums."""
    folder = tmp_path_factory.mktemp("parquet")
    table = pq.read_table(_example_parquet(folder, csv_bytes))
    out = {}
    for variant, options in (("plain", {}), ("checksummed", {"write_page_checksum": True})):
        path = folder / f"{variant}.parquet"
        pq.write_table(table, path, row_group_size=1000, **options)
        out[variant] = path.read_bytes()
    return out


def _data_pages(data: bytes, folder: Path) -> list[tuple[int, int]]:
    """(start, end) of every column chunk's pages: checksums cover them, not the footer."""
    path = folder / "probe.parquet"
    path.write_bytes(data)
    metadata = pq.ParquetFile(path).metadata
    spans = []
    for group in range(metadata.num_row_groups):
        for column in range(metadata.num_columns):
            chunk = metadata.row_group(group).column(column)
            start = chunk.dictionary_page_offset or chunk.data_page_offset
            spans.append((start, start + chunk.total_compressed_size))
    return spans


def test_parquet_mutations(
    tmp_path: Path, rules: dict[str, str], csv_bytes: bytes, parquet_files: dict[str, bytes]
) -> None:
    """Parquet damaged: a clean end always; with page checksums, a flip inside the pages gives
    the unmutated table or a refusal (kfollow must verify the checksums a file carries)."""
    sweep = Sweep(tmp_path, "ks-2024.parquet")
    oracle = csv_oracle(csv_bytes, rules)
    pages = _data_pages(parquet_files["checksummed"], tmp_path)

    @fuzz(16)
    @given(st.sampled_from(["plain", "checksummed"]), st.sampled_from(["flip", "flip", "cut"]), st.integers(0, 10**9))
    def one(variant: str, operation: str, at: int) -> None:
        source = parquet_files[variant]
        if operation == "cut":
            data = source[: at % len(source)]
        elif variant == "checksummed":
            start, end = pages[at % len(pages)]
            data = flip(source, start + at % (end - start), 1 << (at % 8))
        else:
            data = flip(source, at % len(source), 1 << (at % 8))
        if variant == "plain":  # nothing can tell a flipped value in an unchecked page: clean only
            sweep.path.write_bytes(data)
            run = run_command("variance", sweep.path)
            sweep.record(f"plain {operation} at {at}", run, unclean(run))
            return
        sweep.check(f"{variant} {operation} at {at}", data, ("variance",), oracle)

    one()
    sweep.assert_clean()


def test_parquet_page_checksums_are_verified(tmp_path: Path, rules: dict[str, str], csv_bytes: bytes) -> None:
    """Not in issue 13's list, found by test_parquet_mutations: a file that carries page checksums
    (CRC-32, written by pyarrow's write_page_checksum) and has a flipped bit in an amount must
    not give a table with another amount. Uncompressed and plain (no dictionary) so the flip
    lands in a value, not in what a decoder would notice."""
    path = tmp_path / "ks-2024.parquet"
    table = pq.read_table(_example_parquet(tmp_path, csv_bytes))
    pq.write_table(table, path, compression="NONE", use_dictionary=False, write_page_checksum=True)
    data = path.read_bytes()
    # The first row's amount (274 784,70 kr), as the file holds it: 8 bytes, big-endian öre.
    value = read_csv_bytes(csv_bytes).rows[0].ore.to_bytes(8, "big", signed=True)
    path.write_bytes(flip(data, data.index(value) + 5, 0x01))  # ± 65 536 öre: 655,36 kr
    run = run_command("variance", path)
    assert unclean(run) == [], unclean(run)
    if run.exit_code == 0:
        problems = judge(run, csv_oracle(csv_bytes, rules))
        pytest.fail(f"exit 0 from a file whose page checksum does not match: {problems or 'the same table'}")
    assert run.exit_code == 3 and "ks-2024.parquet" in run.stderr, run.stderr


def _example_parquet(folder: Path, csv_bytes: bytes) -> Path:
    path = folder / "example.parquet"
    ledger = read_csv_bytes(csv_bytes)
    names = ["år", "period", "version", "konto", "ansvar", "verksamhet", "aktivitet", "projekt", "text"]
    arrays = {name: pa.array([str(row.cells[i]) for row in ledger.rows]) for i, name in enumerate(names)}
    arrays["år"] = pa.array([row.year for row in ledger.rows])
    arrays["period"] = pa.array([row.month for row in ledger.rows])
    arrays["belopp"] = pa.array([Decimal(row.ore).scaleb(-2) for row in ledger.rows], pa.decimal128(18, 2))
    pq.write_table(pa.table(arrays), path, row_group_size=1000)
    return path


def test_the_binary_examples_agree_with_the_oracle(
    tmp_path: Path, rules: dict[str, str], csv_bytes: bytes, parquet_files: dict[str, bytes], xlsx_bytes: bytes
) -> None:
    """The reference of the binary formats' sweeps: unmutated, they give the CSV's table."""
    sweep = Sweep(tmp_path, "ks-2024.parquet")
    for variant, data in parquet_files.items():
        sweep.check(variant, data, ("variance", "reconcile"), csv_oracle(csv_bytes, rules))
    xlsx = Sweep(tmp_path, "ks-2024.xlsx")
    xlsx.check("xlsx", xlsx_bytes, ("variance", "reconcile"), csv_oracle(csv_bytes, rules))
    assert not sweep.failures and not xlsx.failures, (dict(sweep.failures), dict(xlsx.failures))
    assert json.loads(run_command("variance", XLSX).stdout)["year"] == 2024
