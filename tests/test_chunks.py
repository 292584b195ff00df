"""CSV read in chunks of whole lines (csv_reader.CHUNK_BYTES) gives what one read of the whole file
gives: the same rows, öre and line numbers, the same errors on the same lines, for UTF-8 and
for cp1252 (kept as bytes until the distinct codes are decoded). And a collapsed read that
keeps one code per filter verdict (ReadOptions.filter_only) filters to the same tables.

The chunks here are tens or hundreds of bytes, so that a ledger of a hundred lines spans
many of them; every expectation is computed from the lines as written, in plain Python.
"""

from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from pathlib import Path

import pytest
from conftest import EXAMPLES, run

from kfollow.errors import LoadError, OptionError
from kfollow.ledger import filter_mask, filter_verdict
from kfollow.read import ReadOptions, Source, blocks, load_ledger
from kfollow.read import csv as csv_reader

DEFAULT_CHUNK = csv_reader.CHUNK_BYTES
DEFAULT_BLOCK = csv_reader.BLOCK_BYTES
CHUNKS = [50, 200, 1000, DEFAULT_CHUNK]

HEADER = "år;period;version;konto;ansvar;verksamhet;text;belopp"
# (cell as written, öre): thousands as space and NBSP, minus as en dash (0x96 in cp1252)
AMOUNTS = [
    ("1 234,50", 123450),
    ("1\u00a0234,50", 123450),
    ("–1 234,50", -123450),
    ("-5,00", -500),
    ("12", 1200),
    ("0,75", 75),
    ("1\u00a0000\u00a0000,05", 100000005),
    ("–0,01", -1),
    ("–12", -1200),
    ('"12 345,67"', 1234567),  # quoted
]
ACCOUNTS = ["3111", "5011", "6511", "9111"]
VERSIONS = ["utfall", "budget", "prognos"]
ANSVAR = ["KSÅ1", "KSÄ2", "KSÖ3", "2100", "Läs"]
VERKSAMHET = ["10100", "Öst28", "28910", "Väst1", "289Å"]
TEXTS = ["Löner månadsavlönade", "Köp av tjänster, Ågrenska", "Övriga intäkter", 'Konsult; "Ågren" AB', ""]


def entries(count: int = 120) -> list[tuple]:
    """(år, period, version, konto, ansvar, verksamhet, text, (amount cell, öre)) per data line."""
    return [
        (
            2023 + i % 2,
            1 + i % 12,
            VERSIONS[i % 3],
            ACCOUNTS[(i // 3) % 4],
            ANSVAR[i % 5],
            VERKSAMHET[(i // 2) % 5],
            TEXTS[i % 5] or None,
            AMOUNTS[i % len(AMOUNTS)],
        )
        for i in range(count)
    ]


def line_of(entry: tuple) -> str:
    year, period, version, account, ansvar, verksamhet, text, (cell, _) = entry
    if text and (";" in text or '"' in text):
        text = '"' + text.replace('"', '""') + '"'
    return ";".join([str(year), str(period), version, account, ansvar, verksamhet, text or "", cell])


def expected_records(rows: list[tuple], first_line: int = 2) -> dict:
    """line -> (år, period, version, konto, ansvar, verksamhet, text, öre), from the rows written."""
    return {
        first_line + i: (year, period, version, account, ansvar, verksamhet, text, ore)
        for i, (year, period, version, account, ansvar, verksamhet, text, (_, ore)) in enumerate(rows)
    }


def expected_sums(rows: list[tuple]) -> dict:
    """(konto, version, år, period) -> [öre, rows], plain Python."""
    sums: dict = defaultdict(lambda: [0, 0])
    for year, period, version, account, _, _, _, (_, ore) in rows:
        sums[(account, version, year, period)][0] += ore
        sums[(account, version, year, period)][1] += 1
    return dict(sums)


def records(ledger) -> dict:
    out = {}
    for row in ledger.itertuples(index=False):
        text = None if not isinstance(row.text, str) else row.text
        record = (int(row.year), int(row.period), str(row.version), str(row.account), row.ansvar, row.verksamhet)
        out[int(row.line)] = (*record, text, int(row.amount))
    assert len(out) == len(ledger), "two rows with one line number"
    return out


def sums(ledger, keep=None) -> dict:
    """(konto, version, år, period) -> [öre, ledger rows], counting the rows a collapsed read summed."""
    if keep is not None:
        ledger = ledger[keep]
    counts = ledger["rows"].tolist() if "rows" in ledger else [1] * len(ledger)
    out: dict = defaultdict(lambda: [0, 0])
    columns = zip(ledger["account"], ledger["version"], ledger["year"], ledger["period"], strict=True)
    for (account, version, year, period), ore, count in zip(columns, ledger["amount"].tolist(), counts, strict=True):
        key = (str(account), str(version), int(year), int(period))
        out[key][0] += int(ore)
        out[key][1] += int(count)
    return dict(out)


def write_file(path: Path, lines: list[str], encoding: str, newline: str = "\n") -> Path:
    path.write_bytes((newline.join(lines) + newline).encode(encoding))
    return path


def load(path: Path, **options: object):
    ledger = load_ledger([Source(path)], ReadOptions(sign="ledger", **options)).frame  # type: ignore[arg-type]
    return ledger


@pytest.fixture
def chunks(monkeypatch: pytest.MonkeyPatch):
    """Set CHUNK_BYTES (and BLOCK_BYTES) for this test."""

    def set_sizes(chunk: int, block: int = DEFAULT_BLOCK) -> None:
        monkeypatch.setattr(csv_reader, "CHUNK_BYTES", chunk)
        monkeypatch.setattr(csv_reader, "BLOCK_BYTES", block)
        if chunk < DEFAULT_CHUNK:  # the first chunk holds at least the sample: keep it small too
            monkeypatch.setattr(csv_reader, "SAMPLE_BYTES", 300)

    return set_sizes


def cli_error(result) -> str:
    assert result.exit_code == 3, (result.exit_code, result.output)
    assert "Traceback" not in result.output and result.stdout == ""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.stderr


# --- a) the same rows, öre and lines whatever the chunk size -------------------------------------


@pytest.mark.parametrize(
    ("chunk", "block"),
    [(50, DEFAULT_BLOCK), (200, DEFAULT_BLOCK), (1000, 128), (DEFAULT_CHUNK, DEFAULT_BLOCK)],
)
@pytest.mark.parametrize(
    ("encoding", "newline"),
    [("utf-8", "\n"), ("utf-8-sig", "\n"), ("cp1252", "\n"), ("cp1252", "\r\n")],
    ids=["utf-8", "utf-8-bom", "cp1252", "cp1252-crlf"],
)
def test_tiny_chunks_read_every_line(tmp_path: Path, chunks, encoding: str, newline: str, chunk: int, block: int):
    rows = entries()
    path = write_file(tmp_path / "ledger.csv", [HEADER, *map(line_of, rows)], encoding, newline)
    assert chunk == DEFAULT_CHUNK or path.stat().st_size > 6 * chunk  # many chunks
    chunks(chunk, block)

    ledger = load(path)
    got = records(ledger)
    assert got == expected_records(rows)
    assert sorted(got) == list(range(2, 2 + len(rows)))
    assert sums(ledger) == expected_sums(rows)
    # Spot checks of what the rows say, written out: line 4 is the third entry.
    assert got[4] == (2023, 3, "prognos", "3111", "KSÖ3", "Öst28", "Övriga intäkter", -123450)
    assert got[5] == (2024, 4, "utfall", "5011", "2100", "Öst28", 'Konsult; "Ågren" AB', -500)
    assert got[8] == (2023, 7, "utfall", "6511", "KSÄ2", "Väst1", "Köp av tjänster, Ågrenska", 100000005)

    collapsed = load(path, collapse=True, columns=frozenset())
    assert sums(collapsed) == expected_sums(rows)


def test_the_spot_checks_are_the_lines_written() -> None:
    """The spot checks above, against the text of the lines themselves."""
    rows = entries()
    assert line_of(rows[2]) == "2023;3;prognos;3111;KSÖ3;Öst28;Övriga intäkter;–1 234,50"
    assert line_of(rows[3]) == '2024;4;utfall;5011;2100;Öst28;"Konsult; ""Ågren"" AB";-5,00'
    assert line_of(rows[6]) == "2023;7;utfall;6511;KSÄ2;Väst1;Köp av tjänster, Ågrenska;1\u00a0000\u00a0000,05"
    assert "1\u00a0234,50".encode("cp1252") == b"1\xa0234,50" and "–".encode("cp1252") == b"\x96"


@pytest.mark.parametrize("chunk", [200, 1000])
def test_cp1252_first_seen_past_the_sample_in_a_later_chunk(tmp_path: Path, chunks, monkeypatch, chunk: int):
    """The sniffed sample is ASCII (so UTF-8); a later chunk holds cp1252 bytes (å as 0xE5): the
    file is read again as cp1252, every line with its own text."""
    monkeypatch.setattr(csv_reader, "SAMPLE_BYTES", 256)
    ascii_rows = [(2024, 1, "utfall", "5011", "2100", "10100", "Arvoden", ("100,00", 10000))] * 10
    rows = ascii_rows + entries(60)
    path = write_file(
        tmp_path / "ledger.csv",
        ["ar;period;version;konto;ansvar;verksamhet;text;belopp", *map(line_of, rows)],
        "cp1252",
    )
    data = path.read_bytes()
    assert data[:256].isascii() and b"\xe5" in data[256:]
    chunks(chunk)
    ledger = load(path)
    assert records(ledger) == expected_records(rows)
    assert sums(ledger) == expected_sums(rows)


# --- b) bad cells named by their file line, in whichever chunk ---------------------------------

BAD_CELLS = {20: "12,345", 47: "1 234,567", 90: "–7,001", 118: "tolv kronor"}  # entry index -> cell


@pytest.mark.parametrize(("chunk", "collapse"), [(50, False), (200, True), (DEFAULT_CHUNK, False)])
@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_bad_amounts_in_later_chunks_are_each_named(tmp_path: Path, chunks, encoding: str, chunk: int, collapse: bool):
    lines = [HEADER, *map(line_of, entries())]
    for index, cell in BAD_CELLS.items():
        lines[1 + index] = lines[1 + index].rsplit(";", 1)[0] + ";" + cell
    path = write_file(tmp_path / "ledger.csv", lines, encoding)
    chunks(chunk, 128 if chunk == 200 else DEFAULT_BLOCK)
    with pytest.raises(LoadError) as error:
        load(path, collapse=collapse, columns=frozenset() if collapse else None)
    problems = error.value.problems
    assert len(problems) == len(BAD_CELLS), problems
    for problem, (index, cell) in zip(problems, BAD_CELLS.items(), strict=True):
        assert problem.startswith(f"ledger.csv:{index + 2}: column 'belopp': {cell!r}: not an amount"), problem


@pytest.mark.parametrize("chunk", [50, 200, DEFAULT_CHUNK])
@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_ragged_lines_in_later_chunks_are_named(tmp_path: Path, chunks, encoding: str, chunk: int):
    lines = [HEADER, *map(line_of, entries())]
    lines[1 + 70] = "2024;5;utfall;5011;KSÅ1;10100;1,00"  # 7 fields: line 72
    lines[1 + 111] = "2024;5;utfall;5011;KSÅ1;10100;Lön;1,00;extra"  # 9 fields: line 113
    path = write_file(tmp_path / "ledger.csv", lines, encoding)
    chunks(chunk)
    with pytest.raises(LoadError) as error:
        load(path)
    assert error.value.problems == [
        "ledger.csv:72: 7 fields where the header has 8",
        "ledger.csv:113: 9 fields where the header has 8",
    ]


@pytest.mark.parametrize("chunk", [100, DEFAULT_CHUNK])
def test_ragged_cp1252_line_through_the_cli(tmp_path: Path, chunks, config: Path, chunk: int):
    """A cp1252 file (å as 0xE5) with a line of 7 fields on line 90: exit 3, the line named."""
    lines = [HEADER, *map(line_of, entries())]
    lines[1 + 88] = "2024;5;utfall;5011;KSÅ1;10100;1,00"
    path = write_file(tmp_path / "ledger.csv", lines, "cp1252")
    chunks(chunk)
    err = cli_error(run("variance", path, "--config", config, "--sign", "ledger", ok=False))
    assert "ledger.csv:90: 7 fields where the header has 8" in err, err


# --- c) bytes cp1252 has no character for, in a later chunk -------------------------------------


def cp1252_with(byte: int, index: int, count: int = 120) -> bytes:
    """The cp1252 ledger with `byte` after the ansvar code of entry `index` (file line index + 2)."""
    lines = [line.encode("cp1252") for line in [HEADER, *map(line_of, entries(count))]]
    cells = lines[1 + index].split(b";")
    cells[4] += bytes([byte])
    lines[1 + index] = b";".join(cells)
    return b"\n".join(lines) + b"\n"


@pytest.mark.parametrize(
    ("chunk", "byte"),
    [(50, 0x81), (200, 0x81), (200, 0x8D), (200, 0x8F), (200, 0x90), (200, 0x9D), (DEFAULT_CHUNK, 0x81)],
)
def test_undefined_cp1252_byte_in_a_later_chunk(tmp_path: Path, chunks, byte: int, chunk: int):
    path = tmp_path / "ledger.csv"
    path.write_bytes(cp1252_with(byte, 99))  # line 101, in the last chunks
    chunks(chunk)
    with pytest.raises(LoadError) as error:
        load(path)
    (problem,) = error.value.problems
    assert problem.startswith(f"ledger.csv:101: byte 0x{byte:02x} cannot be read as cp1252"), problem
    assert "--encoding" in problem


def test_undefined_byte_on_the_last_line_without_a_line_end(tmp_path: Path, chunks):
    path = tmp_path / "ledger.csv"
    data = cp1252_with(0x81, 119).rstrip(b"\n")
    assert not data.endswith(b"\n") and data.rsplit(b"\n", 1)[1].count(b"\x81") == 1
    path.write_bytes(data)
    chunks(50)
    with pytest.raises(LoadError) as error:
        load(path)
    assert error.value.problems[0].startswith("ledger.csv:121: byte 0x81")


@pytest.mark.parametrize("chunk", [100, DEFAULT_CHUNK])
def test_undefined_byte_in_a_later_chunk_through_the_cli(tmp_path: Path, chunks, config: Path, chunk: int):
    path = tmp_path / "ledger.csv"
    path.write_bytes(cp1252_with(0x81, 95))  # line 97
    chunks(chunk)
    err = cli_error(run("variance", path, "--config", config, "--sign", "ledger", ok=False))
    assert "ledger.csv:97: byte 0x81" in err
    assert "--encoding" in err


@pytest.mark.parametrize("given", [None, "cp1252"])
def test_undefined_byte_past_the_sample_in_a_later_chunk(tmp_path: Path, chunks, monkeypatch, config: Path, given):
    """The sample (256 bytes here) holds no undefined byte: only the chunk reader can find it,
    with the encoding sniffed (å in the sample) or given."""
    monkeypatch.setattr(csv_reader, "SAMPLE_BYTES", 256)
    path = tmp_path / "ledger.csv"
    path.write_bytes(cp1252_with(0x8F, 100))  # line 102
    assert b"\x8f" not in path.read_bytes()[:256] and b"\xe5" in path.read_bytes()[:256]
    chunks(200)
    options = ["--encoding", given] if given else []
    err = cli_error(run("variance", path, "--config", config, "--sign", "ledger", *options, ok=False))
    assert "ledger.csv:102: byte 0x8f" in err
    assert "--encoding" in err


def test_a_valid_cp1252_file_reads_through_the_cli_with_tiny_chunks(tmp_path: Path, chunks, config: Path):
    """The same file without the undefined byte prints the same table with 100-byte chunks."""
    path = write_file(tmp_path / "ledger.csv", [HEADER, *map(line_of, entries())], "cp1252")
    outputs = []
    for chunk in (DEFAULT_CHUNK, 100):
        chunks(chunk)
        args = ("variance", path, "--config", config, "--sign", "ledger", "--unit", "kr", "--format", "json")
        outputs.append(json.loads(run(*args).stdout))
    assert outputs[0] == outputs[1]
    assert outputs[0]["rows"], outputs[0]


def test_utf8_given_for_a_cp1252_byte_past_the_sample(tmp_path: Path, chunks, monkeypatch):
    """--encoding utf-8, and 'å' as cp1252 (0xE5) first on line 100, past the sample and in a
    later chunk: the line and byte are named."""
    monkeypatch.setattr(csv_reader, "SAMPLE_BYTES", 256)
    ascii_rows = [(2024, 1, "utfall", "5011", "2100", "10100", "Arvoden", ("100,00", 10000))] * 98
    rows = [*ascii_rows, (2024, 2, "utfall", "5011", "2100", "10100", "Lön", ("1,00", 100))]
    path = write_file(
        tmp_path / "ledger.csv",
        ["ar;period;version;konto;ansvar;verksamhet;text;belopp", *map(line_of, rows)],
        "cp1252",
    )
    chunks(200)
    with pytest.raises(LoadError) as error:
        load(path, encoding="utf-8")
    (problem,) = error.value.problems
    assert problem.startswith("ledger.csv:100: byte 0xf6 cannot be read as utf-8"), problem
    assert "--encoding" in problem


# --- d) title rows, BOM, blank lines ------------------------------------------------------------

TITLE = ["Huvudbok Kommunstyrelsen 2024 – export från ekonomisystemet", "Belopp i kr;;;", ""]


@pytest.mark.parametrize("chunk", CHUNKS)
@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "cp1252"])
def test_title_rows_above_the_header(tmp_path: Path, chunks, encoding: str, chunk: int):
    """The header on line 4, under a title, a note and a blank line: rows from line 5 on."""
    rows = entries(60)
    path = write_file(tmp_path / "ledger.csv", [*TITLE, HEADER, *map(line_of, rows)], encoding)
    chunks(chunk)
    ledger = load(path)
    assert records(ledger) == expected_records(rows, first_line=5)
    assert sums(ledger) == expected_sums(rows)


@pytest.mark.parametrize("chunk", [50, 200, DEFAULT_CHUNK])
def test_bom_and_title_row_keep_error_lines(tmp_path: Path, chunks, chunk: int):
    """A BOM, a title row, and a bad amount on file line 40."""
    rows = entries(60)
    lines = [TITLE[0], HEADER, *map(line_of, rows)]
    lines[39] = lines[39].rsplit(";", 1)[0] + ";12,345"
    path = write_file(tmp_path / "ledger.csv", lines, "utf-8-sig")
    chunks(chunk)
    with pytest.raises(LoadError) as error:
        load(path)
    assert [p.split(" column")[0] for p in error.value.problems] == ["ledger.csv:40:"]


@pytest.mark.parametrize("chunk", [50, DEFAULT_CHUNK])
@pytest.mark.parametrize("layout", ["yyyy-mm", "year-and-period"])
@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_blank_lines_in_the_middle_keep_line_numbers(tmp_path: Path, chunks, encoding: str, layout: str, chunk: int):
    """Blank lines (and a line of empty cells) hold no row; the rows after them keep their
    file lines. With a year column the periods are integers (read as int32); in YYYY-MM
    they are text."""
    rows = entries(80)
    header, lines = HEADER, [line_of(row) for row in rows]
    if layout == "yyyy-mm":  # '2023;3;…' -> '2023-03;…'
        header = HEADER.removeprefix("år;")
        lines = [f"{year}-{int(period):02d};{rest}" for year, period, rest in (line.split(";", 2) for line in lines)]
    empty_cells = ";" * header.count(";")
    blanks = {10: [""], 30: ["", ""], 55: [empty_cells], 79: [""]}  # entry index -> lines above it
    text, expected = [header], {}
    for index, (row, line) in enumerate(zip(rows, lines, strict=True)):
        text += blanks.get(index, [])
        text.append(line)
        year, period, version, account, ansvar, verksamhet, cell_text, (_, ore) = row
        expected[len(text)] = (year, period, version, account, ansvar, verksamhet, cell_text, ore)
    assert sorted(expected)[9:13] == [11, 13, 14, 15] and max(expected) == 86
    path = write_file(tmp_path / "ledger.csv", text, encoding)
    chunks(chunk)
    ledger = load(path)
    assert records(ledger) == expected
    assert sums(ledger) == expected_sums(rows)


@pytest.mark.parametrize("chunk", [50, 200, DEFAULT_CHUNK])
@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_no_line_end_after_the_last_line(tmp_path: Path, chunks, encoding: str, chunk: int):
    rows = entries(41)
    path = tmp_path / "ledger.csv"
    path.write_bytes("\n".join([HEADER, *map(line_of, rows)]).encode(encoding))
    chunks(chunk)
    ledger = load(path)
    assert records(ledger) == expected_records(rows)
    assert max(records(ledger)) == 42


@pytest.mark.parametrize("chunk", [50, DEFAULT_CHUNK])
def test_blank_lines_at_the_end(tmp_path: Path, chunks, chunk: int):
    """Trailing blank lines (as some exports end) hold no rows."""
    rows = entries(40)
    path = write_file(tmp_path / "ledger.csv", [HEADER, *map(line_of, rows), "", ""], "utf-8")
    chunks(chunk)
    ledger = load(path)
    assert records(ledger) == expected_records(rows)


# --- e) a filter-only column keeps one code per verdict, and filters the same ------------------

FILTER_HEADER = "år;period;version;konto;verksamhet;belopp"
FILTER_CODES = [
    "10100", "10200", "11000", "28100", "28200", "289", "2891", "28910", "28920",
    "28930", "28999", "2890A", " 28940", "30100", "31000", "2", "28", "",
]  # fmt: skip
FILTER_ACCOUNTS = ["3111", "5011", "5021", "6511"]


def kronor(ore: int, minus: str) -> str:
    """öre -> Swedish amount text: -123456 -> '-1 234,56' (minus as given)."""
    whole, cents = divmod(abs(ore), 100)
    return (minus if ore < 0 else "") + f"{whole:,}".replace(",", " ") + f",{cents:02d}"


def filter_entries(count: int = 500) -> list[tuple[int, int, str, str, str, int]]:
    """(år, period, version, konto, verksamhet as written, öre): few combinations but for
    verksamhet, so that a collapsed read sums most rows."""
    rng = random.Random(20240831)
    return [
        (
            2024,
            1 + rng.randrange(3),
            rng.choice(VERSIONS),
            rng.choice(FILTER_ACCOUNTS),
            rng.choice(FILTER_CODES),
            rng.randrange(-(10**8), 10**8),
        )
        for _ in range(count)
    ]


def filter_file(path: Path, rows: list[tuple], encoding: str = "utf-8") -> Path:
    lines = [FILTER_HEADER]
    for i, (year, period, version, account, verksamhet, ore) in enumerate(rows):
        amount = kronor(ore, "–" if i % 2 else "-")
        lines.append(f"{year};{period};{version};{account};{verksamhet};{amount}")
    return write_file(path, lines, encoding)


def kept_sums(rows: list[tuple], where: list, exclude: list) -> dict:
    """(konto, version, år, period) -> [öre, rows] of the rows the filters keep, in plain
    Python: a rule holds where the code (stripped; never an empty one) starts with a prefix."""

    def hit(row: tuple, name: str, prefixes: tuple[str, ...]) -> bool:
        code = {"konto": row[3], "verksamhet": row[4].strip()}[name.lower()]
        return bool(code) and any(code.startswith(prefix) for prefix in prefixes)

    out: dict = defaultdict(lambda: [0, 0])
    for row in rows:
        if all(hit(row, *rule) for rule in where) and not any(hit(row, *rule) for rule in exclude):
            year, period, version, account, _, ore = row
            out[(account, version, year, period)][0] += ore
            out[(account, version, year, period)][1] += 1
    return dict(out)


FILTERS = {
    "exclude-289": ([], [("verksamhet", ("289",))]),
    "where-1-or-289": ([("verksamhet", ("1", "289"))], []),
    "where-and-exclude-one-column": ([("verksamhet", ("28",))], [("verksamhet", ("2891", "28930"))]),
    "where-konto-exclude-verksamhet": ([("konto", ("5",))], [("verksamhet", ("289",))]),
    "two-where-in-capitals": ([("Verksamhet", ("2",)), ("verksamhet", ("28", "3"))], [("VERKSAMHET", ("2899",))]),
}


def read_both(paths: list[Path], where: list, exclude: list):
    """The ledger read row by row, and collapsed with verksamhet read for the filters only."""
    sources = [Source(path) for path in paths]
    columns = frozenset({"verksamhet"})
    full = load_ledger(sources, ReadOptions(sign="ledger", columns=columns)).frame
    verdict = filter_verdict("verksamhet", where, exclude)
    options = ReadOptions(sign="ledger", columns=columns, collapse=True, filter_only={"verksamhet": verdict})
    collapsed = load_ledger(sources, options).frame
    return full, collapsed


ALL_CODES = {code.strip() for code in FILTER_CODES if code.strip()}


def combinations(rows: list[tuple]) -> set:
    """The (konto, version, år, period) of the rows."""
    return {(account, version, year, period) for year, period, version, account, _, _ in rows}


def filter_files(directory: Path, rows: list[tuple], files: int) -> list[Path]:
    """The rows in one UTF-8 file, or split over a UTF-8 and a cp1252 file."""
    if files == 1:
        return [filter_file(directory / "ledger.csv", rows)]
    half = len(rows) // 2
    return [filter_file(directory / "a.csv", rows[:half]), filter_file(directory / "b.csv", rows[half:], "cp1252")]


@pytest.mark.parametrize(("chunk", "files"), [(300, 1), (DEFAULT_CHUNK, 1), (300, 2)])
@pytest.mark.parametrize(("where", "exclude"), FILTERS.values(), ids=FILTERS)
def test_filter_only_column_filters_to_the_same_sums(tmp_path: Path, chunks, monkeypatch, where, exclude, chunk, files):
    monkeypatch.setattr(blocks, "MERGE_ROWS", 250)  # merges across blocks (which alone do not halve)
    chunks(chunk, 128 if chunk == 300 else DEFAULT_BLOCK)
    rows = filter_entries()
    full, collapsed = read_both(filter_files(tmp_path, rows, files), where, exclude)

    expected = kept_sums(rows, where, exclude)
    kept = sum(count for _, count in expected.values())
    assert 0 < kept < len(rows)  # the filters keep some rows and drop some
    assert sums(full, filter_mask(full, where, exclude)) == expected
    assert sums(collapsed, filter_mask(collapsed, where, exclude)) == expected
    assert sums(collapsed) == sums(full) == kept_sums(rows, [], [])  # unfiltered too

    # The collapsed rows hold one code per verdict (and empty cells), far fewer rows than
    # lines; the column's categories still list every code in the file.
    used = set(collapsed["verksamhet"].dropna().astype(str))
    assert len(used) <= 2 * files and used <= ALL_CODES
    assert len(collapsed) <= 3 * files * len(combinations(rows)) < len(rows)
    assert set(collapsed["verksamhet"].cat.categories) == ALL_CODES
    assert set(full["verksamhet"].cat.categories) == ALL_CODES


@pytest.mark.parametrize(
    ("where", "exclude"),
    [([("verksamhet", ("999",))], []), ([("verksamhet", ("289",))], [("verksamhet", ("289",))])],
    ids=["no-such-code", "where-and-exclude-cancel"],
)
def test_filters_that_leave_no_rows_name_real_codes(tmp_path: Path, chunks, where, exclude):
    """The message lists codes of the file (from the categories), not only the one or two
    codes a collapsed read kept in its rows; and counts every line's row."""
    chunks(300, 128)
    rows = filter_entries()
    full, collapsed = read_both(filter_files(tmp_path, rows, 1), where, exclude)
    messages = []
    for ledger in (full, collapsed):
        with pytest.raises(OptionError) as error:
            filter_mask(ledger, where, exclude)
        messages.append(str(error.value))
    assert messages[0] == messages[1]
    message = messages[1]
    assert f"leave none of the ledger's {len(rows)} rows" in message
    shown = {code for listed in re.findall(r"verksamhet: ([^;]*)", message) for code in listed.split(", ")}
    assert len(shown & ALL_CODES) >= 2, message
    assert shown - ALL_CODES <= {f"… ({len(ALL_CODES)} codes)"}, message
    kept_codes = set(collapsed["verksamhet"].dropna().astype(str))
    assert len(kept_codes) == 1 and shown & (ALL_CODES - kept_codes)  # not only the representative


# --- f) end to end through the CLI -------------------------------------------------------------

VARIANCE = ("variance", "--config", EXAMPLES / "kfollow.toml", "--sign", "ledger", "--format", "json")


def variance_json(path: Path, *options: str) -> str:
    command, *rest = VARIANCE
    return run(command, path, *rest, *options).stdout


def test_variance_json_is_the_same_with_100_byte_chunks(chunks) -> None:
    """examples/ks-2024.csv (cp1252, 4 456 lines) with --exclude verksamhet=289."""
    path = EXAMPLES / "ks-2024.csv"
    chunks(DEFAULT_CHUNK)
    default = variance_json(path, "--exclude", "verksamhet=289")
    chunks(100)
    tiny = variance_json(path, "--exclude", "verksamhet=289")
    assert tiny == default
    table = json.loads(default)
    labels = [row["label"] for row in table["rows"]]
    assert "Verksamhetens intäkter" in labels and "Kommunbidrag" in labels
    chunks(DEFAULT_CHUNK)
    assert variance_json(path) != default  # the filter takes rows away


@pytest.mark.parametrize("option", ["--exclude", "--where"])
def test_variance_json_of_the_utf8_copy_is_the_same(tmp_path: Path, chunks, option: str) -> None:
    """The example converted to UTF-8, read in 1 000-byte chunks, prints what the cp1252
    original prints in one chunk: both for the rows outside 289 and those in it."""
    original = EXAMPLES / "ks-2024.csv"
    copy = tmp_path / "ks-2024.csv"
    copy.write_text(original.read_text("cp1252"), "utf-8")
    chunks(DEFAULT_CHUNK)
    default = variance_json(original, option, "verksamhet=289", "--unit", "kr")
    chunks(1000, 4096)
    assert variance_json(copy, option, "verksamhet=289", "--unit", "kr") == default
