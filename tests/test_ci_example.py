"""examples/ci/: the reconcile script a finance team runs from cron or CI, its workflows, and
the example's control totals (examples/control-totals.csv)."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest
from conftest import EXAMPLES

CI = EXAMPLES / "ci"
SCRIPT = CI / "reconcile.sh"
CONTROLS = EXAMPLES / "control-totals.csv"
SETTINGS = ("LEDGER", "CONFIG", "CONTROL", "OUT_DIR", "FILTER", "KFOLLOW")

needs_sh = pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX sh")


def run_script(out_dir: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    """Run reconcile.sh as cron or CI would, with the test environment's kfollow first on PATH."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}  # the script's defaults
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", os.defpath)])
    env.update(OUT_DIR=str(out_dir), **settings)
    return subprocess.run(
        [str(SCRIPT), *args], env=env, capture_output=True, text=True, encoding="utf-8", timeout=300, check=False
    )


def junit(out_dir: Path) -> ET.Element:
    root = ET.parse(out_dir / "reconcile-report.xml").getroot()
    assert root.tag == "testsuites"
    return root


def failed(root: ET.Element) -> list[ET.Element]:
    return [case for case in root.iter("testcase") if case.find("failure") is not None]


def last_line(out_dir: Path) -> str:
    return (out_dir / "reconcile-report.txt").read_text("utf-8").splitlines()[-1]


def test_script_is_an_executable_posix_script() -> None:
    assert os.access(SCRIPT, os.X_OK), "chmod +x examples/ci/reconcile.sh"
    text = SCRIPT.read_text("utf-8")
    assert text.startswith("#!/bin/sh\n")
    assert "\nset -eu\n" in text


@needs_sh
def test_example_reconciles(tmp_path: Path) -> None:
    """The example ledger matches its control totals: exit 0, a passing JUnit report."""
    result = run_script(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    root = junit(tmp_path)
    assert root.get("failures") == "0" and root.get("errors") == "0"
    assert failed(root) == []
    control = [case for case in root.iter("testcase") if case.get("name") == "control-total"]
    assert len(control) == 1  # ran (not skipped) and passed
    assert list(control[0]) and all(child.tag == "system-out" for child in control[0])
    assert last_line(tmp_path).startswith("reconcile 2024")
    assert last_line(tmp_path).endswith(": OK")
    assert result.stdout == (tmp_path / "reconcile-report.txt").read_text("utf-8")  # printed for the log


@needs_sh
def test_control_total_off_by_1000_kr_fails(tmp_path: Path) -> None:
    """One control total 1 000 kr off: exit 1, exactly one failing control-total testcase."""
    lines = CONTROLS.read_text("utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("Personalkostnader;forecast;"))
    rad, kolumn, belopp = lines[at].split(";")
    lines[at] = f"{rad};{kolumn};{Decimal(belopp.replace(' ', '').replace(',', '.')) + 1000}"  # plain -112464486.77
    control = tmp_path / "control-totals.csv"
    control.write_text("\n".join(lines) + "\n", "utf-8")
    out = tmp_path / "out"  # made by the script

    result = run_script(out, CONTROL=str(control))
    assert result.returncode == 1, result.stdout + result.stderr
    root = junit(out)
    assert root.get("failures") == "1"
    (case,) = failed(root)
    assert case.get("name", "").startswith("control-total")
    assert "Personalkostnader" in case.get("name", "")
    assert "difference -1 000,00 kr" in case.find("failure").get("message", "")  # type: ignore[union-attr]
    assert last_line(out).startswith("reconcile 2024") and last_line(out).endswith("FAILED")


@needs_sh
@pytest.mark.parametrize(
    ("setting", "code"),
    [("CONTROL", 3), ("LEDGER", 2)],
    ids=["control-file-unusable", "ledger-missing"],
)
def test_kfollow_could_not_run(tmp_path: Path, setting: str, code: int) -> None:
    """Exit 2 and 3 pass through; kfollow writes no report, so the script writes both with the
    message, and no report of an earlier run is left behind."""
    (tmp_path / "reconcile-report.xml").write_text("<stale/>", "utf-8")
    value = str(EXAMPLES / "kfollow.toml") if setting == "CONTROL" else str(tmp_path / "missing.xlsx")
    result = run_script(tmp_path, **{setting: value})
    assert result.returncode == code, result.stdout + result.stderr
    assert "Error:" in result.stderr
    root = junit(tmp_path)
    assert root.get("errors") == "1"
    (error,) = root.iter("error")
    assert error.get("message", "").startswith("Error:")
    assert last_line(tmp_path) == f"reconcile: kfollow could not run (exit {code})"


@needs_sh
def test_kfollow_not_found(tmp_path: Path) -> None:
    result = run_script(tmp_path, KFOLLOW=str(tmp_path / "no-such-kfollow"))
    assert result.returncode == 127
    assert "not found" in result.stderr


# --- the workflows run the script, and find what it writes -----------------------------------


def commands(path: Path) -> list[str]:
    """The lines of a CI file without comments."""
    return [
        line.split(" #")[0].rstrip()
        for line in path.read_text("utf-8").splitlines()
        if not line.lstrip().startswith("#")
    ]


def test_workflows_run_the_script() -> None:
    """Both workflows reconcile through reconcile.sh (its kfollow arguments, its exit code) and
    publish the JUnit file it writes; none calls kfollow reconcile with arguments of its own."""
    script = SCRIPT.read_text("utf-8")
    assert "junit=$OUT_DIR/reconcile-report.xml" in script
    for name in ("github-actions.yml", "gitlab-ci.yml"):
        lines = commands(CI / name)
        text = "\n".join(lines)
        assert "sh examples/ci/reconcile.sh" in text, name
        assert not [line for line in lines if re.search(r"(run:|^\s*-)\s*(\S*/)?kfollow\s", line)], name
        assert "OUT_DIR: reconcile-out" in text, name
        assert "pip install ." in text, name
        assert "\t" not in text, name  # YAML indents with spaces
    github = "\n".join(commands(CI / "github-actions.yml"))
    assert re.search(r"^on:\n  push:\n  schedule:\n    - cron: ", github, re.M)
    assert int(re.search(r'python-version: "3\.(\d+)"', github)[1]) >= 11  # type: ignore[index]
    assert "uses: actions/upload-artifact@v4" in github
    assert "uses: mikepenz/action-junit-report@v4" in github
    assert github.count("if: always()") == 2
    assert "report_paths: reconcile-out/reconcile-report.xml" in github
    assert "checks: write" in github
    gitlab = "\n".join(commands(CI / "gitlab-ci.yml"))
    assert int(re.search(r"image: python:3\.(\d+)", gitlab)[1]) >= 11  # type: ignore[index]
    assert "    reports:\n      junit: reconcile-out/reconcile-report.xml" in gitlab
    assert "    when: always" in gitlab


# --- control-totals.csv is what make_examples.py writes ----------------------------------------


@pytest.fixture(scope="module")
def make_examples() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_examples", EXAMPLES / "make_examples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_control_totals_are_current(make_examples: ModuleType) -> None:
    """The committed file equals what make_examples.py computes from the committed ledger."""
    expected = make_examples.control_totals_csv(make_examples.read_csv_rows())
    assert CONTROLS.read_bytes() == expected.encode("utf-8"), "run: .venv/bin/python examples/make_examples.py"
    assert expected.startswith("rad;kolumn;belopp\nÅrets resultat;budget;0,00\n")


def test_script_filters_the_table_the_control_totals_are_for(make_examples: ModuleType) -> None:
    """The script's default FILTER is the Drift table make_examples.py computed the totals of."""
    assert f'FILTER=${{FILTER-"{" ".join(make_examples.DRIFT_ARGS)}"}}' in SCRIPT.read_text("utf-8")
