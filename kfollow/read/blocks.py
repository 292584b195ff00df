"""Arrow record batches -> compact numpy columns, and collapsing: the block collector that
CSV and Parquet reads share."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from ..errors import MAX_REPORTED, LoadError, shown
from ..money import (
    LIMIT_ORE,
    amount_trouble,
    decimal_ore,
    exact_group_sums,
    floats_to_ore,
    plain_decimals,
    text_to_ore,
)
from .hashing import (
    HASH_MASK,
    HASHED_CONTENT,
    NULL_HASH,
    HashedRows,
    RowHashing,
    keep_bitmap,
    kept,
    mix_into,
    row_hashes,
)
from .normalise import CODE_KEYS, CONTROL_IN_CODE, has_control_characters
from .table import EMPTY_INTEGER, ColumnPlan, FilterOnly, blank_rows, describe, more_bad_amounts

MERGE_ROWS = 1 << 21  # collapsed parts are merged when this many rows have piled up


@dataclass
class _HashInputs:
    """What one block's text columns give its rows' hashes, gathered column by column (used
    with hashing only)."""

    blank: np.ndarray  # as blank_rows will judge the row (hashing only)
    hashed_content: np.ndarray  # something in a column only hashed
    hashed: dict[str, np.ndarray] = field(default_factory=dict)  # per code column: the hash of each row's value
    dates: dict[str, pd.Series] = field(default_factory=dict)  # year/period as read, for the hash


class Blocks:
    """Collects Arrow record batches as numpy columns; builds the frame at the end."""

    def __init__(
        self,
        path: Path,
        columns: ColumnPlan,
        names: list[str],
        first_line: int,
        collapse: bool = False,
        filter_only: FilterOnly | None = None,
        encoding: str | None = None,
        hashing: RowHashing | None = None,
    ):
        self.path, self.columns, self.names = path, columns, names
        self.encoding = encoding  # text comes as bytes in this encoding (None: as text)
        self.first_line = first_line
        # Sum rows that are equal in every column read (ReadOptions.collapse): memory then
        # grows with the distinct combinations, not with the file. The blocks are summed
        # together each time MERGE_ROWS rows have come in (combinations repeat across blocks
        # more than within one); once that does not halve them, the rows are kept as they are.
        self.collapse = collapse
        # Columns read only for --where/--exclude: when collapsing, each code is stored as the
        # first code seen with the same verdict, so that 500 000 verksamhet × konto × month
        # combinations become a few thousand. The filters then keep exactly the rows they would
        # have kept; the column's categories still list every code found.
        self.filter_only = filter_only if collapse else None
        self.verdicts: dict[str, list[int]] = {}  # per such column: code -> representative code
        self.representative: dict[str, dict[bool, int]] = {}
        # A wide file's row holds several ledger rows: its hash would not tell them apart.
        wide = any(key.startswith("wide:") for key in columns.amounts.values())
        keeping = hashing is not None and hashing.keep is not None
        self.hashing = hashing if (collapse or keeping) and not wide else None
        self.filtering = self.hashing is not None and not keeping  # rows go into hashing.twins
        self.keep_bitmap = keep_bitmap(hashing.keep) if hashing is not None and hashing.keep is not None else None
        if self.filtering:
            assert hashing is not None
            hashing.twins.start(path)
        self.hashed_rows = 0  # rows put into the filter
        self.row_hashes: HashedRows | None = None  # by frame(): the rows filtered, the candidates found
        self.code_hashes: dict[str, tuple[np.ndarray, int]] = {}  # per text column: hashes of its codes, count
        self.hopeless = False
        self.pending = 0  # rows come in since the last merge
        self.block_misses = 0  # blocks that did not halve on their own: after 3, no more tries
        self.part_rows: list[np.ndarray | None] = []  # per part: rows each row stands for (None: 1)
        self.rows = 0
        self.parts: dict[str, list[np.ndarray]] = {}
        self.categories: dict[str, dict[str, int]] = {}  # per text column read as dictionary
        self.problems: list[str] = []
        self.bad_count: dict[int, int] = {}

    def _keep(self, key: str, values: np.ndarray) -> None:
        self.parts.setdefault(key, []).append(values)

    def add(self, batch: Any) -> None:
        """Keep one block's columns as numpy arrays: summed on its own where that halves it,
        and with the blocks before it each time MERGE_ROWS rows have come in."""
        self._add(batch)
        self.part_rows.append(None)
        if not self.collapse or self.hopeless:
            return
        if self.block_misses < 3:
            block = {key: parts[-1] for key, parts in self.parts.items()}
            summed = _collapsed_or_none(block, set(self.columns.amounts.values()))
            if summed is not None and 2 * len(summed["line"]) <= len(block["line"]):
                for key, values in summed.items():
                    if key != "rows":
                        self.parts[key][-1] = values
                self.part_rows[-1] = summed["rows"]
            else:
                self.block_misses += 1
        self.pending += batch.num_rows
        if self.pending >= MERGE_ROWS:
            self._merge()

    def _arrays(self) -> dict[str, np.ndarray]:
        """The parts joined (and dropped, column by column, so the peak is one column). A
        `rows` count is there once a merge has summed rows: the parts read since count one."""
        if any(rows is not None for rows in self.part_rows):
            counts = [
                rows if rows is not None else np.ones(len(line), dtype="int64")
                for rows, line in zip(self.part_rows, self.parts["line"], strict=True)
            ]
            self.parts["rows"] = counts
        arrays = {}
        for key, parts in self.parts.items():
            arrays[key] = np.concatenate(parts) if parts else np.zeros(0, dtype="int32")
            parts.clear()
        self.part_rows = []
        return arrays

    def _merge(self) -> dict[str, np.ndarray]:
        """Sum the parts so far into one; where that does not halve them, stop trying."""
        arrays = self._arrays()
        merged = _collapsed_or_none(arrays, set(self.columns.amounts.values()))
        if merged is None or 2 * len(merged["line"]) > len(arrays["line"]):
            self.hopeless = True
        else:
            arrays = merged
        self.part_rows = [arrays.get("rows")]
        self.parts = {key: [values] for key, values in arrays.items() if key != "rows"}
        self.pending = 0
        return arrays

    def _add(self, batch: Any) -> None:
        import pyarrow as pa

        rows = batch.num_rows
        inputs = _HashInputs(np.ones(rows, dtype=bool), np.zeros(rows, dtype=bool))
        for position, key in self.columns.text.items():
            column = batch.column(self.names[position])
            if pa.types.is_integer(column.type):
                self._add_integers(key, column, inputs)
            else:
                self._add_codes(position, key, column, inputs)
        lines = np.arange(self.rows, self.rows + batch.num_rows, dtype="int32")
        lines += self.first_line
        self._keep("line", lines)
        for position, key in self.columns.amounts.items():
            self._add_amount(position, key, batch.column(self.names[position]), lines)
        if self.hashing is not None:
            self._add_row_hashes(rows, self.hashing, inputs)
        self.rows += batch.num_rows

    def _add_integers(self, key: str, column: Any, inputs: _HashInputs) -> None:
        """A text column read as integers (ColumnPlan.integers: year, period)."""
        values = column.fill_null(EMPTY_INTEGER).to_numpy()
        if self.hashing is not None:
            inputs.blank &= values == EMPTY_INTEGER
            inputs.dates[key] = pd.Series(values)
        self._keep(key, values)

    def _add_codes(self, position: int, key: str, column: Any, inputs: _HashInputs) -> None:
        """A text column (an Arrow dictionary): its codes in the table-wide category list, or,
        for a column only hashed, only its values' hashes."""
        # Codes are stripped (' 28910' is 28910, as in a spreadsheet cell); blank is empty.
        values, indices = self._dictionary(column)
        hashing = self.hashing
        if hashing is not None and key in hashing.hash_only and hashing.keep is None:
            if key in CODE_KEYS and has_control_characters(values):
                self._control_characters(position, values, indices)
            _add_hashed_only(key, values, indices, inputs)
            return
        # Translate this block's dictionary into codes of one table-wide category list;
        # the extra last slot maps a null (code -1) to -1.
        known = self.categories.setdefault(key, {})
        lookup = np.array(
            [known.setdefault(code, len(known)) if (code := value.strip()) else -1 for value in values] + [-1],
            dtype="int32",
        )
        if hashing is not None:
            self._hash_codes(key, known, lookup, indices, hashing, inputs)
        if self.filter_only and key in self.filter_only:
            lookup = self._representatives(key, known, lookup)
        self._keep(key, lookup[indices])

    def _control_characters(self, position: int, values: list[str], indices: np.ndarray) -> None:
        """Name the first cell of a column only hashed whose code holds a control character
        (normalise checks the others): the file is then read again, row by row, every column
        kept, and normalise names each such cell."""
        bad = np.array([has_control_characters([value]) for value in values] + [False])
        row = int(np.flatnonzero(bad[indices])[0])
        header = self.columns.header[position].strip()
        self.problems.append(
            f"{describe(self.path)}:{self.first_line + self.rows + row}: column {header!r}: "
            f"{shown(values[indices[row]])}: {CONTROL_IN_CODE}"
        )

    def _dictionary(self, column: Any) -> tuple[list[str], np.ndarray]:
        """(the block's distinct values of a dictionary column, as text; each row's index into
        them, -1 for a null)."""
        import pyarrow.compute as pc

        values = column.dictionary.to_pylist()
        if self.encoding is not None:
            values = [value.decode(self.encoding) for value in values]
        indices = pc.fill_null(column.indices, -1).to_numpy()
        return values, indices

    def _hash_codes(
        self,
        key: str,
        known: dict[str, int],
        lookup: np.ndarray,
        indices: np.ndarray,
        hashing: RowHashing,
        inputs: _HashInputs,
    ) -> None:
        """A code column's part in the rows' hashes: year and period as read, other codes by
        the value they stand for."""
        inputs.blank &= lookup[indices] < 0
        if key in ("year", "period"):
            categories = pd.Index(list(known), dtype=object)
            inputs.dates[key] = pd.Series(pd.Categorical.from_codes(lookup[indices], categories, validate=False))
        else:
            value_hashes, null = self._value_hashes(key, known, hashing)
            inputs.hashed[key] = value_hashes[np.where(lookup < 0, null, lookup)][indices]

    def _add_amount(self, position: int, key: str, column: Any, lines: np.ndarray) -> None:
        """An amount column as exact öre, and which of its cells are empty."""
        empty = column.is_null().to_numpy(zero_copy_only=False)
        ore = _typed_ore(column)  # a Parquet column of numbers: no text in between
        if ore is None:
            ore = self._text_ore(position, column, empty, lines)
        self._keep(key, ore)
        self._keep(f"{key}__empty", empty)

    def _text_ore(self, position: int, column: Any, empty: np.ndarray, lines: np.ndarray) -> np.ndarray:
        """öre from amounts as text: exact decimals on the bytes where every cell is plain,
        else the text parser, which names each bad cell."""
        import pyarrow as pa
        import pyarrow.compute as pc

        if not (pa.types.is_string(column.type) or pa.types.is_binary(column.type)):
            column = pc.cast(column, pa.string())  # exact: a float's shortest text is its decimal
        decimals = plain_decimals(column, self.encoding or "utf-8")
        ore = decimal_ore(decimals) if decimals is not None else None
        if ore is None:  # unusual cells in this block: the exact text parser names each
            text = column.to_pandas()
            if self.encoding is not None:
                text = text.str.decode(self.encoding)
            text = pd.Series(text, dtype="str")
            ore, bad = text_to_ore(text)
            bad &= ~empty
            if bad.any():
                self._bad(bad, text, lines, position)
        return ore

    def _add_row_hashes(self, rows: int, hashing: RowHashing, inputs: _HashInputs) -> None:
        """The block's row hashes, amounts mixed in (blank rows have none); with hashing.keep,
        only the rows whose hash it holds are kept."""
        row_hash = row_hashes(rows, hashing, inputs.hashed, inputs.dates)
        blank = inputs.blank
        for key in self.columns.amounts.values():
            mix_into(row_hash, np.abs(self.parts[key][-1]).view("uint64"))
            mix_into(row_hash, self.parts[f"{key}__empty"][-1].astype("uint64"))
            blank &= self.parts[f"{key}__empty"][-1]
        if hashing.keep is not None:
            assert self.keep_bitmap is not None
            wanted = ~blank & kept(hashing.keep, self.keep_bitmap, row_hash)
            for parts in self.parts.values():
                parts[-1] = parts[-1][wanted]
            return
        if hashing.hash_only:
            # A row with text only in dropped columns is no blank line: it stays apart, and
            # the checks after reading name it as a full read would.
            self._keep(HASHED_CONTENT, inputs.hashed_content)
        hashing.twins.add(row_hash[~blank])
        self.hashed_rows += int(np.count_nonzero(~blank))

    def _value_hashes(self, key: str, known: dict[str, int], hashing: RowHashing) -> tuple[np.ndarray, int]:
        """(per code of a column, the hash of the value it stands for; the slot of a null)."""
        buffer, count = self.code_hashes.get(key, (np.zeros(64, dtype="uint64"), 0))
        if len(known) + 1 > len(buffer):
            buffer = np.concatenate([buffer, np.zeros(max(len(buffer), len(known) + 1), dtype="uint64")])
        canonical = hashing.canonical.get(key)
        for code in _new_codes(known, count):
            value = canonical(code) if canonical is not None else code
            buffer[count] = hash(value) & HASH_MASK  # Python's hash: equal values hash equal in one run
            count += 1
        self.code_hashes[key] = (buffer, count)
        buffer[count] = NULL_HASH  # the next code's slot, until there is one
        return buffer, count

    def _representatives(self, key: str, known: dict[str, int], lookup: np.ndarray) -> np.ndarray:
        """Codes -> the first code with the same filter verdict (the null code -1 stays)."""
        assert self.filter_only is not None
        passes, verdicts = self.filter_only[key], self.verdicts.setdefault(key, [])
        first = self.representative.setdefault(key, {})
        for code in _new_codes(known, len(verdicts)):
            verdicts.append(first.setdefault(passes(code), len(verdicts)))
        mapped = np.array([*verdicts, -1], dtype="int32")
        representatives: np.ndarray = mapped[lookup]
        return representatives

    def _bad(self, bad: np.ndarray, text: pd.Series, lines: np.ndarray, position: int) -> None:
        header = self.columns.header[position].strip()
        found = self.bad_count.get(position, 0)
        rows = np.flatnonzero(bad)
        values = text.to_numpy()
        # (table.amount_problem's message, with what was found named and quoted as errors.shown)
        self.problems += [
            f"{describe(self.path)}:{lines[i]}: column {shown(header)}: {shown(values[i])}: {amount_trouble(values[i])}"
            for i in rows[: max(MAX_REPORTED - found, 0)]
        ]
        self.bad_count[position] = found + len(rows)

    def frame(self) -> pd.DataFrame:
        if self.filtering:
            assert self.hashing is not None
            self.row_hashes = HashedRows(self.hashed_rows, self.hashing.twins.candidates())
        for position, total in self.bad_count.items():
            self.problems += more_bad_amounts(self.path, self.columns.header[position].strip(), total)
        out: dict[str, object] = {}
        if self.collapse and not self.hopeless and self.rows:  # the last blocks too
            arrays = self._merge()
        else:
            arrays = self._arrays()
        for key, values in arrays.items():
            if key in self.categories:
                # pandas-stubs want an Index; pandas takes any list-like
                categories = cast("pd.Index", np.array(list(self.categories[key]), dtype=object))
                out[key] = pd.Categorical.from_codes(values, categories=categories, validate=False)
            else:
                out[key] = values
        if not self.rows:  # a header and nothing below it
            out = {key: np.zeros(0, dtype="int32") for key in ["line", *self.columns.text.values()]}
            for key in self.columns.amounts.values():
                out[key] = np.zeros(0, dtype="int64")
                out[f"{key}__empty"] = np.zeros(0, dtype=bool)
        frame = pd.DataFrame(out, copy=False)
        blank = blank_rows(frame, self.columns)
        return frame[~blank].reset_index(drop=True) if blank.any() else frame


def _add_hashed_only(key: str, values: list[str], indices: np.ndarray, inputs: _HashInputs) -> None:
    """A column only hashed: this block's values, hashed here, and no table-wide list of them
    (a text column may hold as many values as rows)."""
    stripped = [value.strip() for value in values]
    value_hashes = [hash(v) & HASH_MASK if v else NULL_HASH for v in stripped]
    inputs.hashed[key] = np.array([*value_hashes, NULL_HASH], dtype="uint64")[indices]
    present = np.array([*(bool(v) for v in stripped), False])[indices]
    inputs.blank &= ~present
    inputs.hashed_content |= present


def _new_codes(known: dict[str, int], before: int) -> list[str]:
    """The codes added to `known` since it held `before` of them, in code order (a dict keeps
    the order of insertion; reading from its end costs only the new ones)."""
    return list(islice(reversed(known), len(known) - before))[::-1]


def _typed_ore(column: Any) -> np.ndarray | None:
    """öre from a numeric Arrow column (Parquet), exactly; None for text, or when a value is
    not kronor with at most two decimals (the text path then names the cell)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_decimal(kind):
        try:
            return decimal_ore(pc.cast(column, pa.decimal128(18, 2)))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
    if pa.types.is_integer(kind):
        extremes = pc.min_max(column)
        low, high = extremes["min"].as_py(), extremes["max"].as_py()
        if low is not None and (low <= -LIMIT_ORE // 100 or high >= LIMIT_ORE // 100):
            return None  # beyond 16 digits of kronor (or an unsigned wrap): the text path names it
        ore: np.ndarray = column.fill_null(0).to_numpy(zero_copy_only=False).astype("int64") * 100
        return ore
    if pa.types.is_floating(kind):
        ore, bad = floats_to_ore(column.fill_null(0).to_numpy(zero_copy_only=False))
        return None if bad.any() else ore
    return None


def _collapsed_or_none(arrays: dict[str, np.ndarray], amounts: set[str]) -> dict[str, np.ndarray] | None:
    """collapse_rows, or None where a sum would not fit int64: the rows are then kept whole,
    and the table's own group-by decides (as for a full read)."""
    try:
        return collapse_rows(arrays, amounts)
    except LoadError:
        return None


def collapse_rows(arrays: dict[str, np.ndarray], amounts: set[str]) -> dict[str, np.ndarray]:
    """Rows equal in every column but the amounts, line and row count -> one row each: amounts
    summed exactly, `rows` counted, `line` the first. No table kfollow prints can tell."""
    keys = [k for k in arrays if k not in amounts and k not in ("line", "rows")]
    if not len(arrays["line"]):  # an empty batch (Arrow gives one for a chunk of blank lines)
        return {**arrays, "rows": arrays.get("rows", np.zeros(0, dtype="int64"))}
    group, first = _groups([arrays[k] for k in keys])
    order = np.argsort(first, kind="stable")  # groups in file order: first lines stay first
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    group, first = rank[group], first[order]
    groups = len(first)
    out = {k: arrays[k][first] for k in keys}
    out["line"] = arrays["line"][first]
    out["rows"] = np.bincount(group, weights=arrays.get("rows"), minlength=groups).astype("int64")
    for key in amounts:
        out[key] = exact_group_sums(group, arrays[key], groups)[1]
    return out


def _groups(columns: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(group of each row, first row of each group) for rows equal in every column. The
    columns are small integers (codes, years, flags): packed into one int64 key where their
    ranges allow, and grouped by one np.unique; else by pandas."""
    key = np.zeros(len(columns[0]), dtype="int64")
    room = 1
    for column in columns:
        low, high = int(column.min()), int(column.max())
        span = high - low + 1
        room *= span
        if room >= 2**62:
            frame = pd.DataFrame({str(i): c for i, c in enumerate(columns)}, copy=False)
            group = frame.groupby(list(frame.columns), sort=False).ngroup().to_numpy()
            _, first = np.unique(group, return_index=True)
            return group, first
        key *= span
        key += column.astype("int64") - low
    # Dense keys: count them, no sort. Up to 2**20 whatever the rows (8 MiB of ranks): a block of
    # reconcile's (konto × version × year × month × projekt: ~400k keys, 66k rows) 2.8x as fast.
    if room <= max(4 * len(key), 1 << 20):
        present = np.flatnonzero(np.bincount(key, minlength=room))
        rank = np.zeros(room, dtype="int64")
        rank[present] = np.arange(len(present))
        group = rank[key]
        first = np.full(len(present), len(key), dtype="int64")
        np.minimum.at(first, group, np.arange(len(key)))
        return group, first
    _, first, group = np.unique(key, return_index=True, return_inverse=True)
    return group.reshape(-1), first
