"""Parquet input: the same ledger as Parquet prints the same tables, whatever the amount type."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from conftest import EXAMPLES, run

CONFIG = EXAMPLES / "kfollow.toml"


def example_as_parquet(tmp_path: Path, amount: str) -> Path:
    """examples/ks-2024.csv as Parquet: codes as text, år/period as integers, belopp as
    decimal(18, 2), float64 or text."""
    ledger = tmp_path / "ledger.csv"
    run("convert", EXAMPLES / "ks-2024.csv", "-o", ledger)  # UTF-8, ';', decimal comma
    codes = ["konto", "ansvar", "verksamhet", "aktivitet", "projekt", "belopp"]
    table = pacsv.read_csv(
        ledger,
        parse_options=pacsv.ParseOptions(delimiter=";"),
        convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(codes, pa.string())),
    )
    text = pc.replace_substring(table["belopp"], ",", ".")
    belopp = {
        "decimal": pc.cast(text, pa.decimal128(18, 2)),
        "float": pc.cast(text, pa.float64()),
        "text": text,
    }[amount]
    table = table.set_column(table.schema.get_field_index("belopp"), "belopp", belopp)
    path = tmp_path / f"ledger-{amount}.parquet"
    pq.write_table(table, path, row_group_size=1000)
    return path


def drift(path: Path) -> dict:
    result = run(
        "variance", path, "--config", CONFIG, "--exclude", "verksamhet=289", "--unit", "kr", "--format", "json"
    )
    return json.loads(result.stdout)


@pytest.mark.parametrize("amount", ["decimal", "float", "text"])
def test_parquet_gives_the_same_table_to_the_ore(tmp_path: Path, amount: str) -> None:
    """Read by its content (PAR1), in row groups: the Drift table in kr equals the xlsx's."""
    assert drift(example_as_parquet(tmp_path, amount))["rows"] == drift(EXAMPLES / "ks-2024.xlsx")["rows"]


@pytest.mark.parametrize("batch", [7, 300])
def test_small_batches_give_the_same_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int) -> None:
    """Batches that cut through row groups, summed while read: the same table to the öre."""
    from kfollow.read import parquet

    path = example_as_parquet(tmp_path, "decimal")
    whole = drift(path)
    monkeypatch.setattr(parquet, "PARQUET_BATCH", batch)
    assert drift(path) == whole
    assert whole["rows"] == drift(EXAMPLES / "ks-2024.xlsx")["rows"]


def test_a_parquet_file_without_the_columns_names_them(tmp_path: Path) -> None:
    path = tmp_path / "x.parquet"
    pq.write_table(pa.table({"account": ["5011"], "value": [1.0]}), path)
    result = run("variance", path, ok=False)
    assert result.exit_code == 3
    assert "x.parquet:1: no header row: missing column belopp" in result.stderr


def test_integer_amounts_beyond_the_limit_are_named_not_wrapped(tmp_path: Path) -> None:
    """An unsigned 2**64-100 is no −100 kr: it goes to the text path, which names the row."""
    path = tmp_path / "u.parquet"
    table = pa.table(
        {
            "år": [2024, 2024],
            "period": [1, 1],
            "version": ["utfall", "utfall"],
            "konto": ["5011", "5011"],
            "belopp": pa.array([100, 2**64 - 100], type=pa.uint64()),
        }
    )
    pq.write_table(table, path)
    result = run("variance", path, "--sign", "ledger", ok=False)
    assert result.exit_code == 3
    assert "u.parquet:3: column 'belopp': '18446744073709551516'" in result.stderr


def test_a_year_beyond_int32_is_no_year_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "y.parquet"
    table = {"år": [2024, 3_000_000_000], "period": [1, 1], "version": ["utfall"] * 2, "konto": ["5011"] * 2}
    pq.write_table(pa.table({**table, "belopp": [1.0, 2.0]}), path)
    result = run("variance", path, "--sign", "ledger", ok=False)
    assert result.exit_code == 3 and "internal error" not in result.stderr
    assert "y.parquet:3: column 'år': '3000000000': not a year" in result.stderr
