"""Shared helpers: inline ledgers, the CLI runner, paths to examples/ and tests/data/."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kfollow.cli import cli

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
DATA = Path(__file__).resolve().parent / "data"

KOMMUNBIDRAG = '[accounts]\n"91" = "Kommunbidrag"\n'


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(textwrap.dedent(text).lstrip("\n").encode(encoding))
    return path


@pytest.fixture
def ledger_from_text(tmp_path: Path):
    """Write an inline CSV ledger (dedented) and return its path."""

    def make(text: str, name: str = "ledger.csv", encoding: str = "utf-8") -> Path:
        return write(tmp_path / name, text, encoding)

    return make


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write(tmp_path / "kfollow.toml", KOMMUNBIDRAG)


def without_column(source: Path, target: Path, column: str) -> Path:
    """A copy of a cp1252 ';' CSV (the examples') without one column: e.g. the example ledger
    as an export without kontotext."""
    lines = source.read_bytes().split(b"\r\n")
    at = lines[0].split(b";").index(column.encode("cp1252"))
    target.write_bytes(b"\r\n".join(b";".join(f for i, f in enumerate(line.split(b";")) if i != at) if line else line
                                     for line in lines))
    return target


def run(*args: object, ok: bool = True) -> Result:
    """Run the CLI; on the success path let exceptions through, on error paths catch them."""
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=not ok)
    if ok:
        assert result.exit_code == 0, result.stderr
    return result


def reconcile_report(*args: object, row_by_row: bool = False) -> dict:
    """`kfollow reconcile … --format json` as parsed JSON; for exit 2 or 3, {"exit", "stderr"}.
    row_by_row: read every row as it is, nothing summed or hashed (how reconcile read before
    it read collapsed): the reference its report must equal."""
    import json

    from kfollow import cli as cli_module

    original = cli_module.load_mapped

    def plain(kwargs: dict, every_column: bool = False, columns: tuple[str, ...] = (), **_: object) -> object:
        return original(kwargs, every_column=every_column, columns=columns)

    with pytest.MonkeyPatch.context() as patch:
        if row_by_row:
            patch.setattr(cli_module, "load_mapped", plain)
        result = run("reconcile", *args, "--format", "json", ok=False)
    if result.exit_code not in (0, 1):
        return {"exit": result.exit_code, "stderr": result.stderr}
    return json.loads(result.stdout)
