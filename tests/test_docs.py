"""The README tells the truth: its output blocks are what kfollow prints, its commands are CI's."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys

import pytest
from conftest import ROOT, run

from kfollow.cli import cli

README = ROOT / "README.md"
BLOCK = re.compile(r"<!-- (?P<stream>output|stderr): kfollow (?P<args>.+?) -->\n```text\n(?P<body>.*?)```\n", re.S)


def _output(stream: str, args: str) -> str:
    """What the command prints: stdout of a run that succeeds, or stderr of one that fails."""
    cwd = os.getcwd()
    os.chdir(ROOT)  # the commands are written as run from the repository's root
    try:
        if stream == "output":
            return run(*shlex.split(args)).stdout
        result = run(*shlex.split(args), ok=False)
        assert result.exit_code == 3, result.output
        return result.stderr
    finally:
        os.chdir(cwd)


def test_readme_output_blocks_are_current() -> None:
    """Each `<!-- output: … -->` block holds exactly what that command prints."""
    text = README.read_text("utf-8")
    blocks = list(BLOCK.finditer(text))
    assert len(blocks) >= 4
    if os.environ.get("KFOLLOW_UPDATE_GOLDEN"):
        text = BLOCK.sub(
            lambda m: f"<!-- {m['stream']}: kfollow {m['args']} -->\n```text\n{_output(m['stream'], m['args'])}```\n",
            text,
        )
        README.write_text(text, "utf-8")
        blocks = list(BLOCK.finditer(text))
    for block in blocks:
        assert block["body"] == _output(block["stream"], block["args"]), block["args"]


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run installs and tests exactly as the README tells a new user to."""
    readme = README.read_text("utf-8")
    command = "python3 -m venv .venv && .venv/bin/pip install '.[test]' && .venv/bin/pytest"
    assert command in readme
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert command.replace("pip install", "pip install --quiet") in ci


def test_ci_runs_the_readme_lint_command() -> None:
    """.ci/run also lints and type-checks as the README's Development section tells a contributor to."""
    readme = README.read_text("utf-8")
    command = ".venv/bin/pip install '.[lint]' && .venv/bin/ruff check kfollow tests && .venv/bin/mypy"
    assert command in readme
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert command.replace("pip install", "pip install --quiet") in ci


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_is_documented_and_has_help(command: str) -> None:
    assert f"kfollow {command}" in README.read_text("utf-8")
    result = run(command, "--help")
    assert "Usage: " in result.stdout and len(cli.commands[command].help or "") > 20


def test_help_does_not_import_pandas() -> None:
    """`kfollow --help` answers without loading pandas, numpy or pyarrow."""
    code = (
        "import sys\n"
        "from kfollow.cli import cli\n"
        "try:\n    cli(['variance', '--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in ('pandas', 'numpy', 'pyarrow', 'openpyxl') if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out


def test_the_library_example_runs_and_prints_the_commands_table() -> None:
    """The README's Python example prints what `kfollow variance` prints for the same ledger
    and filter, then the reconcile verdict."""
    import contextlib
    import io

    (code,) = re.findall(r"```python\n(.*?)```", README.read_text("utf-8"), re.S)
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(code, "README.md", "exec"), {})
        args = "variance examples/ks-2024.xlsx --config examples/kfollow.toml --exclude verksamhet=289"
        table = _output("output", args)
    finally:
        os.chdir(cwd)
    assert printed.getvalue() == table + "reconcile: 0 errors: 0\n"
