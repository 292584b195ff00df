"""CSV and Parquet files that would be read wrong in silence or crash (issue 13, SPEC §1 and §7):
each is a clean `Error:` naming file and line (exit 3), or the right result.

The ledgers are the small GOOD ledger of test_errors.py (header on line 1, rows 2–10) with the
one hostile thing added, so that the line numbers are easy to check.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from conftest import KOMMUNBIDRAG, run
from test_errors import GOOD, HEADER, ledger

from kfollow.errors import QUOTE_LIMIT
from kfollow.read import csv as csv_reader


def kfollow(*args: object):
    return run(*args, ok=False)


def outcome_2024(path: Path, tmp_path: Path, *args: object) -> dict[str, int]:
    """The Drift table's outcome column (kr) of a ledger, by row label."""
    config = tmp_path / "kfollow.toml"
    config.write_text(KOMMUNBIDRAG)
    result = run("variance", path, "--config", config, "--format", "json", "--unit", "kr", "--through", "2", *args)
    rows = json.loads(result.stdout)["rows"]
    return {row["label"]: row["values"]["outcome"] for row in rows}


def assert_clean_error(result, *parts: str) -> str:
    """Exit 3, nothing on stdout, every stderr line an `Error:`, no traceback; the parts named."""
    assert result.exit_code == 3, (result.exit_code, result.stderr, result.stdout)
    assert result.stdout == ""
    assert all(line.startswith("Error: ") for line in result.stderr.splitlines()), result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    for part in parts:
        assert part in result.stderr, (part, result.stderr)
    return result.stderr


# --- encodings -----------------------------------------------------------------------------------

PADDING = "2024;1;budget;5011;100;10100;0,00\n"  # rows that change no figure, to pass SAMPLE_BYTES


def test_a_file_utf8_in_part_past_the_sample_is_refused_at_its_first_bad_line(tmp_path: Path) -> None:
    """UTF-8 with å/ä/ö, then one cp1252 byte after the first 256 KB: read as cp1252 it would
    garble every letter of the UTF-8 part. The first line that is not UTF-8 is named."""
    rows = (csv_reader.SAMPLE_BYTES // len(PADDING)) + 10
    text = "år;period;version;konto;ansvar;verksamhet;text;belopp\n" + PADDING.replace(";0,00", ";Lön;0,00") * rows
    bad_line = rows + 2
    data = text.encode("utf-8") + "2024;1;utfall;5011;100;10100;Lön;1,00\n".encode("cp1252")
    path = tmp_path / "mixed.csv"
    path.write_bytes(data)
    stderr = assert_clean_error(kfollow("variance", path, "-q"), f"mixed.csv:{bad_line}: byte 0xf6 is not UTF-8")
    assert "--encoding" in stderr


def test_a_file_utf8_in_part_within_the_sample_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        ledger("2024;2;utfall;5011;200;10100;10,00").replace("år", "år", 1).encode("utf-8")
        + "2024;2;utfall;5011;Lön;10100;10,00\n".encode("cp1252")
    )
    assert_clean_error(kfollow("variance", path, "-q"), "mixed.csv:12: byte 0xf6 is not UTF-8")


def test_a_cp1252_file_still_reads_as_cp1252(tmp_path: Path) -> None:
    """ASCII up to the first byte that is not UTF-8 is no UTF-8 part: the file is cp1252."""
    path = tmp_path / "cp.csv"
    path.write_bytes(ledger().encode("cp1252"))
    assert outcome_2024(path, tmp_path)["Personalkostnader"] == -400


def test_a_byte_that_is_no_utf8_in_a_column_not_read_stops_the_load(tmp_path: Path) -> None:
    """variance reads no text column; a damaged byte there is still a damaged file (SPEC §1:
    an undecodable byte anywhere)."""
    header = "år;period;version;konto;ansvar;verksamhet;text;belopp"
    body = "".join(line.rsplit(";", 1)[0] + ";Lön;" + line.rsplit(";", 1)[1] + "\n" for line in GOOD.splitlines())
    path = tmp_path / "late.csv"
    path.write_bytes((header + "\n" + body).encode("utf-8") + b"2024;2;utfall;5011;100;10100;L\xf6n;1,00\n")
    assert_clean_error(kfollow("variance", path, "-q"), "late.csv:11: byte 0xf6 is not UTF-8")


# --- NUL, quotes, long fields --------------------------------------------------------------------


def test_an_all_nul_file_is_named_binary_without_echoing_it(tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    path.write_bytes(b"\0" * 100_000)
    stderr = assert_clean_error(kfollow("variance", path), "nul.csv:1: a NUL byte", "--encoding utf-16")
    assert len(stderr) < 400


def test_a_nul_past_the_sample_names_its_line(tmp_path: Path) -> None:
    rows = (csv_reader.SAMPLE_BYTES // len(PADDING)) + 10
    path = tmp_path / "late-nul.csv"
    path.write_bytes((HEADER + "\n" + PADDING * rows).encode() + b"2024;2;utfall;50\x0011;100;10100;1,00\n")
    assert_clean_error(kfollow("variance", path, "-q"), f"late-nul.csv:{rows + 2}: column 'konto': a NUL byte")


def test_an_unbalanced_quote_names_the_line_it_opens_on(tmp_path: Path) -> None:
    path = tmp_path / "quote.csv"
    path.write_text(ledger('2024;2;utfall;5011;"100;10100;10,00', "2024;2;utfall;5011;100;10100;20,00"))
    assert_clean_error(kfollow("variance", path, "-q"), "quote.csv:11:", "quote '\"' unbalanced")


def test_an_unbalanced_quote_that_swallows_a_big_file_is_refused_by_the_cell_limit(tmp_path: Path) -> None:
    """The rest of the file becomes one field, longer than a block of Arrow's and than the
    cell limit: the error names the line the quote opens on, not Python's field limit."""
    path = tmp_path / "quote.csv"
    rest = "2024;2;utfall;5011;100;10100;20,00\n" * 40_000  # 1.4 MB after the quote
    path.write_text(ledger('2024;2;utfall;5011;"100;10100;10,00') + rest)
    result = kfollow("variance", path, "-q", "--limit", "cell=64K")
    assert_clean_error(result, "quote.csv:11: a field of 1 400 0", "is not closed where it should be, close it")
    rest = "2024;2;utfall;5011;100;10100;20,00\n" * 200_000  # 7 MB after the quote
    path.write_text(ledger('2024;2;utfall;5011;"100;10100;10,00') + rest)
    result = kfollow("variance", path, "-q", "--limit", "cell=64K")
    assert_clean_error(result, "quote.csv:11: a field longer than 4 MiB begins on this line", "never closed")


def test_a_long_text_field_is_refused_by_the_cell_limit_and_read_when_it_is_raised(tmp_path: Path) -> None:
    """A record longer than Arrow's parse block: each field is measured against the limit (a
    field that fits a block costs nothing, whatever its length, in a column not read)."""
    header = "år;period;version;konto;ansvar;verksamhet;text;belopp"
    body = "".join(line.rsplit(";", 1)[0] + ";x;" + line.rsplit(";", 1)[1] + "\n" for line in GOOD.splitlines())
    long_row = "2024;2;utfall;5011;100;10100;" + "y" * 10_000_000 + ";10,00\n"
    path = tmp_path / "long.csv"
    path.write_text(header + "\n" + body + long_row)
    assert_clean_error(kfollow("variance", path, "-q"), "long.csv:11: a field of 10 000 000 bytes", "--limit cell=16M")
    assert outcome_2024(path, tmp_path, "--limit", "cell=16M")["Personalkostnader"] == -410


def test_error_messages_quote_at_most_the_quote_limit_of_a_line(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("x" * 50_000 + ";" + "y" * 50_000 + "\n1;2\n")
    stderr = assert_clean_error(kfollow("variance", path), "wide.csv:1: no header row")
    assert len(stderr) < QUOTE_LIMIT + 400


# --- rows above the header; the last line ----------------------------------------------------------


def test_data_rows_above_the_header_are_an_error_not_titles(tmp_path: Path) -> None:
    rows = GOOD.splitlines()
    path = tmp_path / "above.csv"
    path.write_text("\n".join([*rows[:5], HEADER, *rows[5:]]) + "\n")
    assert_clean_error(
        kfollow("variance", path),
        "above.csv:1: a data row above the header row (line 6), and 4 more (lines 2, 3, 4, 5)",
    )


def test_title_rows_above_the_header_are_still_skipped(tmp_path: Path) -> None:
    path = tmp_path / "titles.csv"
    path.write_text("Huvudbok KS;;\nPeriod: 2024-01 - 2024-08\nUtskriven 2024-09-05;Anna\n;;\n" + ledger())
    assert outcome_2024(path, tmp_path)["Personalkostnader"] == -400


def test_a_last_line_without_a_line_end_is_read_and_reconcile_notes_it(tmp_path: Path) -> None:
    path = tmp_path / "cut.csv"
    path.write_text(ledger("2024;2;utfall;5011;100;10100;10,00").rstrip("\n"))
    assert outcome_2024(path, tmp_path)["Personalkostnader"] == -410
    config = tmp_path / "kfollow.toml"
    result = run("reconcile", path, "--config", config, "--format", "json", ok=False)
    found = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "no-final-line-end"]
    assert [(f["severity"], f["sources"]) for f in found] == [("info", ["cut.csv:11"])]
    path.write_text(ledger("2024;2;utfall;5011;100;10100;10,00"))
    result = run("reconcile", path, "--config", config, "--format", "json", ok=False)
    assert not [f for f in json.loads(result.stdout)["findings"] if f["code"] == "no-final-line-end"]


# --- Parquet --------------------------------------------------------------------------------------


def _parquet(tmp_path: Path) -> Path:
    rows = [line.split(";") for line in GOOD.splitlines()] * 200
    columns = dict(zip(HEADER.split(";"), zip(*rows, strict=True), strict=True))
    path = tmp_path / "ledger.parquet"
    pq.write_table(pa.table({k: pa.array(v) for k, v in columns.items()}), path, compression="snappy")
    return path


def test_every_byte_flip_of_a_parquet_file_is_an_error_or_a_table(tmp_path: Path) -> None:
    """A damaged page (corrupt compression, dictionary codes out of range, bad UTF-8) is a
    clean error naming the file; never an internal error. A flip that leaves a readable value
    is what the file says (Parquet written without page checksums cannot tell)."""
    data = _parquet(tmp_path).read_bytes()
    config = tmp_path / "kfollow.toml"
    config.write_text(KOMMUNBIDRAG)
    outcomes = {}
    for position in range(4, len(data) - 8, max(1, len(data) // 150)):
        damaged = bytearray(data)
        damaged[position] ^= 0xFF
        path = tmp_path / "flipped.parquet"
        path.write_bytes(bytes(damaged))
        result = kfollow("variance", path, "--config", config, "-q", "--allow-unmapped", "--through", "2")
        outcomes[position] = result.exit_code
        assert result.exit_code in (0, 3), (position, result.stderr)
        assert "internal error" not in result.stderr and "Traceback" not in result.stderr, (position, result.stderr)
        if result.exit_code == 3:
            assert result.stderr.startswith("Error: flipped.parquet"), (position, result.stderr)
    assert 3 in outcomes.values()


def test_a_text_cell_of_several_lines_across_a_chunk_end_is_read_whole(tmp_path: Path, monkeypatch) -> None:
    """A chunk ends after a line end outside quotes: a quoted cell of several lines is never
    cut in two, wherever the chunks fall."""
    header = "år;period;version;konto;ansvar;verksamhet;text;belopp"
    row = '2024;2;utfall;5011;100;10100;"rad ett\nrad två; ""citat""\nrad tre";10,00\n'
    path = tmp_path / "multi.csv"
    path.write_text(header + "\n" + row * 50)
    expected = outcome_2024(path, tmp_path)["Personalkostnader"]
    assert expected == -500
    for chunk in (40, 57, 64, 101, 333):
        monkeypatch.setattr(csv_reader, "CHUNK_BYTES", chunk)
        monkeypatch.setattr(csv_reader, "SAMPLE_BYTES", 64)
        assert outcome_2024(path, tmp_path)["Personalkostnader"] == expected, chunk
