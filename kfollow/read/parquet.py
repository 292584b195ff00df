"""Parquet files, read in batches on every core through the block collector."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import LoadError, shown
from .blocks import Blocks
from .hashing import RowHashing
from .pipeline import convert_while_reading
from .table import EMPTY_INTEGER, ColumnPlan, FilterOnly, NoHeader, Planner, Table, describe

# Rows per Parquet batch: about 8 MiB of the columns kfollow reads. 10M rows (bench/README.md):
# 512k-row batches peaked at 407-437 MiB, 256k at 360-370 for the same CPU time.
PARQUET_BATCH = 1 << 18


def _fits_int32(array: Any) -> bool:
    """An integer column that int32 holds (EMPTY_INTEGER is kept for an empty cell)."""
    import pyarrow.compute as pc

    extremes = pc.min_max(array)
    low, high = extremes["min"].as_py(), extremes["max"].as_py()
    return low is None or (EMPTY_INTEGER < low and high < 2**31)


def _typed_array(array: Any, position: int, columns: ColumnPlan) -> Any:
    """A column of a Parquet batch as the block collector takes it: an amount as it is, a year
    or period as int32 where it fits, other text as an int32-indexed dictionary of strings."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if position in columns.amounts:
        pass  # numbers stay numbers (_typed_ore); text is parsed as CSV text
    elif position in columns.integers and pa.types.is_integer(array.type) and _fits_int32(array):
        array = pc.cast(array, pa.int32())
    else:
        if not pa.types.is_dictionary(array.type):
            array = pc.dictionary_encode(pc.cast(array, pa.string()))
        array = array.cast(pa.dictionary(pa.int32(), pa.string()))
    return array


def _check_sound(array: Any, amount: bool) -> None:
    """ArrowInvalid where a damaged page decoded to an array that is not one: dictionary codes
    out of range (numpy would wrap a negative one around in silence), text that is not UTF-8.
    An amount column's dictionary is as long as the column, so only its codes are checked here
    (10M rows: 0.15 s for a full check); its text is parsed as text, which checks it."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not amount:
        array.validate(full=True)
    elif pa.types.is_dictionary(array.type) and len(array):
        extremes = pc.min_max(array.indices)
        low, high = extremes["min"].as_py(), extremes["max"].as_py()
        if low is not None and (low < 0 or high >= len(array.dictionary)):
            raise pa.ArrowInvalid(f"dictionary code {high if high >= len(array.dictionary) else low} out of range")


def read_parquet(
    path: Path,
    plan: Planner,
    collapse: bool = False,
    filter_only: FilterOnly | None = None,
    hashing: RowHashing | None = None,
) -> Table:
    """A Parquet file: its column names are the header (row 1), its rows rows 2, 3, … as in a
    sheet. Read in batches through the CSV path's block collector: text columns become
    categories, amounts of any type (decimal, integer, float, text) become exact öre."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        header = list(pq.read_schema(path).names)
        # Text columns come as dictionaries straight from the file's dictionary pages.
        # A page written with a checksum is checked against it: a flipped bit in an amount
        # would otherwise be read as another amount (files without checksums cannot tell).
        file = pq.ParquetFile(path, read_dictionary=header, page_checksum_verification=True)
    except Exception as error:  # pyarrow's errors for a damaged file vary
        raise LoadError(f"{describe(path)}: not a readable Parquet file ({shown(str(error))})") from None
    columns = plan(header)
    if columns is None:
        raise NoHeader(header, 1)
    names = [f"c{i}" for i in range(len(header))]
    blocks = Blocks(path, columns, names, 2, collapse, filter_only, hashing=hashing)
    wanted = sorted([*columns.text, *columns.amounts])

    def typed(batch: Any) -> Any:
        arrays = {}
        for position, array in zip(wanted, batch.columns, strict=True):
            _check_sound(array, position in columns.amounts)
            arrays[names[position]] = _typed_array(array, position, columns)
        return pa.RecordBatch.from_pydict(arrays)

    # Batches of PARQUET_BATCH rows, decoded on every core, while one worker turns the one
    # before into numpy columns (as CSV chunks are). 10M rows with a filter: 2.9 s in all with
    # 64k-row batches on one thread, 1.5-1.9 s so; 1M-row batches were no faster but held
    # 500 MiB where these hold 400.
    total = max(file.metadata.num_rows, 1)

    def batches() -> Any:
        done = 0
        for batch in file.iter_batches(batch_size=PARQUET_BATCH, columns=[header[p] for p in wanted], use_threads=True):
            done += batch.num_rows
            yield done / total, lambda batch=batch: blocks.add(typed(batch))

    try:
        convert_while_reading(batches())
    except (OSError, pa.ArrowException, UnicodeDecodeError) as error:  # a damaged page, as pyarrow finds it
        raise LoadError(
            f"{describe(path)}: a damaged Parquet file ({shown(str(error))}): nothing was read from it; "
            "write it again from the system that made it"
        ) from None
    frame = blocks.frame()
    return Table(frame, path, columns, 1, blocks.problems, blocks.row_hashes, as_read=not collapse)
