"""The command line as a user meets it: files by version, formats, output files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import EXAMPLES, ROOT, run, write

CONFIG = EXAMPLES / "kfollow.toml"


def test_files_by_version_and_several_files(tmp_path: Path, config) -> None:
    """--outcome/--budget/--forecast files (no version column) and a long file together."""
    outcome = write(tmp_path / "utfall.csv", "år;period;konto;belopp\n2024;2;5011;100\n2023;2;5011;90\n")
    budget = write(tmp_path / "budget.csv", "år;period;konto;belopp\n2024;5;5011;300\n")
    forecast = write(tmp_path / "prognos.csv", "år;period;konto;belopp\n2024;12;5011;280\n")
    more = write(tmp_path / "more.csv", "år;period;version;konto;belopp\n2024;1;utfall;3011;-50\n")
    result = run(
        "variance",
        more,
        "--outcome",
        outcome,
        "--budget",
        budget,
        "--forecast",
        forecast,
        "--config",
        config,
        "--unit",
        "kr",
        "--format",
        "json",
    )
    cells = {r["label"]: r["values"] for r in json.loads(result.stdout)["rows"]}
    assert cells["Personalkostnader"] == {
        "budget": -300,
        "forecast": -280,
        "forecast_deviation": 20,
        "outcome": -100,
        "outcome_previous": -90,
        "outcome_change": -10,
    }
    assert cells["Verksamhetens intäkter"]["outcome"] == 50


def test_format_follows_the_output_ending(tmp_path: Path) -> None:
    """-o r.json writes JSON, -o r.md markdown, -o r.xlsx a workbook, nothing on stdout."""
    for name, check in (
        ("r.json", lambda p: json.loads(p.read_text("utf-8"))["table"] == "drift"),
        ("r.md", lambda p: p.read_text("utf-8").startswith("| Belopp i tkr")),
        ("r.xlsx", lambda p: p.read_bytes()[:2] == b"PK"),
    ):
        out = tmp_path / name
        result = run("variance", EXAMPLES / "ks-2024.csv", "--config", CONFIG, "-o", out)
        assert result.stdout == "" and check(out), name


def test_csv_format_is_plain_integers() -> None:
    lines = run(
        "variance", EXAMPLES / "ks-2024.csv", "--config", CONFIG, "--exclude", "verksamhet=289", "--format", "csv"
    ).stdout.splitlines()
    assert lines[0] == "label,kind,level,budget,forecast,forecast_deviation,outcome,outcome_previous,outcome_change"
    assert lines[2] == "Personalkostnader,row,0,-114196,-112465,1730,-70328,-64523,-5806"
    assert lines[-1] == "Årets resultat,total,0,0,0,0,9902,5167,4735"


def test_python_dash_m_and_the_console_script_agree() -> None:
    """`python -m kfollow` is the same program as the `kfollow` script."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kfollow",
            "variance",
            str(EXAMPLES / "ks-2024.csv"),
            "--config",
            str(CONFIG),
            "--where",
            "verksamhet=289",
            "--format",
            "csv",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert result.stdout.splitlines()[-1] == "Årets resultat,total,0,0,2700,2700,-9760,-7877,-1883"


def test_warnings_go_to_stderr_not_stdout(ledger_from_text, config) -> None:
    ledger = ledger_from_text("år;period;version;konto;belopp\n2024;1;utfall;5011;10\n")
    result = run("variance", ledger, "--config", config, "--format", "csv")
    assert "Warning: no budget rows for 2024" in result.stderr
    assert "Warning" not in result.stdout
    assert json.loads(run("variance", ledger, "--config", config, "--format", "json").stdout)["warnings"]


def test_accounts_refuses_an_xlsx_output(tmp_path: Path) -> None:
    """-o acc.xlsx for a command without xlsx output is a usage error, not a text file named .xlsx."""
    result = run("accounts", EXAMPLES / "ks-2024.csv", "--config", CONFIG, "-o", tmp_path / "acc.xlsx", ok=False)
    assert result.exit_code == 2
    assert "this command writes no xlsx" in result.stderr
    assert not (tmp_path / "acc.xlsx").exists()


def test_sign_notes_reach_the_json_warnings(tmp_path: Path, config) -> None:
    """A file read as report sign is said on stderr and in the JSON, for CI jobs to see."""
    path = write(tmp_path / "rapport.csv", "år;period;version;konto;belopp\n2024;1;utfall;5011;-100\n")
    result = run("variance", path, "--config", config, "--format", "json", "--unit", "kr")
    report = json.loads(result.stdout)
    assert any("rapport.csv: personnel costs are negative" in w for w in report["warnings"])
    assert {r["label"]: r["values"]["outcome"] for r in report["rows"]}["Personalkostnader"] == -100


def test_output_file_is_readable_by_others(tmp_path: Path) -> None:
    """-o writes with the mode a new file gets (not mkstemp's private 0600)."""
    import os

    out = tmp_path / "r.csv"
    umask = os.umask(0o022)
    try:
        run("variance", EXAMPLES / "ks-2024.csv", "--config", CONFIG, "-o", out)
    finally:
        os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o644


def test_dash_output_is_stdout() -> None:
    result = run("variance", EXAMPLES / "ks-2024.csv", "--config", CONFIG, "-o", "-", "--format", "csv")
    assert result.stdout.startswith("label,kind,level,")


def test_sign_per_file(tmp_path: Path, config) -> None:
    """Files in different conventions, one without personnel rows: --sign NAME=MODE sets each."""
    ledger = write(tmp_path / "huvudbok.csv", "år;period;version;konto;belopp\n2024;1;utfall;5011;100\n")
    budget = write(tmp_path / "budget.csv", "år;period;konto;belopp\n2024;1;5011;-300\n")  # report sign
    forecast = write(tmp_path / "prognos.csv", "år;period;konto;belopp\n2024;1;3011;50\n")  # report sign
    args = ["variance", ledger, "--budget", budget, "--forecast", forecast, "--config", config, "--unit", "kr"]
    result = run(*args, ok=False)
    assert result.exit_code == 3
    assert "prognos.csv: cannot tell the sign convention" in result.stderr
    assert "--sign prognos.csv=ledger" in result.stderr
    result = run(*args, "--sign", "prognos.csv=report", "--format", "json")
    cells = {r["label"]: r["values"] for r in json.loads(result.stdout)["rows"]}
    assert cells["Personalkostnader"]["outcome"] == -100
    assert cells["Personalkostnader"]["budget"] == -300
    assert cells["Verksamhetens intäkter"]["forecast"] == 50
    assert run(*args, "--sign", "x=auto", ok=False).exit_code == 2


def test_the_cli_offers_exactly_the_formats_render_has() -> None:
    from kfollow import cli, render

    assert cli.FORMATS == render.FORMATS
