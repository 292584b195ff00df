"""reconcile reads collapsed, with a hash of every row, and reads again only the rows that may
be twins. Its report must be the one a plain row-by-row read gives, whatever the ledger:
duplicates among the rows, rows that differ only in a column no other check reads, codes
written in other ways ('Utfall', ' A', '5011 Löner'), text-only lines, filters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import KOMMUNBIDRAG, reconcile_report
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kfollow import cli
from kfollow.read import blocks
from kfollow.read import csv as csv_reader

HEADER = "år;period;version;konto;ansvar;verksamhet;projekt;text;belopp"
ROWS = [  # a clean ledger to build on: budget balanced, outcome months 1-2
    "2024;1;utfall;5011;A;10100;;Löner;100,00",
    "2024;2;utfall;5011;A;10100;;Löner;100,00",
    "2024;1;utfall;3011;B;28910;;Taxa;-40,00",
    "2024;1;budget;5011;A;10100;;;1 200,00",
    "2024;1;budget;9111;A;10100;;;-1 200,00",
    "2024;1;prognos;5011;A;10100;;;1 150,00",
    "2023;1;utfall;5011;A;10100;;Löner;90,00",
    "2024;1;utfall;1110;A;10100;94410;Tak;500,00",
]
VARIANTS = [  # rows equal to ROWS[0] once read, or nearly
    "2024;1;utfall;5011;A;10100;;Löner;100,00",  # the same row again
    "2024;1;Utfall;5011; A ;10100;;Löner;100,00",  # the same once normalised
    "2024;1;utfall;5011 Löner;A;10100;;Löner;100",  # konto with its name, whole kronor
    "2024;1;utfall;5011;A;10100;;Löner, rättelse;100,00",  # differs only in text
    "2024;1;utfall;5011;A;28910;;Löner;100,00",  # differs only in verksamhet
    "2024;1;utfall;5011;A;10100;;Löner;-100,00",  # the amount turned
    ";;;;;;;bara text;",  # a line with text only
    "",  # a blank line
]


def report(path: Path, config: Path, *args: str, row_by_row: bool = False) -> dict[str, Any]:
    """reconcile's JSON (or, for unusable input, the problems as named)."""
    found = reconcile_report(path, "--config", config, "--sign", "ledger", *args, row_by_row=row_by_row)
    assert found.get("exit", 3) == 3, found
    return found


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of a few lines, merged every few rows: the collapse and the hashes cross blocks."""
    monkeypatch.setattr(csv_reader, "CHUNK_BYTES", 200)
    monkeypatch.setattr(csv_reader, "BLOCK_BYTES", 128)
    monkeypatch.setattr(blocks, "MERGE_ROWS", 4)
    monkeypatch.setattr(csv_reader, "SAMPLE_BYTES", 300)  # the first chunk holds at least the sample


CONFIG = KOMMUNBIDRAG + '[investments]\n"Fastigheter" = ["944"]\n'


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    extra=st.lists(st.sampled_from(VARIANTS + ROWS), max_size=14),
    filters=st.sampled_from([(), ("--exclude", "verksamhet=289"), ("--where", "ansvar=A"), ("--where", "konto=5")]),
)
def test_the_report_is_that_of_a_row_by_row_read(
    tmp_path_factory: pytest.TempPathFactory, small_blocks: None, extra: list[str], filters: tuple[str, ...]
) -> None:
    folder = tmp_path_factory.mktemp("l")
    path = folder / "ledger.csv"
    path.write_text("\n".join([HEADER, *ROWS, *extra]) + "\n", "utf-8")
    config = folder / "kfollow.toml"
    config.write_text(CONFIG, "utf-8")
    assert report(path, config, *filters) == report(path, config, *filters, row_by_row=True)


def test_duplicates_are_named_with_every_line(tmp_path: Path, small_blocks: None) -> None:
    """Three reads of one row (two of them written differently) and one near miss."""
    path = tmp_path / "ledger.csv"
    path.write_text("\n".join([HEADER, *ROWS, *VARIANTS[:4]]) + "\n", "utf-8")
    config = tmp_path / "kfollow.toml"
    config.write_text(CONFIG, "utf-8")
    data = report(path, config)
    found = [f for f in data["findings"] if f["code"] == "duplicate-rows"]
    assert len(found) == 1
    assert found[0]["sources"] == ["ledger.csv:2", "ledger.csv:10", "ledger.csv:11", "ledger.csv:12"]
    assert found[0]["figures"]["rows"] == 4


def test_no_twins_means_no_second_read(tmp_path: Path, small_blocks: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows that differ only in text are no twins; the hashes tell, and the file is read once."""
    path = tmp_path / "ledger.csv"
    path.write_text("\n".join([HEADER, *ROWS, VARIANTS[3]]) + "\n", "utf-8")
    config = tmp_path / "kfollow.toml"
    config.write_text(CONFIG, "utf-8")
    reads = []
    original = cli.load_mapped
    monkeypatch.setattr(cli, "load_mapped", lambda *a, **k: reads.append(k) or original(*a, **k))
    data = report(path, config)
    assert [f for f in data["findings"] if f["code"] == "duplicate-rows"] == []
    assert len(reads) == 1 and reads[0]["hash_rows"]


def test_a_line_with_text_only_is_named_not_dropped(tmp_path: Path, small_blocks: None) -> None:
    """Its text is read only to be hashed; the line is still no blank line (a full read names it)."""
    path = tmp_path / "ledger.csv"
    path.write_text("\n".join([HEADER, *ROWS, ";;;;;;;bara text;"]) + "\n", "utf-8")
    config = tmp_path / "kfollow.toml"
    config.write_text(CONFIG, "utf-8")
    found = report(path, config)
    assert found == report(path, config, row_by_row=True)
    assert found["exit"] == 3 and "ledger.csv:10: column 'konto': (empty): no account" in found["stderr"]
