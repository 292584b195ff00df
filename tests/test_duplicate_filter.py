"""reconcile's twin filter (read.hashing.TwinFilter) keeps a few bits a row, not a hash a row:
every row with a twin must still come out as a candidate (no false negatives), wherever the
twin is: in the same block, in an earlier block, in an earlier filter once the first is full,
in another file. Only a few rows without a twin may come out too."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kfollow import api
from kfollow.read import ReadOptions
from kfollow.read.hashing import TwinFilter
from kfollow.read.normalise import row_hashing


def filtered(tmp_path: Path, blocks: list[np.ndarray], size: int = 1 << 16) -> np.ndarray:
    """The candidates of one file of `size` bytes whose rows' hashes come in `blocks`."""
    twins = TwinFilter()
    path = tmp_path / "ledger.csv"
    path.write_bytes(b"x" * size)
    twins.start(path)
    for block in blocks:
        twins.add(np.asarray(block, dtype="uint64"))
    return twins.candidates()


def repeated(blocks: list[np.ndarray]) -> set[int]:
    values, counts = np.unique(np.concatenate(blocks).astype("uint64"), return_counts=True)
    return set(values[counts > 1].tolist())


def test_every_twin_is_a_candidate_and_few_others(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    rows = rng.integers(0, 2**63, 400_000, dtype=np.int64).view("uint64")
    same_block = rows[:5]  # twins beside each other
    earlier = rows[1000:1010]  # twins in a later block
    rows = np.concatenate([rows, same_block, earlier, rows[-3:]])  # and the last block's own rows
    blocks = [rows[at : at + 65_536] for at in range(0, len(rows), 65_536)]
    found = filtered(tmp_path, blocks, size=400_000 * 64)  # 16 bits a row
    twins = repeated(blocks)
    assert len(twins) == 18
    assert twins <= set(found.tolist())
    assert len(found) - len(twins) < 0.005 * len(rows)  # false candidates: a few per thousand


def test_a_full_filter_hands_over_to_a_new_one(tmp_path: Path) -> None:
    """A file far smaller than its rows (a filter sized for 1k rows, 100k rows): new filters
    start, and a row's twin in an earlier one is still found."""
    rng = np.random.default_rng(3)
    rows = rng.integers(0, 2**63, 100_000, dtype=np.int64).view("uint64")
    blocks = [rows[at : at + 1000] for at in range(0, len(rows), 1000)] + [rows[[5, 50_000, 99_999]]]
    twins = TwinFilter()
    path = tmp_path / "small.csv"
    path.write_bytes(b"x")
    twins.start(path)
    for block in blocks:
        twins.add(block)
    assert len(twins.filters) > 1
    assert set(twins.candidates().tolist()) >= {int(rows[5]), int(rows[50_000]), int(rows[99_999])}


def test_twins_across_files_and_a_new_read(tmp_path: Path) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_bytes(b"x" * 1000)
    second.write_bytes(b"x" * 1000)
    twins = TwinFilter()
    twins.start(first)
    twins.add(np.array([1, 2, 3], dtype="uint64"))
    assert twins.candidates().tolist() == []
    twins.start(second)
    twins.add(np.array([4, 3], dtype="uint64"))
    assert 3 in twins.candidates().tolist()
    # The first file again: another read with the same options, which starts afresh.
    twins.start(first)
    twins.add(np.array([1, 2], dtype="uint64"))
    assert twins.candidates().tolist() == []


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 2**64 - 1) | st.integers(0, 40), max_size=60), min_size=1, max_size=8),
    st.integers(1, 5000),
)
def test_no_false_negatives(tmp_path_factory: object, blocks: list[list[int]], size: int) -> None:
    """Whatever the hashes (many small ones repeat), blocks and filter size: every hash that
    comes twice is a candidate."""
    tmp_path = tmp_path_factory.mktemp("filter")  # type: ignore[attr-defined]
    arrays = [np.array(block, dtype="uint64") for block in blocks]
    found = set(filtered(tmp_path, arrays, size=size).tolist())
    assert repeated(arrays) <= found


def test_a_read_keeps_candidates_not_a_hash_a_row(tmp_path: Path) -> None:
    """A collapsed, hashed read leaves the ledger the hashes of the rows that may have a twin:
    here the one pair of equal rows among 2000, not 2000 hashes."""
    lines = [f"2024;{1 + i % 12};utfall;5011;A{i};10100;;Löner {i};{i},00" for i in range(2000)]
    lines.append(lines[1234])
    path = tmp_path / "ledger.csv"
    path.write_text("år;period;version;konto;ansvar;verksamhet;projekt;text;belopp\n" + "\n".join(lines) + "\n")
    options = ReadOptions(sign="ledger", collapse=True, hashing=row_hashing(frozenset({"text"})))
    ledger = api.read_ledger([path], options)
    assert ledger.row_hashes is not None
    assert 1 <= len(ledger.row_hashes) <= 5


def test_many_files_make_few_filters(tmp_path: Path) -> None:
    """Each new filter is as big as those before it together: 64 files of 64k rows each (their
    size far under their rows) are looked up in a handful of filters, not 64; a twin in the
    first file is found from the last."""
    twins = TwinFilter()
    rng = np.random.default_rng(5)
    first = rng.integers(0, 2**63, 1000, dtype=np.int64).view("uint64")
    for number in range(64):
        path = tmp_path / f"{number}.csv"
        path.write_bytes(b"x" * 1000)
        twins.start(path)
        twins.add(first if number == 0 else rng.integers(0, 2**63, 65_536, dtype=np.int64).view("uint64"))
    twins.add(first[[17]])
    assert len(twins.filters) <= 10
    assert int(first[17]) in twins.candidates().tolist()
