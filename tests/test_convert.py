"""kfollow convert: any input as the canonical long ledger, read back to the same öre."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import EXAMPLES, run

CONFIG = EXAMPLES / "kfollow.toml"


def drift(*files: object, extra: tuple[str, ...] = ()) -> dict:
    result = run("variance", *files, "--config", CONFIG, "--exclude", "verksamhet=289", "--format", "json", *extra)
    return json.loads(result.stdout)


@pytest.mark.parametrize("ending", [".csv", ".xlsx"])
@pytest.mark.parametrize("source", ["ks-2024.se", "ks-2024.csv"])
def test_converted_ledger_gives_the_same_tables(tmp_path: Path, source: str, ending: str) -> None:
    """The converted file (CSV or xlsx) prints the same Drift table, to the öre (--unit kr), as
    what it was converted from; from SIE with the forecast file beside it."""
    out = tmp_path / f"ledger{ending}"
    run("convert", EXAMPLES / source, "--config", CONFIG, "-o", out)
    forecast = ("--forecast", EXAMPLES / "prognos-2024.csv") if source.endswith(".se") else ()
    original = drift(EXAMPLES / source, *forecast, extra=("--unit", "kr"))
    converted = drift(out, *forecast, extra=("--unit", "kr"))
    assert converted["rows"] == original["rows"]


def test_csv_layout(tmp_path: Path) -> None:
    """UTF-8 with BOM, ';', Swedish names, the dimensions the SIE file has, öre as decimal comma,
    ledger sign; one line per ledger row."""
    out = tmp_path / "ledger.csv"
    run("convert", EXAMPLES / "ks-2024.se", "-o", out)
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    # kontotext: the names of the file's #KONTO records (issue 12)
    assert lines[0] == "år;period;version;konto;kontotext;ansvar;verksamhet;projekt;belopp"
    first = lines[1].split(";")
    assert first[:4] == ["2024", "4", "utfall", "1111"] and first[-1] == "4232960,60"
    assert all(line.count(";") == 8 for line in lines)


def test_stdout_and_filters() -> None:
    """Without -o the CSV goes to stdout; --where and --year select rows."""
    result = run("convert", EXAMPLES / "ks-2024.csv", "--where", "verksamhet=289", "--year", "2024")
    lines = result.stdout.lstrip("\ufeff").splitlines()
    header = lines[0].split(";")
    rows = [dict(zip(header, line.split(";"), strict=True)) for line in lines[1:]]
    assert rows and all(r["verksamhet"].startswith("289") and r["år"] == "2024" for r in rows)
