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


def test_a_parquet_file_without_the_columns_names_them(tmp_path: Path) -> None:
    path = tmp_path / "x.parquet"
    pq.write_table(pa.table({"account": ["5011"], "value": [1.0]}), path)
    result = run("variance", path, ok=False)
    assert result.exit_code == 3
    assert "x.parquet:1: no header row: missing column belopp" in result.stderr
