"""Reading collapsed (rows equal in every column read are summed while reading, block by block)
gives the same tables, to the öre, and the same row counts as reading every row; with blocks
of a few hundred bytes, so that the sums cross many blocks."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import EXAMPLES

from kfollow.errors import LoadError, MappingError
from kfollow.investments import build_investments, investment_plan, investment_rows
from kfollow.ledger import filter_mask
from kfollow.mapping import assign_rows, check_unmapped, load_rules
from kfollow.read import ReadOptions, Source, blocks, load_ledger
from kfollow.read import csv as csv_reader
from kfollow.report import ReportSpec, build_drift

RULES = load_rules(EXAMPLES / "kfollow.toml")


def tables(path: Path, collapse: bool, **options: object) -> tuple[list, list, int]:
    """The Drift table without exploatering and the Investeringar table, in öre; and how many
    ledger rows were read."""
    ledger = load_ledger([Source(path)], ReadOptions(collapse=collapse, **options)).frame  # type: ignore[arg-type]
    rows, _ = assign_rows(ledger, RULES)
    keep = filter_mask(ledger, [], [("verksamhet", ("289",))])
    drift = build_drift(ledger[keep], rows[keep], ReportSpec(unit="kr", period_budget=True))
    plan = investment_plan(RULES)
    categories, _ = investment_rows(ledger, plan)
    investments = build_investments(ledger, categories, plan, ReportSpec(unit="kr"))
    counted = int(ledger["rows"].sum()) if "rows" in ledger else len(ledger)
    return [r.values for r in drift.rows], [r.values for r in investments.rows], counted


@pytest.mark.parametrize("block", [300, 4096, 1 << 22])
def test_collapsed_reading_gives_the_same_tables(monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    monkeypatch.setattr(csv_reader, "BLOCK_BYTES", block)
    full = tables(EXAMPLES / "ks-2024.csv", collapse=False)
    collapsed = tables(EXAMPLES / "ks-2024.csv", collapse=True, columns=frozenset({"verksamhet", "projekt"}))
    assert collapsed == full
    assert full[2] == 5331  # every row counted, in both


def test_collapsed_reading_counts_rows_in_errors(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """An unmapped account's row count is the same, though its rows were summed into one."""
    monkeypatch.setattr(csv_reader, "BLOCK_BYTES", 64)
    path = tmp_path / "l.csv"
    lines = ["år;period;version;konto;belopp", "2024;1;utfall;5011;100,00"] + ["2024;1;utfall;0999;1,25"] * 7
    path.write_text("\n".join(lines) + "\n", "utf-8")
    messages = []
    for collapse in (False, True):
        ledger = load_ledger([Source(path)], ReadOptions(collapse=collapse, sign="ledger")).frame
        rows, _ = assign_rows(ledger, RULES)
        with pytest.raises(MappingError) as error:
            check_unmapped(ledger, rows, RULES)
        messages.append(error.value.problems)
    assert messages[0] == messages[1]
    assert "konto 0999: 7 rows, 9 kr (ledger sign)" in messages[1][1]


def test_blocks_that_do_not_collapse_mix_with_blocks_that_do(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A file whose first blocks are all distinct rows and whose later blocks repeat a few
    rows: the first are kept as they are, the later ones summed and merged as they pile up;
    the table and the row count are those of reading every row."""
    monkeypatch.setattr(csv_reader, "BLOCK_BYTES", 200)
    monkeypatch.setattr(blocks, "MERGE_ROWS", 100)
    lines = ["år;period;version;konto;belopp"]
    lines += [
        f"2024;{1 + i % 12};utfall;5{i:03d};{i},{i % 100:02d}" for i in range(10)
    ]  # distinct: the first two blocks
    lines += [f"2024;{1 + i % 3};budget;3011;-{i % 7},50" for i in range(400)]  # few combinations
    path = tmp_path / "mixed.csv"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    results = []
    for collapse in (False, True):
        ledger = load_ledger([Source(path)], ReadOptions(collapse=collapse, sign="ledger")).frame
        rows, _ = assign_rows(ledger, RULES)
        report = build_drift(ledger, rows, ReportSpec(unit="kr", year=2024, through=12))
        counted = int(ledger["rows"].sum()) if "rows" in ledger else len(ledger)
        results.append(([r.values for r in report.rows], counted, len(ledger)))
    assert results[1][:2] == results[0][:2] and results[0][1] == 410
    assert results[1][2] < 200  # the repeated rows were summed


def test_a_collapsed_read_with_problems_names_every_bad_row(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Identical bad rows were one row in a collapsed read: on any problem the file is read
    again row by row, so each is named by its own line, as in a full read."""
    monkeypatch.setattr(csv_reader, "BLOCK_BYTES", 4096)
    path = tmp_path / "bad.csv"
    path.write_text("år;period;version;konto;belopp\n2024;1;utfall;5011;100,00\n" + "2024;1;utfal;5011;1,00\n" * 12)
    messages = []
    for collapse in (False, True):
        with pytest.raises(LoadError) as error:
            load_ledger([Source(path)], ReadOptions(collapse=collapse, sign="ledger"))
        messages.append(error.value.problems)
    assert messages[0] == messages[1]
    assert messages[1][0].startswith("bad.csv:3: column 'version': 'utfal'")


def test_sums_beyond_int64_in_a_block_keep_its_rows_whole(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Rows whose sum would not fit int64 are kept as they are: the table's own group-by then
    decides, exactly as in a full read (here the amounts cancel, and the table prints)."""
    monkeypatch.setattr(csv_reader, "BLOCK_BYTES", 1 << 20)
    big = "9000000000000000,00"
    lines = ["år;period;version;konto;belopp", "2024;1;utfall;5011;100,00"]
    lines += [f"2024;1;utfall;4011;{big}"] * 6 + [f"2024;1;utfall;4012;-{big}"] * 6
    path = tmp_path / "huge.csv"
    path.write_text("\n".join(lines) + "\n")
    tables = []
    for collapse in (False, True):
        ledger = load_ledger([Source(path)], ReadOptions(collapse=collapse, sign="ledger")).frame
        rows, _ = assign_rows(ledger, RULES)
        tables.append([r.values for r in build_drift(ledger, rows, ReportSpec(unit="kr")).rows])
    assert tables[0] == tables[1]


@pytest.mark.parametrize("command", ["accounts", "projects"])
def test_listings_read_collapsed_give_the_rows_read_one_by_one(monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    """`accounts` and `projects` print sums and row counts: read collapsed, in blocks of a few
    lines merged every few rows, they print what a row-by-row read prints."""
    from conftest import run

    from kfollow import cli

    args = (command, EXAMPLES / "ks-2024.csv", "--config", EXAMPLES / "kfollow.toml", "--format", "json")
    original = cli.load_mapped
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cli, "load_mapped", lambda kwargs, **options: original(kwargs, **{**options, "collapse": False}))
        expected = run(*args).stdout
    monkeypatch.setattr(csv_reader, "BLOCK_BYTES", 4096)
    monkeypatch.setattr(blocks, "MERGE_ROWS", 64)
    assert run(*args).stdout == expected
    assert '"rows": ' in expected
